/**
 * `--precision auto`'s choice: given each stage's measured forward-and-backward time in each
 * candidate (fp32 NCHW, fp32 channels-last, bf16 channels-last) and the measured casts between
 * them, the cheapest chain of candidates over the stages, by a dynamic program over the chain
 * (a change of dtype or layout between two stages costs the measured cast). Pure: no libtorch.
 *
 * @module
 */
import type { StageCandidate, StageTimings } from "../result/mod.ts";
import type { DType, MemoryFormat } from "../ffi/mod.ts";

/** A candidate's dtype and the layout of its 4-D weights and activations. */
export function candidateLayout(c: StageCandidate): { dtype: DType; format: MemoryFormat } {
  return {
    dtype: c === "bf16-cl" ? "bfloat16" : "float32",
    format: c === "fp32" ? "contiguous" : "channels_last",
  };
}

/**
 * How much faster than fp32 NCHW throughout a plan must look, by the probe's figures, to be
 * chosen over it: a plan predicted within 3% of fp32 may be noise, and fp32 is the safe side.
 */
export const MIN_PREDICTED_GAIN = 0.03;

/** The chosen candidate per stage and the plan's predicted milliseconds (stages and casts). */
export interface ChosenPlan {
  /** One candidate per stage, in forward order. */
  candidates: StageCandidate[];
  /** The plan's predicted step time by the probe's figures. */
  predictedMs: number;
  /** The same for fp32 NCHW throughout (the first candidate). */
  fp32PredictedMs: number;
}

const cost = (ms: number | null | undefined) => ms ?? Infinity;

/** The predicted milliseconds of `plan` (candidate indices per stage) under `t`. */
export function predictedMs(t: StageTimings, plan: readonly number[]): number {
  let total = 0, prev = 0; // the batch comes in as the first candidate: fp32 NCHW
  plan.forEach((c, i) => {
    total += cost(t.stageMs[i][c]) + (c === prev ? 0 : cost(t.castMs[i][prev][c]));
    prev = c;
  });
  return total;
}

/** The cheapest chain of candidate indices: best[i][c] is the cheapest prefix ending in c. */
function cheapestChain(t: StageTimings): number[] {
  const n = t.stages.length, k = t.candidates.length;
  const best: number[][] = [], from: number[][] = [];
  for (let i = 0; i < n; i++) {
    best.push([]);
    from.push([]);
    for (let c = 0; c < k; c++) {
      const prevs = i === 0 ? [0] : [...Array(k).keys()];
      let bestCost = Infinity, bestPrev = prevs[0];
      for (const p of prevs) {
        const before = i === 0 ? 0 : best[i - 1][p];
        const cast = p === c ? 0 : cost(t.castMs[i][p][c]);
        if (before + cast < bestCost) [bestCost, bestPrev] = [before + cast, p];
      }
      best[i].push(bestCost + cost(t.stageMs[i][c]));
      from[i].push(bestPrev);
    }
  }
  let c = best[n - 1].indexOf(Math.min(...best[n - 1]));
  const chain = [c];
  for (let i = n - 1; i > 0; i--) chain.unshift(c = from[i][c]);
  return chain;
}

/**
 * The plan `--precision auto` runs with: the cheapest chain over the stages, or fp32 NCHW
 * throughout when that chain is not at least {@linkcode MIN_PREDICTED_GAIN} faster by the
 * probe's own figures (so a noisy probe falls back to fp32, never to something slower).
 *
 * @throws {RangeError} When the timings' arrays do not fit their stages and candidates, or the
 * first candidate is not fp32 NCHW.
 */
export function choosePlan(t: StageTimings): ChosenPlan {
  checkTimings(t);
  const fp32 = t.stages.map(() => 0);
  const fp32PredictedMs = predictedMs(t, fp32);
  const chain = cheapestChain(t);
  const chainMs = predictedMs(t, chain);
  const take = chainMs <= (1 - MIN_PREDICTED_GAIN) * fp32PredictedMs;
  const plan = take ? chain : fp32;
  return {
    candidates: plan.map((c) => t.candidates[c]),
    predictedMs: take ? chainMs : fp32PredictedMs,
    fp32PredictedMs,
  };
}

function checkTimings(t: StageTimings): void {
  const n = t.stages.length, k = t.candidates.length;
  if (n === 0 || t.candidates[0] !== "fp32") {
    throw new RangeError(
      `stage timings: expected stages and fp32 as the first candidate, found ${n} stages and ` +
        `candidates ${t.candidates.join(", ")}`,
    );
  }
  const fits = t.stageMs.length === n && t.castMs.length === n &&
    t.stageMs.every((row) => row.length === k) &&
    t.castMs.every((m) => m.length === k && m.every((row) => row.length === k));
  if (!fits) {
    throw new RangeError(
      `stage timings: expected ${n} stages × ${k} candidates in stageMs and castMs, found ` +
        `${t.stageMs.length} and ${t.castMs.length} rows`,
    );
  }
  const missing = t.stageMs.findIndex((row) => row[0] === null || !Number.isFinite(row[0]));
  if (missing >= 0) {
    throw new RangeError(
      `stage timings: expected an fp32 time for every stage, found none for ${t.stages[missing]}`,
    );
  }
}
