/**
 * The benchmark harness's pure-TypeScript parts: result schema, statistics,
 * command-line parsing, reports, charts, file writing, progress display,
 * environment facts and FLOP counting. Nothing here needs libtorch.
 *
 * @module
 */

export * from "./schema.ts";
export * from "./stats.ts";
export * from "./cli.ts";
export * from "./flags.ts";
export * from "./command.ts";
export * from "./load.ts";
export * from "./report.ts";
export * from "./gpu_summary.ts";
export * from "./options.ts";
export * from "./charts.ts";
export * from "./write.ts";
export * from "./progress.ts";
export * from "./env.ts";
export * from "./flops.ts";
export * from "./worker.ts";
export * from "./recipes.ts";
export * from "./verdicts.ts";
