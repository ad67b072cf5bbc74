/**
 * Results to markdown and charts: `deno task report` (report_main.ts) turns results/*.json into
 * docs/results.md, docs/charts/*.svg and the README's headline table; `deno task compare`
 * (compare.ts) compares two result files run by run. Pure functions of the results: regenerating
 * them makes no spurious diff.
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
export * from "./bench_summary.ts";
export * from "./agreement.ts";
export * from "./dist_report.ts";
export * from "./compare.ts";
export * from "./report_main.ts";
/** The result format the reports read (src/result/schema.ts). */
export * from "../result/schema.ts";
