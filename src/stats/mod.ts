/**
 * Statistics of step timings: quantiles, summaries, bootstrap confidence intervals, paired
 * ratios and their notes, and a run's noise verdict. Pure functions of numbers; the result
 * format's `Summary` is the only thing they import.
 *
 * @module
 */

export * from "./stats.ts";
export * from "./noise.ts";
