/**
 * `deno task bench [flags]` (scripts/bench.ts builds the shim first): trains the seed's GoogLeNet
 * on MNIST with this project's Deno + libtorch stack on every requested device, PyTorch beside it
 * paired (by default where PyTorch is importable, see default_baseline.ts), records each run's
 * noise verdict, then writes results/<date>-<host>-<devices>.json and a markdown report beside
 * it, and prints a short summary ending with one verdict line per paired baseline.
 *
 * Exit codes: 0 done (also when `--max-seconds` stopped a run early: the result says why and is
 * marked incomplete), 2 bad input (flags, data, shim, device), 130/143 interrupted
 * (SIGINT/SIGTERM: stops at the next step boundary and writes what it has, marked incomplete).
 *
 * @module
 */
import {
  buildInfo,
  cudaDeviceCount,
  pendingSignal,
  setBackendFlags,
  setInteropThreads,
  setNumThreads,
  ShimNotFoundError,
  type StopSignal,
  TorchError,
  watchSignals,
} from "../../ffi/mod.ts";
import { DataError, type Dataset, loadDataset } from "../../data/mod.ts";
import { parseBenchArgs } from "./cli.ts";
import { parsedOrExitCode } from "../../cli/flags.ts";
import { formatCommandLine } from "../../cli/command.ts";
import { collectEnv } from "./env.ts";
import { applyMalloc } from "../baselines/malloc.ts";
import { Progress } from "../../train/progress.ts";
import { renderMarkdown } from "../../report/report.ts";
import { renderTerminalSummary } from "../../report/terminal.ts";
import { withDefaultBaseline } from "../baselines/default_baseline.ts";
import {
  type LoadSamples,
  noiseWarnings,
  readLoadavg,
  recordNoise,
} from "../measure/noise_check.ts";
import { resultFileName, writeFileAtomic, writeNewFile } from "../../result/write.ts";
import { destinationProblem, keepResult } from "./destinations.ts";
import { disposeDeviceData, GRAPH_WARMUP_STEPS, uploadDataset } from "../../train/train.ts";
import { runDenoLibtorch } from "../measure/run.ts";
import { googlenetFlopsPerImage } from "../../model/mod.ts";
import { CheckpointError } from "../../train/checkpoint.ts";
import { checkWeightsFile, WeightsError } from "../../model/mod.ts";
import { join } from "node:path";
import { BASELINE_PYTHON, pythonTorchVersion, runPytorchBaseline } from "../baselines/baseline.ts";
import { runPytorchDdp } from "../baselines/ddp_baseline.ts";
import { pairedSummary, Pairing } from "../baselines/paired.ts";
import { COMPILED_BASELINES, compiledBaselineProblem, speedOptionProblem } from "./options.ts";
import { planRun, type RunPlan } from "../../train/plan.ts";
import { buildRun } from "../measure/record.ts";
import { autoStagePlan, describePlan } from "./stage_cache.ts";
import { Stopper } from "../../train/stop.ts";
import {
  type BaselineName,
  type BenchConfig,
  type BenchResult,
  type Device,
  type Env,
  type GpuInfo,
  type Run,
  SCHEMA_VERSION,
  type StagePlan,
} from "../../result/schema.ts";
import {
  DataParallel,
  launchRanks,
  type RankEnv,
  RankEnvError,
  rankProblem,
  readRankEnv,
} from "../../dist/mod.ts";

/** A one-line failure the user can act on: printed without a stack, exit code 2. */
class FatalInput extends Error {}

/** What every run of one invocation shares. */
interface Session {
  config: BenchConfig;
  args: string[];
  devices: Device[];
  libtorch: string;
  dataset: Dataset;
  env: Env;
  /** Names this invocation's checkpoint files. */
  runId: string;
  /** This process's rank of a data-parallel run, or null. */
  dist: DataParallel | null;
  /**
   * Whether the baseline was chosen by default (default_baseline.ts): it is then timed in the
   * paired window only, its own epochs skipped, so that a bare `deno task bench` stays short.
   */
  defaultBaseline: boolean;
}

