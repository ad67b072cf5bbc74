/**
 * The markdown of data-parallel runs (`runs[].distributed`): one row per run and baseline with
 * ranks, threads per rank, each rank's median step, the all-reduce share, the single rank's
 * throughput and the scaling efficiency. Pure; results without data-parallel runs render nothing.
 *
 * @module
 */
import type { Distributed, Run } from "../bench/schema.ts";

const DASH = "–";

/** Milliseconds with two decimals. */
const ms = (x: number | null) => (x === null ? DASH : x.toFixed(2));

/** A fraction as a percentage with one decimal, or a dash for null. */
const share = (x: number | null) => (x === null ? DASH : `${(x * 100).toFixed(1)}%`);

/** The runs (baselines included) of a result that ran as data-parallel ranks, with their record. */
export function distributedRuns(runs: readonly Run[]): [Run, Distributed][] {
  return runs.flatMap((r) => (r.distributed ? [[r, r.distributed] as [Run, Distributed]] : []));
}

/** One run's row: its name is the caller's (report.ts names runs). */
function cells(d: Distributed, run: Run): string[] {
  const one = d.singleRank;
  return [
    `${d.worldSize} (${d.backend})`,
    String(d.threadsPerRank),
    d.perRankStepMedianMs.length > 0 ? d.perRankStepMedianMs.map(ms).join(" / ") : DASH,
    share(d.allreduceShare),
    Math.round(run.imagesPerSecond).toString(),
    one === null ? DASH : `${Math.round(one.imagesPerSecond)} (batch ${one.batchSize})`,
    d.scalingEfficiency === null ? DASH : d.scalingEfficiency.toFixed(3),
  ];
}

/** The headers of {@linkcode distributedLines}' table after the run's name. */
const HEADERS = [
  "Ranks",
  "Threads/rank",
  "Per-rank step median [ms]",
  "All-reduce share",
  "Images/s (N ranks)",
  "Images/s (1 rank)",
  "Scaling efficiency",
];

/**
 * The "Data-parallel ranks" section of a result, or nothing: a table over its `runs` (each named
 * by `name`) and a line saying how each single-rank reference was scheduled.
 */
export function distributedLines(
  runs: readonly Run[],
  name: (run: Run) => string,
): string[] {
  const dist = distributedRuns(runs);
  if (dist.length === 0) return [];
  const escape = (c: string) => c.replaceAll("|", "\\|");
  const line = (c: string[]) => `| ${c.map(escape).join(" | ")} |`;
  const schedules = [...new Set(dist.flatMap(([, d]) => d.singleRank?.schedule ?? []))];
  return [
    "### Data-parallel ranks",
    "",
    line(["Run", ...HEADERS]),
    `|:---|${"---:|".repeat(HEADERS.length)}`,
    ...dist.map(([run, d]) => line([name(run), ...cells(d, run)])),
    "",
    "Scaling efficiency = images/s of the N ranks (global batch) / (N × images/s of one rank " +
    "alone at the same threads per rank with the per-rank batch), measured in the same " +
    `invocation${schedules.length > 0 ? ` (${schedules.join(", ")} steps)` : ""}. The ` +
    "all-reduce share is the exposed part of the gradients' all-reduce (after backward's last " +
    "gradient) over the step, the ranks' mean.",
    "",
  ];
}
