/**
 * When a run stops early: an interrupt (SIGINT/SIGTERM) or the `--max-seconds` deadline, asked
 * at every step boundary and before every epoch. Pure: the signal and the clock are passed in.
 *
 * @module
 */

import type { StopSignal } from "../ffi/mod.ts";

/** Options of a {@linkcode Stopper}. */
export interface StopperOptions {
  /** The pending interrupt, polled at each step boundary (default: none). */
  signal?: () => StopSignal | null;
  /** Seconds the window and the epochs may take together, or null for no deadline. */
  maxSeconds?: number | null;
  /** Seconds since the run started (default: a clock started by the constructor). */
  elapsed?: () => number;
  /**
   * Makes a time every process of a data-parallel run decides on (the largest over the ranks;
   * every rank asks at the same boundaries), so that they stop at the same step: the elapsed
   * time and the last epoch's duration pass through it (default: each process's own).
   */
  agree?: (seconds: number) => number;
}

/** Decides, once, why a run stops early; {@linkcode Stopper.reason} says why. */
export class Stopper {
  /** `"SIGINT"`, `"SIGTERM"` or `"deadline: …"` once the run must stop, else null. */
  reason: string | null = null;
  readonly #signal: () => StopSignal | null;
  readonly #maxSeconds: number | null;
  readonly #elapsed: () => number;
  readonly #agree: (seconds: number) => number;

  /** Starts the deadline's clock (unless `options.elapsed` brings one). */
  constructor(options: StopperOptions = {}) {
    this.#signal = options.signal ?? (() => null);
    this.#maxSeconds = options.maxSeconds ?? null;
    const t0 = performance.now();
    const own = options.elapsed ?? (() => (performance.now() - t0) / 1000);
    this.#agree = options.agree ?? ((s) => s);
    this.#elapsed = () => this.#agree(own());
  }

  /** The interrupt received, if any (a deadline is not one). */
  get signal(): StopSignal | null {
    return this.reason === "SIGINT" || this.reason === "SIGTERM" ? this.reason : null;
  }

  /** Whether the run must stop before a step; `where` ("epoch 3 step 120") names it in a reason. */
  atStep(where: string): boolean {
    if (this.reason !== null) return true;
    const signal = this.#signal();
    if (signal !== null) this.reason = signal;
    else if (this.#maxSeconds !== null && this.#elapsed() >= this.#maxSeconds) {
      this.reason = `deadline: --max-seconds ${this.#maxSeconds} passed at ${where}`;
    }
    return this.reason !== null;
  }

  /**
   * Asked before epoch `epoch` starts; true when the run must stop, also when the last epoch's
   * duration (`lastEpochSeconds`, null before the first) says this one will not fit.
   */
  beforeEpoch(epoch: number, lastEpochSeconds: number | null): boolean {
    if (this.atStep(`the start of epoch ${epoch}`)) return true;
    if (this.#maxSeconds === null || lastEpochSeconds === null) return false;
    const last = this.#agree(lastEpochSeconds);
    const left = this.#maxSeconds - this.#elapsed();
    if (last <= left) return false;
    this.reason = `deadline: epoch ${epoch} (≈${last.toFixed(0)} s) would not fit ` +
      `in the ${Math.max(0, left).toFixed(0)} s left`;
    return true;
  }
}
