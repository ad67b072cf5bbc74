/**
 * Which speed options make sense together on which devices and libtorch builds: checked before
 * anything runs, so a wrong combination fails with one line instead of a libtorch error later.
 *
 * @module
 */
import type { BenchConfig, Device } from "../result/schema.ts";
import { flagName } from "../cli/flags.ts";

/**
 * What `--cpu-best` stands for: the CPU speed options that won, as `deno task bench` flags; the
 * thread count is left to `--threads`. On libtorch 1.13, 2 threads: the sweep
 * (results/sweeps/2026-11-29-vm-cpu-2.json) put channels-last (89.2 ms a step) ahead of fp32
 * (100.2), bf16-pure (104.3), bf16 autocast + channels-last (103.9) and parallel branches
 * (138.4); bf16-hybrid (bf16 where oneDNN's bf16 kernels win, channels-last throughout) then
 * beat channels-last side by side against the same PyTorch baseline (README, "CPU options" and "Results").
 */
export const CPU_BEST = "--precision bf16-hybrid";

/** The options that only mean something on CUDA. */
const CUDA_ONLY = ["tf32", "cudaGraphs", "cudnnBenchmark"] as const;

/** Whether a libtorch version string ("1.13.1", "2.11.0+cu130") is at least major.minor. */
export function versionAtLeast(version: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (m === null) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

/** The options that only mean something on the CPU. */
export type CpuOnly = Partial<Pick<BenchConfig, "cpuBest" | "inceptionBranches">>;

// Concurrent branches run on host threads, off the CUDA stream a graph captures on.
function cpuOnlyFlag(config: CpuOnly): string | null {
  if (config.cpuBest) return "--cpu-best";
  if (config.inceptionBranches === "parallel") return "--inception-branches parallel";
  return null;
}

/**
 * Why the speed options of `config` cannot run on `devices` with this `libtorch` version: a
 * one-line message naming the flag, what it needs and what was found; null when they can.
 */
export function speedOptionProblem(
  config: Pick<BenchConfig, "tf32" | "cudaGraphs" | "cudnnBenchmark" | "adam"> & CpuOnly,
  devices: readonly Device[],
  libtorch: string,
): string | null {
  const cpuOnly = cpuOnlyFlag(config);
  if (cpuOnly !== null && devices.includes("cuda")) {
    return `${cpuOnly} applies to the CPU only: expected --device cpu, found a run on CUDA ` +
      `(--device ${devices.length > 1 ? "all" : "cuda"})`;
  }
  if (devices.includes("cpu")) {
    for (const key of CUDA_ONLY) {
      if (config[key]) {
        return `${
          flagName(key, {})
        } applies to CUDA only: expected --device cuda, found a run on the CPU ` +
          `(--device ${devices.length > 1 ? "all" : "cpu"})`;
      }
    }
    if (config.adam === "fused" && !versionAtLeast(libtorch, 2, 4)) {
      return `--adam fused runs on CUDA, or on the CPU from libtorch 2.4: found libtorch ` +
        `${libtorch} and a run on the CPU`;
    }
  }
  return null;
}
