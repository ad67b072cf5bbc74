/**
 * The baselines beside our runs: PyTorch's epochs (baseline.ts) and PyTorch DDP beside our ranks
 * (ddp_baseline.ts), the warm workers of the paired window (worker_protocol.ts, worker.ts,
 * worker_child.ts; paired.ts pairs them with ours), the files a baseline process writes
 * (baseline_files.ts), glibc malloc's settings for our process and theirs (malloc.ts), the default
 * baseline (default_baseline.ts) and the one choice of a run's baselines (choose.ts). It builds on
 * the measurement (../measure/), never on the entry.
 *
 * @module
 */
export * from "./choose.ts";
export * from "./baseline_files.ts";
export * from "./baseline.ts";
export * from "./ddp_baseline.ts";
export * from "./default_baseline.ts";
export * from "./malloc.ts";
export * from "./worker.ts";
export * from "./paired.ts";
export * from "./self_worker.ts";
