/**
 * Reading and writing IDX files (the MNIST file format), unsigned-byte payloads only.
 *
 * An IDX file is: two zero bytes, a type byte (0x08 = unsigned byte), a dimension count byte,
 * one big-endian uint32 per dimension, then the payload in row-major order.
 *
 * @module
 */

import { DataError } from "./errors.ts";
import { gunzip, type InflatedLimit, isGzip } from "./gzip.ts";

/** A parsed IDX file: its dimensions and a view of its unsigned-byte payload. */
export interface IdxArray {
  /** Size of each dimension, outermost first (e.g. `[60000, 28, 28]`). */
  dims: number[];
  /** Row-major payload; its length is the product of `dims`. */
  data: Uint8Array;
}

/** Options for {@linkcode parseIdx} and {@linkcode decodeIdx}. */
export interface ParseIdxOptions {
  /** Path (or name) of the file, used in error messages. */
  file: string;
  /** Required number of dimensions (1 to 255); any count is accepted when omitted. */
  expectDims?: number;
}

/** Options for {@linkcode readIdxFile}. */
export interface ReadIdxFileOptions {
  /** Required number of dimensions (1 to 255); any count is accepted when omitted. */
  expectDims?: number;
}

/** IDX type byte for unsigned bytes, the only payload type supported. */
export const IDX_UBYTE = 0x08;

const TYPE_NAMES: Record<number, string> = {
  0x08: "ubyte",
  0x09: "sbyte",
  0x0b: "int16",
  0x0c: "int32",
  0x0d: "float32",
  0x0e: "float64",
};

/**
 * Parses an uncompressed IDX file with an unsigned-byte payload.
 *
 * The header is validated (two zero bytes, type 0x08, a dimension count of at least 1, equal to
 * `expectDims` when given) and the payload size must equal the product of the dimensions
 * exactly. The returned `data` is a zero-copy subarray of `bytes`.
 *
 * For any input bytes this throws only {@linkcode DataError}.
 *
 * @example Usage
 * ```ts
 * import { parseIdx } from "./idx.ts";
 *
 * const bytes = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 7, 9]);
 * const { dims, data } = parseIdx(bytes, { file: "labels", expectDims: 1 });
 * console.log(dims, data); // [ 2 ] Uint8Array(2) [ 7, 9 ]
 * ```
 *
 * @param bytes The whole file's bytes.
 * @param options The file name for error messages and the expected dimension count.
 * @returns The dimensions and a view of the payload.
 * @throws {DataError} When the header or payload size is invalid.
 * @throws {RangeError} When `options.expectDims` is not an integer from 1 to 255.
 */
export function parseIdx(bytes: Uint8Array, options: ParseIdxOptions): IdxArray {
  const { file, expectDims } = options;
  if (
    expectDims !== undefined &&
    !(Number.isInteger(expectDims) && expectDims >= 1 && expectDims <= 255)
  ) {
    throw new RangeError(`expectDims: expected an integer from 1 to 255, found ${expectDims}`);
  }
  if (!(bytes instanceof Uint8Array)) {
    throw new DataError(`expected the file's bytes as a Uint8Array, found ${describe(bytes)}`, {
      file,
    });
  }
  return readDims(bytes, { file, rank: checkMagic(bytes, options) });
}

/** Checks the 4-byte magic (ubyte, rank, `expectDims` when given); returns the rank. */
function checkMagic(bytes: Uint8Array, { file, expectDims }: ParseIdxOptions): number {
  const expectedMagic = expectDims === undefined
    ? "0x000008NN (ubyte, NN >= 1 dims)"
    : `${hex8(IDX_UBYTE * 256 + expectDims)} (ubyte, ${plural(expectDims, "dim")})`;
  if (bytes.length < 4) {
    throw new DataError(
      `expected magic ${expectedMagic}, found only ${plural(bytes.length, "byte")}`,
      { file },
    );
  }
  const type = bytes[2];
  const rank = bytes[3];
  if (
    bytes[0] !== 0 || bytes[1] !== 0 || type !== IDX_UBYTE || rank === 0 ||
    (expectDims !== undefined && rank !== expectDims)
  ) {
    const magic = ((bytes[0] << 24) | (bytes[1] << 16) | (type << 8) | rank) >>> 0;
    const what = bytes[0] !== 0 || bytes[1] !== 0
      ? "not IDX: the first two bytes must be zero"
      : `${TYPE_NAMES[type] ?? `unknown type 0x${hex2(type)}`}, ${plural(rank, "dim")}`;
    throw new DataError(`expected magic ${expectedMagic}, found ${hex8(magic)} (${what})`, {
      file,
    });
  }
  return rank;
}

/** Reads the `rank` big-endian dimensions and checks the payload is exactly their product. */
function readDims(bytes: Uint8Array, { file, rank }: { file: string; rank: number }): IdxArray {
  const headerSize = 4 + 4 * rank;
  if (bytes.length < headerSize) {
    throw new DataError(
      `expected a ${headerSize}-byte header for ${plural(rank, "dim")}, ` +
        `found only ${plural(bytes.length, "byte")}`,
      { file },
    );
  }
  const dims = headerDims(bytes, rank);
  const expected = dims.reduce((a, d) => a * BigInt(d), 1n);
  const payload = bytes.length - headerSize;
  const found = BigInt(payload);
  if (found !== expected) {
    const detail = found < expected
      ? `truncated by ${expected - found} bytes`
      : `${found - expected} trailing bytes`;
    throw new DataError(
      `expected ${expected} payload bytes for dims [${dims.join(", ")}], ` +
        `found ${payload} (${detail})`,
      { file },
    );
  }
  return { dims, data: bytes.subarray(headerSize) };
}

