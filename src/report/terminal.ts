/**
 * The short summary `deno task bench` prints on a terminal at the end of a run: per run its
 * median step, accuracy and noise verdict, per paired baseline the verdict in the report's one
 * wording ({@linkcode pairedVerdictOf}). The markdown goes to its file only. Pure.
 *
 * @module
 */
import type { BenchResult } from "../result/schema.ts";
import { baselinesOf } from "../result/recipes.ts";
import { pairedVerdictOf } from "./verdicts.ts";
import { noiseOf, percent, rowsOf, runLabel, stackName } from "./rows.ts";

/**
 * A result's terminal summary, one line each: every run (ours, then its baselines) with its
 * median step, final test accuracy when evaluated and `UNSTABLE: <reasons>` when its noise
 * verdict says so; then per paired baseline `<ours> against <baseline> on <device>
 * (<precision>), <n> paired rounds: <verdict>`. Unpaired baselines get no ratio.
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
    for (const base of baselinesOf(run).filter((b) => b.paired !== undefined)) {
      lines.push(
        `${stackName(run)} against ${stackName(base)} on ${run.device} (${run.precision}), ` +
          `${base.paired!.rounds} paired rounds: ${pairedVerdictOf(base.paired!)}`,
      );
    }
  }
  return lines;
}
