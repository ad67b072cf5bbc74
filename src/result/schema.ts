/**
 * The raw benchmark result that `deno task bench` writes to
 * `results/<date>-<host>-<devices>.json` and `deno task report` reads back, declared once with
 * zod: the TypeScript types are inferred from the schemas below and {@linkcode parseBenchResult}
 * validates with the same declaration.
 *
 * Why zod and not valibot: zod is the more widely kept of the two, infers the types from the
 * schema as valibot does, and exports JSON Schema without a companion package: the file's is
 * `z.toJSONSchema(benchResultSchema, { io: "input" })` (the input side: a NaN loss is null).
 *
 * Every time is in the unit its name says (`…Ms` milliseconds, `…Seconds` seconds); accuracies
 * are fractions in [0, 1]; memory is in bytes. Fields added after the first results were written
 * are optional, so every older file still parses.
 *
 * @module
 */

import { z } from "zod";

/** Version of the result file layout; bump it when a field changes meaning. */
export const SCHEMA_VERSION = 1;

const DEVICES = ["cpu", "cuda"] as const;

/** The values of the format's enumerations, for the command line and the reports. */
export const CHOICES = {
  /** The devices the benchmark can train on, in the order reports and file names list them. */
  device: DEVICES,
  /** `--device`: one device, or `all` for every device present. */
  deviceChoice: [...DEVICES, "all"],
  /** Which stack produced a run. */
  implementation: ["deno-libtorch", "pytorch", "libtorch"],
  /** `--adam`: Adam's kernels, `auto` for torch.optim.Adam's default on the device. */
  adam: ["auto", "single", "foreach", "fused"],
  /**
   * Numeric precision of the training step: fp32; bf16 autocast; bf16-pure (bf16 channels-last
   * weights and activations, fp32 loss, fp32 master weights and Adam state); bf16-hybrid (as
   * bf16-pure in the stages whose input is at least 4×4 pixels, fp32 channels-last after); auto
   * (each stage's dtype and layout chosen on the machine by timing them: see `stagePlan`).
   */
  precision: ["fp32", "bf16", "bf16-pure", "bf16-hybrid", "auto"],
  /**
   * What `--precision auto` may choose per stage: fp32 NCHW, fp32 channels-last, or bf16
   * channels-last (bf16 copies of fp32 masters, as bf16-pure).
   */
  stageCandidate: ["fp32", "fp32-cl", "bf16-cl"],
  /**
   * `--baseline`: the stacks and recipes that can run beside this one (pytorch: the seed's fp32
   * recipe; pytorch-bf16: bf16 autocast + channels-last; pytorch-bf16-pure: bf16 parameters and
   * activations in channels-last; pytorch-bf16-hybrid: as pure bf16 in the stages at 4×4 pixels or
   * more, fp32 after; pytorch-compile: the seed's fp32 recipe under torch.compile, torch 2.x
   * only; libtorch: the C++ worker; deno-fp32 and deno-bf16-hybrid: our own step in fp32, or
   * the fixed bf16 split, in a worker process of ours, to time another configuration of ours
   * against them), each declared in recipes.ts.
   */
  baseline: [
    "pytorch",
    "pytorch-bf16",
    "pytorch-bf16-pure",
    "pytorch-bf16-hybrid",
    "pytorch-compile",
    "libtorch",
    "deno-fp32",
    "deno-bf16-hybrid",
  ],
  /** `--inception-branches`: an Inception block's branches one after another, or concurrently. */
  inceptionBranches: ["sequential", "parallel"],
  /** `--malloc`: glibc malloc pinned (no mmap of blocks, no trimming) in every process, or as is. */
  malloc: ["pinned", "default"],
} as const;

/** What `--adam auto` means: torch.optim.Adam's default, a loop on the CPU, `foreach` on CUDA. */
export function defaultAdam(device: Device): "single" | "foreach" {
  return device === "cuda" ? "foreach" : "single";
}

const finite = z.number();
/** A training loss: NaN when training diverged (JSON writes NaN as null, read back as NaN). */
const loss = finite.nullable().transform((value) => value ?? NaN);
const timestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "an ISO 8601 timestamp");

