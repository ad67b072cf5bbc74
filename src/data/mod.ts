/**
 * Data loading for training on MNIST-format datasets: IDX parsing, dataset loading and
 * validation, torchvision-identical normalisation, batching and a small seeded generator (the
 * epoch's order itself is libtorch's randperm: src/ffi's Generator).
 *
 * @example Usage
 * ```ts ignore
 * import { batchRanges, loadDataset, normalizeImages } from "./mod.ts";
 *
 * const ds = await loadDataset("mnist");
 * const x = normalizeImages(ds.train.images);
 * for (const { start, size } of batchRanges(ds.train.count, 64)) {
 *   const batch = x.subarray(start * 784, (start + size) * 784);
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
export * from "./batches.ts";
