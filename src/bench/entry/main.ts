/**
 * `deno task bench [flags]` (scripts/bench.ts builds the shim first): trains the seed's GoogLeNet
 * on MNIST with this project's Deno + libtorch stack on every requested device, PyTorch beside it
 * paired (by default where PyTorch is importable, see baselines/default_baseline.ts), records each run's
 * noise verdict, then writes results/<date>-<host>-<devices>.json and a markdown report beside
 * it, and prints a short summary ending with one verdict line per paired baseline.
 *
 * Exit codes: 0 done (also when `--max-seconds` stopped a run early: the result says why and is
 * marked incomplete), 2 bad input (flags, data, shim, device), 130/143 interrupted
 * (SIGINT/SIGTERM: stops at the next step boundary and writes what it has, marked incomplete).
 *
 * @module
 */
import { TorchError } from "../../ffi/mod.ts";
import { parseBenchArgs } from "./cli.ts";
import { formatCommandLine, parsedOrExitCode } from "../../cli/mod.ts";
import { renderMarkdown, renderTerminalSummary } from "../../report/mod.ts";
import { withDefaultBaseline } from "../baselines/mod.ts";
import { noiseWarnings } from "../measure/mod.ts";
import {
  type BenchConfig,
  type BenchResult,
  resultFileName,
  type Run,
  SCHEMA_VERSION,
  writeFileAtomic,
  writeNewFile,
} from "../../result/mod.ts";
import { destinationProblem, keepResult } from "./destinations.ts";
import { CheckpointError, GRAPH_WARMUP_STEPS } from "../../train/mod.ts";
import { WeightsError } from "../../model/mod.ts";
import { launchRanks, RankEnvError, readRankEnv } from "../../dist/mod.ts";
import { FatalInput, follower, openSession, type Session, shimSignal } from "./session.ts";
import { runDevice } from "./run_device.ts";

/** The note on a CUDA-graph window whose warm-up is shorter than the graph's own. */
function graphWarmupNote(config: BenchConfig): string[] {
  if (!config.cudaGraphs || config.steps === null || config.warmup > GRAPH_WARMUP_STEPS) return [];
  return [
    `--cuda-graphs with --warmup ${config.warmup}: the first timed steps include the ` +
    `${GRAPH_WARMUP_STEPS} eager warm-up steps and the capture; use --warmup ` +
    `${GRAPH_WARMUP_STEPS + 1} or more to time replays only`,
  ];
}

/**
 * Prints the end of a run: where the result went, a warning per unstable run, then the summary
 * (report/terminal.ts), which ends with one verdict line per paired baseline. The markdown report
 * is in its file only.
 */
function printOutcome(result: BenchResult, wrote: string): void {
  console.error(wrote);
  for (const line of noiseWarnings(result)) console.error(line);
  for (const line of renderTerminalSummary(result)) console.log(line);
}

/** Writes the result's JSON and markdown (and --json), prints its summary. */
async function writeResult(result: BenchResult): Promise<void> {
  const { config } = result;
  const json = JSON.stringify(result, null, 2) + "\n";
  await Deno.mkdir(config.out, { recursive: true });
  const path = await writeNewFile(config.out, resultFileName(result), json); // a free name
  const markdown = renderMarkdown([result]);
  const md = path.replace(/\.json$/, ".md");
  await writeFileAtomic(md, markdown, { force: true });
  if (config.json !== null) await writeFileAtomic(config.json, json, { force: config.force });
  printOutcome(result, `bench: wrote ${path} and ${md}${config.json ? ` and ${config.json}` : ""}`);
}

/** Runs every device, writes the result; returns the exit code. */
async function bench(session: Session): Promise<number> {
  const { config, devices, dataset } = session;
  if (!follower(session)) {
    console.error(
      `bench: ${devices.join(" + ")}, ${config.threads} threads, batch ${config.batchSize}, ` +
        `${config.steps ?? 0} timed steps, ${config.epochs ?? 0} epochs, data ${dataset.name}` +
        (config.baseline?.length ? `, baseline ${config.baseline.join(",")}` : "") +
        (session.dist ? `, rank 0 of ${session.dist.worldSize}` : ""),
    );
  }
  const runs: Run[] = [];
  const notes = graphWarmupNote(config);
  for (const device of devices) {
    if (shimSignal() !== null) break;
    const [run, more] = await runDevice(session, device);
    runs.push(run);
    notes.push(...more);
  }
  const signal = shimSignal();
  if (runs.length === 0) {
    throw new FatalInput(`${signal}: interrupted before any run finished; nothing written`);
  }
  const stopReason = signal ?? runs.find((r) => r.stopReason)?.stopReason ?? null;
  const code = signal === null ? 0 : signal === "SIGTERM" ? 143 : 130; // a deadline is no failure
  if (follower(session)) return code;
  await keepResult({
    schema: SCHEMA_VERSION,
    complete: stopReason === null,
    stopReason,
    createdAt: new Date().toISOString(),
    command: formatCommandLine(["deno", "task", "bench", ...session.args]),
    env: session.env,
    config,
    runs,
    notes,
  }, writeResult);
  if (stopReason === null) return 0;
  console.error(`bench: stopped early (${stopReason}); the result is marked incomplete`);
  return code;
}

/** Prints a failure as one line (the stack with --verbose) and exits with its code. */
function fail(e: unknown, verbose: boolean): never {
  if (verbose && e instanceof Error) console.error(e.stack);
  const known = e instanceof FatalInput || e instanceof WeightsError ||
    e instanceof CheckpointError || e instanceof RankEnvError;
  const message = !(e instanceof Error)
    ? String(e)
    : known
    ? e.message
    : e instanceof TorchError
    ? `libtorch: ${e.message}`
    : verbose
    ? e.message
    : `${e.message} (run with --verbose for the stack)`;
  console.error(`error: ${message}`);
  Deno.exit(known ? 2 : 1);
}

/** Options of {@linkcode main}. */
export interface MainOptions {
  /**
   * Whether PyTorch runs as the baseline when `--baseline` is not given (default_baseline.ts):
   * `deno task bench` (scripts/bench.ts) passes true; running this module directly, as the
   * tests do, keeps no baseline unless asked.
   */
  defaultBaseline?: boolean;
}

/** Runs the benchmark; returns the process exit code. */
export async function main(args: string[], options: MainOptions = {}): Promise<number> {
  const config = parsedOrExitCode(() => parseBenchArgs(args), { command: "deno task bench" });
  if (typeof config === "number") return config;
  try {
    const place = readRankEnv(Deno.env.toObject());
    // Before anything trains; the launcher checks for its ranks, rank 0 again.
    const unwritable = (place?.rank ?? 0) === 0 ? await destinationProblem(config) : null;
    if (unwritable !== null) throw new FatalInput(unwritable);
    if (place === null && (config.nproc ?? 1) > 1) {
      const script = new URL(import.meta.url).pathname;
      return await launchRanks(args, { nproc: config.nproc!, threads: config.threads, script });
    }
    const chosen = place === null && options.defaultBaseline
      ? await withDefaultBaseline(config, args)
      : config;
    const session = await openSession(chosen, args, place);
    return await bench({ ...session, defaultBaseline: chosen !== config });
  } catch (e) {
    fail(e, config.verbose ?? false);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
