/**
 * Rendering a command line so it can be pasted back into a POSIX shell.
 *
 * @module
 */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Joins words into one POSIX shell command line, single-quoting each word that holds anything but
 * `A–Z a–z 0–9 _ @ % + = : , . / -`: `["--data", "it's"]` → `--data 'it'\''s'`.
 */
export function formatCommandLine(argv: readonly string[]): string {
  return argv.map((arg) => SAFE.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`).join(" ");
}