/** Whether this process is a data-parallel rank other than 0 (it neither prints nor writes). */
const follower = (session: Session) => (session.dist?.rank ?? 0) !== 0;

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** The interrupt the shim recorded (it stays recorded), or null. */
function shimSignal(): StopSignal | null {
  try {
    return pendingSignal();
  } catch {
    return null;
  }
}

function nvidiaDriver(): string {
  try {
    const out = new Deno.Command("nvidia-smi", {
      args: ["--query-gpu=driver_version", "--format=csv,noheader"],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return out.success ? new TextDecoder().decode(out.stdout).trim().split("\n")[0] : "unknown";
  } catch {
    return "unknown";
  }
}

/** The devices to run on, checked against the build. */
function chooseDevices(config: BenchConfig, info: ReturnType<typeof buildInfo>): Device[] {
  const cudaCount = cudaDeviceCount();
  const devices: Device[] = config.device === "all"
    ? (cudaCount > 0 ? ["cuda", "cpu"] : ["cpu"])
    : [config.device];
  if (devices.includes("cuda") && cudaCount === 0) {
    throw new FatalInput(
      `--device cuda: no CUDA device is available (shim built with CUDA: ${info.cudaCompiled}, libtorch ${info.libtorch})`,
    );
  }
  const problem = speedOptionProblem(config, devices, info.libtorch);
  if (problem !== null) throw new FatalInput(problem);
  return devices;
}

/** Checks the input files before anything runs or is written; the config a resume runs. */
async function preflight(config: BenchConfig, devices: Device[]): Promise<BenchConfig> {
  if (config.load) checkWeightsFile(config.load);
  if (COMPILED_BASELINES.some((n) => config.baseline?.includes(n))) {
    const torch = await pythonTorchVersion();
    const problem = compiledBaselineProblem(config.baseline, torch, BASELINE_PYTHON);
    if (problem !== null) throw new FatalInput(problem);
  }
  if (!config.resume) return config;
  if (!(await exists(config.resume))) {
    throw new FatalInput(`--resume ${config.resume}: no such checkpoint file`);
  }
  if (devices.length > 1) {
    throw new FatalInput("--resume: expected one --device (cpu or cuda), found all");
  }
  if (config.steps === null) return config;
  console.error("bench: --resume continues the epochs; the timed window is skipped");
  return { ...config, steps: null };
}

/** Opens the shim, picks the devices, loads the data, records the machine, joins the ranks. */
async function openSession(
  parsed: BenchConfig,
  args: string[],
  place: RankEnv | null,
): Promise<Omit<Session, "defaultBaseline">> {
  let info;
  try {
    info = buildInfo();
    watchSignals();
    applyMalloc(parsed.malloc ?? "default");
  } catch (e) {
    throw e instanceof ShimNotFoundError ? new FatalInput(e.message) : e;
  }
  const devices = chooseDevices(parsed, info);
  setNumThreads(parsed.threads);
  if (parsed.interopThreads != null) setInteropThreads(parsed.interopThreads);
  setBackendFlags({ cudnnBenchmark: parsed.cudnnBenchmark ?? false, allowTF32: parsed.tf32 });
  const dataset = await loadDataset(parsed.data).catch((e) => {
    throw e instanceof DataError ? new FatalInput(e.message) : e;
  });
  const config = await preflight(parsed, devices);
  const gpu: GpuInfo | null = devices.includes("cuda") && info.cudaDevices.length > 0
    ? {
      name: info.cudaDevices[0].name,
      driver: nvidiaDriver(),
      cudaVersion: info.cudaRuntime ?? "unknown",
      cudnnVersion: String(info.cudnnVersion ?? "unknown"),
    }
    : null;
  // Build facts again now that the thread count is set, so that they show the threads used.
  const env = await collectEnv({ torch: { version: info.libtorch, ...buildInfo() }, gpu });
  const runId = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  const problem = place && rankProblem(config, devices, place);
  if (problem) throw new FatalInput(problem);
  if (place && config.precision === "auto") {
    throw new FatalInput(
      "--precision auto: expected one process (each rank would probe its own plan), found a " +
        "data-parallel rank; give --precision fp32, bf16-pure or bf16-hybrid",
    );
  }
  const dist = place && new DataParallel(place, { timeoutSeconds: config.distTimeout });
  return { config, args, devices, libtorch: info.libtorch, dataset, env, runId, dist };
}

/** The CPU model or GPU name of a device. */
function deviceName(session: Session, device: Device): string {
  return device === "cuda" ? (session.env.gpu?.name ?? "cuda") : session.env.cpuModel;
}

/** Keeps, reports or removes the checkpoint a run left. */
async function settleCheckpoint(config: BenchConfig, path: string | null, stopped: boolean) {
  if (path === null) return;
  if (stopped) {
    console.error(`bench: checkpoint ${path} (resume with --resume ${path})`);
  } else if (config.checkpointDir == null && config.resume == null) {
    // A finished run's checkpoint (72 MB) is only kept where --checkpoint-dir asked for it.
    await Deno.remove(path).catch(() => {});
  } else {
    console.error(`bench: checkpoint ${path}`);
  }
}

/**
 * The stack's measurements on one device, its checkpoint settled; with a `pairing`, the timed
 * window is the paired window (paired.ts) and the stages after it run as usual.
 */
async function measure(session: Session, plan: RunPlan, pairing: Pairing | null = null) {
  const { config, devices, runId } = session;
  // The host's load before and after the timed work, for the run's noise verdict.
  const load: LoadSamples = {
    before: readLoadavg(),
    after: null,
    cores: navigator.hardwareConcurrency,
  };
  const checkpointPath = config.resume ??
    join(config.checkpointDir ?? config.out, `checkpoint-${runId}-${plan.device}.safetensors`);
  await Deno.mkdir(join(checkpointPath, ".."), { recursive: true });
  const suffix = devices.length > 1 ? `-${plan.device}` : "";
  const data = uploadDataset(session.dataset, plan.device);
  const { dist } = session, quiet = follower(session);
  // Ranks stop together: each step boundary agrees on the interrupt any rank received.
  // and the deadline on the latest rank's clock, so that all of them stop at the same step.
  const stop = new Stopper({
    signal: dist ? () => dist.agreeSignal(shimSignal()) : shimSignal,
    maxSeconds: config.maxSeconds ?? null,
    agree: dist ? (seconds) => Math.max(...dist.gather(seconds)) : undefined,
  });
  try {
    const window = pairing === null ? null : await pairing.run(data, stop);
    const measured = runDenoLibtorch(plan, data, {
      stop,
      pairedWindow: window,
      progress: config.progress && !quiet
        ? new Progress({ writer: Deno.stderr, isTerminal: Deno.stderr.isTerminal() })
        : null,
      log: quiet ? () => {} : undefined,
      checkpointPath: config.epochs !== null && !quiet ? checkpointPath : null,
      resume: config.resume ?? null,
      loadWeights: config.load ?? null,
      savePath: config.save && !quiet ? config.save.replace(/(\.[a-z]+)$/, `${suffix}$1`) : null,
      afterWindow: () => (load.after = plan.window === null ? null : readLoadavg()),
    });
    load.after ??= readLoadavg();
    await settleCheckpoint(config, measured.epochs.checkpoint, measured.stopReason !== null);
    return { ...measured, load };
  } finally {
    disposeDeviceData(data);
  }
}

/** The PyTorch baseline of a finished run, or the note saying why there is none. */
async function baselineOf(session: Session, plan: RunPlan): Promise<Run | string> {
  console.error(`\n== PyTorch baseline on ${plan.device}`);
  // Beside a paired window, PyTorch's own run covers the epochs only.
  const paired = plan.window !== null && session.config.baseline !== null;
  const config = paired ? { ...session.config, steps: null } : session.config;
  const b = await runPytorchBaseline(config, plan.device, {
    dataDir: session.dataset.dir,
    flopsPerImage: plan.facts.flopsPerImage,
    deviceName: plan.device === "cpu" ? session.env.cpuModel : undefined,
  }).catch((e) => ({ skipped: `PyTorch baseline failed: ${(e as Error).message}` }));
  if ("run" in b) return b.run;
  console.error(b.skipped);
  return b.skipped;
}

/**
 * Why the worker-only baselines (all but `pytorch`, which has its epochs run) sit out a run
 * without a timed window.
 */
function unpairedNotes(names: readonly BaselineName[], plan: RunPlan): string[] {
  if (plan.window !== null) return [];
  return names.filter((n) => n !== "pytorch").map((n) =>
    `${n} baseline skipped: it runs only paired with a timed window (give --steps)`
  );
}

/**
 * PyTorch DDP beside our ranks (`--nproc N --baseline pytorch`), run by rank 0 once our run is
 * over; the note saying why there is none; null on the other ranks or without the baseline.
 */
async function ddpBaselineOf(session: Session, plan: RunPlan): Promise<Run | string | null> {
  const { dist, config } = session;
  if (dist === null || dist.rank !== 0 || !(config.baseline ?? []).includes("pytorch")) {
    return null;
  }
  console.error(`\n== PyTorch DDP baseline on ${plan.device}, ${dist.worldSize} ranks`);
  const b = await runPytorchDdp(config, {
    worldSize: dist.worldSize,
    dataDir: session.dataset.dir,
    trainCount: session.dataset.train.count,
    flopsPerImage: plan.facts.flopsPerImage,
    deviceName: session.env.cpuModel,
  });
  if ("run" in b) return b.run;
  console.error(b.skipped);
  return b.skipped;
}

/**
 * `--precision auto`'s plan on the CPU (cached, or probed now, before any baseline starts), or
 * null for any other precision.
 */
async function autoPlan(session: Session, device: Device): Promise<StagePlan | null> {
  const { config } = session;
  if (config.precision !== "auto" || device !== "cpu") return null;
  const key = {
    cpuModel: session.env.cpuModel,
    libtorch: session.libtorch,
    batchSize: config.batchSize,
    threads: config.threads,
  };
  const plan = await autoStagePlan(key);
  console.error(`bench: ${describePlan(plan)}`);
  return plan;
}

/** One device's complete run record, and notes on the baselines that are missing. */
async function runDevice(session: Session, device: Device): Promise<[Run, string[]]> {
  if (!follower(session)) console.error(`\n== deno+libtorch on ${device}`);
  const planned = planRun(session.config, device, {
    libtorch: session.libtorch,
    deviceName: deviceName(session, device),
    flopsPerImage: googlenetFlopsPerImage(),
  });
  const stagePlan = await autoPlan(session, device);
  const plan = {
    ...planned,
    trainer: {
      ...planned.trainer,
      dist: session.dist,
      stagePlan: stagePlan?.stages.map((s) => s.candidate) ?? null,
    },
  };
  // Data-parallel ranks have their own baseline, PyTorch DDP (ddpBaselineOf).
  const names = session.dist === null ? session.config.baseline ?? [] : [];
  const pairing = names.length > 0 && plan.window !== null
    ? await Pairing.start(names, plan, { dataDir: session.dataset.dir })
    : null;
  const notes = [...(pairing?.skipped ?? []), ...unpairedNotes(names, plan)];
  let measured;
  try {
    measured = await measure(session, plan, pairing);
  } finally {
    notes.push(...(await pairing?.close() ?? []));
  }
  const windowOnly = pairing !== null && session.defaultBaseline; // PyTorch's epochs skipped
  const wanted = names.includes("pytorch") && measured.stopReason === null &&
    (pairing === null || plan.epochs !== null) && !windowOnly;
  if (windowOnly && plan.epochs !== null && measured.stopReason === null) {
    notes.push(
      "PyTorch's epochs skipped: the default baseline is timed in the paired window only " +
        "(give --baseline pytorch to train its epochs too)",
    );
  }
  const epochs = wanted
    ? await baselineOf(session, plan)
    : measured.stopReason === null
    ? await ddpBaselineOf(session, plan)
    : null;
  if (typeof epochs === "string") notes.push(epochs);
  const full = typeof epochs === "string" ? null : epochs;
  const baselines = pairing === null
    ? (full === null ? [] : [full])
    : pairing.runs({ plan, deviceName: deviceName(session, plan.device) }, full);
  const run = buildRun(plan, { ...measured, baseline: baselines[0] ?? null });
  if (baselines.length > 1) run.moreBaselines = baselines.slice(1);
  recordNoise(run, measured.load);
  if (stagePlan !== null) run.stagePlan = stagePlan;
  for (const line of pairedSummary(run)) console.error(line);
  return [run, notes];
}

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
