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
 * Reads and validates ({@linkcode parseBenchResult}) every `*.json` file directly in `dir`, in
 * file-name order. A file that is not JSON or not a valid result is reported in `problems`, not
 * thrown; a missing directory yields neither results nor problems.
 */
export async function loadResults(dir: string): Promise<LoadedResults> {
  const loaded: LoadedResults = { results: [], problems: [] };
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".json")) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return loaded;
    throw error;
  }
  for (const path of names.sort().map((name) => join(dir, name))) {
    try {
      loaded.results.push({
        path,
        result: parseBenchResult(JSON.parse(await Deno.readTextFile(path))),
      });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      const message = error instanceof SyntaxError
        ? `expected JSON, found a parse error: ${why}`
        : why;
      loaded.problems.push({ path, message });
    }
  }
  return loaded;
}
