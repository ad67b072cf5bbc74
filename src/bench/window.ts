/**
 * The timed window: warm-up steps, then timed steps, on a fresh model, each step timed between
 * device synchronisations; stops early at a step boundary when the {@linkcode Stopper} says so.
 *
 * @module
 */
import { Generator, type Tensor } from "../ffi/mod.ts";
import type { BatchRange } from "../data/mod.ts";
import type { RunPlan } from "./plan.ts";
import type { Progress } from "./progress.ts";
import { showProgress, timeStep } from "./steps.ts";
import type { Stopper } from "./stop.ts";
import { type DeviceData, Trainer } from "./train.ts";

/** The window's step times in milliseconds. */
export interface WindowTimes {
  /** Each warm-up step. */
  warmupMs: number[];
  /** Each timed step. */
  timedMs: number[];
  /** Each step's loss, warm-up steps first (as scripts/pytorch_baseline.py reports them). */
  losses: number[];
}

/** Steps over epochs of a seeded order, wrapping to a new permutation when one ends (the paired window reuses it). */
export class StepFeed {
  #trainer: Trainer;
  #gen: Generator;
  #order: Tensor | null = null;
  #ranges: BatchRange[];
  #i = 0;
  /** Feeds `trainer` the batches `ranges` of permutations drawn from Generator(seed). */
  constructor(trainer: Trainer, seed: number, ranges: BatchRange[]) {
    this.#trainer = trainer;
    this.#gen = new Generator(seed);
    this.#ranges = ranges;
  }
  /** The next batch: the current permutation and the range in it. */
  next(): [Tensor, BatchRange] {
    if (this.#order === null || this.#i >= this.#ranges.length) {
      this.#order?.dispose();
      this.#order = this.#trainer.epochOrder(this.#gen);
      this.#i = 0;
    }
    return [this.#order, this.#ranges[this.#i++]];
  }
  /** Frees the permutation and the generator. */
  dispose(): void {
    this.#order?.dispose();
    this.#gen.dispose();
  }
}

/** Runs the plan's timed window (none when the plan has none). */
export function timeWindow(
  plan: RunPlan,
  data: DeviceData,
  hooks: { stop: Stopper; progress: Progress | null },
): WindowTimes {
  const times: WindowTimes = { warmupMs: [], timedMs: [], losses: [] };
  if (plan.window === null) return times;
  const { warmup, steps } = plan.window;
  const { batchSize, seed } = plan.config;
  const trainer = new Trainer(data, plan.trainer);
  const feed = new StepFeed(trainer, seed, trainer.batchRanges());
  const startMs = performance.now();
  try {
    for (let i = 0; i < warmup + steps && !hooks.stop.atStep(`timed window step ${i}`); i++) {
      const [order, range] = feed.next();
      const ms = timeStep(trainer, { order, range, device: plan.device });
      (i < warmup ? times.warmupMs : times.timedMs).push(ms);
      times.losses.push(trainer.lastLoss());
      const label = i < warmup ? "warm-up" : "timed";
      showProgress(hooks.progress, trainer, {
        label,
        step: i + 1,
        steps: warmup + steps,
        startMs,
        batchSize,
      });
    }
  } finally {
    hooks.progress?.done();
    feed.dispose();
    trainer.dispose();
  }
  return times;
}
