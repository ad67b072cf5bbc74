/**
 * The shape of a paired window (baselines/paired.ts): warm-up steps on every side, then rounds of
 * one window per side, from `--steps`, `--rounds`, `--window-steps` and `--warmup`.
 *
 * @module
 */
import type { BenchConfig } from "../../result/mod.ts";

/** Default steps per side in each paired round with a baseline. */
export const DEFAULT_WINDOW_STEPS = 10;

/** The shape of a paired window: warm-up steps, then rounds of one window per side. */
export interface PairedShape {
  /** Untimed warm-up steps on every side. */
  warmup: number;
  /** Rounds. */
  rounds: number;
  /** Steps per side per round. */
  windowSteps: number;
}

/**
 * The paired window of `config`: `--rounds` (default: `--steps` over `--window-steps`, rounded
 * up) rounds of `--window-steps` steps per side (no more than `--steps` when `--rounds` is not
 * given), or null without a timed window.
 */
export function pairedShape(config: BenchConfig): PairedShape | null {
  if (config.steps === null) return null;
  const asked = config.windowSteps ?? DEFAULT_WINDOW_STEPS;
  const windowSteps = config.rounds == null ? Math.min(asked, config.steps) : asked;
  const rounds = config.rounds ?? Math.ceil(config.steps / windowSteps);
  return { warmup: config.warmup, rounds, windowSteps };
}
