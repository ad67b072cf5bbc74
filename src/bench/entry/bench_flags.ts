/**
 * The one table of `deno task bench`'s flags (src/cli/flags.ts derives the parser, the defaults,
 * `--help` and the error messages from it) and the default profile. The choices of the enum flags
 * come from the result schema's enums.
 *
 * @module
 */

import { type BaselineName, type BenchConfig, CHOICES } from "../../result/mod.ts";
import { DEFAULT_WINDOW_STEPS } from "../measure/mod.ts";
import { CPU_BEST } from "./options.ts";
import {
  choice,
  decimal,
  type FlagTable,
  type FlagValue,
  integer,
  list,
  text,
} from "../../cli/mod.ts";

/** Options for {@linkcode parseBenchArgs} and {@linkcode usage}. */
export interface ParseBenchArgsOptions {
  /** Cores of the machine, the default for `--threads`. Default `navigator.hardwareConcurrency`. */
  cores?: number;
}

/**
 * Default timed window when neither `--epochs` nor `--steps` is given: with the default
 * {@linkcode DEFAULT_WINDOW_STEPS}, 10 paired rounds beside a baseline, enough for a bootstrap
 * interval of their median ratio, and 200 steps in all (about 20 s on 2 cores).
 */
export const DEFAULT_STEPS = 100;
/** Default evaluated epochs when neither `--epochs` nor `--steps` is given. */
export const DEFAULT_EPOCHS = 1;

const positive = decimal("a finite number > 0", (x) => x > 0);
const weights = text("PATH", {
  pattern: /\.(safetensors|pt)$/,
  expected: "a path ending in .safetensors or .pt",
});
/** `--baseline`: a list of baseline names, or `none`. */
const baselineList: FlagValue<BaselineName[] | null> = {
  // The names are listed in the help: all of them on the flag's line pass 100 columns.
  value: "NAME[,NAME...]|none",
  expected: `none or ${list(CHOICES.baseline).expected}`,
  read: (raw) => raw.trim() === "none" ? null : list(CHOICES.baseline).read(raw),
};
/** The default profile, as `--help` words it. */
export const PROFILE =
  `a ${DEFAULT_STEPS}-step timed window, then ${DEFAULT_EPOCHS} evaluated epoch`;

