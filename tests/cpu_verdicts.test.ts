// Issue 19's CPU criterion (verdicts.ts) from a run's paired baselines, and the report's lines
// on it; pure, no libtorch.
import assert from "node:assert/strict";
import { recipeOptions } from "../src/result/recipes.ts";
import { renderMarkdown } from "../src/report/report.ts";
import {
  type BaselineName,
  type BenchResult,
  parseBenchResult,
  type Run,
} from "../src/result/schema.ts";
import { cpuVerdicts, verdictLines } from "../src/report/verdicts.ts";

const RESULT = new URL("../results/2026-11-29-vm-cpu.json", import.meta.url).pathname;

function load(): BenchResult {
  return parseBenchResult(JSON.parse(Deno.readTextFileSync(RESULT)));
}

/** A paired baseline run of `name` beside `ours`, the paired ratio `ratio` [lo, hi]. */
function baseline(ours: Run, name: BaselineName, ci: [number, number, number]): Run {
  const [lo, ratio, hi] = ci;
  return {
    ...ours.baseline!,
    options: { torch: "1.13.1", tf32: false, ...recipeOptions(name) },
    paired: {
      rounds: 3,
      windowSteps: 2,
      ratios: [lo, ratio, hi],
      ratioMedian: ratio,
      ratioCI95: [lo, hi],
    },
  };
}

/** The result's first run with `baselines` (name → [lo, ratio, hi]), in order. */
function withBaselines(entries: [BaselineName, [number, number, number]][]): BenchResult {
  const result = load();
  const run = result.runs[0];
  const runs = entries.map(([name, ci]) => baseline(run, name, ci));
  run.baseline = runs[0] ?? null;
  run.moreBaselines = runs.length > 1 ? runs.slice(1) : undefined;
  return result;
}

Deno.test("the criterion is met when ours/fp32 <= 0.5 and ours/the faster bf16 recipe <= 0.9", () => {
  const result = withBaselines([
    ["pytorch", [0.4, 0.45, 0.48]],
    ["pytorch-bf16", [0.5, 0.55, 0.6]],
    ["pytorch-bf16-pure", [0.8, 0.85, 0.88]],
  ]);
  const v = cpuVerdicts(result.runs[0])!;
  assert.deepEqual([v.vsFp32.baseline, v.vsFp32.met, v.vsFp32.firm], ["pytorch", true, true]);
  // pure bf16 is PyTorch's faster bf16 recipe: ours/it is the higher ratio.
  assert.equal(v.vsBestBf16.baseline, "pytorch-bf16-pure");
  assert.deepEqual([v.vsBestBf16.met, v.vsBestBf16.firm, v.vsBestBf16.bound], [true, true, 0.9]);
});

Deno.test("a ratio above its bound is not met; a median within it whose interval is not, not firm", () => {
  const result = withBaselines([
    ["pytorch", [0.45, 0.49, 0.53]],
    ["pytorch-bf16", [0.88, 0.93, 0.95]],
  ]);
  const v = cpuVerdicts(result.runs[0])!;
  assert.deepEqual([v.vsFp32.met, v.vsFp32.firm], [true, false]);
  assert.deepEqual([v.vsBestBf16.baseline, v.vsBestBf16.met], ["pytorch-bf16", false]);
  const lines = verdictLines(result.runs[0]);
  assert.match(
    lines[1],
    /0\.5× PyTorch's fp32 step: \*\*met by the median only\*\* \(ours\/PyTorch 0\.490 \[0\.450, 0\.530\]/,
  );
  assert.match(
    lines[2],
    /at least 10% faster than PyTorch's best bf16 recipe \(PyTorch bf16 autocast\+CL; ours\/it ≤ 0\.9\): \*\*not met\*\* \(ours\/PyTorch bf16 autocast\+CL 0\.930 \[0\.880, 0\.950\], above 0\.9\)/,
  );
});

Deno.test("no verdict without PyTorch's fp32 recipe and a bf16 recipe paired in the same run", () => {
  const fp32Only = withBaselines([["pytorch", [0.4, 0.45, 0.48]], ["libtorch", [0.9, 1, 1.1]]]);
  assert.equal(cpuVerdicts(fp32Only.runs[0]), null);
  assert.deepEqual(verdictLines(fp32Only.runs[0]), []);
  assert.doesNotMatch(renderMarkdown([fp32Only]), /CPU criterion/);
  const bf16Only = withBaselines([["pytorch-bf16", [0.5, 0.55, 0.6]]]);
  assert.equal(cpuVerdicts(bf16Only.runs[0]), null);
  const unpaired = withBaselines([["pytorch", [0.4, 0.45, 0.48]], ["pytorch-bf16", [
    0.5,
    0.5,
    0.5,
  ]]]);
  delete unpaired.runs[0].moreBaselines![0].paired;
  assert.equal(cpuVerdicts(unpaired.runs[0]), null);
  assert.doesNotMatch(renderMarkdown([load()]), /CPU criterion/);
});

Deno.test("the markdown states both verdicts and names each recipe by its label", () => {
  const md = renderMarkdown([withBaselines([
    ["pytorch", [0.4, 0.45, 0.48]],
    ["pytorch-bf16", [0.5, 0.55, 0.6]],
    ["pytorch-bf16-pure", [0.8, 0.85, 0.88]],
  ])]);
  assert.match(md, /\n- CPU criterion on cpu \(issue 19\), paired in the same run:\n/);
  assert.match(
    md,
    /at most 0\.5× PyTorch's fp32 step: \*\*met\*\* \(ours\/PyTorch 0\.450 \[0\.400, 0\.480\], the whole interval within 0\.5\)/,
  );
  assert.match(
    md,
    /best bf16 recipe \(PyTorch pure bf16\+CL \(bf16 params\); ours\/it ≤ 0\.9\): \*\*met\*\*/,
  );
  assert.match(
    md,
    /- deno\+libtorch against PyTorch bf16 autocast\+CL on cpu \(fp32\), paired over \d+ rounds/,
  );
  assert.match(
    md,
    /deno\+libtorch\/PyTorch pure bf16\+CL \(bf16 params\) ratio 0\.850 \[0\.800, 0\.880\]/,
  );
});
