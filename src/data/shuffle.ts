/**
 * Seeded random permutations for shuffling a dataset each epoch.
 *
 * @module
 */

import type { Rng } from "./rng.ts";

/**
 * Returns a uniformly random permutation of `0..n-1` (Fisher–Yates), deterministic for a given
 * generator state.
 *
 * @example Usage
 * ```ts
 * import { permutation } from "./shuffle.ts";
 * import { Rng } from "./rng.ts";
 *
 * const order = permutation(5, new Rng(1));
 * console.log([...order].sort()); // [ 0, 1, 2, 3, 4 ]
 * ```
 *
 * @param n Length, an integer from 0 to 2^31-1.
 * @param rng The generator; it is advanced by `n - 1` or more draws.
 * @returns The permutation.
 * @throws {RangeError} When `n` is out of range.
 */
export function permutation(n: number, rng: Rng): Int32Array {
  if (!(Number.isInteger(n) && n >= 0 && n <= 0x7fffffff)) {
    throw new RangeError(`n: expected an integer from 0 to 2^31-1, found ${n}`);
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const tmp = out[i];
    out[i] = out[j];
    out[j] = tmp;
  }
  return out;
}