/** Every flag of `deno task bench`, in the order `--help` lists them. */
export const BENCH_FLAGS: FlagTable<Required<BenchConfig>, Required<ParseBenchArgsOptions>> = {
  device: {
    ...choice(CHOICES.deviceChoice),
    default: "all",
    help: "devices to benchmark; all = every device present",
  },
  epochs: { ...integer(1), default: null, shown: PROFILE, help: "train N evaluated epochs" },
  steps: {
    ...integer(1),
    default: null,
    shown: `${DEFAULT_STEPS} before the evaluated epoch, see --epochs`,
    help: "time a window of N training steps instead of whole epochs",
  },
  warmup: { ...integer(0), default: 5, help: "untimed warm-up steps before timing" },
  batchSize: { ...integer(1), default: 64, help: "images per step" },
  lr: { ...positive, default: 1e-3, help: "learning rate" },
  threads: {
    ...integer(1, 1024),
    default: ({ cores }) => Math.min(Math.max(1, cores), 1024),
    shown: ({ cores }) => `the machine's cores, ${cores} here`,
    help: "CPU threads, 1..1024",
  },
  seed: { ...integer(0), default: 0, help: "random seed" },
  data: {
    ...text("mnist|fashion-mnist|PATH"),
    default: "mnist",
    help: "data set name or data directory",
  },
  targetAccuracy: {
    ...decimal("a number in (0, 1]", (x) => x > 0 && x <= 1),
    default: 0.97,
    help: "test accuracy for time to target, in (0, 1]",
  },
  baseline: {
    ...baselineList,
    default: null,
    shown: "pytorch when /usr/bin/python3 (or TORCH_PYTHON) imports torch and a timed window " +
      "runs on one process, else none",
    help: "also run the same configuration in PyTorch and/or the libtorch C++ worker; the " +
      "timed window is then measured paired with each (see --rounds); none: no baseline; " +
      `NAME: ${CHOICES.baseline.join(", ")}`,
  },
  rounds: {
    ...integer(1),
    default: null,
    shown: "--steps / --window-steps, rounded up",
    help: "with --baseline: rounds of one window per side, back to back in ABBA order",
  },
  windowSteps: {
    ...integer(1),
    default: DEFAULT_WINDOW_STEPS,
    help: "with --baseline: steps per side in each paired round",
  },
  precision: {
    ...choice(CHOICES.precision),
    default: "fp32",
    help: "fp32; bf16: forward and loss under bf16 autocast; bf16-pure: bf16 channels-last " +
      "weights and activations, the loss in fp32, fp32 master weights and Adam state; " +
      "bf16-hybrid: bf16-pure in the stages at 4x4 pixels or more, fp32 channels-last after; " +
      "auto (CPU): each stage in fp32, fp32 channels-last or bf16 channels-last, as a probe of " +
      "the stages on this machine finds fastest, casts counted (cached per CPU, libtorch, batch " +
      "and threads)",
  },
  tf32: { default: false, help: "allow TF32 for CUDA matmuls and convolutions" },
  cudaGraphs: {
    default: false,
    help: "capture the whole CUDA training step in a CUDA graph after a few eager steps and " +
      "replay it per batch",
  },
  channelsLast: { default: false, help: "NHWC layout for conv weights and batches" },
  cudnnBenchmark: {
    default: false,
    help: "let cuDNN time its algorithms and keep the fastest",
  },
  adam: {
    ...choice(CHOICES.adam),
    default: "auto",
    help: "Adam's kernels; auto = torch.optim.Adam's default: single on the CPU, foreach on CUDA",
  },
  inceptionBranches: {
    ...choice(CHOICES.inceptionBranches),
    default: "sequential",
    help: "an Inception block's four branches one after another, or concurrently on libtorch's " +
      "inter-op pool (one native call per block)",
  },
  malloc: {
    ...choice(CHOICES.malloc),
    default: "pinned",
    help: "glibc malloc in every process of the run (ours and the baselines'): pinned = blocks " +
      "never mmapped and the heap never trimmed, so that a process's page faults per step do not " +
      "depend on its history (src/bench/baselines/malloc.ts); default = glibc's moving thresholds",
  },
  interopThreads: {
    ...integer(1, 1024),
    default: null,
    shown: "libtorch's default",
    help: "size of libtorch's inter-op pool (runs the parallel Inception branches)",
  },
  cpuBest: {
    default: false,
    help: `the fastest CPU options measured (benches/step_bench.ts): ${CPU_BEST}; flags given ` +
      "beside it win",
  },
  clipGradNorm: { ...positive, default: null, help: "clip gradients to norm X > 0" },
  maxSeconds: {
    ...positive,
    value: "S",
    default: null,
    help: "deadline for each run (ours on each device, and PyTorch's beside it): stop at a " +
      "step boundary once S seconds have passed, and skip an epoch the last one says won't fit",
  },
  breakdownSteps: {
    ...integer(0),
    default: 10,
    help: "after the timed window, N more steps (at most the window's) synchronised after each " +
      "phase: where the step's time goes (gather, forward, backward, optimizer, host; FFI " +
      "calls × their cost); 0: off",
  },
  profile: {
    ...text("FILE"),
    default: null,
    help: "write libtorch's profiler trace of one more window (after the timed one; the " +
      "breakdown's steps, at least 1) as " +
      "chrome://tracing JSON",
  },
  out: { ...text("DIR"), default: "results", help: "directory for the result file" },
  json: { ...text("FILE"), default: null, help: "also write the result JSON to FILE" },
  progress: {
    name: "no-progress",
    default: true,
    shown: "progress on",
    help: "no progress bar or progress lines",
  },
  save: {
    ...weights,
    default: null,
    help: "write the trained weights (.safetensors or .pt, state_dict names)",
  },
  load: { ...weights, default: null, help: "start from these weights (.safetensors or .pt)" },
  resume: {
    ...text("FILE"),
    default: null,
    help: "continue an interrupted run from its checkpoint",
  },
  checkpointDir: {
    ...text("DIR"),
    default: null,
    shown: "the --out directory",
    help: "where checkpoints go at each epoch end and on interrupt",
  },
  force: { default: false, help: "overwrite existing --save/--json files" },
  nproc: {
    ...integer(1, 1024),
    default: 1,
    help: "data-parallel ranks on this host (one process each, --threads split between them, " +
      "--batch-size the global batch; the timed window also times rank 0 alone, step by step, " +
      "for the scaling efficiency; --baseline pytorch runs PyTorch DDP beside); torchrun's " +
      "RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT, when set, make this process one rank instead",
  },
  distTimeout: {
    ...positive,
    value: "S",
    default: 60,
    help: "seconds a rank waits for the others (rendezvous and each collective) before it fails",
  },
  verbose: { default: false, help: "stack traces for errors" },
};
