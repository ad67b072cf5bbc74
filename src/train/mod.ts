/**
 * The training loop, on any device: the {@linkcode Trainer} (the seed's step: zero grads →
 * forward → cross-entropy → backward → Adam, optionally captured in a CUDA graph), the epochs
 * (one loop with checkpoints, interrupts and the deadline as hooks), a step timed between device
 * synchronisations, the interrupt and deadline ({@linkcode Stopper}), checkpoints, and
 * `--precision auto`'s stage plan (the probe of the stages, the plan chosen from its timings, and
 * the check of the plan against fp32).
 *
 * @module
 */

export * from "./train.ts";
export * from "./epochs.ts";
export * from "./steps.ts";
export * from "./stop.ts";
export * from "./plan.ts";
export * from "./progress.ts";
export { CheckpointError } from "./checkpoint.ts";
export * from "./stage_plan.ts";
export * from "./probe.ts";
export * from "./plan_check.ts";
/** The types the training loop's API names, from the layers it builds on. */
export type {
  Adam,
  AdamImpl,
  BranchOp,
  Device as TorchDevice,
  DIST_BACKENDS,
  DistBackend,
  DType,
  DTYPES,
  Generator,
  GradientReducer,
  MemoryFormat,
  NativeHandle,
  ProcessGroup,
  StopSignal,
  Tensor,
} from "../ffi/mod.ts";
export type {
  GoogLeNet,
  Linear,
  LinearSpec,
  Module,
  Sequential,
  WeightAndBias,
} from "../model/mod.ts";
export type { PlacementOptions } from "../model/mod.ts";
export type { BatchRange, Dataset, Split } from "../data/mod.ts";
export type { DataParallel } from "../dist/mod.ts";
export type {
  BenchConfig,
  BenchResult,
  benchResultSchema,
  Device,
  EpochRecord,
  Precision,
  Run,
} from "../result/mod.ts";
