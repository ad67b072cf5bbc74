/**
 * The epochs: the seed's protocol on a fresh model, evaluated after each, or the rest of a
 * checkpointed run. One loop; the checkpoint after each epoch and on a stop, the interrupt and
 * the deadline ({@linkcode Stopper}) are its hooks.
 *
 * @module
 */
import { Generator, liveTensors, synchronize, type Tensor } from "../ffi/mod.ts";
import type { BatchRange } from "../data/mod.ts";
import {
  loadCheckpoint,
  orderState,
  recipeOf,
  restoreOrder,
  saveCheckpoint,
  type TrainingPosition,
} from "./checkpoint.ts";
import type { RunPlan } from "./plan.ts";
import type { Progress } from "./progress.ts";
import type { EpochRecord } from "../result/mod.ts";
import { showProgress, timeStep } from "./steps.ts";
import type { Stopper } from "./stop.ts";
import { type DeviceData, torchDevice, Trainer } from "./train.ts";

/** Hooks of {@linkcode trainEpochs}. */
export interface EpochHooks {
  /** Asked at every step boundary and before every epoch. */
  stop: Stopper;
  /** Live progress, or null. */
  progress: Progress | null;
  /** Receives the seed's per-epoch lines. */
  log: (line: string) => void;
  /** Checkpoint written after each epoch and on a stop (none when null). */
  checkpointPath: string | null;
  /** Checkpoint to continue from, or null. */
  resume: string | null;
  /** Weights to start from (.safetensors or .pt), or null. */
  loadWeights: string | null;
  /** Where the trained weights go after the last epoch, or null. */
  savePath: string | null;
}

/** What the epochs measured. */
export interface EpochsOutcome {
  /** The epochs finished (those of a resumed checkpoint first). */
  epochs: EpochRecord[];
  /** Each epoch step's time in milliseconds, when the plan times them. */
  stepMs: number[];
  /** Training seconds until the target accuracy, or null. */
  timeToTargetSeconds: number | null;
  /** The checkpoint last written, or null. */
  checkpoint: string | null;
}

/** Runs the plan's epochs (none when the plan has none). */
export function trainEpochs(plan: RunPlan, data: DeviceData, hooks: EpochHooks): EpochsOutcome {
  const none = { epochs: [], stepMs: [], timeToTargetSeconds: null, checkpoint: null };
  if (plan.epochs === null || hooks.stop.reason !== null) return none;
  const trainer = new Trainer(data, plan.trainer);
  // The data order's own generator, as pytorch_baseline.py's torch.Generator().manual_seed(seed).
  using order = new Generator(plan.config.seed);
  try {
    if (hooks.loadWeights) trainer.loadWeights(hooks.loadWeights);
    const start = startPosition(plan, { trainer, order, hooks });
    const loop = new EpochLoop(plan, { trainer, order, hooks, start, trainCount: data.trainCount });
    loop.run(plan.epochs);
    if (hooks.savePath && hooks.stop.reason === null) trainer.saveWeights(hooks.savePath);
    return loop.outcome();
  } finally {
    trainer.dispose();
  }
}

function startPosition(
  plan: RunPlan,
  { trainer, order, hooks }: { trainer: Trainer; order: Generator; hooks: EpochHooks },
): TrainingPosition {
  if (hooks.resume === null) {
    return { ...epochStart(0, order), epochs: [], elapsedSeconds: 0, timeToTargetSeconds: null };
  }
  const { position } = loadCheckpoint(hooks.resume, trainer, recipeOf(plan.config));
  hooks.log(
    `resumed from ${hooks.resume}: epoch ${position.epochIndex + 1}, step ${position.stepInEpoch}`,
  );
  return position;
}

/** Where the current epoch stands, the part of a {@linkcode TrainingPosition} it decides. */
type EpochPlace = Pick<
  TrainingPosition,
  "epochIndex" | "stepInEpoch" | "orderBefore" | "runningLoss" | "epochSeconds" | "stepLosses"
>;

/** The place before epoch `epochIndex` + 1's first step, the order at its state now. */
function epochStart(epochIndex: number, order: Generator): EpochPlace {
  const orderBefore = orderState(order);
  return {
    epochIndex,
    stepInEpoch: 0,
    orderBefore,
    runningLoss: 0,
    epochSeconds: 0,
    stepLosses: [],
  };
}

/** What an {@linkcode EpochLoop} drives. */
interface LoopParts {
  trainer: Trainer;
  /** The data order's generator, at the start position's state once the loop is made. */
  order: Generator;
  hooks: EpochHooks;
  /** Where training starts (a fresh run's start or a checkpoint's position). */
  start: TrainingPosition;
  /** Training images. */
  trainCount: number;
}

class EpochLoop {
  readonly #plan: RunPlan;
  readonly #trainer: Trainer;
  readonly #hooks: EpochHooks;
  readonly #start: TrainingPosition;
  readonly #order: Generator;
  readonly #ranges: BatchRange[];
  readonly #epochs: EpochRecord[];
  readonly #stepMs: number[] = [];
  /** The epoch in progress's step losses (read where the plan times the steps), else none. */
  #stepLosses: number[] = [];
  #timeToTarget: number | null;
  #checkpoint: string | null = null;
  /** Time-to-accuracy clock: starts before the first batch, carries over a resume. */
  #clockStart = 0;

