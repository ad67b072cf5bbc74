/**
 * How closely two runs trained the same computation: the per-step losses of ours and of its
 * baseline side by side (same seed, same batch order), the largest difference in the timed window
 * and in each epoch, and the first step where they part by more than {@linkcode LOSS_PARTING}.
 * Pure.
 *
 * @module
 */
import type { Run } from "../result/mod.ts";

/** Loss difference from which two runs count as parted. */
export const LOSS_PARTING = 1e-3;

/** Where a step is: the window's step or an epoch's, 1-based. */
export interface StepPlace {
  /** `"window"` or the 1-based epoch number. */
  stage: "window" | number;
  /** 1-based step within it. */
  step: number;
  /** Our loss there. */
  ours: number;
  /** The baseline's loss there. */
  baseline: number;
}

/** The agreement of two runs' per-step losses. */
export interface LossAgreement {
  /** Largest |ours − baseline| over the window's steps compared, and how many, or null. */
  window: { maxAbsDiff: number; steps: number } | null;
  /** Per epoch both recorded: its number, the largest difference and the steps compared. */
  epochs: { epoch: number; maxAbsDiff: number; steps: number }[];
  /** The first step whose losses differ by more than {@linkcode LOSS_PARTING}, or null. */
  firstParting: StepPlace | null;
}

/** Largest |a − b| over the common prefix (NaN on either side counts as infinitely apart). */
function compare(a: readonly number[], b: readonly number[], stage: StepPlace["stage"]) {
  const steps = Math.min(a.length, b.length);
  let maxAbsDiff = 0;
  let parting: StepPlace | null = null;
  for (let i = 0; i < steps; i++) {
    const diff = Number.isNaN(a[i]) || Number.isNaN(b[i]) ? Infinity : Math.abs(a[i] - b[i]);
    maxAbsDiff = Math.max(maxAbsDiff, diff);
    if (parting === null && diff > LOSS_PARTING) {
      parting = { stage, step: i + 1, ours: a[i], baseline: b[i] };
    }
  }
  return { maxAbsDiff, steps, parting };
}

/**
 * The agreement of `run`'s per-step losses with a baseline's (default: its first), or null when
 * the two have no per-step losses in common (no baseline, or results from before they were
 * recorded).
 */
export function lossAgreement(
  run: Run,
  base: Run | null = run.baseline,
): LossAgreement | null {
  if (!base) return null;
  let firstParting: StepPlace | null = null;
  let window: LossAgreement["window"] = null;
  if (run.stepLosses?.length && base.stepLosses?.length) {
    const c = compare(run.stepLosses, base.stepLosses, "window");
    window = { maxAbsDiff: c.maxAbsDiff, steps: c.steps };
    firstParting = c.parting;
  }
  const epochs: LossAgreement["epochs"] = [];
  for (const e of run.epochs) {
    const b = base.epochs.find((x) => x.epoch === e.epoch);
    if (!e.stepLosses?.length || !b?.stepLosses?.length) continue;
    const c = compare(e.stepLosses, b.stepLosses, e.epoch);
    epochs.push({ epoch: e.epoch, maxAbsDiff: c.maxAbsDiff, steps: c.steps });
    firstParting ??= c.parting;
  }
  if (window === null && epochs.length === 0) return null;
  return { window, epochs, firstParting };
}
