/**
 * The speed options' sweep: one training step of the seed's GoogLeNet (batch 64) under each
 * combination of speed options that runs on this device, timed side by side in ONE process (so
 * the machine's state is the same for all), and the fastest named by its `deno task bench` flags:
 *
 *   deno run -A benches/step_bench.ts [--device cpu|cuda] [--steps N] [--warmup N]
 *     [--max-seconds S] [--match REGEX] [--json FILE]
 *
 * Each combination is declared once, as the bench flags that select it; they are parsed by the
 * bench's own parser, so a combination chosen here runs as is with `deno task bench`
 * (scripts/gpu-bench.sh does that, beside PyTorch). The JSON (see {@linkcode Sweep}) is
 * rewritten after every combination, so a sweep stopped by a timeout keeps what it measured;
 * `--max-seconds` stops it at a step boundary; `--match` keeps only the combinations whose flags
 * match a regular expression. Under `deno bench -A benches/` (deno task
 * microbench) the same combinations are `Deno.bench` cases instead.
 */
import { parseArgs } from "node:util";
import * as t from "../src/ffi/mod.ts";
import { batchRanges, loadDataset } from "../src/data/mod.ts";
import {
  type DeviceData,
  disposeDeviceData,
  torchDevice,
  Trainer,
  uploadDataset,
} from "../src/train/train.ts";
import { trainerOptions } from "../src/train/plan.ts";
import { applyMalloc } from "../src/bench/baselines/malloc.ts";
import { parseBenchArgs, parseCpuModel, speedOptionProblem } from "../src/bench/mod.ts";
import { autoStagePlan } from "../src/bench/entry/stage_cache.ts";
import type { BenchConfig, Device, StageCandidate, Summary } from "../src/result/mod.ts";
import { summarize } from "../src/stats/mod.ts";

/** Every combination, as its `deno task bench` flags; those that cannot run here are left out. */
const COMBINATIONS = [
  "--adam single",
  "--adam foreach",
  "--adam fused",
  "--channels-last",
  "--precision bf16",
  "--precision bf16 --channels-last",
  "--channels-last --adam foreach",
  "--precision bf16 --channels-last --adam foreach",
  "--precision bf16-pure",
  "--precision bf16-pure --adam foreach",
  "--precision bf16-hybrid",
  "--adam single --threads 1",
  "--precision bf16 --channels-last --threads 1",
  "--precision bf16-pure --adam foreach --threads 1",
  "--inception-branches parallel",
  "--inception-branches parallel --threads 1",
  "--precision bf16-pure --adam foreach --inception-branches parallel",
  "--precision bf16-pure --adam foreach --inception-branches parallel --threads 1",
  "--cpu-best",
  "--cuda-graphs --adam fused",
  "--cuda-graphs --adam fused --tf32",
  "--cuda-graphs --adam fused --precision bf16",
  "--cuda-graphs --adam fused --precision bf16 --channels-last",
  "--cuda-graphs --adam fused --precision bf16 --channels-last --cudnn-benchmark",
  "--cuda-graphs --adam fused --tf32 --channels-last --cudnn-benchmark",
];

/** One combination's timing. */
interface SweepEntry {
  /** Its `deno task bench` flags. */
  flags: string;
  /** Timed step durations in ms (synchronised), or null when it failed or was not reached. */
  stepMs: Summary | null;
  /** Why it has no timing, or null. */
  error: string | null;
}

/** What the sweep writes to `--json`. */
interface Sweep {
  createdAt: string;
  device: Device;
  libtorch: string;
  steps: number;
  warmup: number;
  /** Why the sweep stopped early (the deadline), or null. */
  stopReason: string | null;
  entries: SweepEntry[];
  /** The flags of the lowest median step among complete entries (the first wins a tie). */
  fastest: string | null;
}

/** A combination parsed by the bench's parser, when it runs on `device` with this libtorch. */
function runnable(flags: string, device: Device): BenchConfig | null {
  const config = parseBenchArgs([...flags.split(" "), "--device", device]);
  return speedOptionProblem(config, [device], t.buildInfo().libtorch) === null ? config : null;
}

