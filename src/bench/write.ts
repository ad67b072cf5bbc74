/**
 * Writing result files without clobbering earlier results.
 *
 * @module
 */

import { basename, dirname, extname, join } from "node:path";
import { type BenchResult, CHOICES } from "./schema.ts";

/** Options for {@linkcode writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /** Replace an existing file whose content differs. Default false. */
  force?: boolean;
}

/** What {@linkcode writeFileAtomic} did. */
export type WriteOutcome = "written" | "unchanged";

function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === "string" ? new TextEncoder().encode(data) : data;
}

async function readIfExists(path: string): Promise<Uint8Array | null> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Writes a file atomically: the data goes to a temporary file in the same
 * directory, which is then renamed over `path`, so readers never see a
 * half-written file. Writing identical content again is a no-op.
 *
 * @param path Destination file; its directory must exist.
 * @param data Text (written as UTF-8) or bytes.
 * @param options `force` to replace a file with different content.
 * @returns `"unchanged"` when `path` already held exactly `data`, else `"written"`.
 * @throws {Deno.errors.AlreadyExists} When `path` exists with different content
 * and `force` is not set.
 *
 * @example Usage
 * ```ts ignore
 * import { writeFileAtomic } from "./write.ts";
 * await writeFileAtomic("results/x.json", "{}\n");
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteFileAtomicOptions = {},
): Promise<WriteOutcome> {
  const bytes = toBytes(data);
  const existing = await readIfExists(path);
  if (existing !== null) {
    if (sameBytes(existing, bytes)) return "unchanged";
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

/**
 * The devices of a result's runs, baselines included, in the order cpu, cuda; `config.device`
 * when nothing ran.
 *
 * @param result The result.
 * @returns E.g. `["cpu", "cuda"]`.
 */
export function devicesOf(result: BenchResult): string[] {
  const used = new Set(result.runs.flatMap((run) => [run.device, run.baseline?.device]));
  return used.size === 0 ? [result.config.device] : CHOICES.device.filter((d) => used.has(d));
}

/**
 * The canonical file name of a result: `<YYYY-MM-DD>-<host>-<devices>.json`,
 * with the UTC date of `createdAt`, the host name reduced to
 * `[a-z0-9.-]`, and the devices of its runs (baselines included) joined by
 * `-` in the order cpu, cuda. A result without runs uses `config.device`.
 *
 * @param result The result.
 * @returns E.g. `"2025-01-31-gpu-box-cpu-cuda.json"`.
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
 * Picks a path in `dir` for `name` that does not clobber another file:
 * `dir/name` when it is free, else `stem-2.ext`, `stem-3.ext`, … When
 * `content` is given, an existing candidate with exactly that content is
 * returned instead, so writing the same result twice does not duplicate it.
 *
 * @param dir Directory.
 * @param name File name, e.g. from {@linkcode resultFileName}.
 * @param options Content to match against existing files.
 * @returns The chosen path.
 */
export async function uniquePath(
  dir: string,
  name: string,
  options: UniquePathOptions = {},
): Promise<string> {
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  const wanted = options.content === undefined ? null : toBytes(options.content);
  for (let n = 1;; n++) {
    const path = join(dir, n === 1 ? name : `${stem}-${n}${ext}`);
    const existing = await readIfExists(path);
    if (existing === null) return path;
    if (wanted !== null && sameBytes(existing, wanted)) return path;
  }
}
