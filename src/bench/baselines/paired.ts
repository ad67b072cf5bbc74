/**
 * Paired, interleaved measurement: our Trainer in-process and each baseline as a warm worker
 * (worker.ts, started by paired_workers.ts) take turns, one window of K steps each per round, for R rounds after a warm-up on
 * every side. The order alternates between rounds (ours, baselines…, then the reverse: ABBA with
 * one baseline), so that the host's drifts weigh on both sides alike; each round gives a ratio of
 * the two windows' medians (stats.ts's {@linkcode pairedRatios}).
 *
 * @module
 */
import { existsSync } from "node:fs";
import { batchRanges } from "../../data/mod.ts";
import { mallocEnv } from "./malloc.ts";
import { type BaselineName, baselineNameOf, type Run } from "../../result/mod.ts";
import { type PairedShape, pairedShape, type WindowTimes } from "../measure/mod.ts";
import { type DeviceData, type RunPlan, StepFeed, type Stopper, Trainer } from "../../train/mod.ts";
import { median } from "../../stats/mod.ts";
import { WorkerError } from "./worker.ts";
import {
  type Baseline,
  baselineSteps,
  emptySide,
  LIBTORCH_WORKER,
  startBaseline,
} from "./paired_workers.ts";
import { baselineRecord, pairedOf, type RunContext, withEpochs } from "./paired_record.ts";

export { pairedSummary, type RunContext } from "./paired_record.ts";
export { LIBTORCH_WORKER } from "./paired_workers.ts";

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
    const { stepMs, losses } = this.#feed.timedSteps(n, this.#plan.device);
    this.side.losses.push(...losses);
    return stepMs;
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
