/**
 * Data-parallel training on PyTorch's c10d: a process group (Gloo on the CPU, NCCL in CUDA builds)
 * joined through a TCPStore or FileStore, and DDP's gradient reducer (c10d::Reducer), which
 * averages the gradients over the ranks in buckets during backward. Every failure, timeout
 * included, is a {@linkcode TorchError} with c10d's message.
 *
 * @module
 */
import { NativeHandle } from "./handle.ts";
import { check, errSlot, lib } from "./library.ts";
import { handleList } from "./ops.ts";
import { TorchError } from "./error.ts";
import type { Tensor } from "./tensor.ts";

/** c10d's collective backends, in the shim's code order. */
export const DIST_BACKENDS = ["gloo", "nccl"] as const;
/** A c10d backend: Gloo (CPU tensors) or NCCL (CUDA tensors, CUDA builds). */
export type DistBackend = typeof DIST_BACKENDS[number];

/** Where and how to join a {@linkcode ProcessGroup}. */
export interface ProcessGroupOptions {
  /** This process's rank, 0..worldSize-1. */
  rank: number;
  /** The number of ranks. */
  worldSize: number;
  /** The rendezvous: a TCPStore that rank 0 serves at addr:port, or a FileStore at a path. */
  store: { addr: string; port: number } | { file: string };
  /** Collective backend (default "gloo"). */
  backend?: DistBackend;
  /** Milliseconds any store wait or collective may take before it fails (default 60 000). */
  timeoutMs?: number;
}

const cString = (s: string) => new TextEncoder().encode(s + "\0");

/** A joined c10d process group; dispose() leaves it. */
export class ProcessGroup extends NativeHandle {
  /** This process's rank. */
  readonly rank: number;
  /** The number of ranks. */
  readonly worldSize: number;
  /** The collective backend. */
  readonly backend: DistBackend;

  /** Joins the group: blocks until every rank has joined, or fails after the timeout. */
  constructor(options: ProcessGroupOptions) {
    const backend = options.backend ?? "gloo";
    const s = options.store;
    const p = lib().atd_new(
      "addr" in s ? cString(s.addr) : null,
      "addr" in s ? s.port : 0,
      "file" in s ? cString(s.file) : null,
      options.rank,
      options.worldSize,
      DIST_BACKENDS.indexOf(backend),
      BigInt(Math.round(options.timeoutMs ?? 60_000)),
      errSlot,
    );
    check();
    if (p === null) throw new TorchError("process group: the shim returned no group");
    super(p, lib().atd_free, "ProcessGroup");
    this.rank = options.rank;
    this.worldSize = options.worldSize;
    this.backend = backend;
  }

  /** Overwrites the tensors on every rank with rank `root`'s values (default rank 0). */
  broadcast(tensors: readonly Tensor[], root = 0): void {
    lib().atd_broadcast(this.handle, handleList(tensors), BigInt(tensors.length), root, errSlot);
    check();
  }

  /** Sums `t` in place over the ranks, or averages it when `average`. */
  allReduce(t: Tensor, average = false): void {
    lib().atd_allreduce(this.handle, t.ptr, average ? 1 : 0, errSlot);
    check();
  }

  /** Waits until every rank has reached the barrier. */
  barrier(): void {
    lib().atd_barrier(this.handle, errSlot);
    check();
  }

  /** The native group, for {@linkcode GradientReducer} (same module). */
  get native(): Deno.PointerObject {
    return this.handle;
  }
}

/** DDP's bucket cap (torch.nn.parallel.DistributedDataParallel's bucket_cap_mb=25). */
export const DEFAULT_BUCKET_BYTES = 25 * 1024 * 1024;

/**
 * c10d::Reducer over a model's parameters, as DistributedDataParallel builds it: after
 * {@linkcode GradientReducer.prepare}, the next backward leaves every parameter's gradient averaged
 * over the ranks. The parameters and the group must outlive it.
 */
export class GradientReducer extends NativeHandle {
  /** Builds the reducer; the parameters must require grad and match on every rank. */
  constructor(group: ProcessGroup, params: readonly Tensor[], bucketBytes = DEFAULT_BUCKET_BYTES) {
    const p = lib().atd_reducer_new(
      group.native,
      handleList(params),
      BigInt(params.length),
      BigInt(bucketBytes),
      errSlot,
    );
    check();
    if (p === null) throw new TorchError("reducer: the shim returned no reducer");
    super(p, lib().atd_reducer_free, "GradientReducer");
  }

  /** Arms the gradient hooks for the coming backward (once per step, before it). */
  prepare(): void {
    lib().atd_reducer_prepare(this.handle, errSlot);
    check();
  }

  /**
   * The last backward's exposed all-reduce wait in milliseconds: from the launch of its last
   * gradient bucket (the moment backward's last gradient is ready) to the completion of its last
   * all-reduce, 0 when the all-reduces had finished by then; null when no backward ran since
   * {@linkcode GradientReducer.prepare}. The reducer averages with a comm hook of the shim's that
   * reads the clock at each bucket's launch and completion (the same float operations as DDP's
   * default reduction).
   */
  lastWaitMs(): number | null {
    const ns = lib().atd_reducer_wait_ns(this.handle, errSlot) as bigint;
    check();
    return ns < 0n ? null : Number(ns) / 1e6;
  }
}