const gpuInfoSchema = z.object({
  /** Marketing name, e.g. `"NVIDIA H100 80GB HBM3"`. */
  name: z.string(),
  /** Driver version, e.g. `"550.54.15"`. */
  driver: z.string(),
  /** CUDA runtime version libtorch was built with, e.g. `"12.4"`. */
  cudaVersion: z.string(),
  /** cuDNN version, e.g. `"90100"`. */
  cudnnVersion: z.string(),
});

const runtimeVariantSchema = z.object({
  /** The variant's name, e.g. `"no-pkeys"` (scripts/gpu-bench.sh's wrapper), or `"custom"`. */
  name: z.string(),
  /** `DENO_V8_FLAGS` as the process had it ("" for none). */
  v8Flags: z.string(),
  /** `LD_PRELOAD`'s libraries as the process had them. */
  preloads: z.array(z.string()),
  /** False when the variant changes the speed being measured (V8 without its JIT: `--jitless`). */
  comparable: z.boolean(),
});

/** What decides a CPU's training speed: its identity and the instruction sets that matter. */
const cpuInfoSchema = z.object({
  /** `vendor_id` of /proc/cpuinfo, e.g. `"GenuineIntel"`, `"AuthenticAMD"`. */
  vendor: z.string(),
  /** CPU family (`cpu family`), e.g. 6 for Intel's cores, 25 for AMD Zen 3/4. */
  family: finite,
  /** `model`, e.g. 106 for Ice Lake-SP. */
  model: finite,
  /**
   * The flags that decide the convolution kernels, present ones only, in this order: avx2,
   * avx512f, avx512_bf16, avx512_fp16, amx_tile, amx_bf16, amx_int8.
   */
  flags: z.array(z.string()),
  /** The ISA oneDNN dispatches to, e.g. `"avx512_core"` (its verbose output), or null if unknown. */
  onednnIsa: z.string().nullable(),
});

const envSchema = z.object({
  /** CPU model name from `/proc/cpuinfo`. */
  cpuModel: z.string(),
  /** Logical cores (`navigator.hardwareConcurrency`). */
  cores: finite,
  /** Total system memory in bytes. */
  memoryBytes: finite,
  /** e.g. `"Debian GNU/Linux 12 (bookworm), linux 6.1.0-18-amd64 x86_64"`. */
  os: z.string(),
  deno: z.string(),
  v8: z.string(),
  typescript: z.string(),
  hostname: z.string(),
  /** `git rev-parse HEAD`, or null outside a git checkout / without git. */
  gitCommit: z.string().nullable(),
  /** True when tracked files differ from `gitCommit`. */
  gitDirty: z.boolean(),
  /** Build facts reported by the libtorch shim; `version` is shown in reports. */
  torch: z.record(z.string(), z.unknown()),
  /** The GPU, or null when none was used or found. */
  gpu: gpuInfoSchema.nullable(),
  /**
   * How Deno itself was run when that differs from plain `deno`: V8 flags and preloaded libraries
   * (scripts/gpu-bench.sh's elimination). Absent: plain.
   */
  runtimeVariant: runtimeVariantSchema.optional(),
  /** The CPU's vendor, family, model and instruction sets (absent in older results). */
  cpu: cpuInfoSchema.optional(),
});

