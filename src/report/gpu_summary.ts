/**
 * The GPU comparisons the seed is about, drawn across result files (see
 * {@linkcode renderGpuSummary}).
 *
 * @module
 */
import { isComparable, isPlainRun, ms as twoDecimals, percent, rowsOf, runName } from "./rows.ts";
import { pairedVerdictOf } from "./verdicts.ts";
import { DASH, table } from "./table.ts";
import { baselineNameOf, type BenchResult, type Run } from "../result/mod.ts";

/** A run with the result it came from. */
interface Located {
  run: Run;
  result: BenchResult;
}

/** Epochs of the seed's protocol: the runs trained this long are compared on time and accuracy. */
const FULL_EPOCHS = 10;

export { isPlainRun } from "./rows.ts";

const ms = (x: number) => `${twoDecimals(x)} ms`;
/**
 * How two runs' steps compare: the paired verdict when `reference` was measured paired with
 * `run`, else their medians side by side (never turned into a ratio).
 */
const versus = (run: Run, reference: Run) =>
  reference.paired
    ? `${pairedVerdictOf(reference.paired)} (paired).`
    : `median ${ms(run.stepMs.median)} against ${ms(reference.stepMs.median)} (not paired: ` +
      "no ratio is drawn).";
const when = (x: Located) => x.result.createdAt.slice(0, 16).replace("T", " ");
const trainingSeconds = (run: Run) => run.epochs.reduce((sum, e) => sum + e.seconds, 0);
const ours = (list: Located[]) =>
  list.filter((x) => x.run.implementation === "deno-libtorch" && baselineNameOf(x.run) === null);
const newest = (list: Located[]): Located | undefined =>
  [...list].sort((a, b) => b.result.createdAt.localeCompare(a.result.createdAt))[0];
const fastest = (list: Located[]): Located | undefined =>
  [...list].sort((a, b) => a.run.stepMs.median - b.run.stepMs.median)[0];

/** The newest PyTorch run of each kind on the GPU: plain fp32, and with TF32 (its conv default). */
function pytorchRuns(group: Located[]): Located[] {
  const pytorch = group.filter((x) => x.run.implementation === "pytorch");
  return [...Map.groupBy(pytorch, (x) => runName(x.run)).values()].map((list) => newest(list)!);
}

/**
 * The goal ratio's line: of this stack's CUDA runs that have PyTorch beside them in the same
 * invocation (`--baseline pytorch`), the fastest, against that PyTorch run.
 */
function goalLine(group: Located[]): string[] {
  const paired = ours(group).filter((x) => x.run.baseline?.complete === true);
  const best = fastest(paired);
  if (best === undefined) return [];
  const b = best.run.stepMs.median, p = best.run.baseline!.stepMs.median;
  return [
    `- Goal ratio, in one invocation (${when(best)}): ${runName(best.run)}, median ${ms(b)}, ` +
    `against ${runName(best.run.baseline!)}, median ${ms(p)}: ` +
    versus(best.run, best.run.baseline!),
  ];
}

/** The fastest CUDA step against each PyTorch run, this stack's eager step and the CPU's. */
function comparisonLines(best: Located, group: Located[], all: Located[]): string[] {
  const host = best.result.env.hostname;
  const lines: string[] = [];
  const pytorch = pytorchRuns(group);
  for (const x of pytorch) {
    const p = x.run.stepMs.median;
    const together = x.result === best.result ? "in the same invocation" : "separate invocations";
    const paired = x.run === best.run.baseline ? x.run : { ...x.run, paired: undefined };
    lines.push(
      `- Against PyTorch eager on the same GPU (${runName(x.run)}, median ${ms(p)}, ` +
        `${when(x)}; ${together}): ${versus(best.run, paired)}`,
    );
  }
  const eager = fastest(ours(group).filter((x) => isPlainRun(x.run)));
  if (eager !== undefined && eager !== best) {
    lines.push(
      `- Against this stack's fp32 eager step on the same GPU (median ` +
        `${ms(eager.run.stepMs.median)}, ${when(eager)}): ${versus(best.run, eager.run)}`,
    );
  }
  const sideBySide = pytorch.find((x) => x.result === eager?.result);
  if (eager !== undefined && sideBySide !== undefined) {
    lines.push(
      `- fp32 eager against PyTorch eager (${runName(sideBySide.run)}), side by side in one ` +
        `invocation: ${versus(eager.run, sideBySide.run)}`,
    );
  }
  const cpu = newest(
    ours(all).filter((x) =>
      x.run.device === "cpu" && x.result.env.hostname === host && isPlainRun(x.run)
    ),
  );
  if (cpu !== undefined) {
    lines.push(
      `- Against this stack on the CPU of the same machine (${cpu.run.deviceName}, ` +
        `${cpu.run.threads} threads, median ${ms(cpu.run.stepMs.median)}, ${when(cpu)}): ` +
        `the fastest CUDA step's ${versus(best.run, cpu.run)}`,
    );
  }
  return lines;
}

/** The table of the GPU's runs of the seed's 10 epochs (none: no lines). */
function epochsTable(group: Located[]): string[] {
  const full = group.filter((x) => x.run.epochs.length >= FULL_EPOCHS)
    .sort((x, y) => trainingSeconds(x.run) - trainingSeconds(y.run));
  if (full.length === 0) return [];
  const reference = ours(full).find((x) => isPlainRun(x.run))?.run.finalTestAccuracy ?? null;
  return [
    "",
    `${FULL_EPOCHS} epochs on this GPU (training time is the sum of the epochs' wall times, ` +
    "evaluation excluded):",
    "",
    ...table<Run>([
      ["Run", runName],
      ["Training [s]", (r) => trainingSeconds(r).toFixed(1)],
      ["Final test acc.", (r) => percent(r.finalTestAccuracy)],
      [
        "vs fp32 eager [pp]",
        ({ finalTestAccuracy: a }) =>
          reference === null || a === null ? DASH : ((a - reference) * 100).toFixed(2),
      ],
    ], full.map((x) => x.run)),
  ];
}

/**
 * Markdown lines comparing each GPU's complete runs across results, per GPU and host: the goal
 * ratio (this stack's fastest CUDA step against PyTorch eager measured in the same invocation),
 * then the fastest CUDA step against every PyTorch run on that GPU, this stack's fp32 eager step
 * and its CPU step on the same machine (ratios between invocations labelled so), then the 10-epoch
 * runs' training time and accuracy. Empty when no result has a complete CUDA run of this stack.
 * Results Deno ran under a variant that is not comparable (`--jitless`) are left out.
 */
export function renderGpuSummary(results: readonly BenchResult[]): string[] {
  const all: Located[] = results.filter(isComparable).flatMap((result) =>
    rowsOf(result).filter((run) => run.complete).map((run) => ({ run, result }))
  );
  const gpus = Map.groupBy(
    all.filter((x) => x.run.device === "cuda"),
    (x) => `${x.run.deviceName}\u0000${x.result.env.hostname}`,
  );
  const lines: string[] = [];
  for (const [key, group] of gpus) {
    const best = fastest(ours(group));
    if (best === undefined) continue;
    const [gpu, host] = key.split("\u0000");
    lines.push(
      `### ${gpu} (host ${host})`,
      "",
      `- Fastest CUDA step of this stack: ${runName(best.run)}, median ` +
        `${ms(best.run.stepMs.median)} (${when(best)}).`,
      ...goalLine(group),
      ...comparisonLines(best, group, all),
      ...epochsTable(group),
      "",
    );
  }
  while (lines.at(-1) === "") lines.pop();
  return lines;
}
