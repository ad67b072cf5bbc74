/**
 * What the timed window, the paired window, the single-rank reference and the epochs share: a
 * step timed between device synchronisations, the progress line, and (but for the epochs) the
 * batches over epochs of a seeded order.
 *
 * @module
 */
import { Generator, synchronize, type Tensor } from "../ffi/mod.ts";
import type { BatchRange } from "../data/mod.ts";
import type { Progress, ProgressState } from "./progress.ts";
import { torchDevice, type Trainer } from "./train.ts";
import type { Device } from "../result/mod.ts";

/** Steps between loss reads shown by the progress bar (a read synchronises a GPU). */
export const PROGRESS_LOSS_EVERY = 25;

/** One training step's wall time in milliseconds, the device synchronised on both sides. */
export function timeStep(
  trainer: Trainer,
  batch: { order: Tensor; range: BatchRange; device: Device },
): number {
  const dev = torchDevice(batch.device);
  synchronize(dev);
  const t0 = performance.now();
  trainer.step(batch.order, batch.range);
  synchronize(dev);
  return performance.now() - t0;
}

/**
 * Shows the progress after `state.step` steps of a stage that started at `startMs`: every
 * {@linkcode PROGRESS_LOSS_EVERY} steps with the mean loss (read from the device, which waits
 * for it, so the clock is true), else without it.
 */
export function showProgress(
  progress: Progress | null,
  trainer: Trainer,
  state: ProgressState & { startMs: number; batchSize: number },
): void {
  if (progress === null) return;
  const { startMs, batchSize, ...shown } = state;
  // This process's own loss: only rank 0 shows progress, so no collective may be asked here.
  const loss = state.step % PROGRESS_LOSS_EVERY === 0
    ? trainer.localLossSum() / state.step
    : undefined;
  const elapsed = (performance.now() - startMs) / 1000;
  progress.update({
    ...shown,
    loss,
    imagesPerSecond: (state.step * batchSize) / elapsed,
    etaSeconds: (elapsed / state.step) * (state.steps - state.step),
  });
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
  /**
   * The next `n` steps, each timed between device synchronisations ({@linkcode timeStep}), and
   * each step's loss (read after its clock stops).
   */
  timedSteps(n: number, device: Device): { stepMs: number[]; losses: number[] } {
    const stepMs: number[] = [], losses: number[] = [];
    for (let i = 0; i < n; i++) {
      const [order, range] = this.next();
      stepMs.push(timeStep(this.#trainer, { order, range, device }));
      losses.push(this.#trainer.lastLoss());
    }
    return { stepMs, losses };
  }
  /** Frees the permutation and the generator. */
  dispose(): void {
    this.#order?.dispose();
    this.#gen.dispose();
  }
}
