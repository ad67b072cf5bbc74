/**
 * The baseline `deno task bench` runs when `--baseline` is not given: PyTorch's fp32 recipe,
 * paired with ours, where the Python that runs it imports torch, so that a bare `deno task bench`
 * ends with how ours compares; none where it cannot run. `--baseline` given (`none` included)
 * always wins.
 *
 * @module
 */
import type { BenchConfig } from "../../result/mod.ts";
import { BASELINE_PYTHON } from "./baseline.ts";

/** Whether `args` name `--baseline` (any value, `none` included). */
export function baselineGiven(args: readonly string[]): boolean {
  return args.some((a) => a === "--baseline" || a.startsWith("--baseline="));
}

/** Whether the default can apply: a timed window to pair, one process, no resumed epochs. */
function pairable(config: BenchConfig): boolean {
  return config.steps !== null && (config.nproc ?? 1) === 1 && !config.resume;
}

/**
 * Whether `python` imports torch: `python -c "import torch"` exits 0 within 60 s. False when it
 * cannot start.
 */
export async function pytorchImportable(python: string = BASELINE_PYTHON): Promise<boolean> {
  try {
    const out = await new Deno.Command(python, {
      args: ["-c", "import torch"],
      stdout: "null",
      stderr: "null",
      signal: AbortSignal.timeout(60_000),
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** Options of {@linkcode withDefaultBaseline}. */
export interface DefaultBaselineOptions {
  /** Whether PyTorch can run (default {@linkcode pytorchImportable}). */
  importable?: () => Promise<boolean>;
  /** Receives the line saying what was chosen (default: console.error). */
  log?: (line: string) => void;
}

/**
 * `config` with PyTorch as its baseline when `args` give no `--baseline`, the run has a timed
 * window on one process, and PyTorch is importable; the choice is said in one line, with how to
 * turn it off. Otherwise `config` as it is.
 */
export async function withDefaultBaseline(
  config: BenchConfig,
  args: readonly string[],
  options: DefaultBaselineOptions = {},
): Promise<BenchConfig> {
  if (baselineGiven(args) || !pairable(config)) return config;
  const log = options.log ?? ((line: string) => console.error(line));
  if (!(await (options.importable ?? pytorchImportable)())) {
    log(
      `bench: no baseline: ${BASELINE_PYTHON} cannot import torch (install python3-torch or set ` +
        "TORCH_PYTHON to compare with PyTorch)",
    );
    return config;
  }
  log(
    "bench: PyTorch runs beside ours, paired, as the baseline (--baseline none turns it off)",
  );
  return { ...config, baseline: ["pytorch"] };
}
