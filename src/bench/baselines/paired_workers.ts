/**
 * The baselines' side of a paired window: each baseline's worker started (PyTorch's or ours with
 * its recipe, or the libtorch C++ worker), checked, and asked for its steps; a failing worker leaves
 * the rotation with the reason.
 *
 * @module
 */
import { BASELINE_PYTHON, BASELINE_SCRIPT } from "./baseline.ts";
import { SELF_WORKER_ARGS } from "./self_worker.ts";
import { type BaselineName, BASELINES } from "../../result/mod.ts";
import {
  startWorker,
  type Worker,
  type WorkerCommandLine,
  type WorkerConfig,
  WorkerError,
} from "./worker.ts";

/** The libtorch C++ worker (issue 18's second baseline); `GOOGLENET_WORKER` overrides it. */
export const LIBTORCH_WORKER: string = Deno.env.get("GOOGLENET_WORKER") ??
  new URL("../../../native/build/googlenet_worker", import.meta.url).pathname;

/**
 * How to start a baseline's worker: PyTorch's or ours (self_worker.ts) with the name's recipe,
 * or the C++ one.
 */
function workerCommand(name: BaselineName, log: (line: string) => void): WorkerCommandLine {
  const common = { name: `${name} worker`, log: (line: string) => log(`  [${name}] ${line}`) };
  const { recipe, implementation } = BASELINES[name];
  if (recipe === null) return { program: LIBTORCH_WORKER, ...common };
  return implementation === "deno-libtorch"
    ? { program: Deno.execPath(), args: [...SELF_WORKER_ARGS, "--recipe", recipe], ...common }
    : { program: BASELINE_PYTHON, args: [BASELINE_SCRIPT, "--recipe", recipe], ...common };
}

/** A started worker, checked to run the recipe of `name` (its ready line names it). */
export async function startBaseline(
  name: BaselineName,
  { config, log, env }: {
    config: WorkerConfig;
    log: (line: string) => void;
    env: Record<string, string>;
  },
): Promise<Worker> {
  const worker = await startWorker({ ...workerCommand(name, log), env }, config);
  const { recipe } = BASELINES[name];
  if (recipe === null || worker.ready.recipe === recipe) return worker;
  await worker.kill();
  throw new WorkerError(
    `${worker.name}: expected recipe ${recipe} in its ready line, found ` +
      `${worker.ready.recipe ?? "none"}`,
  );
}

/** One side's measurements: warm-up steps, each round's window, every loss (warm-up first). */
export interface Side {
  warmupMs: number[];
  windows: number[][];
  losses: number[];
}

/** A started baseline worker and what it measured. */
export interface Baseline {
  name: BaselineName;
  worker: Worker;
  side: Side;
  /** Why it stopped taking part, or null. */
  failed: string | null;
}

export const emptySide = (): Side => ({ warmupMs: [], windows: [], losses: [] });

/** Runs `n` steps of a baseline, recording them; a failing worker leaves the rotation. */
export async function baselineSteps(
  b: Baseline,
  n: number,
  expectedMs: number,
): Promise<number[] | null> {
  if (b.failed !== null) return null;
  if (n === 0) return []; // --warmup 0: nothing to ask
  try {
    const reply = await b.worker.steps(n, expectedMs);
    b.side.losses.push(...reply.losses);
    return reply.stepMs;
  } catch (e) {
    if (!(e instanceof WorkerError)) throw e;
    b.failed = `${b.name} baseline failed during the paired window: ${e.message}`;
    return null;
  }
}
