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
 * a worker that misses it, or the ready line's, is ended as ./worker_child.ts ends one (SIGTERM
 * to its process group, SIGKILL after a grace period, no wait on its stderr) and reported.
 *
 * @module
 */
import { z } from "zod";
import { CHOICES, type Device } from "../result/schema.ts";
import {
  drainStderr,
  endWorker,
  followStderr,
  linesOf,
  spawnWorker,
  type StderrTail,
  within,
} from "./worker_child.ts";

export { linesOf } from "./worker_child.ts";

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

/** A running worker: {@linkcode startWorker} makes one. */
export class Worker {
  /** What the worker said it is. */
  readonly ready: WorkerReady;
  /** The worker's name in messages, e.g. `"pytorch worker"`. */
  readonly name: string;
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #lines: AsyncGenerator<string>;
  #stderr: StderrTail;
  #deadline: WorkerDeadline;
  #slowestStepMs = 0;

  /** @internal Use {@linkcode startWorker}. */
  constructor(child: Deno.ChildProcess, state: WorkerState & { ready: WorkerReady }) {
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    this.ready = state.ready;
    this.name = state.name;
    this.#lines = state.lines;
    this.#stderr = state.stderr;
    this.#deadline = state.deadline;
  }

  /**
   * Runs the next `n` training steps; their times and losses. `expectedMs` (e.g. `n` times our
   * side's step) and the worker's slowest step so far set the command's deadline.
   */
  async steps(n: number, expectedMs = 0): Promise<StepsReply> {
    const expected = Math.max(expectedMs, n * this.#slowestStepMs);
    const reply = await this.#ask({ op: "steps", n }, stepsReplySchema, expected);
    if (reply.stepMs.length !== n || reply.losses.length !== n) {
      throw new WorkerError(
        `${this.name}: expected ${n} step times and losses, found ${reply.stepMs.length} and ` +
          `${reply.losses.length}`,
      );
    }
    this.#slowestStepMs = Math.max(this.#slowestStepMs, ...reply.stepMs);
    return reply;
  }

  /** Asks the worker to quit and waits for it to exit (within the floor, then it is ended). */
  async quit(): Promise<void> {
    await this.#ask({ op: "quit" }, byeReplySchema, 0);
    await this.#stdin.close().catch(() => {});
    await within(this.#child.status, this.#deadline.floorMs); // it exits by itself, or is ended
    await endWorker(this.#child, this.#stderr);
  }

  /** Ends the worker without asking (after a failure); safe to call on an exited one. */
  async kill(): Promise<void> {
    try {
      this.#stdin.releaseLock();
    } catch { /* a write still pending: it fails when the worker ends */ }
    await this.#child.stdin.close().catch(() => {});
    await endWorker(this.#child, this.#stderr);
  }

  /** The reply to `command`, or a WorkerError when none comes within its deadline. */
  async #ask<T extends z.ZodType>(
    command: WorkerCommand,
    schema: T,
    expectedMs: number,
  ): Promise<z.output<T>> {
    const ms = commandDeadlineMs(this.#deadline, expectedMs);
    const reply = await within(this.#exchange(command, schema), ms);
    if (reply !== null) return reply.value;
    await this.kill();
    throw new WorkerError(
      `${this.name}: expected a reply to ${command.op} within ${seconds(ms)} s, found none; ` +
        "ended it (its process group)",
    );
  }

  async #exchange<T extends z.ZodType>(command: WorkerCommand, schema: T): Promise<z.output<T>> {
    const line = JSON.stringify(commandSchema.parse(command)) + "\n";
    try {
      await this.#stdin.write(new TextEncoder().encode(line));
    } catch {
      throw await deadWorker(this.name, this.#child, this.#stderr);
    }
    return await readReply(this.name, this.#next(), schema);
  }

  async #next(): Promise<string> {
    const { value, done } = await this.#lines.next();
    if (!done) return value;
    throw await deadWorker(this.name, this.#child, this.#stderr);
  }
}

/** What a worker's process is, beside its ready line. */
interface WorkerState {
  name: string;
  lines: AsyncGenerator<string>;
  stderr: StderrTail;
  deadline: WorkerDeadline;
}

const seconds = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 1 : 0);

/** The error of a worker that exited: its code and its last stderr lines. */
async function deadWorker(name: string, child: Deno.ChildProcess, stderr: StderrTail) {
  const status = await child.status;
  await drainStderr(stderr);
  const last = stderr.tail.length > 0 ? `; its last stderr lines: ${stderr.tail.join(" | ")}` : "";
  return new WorkerError(`${name} exited with code ${status.code}${last}`);
}

/** A reply line checked against `schema`; an error reply or a malformed line throws. */
async function readReply<T extends z.ZodType>(
  name: string,
  next: Promise<string>,
  schema: T,
): Promise<z.output<T>> {
  const line = await next;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new WorkerError(`${name}: expected a JSON line, found ${JSON.stringify(line)}`);
  }
  const error = errorReplySchema.safeParse(value);
  if (error.success) throw new WorkerError(`${name}: ${error.data.error}`);
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new WorkerError(
      `${name}: expected a reply with ${
        issue.path.join(".") || "its fields"
      } (${issue.message}), ` +
        `found ${JSON.stringify(line).slice(0, 200)}`,
    );
  }
  return parsed.data;
}

/** How to start a worker: the program and its arguments before the protocol's. */
export interface WorkerCommandLine {
  /** The executable. */
  program: string;
  /** Arguments before `--serve` (e.g. the script a Python runs). */
  args?: string[];
  /** Name in messages. Default `"<program> worker"`. */
  name?: string;
  /** Receives each stderr line. Default: dropped. */
  log?: (line: string) => void;
  /** Environment variables added to this process's (e.g. malloc.ts's `mallocEnv`). */
  env?: Record<string, string>;
  /** Deadlines, each part defaulting to {@linkcode DEFAULT_WORKER_DEADLINE}'s. */
  deadline?: Partial<WorkerDeadline>;
}

/** The worker's ready line, or a WorkerError when it exits, says something else, or is late. */
async function readyLine(child: Deno.ChildProcess, state: WorkerState): Promise<WorkerReady> {
  const { name, lines, stderr, deadline } = state;
  const first = await within(lines.next(), deadline.readyMs);
  if (first === null) {
    throw new WorkerError(
      `${name}: expected its ready line within ${seconds(deadline.readyMs)} s, found none`,
    );
  }
  if (first.value.done) throw await deadWorker(name, child, stderr);
  return await readReply(name, Promise.resolve(first.value.value), readySchema);
}

/**
 * Starts a worker (tied to this process: ./worker_child.ts) and waits for its ready line.
 *
 * @throws {WorkerError} When it cannot start, or exits, says something else or is late before
 * ready.
 */
export async function startWorker(
  command: WorkerCommandLine,
  config: WorkerConfig,
): Promise<Worker> {
  const name = command.name ?? `${command.program} worker`;
  const deadline = { ...DEFAULT_WORKER_DEADLINE, ...command.deadline };
  let child: Deno.ChildProcess;
  try {
    child = spawnWorker(
      command.program,
      [...(command.args ?? []), ...serveArgs(config)],
      command.env,
    );
  } catch (e) {
    throw new WorkerError(`${name}: could not start ${command.program} (${(e as Error).message})`);
  }
  const stderr = followStderr(child, command.log ?? (() => {}));
  const state = { name, lines: linesOf(child.stdout, stderr.signal), stderr, deadline };
  try {
    return new Worker(child, { ...state, ready: await readyLine(child, state) });
  } catch (e) {
    await endWorker(child, stderr);
    await child.stdin.close().catch(() => {});
    throw e;
  }
}