  constructor(plan: RunPlan, parts: LoopParts) {
    const { trainer, hooks, start } = parts;
    this.#plan = plan;
    this.#trainer = trainer;
    this.#hooks = hooks;
    this.#start = start;
    this.#order = parts.order;
    restoreOrder(this.#order, start.orderBefore);
    this.#ranges = trainer.batchRanges();
    this.#epochs = [...start.epochs];
    this.#timeToTarget = start.timeToTargetSeconds;
  }

  run(epochs: number): void {
    synchronize(torchDevice(this.#plan.device));
    this.#clockStart = performance.now() - this.#start.elapsedSeconds * 1000;
    for (let e = this.#start.epochIndex + 1; e <= epochs; e++) {
      const resumed = e === this.#start.epochIndex + 1 && this.#start.stepInEpoch > 0;
      if (!resumed && this.#hooks.stop.beforeEpoch(e, this.#epochs.at(-1)?.seconds ?? null)) {
        return;
      }
      if (!this.#epoch(e, resumed ? this.#start : null)) return;
    }
  }

  outcome(): EpochsOutcome {
    return {
      epochs: this.#epochs,
      stepMs: this.#stepMs,
      timeToTargetSeconds: this.#timeToTarget,
      checkpoint: this.#checkpoint,
    };
  }

  /** Trains epoch `e` (from `resumed`'s step); false when the run stopped inside it. */
  #epoch(e: number, resumed: TrainingPosition | null): boolean {
    const orderBefore = orderState(this.#order);
    const startMs = performance.now() - (resumed?.epochSeconds ?? 0) * 1000;
    const order = this.#trainer.epochOrder(this.#order);
    // Losses are summed on the device: no host round trip per step.
    this.#trainer.resetLossSum(resumed?.runningLoss ?? 0);
    this.#stepLosses = [...(resumed?.stepLosses ?? [])];
    let steps: number;
    try {
      steps = this.#steps(e, order, { from: resumed?.stepInEpoch ?? 0, startMs });
    } finally {
      order.dispose();
    }
    const lossSum = steps > 0 ? this.#trainer.lossSum() : NaN;
    synchronize(torchDevice(this.#plan.device));
    const seconds = (performance.now() - startMs) / 1000;
    this.#hooks.progress?.done();
    if (this.#hooks.stop.reason !== null) {
      const runningLoss = steps > 0 ? lossSum : 0;
      this.#save({
        epochIndex: e - 1,
        stepInEpoch: steps,
        orderBefore,
        runningLoss,
        epochSeconds: seconds,
        stepLosses: this.#stepLosses,
      });
      return false;
    }
    this.#finish(e, lossSum / steps, seconds);
    return true;
  }

  /** The epoch's steps from step `from`; returns the steps done when it ended or stopped. */
  #steps(e: number, order: Tensor, at: { from: number; startMs: number }): number {
    const { device, config, timeEpochSteps } = this.#plan;
    let steps = at.from;
    for (const range of this.#ranges.slice(at.from)) {
      if (this.#hooks.stop.atStep(`epoch ${e} step ${steps}`)) break;
      if (timeEpochSteps) {
        this.#stepMs.push(timeStep(this.#trainer, { order, range, device }));
        this.#stepLosses.push(this.#trainer.lastLoss());
      } else this.#trainer.step(order, range);
      steps++;
      showProgress(this.#hooks.progress, this.#trainer, {
        label: "train",
        epoch: e,
        epochs: this.#plan.epochs ?? e,
        step: steps,
        steps: this.#ranges.length,
        startMs: at.startMs,
        batchSize: config.batchSize,
      });
    }
    return steps;
  }

  /** Evaluates epoch `e`, records it, logs the seed's lines and checkpoints. */
  #finish(e: number, meanLoss: number, seconds: number): void {
    const evalStart = performance.now();
    const accuracy = this.#trainer.evaluate();
    synchronize(torchDevice(this.#plan.device));
    const evalSeconds = (performance.now() - evalStart) / 1000;
    if (this.#timeToTarget === null && accuracy >= this.#plan.config.targetAccuracy) {
      this.#timeToTarget = (performance.now() - this.#clockStart) / 1000;
    }
    const stepLosses = this.#stepLosses.length > 0 ? { stepLosses: this.#stepLosses } : {};
    this.#epochs.push({
      epoch: e,
      loss: meanLoss,
      seconds,
      testAccuracy: accuracy,
      evalSeconds,
      ...stepLosses,
    });
    const log = this.#hooks.log;
    log(`Epoch [${e}/${this.#plan.epochs}], Loss: ${meanLoss.toFixed(4)}`);
    log(
      `  test accuracy ${(accuracy * 100).toFixed(2)}%, epoch ${seconds.toFixed(1)} s, ` +
        `eval ${evalSeconds.toFixed(1)} s, live tensors ${liveTensors()}`,
    );
    this.#save(epochStart(e, this.#order));
  }

  /** The one place a {@linkcode TrainingPosition} is made: `place` plus the run's totals. */
  #save(place: EpochPlace): void {
    const path = this.#hooks.checkpointPath;
    if (path === null) return;
    saveCheckpoint(path, this.#trainer, {
      recipe: recipeOf(this.#plan.config),
      position: {
        ...place,
        epochs: [...this.#epochs],
        elapsedSeconds: (performance.now() - this.#clockStart) / 1000,
        timeToTargetSeconds: this.#timeToTarget,
      },
    });
    this.#checkpoint = path;
  }
}
