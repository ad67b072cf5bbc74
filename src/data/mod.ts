/**
 * Data loading for training on MNIST-format datasets: IDX parsing, dataset loading and
 * validation, torchvision-identical normalisation, seeded shuffling and batching.
 *
 * @example Usage
 * ```ts ignore
 * import { batchRanges, loadDataset, normalizeImages, permutation, Rng } from "./mod.ts";
 *
 * const ds = await loadDataset("mnist");
 * const x = normalizeImages(ds.train.images);
 * const rng = new Rng(0);
 * const order = permutation(ds.train.count, rng);
 * for (const { start, size } of batchRanges(ds.train.count, 64)) {
 *   const indices = order.subarray(start, start + size);
 * }
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./gzip.ts";
export * from "./idx.ts";
export * from "./mnist_package.ts";
export * from "./dataset.ts";
export * from "./normalize.ts";
export * from "./rng.ts";
export * from "./shuffle.ts";
export * from "./batches.ts";
