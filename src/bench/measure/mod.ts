/**
 * Measurement, the lowest layer of the harness: the timed window (window.ts) and the lone rank
 * timed beside data-parallel ranks (solo.ts, scaling.ts), the step breakdown (breakdown.ts), our
 * run's stages in order (run.ts) and its complete record (record.ts), the run's noise verdict
 * (noise_check.ts) and the shape of a paired window (paired_shape.ts). It imports neither the
 * baselines nor the entry.
 *
 * @module
 */
export * from "./paired_shape.ts";
export * from "./window.ts";
export * from "./scaling.ts";
export * from "./breakdown.ts";
export * from "./record.ts";
export * from "./run.ts";
export * from "./noise_check.ts";
