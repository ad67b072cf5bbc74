/**
 * What a run will do, decided before it starts: from the configuration and the build's facts,
 * the stages (timed window, epochs), the trainer's options and the run's name.
 *
 * @module
 */
import { type BenchConfig, defaultAdam, type Device } from "../result/mod.ts";
import type { TrainerOptions } from "./train.ts";

/** Facts of the build and the machine a run needs beside the configuration. */
export interface BuildFacts {
  /** libtorch's release, e.g. `"2.6.0"` (it names the run). */
  libtorch: string;
  /** CPU model or GPU name of the device. */
  deviceName: string;
  /** Training FLOPs per image of the model. */
  flopsPerImage: number;
}

/** What one run on one device will do. */
export interface RunPlan {
  /** The configuration it follows. */
  config: BenchConfig;
  /** The device. */
  device: Device;
  /** The build facts. */
  facts: BuildFacts;
  /** The trainer of each stage. */
  trainer: TrainerOptions;
  /** Warm-up and timed steps of the timed window, or null when there is none. */
  window: { warmup: number; steps: number } | null;
  /** Evaluated epochs, or null when there are none. */
  epochs: number | null;
  /**
   * Whether every epoch step is timed on its own (synchronising the device). On CUDA, once a
   * timed window gives the step statistics, the host queues ahead and the epoch time is the
   * throughput.
   */
  timeEpochSteps: boolean;
}

/** The trainer's options of `config` on `device` (`--adam auto` resolved for the device). */
export function trainerOptions(config: BenchConfig, device: Device): TrainerOptions {
  return {
    lr: config.lr,
    seed: config.seed,
    clipGradNorm: config.clipGradNorm,
    precision: config.precision,
    channelsLast: config.channelsLast ?? false,
    adam: config.adam === undefined || config.adam === "auto" ? defaultAdam(device) : config.adam,
    graphs: config.cudaGraphs,
    batchSize: config.batchSize,
    inceptionBranches: config.inceptionBranches ?? "sequential",
  };
}

/** The plan of a run of `config` on `device`. */
export function planRun(config: BenchConfig, device: Device, facts: BuildFacts): RunPlan {
  return {
    config,
    device,
    facts,
    trainer: trainerOptions(config, device),
    window: config.steps === null ? null : { warmup: config.warmup, steps: config.steps },
    epochs: config.epochs,
    timeEpochSteps: device === "cpu" || config.steps === null,
  };
}
