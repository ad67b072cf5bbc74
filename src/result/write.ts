/**
 * Writing result files without clobbering earlier results.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { basename, dirname, extname, join } from "node:path";
import { type BenchResult, CHOICES } from "./schema.ts";

/** Options for {@linkcode writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /** Replace an existing file whose content differs. Default false. */
  force?: boolean;
}

/** What {@linkcode writeFileAtomic} did. */
export type WriteOutcome = "written" | "unchanged";

/** A file's bytes, or null when there is no such file. */
function readIfExists(path: string): Promise<Buffer | null> {
  return Deno.readFile(path).then(Buffer.from, (error) => {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  });
}

/**
 * Writes `data` (text as UTF-8) to a temporary file in `path`'s directory and renames it over
 * `path`, so readers never see a half-written file.
 *
 * @returns `"unchanged"` (writing nothing) when `path` already held exactly `data`, else `"written"`.
 * @throws {Deno.errors.AlreadyExists} When `path` holds different content and `force` is not set.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteFileAtomicOptions = {},
): Promise<WriteOutcome> {
  const bytes = Buffer.from(data);
  const existing = await readIfExists(path);
  if (existing !== null) {
    if (existing.equals(bytes)) return "unchanged";
    if (!options.force) {
      throw new Deno.errors.AlreadyExists(
        `refusing to overwrite ${path}: expected no file or identical content, found a ` +
          `different ${existing.length}-byte file (choose another name or pass force)`,
      );
    }
  }
  const suffix = `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const temp = join(dirname(path), `.${basename(path)}.${suffix}.tmp`);
  try {
    await Deno.writeFile(temp, bytes, { createNew: true });
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  return "written";
}

/** The devices of a result's runs and baselines, cpu before cuda; `config.device` when none ran. */
export function devicesOf(result: BenchResult): string[] {
  const used = new Set(result.runs.flatMap((run) => [run.device, run.baseline?.device]));
  return used.size === 0 ? [result.config.device] : CHOICES.device.filter((d) => used.has(d));
}

/**
 * The canonical file name of a result: `<YYYY-MM-DD>-<host>-<devices>.json` (the UTC date of
 * `createdAt`, the host name reduced to `[a-z0-9.-]`, {@linkcode devicesOf} joined by `-`), e.g.
 * `"2025-01-31-gpu-box-cpu-cuda.json"`.
 *
 * @throws {RangeError} When `createdAt` is not a valid timestamp.
 */
export function resultFileName(result: BenchResult): string {
  const time = Date.parse(result.createdAt);
  if (Number.isNaN(time)) {
    throw new RangeError(
      `resultFileName: expected an ISO 8601 createdAt, found ${JSON.stringify(result.createdAt)}`,
    );
  }
  const date = new Date(time).toISOString().slice(0, 10);
  const host = result.env.hostname.toLowerCase().replace(/[^a-z0-9.-]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "") || "unknown-host";
  return `${date}-${host}-${devicesOf(result).join("-")}.json`;
}

/** Options for {@linkcode uniquePath}. */
export interface UniquePathOptions {
  /** Content about to be written: an existing file holding exactly this is reused. */
  content?: string | Uint8Array;
}

/**
 * A path in `dir` for `name` that clobbers no other file: `dir/name` when it is free, else
 * `stem-2.ext`, `stem-3.ext`, …; or the first of them that already holds exactly `content`, so
 * that writing the same result twice does not duplicate it.
 */
export async function uniquePath(
  dir: string,
  name: string,
  options: UniquePathOptions = {},
): Promise<string> {
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  const wanted = options.content === undefined ? null : Buffer.from(options.content);
  for (let n = 1;; n++) {
    const path = join(dir, n === 1 ? name : `${stem}-${n}${ext}`);
    const existing = await readIfExists(path);
    if (existing === null || (wanted !== null && existing.equals(wanted))) return path;
  }
}
