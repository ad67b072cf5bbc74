/**
 * The single-rank reference of a data-parallel timed window: rank 0 trains a model of its own,
 * alone, at the same threads per rank and with the per-rank batch (the global batch over the
 * world size), one step after each step of the ranks, while the other ranks wait at a barrier.
 * The two measurements alternate step by step, so the host's drifts weigh on both alike.
 *
 * @module
 */
import { batchRanges } from "../../data/mod.ts";
import { type DataParallel, localBatchSize } from "../../dist/mod.ts";
import { type DeviceData, type RunPlan, StepFeed, timeStep, Trainer } from "../../train/mod.ts";

/** Rank 0's steps alone beside a data-parallel window (the other ranks only wait). */
export class SingleRank {
  /** Images per step: the per-rank batch. */
  readonly batchSize: number;
  /** Rank 0's timed steps alone, in milliseconds (empty on the other ranks). */
  readonly timedMs: number[] = [];
  readonly #dist: DataParallel;
  readonly #plan: RunPlan;
  readonly #trainer: Trainer | null = null;
  readonly #feed: StepFeed | null = null;

  /** On rank 0, builds the lone model (seeded as the ranks' was) and its batch order. */
  constructor(plan: RunPlan, on: { data: DeviceData; dist: DataParallel }) {
    const { data, dist } = on;
    this.#dist = dist;
    this.#plan = plan;
    this.batchSize = localBatchSize(plan.config.batchSize, dist.worldSize);
    if (dist.rank !== 0) return;
    this.#trainer = new Trainer(data, { ...plan.trainer, dist: null, batchSize: this.batchSize });
    const ranges = batchRanges(data.trainCount, this.batchSize);
    this.#feed = new StepFeed(this.#trainer, plan.config.seed, ranges);
  }

  /** Rank 0 trains one step alone (recorded when `timed`); every rank then meets at a barrier. */
  step(timed: boolean): void {
    if (this.#trainer !== null && this.#feed !== null) {
      const [order, range] = this.#feed.next();
      const ms = timeStep(this.#trainer, { order, range, device: this.#plan.device });
      if (timed) this.timedMs.push(ms);
    }
    this.#dist.barrier();
  }

  /** Frees the lone model and its order. */
  dispose(): void {
    this.#feed?.dispose();
    this.#trainer?.dispose();
  }
}
