import assert from "node:assert/strict";
import { join } from "node:path";
import { DataError, decodeIdx, encodeIdx, gunzip, parseIdx, readIdxFile } from "../src/data/mod.ts";

/** Builds IDX bytes by hand (independently of encodeIdx). */
function idx(type: number, dims: number[], payload: number[] | Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  const view = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Asserts that `fn` throws a DataError about `file` whose message matches `pattern`. */
function assertDataError(fn: () => unknown, file: string, pattern: RegExp): DataError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  return checkDataError(caught, file, pattern);
}

async function assertRejectsDataError(
  fn: () => Promise<unknown>,
  file: string,
  pattern: RegExp,
): Promise<DataError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  return checkDataError(caught, file, pattern);
}

function checkDataError(caught: unknown, file: string, pattern: RegExp): DataError {
  assert.ok(caught instanceof DataError, `expected a DataError, found ${caught}`);
  assert.equal(caught.name, "DataError");
  assert.equal(caught.file, file);
  assert.ok(caught.message.startsWith(`${file}: `), caught.message);
  assert.match(caught.message, pattern);
  return caught;
}

const IMAGES = "train-images-idx3-ubyte";
const LABELS = "train-labels-idx1-ubyte";

Deno.test("parseIdx() parses a tiny 3-dim image file into dims and a zero-copy payload view", () => {
  const pixels = Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 10);
  const bytes = idx(0x08, [2, 3, 4], pixels);
  const { dims, data } = parseIdx(bytes, { file: IMAGES, expectDims: 3 });
  assert.deepEqual(dims, [2, 3, 4]);
  assert.deepEqual([...data], pixels);
  assert.equal(data.buffer, bytes.buffer);
  assert.equal(data.byteOffset, 16);
});

Deno.test("parseIdx() parses a label file at a non-zero byte offset with big-endian dims", () => {
  const padded = new Uint8Array(3 + 8 + 300);
  padded.set(idx(0x08, [300], new Uint8Array(300).fill(7)), 3);
  const { dims, data } = parseIdx(padded.subarray(3), { file: LABELS, expectDims: 1 });
  assert.deepEqual(dims, [300]);
  assert.equal(data.length, 300);
  assert.equal(data[299], 7);
});

Deno.test("parseIdx() accepts any dimension count when expectDims is omitted", () => {
  assert.deepEqual(parseIdx(idx(0x08, [1, 1, 1, 2], [1, 2]), { file: "x" }).dims, [1, 1, 1, 2]);
});

Deno.test("parseIdx() accepts a zero-sized dimension with an empty payload", () => {
  const { dims, data } = parseIdx(idx(0x08, [0, 28, 28], []), { file: IMAGES, expectDims: 3 });
  assert.deepEqual(dims, [0, 28, 28]);
  assert.equal(data.length, 0);
});

Deno.test("parseIdx() rejects a file shorter than the magic naming the file", () => {
  assertDataError(
    () => parseIdx(new Uint8Array([0, 0, 8]), { file: IMAGES, expectDims: 3 }),
    IMAGES,
    /expected magic 0x00000803 \(ubyte, 3 dims\), found only 3 bytes/,
  );
  assertDataError(() => parseIdx(new Uint8Array(0), { file: IMAGES }), IMAGES, /found only 0/);
});

Deno.test("parseIdx() rejects a dims count other than expectDims with expected and found magic", () => {
  const err = assertDataError(
    () => parseIdx(idx(0x08, [3], [1, 2, 3]), { file: IMAGES, expectDims: 3 }),
    IMAGES,
    /found 0x00000801/,
  );
  assert.equal(
    err.message,
    "train-images-idx3-ubyte: expected magic 0x00000803 (ubyte, 3 dims), " +
      "found 0x00000801 (ubyte, 1 dim)",
  );
});

