/**
 * Markdown reports of benchmark results.
 *
 * The output depends only on the results given (never on the current date),
 * so it can be regenerated without spurious diffs and tested exactly.
 *
 * @module
 */

import type { BenchResult, Breakdown, Implementation, Run } from "./schema.ts";
import { median, spreadWarning } from "./stats.ts";
import { defaultAdam } from "./options.ts";
import { devicesOf } from "./write.ts";

const DASH = "–";
const GIB = 1024 ** 3;

/** How reports name each stack. */
const STACK_NAMES: Record<Implementation, string> = {
  "deno-libtorch": "deno+libtorch",
  pytorch: "PyTorch",
};

/** The speed switches a run or configuration may turn on, as reports name them. */
const SWITCHES = [
  ["cudaGraphs", "CUDA graphs"],
  ["tf32", "TF32"],
  ["channelsLast", "channels-last"],
  ["cudnnBenchmark", "cuDNN benchmark"],
] as const;

/** The names of the switches that are on in `options`. */
function switchesOn(options: Partial<Record<(typeof SWITCHES)[number][0], unknown>>): string[] {
  return SWITCHES.filter(([key]) => options[key] === true).map(([, name]) => name);
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function row(cells: readonly string[]): string {
  return `| ${cells.map(cell).join(" | ")} |`;
}

/** A Markdown table: the first `textColumns` columns left-aligned, the rest right-aligned. */
function table(columns: readonly string[], rows: string[][], textColumns = 1): string[] {
  const align = `|${":---|".repeat(textColumns)}${"---:|".repeat(columns.length - textColumns)}`;
  return [row(columns), align, ...rows.map(row)];
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

function formatLoss(loss: number): string {
  if (!Number.isFinite(loss)) return String(loss);
  return Math.abs(loss) >= 100 ? loss.toFixed(1) : loss.toPrecision(4);
}

function implementationName(run: Run): string {
  return STACK_NAMES[run.implementation];
}

/**
 * A run's name in tables and charts: its label plus the options that change the recipe (so that a
 * clipped run never passes for the seed's plain recipe).
 *
 * @param run The run.
 * @returns E.g. `deno+libtorch cpu fp32, clip-grad-norm 1`.
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
 * Every run of a result with each baseline right after the run it belongs to. This stack's runs
 * are named with the libtorch release they ran on (`deno+libtorch 2.6.0 cpu fp32`), as PyTorch's
 * runs are with theirs, so that runs on different releases never share a name.
 *
 * @param result A result.
 * @returns Its runs and their PyTorch baselines.
 */
export function rowsOf(result: BenchResult): Run[] {
  const version = libtorchVersion(result.env.torch);
  return result.runs.flatMap((run) => {
    const named = withLibtorchVersion(run, version);
    return run.baseline ? [named, run.baseline] : [named];
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

function timeToTarget(run: Run): string {
  if (run.timeToTargetSeconds !== null) return seconds(run.timeToTargetSeconds);
  return run.epochs.some((e) => e.testAccuracy !== null) ? "not reached" : "not evaluated";
}

/**
 * How `subjectMs` compares with `referenceMs`, as `"2.50× faster"` or `"2.00× slower"`.
 *
 * @param subjectMs The time being described.
 * @param referenceMs The time it is compared with.
 * @returns The ratio phrase.
 */
export function speed(subjectMs: number, referenceMs: number): string {
  const ratio = referenceMs / subjectMs;
  return ratio >= 1 ? `${ratio.toFixed(2)}× faster` : `${(1 / ratio).toFixed(2)}× slower`;
}

function sortKeys(value: unknown): unknown {
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
  return parts.join(", ");
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
    `- **CPU:** ${e.cpuModel} (${e.cores} cores, ${(e.memoryBytes / GIB).toFixed(1)} GiB RAM)`,
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

const RUN_COLUMNS = [
  "Run",
  "Step median [ms]",
  "Mean ± σ [ms]",
  "p10 … p90 [ms]",
  "Images/s",
  "Epoch [s]",
  "Test acc.",
  "Time to target [s]",
  "Relative",
];

function runTable(runs: readonly Run[]): string[] {
  const fastest = Math.min(...runs.map((r) => r.stepMs.median));
  return table(
    RUN_COLUMNS,
    runs.map((run) => {
      const s = run.stepMs;
      return [
        runLabel(run),
        ms(s.median),
        `${ms(s.mean)} ± ${ms(s.std)}`,
        `${ms(s.p10)} … ${ms(s.p90)}`,
        Math.round(run.imagesPerSecond).toString(),
        run.epochs.length === 0 ? DASH : seconds(median(run.epochs.map((e) => e.seconds))),
        percent(run.finalTestAccuracy),
        timeToTarget(run),
        (s.median / fastest).toFixed(2),
      ];
    }),
  );
}

/** How `run`'s median step compares with `reference`'s, with both medians. */
function versus(run: Run, reference: Run): string {
  const [a, b] = [run.stepMs.median, reference.stepMs.median];
  return `${speed(a, b)} per step (median ${ms(a)} ms vs ${ms(b)} ms)`;
}

function comparisonLines(result: BenchResult): string[] {
  const lines: string[] = [];
  const rows = rowsOf(result);
  const seen = new Set<string>();
  for (const cuda of rows) {
    if (cuda.device !== "cuda") continue;
    const key = `${cuda.implementation}/${cuda.precision}`;
    if (seen.has(key)) continue;
    const cpu = rows.find((r) =>
      r.device === "cpu" && r.implementation === cuda.implementation &&
      r.precision === cuda.precision
    );
    if (!cpu) continue;
    seen.add(key);
    lines.push(
      `- CUDA vs CPU (${implementationName(cuda)}, ${cuda.precision}): CUDA is ${
        versus(cuda, cpu)
      }`,
    );
  }
  for (const run of result.runs) {
    const base = run.baseline;
    if (!base) continue;
    lines.push(
      `- ${implementationName(run)} vs ${implementationName(base)} on ${run.device} ` +
        `(${run.precision}): ${implementationName(run)} is ${versus(run, base)}`,
    );
  }
  return lines;
}

const EPOCH_COLUMNS = ["Run", "Epoch", "Loss", "Train [s]", "Test acc.", "Eval [s]"];

function epochTable(runs: readonly Run[]): string[] {
  return table(
    EPOCH_COLUMNS,
    runs.flatMap((run) =>
      run.epochs.map((e) => [
        runLabel(run),
        String(e.epoch),
        formatLoss(e.loss),
        seconds(e.seconds),
        percent(e.testAccuracy),
        seconds(e.evalSeconds),
      ])
    ),
  );
}

/**
 * The heading of a result's section: `<UTC date> · <host> · <devices>`.
 *
 * @param result The result.
 * @returns E.g. `"2025-01-31 · gpu-box · cpu, cuda"`.
 */
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
 * Renders results as Markdown: for each result a section with date, host,
 * CPU, GPU, software versions and the command line, then a table in
 * hyperfine's layout (labels left-aligned, numbers right-aligned, one row per
 * run with each PyTorch baseline on its own row, `Relative` = median step
 * time over the fastest median), CUDA-vs-CPU and deno-vs-PyTorch speed lines,
 * notes (including timing-spread warnings), and a per-epoch table.
 *
 * `Epoch [s]` is the median training time of the run's epochs; `Time to
 * target` reads "not reached" when epochs were evaluated but the target was
 * never met, and "not evaluated" when no epoch was evaluated.
 *
 * @param results The results, rendered in the given order.
 * @returns Markdown ending in one newline.
 */
export function renderMarkdown(results: readonly BenchResult[]): string {
  if (results.length === 0) return "No results yet.\n";
  const lines = results.flatMap(renderResult);
  return lines.join("\n").replace(/\n+$/, "") + "\n";
}

const HEADLINE_COLUMNS = [
  "Run",
  "Hardware",
  "Step median [ms]",
  "Images/s",
  "Epochs",
  "Final test acc.",
  "Time to target [s]",
];

/**
 * A short table for the README: one row per run kind (name and hardware),
 * taken from the result with the most epochs that has it (the full protocol
 * before short windows), the newest among equals, baselines included.
 *
 * @param results The results, in any order.
 * @returns A Markdown table ending in one newline, or a sentence when there
 * are no runs.
 */
export function renderHeadline(results: readonly BenchResult[]): string {
  // One row per run name and hardware: the full protocol (most epochs) first, then the newest.
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
  const rows = [...picked.values()].map((run) => [
    runLabel(run),
    run.device === "cpu" ? `${run.deviceName}, ${run.threads} threads` : run.deviceName,
    ms(run.stepMs.median),
    Math.round(run.imagesPerSecond).toString(),
    run.epochs.length > 0 ? String(run.epochs.length) : DASH,
    percent(run.finalTestAccuracy),
    timeToTarget(run),
  ]);
  return table(HEADLINE_COLUMNS, rows, 2).join("\n") + "\n";
}