const benchConfigSchema = z.object({
  /** Device(s) to benchmark; `"all"` means every device present. */
  device: z.enum(CHOICES.deviceChoice),
  /** Evaluated epochs to train, or null for a timed window only. */
  epochs: finite.nullable(),
  /** Steps in the timed window, or null for whole epochs only. */
  steps: finite.nullable(),
  /** Untimed warm-up steps before the timed window. */
  warmup: finite,
  batchSize: finite,
  lr: finite,
  /** CPU threads for libtorch intra-op parallelism. */
  threads: finite,
  seed: finite,
  /** `"mnist"`, `"fashion-mnist"` or a path to a data directory. */
  data: z.string(),
  /** Test accuracy whose first crossing is reported as time to target. */
  targetAccuracy: finite,
  /**
   * The stacks also run with the same configuration, in order (older results: one name, read as
   * a list of it), or null.
   */
  baseline: z.union([z.enum(CHOICES.baseline), z.array(z.enum(CHOICES.baseline))]).nullable()
    .transform((b) => typeof b === "string" ? [b] : b),
  /** Paired rounds with a baseline (absent or null: as many as `steps` fills). */
  rounds: finite.nullable().optional(),
  /** Steps per side in each paired round (absent in older results). */
  windowSteps: finite.optional(),
  precision: z.enum(CHOICES.precision),
  /** Allow TF32 matmuls/convolutions on CUDA. */
  tf32: z.boolean(),
  /** Capture the CUDA training step in a CUDA graph. */
  cudaGraphs: z.boolean(),
  /** Conv weights and batches in channels_last (NHWC) layout (absent in older results: false). */
  channelsLast: z.boolean().optional(),
  /** cuDNN autotuning, torch.backends.cudnn.benchmark (absent in older results: false). */
  cudnnBenchmark: z.boolean().optional(),
  /** Adam's kernels; `auto` is torch.optim.Adam's default per device (absent: auto). */
  adam: z.enum(CHOICES.adam).optional(),
  /** Inception branches one after another or concurrently (absent in older results: sequential). */
  inceptionBranches: z.enum(CHOICES.inceptionBranches).optional(),
  /** Size of libtorch's inter-op pool, or null for libtorch's default (absent: default). */
  interopThreads: finite.nullable().optional(),
  /** glibc malloc's settings in every process of the run (absent in older results: default). */
  malloc: z.enum(CHOICES.malloc).optional(),
  /** Whether `--cpu-best` chose the CPU speed options (absent in older results: false). */
  cpuBest: z.boolean().optional(),
  /** Max gradient norm for clipping, or null for no clipping. */
  clipGradNorm: finite.nullable(),
  /** Deadline in seconds: stop at a step boundary once it passes (absent or null: none). */
  maxSeconds: finite.nullable().optional(),
  /** Directory the result file is written to. */
  out: z.string(),
  /** Extra path to write the result JSON to, or null. */
  json: z.string().nullable(),
  progress: z.boolean(),
  /** Where trained weights were written (.safetensors or .pt). */
  save: z.string().nullable().optional(),
  /** Weights the run started from. */
  load: z.string().nullable().optional(),
  /** The checkpoint this run resumed from. */
  resume: z.string().nullable().optional(),
  /** Where checkpoints were written (null: the --out directory). */
  checkpointDir: z.string().nullable().optional(),
  force: z.boolean().optional(),
  /** Data-parallel ranks (src/dist/) on this host (absent in older results: 1). */
  nproc: finite.optional(),
  /** Seconds a data-parallel rank waits for the others (absent in older results: 60). */
  distTimeout: finite.optional(),
  verbose: z.boolean().optional(),
  /** Steps of the step-time breakdown after the timed window (absent in older results; 0: off). */
  breakdownSteps: finite.optional(),
  /** Where libtorch's profiler trace of a window was written (absent or null: none). */
  profile: z.string().nullable().optional(),
});

const summarySchema = z.object({
  median: finite,
  mean: finite,
  /** Sample standard deviation (n − 1); 0 for fewer than two samples. */
  std: finite,
  p10: finite,
  p90: finite,
  q1: finite,
  q3: finite,
  min: finite,
  max: finite,
  count: finite,
  /** The samples, in measurement order. */
  samples: z.array(finite),
});

