/**
 * The CPU criterion of issue 19, judged from one run's paired baselines: ours over PyTorch's fp32
 * recipe at most {@linkcode CPU_CRITERION}`.vsFp32` (0.5), and ours at least 10% faster than the
 * faster of PyTorch's own bf16 recipes (autocast or pure bf16, channels-last) measured in the same
 * run: ours over it at most {@linkcode CPU_CRITERION}`.vsBestBf16` (0.9, our step at most 90% of
 * theirs). A verdict is met when the paired ratio's median is within the bound, and firm when its
 * whole 95% interval is.
 *
 * @module
 */
import {
  type BaselineName,
  baselineNameOf,
  BASELINES,
  baselinesOf,
  isPytorchBf16,
  type Paired,
  type Run,
} from "../result/mod.ts";
import { formatRatio } from "../stats/mod.ts";

/**
 * The one wording of every comparison in the reports: a paired ratio of step times (ours over
 * theirs) with its 95% interval, as `"1.10× slower [1.08, 1.13]"` (ratio 1.10 [1.08, 1.13]),
 * `"1.30× faster [1.29, 1.32]"` (ratio 0.768 [0.755, 0.775]: the factor and the interval
 * inverted), or `"no significant difference (0.99× [0.97, 1.02])"` when the interval holds 1.
 * Two decimals. Never give it two separate medians: only a ratio measured paired in one run.
 */
export function pairedVerdict(ratio: number, lo: number, hi: number): string {
  const f = (x: number) => x.toFixed(2);
  if (lo <= 1 && hi >= 1) return `no significant difference (${f(ratio)}× [${f(lo)}, ${f(hi)}])`;
  if (ratio > 1) return `${f(ratio)}× slower [${f(lo)}, ${f(hi)}]`;
  return `${f(1 / ratio)}× faster [${f(1 / hi)}, ${f(1 / lo)}]`;
}

/** {@linkcode pairedVerdict} of a baseline's paired measurement (ours over it). */
export function pairedVerdictOf(p: Pick<Paired, "ratioMedian" | "ratioCI95">): string {
  return pairedVerdict(p.ratioMedian, p.ratioCI95[0], p.ratioCI95[1]);
}

/** The criterion's bounds on ours/theirs paired step ratios. */
export const CPU_CRITERION = {
  /** Ours over PyTorch's fp32 step. */
  vsFp32: 0.5,
  /** Ours over the faster PyTorch bf16 recipe's step (10% faster: at most 0.9 of it). */
  vsBestBf16: 0.9,
} as const;

/** One verdict: a paired ratio against its bound. */
export interface RatioVerdict {
  /** The baseline it is measured against. */
  baseline: BaselineName;
  /** Its paired measurement (ratio ours/theirs with the interval). */
  paired: Paired;
  /** The bound the ratio must not exceed. */
  bound: number;
  /** The ratio's median is within the bound. */
  met: boolean;
  /** The whole 95% interval is within the bound. */
  firm: boolean;
}

/** Both verdicts of the criterion. */
export interface CpuVerdicts {
  /** Ours/PyTorch fp32 ≤ 0.5. */
  vsFp32: RatioVerdict;
  /** Ours/the faster PyTorch bf16 recipe ≤ 0.9. */
  vsBestBf16: RatioVerdict;
}

function verdict(baseline: BaselineName, paired: Paired, bound: number): RatioVerdict {
  const met = paired.ratioMedian <= bound;
  return { baseline, paired, bound, met, firm: paired.ratioCI95[1] <= bound };
}

/** A run's paired baselines by name. */
function pairedBaselines(run: Run): Map<BaselineName, Paired> {
  const out = new Map<BaselineName, Paired>();
  for (const b of baselinesOf(run)) {
    const name = baselineNameOf(b);
    if (name !== null && b.paired !== undefined) out.set(name, b.paired);
  }
  return out;
}

/**
 * The criterion's verdicts for a run of ours, or null unless it was paired with PyTorch's fp32
 * recipe and at least one of its bf16 recipes. The faster bf16 recipe is the one whose paired
 * ratio ours/it is the highest (both share our windows).
 */
export function cpuVerdicts(run: Run): CpuVerdicts | null {
  const paired = pairedBaselines(run);
  const fp32 = paired.get("pytorch");
  const bf16 = [...paired].filter(([name]) => isPytorchBf16(name))
    .sort(([, a], [, b]) => b.ratioMedian - a.ratioMedian);
  if (fp32 === undefined || bf16.length === 0) return null;
  const [bestName, best] = bf16[0];
  return {
    vsFp32: verdict("pytorch", fp32, CPU_CRITERION.vsFp32),
    vsBestBf16: verdict(bestName, best, CPU_CRITERION.vsBestBf16),
  };
}

/** A verdict in words: `met (0.452 [0.440, 0.470], the whole interval within 0.5)`. */
function outcome(v: RatioVerdict): string {
  const ratio = `ours/${BASELINES[v.baseline].label} ${formatRatio(v.paired)}`;
  if (!v.met) return `**not met** (${ratio}, above ${v.bound})`;
  return v.firm
    ? `**met** (${ratio}, the whole interval within ${v.bound})`
    : `**met by the median only** (${ratio}, the interval reaches above ${v.bound})`;
}

/** The report's lines on the criterion for a run of ours (none without its baselines). */
export function verdictLines(run: Run): string[] {
  const v = cpuVerdicts(run);
  if (v === null) return [];
  const faster = Math.round((1 - CPU_CRITERION.vsBestBf16) * 100);
  return [
    `- CPU criterion on ${run.device} (issue 19), paired in the same run:`,
    `  - at most ${CPU_CRITERION.vsFp32}× PyTorch's fp32 step: ${outcome(v.vsFp32)}`,
    `  - at least ${faster}% faster than PyTorch's best bf16 recipe (${
      BASELINES[v.vsBestBf16.baseline].label
    }; ours/it ≤ ${CPU_CRITERION.vsBestBf16}): ${outcome(v.vsBestBf16)}`,
  ];
}