/** A trainer of `config`'s combination, with its threads and backend flags set. */
function trainerFor(
  data: DeviceData,
  config: BenchConfig,
  device: Device,
  stagePlan: StageCandidate[] | null,
): Trainer {
  t.setNumThreads(config.threads);
  t.setBackendFlags({ cudnnBenchmark: config.cudnnBenchmark ?? false, allowTF32: config.tf32 });
  return new Trainer(data, { ...trainerOptions(config, device), stagePlan });
}

/**
 * `--precision auto`'s per-stage plan for `config` (`--cpu-best`), as the harness takes it: from
 * the cache, or probed now; null for any other precision.
 */
async function stagePlanOf(config: BenchConfig, device: Device): Promise<StageCandidate[] | null> {
  if (config.precision !== "auto" || device !== "cpu") return null;
  t.setNumThreads(config.threads);
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const plan = await autoStagePlan({
    cpuModel: parseCpuModel(cpuinfo) ?? "unknown",
    libtorch: t.buildInfo().libtorch,
    batchSize: config.batchSize,
    threads: config.threads,
  });
  return plan.stages.map((s) => s.candidate);
}

/** The first 100 batches of MNIST on the device: enough distinct steps for any window. */
async function stepData(device: Device): Promise<DeviceData> {
  const ds = await loadDataset("mnist");
  const count = 100 * 64;
  const train = {
    ...ds.train,
    count,
    images: ds.train.images.subarray(0, count * 784),
    labels: ds.train.labels.subarray(0, count),
  };
  return uploadDataset({ ...ds, train }, device);
}

/** Times `steps` synchronised steps after `warmup`, while `more()` allows. */
function timeSteps(
  trainer: Trainer,
  device: Device,
  options: { steps: number; warmup: number; more: () => boolean },
): number[] {
  const dev = torchDevice(device);
  using gen = new t.Generator(0);
  const order = trainer.epochOrder(gen);
  const ranges = batchRanges(100 * 64, 64);
  const ms: number[] = [];
  try {
    for (let i = 0; i < options.warmup + options.steps && options.more(); i++) {
      const t0 = performance.now();
      trainer.step(order, ranges[i % ranges.length]);
      t.synchronize(dev);
      if (i >= options.warmup) ms.push(performance.now() - t0);
    }
  } finally {
    order.dispose();
  }
  return ms;
}

/** The flags of the complete entry with the lowest median step, or null. */
function fastestFlags(entries: readonly SweepEntry[], steps: number): string | null {
  const complete = entries.filter((e) => e.stepMs !== null && e.stepMs.count === steps);
  complete.sort((a, b) => a.stepMs!.median - b.stepMs!.median);
  return complete[0]?.flags ?? null;
}

function sweepArgs(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      device: { type: "string", default: t.cudaDeviceCount() > 0 ? "cuda" : "cpu" },
      steps: { type: "string", default: "40" },
      warmup: { type: "string", default: "8" },
      "max-seconds": { type: "string" },
      match: { type: "string" },
      json: { type: "string" },
    },
  });
  const device = values.device;
  if (device !== "cpu" && device !== "cuda") {
    throw new Error(`--device: expected cpu or cuda, found "${device}"`);
  }
  const number = (flag: string, text: string | undefined) => {
    const n = Number(text);
    if (text === undefined || !Number.isInteger(n) || n < 1) {
      throw new Error(`--${flag}: expected an integer ≥ 1, found "${text}"`);
    }
    return n;
  };
  const maxSeconds = values["max-seconds"];
  return {
    device: device as Device,
    steps: number("steps", values.steps),
    warmup: number("warmup", values.warmup),
    deadline: maxSeconds === undefined ? Infinity : number("max-seconds", maxSeconds) * 1000,
    json: values.json ?? null,
    match: values.match === undefined ? null : new RegExp(values.match),
  };
}