/** Where a step's time goes: see src/bench/measure/breakdown.ts, which measures it. */
const breakdownSchema = z.object({
  /** Steps measured (after the timed window, on a fresh model, none of them timed there). */
  steps: finite,
  /** Mean wall time of those steps, the device synchronised after each phase. */
  stepMs: finite,
  /**
   * Mean milliseconds per step in each phase: gather (the batch's index_select), forward (with
   * the loss), backward, optimizer (zeroing, clipping, Adam, the loss sum) and host (the rest of
   * the step: handle scopes, slicing, the TypeScript between the phases).
   */
  phasesMs: z.object({
    gather: finite,
    forward: finite,
    backward: finite,
    optimizer: finite,
    host: finite,
  }),
  /** The FFI layer: shim calls per step times the measured cost of one call. */
  ffi: z.object({
    /** Shim calls one training step makes. */
    callsPerStep: finite,
    /** Nanoseconds of one shim call (Tensor.numel: a pointer in, an int64 out, the error check). */
    callNs: finite,
    /** `callsPerStep × callNs`, in milliseconds. */
    msPerStep: finite,
  }),
});

/**
 * One evaluated epoch of a run (also what a baseline process writes per epoch).
 * @internal
 */
export const epochRecordSchema = z.object({
  /** 1-based. */
  epoch: finite,
  /** Mean training loss (NaN when training diverged; JSON writes NaN as null, read back as NaN). */
  loss,
  /** Training wall time of the epoch, excluding evaluation. */
  seconds: finite,
  /** Test accuracy after the epoch, or null when not evaluated. */
  testAccuracy: finite.nullable(),
  /** Wall time of the evaluation, or null when not evaluated. */
  evalSeconds: finite.nullable(),
  /**
   * Each step's loss in order, where they were read: on the CPU and whenever the epoch's steps
   * are timed (absent in older results and in untimed GPU epochs). NaN is written as null.
   */
  stepLosses: z.array(loss).optional(),
});

/**
 * A baseline's paired, interleaved measurement beside ours: rounds of one window of
 * `windowSteps` steps per side, back to back in ABBA order; each round's ratio is our window's
 * median step over the baseline's.
 */
const pairedSchema = z.object({
  rounds: finite,
  windowSteps: finite,
  /** Each round's ratio, ours over the baseline's (below 1: ours is faster). */
  ratios: z.array(finite),
  /** The median of the rounds' ratios. */
  ratioMedian: finite,
  /** Its 95% percentile-bootstrap interval. */
  ratioCI95: z.tuple([finite, finite]),
});

/**
 * A data-parallel run's facts (src/dist/, `--nproc N`); see src/bench/measure/scaling.ts, which measures
 * them. The run's `stepMs` and `imagesPerSecond` are rank 0's, with the global batch.
 */
const distributedSchema = z.object({
  worldSize: finite,
  /** The c10d collective backend. */
  backend: z.enum(["gloo", "nccl"]),
  /** CPU threads of each rank. */
  threadsPerRank: finite,
  /** Each rank's median timed step in milliseconds, rank 0 first (null: none timed). */
  perRankStepMedianMs: z.array(finite.nullable()),
  /**
   * The share of the step spent waiting on the gradients' all-reduce, the mean over the ranks
   * of Σ wait / Σ step over the timed steps, where a step's wait is the exposed part of its
   * all-reduce: from the launch of its last gradient bucket (backward's last gradient is ready)
   * to the completion of its last bucket all-reduce, 0 when the all-reduces had already
   * finished (the part that overlaps backward is not counted). Null without timed steps.
   */
  allreduceShare: finite.nullable(),
  /**
   * images/s of the N ranks over N × images/s of one rank alone at the same threads per rank
   * and the per-rank batch (`singleRank`), measured in the same invocation; null without it.
   */
  scalingEfficiency: finite.nullable(),
  /**
   * The one-rank reference: rank 0 trains a model of its own alone with the per-rank batch,
   * one step after each step of the ranks while the others wait (`schedule: "interleaved"`,
   * steps alternating), or in a window of its own after theirs (`"adjacent"`); null when none
   * was measured.
   */
  singleRank: z.object({
    /** Images per step (the global batch over the world size). */
    batchSize: finite,
    /** How its steps were placed beside the ranks' steps. */
    schedule: z.enum(["interleaved", "adjacent"]),
    /** Distribution of its timed step times in milliseconds. */
    stepMs: summarySchema,
    /** Its throughput: `batchSize × 1000 / stepMs.median`. */
    imagesPerSecond: finite,
  }).nullable(),
});

