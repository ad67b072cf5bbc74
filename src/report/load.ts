/**
 * Reading a directory of result files.
 *
 * @module
 */

import { join } from "node:path";
import { type BenchResult, parseBenchResult } from "../result/mod.ts";

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
 * Reads and validates ({@linkcode parseBenchResult}) one result file.
 *
 * @throws {SyntaxError} When it is not JSON, the message saying so.
 * @throws {SchemaError} When it is not a valid result.
 */
export async function readResult(path: string): Promise<BenchResult> {
  const text = await Deno.readTextFile(path);
  try {
    return parseBenchResult(JSON.parse(text));
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    throw new SyntaxError(`expected JSON, found a parse error: ${e.message}`);
  }
}

/**
 * Reads and validates ({@linkcode readResult}) every `*.json` file directly in `dir`, in
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
      loaded.results.push({ path, result: await readResult(path) });
    } catch (error) {
      loaded.problems.push({
        path,
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return loaded;
}
