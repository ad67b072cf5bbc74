/**
 * Whether a run's timings can be trusted: a noise verdict from the spread of its step times, the
 * spread of its paired rounds' ratios and the host's load before and after the timed work.
 *
 * @module
 */

import { quantile } from "./stats.ts";

/**
 * Largest step-time interquartile range, as a fraction of the median, of a stable run. The
 * quiet runs in results/ stay at or below 0.19 (50-step windows 0.02–0.08, whole 10-epoch runs
 * 0.08–0.19, epoch boundaries included), the runs made beside other work above 0.2 (the 290.88 ms
 * 10-epoch run 0.23, the 108.8 and 121.2 ms ones 0.29 and 0.25, loaded 1-epoch runs over 1.6).
 */
export const STEP_IQR_REL_MAX = 0.2;

/**
 * Largest interquartile range of the paired rounds' ratios, as a fraction of their median. The
 * rounds of a quiet host agree to 2–6 % (results/2026-11-29-vm-cpu-6 to -8); those of the runs
 * made beside other helpers' work spread 10–20 % (2026-11-30-vm-cpu-3 and -8).
 */
export const ROUND_SPREAD_REL_MAX = 0.1;

/**
 * Largest 1-minute load average, as a multiple of the host's cores, before or after the timed
 * work of a stable run. A run keeps every core busy (its threads default to the cores), so a
 * load up to the core count is its own; half the cores more means other work was waiting for a
 * core the run was using. The 2,209.75 ms 5-step run (70–100 ms normally) ran on a 2-core host
 * whose load was above 5, which the step spread of 5 equally slow steps cannot show.
 */
export const LOAD_PER_CORE_MAX = 1.5;

/** What {@linkcode noiseVerdict} judges. */
export interface NoiseInput {
  /** The run's timed step times in milliseconds (at least one). */
  stepMs: readonly number[];
  /** The paired rounds' ratios, ours over the baseline's (absent: not paired). */
  pairedRatios?: readonly number[];
  /** The host's 1-minute load average before and after the timed work, and its cores. */
  loadavg?: { before: number; after: number; cores: number };
}

/** A run's noise verdict: stable or not, why, and the measures it was judged on. */
export interface NoiseVerdict {
  /** True when no measure is past its bound. */
  stable: boolean;
  /** One sentence per measure past its bound (empty when stable). */
  reasons: string[];
  /** The step times' interquartile range over their median. */
  stepIqrRel: number;
  /** The paired ratios' interquartile range over their median; null without two rounds. */
  roundSpreadRel: number | null;
  /** The 1-minute load average before the timed work; null when unknown. */
  loadBefore: number | null;
  /** The 1-minute load average after the timed work; null when unknown. */
  loadAfter: number | null;
}

/** The interquartile range of a non-empty sample over its median (0 for a zero median and range). */
function iqrRel(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const iqr = quantile(sorted, 0.75) - quantile(sorted, 0.25);
  const mid = Math.abs(quantile(sorted, 0.5));
  return mid === 0 ? (iqr === 0 ? 0 : Infinity) : iqr / mid;
}

const percent = (x: number) => `${(x * 100).toFixed(0)}%`;

/** The reasons a load sample past {@linkcode LOAD_PER_CORE_MAX} gives (none when within). */
function loadReasons(load: NonNullable<NoiseInput["loadavg"]>): string[] {
  const bound = LOAD_PER_CORE_MAX * load.cores;
  const reasons: string[] = [];
  for (const [when, value] of [["before", load.before], ["after", load.after]] as const) {
    if (value > bound) {
      reasons.push(
        `host busy: 1-min load ${value.toFixed(2)} ${when} the timed work on ${load.cores} ` +
          `cores, expected at most ${bound.toFixed(2)}`,
      );
    }
  }
  return reasons;
}

/**
 * Judges a run stable or not: unstable when its step times' IQR exceeds
 * {@linkcode STEP_IQR_REL_MAX} of their median, when its paired rounds' ratios spread beyond
 * {@linkcode ROUND_SPREAD_REL_MAX}, or when the load before or after the timed work exceeds
 * {@linkcode LOAD_PER_CORE_MAX} per core. Pure.
 *
 * @throws {RangeError} When `stepMs` is empty or `loadavg.cores` is not positive.
 */
export function noiseVerdict(input: NoiseInput): NoiseVerdict {
  if (input.stepMs.length === 0) {
    throw new RangeError("noiseVerdict: expected at least one step time, found none");
  }
  const { loadavg, pairedRatios = [] } = input;
  if (loadavg && !(loadavg.cores > 0)) {
    throw new RangeError(`noiseVerdict: expected a positive core count, found ${loadavg.cores}`);
  }
  const stepIqrRel = iqrRel(input.stepMs);
  const roundSpreadRel = pairedRatios.length >= 2 ? iqrRel(pairedRatios) : null;
  const reasons: string[] = [];
  if (stepIqrRel > STEP_IQR_REL_MAX) {
    reasons.push(
      `step times spread: IQR ${percent(stepIqrRel)} of the median, expected at most ` +
        percent(STEP_IQR_REL_MAX),
    );
  }
  if (roundSpreadRel !== null && roundSpreadRel > ROUND_SPREAD_REL_MAX) {
    reasons.push(
      `paired rounds disagree: their ratios' IQR ${percent(roundSpreadRel)} of the median, ` +
        `expected at most ${percent(ROUND_SPREAD_REL_MAX)}`,
    );
  }
  if (loadavg) reasons.push(...loadReasons(loadavg));
  return {
    stable: reasons.length === 0,
    reasons,
    stepIqrRel,
    roundSpreadRel,
    loadBefore: loadavg?.before ?? null,
    loadAfter: loadavg?.after ?? null,
  };
}
