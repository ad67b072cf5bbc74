/**
 * Splitting a dataset into mini-batches.
 *
 * @module
 */

/** A contiguous run of positions (into a permutation or a split). */
export interface BatchRange {
  /** First position. */
  start: number;
  /** Number of positions, from 1 to the batch size. */
  size: number;
}

/**
 * Splits `0..n-1` into consecutive batches of `batchSize`, keeping the last partial batch (as
 * PyTorch's `DataLoader(drop_last=False)`).
 *
 * @example Usage
 * ```ts
 * import { batchRanges } from "./batches.ts";
 *
 * console.log(batchRanges(5, 2)); // [ { start: 0, size: 2 }, { start: 2, size: 2 }, { start: 4, size: 1 } ]
 * ```
 *
 * @param n Number of items, a non-negative safe integer.
 * @param batchSize Items per batch, a positive safe integer.
 * @returns `ceil(n / batchSize)` ranges.
 * @throws {RangeError} When `n` or `batchSize` is out of range.
 */
export function batchRanges(n: number, batchSize: number): BatchRange[] {
  if (!(Number.isSafeInteger(n) && n >= 0)) {
    throw new RangeError(`n: expected a non-negative integer, found ${n}`);
  }
  if (!(Number.isSafeInteger(batchSize) && batchSize >= 1)) {
    throw new RangeError(`batchSize: expected a positive integer, found ${batchSize}`);
  }
  const out: BatchRange[] = [];
  for (let start = 0; start < n; start += batchSize) {
    out.push({ start, size: Math.min(batchSize, n - start) });
  }
  return out;
}