/**
 * A run's noise verdict (src/stats/noise.ts): whether its timings can be trusted, and the
 * measures it was judged on. Runs judged unstable are left out of the headline.
 */
const noiseSchema = z.object({
  stable: z.boolean(),
  /** One sentence per measure past its bound (empty when stable). */
  reasons: z.array(z.string()),
  /** The timed step times' interquartile range over their median. */
  stepIqrRel: finite,
  /** The paired rounds' ratios' interquartile range over their median; null when not paired. */
  roundSpreadRel: finite.nullable(),
  /** The host's 1-minute load average before the timed work; null when unknown. */
  loadBefore: finite.nullable(),
  /** The host's 1-minute load average after the timed work; null when unknown. */
  loadAfter: finite.nullable(),
});

const stageCandidate = z.enum(CHOICES.stageCandidate);

/**
 * The probe of `--precision auto`: each top-level stage's forward and backward timed in each
 * candidate, and the casts between them (src/train/probe.ts).
 */
const stageTimingsSchema = z.object({
  /** The candidates, in the order of the inner arrays. */
  candidates: z.array(stageCandidate),
  /** The stages' names, in forward order. */
  stages: z.array(z.string()),
  /**
   * Per stage, per candidate: the fastest repetition's milliseconds of a forward and backward
   * (with the per-step refresh of bf16 copies), or null where the candidate could not run or,
   * in the untimed first repetition, took over twice the stage's fp32 NCHW time.
   */
  stageMs: z.array(z.array(finite.nullable())),
  /**
   * Per stage, `[from][to]`: milliseconds to cast its input from one candidate's dtype and
   * layout to another's, forward and the gradient back, fastest repetition (stage 0: the fp32
   * NCHW batch, `from` 0).
   */
  castMs: z.array(z.array(z.array(finite))),
  /** Timed repetitions per measurement (after one untimed). */
  reps: finite,
});

/**
 * The per-stage plan of `--precision auto`, where it came from and what it was chosen from
 * (also the entries of the plan cache, src/bench/entry/stage_cache.ts).
 * @internal
 */
export const stagePlanSchema = z.object({
  /** `"probe"`: timed in this run, before its timed window; `"cache"`: an earlier run's. */
  source: z.enum(["probe", "cache"]),
  /** Seconds this run spent on the probe (0 from the cache). */
  probeSeconds: finite,
  /** What the cached plan is keyed by. */
  key: z.object({
    cpuModel: z.string(),
    libtorch: z.string(),
    batchSize: finite,
    threads: finite,
  }),
  /** Each top-level stage's candidate, in forward order. */
  stages: z.array(z.object({ name: z.string(), candidate: stageCandidate })),
  /** The plan's step time by the probe's figures (stages and casts, no optimizer). */
  predictedMs: finite,
  /** The same sum for fp32 NCHW throughout. */
  fp32PredictedMs: finite,
  timings: stageTimingsSchema,
  /**
   * The end-to-end check of the probe's plan (src/train/plan_check.ts): whole training steps of
   * it and of fp32 alternated; `candidates` is the plan checked, taken (then `stages`) only when
   * accepted, fp32 throughout otherwise. Absent when the probe's plan was fp32 throughout.
   */
  check: z.object({
    candidates: z.array(stageCandidate),
    /** Each round's ratio, the plan's step over fp32's. */
    ratios: z.array(finite),
    /** Their median. */
    ratio: finite,
    accepted: z.boolean(),
  }).optional(),
});

/** Why a run or result is incomplete ("SIGINT", "SIGTERM", "deadline: …"); absent or null: none. */
const stopReason = z.string().nullable().optional();

