/**
 * Summary statistics for step timings.
 *
 * @module
 */

import type { Summary } from "../result/mod.ts";

/**
 * The `p`-quantile (`p` in [0, 1]) of a non-empty ascending sample, interpolating linearly
 * between the two nearest ranks (numpy's default `method="linear"`): of `[1, 2, 3, 4]`, 0.5 → 2.5.
 */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) {
    throw new RangeError("quantile: expected at least one sample, found none");
  }
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile: expected p in [0, 1], found ${p}`);
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** The median of a non-empty sample in any order: of `[3, 1, 4, 2]`, 2.5. */
export function median(samples: ArrayLike<number>): number {
  return quantile(Float64Array.from(samples).sort(), 0.5);
}

/**
 * Summarizes a sample: median and quantiles as {@linkcode quantile}, mean, and the sample standard
 * deviation (n − 1; 0 for one sample); `samples` keeps their order.
 *
 * @throws {RangeError} When `samples` is empty or holds a non-finite number.
 */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) {
    throw new RangeError("summarize: expected at least one sample, found an empty array");
  }
  for (const [i, x] of samples.entries()) {
    if (typeof x !== "number" || !Number.isFinite(x)) {
      throw new RangeError(`summarize: expected finite numbers, found ${String(x)} at index ${i}`);
    }
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = sorted.reduce((sum, x) => sum + x, 0) / n;
  const squares = sorted.reduce((sum, x) => sum + (x - mean) ** 2, 0);
  return {
    median: quantile(sorted, 0.5),
    mean,
    std: n < 2 ? 0 : Math.sqrt(squares / (n - 1)),
    p10: quantile(sorted, 0.1),
    p90: quantile(sorted, 0.9),
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
    min: sorted[0],
    max: sorted[n - 1],
    count: n,
    samples: [...samples],
  };
}

/** Options for {@linkcode spreadWarning}. */
export interface SpreadWarningOptions {
  /** Largest acceptable interquartile range as a fraction of the median. Default 0.1. */
  threshold?: number;
}

/**
 * A one-line warning when a summary's interquartile range exceeds `threshold` (default 10 %) of
 * its median, else null.
 */
export function spreadWarning(
  summary: Summary,
  options: SpreadWarningOptions = {},
): string | null {
  const { threshold = 0.1 } = options;
  const iqr = summary.q3 - summary.q1;
  const ratio = summary.median === 0 ? (iqr === 0 ? 0 : Infinity) : iqr / Math.abs(summary.median);
  if (ratio <= threshold) return null;
  const percent = Number.isFinite(ratio) ? `${(ratio * 100).toFixed(1)}%` : "unbounded";
  return `noisy timings: the interquartile range (${iqr.toFixed(3)} ms) is ${percent} of ` +
    `the median (${summary.median.toFixed(3)} ms), expected at most ` +
    `${(threshold * 100).toFixed(0)}%`;
}

/**
 * A seeded pseudo-random source of floats in [0, 1): mulberry32, so that a bootstrap over the
 * same samples and seed always gives the same interval.
 */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Options of {@linkcode bootstrapCI}. */
export interface BootstrapOptions {
  /** Resamples drawn. Default 2000. */
  resamples?: number;
  /** Confidence level in (0, 1). Default 0.95. */
  level?: number;
  /** Seed of the resampling. Default 0. */
  seed?: number;
}

/** A resample (drawn with replacement, of the same size) of `sample`. */
function resample(sample: readonly number[], random: () => number): Float64Array {
  const out = new Float64Array(sample.length);
  for (let i = 0; i < out.length; i++) out[i] = sample[Math.floor(random() * sample.length)];
  return out;
}

/**
 * The percentile bootstrap confidence interval of `statistic` over one or more independent
 * samples: each resample redraws every sample with replacement (keeping its size) and applies
 * `statistic` to the redrawn samples. Pure: the same inputs and seed give the same interval.
 *
 * @param samples The samples, each non-empty.
 * @param statistic The statistic, of as many samples as given.
 * @returns `[lo, hi]`, the (1 − level)/2 and (1 + level)/2 quantiles of the resampled statistic.
 * @throws {RangeError} When a sample is empty or the level is not in (0, 1).
 *
 * @example Usage
 * ```ts
 * import { bootstrapCI, median } from "./stats.ts";
 * const [lo, hi] = bootstrapCI([[1, 2, 3, 4, 5]], ([x]) => median(x));
 * ```
 */
export function bootstrapCI(
  samples: readonly (readonly number[])[],
  statistic: (resampled: Float64Array[]) => number,
  options: BootstrapOptions = {},
): [number, number] {
  const { resamples = 2000, level = 0.95, seed = 0 } = options;
  for (const [i, s] of samples.entries()) {
    if (s.length === 0) {
      throw new RangeError(`bootstrapCI: expected non-empty samples, found sample ${i} empty`);
    }
  }
  if (!(level > 0 && level < 1)) {
    throw new RangeError(`bootstrapCI: expected a level in (0, 1), found ${level}`);
  }
  const random = mulberry32(seed);
  const stats = Array.from(
    { length: resamples },
    () => statistic(samples.map((s) => resample(s, random))),
  );
  stats.sort((a, b) => a - b);
  return [quantile(stats, (1 - level) / 2), quantile(stats, (1 + level) / 2)];
}

/**
 * The ratio of two samples' medians, `median(a) / median(b)`, with its 95% bootstrap interval
 * (the two samples resampled independently).
 *
 * @param a The numerator's sample.
 * @param b The denominator's sample.
 */
export function medianRatio(
  a: readonly number[],
  b: readonly number[],
  options: BootstrapOptions = {},
): { ratio: number; ci: [number, number] } {
  const ratioOf = ([x, y]: readonly ArrayLike<number>[]) => median(x) / median(y);
  return { ratio: ratioOf([a, b]), ci: bootstrapCI([a, b], ratioOf, options) };
}

/** The median of a sample with its 95% bootstrap interval. */
export function medianCI(
  sample: readonly number[],
  options: BootstrapOptions = {},
): { median: number; ci: [number, number] } {
  return { median: median(sample), ci: bootstrapCI([sample], ([x]) => median(x), options) };
}

/** Paired windows' ratios: each round's, their median and its 95% bootstrap interval. */
export interface PairedRatios {
  /** Each round's ratio of medians, ours over the baseline's. */
  ratios: number[];
  /** The median of the rounds' ratios. */
  ratioMedian: number;
  /** Its 95% bootstrap interval. */
  ratioCI95: [number, number];
}

/**
 * The ratios of paired windows: round i's is `median(ours[i]) / median(baseline[i])`, the two
 * windows measured back to back, so that the host's slow drifts cancel in each ratio.
 *
 * @param ours Our windows' step times, one array per round.
 * @param baseline The baseline's windows, as many, in the same rounds.
 * @returns The rounds' ratios, their median and its interval.
 * @throws {RangeError} When the rounds differ in number or there are none.
 */
export function pairedRatios(
  ours: readonly (readonly number[])[],
  baseline: readonly (readonly number[])[],
  options: BootstrapOptions = {},
): PairedRatios {
  if (ours.length !== baseline.length || ours.length === 0) {
    throw new RangeError(
      `pairedRatios: expected as many rounds on both sides (at least one), found ` +
        `${ours.length} and ${baseline.length}`,
    );
  }
  const ratios = ours.map((w, i) => median(w) / median(baseline[i]));
  const { median: ratioMedian, ci } = medianCI(ratios, options);
  return { ratios, ratioMedian, ratioCI95: ci };
}

/** Half-width of a ratio's interval, as a fraction of the ratio, above which it is noisy. */
export const NOISY_RATIO = 0.05;

/**
 * A note when a ratio's interval reaches further than ±{@linkcode NOISY_RATIO} of the ratio,
 * else null.
 */
export function noisyRatioNote(ratio: number, ci: readonly [number, number]): string | null {
  const lo = ratio * (1 - NOISY_RATIO), hi = ratio * (1 + NOISY_RATIO);
  if (ci[0] >= lo && ci[1] <= hi) return null;
  const spread = Math.max(ratio - ci[0], ci[1] - ratio) / ratio;
  return `noisy: the ratio's 95% interval reaches ±${(spread * 100).toFixed(1)}% of it, ` +
    `expected within ±${NOISY_RATIO * 100}%`;
}

/** A paired ratio with its interval, e.g. `0.853 [0.821, 0.874]`. */
export function formatRatio(
  p: { ratioMedian: number; ratioCI95: readonly [number, number] },
): string {
  const f = (x: number) => x.toFixed(3);
  return `${f(p.ratioMedian)} [${f(p.ratioCI95[0])}, ${f(p.ratioCI95[1])}]`;
}
