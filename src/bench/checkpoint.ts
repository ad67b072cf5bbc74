/**
 * Checkpoints: the model's weights, Adam's moments and step count, libtorch's CPU generator
 * (dropout) and the data order's generator, with the position in training — enough for a
 * resumed run to reproduce the uninterrupted run's losses. Stored as one .safetensors file whose
 * metadata holds the position as JSON; written to a temporary name and renamed.
 *
 * @module
 */
import {
  fromHost,
  type Generator,
  rngState,
  scope,
  setRngState,
  type Tensor,
  toHost,
} from "../ffi/mod.ts";
import { assignNamed, loadNamed, saveNamed, WeightsError } from "../model/mod.ts";
import type { BenchConfig, EpochRecord } from "./schema.ts";
import type { Trainer } from "./train.ts";

/**
 * Format tag of checkpoint files. /2: the data order is libtorch's randperm on a generator of its
 * own, whose state is the tensor {@linkcode ORDER_TENSOR}; /1 files held a xoshiro state that no
 * longer says which batches come next, so they cannot be resumed.
 */
export const CHECKPOINT_FORMAT = "googlenet-mnist-checkpoint/2";

/** The format before the data order moved to libtorch's randperm. */
const OLD_FORMAT = "googlenet-mnist-checkpoint/1";
const OLD_FORMAT_NOTE = " (made before the batch order came from libtorch's randperm: its data" +
  " order cannot be continued; start the run afresh)";

/** The checkpoint tensor holding libtorch's default CPU generator (dropout). */
const DEFAULT_RNG_TENSOR = "rng.cpu";
/** The checkpoint tensor holding {@linkcode TrainingPosition.orderBefore}. */
const ORDER_TENSOR = "rng.order";

/** Where training stands. */
export interface TrainingPosition {
  /** 0-based epoch in progress (or next to start when stepInEpoch is 0). */
  epochIndex: number;
  /** Steps already done in that epoch. */
  stepInEpoch: number;
  /**
   * The data order's generator state (libtorch's CPU generator state bytes) before that epoch's
   * permutation was drawn; stored as the tensor `rng.order`, not in the metadata.
   */
  orderBefore: Uint8Array;
  /** Sum of the step losses done in that epoch (float32, as accumulated). */
  runningLoss: number;
  /** Seconds already spent in that epoch. */
  epochSeconds: number;
  /** That epoch's step losses so far, where they were read (absent in older checkpoints). */
  stepLosses?: number[];
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
  const json = JSON.stringify(full, (k, v) => k === "orderBefore" ? undefined : v);
  scope(() => {
    const gens: [string, Tensor][] = [
      [DEFAULT_RNG_TENSOR, rngState()],
      [ORDER_TENSOR, bytesTensor(meta.position.orderBefore)],
    ];
    trainer.withNamedState((named) => saveNamed(path, [...named, ...gens], { checkpoint: json }));
  });
}

function bytesTensor(bytes: Uint8Array): Tensor {
  return fromHost(bytes, [bytes.length], { dtype: "uint8" });
}

/** A generator's state as bytes, for {@linkcode TrainingPosition.orderBefore}. */
export function orderState(gen: Generator): Uint8Array {
  return scope(() => toHost(gen.state()) as Uint8Array);
}

/** Puts a generator back at a state from {@linkcode orderState}. */
export function restoreOrder(gen: Generator, state: Uint8Array): void {
  scope(() => gen.setState(bytesTensor(state)));
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
        }${meta?.format === OLD_FORMAT ? OLD_FORMAT_NOTE : ""}`,
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
    const { cpu, order, state } = splitGenerators(tensors, path);
    try {
      trainer.withNamedState((named) => assignNamed(named, state, `--resume ${path}`));
    } catch (e) {
      if (e instanceof WeightsError) throw new CheckpointError(e.message);
      throw e;
    }
    trainer.adamSteps = meta.adamSteps;
    setRngState(cpu);
    meta.position.orderBefore = toHost(order) as Uint8Array;
    return meta;
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/**
 * A checkpoint's tensors split into the default CPU generator's state, the data order's and the
 * trainer's state (all the others).
 */
function splitGenerators(tensors: Map<string, Tensor>, path: string) {
  const state = new Map(tensors);
  const [cpu, order] = [DEFAULT_RNG_TENSOR, ORDER_TENSOR].map((name) => {
    const t = tensors.get(name);
    if (t === undefined) {
      throw new CheckpointError(`--resume ${path}: expected ${name}, found none`);
    }
    state.delete(name);
    return t;
  });
  return { cpu, order, state };
}
