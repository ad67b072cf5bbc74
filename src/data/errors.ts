/**
 * Error type shared by every loader in `src/data`.
 *
 * @module
 */

/** Options for {@linkcode DataError}. */
export interface DataErrorOptions {
  /** Path (or name) of the file or folder the error is about. */
  file: string;
  /** The underlying error, if any (for example a `Deno.errors.NotFound`). */
  cause?: unknown;
}

/**
 * Raised when a data file or folder is missing, unreadable or malformed.
 *
 * The message always starts with the offending file, then says what was expected and what was
 * found, e.g. `train-images-idx3-ubyte: expected magic 0x00000803 (ubyte, 3 dims), found
 * 0x00000801 (ubyte, 1 dim)`.
 *
 * @example Usage
 * ```ts
 * import { DataError } from "./errors.ts";
 *
 * const err = new DataError("expected 10 bytes, found 9", { file: "labels" });
 * console.log(err.message); // "labels: expected 10 bytes, found 9"
 * ```
 */
export class DataError extends Error {
  /** Path (or name) of the file or folder the error is about. */
  readonly file: string;

  /**
   * Creates a DataError; the message is prefixed with `file`.
   *
   * @param message What was expected and what was found.
   * @param options The file the error is about, and an optional cause.
   */
  constructor(message: string, options: DataErrorOptions) {
    super(`${options.file}: ${message}`, { cause: options.cause });
    this.name = "DataError";
    this.file = options.file;
  }
}
