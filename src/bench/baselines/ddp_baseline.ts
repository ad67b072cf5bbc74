/**
 * The PyTorch DDP baseline of `--nproc N --baseline pytorch`: N processes of
 * baselines/pytorch_ddp.py --bench-json (DistributedDataParallel over Gloo, torchrun's environment;
 * as our ranks, a FileStore in a private folder and Gloo on loopback, tied to this process), started by our rank 0 once our ranks' run is over (adjacent, not interleaved
 * with ours), time the same window: warm-up and timed steps with the per-rank batch, each step's
 * exposed all-reduce wait, and their own single-rank reference interleaved on their rank 0. Their
 * JSON becomes the baseline run, with its own `distributed` record.
 *
 * @module
 */
import { join } from "node:path";
import {
  DEFAULT_DIST_TIMEOUT_SECONDS,
  loopbackRankEnv,
  privateStoreDir,
  tiedCommand,
} from "../../dist/mod.ts";
import { BASELINE_PYTHON, type BaselineOutcome, baselineRun, recipeFlags } from "./baseline.ts";
import { mallocEnv } from "./malloc.ts";
import { distributedRecord } from "../measure/mod.ts";
import type { BenchConfig } from "../../result/mod.ts";
import { ddpFileSchema, type DdpJson, readBaselineFile } from "./baseline_files.ts";

/** baselines/pytorch_ddp.py, PyTorch's DistributedDataParallel reference. */
export const DDP_SCRIPT: string =
  new URL("../../../baselines/pytorch_ddp.py", import.meta.url).pathname;

/** Options of {@linkcode runPytorchDdp}. */
export interface DdpOptions {
  /** The number of ranks. */
  worldSize: number;
  /** Folder holding the data set's four IDX files. */
  dataDir: string;
  /** Training images the data set holds (the script takes the first this many). */
  trainCount: number;
  /** Training FLOPs per image, for the achieved FLOP/s. */
  flopsPerImage: number;
  /** The CPU's name as the harness knows it. */
  deviceName: string;
  /** The Python interpreter (default: the PyTorch baseline's). */
  python?: string;
}

/** One rank's command line: `config`'s window, threads per rank and seeds; rank 0 writes `out`. */
function ddpArgs(config: BenchConfig, options: DdpOptions & { out: string }): string[] {
  const values: (readonly [string, number | string])[] = [
    ...recipeFlags(config),
    ["--data", options.dataDir],
    ["--train-count", options.trainCount],
    ["--order-seed", config.seed],
    ["--timeout", config.distTimeout ?? DEFAULT_DIST_TIMEOUT_SECONDS],
    ["--steps", config.steps ?? 0],
    ["--bench-json", options.out],
  ];
  return [DDP_SCRIPT, ...values.flatMap(([flag, v]) => [flag, String(v)])];
}

/** Starts the ranks and waits for all of them; the first failure in words, or null. */
async function runRanks(
  args: string[],
  options: DdpOptions & { env: Record<string, string> },
): Promise<string | null> {
  const python = options.python ?? BASELINE_PYTHON;
  const dir = await privateStoreDir("ddp-baseline-");
  const storeFile = join(dir, "store");
  const ranks = Array.from({ length: options.worldSize }, (_, rank) => {
    const env = {
      ...loopbackRankEnv({ rank, worldSize: options.worldSize, storeFile }),
      ...options.env,
    };
    return tiedCommand(python, args, { env, stdout: "null", stderr: "piped" }).output()
      .catch((e: Error) => ({
        success: false,
        code: -1,
        stderr: new TextEncoder().encode(e.message),
      }));
  });
  const outs = await Promise.all(ranks).finally(() =>
    Deno.remove(dir, { recursive: true }).catch(() => {})
  );
  const bad = outs.findIndex((o) => !o.success);
  if (bad < 0) return null;
  const tail = new TextDecoder().decode(outs[bad].stderr).trim().split("\n").slice(-3);
  return `PyTorch DDP baseline failed (rank ${bad}, exit ${outs[bad].code}): ${tail.join(" | ")}`;
}

/** Runs PyTorch DDP with `config`'s window on `options.worldSize` ranks of this host. */
export async function runPytorchDdp(
  config: BenchConfig,
  options: DdpOptions,
): Promise<BaselineOutcome> {
  const out = await Deno.makeTempFile({ prefix: "ddp-baseline-", suffix: ".json" });
  try {
    const env = mallocEnv(config.malloc ?? "default");
    const failed = await runRanks(ddpArgs(config, { ...options, out }), { ...options, env });
    if (failed !== null) return { skipped: failed };
    let j: DdpJson;
    try {
      j = await readBaselineFile(ddpFileSchema, out, "baselines/pytorch_ddp.py");
    } catch (e) {
      return { skipped: `PyTorch DDP baseline failed: ${(e as Error).message}` };
    }
    const outcome = baselineRun({
      ...j,
      deviceName: options.deviceName,
      firstStepMs: j.warmupMs[0] ?? null,
      epochs: [],
      timeToTargetSeconds: null,
      peakMemoryBytes: null,
      finalTestAccuracy: null,
    }, { config, device: "cpu", ...options });
    if ("skipped" in outcome) return outcome;
    const nan = (xs: (number | null)[]) => xs.map((x) => x ?? NaN);
    outcome.run.distributed = distributedRecord(
      { worldSize: options.worldSize, backend: "gloo", threadsPerRank: j.threads },
      {
        imagesPerSecond: outcome.run.imagesPerSecond,
        window: {
          perRankStepMedianMs: nan(j.perRankStepMedianMs),
          perRankAllreduceShare: nan(j.perRankAllreduceShare),
          singleRank: { schedule: "interleaved", ...j.singleRank },
        },
      },
    );
    return outcome;
  } finally {
    await Deno.remove(out).catch(() => {});
  }
}
