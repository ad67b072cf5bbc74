/**
 * Writing result files durably and without clobbering earlier results: each file is written to a
 * temporary name, fsynced, then moved to its name (renamed over it, or hard-linked so that the
 * name is created exclusively), and its directory fsynced, so that after a crash or a power cut
 * the name holds either nothing or the whole file.
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

/** Flushes a file's (or a directory's) content to the disk. */
export function fsyncPathSync(path: string): void {
  const file = Deno.openSync(path, { read: true });
  try {
    file.syncSync();
  } finally {
    file.close();
  }
}

/** A temporary name beside `path`, for writing it. */
export function tempPathFor(path: string): string {
  const suffix = `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  return join(dirname(path), `.${basename(path)}.${suffix}.tmp`);
}

/**
 * Moves the written, closed file `temp` to `path` durably: fsyncs it, renames it over `path`
 * (`replace`) or links it to `path` only if `path` does not exist (Deno.errors.AlreadyExists
 * otherwise, `temp` left in place), then fsyncs the directory. Synchronous, for the writers of
 * weights and checkpoints.
 */
export function commitFileSync(temp: string, path: string, replace: boolean): void {
  fsyncPathSync(temp);
  if (replace) {
    Deno.renameSync(temp, path);
  } else {
    Deno.linkSync(temp, path);
    Deno.removeSync(temp);
  }
  fsyncPathSync(dirname(path));
}

/** Writes `bytes` to a temporary file beside `path` and commits it (see {@linkcode commitFileSync}). */
async function writeDurably(path: string, bytes: Uint8Array, replace: boolean): Promise<void> {
  const temp = tempPathFor(path);
  try {
    await Deno.writeFile(temp, bytes, { createNew: true });
    commitFileSync(temp, path, replace);
  } finally {
    await Deno.remove(temp).catch(() => {}); // gone once committed
  }
}

/**
 * Writes `data` (text as UTF-8) to `path` durably and atomically (a temporary file, fsynced, moved
 * to `path`, the directory fsynced), so readers never see a half-written file.
 *
 * @returns `"unchanged"` (writing nothing) when `path` already held exactly `data`, else `"written"`.
 * @throws {Deno.errors.AlreadyExists} When `path` holds different content (or is created
 * meanwhile) and `force` is not set.
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
    if (!options.force) throw refusal(path, `a different ${existing.length}-byte file`);
  }
  try {
    await writeDurably(path, bytes, options.force ?? false);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists && !options.force) {
      throw refusal(path, "a file created meanwhile");
    }
    throw error;
  }
  return "written";
}

function refusal(path: string, found: string): Deno.errors.AlreadyExists {
  return new Deno.errors.AlreadyExists(
    `refusing to overwrite ${path}: expected no file or identical content, found ${found} ` +
      "(choose another name or pass force)",
  );
}

/**
 * Writes `data` under a new name in `dir`: `name` when it is free, else `stem-2.ext`, `stem-3.ext`,
 * … Each name is created exclusively (a hard link of the written, fsynced file), so two writers
 * at once never take the same name; a name that already holds exactly `data` is reused instead.
 * Returns the path written (or reused).
 */
export async function writeNewFile(
  dir: string,
  name: string,
  data: string | Uint8Array,
): Promise<string> {
  const bytes = Buffer.from(data);
  const temp = tempPathFor(join(dir, name));
  try {
    await Deno.writeFile(temp, bytes, { createNew: true });
    fsyncPathSync(temp);
    for (let n = 1;; n++) {
      const path = join(dir, nthName(name, n));
      try {
        Deno.linkSync(temp, path);
      } catch (error) {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
        if ((await readIfExists(path))?.equals(bytes)) return path;
        continue;
      }
      fsyncPathSync(dir);
      return path;
    }
  } finally {
    await Deno.remove(temp).catch(() => {});
  }
}

/** `name` for n = 1, else `stem-n.ext`. */
function nthName(name: string, n: number): string {
  const ext = extname(name);
  return n === 1 ? name : `${name.slice(0, name.length - ext.length)}-${n}${ext}`;
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
