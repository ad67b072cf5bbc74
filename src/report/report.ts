/**
 * docs/results.md's sections, one per result: a function of the results alone (never of the
 * date), so that regenerating them makes no spurious diff. The headline is headline.ts's, the
 * terminal summary terminal.ts's, the charts charts.ts's; the table data they share is rows.ts's.
 *
 * @module
 */

import {
  baselinesOf,
  type BenchResult,
  type Breakdown,
  devicesOf,
  type EpochRecord,
  type Paired,
  type Run,
} from "../result/mod.ts";
import { formatRatio, median, medianCI, noisyRatioNote } from "../stats/mod.ts";
import { formatLoss } from "../train/mod.ts";
import { LOSS_PARTING, lossAgreement } from "./agreement.ts";
import { pairedVerdictOf, verdictLines } from "./verdicts.ts";
import { distributedLines } from "./dist_report.ts";
import { DASH, table } from "./table.ts";
import {
  gpusPresent,
  libtorchVersion,
  ms,
  noiseOf,
  percent,
  rowsOf,
  runLabel,
  seconds,
  sortKeys,
  stabilityOf,
  stackName,
  switchesOn,
} from "./rows.ts";

export { ms, percent, rowsOf, runName, sortKeys, stackName, switchesOn } from "./rows.ts";

const GIB = 1024 ** 3;

function imagesPerSecond(run: Run): string {
  return Math.round(run.imagesPerSecond).toString();
}

