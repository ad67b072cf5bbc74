/**
 * torch.utils.data.DistributedSampler's split of one epoch's permutation (shuffle on, drop_last
 * off): the permutation is padded to a multiple of the world size with its own first entries,
 * and rank r takes every world-size-th entry from position r. Each rank then batches its shard
 * with the global batch divided by the world size, so that step k of every rank together covers
 * the same images as step k of one rank with the global batch.
 *
 * @module
 */
import { type BatchRange, batchRanges } from "../data/mod.ts";
import { fromHost, indexSelect, type Tensor } from "../ffi/mod.ts";

/** Positions in an epoch's permutation of `n` images that rank `rank` of `worldSize` trains on. */
export function shardPositions(n: number, rank: number, worldSize: number): number[] {
  if (n < 1) return [];
  const perRank = Math.ceil(n / worldSize);
  return Array.from({ length: perRank }, (_, i) => (rank + i * worldSize) % n);
}

/** The images per step of one rank: the global batch split evenly. */
export function localBatchSize(globalBatch: number, worldSize: number): number {
  if (globalBatch % worldSize !== 0) {
    throw new RangeError(
      `--batch-size ${globalBatch}: expected a multiple of the ${worldSize} ranks (each takes an ` +
        `equal share), found a remainder of ${globalBatch % worldSize}`,
    );
  }
  return globalBatch / worldSize;
}

/** One rank's batches over its shard of `n` images. */
export function shardRanges(
  n: number,
  place: { globalBatch: number; worldSize: number },
): BatchRange[] {
  const { globalBatch, worldSize } = place;
  return batchRanges(Math.ceil(n / worldSize), localBatchSize(globalBatch, worldSize));
}

/** Rank `rank`'s shard of a permutation tensor (int64, any device): a new tensor. */
export function shardOrder(order: Tensor, place: { rank: number; worldSize: number }): Tensor {
  const n = order.shape[0];
  const positions = BigInt64Array.from(shardPositions(n, place.rank, place.worldSize), BigInt);
  const index = fromHost(positions, [positions.length], { device: order.device });
  try {
    return indexSelect(order, 0, index);
  } finally {
    index.dispose();
  }
}
