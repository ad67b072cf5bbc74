/**
 * Summary statistics for step timings.
 *
 * @module
 */

import type { Summary } from "./schema.ts";

/**
 * The `p`-quantile (`p` in [0, 1]) of a non-empty ascending sample, interpolating linearly
 * between the two nearest ranks (numpy's default `method="linear"`): of `[1, 2, 3, 4]`, 0.5 → 2.5.
 */
export function quantile(sorted: readonly number[], p: number): number {
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
export function median(samples: readonly number[]): number {
  return quantile([...samples].sort((a, b) => a - b), 0.5);
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
