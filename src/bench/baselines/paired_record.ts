/**
 * The records of a paired window: each baseline's run record with its paired measurement (the
 * rounds' ratios, stats.ts's {@linkcode pairedRatios}), a full epochs run's facts lent to it, and
 * the console's summary of the paired baselines.
 *
 * @module
 */
import { baselineRun } from "./baseline.ts";
import { baselineNameOf, baselinesOf, type Paired, type Run } from "../../result/mod.ts";
import type { RunPlan } from "../../train/mod.ts";
import { formatRatio, noisyRatioNote, pairedRatios } from "../../stats/mod.ts";
import type { PairedShape } from "../measure/mod.ts";
import type { Baseline } from "./paired_workers.ts";

/** What a baseline's run record needs beside its measurements. */
export interface RunContext {
  /** The plan of our run it stands beside. */
  plan: RunPlan;
  /** The device's name as the harness knows it (default: the worker's). */
  deviceName?: string;
}

/** The paired record of a baseline's windows beside ours. */
export function pairedOf(ours: number[][], theirs: number[][], shape: PairedShape): Paired {
  return { rounds: theirs.length, windowSteps: shape.windowSteps, ...pairedRatios(ours, theirs) };
}

/** The run record of a baseline's side of the paired window. */
export function baselineRecord(b: Baseline, context: RunContext, paired: Paired): Run {
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
export function withEpochs(run: Run, epochs: Run): Run {
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
