/**
 * Worker protocol v1, declared once: a baseline (baselines/pytorch_baseline.py --serve, or the
 * libtorch C++ program native/build/googlenet_worker --serve) runs as a long-lived process driven
 * over stdin/stdout with one JSON object per line (stderr is free for logs).
 *
 * Started as `<program> --serve --data DIR --device cpu|cuda --threads N --batch-size B --lr LR
 * --seed S [--tf32]`, a worker loads the MNIST IDX files, builds the seed's GoogLeNet after
 * seeding the default generator with S, Adam(LR), and the batch order (torch.randperm(60000) on a
 * CPU generator of its own seeded with S, a new permutation per epoch), then prints
 * the ready line (`readySchema` below). Each command line on stdin (`commandSchema`) is
 * answered by exactly one line: `{"op":"steps","n":K}` runs the next K training steps (the batch
 * order continuing across calls), each timed between device synchronisations, and replies
 * `stepsReplySchema`; `{"op":"quit"}` replies `{"bye":true}` and exits 0; anything else
 * is answered by `errorReplySchema` and the worker keeps serving. A fatal failure prints
 * an error line and exits 1; EOF on stdin means quit.
 *
 * Each command has a deadline (`WorkerDeadline`: a generous floor plus a multiple of the time the
 * command is expected to take, from the caller's estimate and the worker's slowest step so far);
 * a worker that misses it, or the ready line's, is ended by the client (worker.ts) as
 * worker_child.ts ends one (SIGTERM to its process group, SIGKILL after a grace period, no wait on
 * its stderr) and reported.
 *
 * @module
 */
import { z } from "zod";
import { CHOICES, type Device } from "../../result/mod.ts";

/**
 * The worker's first line: it is ready, and what it is.
 *
 * @internal
 */
export const readySchema = z.object({
  ready: z.literal(true),
  implementation: z.enum(CHOICES.implementation),
  /** The torch (or libtorch) release, e.g. `"1.13.1"`. */
  version: z.string(),
  /** CPU model or GPU name. */
  deviceName: z.string(),
  /** Intra-op threads in use. */
  threads: z.number().int().positive(),
  /** The PyTorch worker's recipe (baselines/pytorch_recipes.py); absent from the C++ worker. */
  recipe: z.string().optional(),
});

/**
 * A command on the worker's stdin.
 *
 * @internal
 */
export const commandSchema = z.discriminatedUnion("op", [
  z.object({ op: z.literal("steps"), n: z.number().int().positive() }),
  z.object({ op: z.literal("quit") }),
]);

/**
 * The reply to `steps`: each step's milliseconds and loss (a NaN loss is written null).
 *
 * @internal
 */
export const stepsReplySchema = z.object({
  stepMs: z.array(z.number()),
  losses: z.array(z.number().nullable().transform((x) => x ?? NaN)),
});

/**
 * The reply to `quit`.
 *
 * @internal
 */
export const byeReplySchema = z.object({ bye: z.literal(true) });

/**
 * The reply to a command the worker could not run.
 *
 * @internal
 */
export const errorReplySchema = z.object({ error: z.string() });

/** The ready line's content. */
export type WorkerReady = typeof readySchema["_zod"]["output"];
/** A command. */
export type WorkerCommand = typeof commandSchema["_zod"]["input"];
/** A `steps` reply. */
export type StepsReply = typeof stepsReplySchema["_zod"]["output"];

/** A worker that failed, answered an error, broke the protocol or died. */
export class WorkerError extends Error {
  /** Creates a worker error with a one-line message. */
  constructor(message: string) {
    super(message);
    this.name = "WorkerError";
  }
}

/** The training configuration a worker is started with. */
export interface WorkerConfig {
  /** Folder of the four MNIST IDX files. */
  dataDir: string;
  /** Device. */
  device: Device;
  /** Intra-op threads. */
  threads: number;
  /** Images per step. */
  batchSize: number;
  /** Adam's learning rate. */
  lr: number;
  /** Seed of the model's initialisation and of the batch order. */
  seed: number;
  /** Allow TF32 on CUDA. */
  tf32: boolean;
}

/** The protocol's command line after the program and its own leading arguments. */
export function serveArgs(config: WorkerConfig): string[] {
  const args = ["--serve", "--data", config.dataDir, "--device", config.device];
  args.push("--threads", String(config.threads), "--batch-size", String(config.batchSize));
  args.push("--lr", String(config.lr), "--seed", String(config.seed));
  return config.tf32 ? [...args, "--tf32"] : args;
}

/** How long a worker may take to answer: see {@linkcode commandDeadlineMs}. */
export interface WorkerDeadline {
  /** Milliseconds every command gets beyond its expected time (default 60 000). */
  floorMs: number;
  /** The multiple of a command's expected time it gets on top of the floor (default 10). */
  factor: number;
  /** Milliseconds the ready line may take: importing torch, loading the data (default 300 000). */
  readyMs: number;
}

/** The default {@linkcode WorkerDeadline}: generous, so that only a hung worker meets it. */
export const DEFAULT_WORKER_DEADLINE: WorkerDeadline = {
  floorMs: 60_000,
  factor: 10,
  readyMs: 300_000,
};

/**
 * The deadline of a command expected to take `expectedMs`: the floor plus `factor` times it. A
 * worker that misses it is ended (its whole process group) and reported.
 */
export function commandDeadlineMs(deadline: WorkerDeadline, expectedMs: number): number {
  return deadline.floorMs + deadline.factor * Math.max(0, expectedMs);
}
