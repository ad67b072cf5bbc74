/**
 * The benchmark harness: the command line (one flag table), the run's plan and stages (timed
 * window, paired window with the baselines' workers, step breakdown), the complete run record,
 * the result format (zod), statistics, baselines and their recipes, environment facts, FLOPs,
 * glibc malloc settings, progress display and result files. The entry point is main.ts
 * (`deno task bench`); the training loop is src/train/, the reports src/report/.
 *
 * @module
 */

export * from "./schema.ts";
export * from "./stats.ts";
export * from "./cli.ts";
export * from "./flags.ts";
export * from "./command.ts";
export * from "./options.ts";
export * from "./write.ts";
export * from "./progress.ts";
export * from "./env.ts";
export * from "./flops.ts";
export * from "./worker.ts";
export * from "./recipes.ts";
