// The result fixtures that the report's tests share: runs, a CPU-and-CUDA result, paired and
// loaded results, the run table's header.
import type { BenchResult, Run, Summary } from "../src/result/schema.ts";

export function summary(median: number, extra: Partial<Summary> = {}): Summary {
  return {
    median,
    mean: median + 0.1,
    std: median / 100,
    p10: median * 0.98,
    p90: median * 1.02,
    q1: median * 0.99,
    q3: median * 1.01,
    min: median * 0.95,
    max: median * 1.1,
    count: 3,
    samples: [median * 0.99, median, median * 1.01],
    ...extra,
  };
}

export function run(overrides: Partial<Run> & Pick<Run, "label" | "device">): Run {
  return {
    implementation: "deno-libtorch",
    deviceName: overrides.device === "cuda" ? "NVIDIA H100 80GB HBM3" : "AMD EPYC 7763",
    threads: 16,
    precision: "fp32",
    options: {},
    firstStepMs: 900,
    warmupMs: [50, 40],
    stepMs: summary(10),
    imagesPerSecond: 6400,
    epochs: [],
    timeToTargetSeconds: null,
    targetAccuracy: 0.97,
    peakMemoryBytes: null,
    flopsPerImage: 1e9,
    achievedFlops: 6.4e12,
    finalTestAccuracy: null,
    baseline: null,
    complete: true,
    ...overrides,
  };
}

/** A CPU and a CUDA run, each with a PyTorch baseline. */
export function fixture(): BenchResult {
  const cpu = run({
    label: "deno+libtorch cpu fp32",
    device: "cpu",
    stepMs: summary(40),
    imagesPerSecond: 1600,
    epochs: [
      { epoch: 1, loss: 451.25, seconds: 37.5, testAccuracy: 0.9512, evalSeconds: 2.25 },
      { epoch: 2, loss: 0.08123, seconds: 36.5, testAccuracy: 0.9811, evalSeconds: 2.5 },
    ],
    timeToTargetSeconds: 74.2,
    finalTestAccuracy: 0.9811,
    baseline: run({
      label: "pytorch cpu fp32",
      implementation: "pytorch",
      device: "cpu",
      stepMs: summary(50),
      imagesPerSecond: 1280,
      epochs: [
        { epoch: 1, loss: 2.5, seconds: 47, testAccuracy: 0.9, evalSeconds: 3 },
        { epoch: 2, loss: 0.5, seconds: 46, testAccuracy: 0.95, evalSeconds: 3 },
      ],
      finalTestAccuracy: 0.95,
    }),
  });
  const cuda = run({
    label: "deno+libtorch cuda fp32",
    device: "cuda",
    stepMs: summary(4),
    imagesPerSecond: 16000,
    baseline: run({
      label: "pytorch cuda fp32",
      implementation: "pytorch",
      device: "cuda",
      stepMs: summary(5),
      imagesPerSecond: 12800,
    }),
  });
  return {
    schema: 1,
    complete: true,
    createdAt: "2025-01-31T10:20:30.000Z",
    command: "deno task bench --epochs 2 --baseline pytorch",
    env: {
      cpuModel: "AMD EPYC 7763 64-Core Processor",
      cores: 16,
      memoryBytes: 128 * 1024 ** 3,
      os: "Debian GNU/Linux 12 (bookworm), linux 6.1.0 x86_64",
      deno: "2.1.4",
      v8: "13.0.245.12-rusty",
      typescript: "5.6.2",
      hostname: "gpu-box",
      gitCommit: "0123456789abcdef0123456789abcdef01234567",
      gitDirty: true,
      torch: { version: "2.5.1", cuda: true },
      gpu: {
        name: "NVIDIA H100 80GB HBM3",
        driver: "550.54.15",
        cudaVersion: "12.4",
        cudnnVersion: "90100",
      },
    },
    config: {
      device: "all",
      epochs: 2,
      steps: null,
      warmup: 5,
      batchSize: 64,
      lr: 0.001,
      threads: 16,
      seed: 0,
      data: "mnist",
      targetAccuracy: 0.97,
      baseline: ["pytorch"],
      precision: "fp32",
      tf32: false,
      cudaGraphs: false,
      clipGradNorm: null,
      out: "results",
      json: null,
      progress: true,
    },
    runs: [cpu, cuda],
    notes: ["CPU frequency scaling was on"],
  };
}

export function lines(markdown: string): string[] {
  return markdown.split("\n");
}

export const HEADER =
  "| Run | Step median [ms] | Mean ± σ [ms] | p10 … p90 [ms] | Images/s | Epoch [s] | Test acc. " +
  "| Time to target [s] | Relative |";

/** Step samples around `median`, 1% apart: a quiet run's. */
export function quiet(median: number): Summary {
  return summary(median, { samples: [0.99, 1, 1.01, 1, 0.995, 1.005].map((f) => f * median) });
}

/**
 * A CPU result of ours paired with PyTorch and the C++ worker (ours/PyTorch 0.9 [0.88, 0.92],
 * ours/C++ 1.0 [0.98, 1.02]), made at `createdAt` on libtorch `libtorch`.
 */
export function pairedResult(createdAt: string, libtorch = "2.5.1"): BenchResult {
  const result = fixture();
  const paired = (ratio: number, lo: number, hi: number) => ({
    rounds: 4,
    windowSteps: 3,
    ratios: [ratio, ratio, ratio, ratio],
    ratioMedian: ratio,
    ratioCI95: [lo, hi] as [number, number],
  });
  const base = (label: string, implementation: Run["implementation"], median: number) =>
    run({ label, implementation, device: "cpu", stepMs: quiet(median) });
  result.createdAt = createdAt;
  result.env.torch = { libtorch };
  result.runs = [run({
    label: "deno+libtorch cpu fp32",
    device: "cpu",
    stepMs: quiet(36),
    baseline: { ...base("pytorch cpu fp32", "pytorch", 40), paired: paired(0.9, 0.88, 0.92) },
    moreBaselines: [{
      ...base("libtorch cpu fp32", "libtorch", 36),
      paired: paired(1, 0.98, 1.02),
    }],
  })];
  return result;
}

/** `pairedResult` with its step times spread as on a loaded host (IQR far above 20%). */
export function loadedResult(createdAt: string): BenchResult {
  const result = pairedResult(createdAt);
  result.runs[0].stepMs = summary(2209.75, { samples: [80, 90, 2209.75, 2300, 2500, 100] });
  return result;
}

export const link = (path: string) => path;
