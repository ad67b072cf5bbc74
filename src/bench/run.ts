/**
 * One benchmark run of this project's stack on one device: a warm-up, a timed window of steps,
 * then whole epochs with test accuracy after each (the seed's protocol), every clock read after
 * the device is synchronised.
 *
 * @module
 */
import {
  type AdamImpl,
  cudaPeakMemory,
  cudaResetPeakMemory,
  liveTensors,
  rngState,
  setRngState,
  synchronize,
  type Tensor,
} from "../ffi/mod.ts";
import type { Device as TorchDevice } from "../ffi/mod.ts";
import { type BatchRange, batchRanges, Rng } from "../data/mod.ts";
import { GoogLeNet, loadWeights, saveWeights } from "../model/mod.ts";
import { loadCheckpoint, recipeOf, saveCheckpoint, type TrainingPosition } from "./checkpoint.ts";
import type { BenchConfig, Device, EpochRecord, Run } from "./schema.ts";
import { summarize } from "./stats.ts";
import { defaultAdam } from "./options.ts";
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
  /** Checkpoint file written after each epoch and on interrupt (none when omitted). */
  checkpointPath?: string | null;
  /** Checkpoint to continue from. */
  resume?: string | null;
  /** Weights to start the epochs from (.safetensors or .pt). */
  loadWeights?: string | null;
  /** Where the trained weights go after the last epoch (.safetensors or .pt). */
  savePath?: string | null;
}

let flopsPerImageCache: number | null = null;

/** Training FLOPs per image of the seed's GoogLeNet on 28x28 inputs (3x the forward pass). */
export function googlenetFlopsPerImage(): number {
  if (flopsPerImageCache !== null) return flopsPerImageCache;
  // The geometry needs a model; building one draws its initial weights, so the generator is put
  // back afterwards and the probe never shifts a run's initialisation or dropout.
  const gen = rngState();
  const m = new GoogLeNet();
  try {
    flopsPerImageCache = trainingFlopsPerImage(m.layerGeometry(28));
  } finally {
    m.dispose();
    setRngState(gen);
    gen.dispose();
  }
  return flopsPerImageCache;
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
  /** The checkpoint file last written, if any. */
  checkpoint: string | null;
}

/**
 * The Adam kernels a run uses: `--adam`, or for `auto` what torch.optim.Adam picks by default
 * (a loop over parameters on the CPU, multi-tensor `foreach` kernels on CUDA).
 */
