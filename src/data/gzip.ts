/**
 * Gzip detection and decompression for data files.
 *
 * @module
 */

import { DataError } from "./errors.ts";

/**
 * Returns true when `bytes` start with the gzip magic number `1f 8b`.
 *
 * @example Usage
 * ```ts
 * import { isGzip } from "./gzip.ts";
 *
 * console.log(isGzip(new Uint8Array([0x1f, 0x8b, 8]))); // true
 * ```
 *
 * @param bytes The bytes to check.
 * @returns Whether the bytes look like a gzip stream.
 */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The most bytes a gzip data file may inflate to: 1 GiB (MNIST's largest file has 47 MB). */
export const MAX_INFLATED_BYTES = 1 << 30;

/**
 * Compressed bytes handed to the inflater at a time: deflate expands at most about 1032:1, so
 * each step yields at most about 4 MiB, and a bomb is stopped within 4 MiB of its limit.
 */
const SLICE_BYTES = 4096;

/** A size the inflated bytes must not pass, and what sets it (for the error message). */
export interface InflatedLimit {
  /** The most bytes. */
  bytes: number;
  /** What sets the limit, e.g. "what its IDX header implies for dims [60000, 28, 28]". */
  why: string;
}

/** Options for {@linkcode gunzip}. */
export interface GunzipOptions {
  /** Path (or name) of the file, used in error messages. */
  file: string;
  /** The most bytes the stream may inflate to (default {@linkcode MAX_INFLATED_BYTES}). */
  maxBytes?: number;
  /**
   * Given the bytes inflated so far, the size the whole must not pass once they tell it
   * (undefined until then); it may throw a DataError when they show the content is invalid.
   */
  expectedSize?: (head: Uint8Array) => InflatedLimit | undefined;
}

/**
 * Decompresses a single-member gzip stream with `DecompressionStream("gzip")`, a few KiB of input
 * at a time, and stops as soon as the output passes `options.maxBytes` or the size that
 * `options.expectedSize` reads from its first bytes: a bomb costs memory up to that limit only.
 *
 * @example Usage
 * ```ts
 * import { gunzip } from "./gzip.ts";
 *
 * const gz = new Uint8Array(
 *   await new Response(
 *     new Blob([new Uint8Array([1, 2, 3])]).stream().pipeThrough(new CompressionStream("gzip")),
 *   ).arrayBuffer(),
 * );
 * console.log(await gunzip(gz, { file: "x.gz" })); // Uint8Array(3) [ 1, 2, 3 ]
 * ```
 *
 * @param bytes The compressed bytes.
 * @param options The file name for error messages, and the limits.
 * @returns The decompressed bytes.
 * @throws {DataError} When the bytes are not gzip, the stream is corrupt or truncated, or it
 * inflates past a limit.
 */
export async function gunzip(
  bytes: Uint8Array,
  options: GunzipOptions,
): Promise<Uint8Array<ArrayBuffer>> {
  if (!isGzip(bytes)) {
    const found = bytes.length >= 2
      ? `0x${hex2(bytes[0])} 0x${hex2(bytes[1])}`
      : `only ${bytes.length} byte${bytes.length === 1 ? "" : "s"}`;
    throw new DataError(`expected gzip data starting with 0x1f 0x8b, found ${found}`, {
      file: options.file,
    });
  }
  let at = 0;
  const source = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + SLICE_BYTES));
      at += SLICE_BYTES;
    },
  }, { highWaterMark: 0 });
  const reader = source.pipeThrough(new DecompressionStream("gzip")).getReader();
  try {
    return await collect(reader, options);
  } catch (cause) {
    if (cause instanceof DataError) throw cause;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new DataError(`expected a valid gzip stream, found corrupt data (${reason})`, {
      file: options.file,
      cause,
    });
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** Reads the inflated chunks into one buffer, refusing any that passes the limit. */
async function collect(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  options: GunzipOptions,
): Promise<Uint8Array<ArrayBuffer>> {
  let limit: InflatedLimit = {
    bytes: options.maxBytes ?? MAX_INFLATED_BYTES,
    why: "the limit for data files",
  };
  let told = options.expectedSize === undefined; // whether the head has told the size yet
  let exact = false; // whether the limit is the size the head told
  let out = new Uint8Array(0);
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out.subarray(0, size);
    if (size + value.length > limit.bytes) throw passed(limit, size + value.length, options.file);
    if (size + value.length > out.length) {
      const room = exact ? limit.bytes : Math.max(2 * out.length, size + value.length);
      const grown = new Uint8Array(Math.min(room, limit.bytes));
      grown.set(out.subarray(0, size));
      out = grown;
    }
    out.set(value, size);
    size += value.length;
    const expected = told ? undefined : options.expectedSize!(out.subarray(0, size));
    if (expected !== undefined) {
      told = true;
      if (expected.bytes < limit.bytes) [limit, exact] = [expected, true];
      if (size > limit.bytes) throw passed(limit, size, options.file);
    }
  }
}

function passed(limit: InflatedLimit, size: number, file: string): DataError {
  return new DataError(
    `expected at most ${limit.bytes} bytes once decompressed (${limit.why}), found more: ` +
      `stopped after ${size} bytes`,
    { file },
  );
}

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}
