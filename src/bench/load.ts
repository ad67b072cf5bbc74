/**
 * Reading a directory of result files.
 *
 * @module
 */

import { join } from "node:path";
import { type BenchResult, parseBenchResult } from "./schema.ts";

/** A result file that was read and validated. */
export interface LoadedResult {
  /** Path of the file. */
  path: string;
  /** Its content. */
  result: BenchResult;
}

/** A result file that could not be used. */
export interface LoadProblem {
  /** Path of the file. */
  path: string;
  /** Why it was skipped, one line. */
  message: string;
}

/** What {@linkcode loadResults} found. */
export interface LoadedResults {
  /** Valid results, in file-name order. */
  results: LoadedResult[];
  /** Files that were skipped. */
  problems: LoadProblem[];
}

/**
 * Reads every `*.json` file directly in `dir`, in file-name order, and
 * validates it with {@linkcode parseBenchResult}. Files that are not valid
 * JSON or not valid results are reported in `problems` instead of thrown.
 * A missing directory yields no results and no problems.
 *
 * @param dir The results directory.
 * @returns Valid results and skipped files.
 */
export async function loadResults(dir: string): Promise<LoadedResults> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".json")) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { results: [], problems: [] };
    throw error;
  }
  names.sort();
  const loaded: LoadedResults = { results: [], problems: [] };
  for (const name of names) {
    const path = join(dir, name);
    let value: unknown;
    try {
      value = JSON.parse(await Deno.readTextFile(path));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      loaded.problems.push({ path, message: `expected JSON, found a parse error: ${reason}` });
      continue;
    }
    try {
      loaded.results.push({ path, result: parseBenchResult(value) });
    } catch (error) {
      loaded.problems.push({
        path,
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return loaded;
}
