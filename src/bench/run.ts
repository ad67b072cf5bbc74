/**
 * One benchmark run of this project's stack on one device: a warm-up, a timed window of steps,
 * then whole epochs with test accuracy after each (the seed's protocol), every clock read after
 * the device is synchronised.
 *
 * @module
 */
import {
  add,
  cudaPeakMemory,
  cudaResetPeakMemory,
  item,
  liveTensors,
  synchronize,
  type Tensor,
} from "../ffi/mod.ts";
import type { Device as TorchDevice } from "../ffi/mod.ts";
import { type BatchRange, batchRanges, Rng } from "../data/mod.ts";
import { GoogLeNet } from "../model/mod.ts";
import type { BenchConfig, Device, EpochRecord, Run } from "./schema.ts";
import { summarize } from "./stats.ts";
import { trainingFlopsPerImage } from "./flops.ts";
import { type DeviceData, Trainer } from "./train.ts";
import type { Progress } from "./progress.ts";

/** Steps between loss reads shown by the progress bar (a read synchronises a GPU). */
const PROGRESS_LOSS_EVERY = 25;

/** Hooks a run reports to. */
export interface RunHooks {
  /** Live progress (optional). */
  progress?: Progress | null;
  /** Receives the seed's per-epoch lines. */
  log?: (line: string) => void;
  /** Asked before every step; returning true stops the run at the step boundary (interrupts). */
  shouldStop?: () => boolean;
}

/** Training FLOPs per image of the seed's GoogLeNet on 28x28 inputs (3x the forward pass). */
export function googlenetFlopsPerImage(): number {
  // Geometry only: no parameters are needed, but GoogLeNet owns them, so build and free one.
  const m = new GoogLeNet();
  try {
    return trainingFlopsPerImage(m.layerGeometry(28));
  } finally {
    m.dispose();
  }
}

/** Peak resident memory of this process in bytes (VmHWM), or null where /proc is missing. */
export function peakRssBytes(): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

function torchDevice(d: Device): TorchDevice {
  return d === "cuda" ? "cuda:0" : "cpu";
}