export function resolveAdam(config: BenchConfig, device: Device): AdamImpl {
  const choice = config.adam ?? "auto";
  return choice === "auto" ? defaultAdam(device) : choice;
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

  const timeStep = (trainer: Trainer, order: Tensor, range: BatchRange): number => {
    synchronize(dev);
    const t0 = performance.now();
    trainer.step(order, range);
    synchronize(dev);
    return performance.now() - t0;
  };
  const trainerOptions = {
    lr: config.lr,
    seed: config.seed,
    clipGradNorm: config.clipGradNorm,
    precision: config.precision,
    channelsLast: config.channelsLast ?? false,
    adam: resolveAdam(config, device),
    graphs: config.cudaGraphs,
    batchSize: config.batchSize,
  };
  // On CUDA, once a timed window has given the per-step statistics, epoch steps are not
  // synchronised one by one: the host queues ahead and the epoch time is the throughput.
  const syncEpochSteps = device === "cpu" || config.steps === null;

  // 1. Timed window: warm-up steps, then `steps` timed steps, on a fresh model.
  if (config.steps !== null) {
    const trainer = new Trainer(data, trainerOptions);
    const feed = new StepFeed(trainer, new Rng(config.seed), data.trainCount, config.batchSize);
    const total = config.warmup + config.steps;
    const windowStart = performance.now();
    try {
      for (let i = 0; i < total && !(interrupted = stop()); i++) {
        const [order, range] = feed.next();
        const ms = timeStep(trainer, order, range);
        (i < config.warmup ? warmupMs : timedMs).push(ms);
        const l = progress !== null && (i + 1) % PROGRESS_LOSS_EVERY === 0
          ? trainer.lossSum() / (i + 1)
          : undefined;
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

  // 2. Epochs: the seed's protocol on a fresh model from the same seed, evaluated after each;
  //    a checkpoint after each epoch and on interrupt; or the rest of a checkpointed run.
  const epochs: EpochRecord[] = [];
  const epochStepMs: number[] = [];
  let timeToTarget: number | null = null;
  let checkpointWritten: string | null = null;
  if (config.epochs !== null && !interrupted) {
    const trainer = new Trainer(data, trainerOptions);
    try {
      if (hooks.loadWeights) loadWeights(trainer.model, hooks.loadWeights);
      const recipe = recipeOf(config);
      let position: TrainingPosition = {
        epochIndex: 0,
        stepInEpoch: 0,
        rngBefore: new Rng(config.seed).state(),
        runningLoss: 0,
        epochSeconds: 0,
        epochs: [],
        elapsedSeconds: 0,
        timeToTargetSeconds: null,
      };
      if (hooks.resume) {
        position = loadCheckpoint(hooks.resume, trainer, recipe).position;
        epochs.push(...position.epochs);
        timeToTarget = position.timeToTargetSeconds;
        log(
          `resumed from ${hooks.resume}: epoch ${
            position.epochIndex + 1
          }, step ${position.stepInEpoch}`,
        );
      }
      const rng = Rng.fromState(position.rngBefore);
      const ranges = batchRanges(data.trainCount, config.batchSize);
      const save = (p: TrainingPosition) => {
        if (!hooks.checkpointPath) return;
        saveCheckpoint(hooks.checkpointPath, trainer, { recipe, position: p });
        checkpointWritten = hooks.checkpointPath;
      };
      synchronize(dev);
      // Time-to-accuracy: the clock starts before the first batch (and carries over a resume).
      const clockStart = performance.now() - position.elapsedSeconds * 1000;
      for (let e = position.epochIndex + 1; e <= config.epochs && !interrupted; e++) {
        const resumed = e === position.epochIndex + 1 ? position : null;
        const rngBefore = rng.state();
        const epochStart = performance.now() - (resumed?.epochSeconds ?? 0) * 1000;
        const order = trainer.epochOrder(rng);
        let steps = resumed?.stepInEpoch ?? 0;
        // Losses are summed on the device: no host round trip per step.
        trainer.resetLossSum(steps > 0 ? resumed!.runningLoss : 0);
        for (const range of ranges.slice(steps)) {
          if ((interrupted = stop())) break;
          if (syncEpochSteps) epochStepMs.push(timeStep(trainer, order, range));
          else trainer.step(order, range);
          steps++;
          if (progress !== null && steps % PROGRESS_LOSS_EVERY === 0) {
            const loss = trainer.lossSum() / steps; // waits for the device, so the clock is true
            const elapsed = (performance.now() - epochStart) / 1000;
            progress.update({
              label: "train",
              epoch: e,
              epochs: config.epochs,
              step: steps,
              steps: ranges.length,
              loss,
              imagesPerSecond: (steps * config.batchSize) / elapsed,
              etaSeconds: (elapsed / steps) * (ranges.length - steps),
            });
          }
        }
        order.dispose();
        const lossSum = steps > 0 ? trainer.lossSum() : NaN;
        synchronize(dev);
        const seconds = (performance.now() - epochStart) / 1000;
        progress?.done();
        if (interrupted) {
          save({
            epochIndex: e - 1,
            stepInEpoch: steps,
            rngBefore,
            runningLoss: steps > 0 ? lossSum : 0,
            epochSeconds: seconds,
            epochs: [...epochs],
            elapsedSeconds: (performance.now() - clockStart) / 1000,
            timeToTargetSeconds: timeToTarget,
          });
          break;
        }
        const meanLoss = lossSum / steps;
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
          `  test accuracy ${(accuracy * 100).toFixed(2)}%, epoch ${seconds.toFixed(1)} s, ` +
            `eval ${evalSeconds.toFixed(1)} s, live tensors ${liveTensors()}`,
        );
        save({
          epochIndex: e,
          stepInEpoch: 0,
          rngBefore: rng.state(),
          runningLoss: 0,
          epochSeconds: 0,
          epochs: [...epochs],
          elapsedSeconds: (performance.now() - clockStart) / 1000,
          timeToTargetSeconds: timeToTarget,
        });
      }
      if (hooks.savePath && !interrupted) saveWeights(trainer.model, hooks.savePath);
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
      channelsLast: config.channelsLast ?? false,
      cudnnBenchmark: config.cudnnBenchmark ?? false,
      adam: trainerOptions.adam,
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
  return { run, interrupted, checkpoint: checkpointWritten };
}
