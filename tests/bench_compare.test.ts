// `deno task compare` (src/report/compare.ts): matching runs, the ratio of medians with its
// bootstrap interval and the verdict; pure, no libtorch.
import assert from "node:assert/strict";
import {
  ABSOLUTE_WARNING,
  compareRatios,
  compareResults,
  formatComparison,
  main,
  verdictOf,
} from "../src/report/compare.ts";
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
  const text = formatComparison(out);
  assert.match(text, /: median step [\d.]+ ms -> [\d.]+ ms: B\/A 0\.5\d\d \[[\d.]+, [\d.]+\]\n/);
  // Separate runs' medians are never turned into a verdict, and the warning comes first.
  assert.doesNotMatch(text, /\d[×x] (faster|slower)/);
  assert.ok(text.indexOf(ABSOLUTE_WARNING) < text.indexOf("median step"));
  assert.match(text, /^No paired ratio in both files/);
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

const PAIRED = new URL("../results/2026-11-29-vm-cpu-6.json", import.meta.url).pathname;

Deno.test("compareRatios() sets B's paired ratio against A's where both files have one", () => {
  const a = parseBenchResult(JSON.parse(Deno.readTextFileSync(PAIRED)));
  const b = parseBenchResult(JSON.parse(Deno.readTextFileSync(PAIRED)));
  // B: ours 10% faster against PyTorch in every round.
  const p = b.runs[0].baseline!.paired!;
  b.runs[0].baseline!.paired = { ...p, ratios: p.ratios.map((r) => r * 0.9) };
  const ratios = compareRatios(a, b);
  assert.deepEqual(ratios.map((r) => r.name), [
    "deno+libtorch 1.13.0 cpu fp32 / PyTorch",
    "deno+libtorch 1.13.0 cpu fp32 / libtorch C++",
  ]);
  assert.ok(Math.abs(ratios[0].ratio - 0.9) < 1e-9 && ratios[0].ci[1] < 1, `${ratios[0].ci}`);
  assert.equal(ratios[1].ratio, 1);
  const text = formatComparison(compareResults(a, b));
  assert.match(
    text,
    /\/ PyTorch: A [\d.]+ \[.*\], B .*: ours relative to it in B against A: 1\.11× faster \[/,
  );
  assert.match(text, /\/ libtorch C\+\+: .*: no significant difference \(1\.00× \[/);
  assert.deepEqual(compareRatios(load(), b), [], "an unpaired file has no ratio to compare");
});

Deno.test("deno task compare --help says what its intervals cover", async () => {
  const log = console.log;
  const out: string[] = [];
  console.log = (line: string) => out.push(line);
  try {
    assert.equal(await main(["--help"]), 0);
  } finally {
    console.log = log;
  }
  assert.match(out.join("\n"), /^Usage: deno task compare A\.json B\.json/);
  assert.match(out.join("\n"), /medians move by more than it/);
});