const runSchema = z.object({
  /** Human label, e.g. `"deno+libtorch cpu fp32"`. */
  label: z.string(),
  implementation: z.enum(CHOICES.implementation),
  device: z.enum(CHOICES.device),
  /** CPU model or GPU name. */
  deviceName: z.string(),
  threads: finite,
  precision: z.string(),
  /** Run-specific switches (tf32, cudaGraphs, …). */
  options: z.record(z.string(), z.union([z.boolean(), z.string(), finite])),
  /** Wall time of the very first training step (includes lazy init). */
  firstStepMs: finite,
  /** Wall time of each warm-up step. */
  warmupMs: z.array(finite),
  /** The timed window's step losses, warm-up steps first (absent without a window, and in older results). */
  stepLosses: z.array(loss).optional(),
  /** Distribution of the timed step times in milliseconds. */
  stepMs: summarySchema,
  /** Training throughput in the timed window. */
  imagesPerSecond: finite,
  /** One record per evaluated epoch. */
  epochs: z.array(epochRecordSchema),
  /** Training seconds until the test accuracy first reached the target, or null. */
  timeToTargetSeconds: finite.nullable(),
  /** The target used for `timeToTargetSeconds`. */
  targetAccuracy: finite,
  /** Peak device memory in bytes, or null when unknown. */
  peakMemoryBytes: finite.nullable(),
  /** Training FLOPs per image (see `trainingFlopsPerImage`). */
  flopsPerImage: finite,
  /** `flopsPerImage × imagesPerSecond`. */
  achievedFlops: finite,
  /** Test accuracy after the last epoch, or null when none was evaluated. */
  finalTestAccuracy: finite.nullable(),
  /** False when the run was interrupted. */
  complete: z.boolean(),
  /** Why the run is incomplete, e.g. `"SIGINT"` or `"deadline: …"` (absent in older results). */
  stopReason,
  /** Where our step's time goes (runs of ours with a timed window; absent otherwise). */
  breakdown: breakdownSchema.optional(),
  /**
   * The first `--baseline` run with the same configuration (e.g. PyTorch's), or null. A baseline
   * run measured paired with ours carries `paired`.
   */
  get baseline(): z.ZodNullable<typeof runSchema> {
    return runSchema.nullable();
  },
  /** The further `--baseline` runs, after the first (absent with one baseline or none). */
  get moreBaselines(): z.ZodOptional<z.ZodArray<typeof runSchema>> {
    return z.array(runSchema).optional();
  },
  /** On a baseline run: its paired measurement beside ours (absent when not paired). */
  paired: pairedSchema.optional(),
  /** A data-parallel run's ranks, all-reduce share and scaling (absent on one process). */
  distributed: distributedSchema.optional(),
  /** Whether the run's timings can be trusted (absent in older results). */
  noise: noiseSchema.optional(),
  /** `--precision auto`: the per-stage plan the run trained with (absent otherwise). */
  stagePlan: stagePlanSchema.optional(),
});

/**
 * One benchmark invocation: what ran, where, and what it measured.
 * @internal
 */
