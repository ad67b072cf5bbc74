/**
 * Which baselines one device's run has, chosen in one place before anything runs: the baselines
 * paired with ours in the timed window (paired.ts), and the one that trains its own epochs once
 * ours has finished: PyTorch alone (baseline.ts) or PyTorch DDP beside our ranks
 * (ddp_baseline.ts). Pure: no libtorch, no process started.
 *
 * @module
 */
import type { BaselineName, BenchConfig } from "../../result/mod.ts";

/** The baseline that trains its own epochs after our run: PyTorch alone, PyTorch DDP, or none. */
export type EpochsBaseline = "pytorch" | "pytorch-ddp" | null;

/** What {@linkcode chooseBaselines} reads besides the configuration. */
export interface BaselineContext {
  /** Whether the run has a timed window (`--steps`). */
  window: boolean;
  /** Whether the run has evaluated epochs (`--epochs`). */
  epochs: boolean;
  /** This process's rank of a data-parallel run, or null for a run on one process. */
  rank: number | null;
  /** Whether the baseline was chosen by default (default_baseline.ts), not by `--baseline`. */
  defaultBaseline: boolean;
}

/** The baselines of one device's run. */
export interface BaselineChoice {
  /** The baselines timed in the paired window beside ours, in the order asked (empty: none). */
  paired: BaselineName[];
  /** The baseline that trains its epochs once our run has finished without a stop. */
  epochs: EpochsBaseline;
  /** Why asked-for baselines sit out the run, known before it starts. */
  notes: string[];
  /** Notes that hold once our run has finished without a stop. */
  finishedNotes: string[];
}

/**
 * Why the worker-only baselines (all but `pytorch`, which has its epochs run) sit out a run
 * without a timed window.
 */
function unpairedNotes(names: readonly BaselineName[], window: boolean): string[] {
  if (window) return [];
  return names.filter((n) => n !== "pytorch").map((n) =>
    `${n} baseline skipped: it runs only paired with a timed window (give --steps)`
  );
}

/**
 * The baselines of one device's run. One process: the `--baseline` names are paired in the timed
 * window, and `pytorch` also trains its epochs, unless the run has a window and no epochs, or the
 * baseline was only chosen by default (then it is timed in the paired window only). Data-parallel
 * ranks: no paired window; rank 0 runs PyTorch DDP when `--baseline` names `pytorch`.
 */
export function chooseBaselines(config: BenchConfig, context: BaselineContext): BaselineChoice {
  const asked = config.baseline ?? [];
  const names = context.rank === null ? asked : [];
  const paired = context.window ? [...names] : [];
  const windowOnly = paired.length > 0 && context.defaultBaseline; // PyTorch's epochs skipped
  const ownEpochs = names.includes("pytorch") && (paired.length === 0 || context.epochs) &&
    !windowOnly;
  const ddp = context.rank === 0 && asked.includes("pytorch");
  const epochs: EpochsBaseline = ownEpochs ? "pytorch" : ddp ? "pytorch-ddp" : null;
  const finishedNotes = windowOnly && context.epochs
    ? [
      "PyTorch's epochs skipped: the default baseline is timed in the paired window only " +
      "(give --baseline pytorch to train its epochs too)",
    ]
    : [];
  return { paired, epochs, notes: unpairedNotes(names, context.window), finishedNotes };
}
