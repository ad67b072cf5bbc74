/**
 * The client of worker protocol v1 (worker_protocol.ts declares it): a baseline's worker started,
 * its ready line read, each command sent and its one reply line read and checked within its
 * deadline; a worker that misses one is ended as worker_child.ts ends one (SIGTERM to its process
 * group, SIGKILL after a grace period, no wait on its stderr) and reported.
 *
 * @module
 */
import type { z } from "zod";
import {
  byeReplySchema,
  commandDeadlineMs,
  commandSchema,
  DEFAULT_WORKER_DEADLINE,
  errorReplySchema,
  readySchema,
  serveArgs,
  type StepsReply,
  stepsReplySchema,
  type WorkerCommand,
  type WorkerConfig,
  type WorkerDeadline,
  WorkerError,
  type WorkerReady,
} from "./worker_protocol.ts";
import {
  drainStderr,
  endWorker,
  followStderr,
  linesOf,
  spawnWorker,
  type StderrTail,
  within,
} from "./worker_child.ts";

export * from "./worker_protocol.ts";
export { linesOf } from "./worker_child.ts";

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
