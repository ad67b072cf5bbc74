/**
 * How many training epochs fit in what is left of a time budget, estimated from step times
 * already measured: scripts/gpu-bench.sh uses it so that its long runs shrink to the time left
 * instead of running past the limit the whole script must keep.
 *
 * @module
 */

import type { BenchResult } from "./schema.ts";

/** Defaults of {@linkcode EpochBudget}'s optional fields. */
export const BUDGET_DEFAULTS = {
  /** Per process: runtime start, data load, model build, warm-up and capture, in seconds. */
  overheadSeconds: 20,
  /** Factor on the step-time estimate, for each epoch's evaluation and for jitter. */
  margin: 1.3,
} as const;

/** What {@linkcode epochsThatFit} weighs. */
export interface EpochBudget {
  /**
   * Median training step of each implementation that will train, one after the other, in ms
   * (this stack alone, or this stack then PyTorch).
   */
  stepMs: readonly number[];
  /** Training steps in one epoch (`ceil(training images / batch size)`). */
  stepsPerEpoch: number;
  /** Epochs wanted when the time allows. */
  wantedEpochs: number;
  /** Seconds left in the budget. */
  remainingSeconds: number;
  /** Per process: start, data load, warm-up, in seconds (default 20). */
  overheadSeconds?: number;
  /** Factor on the step-time estimate for evaluation and jitter, at least 1 (default 1.3). */
  margin?: number;
}

/** {@linkcode epochsThatFit}'s answer, with the estimate behind it. */
export interface EpochPlan {
  /** Epochs to train: `wantedEpochs`, fewer when they do not fit, 0 when not even one does. */
  epochs: number;
  /** Estimated seconds for one epoch of every implementation together, margin included. */
  secondsPerEpoch: number;
  /** Estimated seconds for the whole run with `epochs` epochs, overheads included. */
  estimatedSeconds: number;
}

function check(name: string, x: number, ok: boolean, expected: string): void {
  if (!ok) throw new RangeError(`epochsThatFit: expected ${name} ${expected}, found ${x}`);
}

/**
 * The most epochs, up to `wantedEpochs`, whose estimated time fits in `remainingSeconds`: each
 * implementation costs its overhead plus `epochs × stepsPerEpoch × stepMs × margin`.
 *
 * @param budget Measured step times, the epoch size, the wish and the time left.
 * @returns The epochs to train and the estimate behind the choice.
 *
 * @example Usage
 * ```ts
 * import { epochsThatFit } from "./budget.ts";
 * // 10 ms and 8 ms steps, 938 steps an epoch: about 22 s an epoch for both, with the margin.
 * epochsThatFit({ stepMs: [10, 8], stepsPerEpoch: 938, wantedEpochs: 10, remainingSeconds: 150 })
 *   .epochs; // 5
 * ```
 */
export function epochsThatFit(budget: EpochBudget): EpochPlan {
  const overhead = budget.overheadSeconds ?? BUDGET_DEFAULTS.overheadSeconds;
  const margin = budget.margin ?? BUDGET_DEFAULTS.margin;
  if (budget.stepMs.length === 0) {
    throw new RangeError("epochsThatFit: expected at least one step time, found none");
  }
  for (const ms of budget.stepMs) {
    check("each step time", ms, Number.isFinite(ms) && ms > 0, "to be a positive number of ms");
  }
  const { stepsPerEpoch: steps, wantedEpochs: wanted, remainingSeconds: left } = budget;
  check("stepsPerEpoch", steps, Number.isInteger(steps) && steps > 0, "to be a positive integer");
  check("wantedEpochs", wanted, Number.isInteger(wanted) && wanted > 0, "to be a positive integer");
  check("remainingSeconds", left, Number.isFinite(left), "to be finite");
  check("overheadSeconds", overhead, Number.isFinite(overhead) && overhead >= 0, "to be >= 0");
  check("margin", margin, Number.isFinite(margin) && margin >= 1, "to be >= 1");

  const secondsPerEpoch = budget.stepMs.reduce((sum, ms) => sum + ms, 0) * steps * margin / 1000;
  const fixed = overhead * budget.stepMs.length;
  const fit = Math.floor((left - fixed) / secondsPerEpoch);
  const epochs = Math.max(0, Math.min(wanted, fit));
  return { epochs, secondsPerEpoch, estimatedSeconds: fixed + epochs * secondsPerEpoch };
}

/**
 * The median step times {@linkcode epochsThatFit} needs, from a result whose runs timed a window:
 * every complete run of this stack, each followed by its PyTorch baseline when it has one.
 *
 * @param result A result, e.g. the window run before a longer run of the same flags.
 * @param options `withBaseline: false` leaves the baselines out (default: in).
 * @returns Median step times in ms, in the order the runs train.
 */
export function measuredStepMs(
  result: BenchResult,
  options: { withBaseline?: boolean } = {},
): number[] {
  return result.runs.filter((r) => r.complete).flatMap((r) => [
    r.stepMs.median,
    ...(options.withBaseline !== false && r.baseline?.complete ? [r.baseline.stepMs.median] : []),
  ]);
}
