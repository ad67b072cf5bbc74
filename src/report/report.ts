/**
 * Markdown reports of benchmark results: a function of the results alone (never of the date), so
 * that regenerating them makes no spurious diff.
 *
 * @module
 */

import type {
  BenchResult,
  Breakdown,
  EpochRecord,
  Implementation,
  Paired,
  Run,
} from "../result/schema.ts";
import { formatRatio, median, medianCI, noisyRatioNote, spreadWarning } from "../stats/stats.ts";
import { defaultAdam } from "../result/schema.ts";
import { devicesOf } from "../result/write.ts";
import { formatLoss } from "../train/progress.ts";
import { LOSS_PARTING, lossAgreement } from "./agreement.ts";
import { baselineNameOf, BASELINES, baselinesOf } from "../result/recipes.ts";
import { verdictLines } from "./verdicts.ts";
import { distributedLines } from "./dist_report.ts";
import { type Column, DASH, table } from "./table.ts";

const GIB = 1024 ** 3;

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
  const name = run.implementation === "deno-libtorch" ? null : baselineNameOf(run);
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
function seconds(x: number | null): string {
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

function runLabel(run: Run): string {
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
function libtorchVersion(torch: Record<string, unknown>): string | null {
  const v = torch.libtorch ?? torch.version;
  return typeof v === "string" && v.length > 0 ? v : null;
}

function withLibtorchVersion(run: Run, version: string | null): Run {
  const prefix = `${STACK_NAMES["deno-libtorch"]} `;
  if (version === null || run.implementation !== "deno-libtorch") return run;
  if (!run.label.startsWith(prefix) || /^\d/.test(run.label.slice(prefix.length))) return run;
  return { ...run, label: `${prefix}${version} ${run.label.slice(prefix.length)}` };
}

function imagesPerSecond(run: Run): string {
  return Math.round(run.imagesPerSecond).toString();
}

function timeToTarget(run: Run): string {
  if (run.timeToTargetSeconds !== null) return seconds(run.timeToTargetSeconds);
  return run.epochs.some((e) => e.testAccuracy !== null) ? "not reached" : "not evaluated";
}

/** How `subjectMs` compares with `referenceMs`: `"2.50× faster"` or `"2.00× slower"`. */
export function speed(subjectMs: number, referenceMs: number): string {
  const ratio = referenceMs / subjectMs;
  return ratio >= 1 ? `${ratio.toFixed(2)}× faster` : `${(1 / ratio).toFixed(2)}× slower`;
}

/** `value` with every object's keys in sorted order, for stable JSON. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

function configLine(result: BenchResult): string {
  const c = result.config;
  const parts = [`batch ${c.batchSize}`, `lr ${c.lr}`, `${c.warmup} warm-up steps`];
  if (c.steps !== null) parts.push(`${c.steps} timed steps`);
  if (c.epochs !== null) parts.push(`${c.epochs} epoch${c.epochs === 1 ? "" : "s"}`);
  parts.push(`seed ${c.seed}`, `data ${c.data}`, c.precision, `${c.threads} threads`);
  parts.push(`target ${(c.targetAccuracy * 100).toFixed(1)}%`);
  parts.push(...switchesOn(c));
  if (c.adam !== undefined && c.adam !== "auto") parts.push(`Adam ${c.adam}`);
  if (c.clipGradNorm !== null) parts.push(`clip grad norm ${c.clipGradNorm}`);
  if (c.malloc !== undefined) parts.push(`glibc malloc ${c.malloc}`);
  return parts.join(", ");
}

/** What decides the CPU's speed, e.g. `family 6 model 106, avx2 avx512f, oneDNN avx512_core`. */
function cpuIsaLine(cpu: NonNullable<BenchResult["env"]["cpu"]>): string {
  const flags = cpu.flags.length === 0 ? "none of avx2/avx512/amx" : cpu.flags.join(" ");
  return `${cpu.vendor} family ${cpu.family} model ${cpu.model}, ${flags}, oneDNN ${
    cpu.onednnIsa ?? "unknown"
  }`;
}

function environmentLines(result: BenchResult): string[] {
  const e = result.env;
  const gpu = e.gpu === null
    ? "none"
    : `${e.gpu.name} (driver ${e.gpu.driver}, CUDA ${e.gpu.cudaVersion}, cuDNN ${e.gpu.cudnnVersion})`;
  const commit = e.gitCommit === null
    ? "unknown"
    : `\`${e.gitCommit.slice(0, 12)}\`${e.gitDirty ? " (dirty)" : ""}`;
  return [
    `- **CPU:** ${e.cpuModel} (${e.cores} cores, ${(e.memoryBytes / GIB).toFixed(1)} GiB RAM)` +
    (e.cpu === undefined ? "" : `; ${cpuIsaLine(e.cpu)}`),
    `- **GPU:** ${gpu}`,
    `- **OS:** ${e.os}`,
    `- **Software:** libtorch ${
      libtorchVersion(e.torch) ?? "unknown"
    }, Deno ${e.deno}, V8 ${e.v8}, ` +
    `TypeScript ${e.typescript}`,
    `- **Commit:** ${commit}`,
    `- **Config:** ${configLine(result)}`,
  ];
}

function runTable(runs: readonly Run[]): string[] {
  const fastest = Math.min(...runs.map((r) => r.stepMs.median));
  return table<Run>([
    ["Run", runLabel],
    ["Step median [ms]", (r) => ms(r.stepMs.median)],
    ["Mean ± σ [ms]", ({ stepMs: s }) => `${ms(s.mean)} ± ${ms(s.std)}`],
    ["p10 … p90 [ms]", ({ stepMs: s }) => `${ms(s.p10)} … ${ms(s.p90)}`],
    ["Images/s", imagesPerSecond],
    [
      "Epoch [s]",
      (r) => r.epochs.length === 0 ? DASH : seconds(median(r.epochs.map((e) => e.seconds))),
    ],
    ["Test acc.", (r) => percent(r.finalTestAccuracy)],
    ["Time to target [s]", timeToTarget],
    ["Relative", (r) => (r.stepMs.median / fastest).toFixed(2)],
  ], runs);
}

/** How `run`'s median step compares with `reference`'s, with both medians. */
function versus(run: Pick<Run, "stepMs">, reference: Run): string {
  const [a, b] = [run.stepMs.median, reference.stepMs.median];
  return `${speed(a, b)} per step (median ${ms(a)} ms vs ${ms(b)} ms)`;
}

function comparisonLines(result: BenchResult): string[] {
  const rows = rowsOf(result);
  const kind = (r: Run) => `${r.implementation}/${r.precision}`;
  const pairs = new Map<string, [Run, Run]>();
  for (const cuda of rows.filter((r) => r.device === "cuda")) {
    const cpu = rows.find((r) => r.device === "cpu" && kind(r) === kind(cuda));
    if (cpu && !pairs.has(kind(cuda))) pairs.set(kind(cuda), [cuda, cpu]);
  }
  return [
    ...[...pairs.values()].map(([cuda, cpu]) =>
      `- CUDA vs CPU (${stackName(cuda)}, ${cuda.precision}): CUDA is ${versus(cuda, cpu)}`
    ),
    ...result.runs.flatMap((run) =>
      baselinesOf(run).flatMap((base) => [
        `- ${stackName(run)} vs ${stackName(base)} on ${run.device} (${run.precision}): ${
          stackName(run)
        } is ${versus(run, base)}`,
        ...(base.paired ? [pairedLine(run, base, base.paired)] : []),
      ])
    ),
    ...result.runs.flatMap(verdictLines),
  ];
}

/** A median step with its 95% bootstrap interval, e.g. `121.22 ms [118.40, 124.06]`. */
function medianWithCI(samples: readonly number[]): string {
  const { median, ci } = medianCI(samples);
  return `${ms(median)} ms [${ms(ci[0])}, ${ms(ci[1])}]`;
}

/** The paired measurement's line: ratio [95% CI], each side's median [95% CI], noisy or not. */
function pairedLine(run: Run, base: Run, p: Paired): string {
  const note = noisyRatioNote(p.ratioMedian, p.ratioCI95);
  const [a, b] = [stackName(run), stackName(base)];
  return `  - paired over ${p.rounds} rounds of ${p.windowSteps} steps (ABBA): ` +
    `${a}/${b} ratio ${formatRatio(p)} (95% CI); ` +
    `median step ${medianWithCI(run.stepMs.samples)} vs ${medianWithCI(base.stepMs.samples)}` +
    (note === null ? "" : `; ${note}`);
}

/** A loss difference, e.g. `0` or `3.6e-7`. */
function lossDiff(x: number): string {
  return x === 0 ? "0" : x.toExponential(1);
}

/** Per run and baseline: their per-step loss agreement (none for older results). */
function agreementLines(result: BenchResult): string[] {
  const lines: string[] = [];
  for (const [run, base] of result.runs.flatMap((r) => baselinesOf(r).map((b) => [r, b]))) {
    const a = lossAgreement(run, base);
    if (a === null) continue;
    const parts = [
      ...(a.window ? [`window ${lossDiff(a.window.maxAbsDiff)} (${a.window.steps} steps)`] : []),
      ...a.epochs.map((e) => `epoch ${e.epoch} ${lossDiff(e.maxAbsDiff)}`),
    ];
    const p = a.firstParting;
    const parting = p === null
      ? `no step parts by more than ${LOSS_PARTING}`
      : `first step apart by more than ${LOSS_PARTING}: ${
        p.stage === "window" ? "window" : `epoch ${p.stage}`
      } step ${p.step} (${p.ours.toPrecision(6)} vs ${p.baseline.toPrecision(6)})`;
    lines.push(
      `- ${runLabel(run)} vs ${stackName(base)}, largest per-step loss ` +
        `difference: ${parts.join(", ")}; ${parting}`,
    );
  }
  return lines.length > 0 ? ["### Loss agreement with the baseline", "", ...lines, ""] : [];
}

function epochTable(runs: readonly Run[]): string[] {
  return table<[Run, EpochRecord]>([
    ["Run", ([run]) => runLabel(run)],
    ["Epoch", ([, e]) => String(e.epoch)],
    ["Loss", ([, e]) => formatLoss(e.loss)],
    ["Train [s]", ([, e]) => seconds(e.seconds)],
    ["Test acc.", ([, e]) => percent(e.testAccuracy)],
    ["Eval [s]", ([, e]) => seconds(e.evalSeconds)],
  ], runs.flatMap((run) => run.epochs.map((e): [Run, EpochRecord] => [run, e])));
}

/** The heading of a result's section: `<UTC date> · <host> · <devices>`. */
export function resultTitle(result: BenchResult): string {
  const time = Date.parse(result.createdAt);
  const date = Number.isNaN(time) ? result.createdAt : new Date(time).toISOString().slice(0, 10);
  return `${date} · ${result.env.hostname} · ${devicesOf(result).join(", ")}`;
}

/** A run's step breakdown as markdown: one table row per phase, then the FFI estimate. */
export function breakdownLines(b: Breakdown): string[] {
  const pct = (ms: number) => `${((100 * ms) / b.stepMs).toFixed(1)}%`;
  const rows = Object.entries(b.phasesMs).map(
    ([phase, ms]) => `| ${phase} | ${ms.toFixed(2)} | ${pct(ms)} |`,
  );
  return [
    `Where the step's time goes (${b.steps} steps after the timed window, the device ` +
    `synchronised after each phase; mean step ${b.stepMs.toFixed(2)} ms):`,
    "",
    "| phase | ms/step | share |",
    "|---|---:|---:|",
    ...rows,
    "",
    `FFI: ${b.ffi.callsPerStep} shim calls per step × ${b.ffi.callNs.toFixed(0)} ns per call = ` +
    `${b.ffi.msPerStep.toFixed(3)} ms per step (${pct(b.ffi.msPerStep)} of the step).`,
  ];
}

function renderResult(result: BenchResult): string[] {
  const lines = [`## ${resultTitle(result)}`, ""];
  if (!result.complete) {
    lines.push(
      "> **Incomplete:** the benchmark was interrupted; only the measurements it finished " +
        "are shown.",
      "",
    );
  }
  lines.push(...environmentLines(result), "", "```sh", result.command, "```", "");
  if (Object.keys(result.env.torch).length > 0) {
    lines.push(
      "<details><summary>libtorch build</summary>",
      "",
      "```json",
      JSON.stringify(sortKeys(result.env.torch), null, 2),
      "```",
      "",
      "</details>",
      "",
    );
  }
  const runs = rowsOf(result);
  if (runs.length === 0) {
    lines.push("No runs were recorded.", "");
    return lines;
  }
  lines.push(...runTable(runs), "");
  const comparisons = comparisonLines(result);
  if (comparisons.length > 0) lines.push(...comparisons, "");
  lines.push(...agreementLines(result));
  lines.push(...distributedLines(runs, runLabel));
  const notes = [
    ...result.notes,
    ...runs.flatMap((run) => {
      const warning = spreadWarning(run.stepMs);
      return warning === null ? [] : [`${runLabel(run)}: ${warning}`];
    }),
  ];
  if (notes.length > 0) lines.push("Notes:", "", ...notes.map((n) => `- ${n}`), "");
  for (const run of runs.filter((r) => r.breakdown !== undefined)) {
    lines.push(`### Step breakdown: ${runLabel(run)}`, "", ...breakdownLines(run.breakdown!), "");
  }
  if (runs.some((run) => run.epochs.length > 0)) {
    lines.push("### Per epoch", "", ...epochTable(runs), "");
  }
  return lines;
}

/**
 * Renders results as Markdown, in the given order, in hyperfine's layout: per result a section
 * with the machine, software and command, a table with one row per run (each PyTorch baseline on
 * its own row; `Relative` = median step over the fastest median; `Epoch [s]` = the median epoch),
 * the speed comparisons, notes (timing-spread warnings included) and a per-epoch table.
 */
export function renderMarkdown(results: readonly BenchResult[]): string {
  if (results.length === 0) return "No results yet.\n";
  const lines = results.flatMap(renderResult);
  return lines.join("\n").replace(/\n+$/, "") + "\n";
}

/**
 * The README's table: one row per run name and hardware, from the result with the most epochs
 * that has it (the full protocol before short windows), the newest among equals.
 */
export function renderHeadline(results: readonly BenchResult[]): string {
  const epochsOf = (r: BenchResult) => Math.max(0, ...r.runs.map((run) => run.epochs.length));
  const ordered = [...results].sort((a, b) =>
    epochsOf(b) - epochsOf(a) || b.createdAt.localeCompare(a.createdAt)
  );
  const picked = new Map<string, Run>();
  for (const result of ordered) {
    for (const run of rowsOf(result)) {
      const key = `${runName(run)}\u0000${run.deviceName}`;
      if (!picked.has(key)) picked.set(key, run);
    }
  }
  if (picked.size === 0) return "No results yet.\n";
  // The paired ratio's column appears once a picked baseline was measured paired with ours.
  const paired = [...picked.values()].some((run) => run.paired !== undefined);
  return table<Run>(
    [
      ["Run", runLabel],
      [
        "Hardware",
        (r) => r.device === "cpu" ? `${r.deviceName}, ${r.threads} threads` : r.deviceName,
      ],
      ["Step median [ms]", (r) => ms(r.stepMs.median)],
      ["Images/s", imagesPerSecond],
      ["Epochs", (r) => r.epochs.length > 0 ? String(r.epochs.length) : DASH],
      ["Final test acc.", (r) => percent(r.finalTestAccuracy)],
      ["Time to target [s]", timeToTarget],
      ...(paired ? [PAIRED_COLUMN] : []),
    ],
    [...picked.values()],
    2,
  ).join("\n") + "\n";
}

/** The headline's column of a paired baseline's ratio: ours over it, with its interval. */
const PAIRED_COLUMN: Column<Run> = [
  "Ours/this, paired: ratio [95% CI]",
  (r) => r.paired ? formatRatio(r.paired) : DASH,
];