export const benchResultSchema = z.object({
  /** Layout version, always {@linkcode SCHEMA_VERSION}. */
  schema: z.literal(SCHEMA_VERSION),
  /** When the benchmark started, as an ISO 8601 timestamp. */
  createdAt: timestamp,
  /** False when the benchmark was interrupted and the file holds partial runs. */
  complete: z.boolean(),
  /** Why the benchmark stopped early, e.g. `"SIGTERM"` (absent in older results). */
  stopReason,
  /** The exact command line that produced the file. */
  command: z.string(),
  /** The machine and software the benchmark ran on. */
  env: envSchema,
  /** The parsed command-line configuration. */
  config: benchConfigSchema,
  /** One entry per device/precision measured. */
  runs: z.array(runSchema),
  /** Free-form remarks (warnings about spread, skipped devices, …). */
  notes: z.array(z.string()),
});
// The types, inferred from the schema: `typeof schema["_zod"]["output"]` is zod's `z.output`
// spelled with TypeScript alone, so that `deno doc --lint` sees no private type behind them.
/** One benchmark invocation: what ran, where, and what it measured. */
export type BenchResult = typeof benchResultSchema["_zod"]["output"];
/** The benchmark configuration, as parsed from the command line. */
export type BenchConfig = BenchResult["config"];
/** Facts about the machine and software stack. */
export type Env = BenchResult["env"];
/** How Deno was run, when not plainly (V8 flags, preloads). */
export type RuntimeVariant = NonNullable<Env["runtimeVariant"]>;
/** The GPU the CUDA runs used. */
export type GpuInfo = NonNullable<Env["gpu"]>;
/** One measured configuration on one device. */
export type Run = BenchResult["runs"][number];
/** Summary statistics of a sample, as computed by `summarize`. */
export type Summary = Run["stepMs"];
/** Measurements of one training epoch. */
export type EpochRecord = Run["epochs"][number];
/** Where a step's time goes: phases and the FFI layer's share. */
export type Breakdown = NonNullable<Run["breakdown"]>;
/** A device the benchmark can train on. */
export type Device = Run["device"];
/** Which stack produced a run. */
export type Implementation = Run["implementation"];
/** A data-parallel run's ranks, all-reduce share and scaling efficiency. */
export type Distributed = NonNullable<Run["distributed"]>;
/** A baseline's paired measurement beside ours. */
export type Paired = NonNullable<Run["paired"]>;
/** A run's noise verdict. */
export type Noise = NonNullable<Run["noise"]>;
/** A stack that can run beside ours (`--baseline`). */
export type BaselineName = (typeof CHOICES.baseline)[number];
/** Numeric precision of the training step. */
export type Precision = BenchConfig["precision"];
/** The CPU's identity and instruction sets, as a result's env records them. */
export type CpuInfo = NonNullable<Env["cpu"]>;
/** The per-stage plan of `--precision auto`. */
export type StagePlan = NonNullable<Run["stagePlan"]>;
/** What the probe of `--precision auto` measured. */
export type StageTimings = StagePlan["timings"];
/** A dtype and layout `--precision auto` may give a stage. */
export type StageCandidate = (typeof CHOICES.stageCandidate)[number];

/** Raised when a value does not match the result schema; the message names the field. */
export class SchemaError extends Error {
  /** Creates a schema error with a one-line message. */
  constructor(message: string) {
    super(message);
    this.name = "SchemaError";
  }
}

/**
 * Checks that a parsed JSON value is a {@linkcode BenchResult} of schema version
 * {@linkcode SCHEMA_VERSION} and returns a typed copy holding only the known fields. A `null`
 * epoch loss (how `JSON.stringify` writes NaN) is read back as NaN.
 *
 * @throws {SchemaError} Naming the first field that does not match, what was expected and what
 * was found, e.g. `runs[0].stepMs.median: expected a finite number, found "fast"`.
 *
 * @example Usage
 * ```ts ignore
 * import { parseBenchResult } from "./schema.ts";
 * const result = parseBenchResult(JSON.parse(await Deno.readTextFile("results/x.json")));
 * ```
 */
export function parseBenchResult(value: unknown): BenchResult {
  const parsed = benchResultSchema.safeParse(value, { reportInput: true });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue.path.length === 0 ? "result" : z.core.toDotPath(issue.path);
  const found = describe(issue.input);
  throw new SchemaError(`${where}: expected ${expected(issue)}, found ${found}`);
}

type Issue = z.core.$ZodIssue;

const TYPE_NAMES: Record<string, string> = {
  number: "a finite number",
  string: "a string",
  boolean: "a boolean",
  object: "an object",
  record: "an object",
  array: "an array",
};

/** What an issue's schema wanted, in words. */
function expected(issue: Issue): string {
  switch (issue.code) {
    case "invalid_type":
      return TYPE_NAMES[issue.expected] ?? issue.expected;
    case "invalid_value":
      return issue.values.length === 1
        ? JSON.stringify(issue.values[0])
        : `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "invalid_union": {
      const options = issue.errors.map((errors) => expected(errors[0]));
      return `${options.slice(0, -1).join(", ")} or ${options.at(-1)}`;
    }
    default:
      return issue.message;
  }
}

/** A found value in words: `"fast"`, `number 2`, `null`, `an object`, `no such field`. */
function describe(value: unknown): string {
  if (value === undefined) return "no such field";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") {
    return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
  }
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}
