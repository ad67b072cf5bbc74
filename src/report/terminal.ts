/**
 * The short summary `deno task bench` prints on a terminal at the end of a run: per run its
 * median step, accuracy and noise verdict, per paired baseline the verdict in the report's one
 * wording ({@linkcode pairedVerdictOf}). The markdown goes to its file only. Pure.
 *
 * @module
 */
import {
  baselineNameOf,
  BASELINES,
  baselinesOf,
  type BenchResult,
  type Paired,
  type Run,
} from "../result/mod.ts";
import { pairedVerdictOf } from "./verdicts.ts";
import { noiseOf, percent, rowsOf, runLabel, stackName } from "./rows.ts";

/**
 * A baseline's name in a verdict: PyTorch's eager recipes named so (`PyTorch eager`), not its
 * torch.compile recipe (recipes.ts's `compiled`).
 */
function againstName(base: Run): string {
  const name = baselineNameOf(base);
  const eager = name === null || !BASELINES[name].compiled;
  return eager ? stackName(base).replace(/^PyTorch\b/, "PyTorch eager") : stackName(base);
}

/**
 * The verdict line of one paired baseline, in {@linkcode pairedVerdictOf}'s words:
 * `deno+libtorch ran 1.05× faster [1.02, 1.08] than PyTorch eager (cpu, fp32, 10 paired
 * rounds)`, `… ran 1.10× slower [1.08, 1.13] than …`, or `deno+libtorch: no significant
 * difference (0.99× [0.97, 1.02]) from libtorch C++ (cpu, fp32, 10 paired rounds)`.
 */
export function pairedVerdictLine(run: Run, base: Run & { paired: Paired }): string {
  const verdict = pairedVerdictOf(base.paired);
  const rounds = `${base.paired.rounds} paired round${base.paired.rounds === 1 ? "" : "s"}`;
  const context = `(${run.device}, ${run.precision}, ${rounds})`;
  const ours = stackName(run);
  return verdict.startsWith("no significant difference")
    ? `${ours}: ${verdict} from ${againstName(base)} ${context}`
    : `${ours} ran ${verdict} than ${againstName(base)} ${context}`;
}

/**
 * A result's terminal summary, one line each: every run (ours, then its baselines) with its
 * median step, final test accuracy when evaluated and `UNSTABLE: <reasons>` when its noise
 * verdict says so; then, last, one {@linkcode pairedVerdictLine} per paired baseline. Unpaired
 * baselines get no ratio.
 *
 * @example Usage
 * ```ts ignore
 * for (const line of renderTerminalSummary(result)) console.log(line);
 * ```
 */
export function renderTerminalSummary(result: BenchResult): string[] {
  const lines = rowsOf(result).map((run) => {
    const noise = noiseOf(run);
    const accuracy = run.finalTestAccuracy === null
      ? ""
      : `, test accuracy ${percent(run.finalTestAccuracy)}`;
    const unstable = noise.stable ? "" : `; UNSTABLE: ${noise.reasons.join("; ")}`;
    return `${runLabel(run)}: median step ${run.stepMs.median.toFixed(2)} ms${accuracy}${unstable}`;
  });
  for (const run of result.runs) {
    for (const base of baselinesOf(run)) {
      if (base.paired !== undefined) {
        lines.push(pairedVerdictLine(run, { ...base, paired: base.paired }));
      }
    }
  }
  return lines;
}
