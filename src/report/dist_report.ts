/**
 * The markdown of data-parallel runs (`runs[].distributed`): one row per run and baseline with
 * ranks, threads per rank, each rank's median step, the all-reduce share, the single rank's
 * throughput and the scaling efficiency. Pure; results without data-parallel runs render nothing.
 *
 * @module
 */
import type { Distributed, Run } from "../result/mod.ts";
import { type Column, DASH, table } from "./table.ts";

/** Milliseconds with two decimals. */
const ms = (x: number | null) => (x === null ? DASH : x.toFixed(2));

/** A fraction as a percentage with one decimal, or a dash for null. */
const share = (x: number | null) => (x === null ? DASH : `${(x * 100).toFixed(1)}%`);

/** The runs (baselines included) of a result that ran as data-parallel ranks, with their record. */
function distributedRuns(runs: readonly Run[]): [Run, Distributed][] {
  return runs.flatMap((r) => (r.distributed ? [[r, r.distributed] as [Run, Distributed]] : []));
}

/** The table's columns after the run's name. */
const COLUMNS: Column<[Run, Distributed]>[] = [
  ["Ranks", ([, d]) => `${d.worldSize} (${d.backend})`],
  ["Threads/rank", ([, d]) => String(d.threadsPerRank)],
  [
    "Per-rank step median [ms]",
    ([, d]) => d.perRankStepMedianMs.length > 0 ? d.perRankStepMedianMs.map(ms).join(" / ") : DASH,
  ],
  ["All-reduce share", ([, d]) => share(d.allreduceShare)],
  ["Images/s (N ranks)", ([run]) => Math.round(run.imagesPerSecond).toString()],
  [
    "Images/s (1 rank)",
    ([, { singleRank: one }]) =>
      one === null ? DASH : `${Math.round(one.imagesPerSecond)} (batch ${one.batchSize})`,
  ],
  ["Scaling efficiency", ([, d]) => d.scalingEfficiency?.toFixed(3) ?? DASH],
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
  const schedules = [...new Set(dist.flatMap(([, d]) => d.singleRank?.schedule ?? []))];
  return [
    "### Data-parallel ranks",
    "",
    ...table([["Run", ([run]) => name(run)], ...COLUMNS], dist),
    "",
    "Scaling efficiency = images/s of the N ranks (global batch) / (N × images/s of one rank " +
    "alone at the same threads per rank with the per-rank batch), measured in the same " +
    `invocation${schedules.length > 0 ? ` (${schedules.join(", ")} steps)` : ""}. The ` +
    "all-reduce share is the exposed part of the gradients' all-reduce (after backward's last " +
    "gradient) over the step, the ranks' mean.",
    "",
  ];
}
