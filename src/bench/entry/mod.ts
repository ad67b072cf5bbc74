/**
 * The entry of `deno task bench`: main.ts (run by scripts/bench.ts, or directly as each rank's
 * script), the command line (cli.ts over bench_flags.ts' one flag table, options.ts for the speed
 * options), the session (session.ts: shim, devices, data, environment facts from env.ts and
 * cpu_info.ts), one device's run (run_device.ts), the run's destinations (destinations.ts) and
 * `--precision auto`'s cached plan (stage_cache.ts, cache_dir.ts). main.ts is not re-exported
 * here: it is an entry point, run by its path.
 *
 * @module
 */
export * from "./cli.ts";
export * from "./options.ts";
export * from "./env.ts";
export * from "./destinations.ts";
export * from "./stage_cache.ts";
