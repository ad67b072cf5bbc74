/**
 * A small, seeded, resumable pseudo-random number generator (xoshiro128**), for the tests that
 * draw random inputs (the fuzz tests); the training draws its order from libtorch (src/ffi Generator).
 *
 * @module
 */

/** The complete, JSON-serialisable state of an {@linkcode Rng}. */
export interface RngState {
  /** Always `"xoshiro128**"`. */
  algorithm: "xoshiro128**";
  /** The four 32-bit state words, unsigned, not all zero. */
  s: [number, number, number, number];
}

const ALGORITHM = "xoshiro128**";
const TWO_POW_32 = 0x1_0000_0000;

/**
 * Seeded xoshiro128** generator. Its state is four uint32 words that can be saved with
 * {@linkcode Rng.prototype.state} and restored with {@linkcode Rng.fromState} to resume a run
 * exactly.
 *
 * @example Usage
 * ```ts
 * import { Rng } from "./_rng.ts";
 *
 * const rng = new Rng(42);
 * const saved = rng.state();
 * const a = rng.nextUint32();
 * console.log(Rng.fromState(saved).nextUint32() === a); // true
 * ```
 */
export class Rng {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  /**
   * Creates a generator whose four state words come from splitmix64 applied to `seed`.
   *
   * @param seed Any safe integer (negative seeds are taken modulo 2^64).
   * @throws {RangeError} When `seed` is not a safe integer.
   */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`seed: expected a safe integer, found ${seed}`);
    }
    let x = BigInt.asUintN(64, BigInt(seed));
    const words: number[] = [];
    while (words.length < 4) {
      x = BigInt.asUintN(64, x + 0x9e3779b97f4a7c15n);
      let z = x;
      z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
      z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
      z = z ^ (z >> 31n);
      words.push(Number(z & 0xffffffffn), Number(z >> 32n));
    }
    if (!words.some((w) => w !== 0)) words[0] = 1; // Unreachable in practice; keeps state valid.
    [this.#s0, this.#s1, this.#s2, this.#s3] = words;
  }

  /**
   * Restores a generator from a state saved with {@linkcode Rng.prototype.state}.
   *
   * @param state The saved state.
   * @returns A generator that continues exactly where the saved one was.
   * @throws {TypeError} When `state` is not a valid xoshiro128** state.
   */
  static fromState(state: RngState): Rng {
    const s = state?.s;
    if (
      state?.algorithm !== ALGORITHM || !Array.isArray(s) || s.length !== 4 ||
      !s.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32) || s.every((w) => w === 0)
    ) {
      throw new TypeError(
        `state: expected {algorithm: "${ALGORITHM}", s: four uint32 words, not all zero}, ` +
          `found ${JSON.stringify(state)}`,
      );
    }
    const rng = new Rng(0);
    [rng.#s0, rng.#s1, rng.#s2, rng.#s3] = s;
    return rng;
  }

  /**
   * Returns a copy of the current state; JSON-serialisable.
   *
   * @returns The state.
   */
  state(): RngState {
    return { algorithm: ALGORITHM, s: [this.#s0, this.#s1, this.#s2, this.#s3] };
  }

  /**
   * Returns the next 32-bit output and advances the state.
   *
   * @returns An integer in 0..2^32-1.
   */
  nextUint32(): number {
    const s1 = this.#s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    this.#s0 >>>= 0;
    this.#s1 >>>= 0;
    this.#s2 >>>= 0;
    this.#s3 >>>= 0;
    return result;
  }

  /**
   * Returns a uniformly distributed integer below `bound` (unbiased, by rejection).
   *
   * @param bound Exclusive upper bound, an integer from 1 to 2^32.
   * @returns An integer in 0..bound-1.
   * @throws {RangeError} When `bound` is out of range.
   */
  nextInt(bound: number): number {
    if (!(Number.isInteger(bound) && bound >= 1 && bound <= TWO_POW_32)) {
      throw new RangeError(`bound: expected an integer from 1 to 2^32, found ${bound}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % bound);
    while (true) {
      const x = this.nextUint32();
      if (x < limit) return x % bound;
    }
  }

  /**
   * Returns a uniformly distributed float in [0, 1) with 32 random bits.
   *
   * @returns A number in [0, 1).
   */
  nextFloat(): number {
    return this.nextUint32() / TWO_POW_32;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
