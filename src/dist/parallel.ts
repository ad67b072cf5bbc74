/**
 * One rank of a data-parallel run, as DistributedDataParallel and DistributedSampler make it: a
 * c10d process group joined from the rank's environment, each fresh model broadcast from rank 0
 * and its gradients averaged by DDP's reducer, each epoch's permutation sharded, the interrupt
 * agreed by all ranks at every step boundary.
 *
 * @module
 */
import {
  type DistBackend,
  fromHost,
  GradientReducer,
  ProcessGroup,
  scope,
  type StopSignal,
  type Tensor,
  toHost,
} from "../ffi/mod.ts";
import type { BatchRange } from "../data/mod.ts";
import { type RankEnv, RankEnvError } from "./env.ts";
import { shardOrder, shardRanges } from "./shard.ts";
import { LAUNCHER_PID_VAR, orphaned } from "./child.ts";

/** The default of `--dist-timeout`: seconds a collective may wait for the other ranks. */
export const DEFAULT_DIST_TIMEOUT_SECONDS = 60;

/** Options of {@linkcode DataParallel}. */
export interface DataParallelOptions {
  /** Collective backend (default "gloo"). */
  backend?: DistBackend;
  /** Seconds any rendezvous or collective may wait (default 60). */
  timeoutSeconds?: number;
}

/** This process's rank in a data-parallel run; dispose() leaves the group. */
export class DataParallel {
  /** The joined process group. */
  readonly group: ProcessGroup;

  /** Joins the group the environment names (blocks until every rank has, or the timeout). */
  constructor(place: RankEnv, options: DataParallelOptions = {}) {
    if (orphaned(Deno.env.toObject(), Deno.ppid)) {
      throw new RankEnvError(
        `rank ${place.rank}: expected its launcher (pid ${Deno.env.get(LAUNCHER_PID_VAR)}) as ` +
          `its parent, found pid ${Deno.ppid}: the launcher is gone`,
      );
    }
    this.group = new ProcessGroup({
      rank: place.rank,
      worldSize: place.worldSize,
      store: place.storeFile !== undefined
        ? { file: place.storeFile }
        : { addr: place.masterAddr, port: place.masterPort },
      backend: options.backend ?? "gloo",
      timeoutMs: (options.timeoutSeconds ?? DEFAULT_DIST_TIMEOUT_SECONDS) * 1000,
    });
  }

  /** This process's rank. */
  get rank(): number {
    return this.group.rank;
  }

  /** The number of ranks. */
  get worldSize(): number {
    return this.group.worldSize;
  }

  /** Makes a fresh model's parameters rank 0's, then averages their gradients in each backward. */
  attach(params: readonly Tensor[]): GradientReducer {
    this.group.broadcast(params, 0);
    return new GradientReducer(this.group, params);
  }

  /** This rank's shard of an epoch's permutation; the permutation is disposed. */
  shardOf(order: Tensor): Tensor {
    try {
      return shardOrder(order, this.group);
    } finally {
      order.dispose();
    }
  }

  /** This rank's batches over its shard of `n` images, the global batch split evenly. */
  ranges(n: number, globalBatch: number): BatchRange[] {
    return shardRanges(n, { globalBatch, worldSize: this.worldSize });
  }

  /** The mean of `x` over the ranks (every rank must ask). */
  mean(x: number): number {
    return scope(() => {
      const t = fromHost(new Float64Array([x]), [1]);
      this.group.allReduce(t, true);
      return (toHost(t) as Float64Array)[0];
    });
  }

  /** Every rank's `x`, rank 0 first (every rank must ask). */
  gather(x: number): number[] {
    return scope(() => {
      const slots = new Float64Array(this.worldSize);
      slots[this.rank] = x;
      const t = fromHost(slots, [slots.length]);
      this.group.allReduce(t, false);
      return Array.from(toHost(t) as Float64Array);
    });
  }

  /** Waits until every rank has come here. */
  barrier(): void {
    this.group.barrier();
  }

  /**
   * The interrupt every rank stops for, asked by every rank at the same step boundary: any rank's
   * interrupt stops all of them there (SIGTERM over SIGINT when both came).
   */
  agreeSignal(local: StopSignal | null): StopSignal | null {
    // Per signal, how many ranks have it (a sum over the ranks).
    const [ints, terms] = scope(() => {
      const t = fromHost(new Int32Array([+(local === "SIGINT"), +(local === "SIGTERM")]), [2]);
      this.group.allReduce(t, false);
      return Array.from(toHost(t) as Int32Array);
    });
    return local ?? (terms > 0 ? "SIGTERM" : ints > 0 ? "SIGINT" : null);
  }

  /** Leaves the group. */
  dispose(): void {
    this.group.dispose();
  }
}
