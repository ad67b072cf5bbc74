/**
 * Rendering a command line so it can be pasted back into a POSIX shell.
 *
 * @module
 */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Joins arguments into one shell command line, single-quoting every argument
 * that holds anything but `A–Z a–z 0–9 _ @ % + = : , . / -`.
 *
 * @param argv The words, e.g. `["deno", "task", "bench", ...Deno.args]`.
 * @returns The command line, e.g. `deno task bench --data 'my data'`.
 *
 * @example Usage
 * ```ts
 * import { formatCommandLine } from "./command.ts";
 * formatCommandLine(["deno", "task", "bench", "--data", "it's"]);
 * // "deno task bench --data 'it'\''s'"
 * ```
 */
export function formatCommandLine(argv: readonly string[]): string {
  return argv.map((arg) => SAFE.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`).join(" ");
}
