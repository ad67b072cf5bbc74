// The paired measurement in the result file and the reports (schema.ts, report.ts, headline.ts,
// verdicts.ts): old results read as before, a paired baseline's verdict and ratio [95% CI] in the
// markdown and the headline, in the one wording of pairedVerdict(); pure.
import assert from "node:assert/strict";
import { renderMarkdown } from "../src/report/report.ts";
import { renderHeadline } from "../src/report/headline.ts";
import { pairedVerdict } from "../src/report/verdicts.ts";
import { type BenchResult, parseBenchResult, type Run } from "../src/result/schema.ts";
import { pairedRatios } from "../src/stats/stats.ts";

const RESULT = new URL("../results/2026-11-29-vm-cpu.json", import.meta.url).pathname;

function load(): BenchResult {
  return parseBenchResult(JSON.parse(Deno.readTextFileSync(RESULT)));
}

/** The result with its baseline measured paired: 4 rounds of 3 steps, ours 10% faster. */
function paired(): BenchResult {
  const result = load();
  const ours = [[9, 9.1, 9], [9.2, 9, 9.1], [9, 8.9, 9], [9.1, 9, 9.1]];
  const base = ours.map((w) => w.map((x) => x / 0.9));
  const run = result.runs[0];
  run.stepMs = { ...run.stepMs, samples: ours.flat() };
  run.baseline = {
    ...run.baseline!,
    stepMs: { ...run.baseline!.stepMs, samples: base.flat() },
    paired: { rounds: 4, windowSteps: 3, ...pairedRatios(ours, base) },
  };
  return result;
}

Deno.test("an older result's --baseline name reads as a list of it", () => {
  const raw = JSON.parse(Deno.readTextFileSync(RESULT));
  assert.equal(raw.config.baseline, "pytorch");
  assert.deepEqual(load().config.baseline, ["pytorch"]);
});

Deno.test("pairedVerdict() words a ratio and its interval one way everywhere", () => {
  assert.equal(pairedVerdict(1.1, 1.082, 1.126), "1.10× slower [1.08, 1.13]");
  assert.equal(pairedVerdict(0.768, 0.755, 0.775), "1.30× faster [1.29, 1.32]");
  assert.equal(pairedVerdict(1.02, 0.996, 1.054), "no significant difference (1.02× [1.00, 1.05])");
  assert.equal(pairedVerdict(0.98, 0.95, 1), "no significant difference (0.98× [0.95, 1.00])");
});

Deno.test("the markdown gives a paired baseline's verdict, ratio [95% CI] and each side's median", () => {
  const md = renderMarkdown([paired()]);
  assert.match(
    md,
    /\n- deno\+libtorch against PyTorch on cpu \(fp32\), paired over 4 rounds of 3 steps \(ABBA\): 1\.11× faster \[1\.11, 1\.11\]; deno\+libtorch\/PyTorch ratio 0\.900 \[0\.900, 0\.900\] \(95% CI\); median step 9\.00 ms \[9\.00, 9\.10\] vs 10\.00 ms \[10\.00, 10\.11\]\n/,
  );
  assert.doesNotMatch(md, /noisy: the ratio/);
  assert.doesNotMatch(renderMarkdown([load()]), /paired over/);
});

Deno.test("the markdown notes a paired ratio whose interval is wider than ±5%", () => {
  const result = paired();
  result.runs[0].baseline!.paired = {
    rounds: 4,
    windowSteps: 3,
    ratios: [0.8, 0.9, 1, 1.1],
    ratioMedian: 0.95,
    ratioCI95: [0.8, 1.1],
  };
  assert.match(renderMarkdown([result]), /; noisy: the ratio's 95% interval reaches ±15\.8% of it/);
});

Deno.test("the headline holds a run only when a baseline was paired with it", () => {
  const link = (p: string) => p;
  const unpaired = renderHeadline([{ path: "results/x.json", result: load() }], link);
  assert.match(unpaired, /No stable paired run yet\./);
  assert.doesNotMatch(unpaired, /×/);
  const lines = renderHeadline([{ path: "results/x.json", result: paired() }], link).split("\n");
  assert.match(
    lines[2],
    /^\| CPU \| .* \| \[1\.11× faster \\\[1\.11, 1\.11\\\]\]\(results\/x\.json\) \|$/,
  );
});

Deno.test("further baselines (runs[].moreBaselines) get their own rows and lines", () => {
  const result = paired();
  const cxx: Run = {
    ...result.runs[0].baseline!,
    label: "libtorch 1.13.1 cpu fp32",
    implementation: "libtorch",
    options: { torch: "1.13.1", tf32: false },
    stepLosses: [2.3, 2.5],
  };
  result.runs[0].stepLosses = [2.3, 2.25];
  result.runs[0].moreBaselines = [cxx];
  const back = parseBenchResult(JSON.parse(JSON.stringify(result)));
  assert.equal(back.runs[0].moreBaselines?.[0].implementation, "libtorch");
  const md = renderMarkdown([back]);
  assert.match(md, /\n\| libtorch 1\.13\.1 cpu fp32 \| /);
  assert.match(
    md,
    /\n- deno\+libtorch against libtorch C\+\+ on cpu \(fp32\), paired over 4 rounds/,
  );
  assert.match(md, /deno\+libtorch\/libtorch C\+\+ ratio 0\.900/);
  assert.match(
    md,
    /\n- deno\+libtorch 1\.13\.0 cpu fp32 vs libtorch C\+\+, largest per-step loss difference: window 2\.5e-1 \(2 steps\)/,
  );
});
