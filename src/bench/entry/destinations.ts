/**
 * The run's destinations, checked before anything trains: `--out` and `--checkpoint-dir` (and the
 * folder of `--resume`'s checkpoint) must be folders this process can create files and hard links
 * in (the result's name is taken by a link: ../result/write.ts), and `--json` and `--save` names
 * of new files (or `--force`) in such folders. A destination that fails is one line, so that a
 * run is refused in seconds rather than lost after hours; and a result that still cannot be
 * written at the end is printed to stderr ({@linkcode keepResult}).
 *
 * @module
 */
import { basename, dirname, join } from "node:path";

/** The fields of the configuration that name where the run writes. */
export interface Destinations {
  /** The result folder. */
  out: string;
  /** A copy of the result JSON. */
  json?: string | null;
  /** The trained weights. */
  save?: string | null;
  /** Where checkpoints go (default: `out`). */
  checkpointDir?: string | null;
  /** The checkpoint a resumed run continues (and rewrites). */
  resume?: string | null;
  /** Whether `--json` and `--save` may replace a file. */
  force?: boolean;
}

const reason = (e: unknown) => (e as Error).message.replace(/ \(os error \d+\).*$/, "");

/** Why `dir` cannot hold the run's files (creating it if needed), or null. */
async function folderIssue(dir: string): Promise<string | null> {
  const info = await Deno.stat(dir).catch(() => null);
  if (info !== null && !info.isDirectory) return "expected a folder, found a file";
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (e) {
    return `cannot create the folder (${reason(e)})`;
  }
  const probe = join(dir, `.bench-probe-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`);
  try {
    await Deno.writeFile(probe, new Uint8Array(), { createNew: true, mode: 0o600 });
    await Deno.link(probe, `${probe}.link`);
    await Deno.remove(`${probe}.link`);
    return null;
  } catch (e) {
    return `cannot write files in ${dir} (${reason(e)})`;
  } finally {
    await Deno.remove(probe).catch(() => {});
  }
}

/** Why the file `path` cannot be written at the end of the run, or null. */
async function fileProblem(flag: string, path: string, force: boolean): Promise<string | null> {
  const info = await Deno.stat(path).catch(() => null);
  if (info?.isDirectory) return `${flag} ${path}: expected a file name, found a folder`;
  if (info !== null && !force) {
    return `${flag} ${path}: the file exists; pass --force to overwrite it`;
  }
  const dir = dirname(path);
  if (!(await Deno.stat(dir).catch(() => null))?.isDirectory) {
    return `${flag} ${path}: expected an existing folder for ${basename(path)}, found no ${dir}`;
  }
  const issue = await folderIssue(dir);
  return issue && `${flag} ${path}: ${issue}`;
}

/**
 * The first destination of `config` that the run could not write, as one line naming the flag,
 * the path and why; null when every one can be written.
 */
export async function destinationProblem(config: Destinations): Promise<string | null> {
  const folders: [string, string | null | undefined][] = [
    ["--out", config.out],
    ["--checkpoint-dir", config.checkpointDir],
    ["--resume", config.resume && dirname(config.resume)],
  ];
  for (const [flag, dir] of folders) {
    const issue = dir ? await folderIssue(dir) : null;
    if (issue) return `${flag} ${dir}: ${issue}`;
  }
  for (const [flag, path] of [["--json", config.json], ["--save", config.save]] as const) {
    const problem = path ? await fileProblem(flag, path, config.force ?? false) : null;
    if (problem) return problem;
  }
  return null;
}

/**
 * Runs `write` (which writes `result`); if it fails, prints the result's JSON to stderr, so that
 * the run is not lost, and throws one line saying so.
 */
export async function keepResult<T>(result: T, write: (result: T) => Promise<void>) {
  try {
    await write(result);
  } catch (e) {
    console.error(JSON.stringify(result, null, 2));
    throw new Error(`could not write the result (${reason(e)}); its JSON is printed above`);
  }
}
