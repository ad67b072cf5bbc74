/**
 * A baseline worker's process, as the worker protocol (./worker.ts) drives it: started tied to
 * this process (a process group of its own, killed by the kernel when we die: ../dist/child.ts),
 * its stderr followed line by line, and ended within a bounded time: SIGTERM to its whole group,
 * SIGKILL after a grace period, and its stderr read only a moment after the exit (a process it
 * left behind may hold stderr open for ever).
 *
 * @module
 */
import { killGroup, tiedCommand } from "../../dist/mod.ts";

/** Milliseconds a worker's group has between SIGTERM and SIGKILL. */
export const WORKER_GRACE_MS = 2000;
/** Milliseconds a worker's stderr is read after its exit, for its last lines. */
export const STDERR_LINGER_MS = 500;
/** How many of the worker's last stderr lines an error quotes. */
const STDERR_KEPT = 5;

/** Lines of a byte stream, without their newlines; `signal` cancels the stream. */
export async function* linesOf(
  stream: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<string> {
  let buf = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream(), { signal })) {
    buf += chunk;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, i);
      buf = buf.slice(i + 1);
    }
  }
  if (buf) yield buf;
}

/**
 * `promise`'s value as `{ value }`, or null when `ms` milliseconds pass first (the timer is
 * cleared either way, so that it keeps no one waiting).
 */
export async function within<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([promise.then((value) => ({ value })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The last stderr lines of a worker, when its stderr ended, and how to stop reading it. */
export interface StderrTail {
  /** The last few lines. */
  tail: string[];
  /** Resolves when stderr ends or {@linkcode StderrTail.stop} is called. */
  done: Promise<void>;
  /** Aborted by {@linkcode StderrTail.stop}: cancels stderr, and stdout where it is passed. */
  signal: AbortSignal;
  /** Stops reading the worker's output (cancels the streams). */
  stop(): void;
}

/** Reads stderr to its end, passing each line to `log` and keeping the last few. */
export function followStderr(child: Deno.ChildProcess, log: (line: string) => void): StderrTail {
  const tail: string[] = [];
  const abort = new AbortController();
  const done = (async () => {
    for await (const line of linesOf(child.stderr, abort.signal)) {
      log(line);
      tail.push(line);
      if (tail.length > STDERR_KEPT) tail.shift();
    }
  })().catch(() => {});
  return { tail, done, signal: abort.signal, stop: () => abort.abort() };
}

/** Starts `program args` as a worker: piped, tied, in a process group of its own. */
export function spawnWorker(
  program: string,
  args: string[],
  env?: Record<string, string>,
): Deno.ChildProcess {
  return tiedCommand(program, args, { env, stdin: "piped", stdout: "piped", stderr: "piped" })
    .spawn();
}

/** Reads the rest of stderr for at most {@linkcode STDERR_LINGER_MS}, then stops. */
export async function drainStderr(stderr: StderrTail): Promise<void> {
  await within(stderr.done, STDERR_LINGER_MS);
  stderr.stop();
}

/**
 * Ends a worker, if it still runs: SIGTERM to its process group, SIGKILL after `graceMs`, then
 * SIGKILL to whatever is left in the group; its stderr drained for a moment. Its exit status.
 */
export async function endWorker(
  child: Deno.ChildProcess,
  stderr: StderrTail,
  graceMs = WORKER_GRACE_MS,
): Promise<Deno.CommandStatus> {
  killGroup(child.pid, "SIGTERM");
  let status = await within(child.status, graceMs);
  killGroup(child.pid, "SIGKILL");
  status ??= { value: await child.status };
  await drainStderr(stderr);
  return status.value;
}
