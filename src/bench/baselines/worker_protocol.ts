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
import { parseArgs } from "node:util";
import { z } from "zod";
import { CHOICES } from "../../result/mod.ts";

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

/**
 * The training configuration a worker is started with: each field's flag and value, declared
 * once for {@linkcode serveArgs} (which writes them) and {@linkcode parseServeArgs} (which reads
 * them back, in our own worker).
 *
 * @internal
 */
export const workerConfigSchema = z.object({
  /** `--data`: folder of the four MNIST IDX files. */
  dataDir: z.string().min(1),
  /** `--device`. */
  device: z.enum(CHOICES.device),
  /** `--threads`: intra-op threads. */
  threads: z.coerce.number().int().positive(),
  /** `--batch-size`: images per step. */
  batchSize: z.coerce.number().int().positive(),
  /** `--lr`: Adam's learning rate. */
  lr: z.coerce.number().positive(),
  /** `--seed`: seed of the model's initialisation and of the batch order. */
  seed: z.coerce.number().int().nonnegative(),
  /** `--tf32`: allow TF32 on CUDA. */
  tf32: z.boolean(),
});

/** The training configuration a worker is started with. */
export type WorkerConfig = typeof workerConfigSchema["_zod"]["output"];

/** Each valued field's flag, in the command line's order (`--tf32` is a switch). */
const SERVE_FLAGS = {
  dataDir: "data",
  device: "device",
  threads: "threads",
  batchSize: "batch-size",
  lr: "lr",
  seed: "seed",
} as const satisfies Record<Exclude<keyof WorkerConfig, "tf32">, string>;

const fields = Object.keys(SERVE_FLAGS) as (keyof typeof SERVE_FLAGS)[];

/** The protocol's command line after the program and its own leading arguments. */
export function serveArgs(config: WorkerConfig): string[] {
  const args = ["--serve", ...fields.flatMap((f) => [`--${SERVE_FLAGS[f]}`, String(config[f])])];
  return config.tf32 ? [...args, "--tf32"] : args;
}

/**
 * A worker's side of {@linkcode serveArgs}: the configuration in `args` (which must hold
 * `--serve`), and the options before or after it that are the program's own (e.g. `--recipe`).
 *
 * @throws {Error} Naming the flag and what was expected when one is missing or bad.
 */
export function parseServeArgs(
  args: string[],
  own: Record<string, { type: "string" | "boolean" }> = {},
): { config: WorkerConfig; own: Record<string, string | boolean | undefined> } {
  const valued = Object.fromEntries(fields.map((f) => [SERVE_FLAGS[f], { type: "string" }]));
  const values: Record<string, string | boolean | undefined> = parseArgs({
    args,
    options: { ...own, ...valued, serve: { type: "boolean" }, tf32: { type: "boolean" } },
  }).values;
  if (!values.serve) throw new Error(`expected --serve, found ${args.join(" ")}`);
  const raw = Object.fromEntries(fields.map((f) => [f, values[SERVE_FLAGS[f]]]));
  const parsed = workerConfigSchema.safeParse({ ...raw, tf32: values.tf32 ?? false });
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    const flag = SERVE_FLAGS[issue.path[0] as keyof typeof SERVE_FLAGS];
    throw new Error(`--${flag}: ${issue.message}, found ${JSON.stringify(values[flag])}`);
  }
  return {
    config: parsed.data,
    own: Object.fromEntries(Object.keys(own).map((k) => [k, values[k]])),
  };
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
