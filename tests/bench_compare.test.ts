// `deno task compare` (src/report/compare.ts): matching runs, the ratio of medians with its
// bootstrap interval and the verdict; pure, no libtorch.
import assert from "node:assert/strict";
import { compareResults, formatComparison, main, verdictOf } from "../src/report/compare.ts";
import { parseBenchResult, type Run } from "../src/result/schema.ts";
import { summarize } from "../src/stats/stats.ts";

const RESULT = new URL("../results/2026-11-29-vm-cpu.json", import.meta.url).pathname;

function load() {
  return parseBenchResult(JSON.parse(Deno.readTextFileSync(RESULT)));
}

/** `run` with its step samples scaled by `factor` (and a little jitter). */
function scaled(run: Run, factor: number): Run {
  const samples = run.stepMs.samples.map((x, i) => x * factor * (1 + ((i * 7) % 5 - 2) * 1e-3));
  return { ...run, stepMs: summarize(samples) };
}

Deno.test("verdictOf() says faster or slower only when the interval excludes 1", () => {
  assert.equal(verdictOf([0.8, 0.95]), "faster");
  assert.equal(verdictOf([1.02, 1.2]), "slower");
  assert.equal(verdictOf([0.97, 1.03]), "no significant difference");
});

Deno.test("compareResults() matches runs and baselines and judges each ratio", () => {
  const a = load();
  const b = load();
  b.runs[0] = { ...scaled(b.runs[0], 0.5), baseline: b.runs[0].baseline };
  const out = compareResults(a, b);
  assert.equal(out.matched.length, 2);
  const [ours, torch] = out.matched;
  assert.equal(ours.name, "deno+libtorch 1.13.0 cpu fp32");
  assert.equal(ours.verdict, "faster");
  assert.ok(Math.abs(ours.ratio - 0.5) < 0.01 && ours.ci[1] < 1, `${ours.ratio} [${ours.ci}]`);
  assert.equal(torch.verdict, "no significant difference");
  assert.equal(torch.ratio, 1);
  assert.deepEqual([out.onlyA, out.onlyB], [[], []]);
  assert.match(
    formatComparison(out),
    /: B\/A 0\.5\d\d \[[\d.]+, [\d.]+\] \(95% CI\): 2\.0\dx faster\n/,
  );
});

Deno.test("compareResults() keeps runs of different options apart", () => {
  const a = load();
  const b = load();
  b.runs[0] = { ...b.runs[0], options: { ...b.runs[0].options, tf32: true } };
  const out = compareResults(a, b);
  assert.deepEqual(out.matched.map((c) => c.name), ["pytorch 1.13.0a0 cpu fp32"]);
  assert.deepEqual(out.onlyA, ["deno+libtorch 1.13.0 cpu fp32"]);
  assert.deepEqual(out.onlyB, ["deno+libtorch 1.13.0 cpu fp32, TF32"]);
  assert.match(formatComparison(out), /only in A: deno\+libtorch 1\.13\.0 cpu fp32\nonly in B/);
});

Deno.test("deno task compare rejects anything but two readable result files", async () => {
  assert.equal(await main(["only-one.json"]), 2);
  assert.equal(await main(["/no/such/a.json", RESULT]), 2);
  assert.equal(await main([RESULT, RESULT]), 0);
});
