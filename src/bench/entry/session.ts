/**
 * One invocation's session of `deno task bench`: the shim opened, the devices chosen and checked
 * against the build, the input files checked, the data loaded, the machine recorded and, on a
 * data-parallel rank, the ranks joined. What every device's run shares.
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
  watchSignals,
} from "../../ffi/mod.ts";
import { DataError, type Dataset, loadDataset } from "../../data/mod.ts";
import { collectEnv } from "./env.ts";
import { applyMalloc, BASELINE_PYTHON, pythonTorchVersion } from "../baselines/mod.ts";
import { checkWeightsFile } from "../../model/mod.ts";
import { compiledBaselineProblem, speedOptionProblem } from "./options.ts";
import {
  type BenchConfig,
  COMPILED_BASELINES,
  type Device,
  type Env,
  type GpuInfo,
} from "../../result/mod.ts";
import { DataParallel, type RankEnv, rankProblem } from "../../dist/mod.ts";

/** A one-line failure the user can act on: printed without a stack, exit code 2. */
export class FatalInput extends Error {}

/** What every run of one invocation shares. */
export interface Session {
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
export const follower = (session: Session) => (session.dist?.rank ?? 0) !== 0;

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** The interrupt the shim recorded (it stays recorded), or null. */
export function shimSignal(): StopSignal | null {
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
export async function openSession(
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
export function deviceName(session: Session, device: Device): string {
  return device === "cuda" ? (session.env.gpu?.name ?? "cuda") : session.env.cpuModel;
}
