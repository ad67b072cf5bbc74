/**
 * Which speed options make sense together on which devices and libtorch builds: checked before
 * anything runs, so a wrong combination fails with one line instead of a libtorch error later.
 *
 * @module
 */
import { type BenchConfig, COMPILED_BASELINES, type Device } from "../../result/mod.ts";
import { flagName } from "../../cli/mod.ts";

/**
 * What `--cpu-best` stands for: the CPU speed options that won, as `deno task bench` flags; the
 * thread count is left to `--threads`. On libtorch 1.13, 2 threads, a Zen 4 EPYC: the sweep
 * (results/sweeps/2026-11-29-vm-cpu-2.json) put channels-last (89.2 ms a step) ahead of fp32
 * (100.2), bf16-pure (104.3), bf16 autocast + channels-last (103.9) and parallel branches
 * (138.4); bf16-hybrid (bf16 where oneDNN's bf16 kernels win, channels-last throughout) then
 * beat channels-last side by side against the same PyTorch baseline (README, "CPU options" and
 * "Results"). But on a CPU without bf16 instructions that fixed split was 6.7× PyTorch's fp32
 * step (issue 32), so the preset is `auto`: each stage's dtype and layout timed on the machine
 * itself (src/train/probe.ts) and chosen with the casts between them counted.
 */
export const CPU_BEST = "--precision auto";

/** The options that only mean something on CUDA. */
const CUDA_ONLY = ["tf32", "cudaGraphs", "cudnnBenchmark"] as const;

/** Whether a libtorch version string ("1.13.1", "2.11.0+cu130") is at least major.minor. */
export function versionAtLeast(version: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (m === null) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

/**
 * Why the `--baseline` names cannot run on the baseline's torch (`torch`: its version, as
 * `torch.__version__` gives it, or null when torch could not be imported; `python`: the
 * interpreter, for the message): one line, or null when they can.
 */
export function compiledBaselineProblem(
  baselines: readonly string[] | null,
  torch: string | null,
  python: string,
): string | null {
  const name = COMPILED_BASELINES.find((n) => baselines?.includes(n));
  if (name === undefined || (torch !== null && versionAtLeast(torch, 2, 0))) return null;
  const found = torch === null ? `no importable torch in ${python}` : `torch ${torch} (${python})`;
  return `--baseline ${name}: torch.compile needs torch >= 2.0, found ${found}`;
}

/** The options that only mean something on the CPU. */
export type CpuOnly = Partial<Pick<BenchConfig, "cpuBest" | "inceptionBranches" | "precision">>;

// Concurrent branches run on host threads, off the CUDA stream a graph captures on; auto's
// probe times CPU stages.
function cpuOnlyFlag(config: CpuOnly): string | null {
  if (config.cpuBest) return "--cpu-best";
  if (config.precision === "auto") return "--precision auto";
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
