/**
 * The run record: built once, complete (device name, versioned label, baseline attached), from
 * the plan and what the stages measured. Pure.
 *
 * @module
 */
import type { EpochsOutcome, RunPlan } from "../../train/mod.ts";
import type { BenchConfig, Breakdown, Distributed, Run } from "../../result/mod.ts";
import { distributedRecord } from "./scaling.ts";
import { summarize } from "../../stats/mod.ts";
import type { WindowTimes } from "./window.ts";

/** What a run of this project's stack measured. */
export interface Measured {
  /** The timed window's step times. */
  window: WindowTimes;
  /** Where the step's time goes (measured after the window), or null. */
  breakdown?: Breakdown | null;
  /** The epochs' outcome. */
  epochs: EpochsOutcome;
  /** Peak device memory (CUDA) or peak resident memory (CPU) in bytes, or null. */
  peakMemoryBytes: number | null;
  /** Why the run stopped early, or null. */
  stopReason: string | null;
}

/** The run's name: stack, libtorch release, device and precision. */
export function runLabel(plan: RunPlan): string {
  return `deno+libtorch ${plan.facts.libtorch} ${plan.device} ${plan.config.precision}`;
}

/**
 * Warm-up and step-time samples: the window's; without a window, the epoch steps', the first
 * `--warmup` of them apart (the warm-up stands in when nothing else was timed).
 */
function stepSamples(plan: RunPlan, measured: Measured): { warmupMs: number[]; stepMs: number[] } {
  const { window, epochs: { stepMs: epochMs } } = measured;
  const warmup = plan.config.warmup;
  const [warmupMs, timed] = window.timedMs.length > 0
    ? [window.warmupMs, window.timedMs]
    : [[...window.warmupMs, ...epochMs.slice(0, warmup)], epochMs.slice(warmup)];
  if (timed.length === 0 && warmupMs.length === 0) {
    throw new Error(
      "the run stopped before its first training step completed: no timing to report",
    );
  }
  return { warmupMs, stepMs: timed.length > 0 ? timed : warmupMs };
}

/** The CPU levers of issue 19 a run used, for its options (none recorded at their defaults). */
function cpuOptions(config: BenchConfig): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  if ((config.inceptionBranches ?? "sequential") !== "sequential") {
    out.inceptionBranches = config.inceptionBranches!;
  }
  if (config.interopThreads != null) out.interopThreads = config.interopThreads;
  if (config.cpuBest) out.cpuBest = true;
  return out;
}

/** A data-parallel run's `distributed` record (the ranks' figures gathered in the window). */
function distributedOf(plan: RunPlan, measured: Measured, imagesPerSecond: number): Distributed {
  const dist = plan.trainer.dist!;
  return distributedRecord(
    { worldSize: dist.worldSize, backend: dist.group.backend, threadsPerRank: plan.config.threads },
    { imagesPerSecond, window: measured.window.ranks ?? null },
  );
}

/**
 * The complete record of a run of this project's stack, its PyTorch `baseline` (or null)
 * attached.
 *
 * @throws {Error} When no training step completed (nothing to report).
 */
export function buildRun(plan: RunPlan, measured: Measured & { baseline: Run | null }): Run {
  const { config, facts } = plan;
  const { warmupMs, stepMs: samples } = stepSamples(plan, measured);
  const stepMs = summarize(samples);
  const imagesPerSecond = (config.batchSize * 1000) / stepMs.median;
  const epochs = measured.epochs.epochs;
  return {
    label: runLabel(plan),
    implementation: "deno-libtorch",
    device: plan.device,
    deviceName: facts.deviceName,
    threads: config.threads,
    precision: config.precision,
    options: {
      cudaGraphs: config.cudaGraphs,
      tf32: config.tf32,
      channelsLast: config.channelsLast ?? false,
      cudnnBenchmark: config.cudnnBenchmark ?? false,
      adam: plan.trainer.adam ?? "single",
      ...cpuOptions(config),
      ...(config.clipGradNorm !== null ? { clipGradNorm: config.clipGradNorm } : {}),
    },
    firstStepMs: warmupMs[0] ?? samples[0] ?? NaN,
    warmupMs,
    ...(measured.window.losses.length > 0 ? { stepLosses: measured.window.losses } : {}),
    stepMs,
    imagesPerSecond,
    epochs,
    timeToTargetSeconds: measured.epochs.timeToTargetSeconds,
    targetAccuracy: config.targetAccuracy,
    peakMemoryBytes: measured.peakMemoryBytes,
    flopsPerImage: facts.flopsPerImage,
    achievedFlops: facts.flopsPerImage * imagesPerSecond,
    finalTestAccuracy: epochs.at(-1)?.testAccuracy ?? null,
    ...(measured.breakdown ? { breakdown: measured.breakdown } : {}),
    ...(plan.trainer.dist ? { distributed: distributedOf(plan, measured, imagesPerSecond) } : {}),
    baseline: measured.baseline,
    complete: measured.stopReason === null,
    stopReason: measured.stopReason,
  };
}