/** The `rank` big-endian dimensions that follow the magic (the caller checks there are enough bytes). */
function headerDims(bytes: Uint8Array, rank: number): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
}

/**
 * The size a whole IDX file must have, read from its first bytes once they hold the header
 * (undefined before); throws the DataError of a wrong magic as soon as the magic is there.
 */
function idxSize(head: Uint8Array, options: ParseIdxOptions): InflatedLimit | undefined {
  if (head.length < 4) return undefined;
  const rank = checkMagic(head, options);
  if (head.length < 4 + 4 * rank) return undefined;
  const dims = headerDims(head, rank);
  const total = BigInt(4 + 4 * rank) + dims.reduce((a, d) => a * BigInt(d), 1n);
  return {
    bytes: total > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(total),
    why: `what its IDX header implies for dims [${dims.join(", ")}]`,
  };
}

/**
 * Parses IDX bytes that may be gzip-compressed.
 *
 * The bytes are decompressed first when `options.file` ends with `.gz` or the bytes start with
 * the gzip magic `1f 8b`, and decompression stops as soon as the output passes the size the IDX
 * header at its start implies (or 1 GiB, gzip.ts's MAX_INFLATED_BYTES), so a gzip bomb is
 * refused early. For any input bytes this rejects only with {@linkcode DataError}.
 *
 * @example Usage
 * ```ts
 * import { decodeIdx } from "./idx.ts";
 *
 * const bytes = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 1, 4]);
 * const { dims } = await decodeIdx(bytes, { file: "labels" });
 * console.log(dims); // [ 1 ]
 * ```
 *
 * @param bytes The file's bytes, plain or gzip.
 * @param options The file name (also used to detect `.gz`) and the expected dimension count.
 * @returns The dimensions and the payload.
 * @throws {DataError} When the gzip stream or the IDX content is invalid.
 */
export async function decodeIdx(bytes: Uint8Array, options: ParseIdxOptions): Promise<IdxArray> {
  const compressed = options.file.endsWith(".gz") || isGzip(bytes);
  const plain = compressed
    ? await gunzip(bytes, { file: options.file, expectedSize: (head) => idxSize(head, options) })
    : bytes;
  return parseIdx(plain, options);
}

/**
 * Reads and parses an IDX file, decompressing it when it is gzip (by `.gz` name or magic).
 *
 * @example Usage
 * ```ts ignore
 * import { readIdxFile } from "./idx.ts";
 *
 * const labels = await readIdxFile("data/train-labels-idx1-ubyte", { expectDims: 1 });
 * console.log(labels.dims); // [ 60000 ]
 * ```
 *
 * @param path Path of the file.
 * @param options The expected dimension count.
 * @returns The dimensions and the payload.
 * @throws {DataError} When the file is missing or unreadable, or its content is invalid; the
 * message starts with `path`.
 */
export async function readIdxFile(
  path: string,
  options: ReadIdxFileOptions = {},
): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (cause) {
    const found = cause instanceof Deno.errors.NotFound
      ? "no such file"
      : cause instanceof Deno.errors.IsADirectory
      ? "a directory"
      : `an unreadable file (${cause instanceof Error ? cause.message : String(cause)})`;
    throw new DataError(`expected a readable IDX file, found ${found}`, { file: path, cause });
  }
  return await decodeIdx(bytes, { file: path, expectDims: options.expectDims });
}

/**
 * Encodes an unsigned-byte IDX file; the inverse of {@linkcode parseIdx}.
 *
 * @example Usage
 * ```ts
 * import { encodeIdx } from "./idx.ts";
 *
 * console.log(encodeIdx([2], new Uint8Array([7, 9]))); // Uint8Array(10) [ 0, 0, 8, 1, 0, 0, 0, 2, 7, 9 ]
 * ```
 *
 * @param dims Size of each dimension (1 to 255 dimensions, each a uint32).
 * @param data Row-major payload whose length is the product of `dims`.
 * @returns The file's bytes.
 * @throws {RangeError} When `dims` or the payload length is invalid.
 */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  if (dims.length < 1 || dims.length > 255) {
    throw new RangeError(`dims: expected 1 to 255 dimensions, found ${dims.length}`);
  }
  let product = 1;
  for (const dim of dims) {
    if (!Number.isInteger(dim) || dim < 0 || dim > 0xffffffff) {
      throw new RangeError(`dims: expected uint32 sizes, found ${dim} in [${dims.join(", ")}]`);
    }
    product *= dim;
  }
  if (product !== data.length) {
    throw new RangeError(
      `data: expected ${product} bytes for dims [${dims.join(", ")}], found ${data.length}`,
    );
  }
  const headerSize = 4 + 4 * dims.length;
  const out = new Uint8Array(headerSize + data.length);
  const view = new DataView(out.buffer);
  out[2] = IDX_UBYTE;
  out[3] = dims.length;
  dims.forEach((dim, i) => view.setUint32(4 + 4 * i, dim, false));
  out.set(data, headerSize);
  return out;
}

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}

function hex8(value: number): string {
  return `0x${value.toString(16).padStart(8, "0")}`;
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "an object";
  return typeof value;
}