Deno.test("parseIdx() rejects non-zero leading bytes as not IDX", () => {
  const bytes = idx(0x08, [1], [0]);
  bytes[1] = 0x01;
  assertDataError(
    () => parseIdx(bytes, { file: LABELS, expectDims: 1 }),
    LABELS,
    /expected magic 0x00000801 \(ubyte, 1 dim\), found 0x00010801 \(not IDX/,
  );
  const gz = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
  assertDataError(() => parseIdx(gz, { file: LABELS }), LABELS, /found 0x1f8b0800 \(not IDX/);
});

Deno.test("parseIdx() rejects payload types other than ubyte naming the type", () => {
  assertDataError(
    () => parseIdx(idx(0x0d, [1], [0, 0, 0, 0]), { file: LABELS, expectDims: 1 }),
    LABELS,
    /expected magic 0x00000801 \(ubyte, 1 dim\), found 0x00000d01 \(float32, 1 dim\)/,
  );
  assertDataError(
    () => parseIdx(idx(0x07, [1], [0]), { file: LABELS }),
    LABELS,
    /expected magic 0x000008NN \(ubyte, NN >= 1 dims\), found 0x00000701 \(unknown type 0x07/,
  );
});

Deno.test("parseIdx() rejects a header with zero dimensions", () => {
  assertDataError(
    () => parseIdx(new Uint8Array([0, 0, 8, 0, 5]), { file: "x" }),
    "x",
    /found 0x00000800 \(ubyte, 0 dims\)/,
  );
});

Deno.test("parseIdx() rejects a header cut inside the dimension sizes", () => {
  const bytes = idx(0x08, [2, 2, 2], new Uint8Array(8)).subarray(0, 13);
  assertDataError(
    () => parseIdx(bytes, { file: IMAGES, expectDims: 3 }),
    IMAGES,
    /expected a 16-byte header for 3 dims, found only 13 bytes/,
  );
});

Deno.test("parseIdx() rejects a truncated image file naming the file", () => {
  const bytes = idx(0x08, [2, 28, 28], new Uint8Array(2 * 28 * 28));
  assertDataError(
    () => parseIdx(bytes.subarray(0, bytes.length - 5), { file: IMAGES, expectDims: 3 }),
    IMAGES,
    /expected 1568 payload bytes for dims \[2, 28, 28\], found 1563 \(truncated by 5 bytes\)/,
  );
});

Deno.test("parseIdx() rejects trailing bytes after the payload", () => {
  assertDataError(
    () => parseIdx(idx(0x08, [2], [1, 2, 3]), { file: LABELS, expectDims: 1 }),
    LABELS,
    /expected 2 payload bytes for dims \[2\], found 3 \(1 trailing bytes\)/,
  );
});

Deno.test("parseIdx() rejects huge dimension products without overflow", () => {
  const dims = Array.from({ length: 255 }, () => 0xffffffff);
  assertDataError(
    () => parseIdx(idx(0x08, dims, [1]), { file: "x" }),
    "x",
    /truncated by \d{100,} bytes/,
  );
});

Deno.test("parseIdx() rejects an invalid expectDims option with a RangeError", () => {
  assert.throws(
    () => parseIdx(idx(0x08, [1], [0]), { file: "x", expectDims: 0 }),
    (err: unknown) => err instanceof RangeError && /found 0/.test(err.message),
  );
});

Deno.test("parseIdx() rejects a non-Uint8Array input with a DataError", () => {
  assertDataError(
    () => parseIdx([0, 0, 8, 1] as unknown as Uint8Array, { file: "x" }),
    "x",
    /expected the file's bytes as a Uint8Array, found Array/,
  );
});

Deno.test("encodeIdx() round-trips through parseIdx()", () => {
  const data = new Uint8Array(3 * 5 * 2).map((_, i) => 255 - i);
  const bytes = encodeIdx([3, 5, 2], data);
  assert.deepEqual(bytes, idx(0x08, [3, 5, 2], data));
  const parsed = parseIdx(bytes, { file: "x", expectDims: 3 });
  assert.deepEqual(parsed.dims, [3, 5, 2]);
  assert.deepEqual(parsed.data, data);
});

Deno.test("encodeIdx() rejects a payload whose length is not the product of dims", () => {
  assert.throws(
    () => encodeIdx([2, 2], new Uint8Array(3)),
    (err: unknown) => err instanceof RangeError && /expected 4 bytes .* found 3/.test(err.message),
  );
  assert.throws(() => encodeIdx([], new Uint8Array(0)), RangeError);
  assert.throws(() => encodeIdx([-1], new Uint8Array(0)), RangeError);
});

Deno.test("decodeIdx() round-trips a gzip file made with CompressionStream", async () => {
  const data = new Uint8Array(4 * 3 * 3).map((_, i) => i);
  const gz = await gzip(encodeIdx([4, 3, 3], data));
  const parsed = await decodeIdx(gz, { file: `${IMAGES}.gz`, expectDims: 3 });
  assert.deepEqual(parsed.dims, [4, 3, 3]);
  assert.deepEqual(parsed.data, data);
});

Deno.test("decodeIdx() detects gzip by its magic when the name has no .gz", async () => {
  const gz = await gzip(encodeIdx([2], new Uint8Array([3, 4])));
  assert.deepEqual((await decodeIdx(gz, { file: LABELS })).data, new Uint8Array([3, 4]));
});

Deno.test("decodeIdx() rejects a corrupt gzip stream naming the file", async () => {
  const gz = await gzip(encodeIdx([64], new Uint8Array(64).fill(1)));
  const corrupt = gz.slice(0, gz.length - 6);
  await assertRejectsDataError(
    () => decodeIdx(corrupt, { file: `${LABELS}.gz` }),
    `${LABELS}.gz`,
    /expected a valid gzip stream, found corrupt data/,
  );
});

Deno.test("decodeIdx() rejects a .gz name whose bytes are not gzip", async () => {
  await assertRejectsDataError(
    () => decodeIdx(encodeIdx([1], new Uint8Array(1)), { file: `${LABELS}.gz` }),
    `${LABELS}.gz`,
    /expected gzip data starting with 0x1f 0x8b, found 0x00 0x00/,
  );
});

Deno.test("gunzip() rejects fewer than two bytes naming the file", async () => {
  await assertRejectsDataError(
    () => gunzip(new Uint8Array([0x1f]), { file: "a.gz" }),
    "a.gz",
    /found only 1 byte$/,
  );
});

Deno.test("gunzip() stops a stream that inflates past maxBytes, naming the limit", async () => {
  const gz = await gzip(new Uint8Array(10_000_000));
  await assertRejectsDataError(
    () => gunzip(gz, { file: "z.gz", maxBytes: 1_000_000 }),
    "z.gz",
    /expected at most 1000000 bytes once decompressed \(the limit for data files\), found more/,
  );
  assert.equal((await gunzip(gz, { file: "z.gz", maxBytes: 10_000_000 })).length, 10_000_000);
});

Deno.test("decodeIdx() stops a gzip file once it passes the size its IDX header implies", async () => {
  const bomb = await gzip(idx(0x08, [2], new Uint8Array(20_000_000)));
  const err = await assertRejectsDataError(
    () => decodeIdx(bomb, { file: `${LABELS}.gz`, expectDims: 1 }),
    `${LABELS}.gz`,
    /expected at most 10 bytes once decompressed \(what its IDX header implies for dims \[2\]\), found more: stopped after (\d+) bytes/,
  );
  const stopped = Number(/stopped after (\d+)/.exec(err.message)![1]);
  assert.ok(stopped < 5_000_000, `stopped within 5 MB of inflated output, found ${stopped}`);
});

Deno.test("decodeIdx() refuses a gzip file's wrong magic before inflating the rest", async () => {
  const zeros = await gzip(new Uint8Array(20_000_000));
  await assertRejectsDataError(
    () => decodeIdx(zeros, { file: `${IMAGES}.gz`, expectDims: 3 }),
    `${IMAGES}.gz`,
    /expected magic 0x00000803 \(ubyte, 3 dims\), found 0x00000000/,
  );
});

Deno.test("decodeIdx() reads a gzip file whose inflated chunks span many input slices", async () => {
  const data = new Uint8Array(300 * 28 * 28).map((_, i) => (i * 2654435761) >>> 24);
  const parsed = await decodeIdx(await gzip(encodeIdx([300, 28, 28], data)), {
    file: `${IMAGES}.gz`,
    expectDims: 3,
  });
  assert.deepEqual(parsed.dims, [300, 28, 28]);
  assert.deepEqual(parsed.data, data);
});

Deno.test("readIdxFile() reads plain and gzip files from disk", async () => {
  const dir = await Deno.makeTempDir({ prefix: "data_idx_test_" });
  try {
    const data = new Uint8Array(2 * 2 * 2).map((_, i) => i + 1);
    const bytes = encodeIdx([2, 2, 2], data);
    await Deno.writeFile(join(dir, IMAGES), bytes);
    await Deno.writeFile(join(dir, `${IMAGES}.gz`), await gzip(bytes));
    for (const name of [IMAGES, `${IMAGES}.gz`]) {
      const parsed = await readIdxFile(join(dir, name), { expectDims: 3 });
      assert.deepEqual(parsed.dims, [2, 2, 2]);
      assert.deepEqual(parsed.data, data);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readIdxFile() rejects a missing file or a folder naming the path", async () => {
  const dir = await Deno.makeTempDir({ prefix: "data_idx_test_" });
  try {
    const missing = join(dir, "nope-idx1-ubyte");
    await assertRejectsDataError(
      () => readIdxFile(missing),
      missing,
      /expected a readable IDX file, found no such file/,
    );
    await assertRejectsDataError(() => readIdxFile(dir), dir, /expected a readable IDX file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readIdxFile() reports header errors with the full path", async () => {
  const dir = await Deno.makeTempDir({ prefix: "data_idx_test_" });
  try {
    const path = join(dir, IMAGES);
    await Deno.writeFile(path, encodeIdx([3], new Uint8Array(3)));
    await assertRejectsDataError(
      () => readIdxFile(path, { expectDims: 3 }),
      path,
      /expected magic 0x00000803 \(ubyte, 3 dims\), found 0x00000801/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
