/**
 * The GPU comparisons the seed is about, drawn across result files: for each GPU, this stack's
 * fastest CUDA step against PyTorch eager on the same GPU, against this stack's plain fp32 eager
 * run, and against this stack on the CPU of the same machine; then every 10-epoch CUDA run's
 * training time and final accuracy beside the fp32 eager run's.
 *
 * @module
 */
import { ms as twoDecimals, percent, rowsOf, runName, speed } from "./report.ts";
import type { BenchResult, Run } from "./schema.ts";
import { defaultAdam } from "./options.ts";

/** A run with the result it came from. */
interface Located {
  run: Run;
  result: BenchResult;
}

/** Epochs of the seed's protocol: the runs trained this long are compared on time and accuracy. */
const FULL_EPOCHS = 10;

/** Whether a run is the plain recipe: fp32 eager, no speed option, no clipping. */
export function isPlainRun(run: Run): boolean {
  const o = run.options;
  return run.precision === "fp32" && o.cudaGraphs !== true && o.tf32 !== true &&
    o.channelsLast !== true && o.cudnnBenchmark !== true && o.clipGradNorm === undefined &&
    (o.adam === undefined || o.adam === defaultAdam(run.device));
}

function ms(x: number): string {
  return `${twoDecimals(x)} ms`;
}

function newest(list: Located[]): Located | undefined {
  return [...list].sort((a, b) => b.result.createdAt.localeCompare(a.result.createdAt))[0];
}

function fastest(list: Located[]): Located | undefined {
  return [...list].sort((a, b) => a.run.stepMs.median - b.run.stepMs.median)[0];
}

function when(x: Located): string {
  return x.result.createdAt.slice(0, 16).replace("T", " ");
}

function trainingSeconds(run: Run): number {
  return run.epochs.reduce((sum, e) => sum + e.seconds, 0);
}

/**
 * Markdown lines comparing each GPU's runs across results (empty when no result has a CUDA run
 * of this stack). Ratios between different invocations are labelled as such; a ratio measured
 * inside one invocation says so too.
 *
 * @param results Every result, in any order.
 * @returns Lines without a trailing blank line, or an empty array.
 */
export function renderGpuSummary(results: readonly BenchResult[]): string[] {
  const all: Located[] = results.flatMap((result) =>
    rowsOf(result).filter((run) => run.complete).map((run) => ({ run, result }))
  );
  const gpus = new Map<string, Located[]>();
  for (const x of all) {
    if (x.run.device !== "cuda") continue;
    const key = `${x.run.deviceName}\u0000${x.result.env.hostname}`;
    gpus.set(key, [...(gpus.get(key) ?? []), x]);
  }
  const lines: string[] = [];
  for (const [key, group] of gpus) {
    const [gpu, host] = key.split("\u0000");
    const ours = group.filter((x) => x.run.implementation === "deno-libtorch");
    const best = fastest(ours);
    if (best === undefined) continue;
    const eager = fastest(ours.filter((x) => isPlainRun(x.run)));
    // The newest PyTorch run of each kind: plain fp32, and with TF32 (PyTorch's default for convs).
    const pytorchKinds = new Map<string, Located[]>();
    for (const x of group.filter((x) => x.run.implementation === "pytorch")) {
      const name = runName(x.run);
      pytorchKinds.set(name, [...(pytorchKinds.get(name) ?? []), x]);
    }
    const pytorchRuns = [...pytorchKinds.values()].map((list) => newest(list)!);
    const sameHostCpu = all.filter((x) =>
      x.run.device === "cpu" && x.result.env.hostname === host && isPlainRun(x.run)
    );
    const cpu = newest(sameHostCpu.filter((x) => x.run.implementation === "deno-libtorch"));
    const b = best.run.stepMs.median;
    lines.push(`### ${gpu} (host ${host})`, "");
    lines.push(
      `- Fastest CUDA step of this stack: ${runName(best.run)}, median ${ms(b)} ` +
        `(${when(best)}).`,
    );
    for (const pytorch of pytorchRuns) {
      const p = pytorch.run.stepMs.median;
      const together = pytorch.result === best.result
        ? "in the same invocation"
        : "separate invocations";
      lines.push(
        `- Against PyTorch eager on the same GPU (${runName(pytorch.run)}, median ${ms(p)}, ` +
          `${when(pytorch)}; ${together}): ${speed(b, p)} per step, ` +
          `${(b / p).toFixed(2)} of PyTorch's step time.`,
      );
    }
    if (eager !== undefined && eager !== best) {
      lines.push(
        `- Against this stack's fp32 eager step on the same GPU (median ` +
          `${ms(eager.run.stepMs.median)}, ${when(eager)}): ${speed(b, eager.run.stepMs.median)}.`,
      );
    }
    const sideBySide = eager === undefined
      ? undefined
      : pytorchRuns.find((x) => x.result === eager.result);
    if (eager !== undefined && sideBySide !== undefined) {
      lines.push(
        `- fp32 eager against PyTorch eager (${runName(sideBySide.run)}), side by side in one ` +
          `invocation: this stack is ` +
          `${speed(eager.run.stepMs.median, sideBySide.run.stepMs.median)} per step.`,
      );
    }
    if (cpu !== undefined) {
      lines.push(
        `- Against this stack on the CPU of the same machine (${cpu.run.deviceName}, ` +
          `${cpu.run.threads} threads, median ${ms(cpu.run.stepMs.median)}, ${when(cpu)}): ` +
          `the fastest CUDA step is ${speed(b, cpu.run.stepMs.median)}.`,
      );
    }
    const full = group.filter((x) => x.run.epochs.length >= FULL_EPOCHS)
      .sort((x, y) => trainingSeconds(x.run) - trainingSeconds(y.run));
    if (full.length > 0) {
      const reference = full.find((x) =>
        x.run.implementation === "deno-libtorch" && isPlainRun(x.run)
      );
      lines.push(
        "",
        `${FULL_EPOCHS} epochs on this GPU (training time is the sum of the epochs' wall times, ` +
          "evaluation excluded):",
        "",
        "| Run | Training [s] | Final test acc. | vs fp32 eager [pp] |",
        "|:---|---:|---:|---:|",
        ...full.map((x) => {
          const r = x.run;
          const delta = reference === undefined || r.finalTestAccuracy === null ||
              reference.run.finalTestAccuracy === null
            ? "–"
            : ((r.finalTestAccuracy - reference.run.finalTestAccuracy) * 100).toFixed(2);
          return `| ${runName(r)} | ${trainingSeconds(r).toFixed(1)} | ${
            percent(r.finalTestAccuracy)
          } | ${delta} |`;
        }),
      );
    }
    lines.push("");
  }
  while (lines.at(-1) === "") lines.pop();
  return lines;
}
