/**
 * Types of the raw benchmark results that `deno task bench` writes to
 * `results/<date>-<host>-<devices>.json` and `deno task report` reads back.
 *
 * Every time is in the unit its name says (`…Ms` milliseconds, `…Seconds`
 * seconds); accuracies are fractions in [0, 1]; memory is in bytes.
 *
 * @module
 */

/** Version of the result file layout; bump it when a field changes meaning. */
export const SCHEMA_VERSION = 1;

/** A device the benchmark can train on. */
export type Device = "cpu" | "cuda";

/** The `--device` choice: one device, or every device present. */
export type DeviceChoice = Device | "all";

/** Which stack produced a run. */
export type Implementation = "deno-libtorch" | "pytorch";

/** `--adam`: which Adam kernels, or `auto` for torch.optim.Adam's default on the device. */
export type AdamChoice = "auto" | "single" | "foreach" | "fused";

/** Numeric precision of the training step. */
export type Precision = "fp32" | "bf16";

/** One benchmark invocation: what ran, where, and what it measured. */
export interface BenchResult {
  /** Layout version, always {@linkcode SCHEMA_VERSION}. */
  schema: 1;
  /** False when the benchmark was interrupted and the file holds partial runs. */
  complete: boolean;
  /** Why it stopped early (`"SIGINT"`, `"deadline: …"`), null when it did not (absent: null). */
  stopReason?: string | null;
  /** When the benchmark started, as an ISO 8601 timestamp. */
  createdAt: string;
  /** The exact command line that produced the file. */
  command: string;
  /** The machine and software the benchmark ran on. */
  env: Env;
  /** The parsed command-line configuration. */
  config: BenchConfig;
  /** One entry per device/precision measured. */
  runs: Run[];
  /** Free-form remarks (warnings about spread, skipped devices, …). */
  notes: string[];
}

/** The GPU the CUDA runs used. */
export interface GpuInfo {
  /** Marketing name, e.g. `"NVIDIA H100 80GB HBM3"`. */
  name: string;
  /** Driver version, e.g. `"550.54.15"`. */
  driver: string;
  /** CUDA runtime version libtorch was built with, e.g. `"12.4"`. */
  cudaVersion: string;
  /** cuDNN version, e.g. `"90100"`. */
  cudnnVersion: string;
}

/** Facts about the machine and software stack. */
export interface Env {
  /** CPU model name from `/proc/cpuinfo`. */
  cpuModel: string;
  /** Logical cores (`navigator.hardwareConcurrency`). */
  cores: number;
  /** Total system memory in bytes. */
  memoryBytes: number;
  /** e.g. `"Debian GNU/Linux 12 (bookworm), linux 6.1.0-18-amd64 x86_64"`. */
  os: string;
  /** Deno version. */
  deno: string;
  /** V8 version. */
  v8: string;
  /** TypeScript version. */
  typescript: string;
  /** Host name of the machine. */
  hostname: string;
  /** `git rev-parse HEAD`, or null outside a git checkout / without git. */
  gitCommit: string | null;
  /** True when tracked files differ from `gitCommit`. */
  gitDirty: boolean;
  /** Build facts reported by the libtorch shim; `version` is shown in reports. */
  torch: Record<string, unknown>;
  /** The GPU, or null when none was used or found. */
  gpu: GpuInfo | null;
}

