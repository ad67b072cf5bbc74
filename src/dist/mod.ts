/**
 * Data-parallel training on PyTorch's c10d, as DistributedDataParallel: the rank environment
 * (torchrun's or srun's), DistributedSampler's shards, one rank's process group and gradient
 * averaging, the launcher of `deno task bench --nproc N`, and child processes that cannot outlive
 * their launcher.
 *
 * @module
 */
export * from "./env.ts";
export * from "./shard.ts";
export * from "./parallel.ts";
export * from "./launch.ts";
export * from "./child.ts";
export * from "./checks.ts";
/** The interrupts ranks agree on (the shim records them). */
export type { StopSignal } from "../ffi/mod.ts";
