/**
 * Results to markdown, a terminal summary and charts, over one set of table data (rows.ts):
 * `deno task report` (report_main.ts) turns results/*.json into docs/results.md (report.ts),
 * docs/charts/*.svg (charts.ts) and the README's headline (headline.ts, chosen by its declared
 * rule: paired, stable, newest per machine, libtorch and configuration); `deno task bench` ends
 * with {@linkcode renderTerminalSummary} (terminal.ts); `deno task compare` (compare.ts) compares
 * two result files, ratio against ratio. Every comparison is worded by
 * {@linkcode pairedVerdict} (verdicts.ts). Pure functions of the results: regenerating them makes
 * no spurious diff.
 *
 * @module
 */

export * from "./load.ts";
export * from "./rows.ts";
export * from "./report.ts";
export * from "./headline.ts";
export * from "./terminal.ts";
export * from "./table.ts";
export * from "./gpu_summary.ts";
export * from "./charts.ts";
export * from "./verdicts.ts";
// Named here so that it stays the one `pairedVerdict` of this module whatever else exports one.
export { pairedVerdict } from "./verdicts.ts";
export * from "./agreement.ts";
export * from "./dist_report.ts";
export * from "./compare.ts";
export * from "./report_main.ts";
/** The result format the reports read (src/result/schema.ts). */
export * from "../result/mod.ts";
