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

/** Options for {@linkcode gunzip}. */
export interface GunzipOptions {
  /** Path (or name) of the file, used in error messages. */
  file: string;
}

/**
 * Decompresses a single-member gzip stream with `DecompressionStream("gzip")`.
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
 * @param options The file name for error messages.
 * @returns The decompressed bytes.
 * @throws {DataError} When the bytes are not gzip or the stream is corrupt or truncated.
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
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
      .pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new DataError(`expected a valid gzip stream, found corrupt data (${reason})`, {
      file: options.file,
      cause,
    });
  }
}

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}
