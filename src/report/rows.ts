/**
 * The table data every output of the report shares (the markdown of docs/results.md, the
 * README's headline, the terminal summary, the charts): how runs are named, how numbers are
 * written, which machine a run ran on, and whether its timings can be trusted. Pure.
 *
 * @module
 */
import {
  baselineNameOf,
  BASELINES,
  baselinesOf,
  type BenchResult,
  defaultAdam,
  type Env,
  type Implementation,
  type Noise,
  type Run,
} from "../result/mod.ts";
import { noiseVerdict } from "../stats/mod.ts";
import { DASH } from "./table.ts";

/** How reports name each stack (a baseline's: its default recipe's label). */
const STACK_NAMES: Record<Implementation, string> = {
  "deno-libtorch": "deno+libtorch",
  pytorch: BASELINES.pytorch.label,
  libtorch: BASELINES.libtorch.label,
};

/**
 * How comparisons name a run: a baseline by its recipe's label (e.g. `PyTorch bf16
 * autocast+CL`), ours and older runs by their stack.
 */
export function stackName(run: Pick<Run, "implementation" | "options">): string {
  const name = baselineNameOf(run); // null for ours (no recipe recorded) and older runs
  return name === null ? STACK_NAMES[run.implementation] : BASELINES[name].label;
}

/** The speed switches a run or configuration may turn on, as reports name them. */
const SWITCHES = [
  ["cudaGraphs", "CUDA graphs"],
  ["tf32", "TF32"],
  ["channelsLast", "channels-last"],
  ["cudnnBenchmark", "cuDNN benchmark"],
] as const;

/** The names of the switches that are on in `options`. */
export function switchesOn(options: Readonly<Record<string, unknown>>): string[] {
  return SWITCHES.filter(([key]) => options[key] === true).map(([, name]) => name);
}

/** Seconds with one decimal, or a dash for null. */
export function seconds(x: number | null): string {
  return x === null ? DASH : x.toFixed(1);
}

/** Milliseconds as shown in every table: two decimals, no unit. */
export function ms(x: number): string {
  return x.toFixed(2);
}

/** A fraction as a percentage with two decimals, or a dash for null. */
export function percent(fraction: number | null): string {
  return fraction === null ? DASH : `${(fraction * 100).toFixed(2)}%`;
}

/**
 * A run's name in tables and charts: its label plus the options that change the recipe (so that a
 * clipped run never passes for the seed's plain recipe), e.g. `deno+libtorch cpu fp32, TF32`.
 */
export function runName(run: Run): string {
  const o = run.options;
  const tags = switchesOn(o);
  if (typeof o.adam === "string" && o.adam !== defaultAdam(run.device)) tags.push(`Adam ${o.adam}`);
  if (o.clipGradNorm !== undefined && !run.label.includes("clip")) {
    tags.push(`clip-grad-norm ${o.clipGradNorm}`);
  }
  return [run.label, ...tags].join(", ");
}

/** {@linkcode runName}, marked when the run was interrupted. */
export function runLabel(run: Run): string {
  return run.complete ? runName(run) : `${runName(run)} (incomplete)`;
}

/**
 * Every run of a result, each baseline right after its run. This stack's runs are named with the
 * libtorch release they ran on (`deno+libtorch 2.6.0 cpu fp32`), as PyTorch's are with theirs.
 */
export function rowsOf(result: BenchResult): Run[] {
  const version = libtorchVersion(result.env.torch);
  return result.runs.flatMap((run) => {
    const named = withLibtorchVersion(run, version);
    return [named, ...baselinesOf(run)];
  });
}

/** The libtorch release of a result's environment, or null when it was not recorded. */
export function libtorchVersion(torch: Record<string, unknown>): string | null {
  const v = torch.libtorch ?? torch.version;
  return typeof v === "string" && v.length > 0 ? v : null;
}

function withLibtorchVersion(run: Run, version: string | null): Run {
  const prefix = `${STACK_NAMES["deno-libtorch"]} `;
  if (version === null || run.implementation !== "deno-libtorch") return run;
  if (!run.label.startsWith(prefix) || /^\d/.test(run.label.slice(prefix.length))) return run;
  return { ...run, label: `${prefix}${version} ${run.label.slice(prefix.length)}` };
}

/** `value` with every object's keys in sorted order, for stable JSON. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

/**
 * The machine a run ran on, as reports name it: the GPU for a CUDA run, else the CPU model and
 * its cores (host names are no use: every machine so far was called `vm`).
 */
export function machineOf(run: Pick<Run, "device" | "deviceName">, env: Env): string {
  return run.device === "cuda" ? run.deviceName : `${env.cpuModel}, ${env.cores} cores`;
}

/**
 * The GPUs a result's machine had, used or not: the recorded GPU, else those the libtorch build
 * listed (`env.torch.cudaDevices`), e.g. `["NVIDIA H200"]`; empty without one.
 */
export function gpusPresent(env: Env): string[] {
  if (env.gpu !== null) return [env.gpu.name];
  const listed = env.torch.cudaDevices;
  if (!Array.isArray(listed)) return [];
  return listed.flatMap((d) =>
    typeof d === "object" && d !== null && typeof d.name === "string" ? [d.name as string] : []
  );
}

/**
 * A run's noise verdict: the one it recorded (`run.noise`), else one judged from its recorded
 * step times and paired rounds (results written before the verdict was recorded).
 */
export function noiseOf(run: Run): Noise {
  return run.noise ??
    noiseVerdict({ stepMs: run.stepMs.samples, pairedRatios: run.paired?.ratios });
}

/** Whether a run of ours and the baselines measured beside it are stable, and why not. */
export function stabilityOf(run: Run): { stable: boolean; reasons: string[] } {
  const reasons = [run, ...baselinesOf(run)].flatMap((r) =>
    noiseOf(r).reasons.map((why) => `${stackName(r)}: ${why}`)
  );
  return { stable: reasons.length === 0, reasons };
}

/** Whether a run is the plain recipe: fp32 eager, no speed option, no clipping. */
export function isPlainRun(run: Run): boolean {
  const o = run.options;
  return run.precision === "fp32" && switchesOn(o).length === 0 && o.clipGradNorm === undefined &&
    (o.adam === undefined || o.adam === defaultAdam(run.device));
}

/**
 * Whether a result's speeds may be compared with others': false when Deno ran a variant that
 * changes them (V8 without its JIT), and such a result stays out of the headline and GPU summary.
 */
export function isComparable(result: BenchResult): boolean {
  return result.env.runtimeVariant?.comparable !== false;
}
