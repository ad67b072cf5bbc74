/**
 * Moved to src/train/stop.ts: this re-export stays until src/dist/ (the lead's area) imports
 * `StopSignal` from there.
 *
 * @module
 */
export type { StopSignal } from "../train/stop.ts";
