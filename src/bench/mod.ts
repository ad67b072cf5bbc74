/**
 * The benchmark harness, the top layer, in three folders by job, each importing only the ones
 * before it: measure/ (the timed window, the lone rank, scaling, the step breakdown, the run and
 * its record, noise verdicts), baselines/ (PyTorch, PyTorch DDP, the libtorch C++ worker and the
 * worker protocol, pairing, malloc, the default baseline and the choice of a run's baselines) and
 * entry/ (main.ts, the command line of `deno task bench` from one flag table, the session,
 * environment facts, destinations, the stage-plan cache). It builds on the layers below, none of
 * which imports it: the result format (src/result/), statistics (src/stats/), the flag-table
 * library (src/cli/), the training loop (src/train/) and the reports (src/report/).
 *
 * @module
 */

export * from "./measure/mod.ts";
export * from "./baselines/mod.ts";
export * from "./entry/mod.ts";
