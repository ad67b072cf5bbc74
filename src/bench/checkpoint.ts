/**
 * Checkpoints: the model's weights, Adam's moments and step count, libtorch's CPU generator
 * (dropout) and the data order's generator, with the position in training — enough for a
 * resumed run to reproduce the uninterrupted run's losses. Stored as one .safetensors file whose
 * metadata holds the position as JSON; written to a temporary name and renamed.
 *
 * @module
 */
import { rngState, setRngState } from "../ffi/mod.ts";
import type { RngState } from "../data/mod.ts";
import { assignNamed, loadNamed, saveNamed, WeightsError } from "../model/mod.ts";
import type { BenchConfig, EpochRecord } from "./schema.ts";
import type { Trainer } from "./train.ts";

/** Format tag of checkpoint files. */
export const CHECKPOINT_FORMAT = "googlenet-mnist-checkpoint/1";

/** Where training stands. */
export interface TrainingPosition {
  /** 0-based epoch in progress (or next to start when stepInEpoch is 0). */
  epochIndex: number;
  /** Steps already done in that epoch. */
  stepInEpoch: number;
  /** The data-order generator's state before that epoch's permutation was drawn. */
  rngBefore: RngState;
  /** Sum of the step losses done in that epoch (float32, as accumulated). */
  runningLoss: number;
  /** Seconds already spent in that epoch. */
  epochSeconds: number;
  /** Epochs finished so far. */
  epochs: EpochRecord[];
  /** Seconds on the time-to-accuracy clock so far. */
  elapsedSeconds: number;
  /** Time to target, once reached. */
  timeToTargetSeconds: number | null;
}

/** The recipe a checkpoint belongs to; a resumed run must use the same. */
export interface Recipe {
  /** Images per step. */
  batchSize: number;
  /** Learning rate. */
  lr: number;
  /** Seed. */
  seed: number;
  /** Data set. */
  data: string;
  /** Gradient clipping. */
  clipGradNorm: number | null;
}

/** A checkpoint's metadata. */
export interface CheckpointMeta {
  /** {@linkcode CHECKPOINT_FORMAT}. */
  format: string;
  /** The recipe. */
  recipe: Recipe;
  /** Where training stands. */
  position: TrainingPosition;
  /** Adam steps taken. */
  adamSteps: number;
  /** When it was written. */
  createdAt: string;
}

/** A checkpoint that does not fit this run or cannot be read. */
export class CheckpointError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "CheckpointError";
  }
}

/** The recipe fields of a configuration. */
export function recipeOf(config: BenchConfig): Recipe {
  return {
    batchSize: config.batchSize,
    lr: config.lr,
    seed: config.seed,
    data: config.data,
    clipGradNorm: config.clipGradNorm,
  };
}

/** Writes a checkpoint of `trainer` at `position` to `path`. */
export function saveCheckpoint(
  path: string,
  trainer: Trainer,
  meta: Omit<CheckpointMeta, "format" | "adamSteps" | "createdAt">,
): void {
  const full: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    adamSteps: trainer.adamSteps,
    createdAt: new Date().toISOString(),
    ...meta,
  };
  const gen = rngState();
  try {
    trainer.withNamedState((named) =>
      saveNamed(path, [...named, ["rng.cpu", gen]], { checkpoint: JSON.stringify(full) })
    );
  } finally {
    gen.dispose();
  }
}

/** Reads a checkpoint's metadata and restores it into `trainer`; the recipe must match. */
export function loadCheckpoint(path: string, trainer: Trainer, recipe: Recipe): CheckpointMeta {
  if (!path.endsWith(".safetensors")) {
    throw new CheckpointError(`${path}: expected a .safetensors checkpoint`);
  }
  let loaded;
  try {
    loaded = loadNamed(path);
  } catch (e) {
    if (e instanceof WeightsError) throw new CheckpointError(`--resume ${e.message}`);
    throw e;
  }
  const { tensors, metadata } = loaded;
  try {
    let meta: CheckpointMeta;
    try {
      meta = JSON.parse(metadata.checkpoint ?? "null");
    } catch {
      throw new CheckpointError(
        `--resume ${path}: expected checkpoint metadata, found unparsable JSON`,
      );
    }
    if (meta === null || meta.format !== CHECKPOINT_FORMAT) {
      throw new CheckpointError(
        `--resume ${path}: expected a ${CHECKPOINT_FORMAT} file, found ${
          meta === null ? "no checkpoint metadata" : meta.format
        }`,
      );
    }
    for (const key of Object.keys(recipe) as (keyof Recipe)[]) {
      if (meta.recipe[key] !== recipe[key]) {
        throw new CheckpointError(
          `--resume ${path}: the checkpoint was made with ${key} ${
            JSON.stringify(meta.recipe[key])
          }, ` +
            `this run has ${JSON.stringify(recipe[key])}`,
        );
      }
    }
    const gen = tensors.get("rng.cpu");
    if (gen === undefined) {
      throw new CheckpointError(`--resume ${path}: expected rng.cpu, found none`);
    }
    const state = new Map(tensors);
    state.delete("rng.cpu");
    try {
      trainer.withNamedState((named) => assignNamed(named, state, `--resume ${path}`));
    } catch (e) {
      if (e instanceof WeightsError) throw new CheckpointError(e.message);
      throw e;
    }
    trainer.adamSteps = meta.adamSteps;
    setRngState(gen);
    return meta;
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}