function timeToTarget(run: Run): string {
  if (run.timeToTargetSeconds !== null) return seconds(run.timeToTargetSeconds);
  return run.epochs.some((e) => e.testAccuracy !== null) ? "not reached" : "not evaluated";
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

/** The GPU line: the one the runs used, else those present and unused, else none. */
function gpuLine(result: BenchResult): string {
  const g = result.env.gpu;
  if (g !== null) {
    return `${g.name} (driver ${g.driver}, CUDA ${g.cudaVersion}, cuDNN ${g.cudnnVersion})`;
  }
  const present = gpusPresent(result.env);
  return present.length === 0
    ? "none"
    : `${present.join(", ")} (present, listed by the libtorch build; not used by these runs)`;
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
  const commit = e.gitCommit === null
    ? "unknown"
    : `\`${e.gitCommit.slice(0, 12)}\`${e.gitDirty ? " (dirty)" : ""}`;
  return [
    `- **CPU:** ${e.cpuModel} (${e.cores} cores, ${(e.memoryBytes / GIB).toFixed(1)} GiB RAM)` +
    (e.cpu === undefined ? "" : `; ${cpuIsaLine(e.cpu)}`),
    `- **GPU:** ${gpuLine(result)}`,
    `- **OS:** ${e.os}`,
    `- **Software:** libtorch ${
      libtorchVersion(e.torch) ?? "unknown"
    }, Deno ${e.deno}, V8 ${e.v8}, ` +
    `TypeScript ${e.typescript}`,
    `- **Commit:** ${commit}`,
    `- **Config:** ${configLine(result)}`,
    ...runtimeVariantLines(e.runtimeVariant),
  ];
}

/** The Deno runtime variant's line, when Deno was not run plainly; none when it was. */
function runtimeVariantLines(v: BenchResult["env"]["runtimeVariant"]): string[] {
  if (v === undefined) return [];
  const flags = v.v8Flags === "" ? "no V8 flags" : `V8 flags \`${v.v8Flags}\``;
  const preloads = v.preloads.length === 0 ? "no preloads" : `preloads ${v.preloads.join(", ")}`;
  const comparable = v.comparable ? "" : " — **not comparable** (kept out of the headline)";
  return [`- **Deno run as:** ${v.name}: ${flags}, ${preloads}${comparable}`];
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

/** Two medians side by side, never turned into a ratio: they were not measured paired. */
function unpaired(a: Run, b: Run): string {
  return `median step ${ms(a.stepMs.median)} ms vs ${ms(b.stepMs.median)} ms (separate ` +
    "windows, not paired: no ratio is drawn from them)";
}

function comparisonLines(result: BenchResult): string[] {
  const rows = rowsOf(result);
  const kind = (r: Run) => `${stackName(r)}/${r.precision}`;
  const pairs = new Map<string, [Run, Run]>();
  for (const cuda of rows.filter((r) => r.device === "cuda")) {
    const cpu = rows.find((r) => r.device === "cpu" && kind(r) === kind(cuda));
    if (cpu && !pairs.has(kind(cuda))) pairs.set(kind(cuda), [cuda, cpu]);
  }
  return [
    ...[...pairs.values()].map(([cuda, cpu]) =>
      `- CUDA and CPU (${stackName(cuda)}, ${cuda.precision}): CUDA ${unpaired(cuda, cpu)}`
    ),
    ...result.runs.flatMap((run) =>
      baselinesOf(run).map((base) =>
        base.paired
          ? pairedLine(run, base, base.paired)
          : `- ${stackName(run)} and ${stackName(base)} on ${run.device} (${run.precision}): ` +
            unpaired(run, base)
      )
    ),
    ...result.runs.flatMap(verdictLines),
  ];
}

/** A median step with its 95% bootstrap interval, e.g. `121.22 ms [118.40, 124.06]`. */
function medianWithCI(samples: readonly number[]): string {
  const { median, ci } = medianCI(samples);
  return `${ms(median)} ms [${ms(ci[0])}, ${ms(ci[1])}]`;
}

/**
 * A paired baseline's line: the verdict ({@linkcode pairedVerdictOf}), the ratio [95% CI], each
 * side's median [95% CI], noisy or not.
 */
function pairedLine(run: Run, base: Run, p: Paired): string {
  const note = noisyRatioNote(p.ratioMedian, p.ratioCI95);
  const [a, b] = [stackName(run), stackName(base)];
  return `- ${a} against ${b} on ${run.device} (${run.precision}), paired over ${p.rounds} ` +
    `rounds of ${p.windowSteps} steps (ABBA): ${pairedVerdictOf(p)}; ` +
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

/** What a result's configuration changes from the plain recipe, for its heading. */
function optionsSummary(result: BenchResult): string {
  const c = result.config;
  const parts: string[] = [c.precision, ...switchesOn(c)];
  if (c.adam !== undefined && c.adam !== "auto") parts.push(`Adam ${c.adam}`);
  if (c.clipGradNorm !== null) parts.push(`clip ${c.clipGradNorm}`);
  if ((c.nproc ?? 1) > 1) parts.push(`${c.nproc} ranks`);
  if (c.epochs !== null) parts.push(`${c.epochs} epoch${c.epochs === 1 ? "" : "s"}`);
  else if (c.steps !== null) parts.push(`${c.steps} steps`);
  if (c.baseline !== null && c.baseline.length > 0) parts.push(`vs ${c.baseline.join(", ")}`);
  return parts.join(", ");
}

/**
 * The heading of a result's section, so that no two differ only in their host name: `<UTC date
 * and time> · <devices> · <CPU model, cores> · libtorch <release> · <options>`, e.g.
 * `2026-11-29 21:40:26 · cpu · AMD EPYC, 2 cores · libtorch 1.13.0 · fp32, 100 steps, vs pytorch`.
 */
export function resultTitle(result: BenchResult): string {
  const time = Date.parse(result.createdAt);
  const when = Number.isNaN(time)
    ? result.createdAt
    : new Date(time).toISOString().slice(0, 19).replace("T", " ");
  const e = result.env;
  return [
    when,
    devicesOf(result).join(", "),
    `${e.cpuModel}, ${e.cores} cores`,
    `libtorch ${libtorchVersion(e.torch) ?? "unknown"}`,
    optionsSummary(result),
  ].join(" · ");
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

/** The warning of a result whose runs were judged unstable (none when all are stable). */
function stabilityLines(result: BenchResult): string[] {
  const reasons = result.runs.flatMap((run) => stabilityOf(run).reasons);
  if (reasons.length === 0) return [];
  return [
    "> **Unstable:** left out of the headline; its timings measure the host as much as the " +
    "code:",
    ...reasons.map((r) => `> - ${r}`),
    "",
  ];
}

/** The header of a result's section: its heading, file, warnings, machine and command. */
function headerLines(result: BenchResult, source: string | null): string[] {
  const lines = [`## ${resultTitle(result)}`, ""];
  if (source !== null) lines.push(`File: [${source.split("/").at(-1)}](${source})`, "");
  if (!result.complete) {
    lines.push(
      "> **Incomplete:** the benchmark was interrupted; only the measurements it finished " +
        "are shown.",
      "",
    );
  }
  lines.push(...stabilityLines(result));
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
  return lines;
}

function renderResult(result: BenchResult, source: string | null): string[] {
  const lines = headerLines(result, source);
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
    ...runs.flatMap((run) => noiseOf(run).reasons.map((why) => `${runLabel(run)}: ${why}`)),
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
 * headed by {@linkcode resultTitle}, with its file (`sources[i]`, a link, when given), a warning
 * when its runs were judged unstable, the machine (GPUs present listed even when unused),
 * software and command, a table with one row per run (each baseline on its own row; `Relative` =
 * median step over the fastest median; `Epoch [s]` = the median epoch), the comparisons (paired
 * ones as {@linkcode pairedVerdictOf} words them; unpaired medians side by side, never as a
 * ratio), notes (each run's noise verdict) and a per-epoch table.
 */
export function renderMarkdown(
  results: readonly BenchResult[],
  sources: readonly string[] = [],
): string {
  if (results.length === 0) return "No results yet.\n";
  const lines = results.flatMap((r, i) => renderResult(r, sources[i] ?? null));
  return lines.join("\n").replace(/\n+$/, "") + "\n";
}
