/**
 * The PyTorch baseline: runs baselines/pytorch_baseline.py (the seed's model and recipe in Python,
 * same data, threads, device and protocol) and turns its JSON into a Run beside ours.
 *
 * @module
 */
import {
  type BaselineName,
  BASELINES,
  type BenchConfig,
  type Device,
  recipeOptions,
  type Run,
} from "../../result/mod.ts";
import { mallocEnv } from "./malloc.ts";
import { summarize } from "../../stats/mod.ts";
import { linesOf } from "./worker.ts";
import { baselineFileSchema, type BaselineJson, readBaselineFile } from "./baseline_files.ts";
import { forwardStops, killGroup, tiedCommand } from "../../dist/mod.ts";

/** The Python interpreter with torch (Debian's python3-torch by default). */
export const BASELINE_PYTHON: string = Deno.env.get("TORCH_PYTHON") ?? "/usr/bin/python3";
/** baselines/pytorch_baseline.py, the PyTorch side (epochs, a timed window, or a worker). */
export const BASELINE_SCRIPT: string =
  new URL("../../../baselines/pytorch_baseline.py", import.meta.url)
    .pathname;

/**
 * The version of torch that `python` imports (`torch.__version__`), or null when it imports
 * none (or cannot be run).
 */
export async function pythonTorchVersion(python: string = BASELINE_PYTHON): Promise<string | null> {
  try {
    const out = await new Deno.Command(python, {
      args: ["-c", "import torch; print(torch.__version__)"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const version = new TextDecoder().decode(out.stdout).trim();
    return out.success && version !== "" ? version : null;
  } catch {
    return null;
  }
}

/** The baseline's outcome: a run, or the reason it was skipped. */
export type BaselineOutcome = { run: Run } | { skipped: string };

export type { BaselineJson } from "./baseline_files.ts";

/** Options of {@linkcode runPytorchBaseline}. */
export interface BaselineOptions {
  /** Folder holding the data set's four IDX files. */
  dataDir: string;
  /** Training FLOPs per image, for the achieved FLOP/s. */
  flopsPerImage: number;
  /** Receives the child's stderr lines (its progress and epoch lines). */
  log?: (line: string) => void;
  /** The Python interpreter to run (default {@linkcode BASELINE_PYTHON}). */
  python?: string;
  /** The device's name as the harness knows it (default: the name Python reports). */
  deviceName?: string;
}

/**
 * The flags of `config`'s recipe that both PyTorch scripts take (baselines/pytorch_baseline.py and
 * baselines/pytorch_ddp.py): threads (per process), global batch, learning rate, seed, warm-up.
 */
export function recipeFlags(config: BenchConfig): (readonly [string, number])[] {
  return [
    ["--threads", config.threads],
    ["--batch-size", config.batchSize],
    ["--lr", config.lr],
    ["--seed", config.seed],
    ["--warmup", config.warmup],
  ];
}

/** The script's command line for `config` on `device`, writing its JSON to `out`. */
function scriptArgs(
  config: BenchConfig,
  options: { device: Device; dataDir: string; out: string },
) {
  const args = [BASELINE_SCRIPT, "--data", options.dataDir, "--device", options.device];
  const values = [...recipeFlags(config), ["--target-accuracy", config.targetAccuracy] as const];
  for (const [flag, value] of values) args.push(flag, String(value));
  args.push("--json", options.out);
  if (config.steps !== null) args.push("--steps", String(config.steps));
  if (config.epochs !== null) args.push("--epochs", String(config.epochs));
  // The baseline is PyTorch eager in fp32 whatever the Deno run's speed options; TF32 follows
  // --tf32 so that "fp32" means the same arithmetic on both sides.
  if (config.tf32) args.push("--tf32");
  // --max-seconds bounds each implementation's run: PyTorch's gets the same deadline as ours.
  if (config.maxSeconds != null) args.push("--max-seconds", String(config.maxSeconds));
  return args;
}

/** Waits for the child, passing each stderr line to `log`; returns its status and the lines. */
async function follow(child: Deno.ChildProcess, log: (line: string) => void) {
  const lines: string[] = [];
  for await (const line of linesOf(child.stderr)) {
    lines.push(line);
    log(`  [pytorch] ${line}`);
  }
  return { status: await child.status, lines };
}

/**
 * The Run of a baseline's measurements: the script's JSON, or a worker's side of the paired
 * window (`name`: which `--baseline`, default `pytorch`).
 */
export function baselineRun(
  j: BaselineJson,
  context:
    & { config: BenchConfig; device: Device; name?: BaselineName }
    & Pick<
      BaselineOptions,
      "flopsPerImage" | "deviceName"
    >,
): BaselineOutcome {
  const samples = j.stepMs.length > 0 ? j.stepMs : j.warmupMs;
  if (samples.length === 0) return { skipped: "PyTorch baseline reported no step times" };
  const { config, device, name = "pytorch" } = context;
  const { implementation, precision } = BASELINES[name];
  const stepMs = summarize(samples);
  const imagesPerSecond = (config.batchSize * 1000) / stepMs.median;
  return {
    run: {
      // A worker of ours is named by its baseline, so as not to read as our own run.
      label: `${implementation === "deno-libtorch" ? name : implementation} ${j.torchVersion} ` +
        `${device} ${precision}`,
      implementation,
      device,
      deviceName: context.deviceName ?? j.deviceName,
      threads: j.threads,
      precision,
      options: { torch: j.torchVersion, tf32: j.tf32 ?? false, ...recipeOptions(name) },
      firstStepMs: j.firstStepMs ?? samples[0],
      warmupMs: j.warmupMs,
      ...(j.stepLosses?.length ? { stepLosses: j.stepLosses } : {}),
      stepMs,
      imagesPerSecond,
      epochs: j.epochs,
      timeToTargetSeconds: j.timeToTargetSeconds,
      targetAccuracy: config.targetAccuracy,
      peakMemoryBytes: j.peakMemoryBytes,
      flopsPerImage: context.flopsPerImage,
      achievedFlops: context.flopsPerImage * imagesPerSecond,
      finalTestAccuracy: j.finalTestAccuracy,
      baseline: null,
      complete: j.complete ?? true,
      stopReason: j.stopReason ?? null,
    },
  };
}

/** Runs the PyTorch baseline with the same configuration on one device. */
export async function runPytorchBaseline(
  config: BenchConfig,
  device: Device,
  options: BaselineOptions,
): Promise<BaselineOutcome> {
  const python = options.python ?? BASELINE_PYTHON;
  const out = await Deno.makeTempFile({ prefix: "baseline-", suffix: ".json" });
  try {
    let child: Deno.ChildProcess;
    try {
      const args = scriptArgs(config, { device, dataDir: options.dataDir, out });
      const env = mallocEnv(config.malloc ?? "default");
      child = tiedCommand(python, args, { env, stdout: "inherit", stderr: "piped" }).spawn();
    } catch (e) {
      return {
        skipped: `PyTorch baseline skipped: ${python} could not start (${(e as Error).message})`,
      };
    }
    const unforward = forwardStops(child.pid);
    const { status, lines } = await follow(child, options.log ?? ((s) => console.error(s)))
      .finally(() => {
        unforward();
        killGroup(child.pid); // whatever it left behind
      });
    if (status.code === 3) {
      return {
        skipped: `PyTorch baseline skipped: ${python} cannot import torch ` +
          "(install python3-torch, or set TORCH_PYTHON to a Python that has it)",
      };
    }
    if (!status.success) {
      return {
        skipped: `PyTorch baseline failed (exit ${status.code}): ${lines.slice(-3).join(" | ")}`,
      };
    }
    let j: BaselineJson;
    try {
      j = await readBaselineFile(baselineFileSchema, out, "baselines/pytorch_baseline.py");
    } catch (e) {
      return { skipped: `PyTorch baseline failed: ${(e as Error).message}` };
    }
    return baselineRun(j, { config, device, ...options });
  } finally {
    await Deno.remove(out).catch(() => {});
  }
}
