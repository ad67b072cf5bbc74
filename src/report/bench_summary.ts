/**
 * What `deno task bench` prints at the end of a run: a few lines per run (step medians, paired
 * ratios, accuracy) and one verdict line per paired baseline, e.g. "deno+libtorch ran 1.05×
 * faster [1.02, 1.08] than PyTorch eager (cpu, fp32, 10 paired rounds)". The markdown report goes
 * to its file only.
 *
 * @module
 */
import { baselineNameOf, BASELINES, baselinesOf } from "../result/recipes.ts";
import type { BenchResult, Paired, Run } from "../result/schema.ts";

const times = (x: number) => `${x.toFixed(2)}×`;
const interval = ([lo, hi]: readonly [number, number]) => `[${lo.toFixed(2)}, ${hi.toFixed(2)}]`;

/** A baseline's name in a sentence: its label, PyTorch's runs called eager. */
function baselineLabel(baseline: Run): string {
  const name = baselineNameOf(baseline);
  const label = name === null ? baseline.implementation : BASELINES[name].label;
  return label.replace(/^PyTorch\b/, "PyTorch eager");
}

/**
 * The verdict of a paired ratio (ours over the baseline's step time) in one sentence: "`subject`
 * ran 1.05× faster [1.02, 1.08] than `against` (`context`)", "… ran 1.10× slower [1.08, 1.13]
 * than …", or "`subject`: no significant difference from `against` (step ratio 0.99× [0.97,
 * 1.02]; `context`)" when the 95% interval holds 1. Separate medians are never used.
 */
export function pairedVerdict(
  subject: string,
  paired: Paired,
  against: string,
  context: string,
): string {
  const [lo, hi] = paired.ratioCI95;
  if (lo <= 1 && hi >= 1) {
    return `${subject}: no significant difference from ${against} ` +
      `(step ratio ${times(paired.ratioMedian)} ${interval([lo, hi])}; ${context})`;
  }
  return paired.ratioMedian < 1
    ? `${subject} ran ${times(1 / paired.ratioMedian)} faster ${interval([1 / hi, 1 / lo])} ` +
      `than ${against} (${context})`
    : `${subject} ran ${times(paired.ratioMedian)} slower ${interval([lo, hi])} than ${against} ` +
      `(${context})`;
}

/** One line per paired baseline of a run of ours: the paired verdict and what it covers. */
export function pairedVerdictLines(run: Run): string[] {
  return baselinesOf(run).flatMap((b) => {
    if (!b.paired) return [];
    const rounds = `${b.paired.rounds} paired round${b.paired.rounds === 1 ? "" : "s"}`;
    const context = `${run.device}, ${run.precision}, ${rounds}`;
    return [pairedVerdict("deno+libtorch", b.paired, baselineLabel(b), context)];
  });
}

/** A run's step median, throughput and final accuracy on one line. */
function runLine(run: Run, indent = ""): string {
  const accuracy = run.finalTestAccuracy === null
    ? "no epoch evaluated"
    : `test accuracy ${(run.finalTestAccuracy * 100).toFixed(2)}% after ${run.epochs.length} ` +
      `epoch${run.epochs.length === 1 ? "" : "s"}`;
  return `${indent}${run.label}: step median ${run.stepMs.median.toFixed(2)} ms over ` +
    `${run.stepMs.count} steps, ${run.imagesPerSecond.toFixed(0)} images/s, ${accuracy}`;
}

/** A baseline's line: its own median and accuracy, and its paired ratio when paired. */
function baselineLine(b: Run): string {
  if (!b.paired) return runLine(b, "  beside it, ");
  const p = b.paired;
  return `${runLine(b, "  beside it, ")}; paired ratio ours/theirs ${p.ratioMedian.toFixed(3)} ` +
    `[${p.ratioCI95[0].toFixed(3)}, ${p.ratioCI95[1].toFixed(3)}] over ${p.rounds} rounds of ` +
    `${p.windowSteps} steps`;
}

/**
 * The terminal's summary of a result: per run of ours a line, then a line per baseline beside it.
 * The verdict lines ({@linkcode pairedVerdictLines}) come last, after any warning, so they are
 * printed apart.
 */
export function terminalSummary(result: BenchResult): string[] {
  return result.runs.flatMap((run) => [runLine(run), ...baselinesOf(run).map(baselineLine)]);
}
