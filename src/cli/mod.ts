/**
 * Command lines from one flag table (the parseArgs options, defaults, `--help` and error text
 * derived from each flag's one declaration), and a command line rendered back for a POSIX shell.
 * `deno task bench` and `deno task report` both build on it.
 *
 * @module
 */

export * from "./flags.ts";
export * from "./command.ts";
