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
import { z } from "zod";
import { type BenchConfig, benchResultSchema } from "../result/mod.ts";
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

const count = z.int().nonnegative();
const seconds = z.number().nonnegative();
/**
 * The recipe a checkpoint belongs to, the configuration's fields a resumed run must share
 * (`precision`: absent from checkpoints made before it was recorded, which are not checked).
 */
const recipeSchema = benchResultSchema.shape.config.pick({
  batchSize: true,
  lr: true,
  seed: true,
  data: true,
  clipGradNorm: true,
}).extend({ precision: benchResultSchema.shape.config.shape.precision.optional() });
/** A checkpoint's metadata, JSON under the safetensors metadata key `checkpoint`. */
const metaSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  recipe: recipeSchema,
  /** Where training stands (but for the data order's state, a tensor of its own). */
  position: z.object({
    /** 0-based epoch in progress (or next to start when stepInEpoch is 0). */
    epochIndex: count,
    /** Steps already done in that epoch. */
    stepInEpoch: count,
    /** Sum of the step losses done in that epoch (float32, as accumulated; JSON null: NaN). */
    runningLoss: z.number().nullable().transform((loss) => loss ?? NaN),
    /** Seconds already spent in that epoch. */
    epochSeconds: seconds,
    /** That epoch's step losses so far, where they were read (absent in older checkpoints). */
    stepLosses: benchResultSchema.shape.runs.element.shape.epochs.element.shape.stepLosses,
    /** Epochs finished so far. */
    epochs: benchResultSchema.shape.runs.element.shape.epochs,
    /** Seconds on the time-to-accuracy clock so far. */
    elapsedSeconds: seconds,
    /** Time to target, once reached. */
    timeToTargetSeconds: seconds.nullable(),
  }),
  /** Adam steps taken. */
  adamSteps: count,
  /** When it was written. */
  createdAt: z.string(),
});

/** The recipe a checkpoint belongs to; a resumed run must use the same. */
export type Recipe = z.output<typeof recipeSchema>;

/**
 * Where training stands, with the data order's generator state (libtorch's CPU generator state
 * bytes) before that epoch's permutation was drawn.
 */
export type TrainingPosition = z.output<typeof metaSchema>["position"] & {
  orderBefore: Uint8Array;
};

/** A checkpoint's metadata. */
export type CheckpointMeta = Omit<z.output<typeof metaSchema>, "position"> & {
  position: TrainingPosition;
};

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
  return recipeSchema.parse(config);
}

/** Writes a checkpoint of `trainer` at `position` to `path`. */
export function saveCheckpoint(
  path: string,
  trainer: Trainer,
  meta: Omit<CheckpointMeta, "format" | "adamSteps" | "createdAt">,
): void {
  const full: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    adamSteps: trainer.optimizer.stepCount,
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
  const { tensors, metadata } = asCheckpointError(() => loadNamed(path), "--resume ");
  try {
    const meta = readMeta(metadata.checkpoint, `--resume ${path}`);
    for (const key of Object.keys(recipe) as (keyof Recipe)[]) {
      if (key in meta.recipe && meta.recipe[key] !== recipe[key]) {
        throw new CheckpointError(
          `--resume ${path}: the checkpoint was made with ${key} ${
            JSON.stringify(meta.recipe[key])
          }, this run has ${JSON.stringify(recipe[key])}`,
        );
      }
    }
    const { cpu, order, state } = splitGenerators(tensors, path);
    asCheckpointError(() =>
      trainer.withNamedState((named) => assignNamed(named, state, `--resume ${path}`))
    );
    trainer.optimizer.stepCount = meta.adamSteps; // Adam's bias correction
    setRngState(cpu);
    return { ...meta, position: { ...meta.position, orderBefore: toHost(order) as Uint8Array } };
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/** `f()`, with a {@linkcode WeightsError} it throws thrown as a CheckpointError. */
function asCheckpointError<T>(f: () => T, prefix = ""): T {
  try {
    return f();
  } catch (e) {
    throw e instanceof WeightsError ? new CheckpointError(prefix + e.message) : e;
  }
}

/** A checkpoint's metadata from its JSON text, checked against {@linkcode metaSchema}. */
function readMeta(json: string | undefined, where: string): z.output<typeof metaSchema> {
  let value;
  try {
    value = JSON.parse(json ?? "null");
  } catch {
    throw new CheckpointError(`${where}: expected checkpoint metadata, found unparsable JSON`);
  }
  if (value?.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(
      `${where}: expected a ${CHECKPOINT_FORMAT} file, found ${
        value === null ? "no checkpoint metadata" : value.format
      }${value?.format === OLD_FORMAT ? OLD_FORMAT_NOTE : ""}`,
    );
  }
  const parsed = metaSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new CheckpointError(
    `${where}: invalid checkpoint metadata at ${issue.path.join(".")}: ${issue.message}`,
  );
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
