/**
 * The benchmark harness, the top layer: the command line of `deno task bench` (one flag table),
 * the run's stages (timed window, paired window with the baselines' workers, step breakdown), the
 * complete run record, the baselines and their workers, the default baseline, the runs' noise
 * verdicts, environment facts and glibc malloc settings. The entry point is main.ts. It builds on the layers below, none of which imports it:
 * the result format (src/result/), statistics (src/stats/), the flag-table library (src/cli/),
 * the training loop (src/train/) and the reports (src/report/).
 *
 * @module
 */

export * from "./entry/cli.ts";
export * from "./entry/options.ts";
export * from "./entry/env.ts";
export * from "./baselines/worker.ts";
export * from "./baselines/default_baseline.ts";
export * from "./measure/noise_check.ts";
