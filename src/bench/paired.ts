/**
 * Paired, interleaved measurement: our Trainer in-process and each baseline as a warm worker
 * (worker.ts) take turns, one window of K steps each per round, for R rounds after a warm-up on
 * every side. The order alternates between rounds (ours, baselines…, then the reverse: ABBA with
 * one baseline), so that the host's drifts weigh on both sides alike; each round gives a ratio of
 * the two windows' medians (stats.ts's {@linkcode pairedRatios}).
 *
 * @module
 */
import { existsSync } from "node:fs";
import { batchRanges } from "../data/mod.ts";
import { BASELINE_PYTHON, BASELINE_SCRIPT, baselineRun } from "./baseline.ts";
import { mallocEnv } from "./malloc.ts";
import { SELF_WORKER_ARGS } from "./self_worker.ts";
import { baselineNameOf, BASELINES, baselinesOf } from "../result/recipes.ts";
import { DEFAULT_WINDOW_STEPS } from "./cli.ts";
import type { RunPlan } from "../train/plan.ts";
import type { BaselineName, BenchConfig, Paired, Run } from "../result/schema.ts";
import { formatRatio, median, noisyRatioNote, pairedRatios } from "../stats/stats.ts";
import { StepFeed, timeStep } from "../train/steps.ts";
import type { Stopper } from "../train/stop.ts";
import { type DeviceData, Trainer } from "../train/train.ts";
import type { WindowTimes } from "./window.ts";
import {
  startWorker,
  type Worker,
  type WorkerCommandLine,
  type WorkerConfig,
  WorkerError,
} from "./worker.ts";

/** The libtorch C++ worker (issue 18's second baseline); `GOOGLENET_WORKER` overrides it. */
export const LIBTORCH_WORKER: string = Deno.env.get("GOOGLENET_WORKER") ??
  new URL("../../native/build/googlenet_worker", import.meta.url).pathname;

/** The shape of a paired window: warm-up steps, then rounds of one window per side. */
export interface PairedShape {
  /** Untimed warm-up steps on every side. */
  warmup: number;
  /** Rounds. */
  rounds: number;
  /** Steps per side per round. */
  windowSteps: number;
}

/**
 * The paired window of `config`: `--rounds` (default: `--steps` over `--window-steps`, rounded
 * up) rounds of `--window-steps` steps per side (no more than `--steps` when `--rounds` is not
 * given), or null without a timed window.
 */
