/**
 * Which of several window runs trained fastest: scripts/gpu-bench.sh times each combination of
 * speed options in its own run, then trains 10 epochs with the one whose median step is lowest.
 *
 * @module
 */

import { measuredStepMs } from "./budget.ts";
import type { BenchResult } from "./schema.ts";

/** A named result among those {@linkcode fastestResult} compares. */
export interface Candidate {
  /** The name the caller knows the result by, e.g. its file's stem `"sweep-graphs"`. */
  name: string;
  /** The result of a window run. */
  result: BenchResult;
}

/** {@linkcode fastestResult}'s answer. */
export interface Fastest {
  /** The candidate's name. */
  name: string;
  /** Its run's median training step, in ms. */
  medianMs: number;
}

/**
 * The candidate whose first complete run of this stack has the lowest median step; the first
 * listed wins a tie. Baselines are not compared: each candidate times one combination of options.
 *
 * @param candidates Results by name, in the order that breaks ties.
 * @returns The fastest, or `null` when no candidate has a complete run.
 *
 * @example Usage
 * ```ts ignore
 * fastestResult([{ name: "sweep-fused", result: a }, { name: "sweep-graphs", result: b }]);
 * // { name: "sweep-graphs", medianMs: 3.1 } when b's median step is the lower
 * ```
 */
export function fastestResult(candidates: readonly Candidate[]): Fastest | null {
  let best: Fastest | null = null;
  for (const { name, result } of candidates) {
    const [medianMs] = measuredStepMs(result, { withBaseline: false });
    if (medianMs === undefined) continue;
    if (best === null || medianMs < best.medianMs) best = { name, medianMs };
  }
  return best;
}