/** Steps over epochs of a seeded order, wrapping to a new permutation when one ends. */
class StepFeed {
  #trainer: Trainer;
  #rng: Rng;
  #order: Tensor | null = null;
  #ranges: BatchRange[];
  #i = 0;
  constructor(trainer: Trainer, rng: Rng, count: number, batchSize: number) {
    this.#trainer = trainer;
    this.#rng = rng;
    this.#ranges = batchRanges(count, batchSize);
  }
  next(): [Tensor, BatchRange] {
    if (this.#order === null || this.#i >= this.#ranges.length) {
      this.#order?.dispose();
      this.#order = this.#trainer.epochOrder(this.#rng);
      this.#i = 0;
    }
    return [this.#order, this.#ranges[this.#i++]];
  }
  dispose(): void {
    this.#order?.dispose();
  }
}

/** What {@linkcode runDenoLibtorch} measured. */
export interface StackRun {
  /** The run record (baseline: null). */
  run: Run;
  /** Whether the run stopped early (interrupt). */
  interrupted: boolean;
}

/** Runs the benchmark of this project's stack on one device. */
export function runDenoLibtorch(
  config: BenchConfig,
  data: DeviceData,
  hooks: RunHooks = {},
): StackRun {
  const device = (data.device === "cpu" ? "cpu" : "cuda") as Device;
  const dev = torchDevice(device);
  const log = hooks.log ?? ((s: string) => console.log(s));
  const stop = hooks.shouldStop ?? (() => false);
  const progress = hooks.progress ?? null;
  const flopsPerImage = googlenetFlopsPerImage();
  cudaResetPeakMemory(dev);
  const warmupMs: number[] = [];
  const timedMs: number[] = [];
  let interrupted = false;

  const timeStep = (trainer: Trainer, order: Tensor, range: BatchRange): [number, Tensor] => {
    synchronize(dev);
    const t0 = performance.now();
    const loss = trainer.step(order, range);
    synchronize(dev);
    return [performance.now() - t0, loss];
  };

  // 1. Timed window: warm-up steps, then `steps` timed steps, on a fresh model.
  if (config.steps !== null) {
    const trainer = new Trainer(data, {
      lr: config.lr,
      seed: config.seed,
      clipGradNorm: config.clipGradNorm,
    });
    const feed = new StepFeed(trainer, new Rng(config.seed), data.trainCount, config.batchSize);
    const total = config.warmup + config.steps;
    const windowStart = performance.now();
    try {
      for (let i = 0; i < total && !(interrupted = stop()); i++) {
        const [order, range] = feed.next();
        const [ms, loss] = timeStep(trainer, order, range);
        (i < config.warmup ? warmupMs : timedMs).push(ms);
        const l = (i + 1) % PROGRESS_LOSS_EVERY === 0 ? item(loss) : undefined;
        loss.dispose();
        const elapsed = (performance.now() - windowStart) / 1000;
        progress?.update({
          label: i < config.warmup ? "warm-up" : "timed",
          step: i + 1,
          steps: total,
          loss: l,
          imagesPerSecond: (config.batchSize * 1000) / ms,
          etaSeconds: (elapsed / (i + 1)) * (total - i - 1),
        });
      }
    } finally {
      progress?.done();
      feed.dispose();
      trainer.dispose();
    }
  }

  // 2. Epochs: the seed's protocol on a fresh model from the same seed, evaluated after each.
  const epochs: EpochRecord[] = [];
  const epochStepMs: number[] = [];
  let timeToTarget: number | null = null;
  if (config.epochs !== null && !interrupted) {
    const trainer = new Trainer(data, {
      lr: config.lr,
      seed: config.seed,
      clipGradNorm: config.clipGradNorm,
    });
    const rng = new Rng(config.seed);
    const ranges = batchRanges(data.trainCount, config.batchSize);
    synchronize(dev);
    const clockStart = performance.now(); // time-to-accuracy: from before the first batch
    try {
      for (let e = 1; e <= config.epochs && !interrupted; e++) {
        const epochStart = performance.now();
        const order = trainer.epochOrder(rng);
        let running: Tensor | null = null;
        let steps = 0;
        for (const range of ranges) {
          if ((interrupted = stop())) break;
          const [ms, loss] = timeStep(trainer, order, range);
          epochStepMs.push(ms);
          // Sum losses on the device: no host round trip per step.
          const next: Tensor = running === null ? loss : add(running, loss);
          if (running !== null) {
            running.dispose();
            loss.dispose();
          }
          running = next;
          steps++;
          if (progress !== null && steps % PROGRESS_LOSS_EVERY === 0) {
            const elapsed = (performance.now() - epochStart) / 1000;
            progress.update({
              label: "train",
              epoch: e,
              epochs: config.epochs,
              step: steps,
              steps: ranges.length,
              loss: item(running) / steps,
              imagesPerSecond: (config.batchSize * 1000) / ms,
              etaSeconds: (elapsed / steps) * (ranges.length - steps),
            });
          }
        }
        order.dispose();
        const meanLoss = running === null ? NaN : item(running) / steps;
        running?.dispose();
        synchronize(dev);
        const seconds = (performance.now() - epochStart) / 1000;
        progress?.done();
        if (interrupted) break;
        const evalStart = performance.now();
        const accuracy = trainer.evaluate();
        synchronize(dev);
        const evalSeconds = (performance.now() - evalStart) / 1000;
        if (timeToTarget === null && accuracy >= config.targetAccuracy) {
          timeToTarget = (performance.now() - clockStart) / 1000;
        }
        epochs.push({ epoch: e, loss: meanLoss, seconds, testAccuracy: accuracy, evalSeconds });
        log(`Epoch [${e}/${config.epochs}], Loss: ${meanLoss.toFixed(4)}`);
        log(
          `  test accuracy ${(accuracy * 100).toFixed(2)}%, epoch ${seconds.toFixed(1)} s, eval ${
            evalSeconds.toFixed(1)
          } s` +
            `, live tensors ${liveTensors()}`,
        );
      }
    } finally {
      trainer.dispose();
    }
  }

  const samples = timedMs.length > 0 ? timedMs : epochStepMs.slice(config.warmup);
  if (timedMs.length === 0) warmupMs.push(...epochStepMs.slice(0, config.warmup));
  if (samples.length === 0 && warmupMs.length === 0) {
    throw new Error(
      "the run stopped before its first training step completed: no timing to report",
    );
  }
  const stepMs = summarize(samples.length > 0 ? samples : warmupMs);
  const firstStepMs = warmupMs[0] ?? samples[0] ?? NaN;
  const imagesPerSecond = (config.batchSize * 1000) / stepMs.median;
  const run: Run = {
    label: `deno+libtorch ${device} ${config.precision}`,
    implementation: "deno-libtorch",
    device,
    deviceName: "",
    threads: config.threads,
    precision: config.precision,
    options: {
      cudaGraphs: config.cudaGraphs,
      tf32: config.tf32,
      ...(config.clipGradNorm !== null ? { clipGradNorm: config.clipGradNorm } : {}),
    },
    firstStepMs,
    warmupMs,
    stepMs,
    imagesPerSecond,
    epochs,
    timeToTargetSeconds: timeToTarget,
    targetAccuracy: config.targetAccuracy,
    peakMemoryBytes: device === "cuda" ? cudaPeakMemory(dev) : peakRssBytes(),
    flopsPerImage,
    achievedFlops: flopsPerImage * imagesPerSecond,
    finalTestAccuracy: epochs.at(-1)?.testAccuracy ?? null,
    baseline: null,
    complete: !interrupted,
  };
  return { run, interrupted };
}