export function pairedShape(config: BenchConfig): PairedShape | null {
  if (config.steps === null) return null;
  const asked = config.windowSteps ?? DEFAULT_WINDOW_STEPS;
  const windowSteps = config.rounds == null ? Math.min(asked, config.steps) : asked;
  const rounds = config.rounds ?? Math.ceil(config.steps / windowSteps);
  return { warmup: config.warmup, rounds, windowSteps };
}

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
async function startBaseline(
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
interface Side {
  warmupMs: number[];
  windows: number[][];
  losses: number[];
}

/** A started baseline worker and what it measured. */
interface Baseline {
  name: BaselineName;
  worker: Worker;
  side: Side;
  /** Why it stopped taking part, or null. */
  failed: string | null;
}

const emptySide = (): Side => ({ warmupMs: [], windows: [], losses: [] });

/** Our side: the trainer and its batch order, in-process. */
class Ours {
  readonly side = emptySide();
  #trainer: Trainer;
  #feed: StepFeed;
  #plan: RunPlan;
  constructor(plan: RunPlan, data: DeviceData) {
    this.#plan = plan;
    this.#trainer = new Trainer(data, plan.trainer);
    const ranges = batchRanges(data.trainCount, plan.config.batchSize);
    this.#feed = new StepFeed(this.#trainer, plan.config.seed, ranges);
  }
  steps(n: number): number[] {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const [order, range] = this.#feed.next();
      ms.push(timeStep(this.#trainer, { order, range, device: this.#plan.device }));
      this.side.losses.push(this.#trainer.lastLoss());
    }
    return ms;
  }
  /** What `n` of our steps take by the latest window (or warm-up), 0 before any: a deadline's base. */
  expectedMs(n: number): number {
    const latest = this.side.windows.at(-1) ?? this.side.warmupMs;
    return latest.length > 0 ? n * median(latest) : 0;
  }
  dispose(): void {
    this.#feed.dispose();
    this.#trainer.dispose();
  }
}

/** Runs `n` steps of a baseline, recording them; a failing worker leaves the rotation. */
async function baselineSteps(b: Baseline, n: number, expectedMs: number): Promise<number[] | null> {
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

/** Options of {@linkcode Pairing.start}. */
export interface PairingOptions {
  /** Folder of the four MNIST IDX files. */
  dataDir: string;
  /** Receives the workers' stderr lines and the rounds' lines (default: console.error). */
  log?: (line: string) => void;
}

/** Baselines started as workers for one device's paired window. */
export class Pairing {
  /** Why a requested baseline is not taking part, one line each. */
  readonly skipped: string[] = [];
  #baselines: Baseline[] = [];
  #plan: RunPlan;
  #shape: PairedShape;
  #log: (line: string) => void;

  private constructor(plan: RunPlan, log: (line: string) => void) {
    this.#plan = plan;
    this.#shape = pairedShape(plan.config)!;
    this.#log = log;
  }

  /**
   * Starts a worker for each of `names` (a missing libtorch worker, or one that fails to start,
   * is skipped with the reason) with the plan's configuration.
   */
  static async start(
    names: readonly BaselineName[],
    plan: RunPlan,
    options: PairingOptions,
  ): Promise<Pairing> {
    const log = options.log ?? ((line: string) => console.error(line));
    const { config, device } = plan;
    const pairing = new Pairing(plan, log);
    for (const name of names) {
      if (name === "libtorch" && !existsSync(LIBTORCH_WORKER)) {
        pairing.skipped.push(
          `libtorch baseline skipped: ${LIBTORCH_WORKER} not found (native/'s second target; ` +
            "build it with deno task setup)",
        );
        continue;
      }
      try {
        const worker = await startBaseline(name, {
          log,
          env: mallocEnv(config.malloc ?? "default"),
          config: {
            dataDir: options.dataDir,
            device,
            threads: config.threads,
            batchSize: config.batchSize,
            lr: config.lr,
            seed: config.seed,
            tf32: config.tf32,
          },
        });
        pairing.#baselines.push({ name, worker, side: emptySide(), failed: null });
      } catch (e) {
        if (!(e instanceof WorkerError)) throw e;
        pairing.skipped.push(`${name} baseline skipped: ${e.message}`);
      }
    }
    return pairing;
  }

  /** Whether any baseline is taking part. */
  get active(): boolean {
    return this.#baselines.length > 0;
  }

  /** Runs the paired window; our side's times, for the run record. */
  async run(data: DeviceData, stop: Stopper): Promise<WindowTimes> {
    const ours = new Ours(this.#plan, data);
    const { warmup, rounds } = this.#shape;
    try {
      ours.side.warmupMs = ours.steps(warmup);
      for (const b of this.#baselines) {
        b.side.warmupMs = (await baselineSteps(b, warmup, ours.expectedMs(warmup))) ?? [];
      }
      for (let r = 0; r < rounds && !stop.atStep(`paired round ${r + 1}`); r++) {
        await this.#round(ours, r);
      }
    } finally {
      ours.dispose();
    }
    this.#oursWindows = ours.side.windows;
    return {
      warmupMs: ours.side.warmupMs,
      timedMs: ours.side.windows.flat(),
      losses: ours.side.losses,
    };
  }

  /** Round `r`: one window per side, the order reversed on odd rounds. */
  async #round(ours: Ours, r: number): Promise<void> {
    const { windowSteps, rounds } = this.#shape;
    const sides: (Baseline | null)[] = [null, ...this.#baselines];
    if (r % 2 === 1) sides.reverse();
    const windows = new Map<Baseline | null, number[] | null>();
    for (const side of sides) {
      windows.set(
        side,
        side === null
          ? ours.steps(windowSteps)
          : await baselineSteps(side, windowSteps, ours.expectedMs(windowSteps)),
      );
    }
    const mine = windows.get(null)!;
    ours.side.windows.push(mine);
    const parts = [`ours ${median(mine).toFixed(1)} ms`];
    for (const b of this.#baselines) {
      const w = windows.get(b);
      if (!w) continue;
      b.side.windows.push(w);
      parts.push(
        `${b.name} ${median(w).toFixed(1)} ms (ratio ${(median(mine) / median(w)).toFixed(3)})`,
      );
    }
    this.#log(`paired round ${r + 1}/${rounds}: ${parts.join(", ")}`);
  }

  /** Ends every worker (asking first); notes of the baselines that failed. */
  async close(): Promise<string[]> {
    const notes: string[] = [];
    for (const b of this.#baselines) {
      if (b.failed === null) {
        await b.worker.quit().catch(() => b.worker.kill());
        continue;
      }
      notes.push(b.failed);
      await b.worker.kill();
    }
    return notes;
  }

  /**
   * Each baseline's run of the paired window, in the order asked, with its `paired`
   * measurement; `epochs` (e.g. PyTorch's full `--epochs` run) lends its epochs, accuracy and
   * memory to the baseline of the same name (PyTorch's fp32 run to `pytorch` alone).
   */
  runs(context: RunContext, epochs: Run | null = null): Run[] {
    return this.#baselines.filter((b) => b.failed === null && b.side.windows.length > 0)
      .map((b) => {
        const ours = this.#oursWindows.slice(0, b.side.windows.length);
        const run = baselineRecord(b, context, pairedOf(ours, b.side.windows, this.#shape));
        return epochs !== null && baselineNameOf(epochs) === b.name ? withEpochs(run, epochs) : run;
      });
  }

  #oursWindows: number[][] = [];
}

/** What a baseline's run record needs beside its measurements. */
export interface RunContext {
  /** The plan of our run it stands beside. */
  plan: RunPlan;
  /** The device's name as the harness knows it (default: the worker's). */
  deviceName?: string;
}

/** The paired record of a baseline's windows beside ours. */
function pairedOf(ours: number[][], theirs: number[][], shape: PairedShape): Paired {
  return { rounds: theirs.length, windowSteps: shape.windowSteps, ...pairedRatios(ours, theirs) };
}

/** The run record of a baseline's side of the paired window. */
function baselineRecord(b: Baseline, context: RunContext, paired: Paired): Run {
  const { plan } = context;
  const { ready } = b.worker;
  const outcome = baselineRun({
    torchVersion: ready.version,
    deviceName: ready.deviceName,
    threads: ready.threads,
    tf32: plan.config.tf32,
    firstStepMs: b.side.warmupMs[0] ?? null,
    warmupMs: b.side.warmupMs,
    stepMs: b.side.windows.flat(),
    stepLosses: b.side.losses,
    epochs: [],
    timeToTargetSeconds: null,
    peakMemoryBytes: null,
    finalTestAccuracy: null,
  }, {
    config: plan.config,
    device: plan.device,
    name: b.name,
    flopsPerImage: plan.facts.flopsPerImage,
    deviceName: context.deviceName,
  });
  if ("skipped" in outcome) throw new Error(`${b.name}: ${outcome.skipped}`); // windows has steps
  return { ...outcome.run, paired };
}

/** A paired run with the epochs, accuracy, memory and completeness of a full epochs run. */
function withEpochs(run: Run, epochs: Run): Run {
  return {
    ...run,
    epochs: epochs.epochs,
    timeToTargetSeconds: epochs.timeToTargetSeconds,
    peakMemoryBytes: epochs.peakMemoryBytes,
    finalTestAccuracy: epochs.finalTestAccuracy,
    complete: epochs.complete,
    stopReason: epochs.stopReason,
  };
}

/**
 * The console's summary of a run's paired baselines: per baseline the ratio with its interval
 * and a note when it is noisy.
 */
export function pairedSummary(run: Run): string[] {
  return baselinesOf(run).flatMap((b) => {
    if (!b.paired) return [];
    const p = b.paired;
    const note = noisyRatioNote(p.ratioMedian, p.ratioCI95);
    const name = baselineNameOf(b) ?? b.implementation;
    return [
      `paired ${run.device}: ours/${name} = ${formatRatio(p)} over ${p.rounds} ` +
      `rounds of ${p.windowSteps} steps${note ? ` (${note})` : ""}`,
    ];
  });
}