/** Runs the sweep with the command line `args`, printing one line per combination. */
async function sweepMain(args: string[]): Promise<void> {
  const o = sweepArgs(args);
  const start = performance.now();
  const more = () => performance.now() - start < o.deadline;
  t.setNumThreads(navigator.hardwareConcurrency); // as the harness's --threads default
  applyMalloc(parseBenchArgs([]).malloc ?? "default"); // as the harness's --malloc default
  const data = await stepData(o.device);
  const sweep: Sweep = {
    createdAt: new Date().toISOString(),
    device: o.device,
    libtorch: t.buildInfo().libtorch,
    steps: o.steps,
    warmup: o.warmup,
    stopReason: null,
    entries: [],
    fastest: null,
  };
  for (const flags of COMBINATIONS.filter((f) => o.match === null || o.match.test(f))) {
    const config = runnable(flags, o.device);
    if (config === null) continue;
    if (!more()) {
      sweep.stopReason = `deadline: --max-seconds ${o.deadline / 1000} passed before "${flags}"`;
      break;
    }
    const stagePlan = await stagePlanOf(config, o.device);
    sweep.entries.push(timeCombination(data, config, { ...o, flags, more, stagePlan }));
    sweep.fastest = fastestFlags(sweep.entries, o.steps);
    if (o.json !== null) await Deno.writeTextFile(o.json, JSON.stringify(sweep, null, 2) + "\n");
  }
  disposeDeviceData(data);
  console.log(`fastest: ${sweep.fastest ?? "none complete"}`);
}

/** One combination's entry; a libtorch error becomes the entry's error, not the sweep's. */
function timeCombination(
  data: DeviceData,
  config: BenchConfig,
  o: {
    device: Device;
    steps: number;
    warmup: number;
    flags: string;
    more: () => boolean;
    stagePlan: StageCandidate[] | null;
  },
): SweepEntry {
  let trainer: Trainer | null = null;
  try {
    trainer = trainerFor(data, config, o.device, o.stagePlan);
    const ms = timeSteps(trainer, o.device, o);
    const stepMs = ms.length > 0 ? summarize(ms) : null;
    const median = stepMs === null ? "no step timed" : `median ${stepMs.median.toFixed(3)} ms`;
    console.log(`${o.flags}: ${median} (${ms.length} of ${o.steps} steps)`);
    return { flags: o.flags, stepMs, error: stepMs === null ? "no step timed" : null };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    console.log(`${o.flags}: failed: ${error}`);
    return { flags: o.flags, stepMs: null, error };
  } finally {
    trainer?.dispose();
  }
}

/** The same combinations as `Deno.bench` cases (deno task microbench). */
async function registerBenches(): Promise<void> {
  t.setNumThreads(navigator.hardwareConcurrency);
  applyMalloc(parseBenchArgs([]).malloc ?? "default");
  const device: Device = t.cudaDeviceCount() > 0 ? "cuda" : "cpu";
  const data = await stepData(device);
  const ranges = batchRanges(100 * 64, 64);
  const configs = COMBINATIONS.map((flags) => [flags, runnable(flags, device)] as const)
    .filter(([, config]) => config !== null);
  for (const [flags, config] of configs) {
    const stagePlan = await stagePlanOf(config!, device);
    let trainer: Trainer | null = null;
    let order: t.Tensor | null = null;
    let i = 0;
    Deno.bench(`train step (${device}): ${flags}`, {
      group: "step",
      baseline: flags === configs[0][0],
      n: 40,
      warmup: 8,
    }, () => {
      trainer ??= trainerFor(data, config!, device, stagePlan);
      order ??= trainer.epochOrder(new t.Generator(0)); // the finaliser frees it, as the trainer
      trainer.step(order, ranges[i++ % ranges.length]);
      t.synchronize(torchDevice(device));
    });
  }
}

if (import.meta.main) await sweepMain(Deno.args);
else await registerBenches();