/** The benchmark configuration, as parsed from the command line. */
export interface BenchConfig {
  /** Device(s) to benchmark; `"all"` means every device present. */
  device: DeviceChoice;
  /** Evaluated epochs to train, or null for a timed window only. */
  epochs: number | null;
  /** Steps in the timed window, or null for whole epochs only. */
  steps: number | null;
  /** Untimed warm-up steps before the timed window. */
  warmup: number;
  /** Images per training step. */
  batchSize: number;
  /** Learning rate. */
  lr: number;
  /** CPU threads for libtorch intra-op parallelism. */
  threads: number;
  /** Random seed. */
  seed: number;
  /** `"mnist"`, `"fashion-mnist"` or a path to a data directory. */
  data: string;
  /** Test accuracy whose first crossing is reported as time to target. */
  targetAccuracy: number;
  /** Also run the same configuration in PyTorch for comparison. */
  baseline: "pytorch" | null;
  /** Training precision. */
  precision: Precision;
  /** Allow TF32 matmuls/convolutions on CUDA. */
  tf32: boolean;
  /** Capture the CUDA training step in a CUDA graph. */
  cudaGraphs: boolean;
  /** Conv weights and batches in channels_last (NHWC) layout (absent in older results: false). */
  channelsLast?: boolean;
  /** cuDNN autotuning, torch.backends.cudnn.benchmark (absent in older results: false). */
  cudnnBenchmark?: boolean;
  /** Adam's kernels; `auto` is torch.optim.Adam's default per device (absent: auto). */
  adam?: AdamChoice;
  /** Max gradient norm for clipping, or null for no clipping. */
  clipGradNorm: number | null;
  /** Directory the result file is written to. */
  out: string;
  /** Extra path to write the result JSON to, or null. */
  json: string | null;
  /** Show a progress bar / progress lines. */
  progress: boolean;
  /** Where trained weights were written (.safetensors or .pt). */
  save?: string | null;
  /** Weights the run started from. */
  load?: string | null;
  /** The checkpoint this run resumed from. */
  resume?: string | null;
  /** Where checkpoints were written (null: the --out directory). */
  checkpointDir?: string | null;
  /** Overwrite existing output files. */
  force?: boolean;
  /** Stack traces for errors. */
  verbose?: boolean;
  /** Deadline in seconds for each run's window and epochs, or null for none (absent: null). */
  maxSeconds?: number | null;
}

/** One measured configuration on one device. */
export interface Run {
  /** Human label, e.g. `"deno+libtorch cpu fp32"`. */
  label: string;
  /** Which stack ran. */
  implementation: Implementation;
  /** Which device ran. */
  device: Device;
  /** CPU model or GPU name. */
  deviceName: string;
  /** CPU threads used. */
  threads: number;
  /** Training precision, e.g. `"fp32"`. */
  precision: string;
  /** Run-specific switches (tf32, cudaGraphs, …). */
  options: Record<string, boolean | string | number>;
  /** Wall time of the very first training step (includes lazy init). */
  firstStepMs: number;
  /** Wall time of each warm-up step. */
  warmupMs: number[];
  /** Distribution of the timed step times in milliseconds. */
  stepMs: Summary;
  /** Training throughput in the timed window. */
  imagesPerSecond: number;
  /** One record per evaluated epoch. */
  epochs: EpochRecord[];
  /** Training seconds until the test accuracy first reached the target, or null. */
  timeToTargetSeconds: number | null;
  /** The target used for `timeToTargetSeconds`. */
  targetAccuracy: number;
  /** Peak device memory in bytes, or null when unknown. */
  peakMemoryBytes: number | null;
  /** Training FLOPs per image (see `trainingFlopsPerImage`). */
  flopsPerImage: number;
  /** `flopsPerImage × imagesPerSecond`. */
  achievedFlops: number;
  /** Test accuracy after the last epoch, or null when none was evaluated. */
  finalTestAccuracy: number | null;
  /** The PyTorch run with the same configuration (`--baseline pytorch`), or null. */
  baseline: Run | null;
  /** False when the run was interrupted. */
  complete: boolean;
  /** Why the run stopped early (`"SIGINT"`, `"deadline: …"`), or null (absent: null). */
  stopReason?: string | null;
}

/** Measurements of one training epoch. */
export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean training loss over the epoch (NaN when training diverged). */
  loss: number;
  /** Training wall time of the epoch, excluding evaluation. */
  seconds: number;
  /** Test accuracy after the epoch, or null when not evaluated. */
  testAccuracy: number | null;
  /** Wall time of the evaluation, or null when not evaluated. */
  evalSeconds: number | null;
}

/** Summary statistics of a sample, as computed by `summarize`. */
export interface Summary {
  /** 50th percentile. */
  median: number;
  /** Arithmetic mean. */
  mean: number;
  /** Sample standard deviation (n − 1); 0 for fewer than two samples. */
  std: number;
  /** 10th percentile. */
  p10: number;
  /** 90th percentile. */
  p90: number;
  /** 25th percentile. */
  q1: number;
  /** 75th percentile. */
  q3: number;
  /** Smallest sample. */
  min: number;
  /** Largest sample. */
  max: number;
  /** Number of samples. */
  count: number;
  /** The samples, in measurement order. */
  samples: number[];
}
