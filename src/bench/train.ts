/**
 * Moved to src/train/train.ts: this re-export stays until benches/step_bench.ts (the lead's
 * area) imports the trainer from there.
 *
 * @module
 */
export * from "../train/train.ts";
