/**
 * The record of a data-parallel run (`runs[].distributed`) from what its ranks measured: the
 * per-rank step medians, the all-reduce share and the scaling efficiency against one rank alone
 * at the same threads per rank. Pure.
 *
 * @module
 */
import type { Distributed } from "../../result/mod.ts";
import { median, summarize } from "../../stats/mod.ts";

/** What the ranks of a data-parallel timed window measured, gathered on every rank. */
export interface RankWindow {
  /** Each rank's median timed step in milliseconds, rank 0 first. */
  perRankStepMedianMs: number[];
  /** Each rank's all-reduce share ({@linkcode allreduceShare}), NaN where it has none. */
  perRankAllreduceShare: number[];
  /** Rank 0's steps alone with the per-rank batch, or null when none were timed. */
  singleRank: {
    schedule: "interleaved" | "adjacent";
    batchSize: number;
    timedMs: number[];
  } | null;
}

/**
 * One rank's share of its timed steps spent waiting on the gradients' all-reduce: Σ wait / Σ step
 * over the steps, each wait being the all-reduce's exposed part after backward's last gradient
 * (GradientReducer.lastWaitMs); null without steps, or when a step has no wait measured.
 */
export function allreduceShare(
  waitMs: readonly (number | null)[],
  stepMs: readonly number[],
): number | null {
  if (stepMs.length === 0 || waitMs.length !== stepMs.length) return null;
  if (waitMs.some((w) => w === null || !Number.isFinite(w))) return null;
  const total = stepMs.reduce((a, b) => a + b, 0);
  return total > 0 ? (waitMs as number[]).reduce((a, b) => a + b, 0) / total : null;
}

/** The facts of a data-parallel run that do not depend on the measurement. */
export interface DistributedFacts {
  /** The number of ranks. */
  worldSize: number;
  /** The c10d backend. */
  backend: Distributed["backend"];
  /** CPU threads of each rank. */
  threadsPerRank: number;
}

/**
 * The run's `distributed` record: `imagesPerSecond` is the N ranks' throughput with the global
 * batch (rank 0's step median); the scaling efficiency divides it by N × the single rank's.
 */
export function distributedRecord(
  facts: DistributedFacts,
  measured: { imagesPerSecond: number; window: RankWindow | null },
): Distributed {
  const w = measured.window;
  const shares = (w?.perRankAllreduceShare ?? []).filter((s) => Number.isFinite(s));
  const complete = w !== null && shares.length === w.perRankAllreduceShare.length &&
    shares.length > 0;
  const solo = w?.singleRank && w.singleRank.timedMs.length > 0 ? w.singleRank : null;
  const stepMs = solo && summarize(solo.timedMs);
  const singleRank = solo && stepMs
    ? {
      batchSize: solo.batchSize,
      schedule: solo.schedule,
      stepMs,
      imagesPerSecond: (solo.batchSize * 1000) / stepMs.median,
    }
    : null;
  return {
    ...facts,
    perRankStepMedianMs: (w?.perRankStepMedianMs ?? []).map((m) => Number.isFinite(m) ? m : null),
    allreduceShare: complete ? shares.reduce((a, b) => a + b, 0) / shares.length : null,
    scalingEfficiency: singleRank
      ? measured.imagesPerSecond / (facts.worldSize * singleRank.imagesPerSecond)
      : null,
    singleRank,
  };
}

/** Median of a rank's timed steps, NaN without any (gathered as such). */
export function rankMedian(timedMs: readonly number[]): number {
  return timedMs.length > 0 ? median(timedMs) : NaN;
}
