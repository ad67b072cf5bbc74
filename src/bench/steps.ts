/**
 * What the timed window and the epochs share: a step timed between device synchronisations,
 * and the progress line.
 *
 * @module
 */
import { synchronize, type Tensor } from "../ffi/mod.ts";
import type { BatchRange } from "../data/mod.ts";
import type { Progress, ProgressState } from "./progress.ts";
import { torchDevice, type Trainer } from "./train.ts";
import type { Device } from "./schema.ts";

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
