/**
 * SVG charts of benchmark results, drawn with Vega-Lite, each answering one question about the
 * headline's runs (headline.ts): how ours compares with each implementation (the paired ratios
 * with their intervals), how their step times spread, whether ours trains as PyTorch does (the
 * loss per epoch of the newest run that trained epochs beside PyTorch), and how data-parallel
 * ranks scale. Every axis that carries numbers is quantitative; no chart has more than
 * {@linkcode MAX_SERIES} series.
 *
 * Rendering uses Vega's headless `renderer: "none"` and `toSVG()`, which estimates text widths
 * itself: no canvas package and no fonts are needed. Vega and Vega-Lite are loaded when the first
 * chart is rendered, so that importing src/report/ (as `deno task bench` does, for its summary)
 * does not load them.
 *
 * @module
 */

import type * as vl from "vega-lite";
import { baselinesOf, type Run } from "../result/mod.ts";
import { type HeadlineRow, headlineRows, type SourcedResult } from "./headline.ts";
import { rowsOf, runName, stackName } from "./rows.ts";
import { lossAgreement } from "./agreement.ts";

/** One rendered chart. */
export interface Chart {
  /** File name to save it under, e.g. `"ratios.svg"`. */
  file: string;
  /** The question it answers, for captions and alt text. */
  title: string;
  /** The SVG document. */
  svg: string;
}

/** One chart before rendering: its file, its question and its Vega-Lite specification. */
export interface ChartSpec {
  /** File name, e.g. `"ratios.svg"`. */
  file: string;
  /** The question it answers. */
  title: string;
  /** The Vega-Lite specification (a `TopLevelSpec`), data inlined. */
  spec: Record<string, unknown>;
}

/** Most series (distinct colours or dashes) one chart may draw. */
export const MAX_SERIES = 8;

/** The file names {@linkcode renderCharts} may return, in its order. */
export const CHART_FILES = ["ratios.svg", "step-time.svg", "loss.svg", "scaling.svg"] as const;

const WIDTH = 560;

/** Shared look: white background, labels never truncated (run labels are long). */
const CONFIG: vl.Config = {
  background: "white",
  legend: { labelLimit: 0, orient: "bottom", direction: "vertical" },
  axis: { labelLimit: 0 },
};

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

async function toSvg(spec: vl.TopLevelSpec): Promise<string> {
  const [vega, vl] = await Promise.all([import("vega"), import("vega-lite")]);
  const compiled = vl.compile({ ...spec, config: CONFIG } as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A headline row's name on a chart's axis: machine, libtorch, configuration. */
function rowName(r: HeadlineRow): string {
  return `${r.configuration} · libtorch ${r.libtorch} · ${r.machine}`;
}

const implementation = { field: "implementation", type: "nominal", title: "Implementation" };

/** The paired ratios of the headline rows, each with its 95% interval, a rule at 1. */
function ratiosSpec(rows: readonly HeadlineRow[]): vl.TopLevelSpec | null {
  const values = rows.flatMap((r) =>
    [...r.paired.values()].map((base) => ({
      row: rowName(r),
      implementation: stackName(base),
      ratio: base.paired!.ratioMedian,
      lo: base.paired!.ratioCI95[0],
      hi: base.paired!.ratioCI95[1],
    }))
  );
  if (values.length === 0) return null;
  const y = { field: "row", type: "nominal", title: null, sort: null };
  const x = {
    field: "ratio",
    type: "quantitative",
    title: "Step time, deno+libtorch over the implementation (paired; below 1: ours faster)",
    scale: { zero: false },
  };
  return {
    $schema: SCHEMA,
    title: "How much faster or slower is deno+libtorch than each implementation?",
    width: WIDTH,
    data: { values },
    layer: [
      { mark: { type: "rule", color: "black", strokeDash: [4, 4] }, encoding: { x: { datum: 1 } } },
      {
        mark: { type: "rule", strokeWidth: 2 },
        encoding: {
          y,
          yOffset: implementation,
          x: { ...x, field: "lo" },
          x2: { field: "hi" },
          color: implementation,
        },
      },
      {
        mark: { type: "point", filled: true, size: 50 },
        encoding: { y, yOffset: implementation, x, color: implementation },
      },
    ],
  } as vl.TopLevelSpec;
}

/** The step-time distributions of the headline rows' runs, ours and each paired baseline. */
function stepTimeSpec(rows: readonly HeadlineRow[]): vl.TopLevelSpec | null {
  const values = rows.flatMap((r) =>
    [r.ours, ...r.paired.values()].flatMap((run) =>
      run.stepMs.samples.filter((ms) => ms > 0).map((ms) => ({
        row: rowName(r),
        implementation: stackName(run),
        ms,
      }))
    )
  );
  if (values.length === 0) return null;
  return {
    $schema: SCHEMA,
    title: "How are the headline runs' step times spread?",
    width: WIDTH,
    data: { values },
    mark: { type: "boxplot", extent: 1.5, size: 8 },
    encoding: {
      y: { field: "row", type: "nominal", title: null, sort: null },
      yOffset: implementation,
      x: { field: "ms", type: "quantitative", title: "Step time [ms]", scale: { zero: false } },
      color: implementation,
    },
  } as vl.TopLevelSpec;
}

/** The newest run of ours that trained epochs with a baseline beside it, and that baseline. */
function newestEpochPair(sources: readonly SourcedResult[]): { file: string; runs: Run[] } | null {
  const ordered = [...sources].sort((a, b) => b.result.createdAt.localeCompare(a.result.createdAt));
  for (const source of ordered) {
    const named = rowsOf(source.result);
    for (const run of source.result.runs) {
      const base = baselinesOf(run).find((b) => b.epochs.length >= 2);
      if (run.epochs.length < 2 || base === undefined) continue;
      const ours = named.find((r) =>
        r.implementation === "deno-libtorch" && r.options === run.options
      )!;
      return { file: source.path.split("/").at(-1)!, runs: [ours, base] };
    }
  }
  return null;
}

/** Mean training loss per epoch of ours and PyTorch in the newest run that trained both. */
function lossSpec(sources: readonly SourcedResult[]): vl.TopLevelSpec | null {
  const pair = newestEpochPair(sources);
  if (pair === null) return null;
  const values = pair.runs.flatMap((run) =>
    run.epochs
      .filter((e) => Number.isFinite(e.loss) && e.loss > 0)
      .map((e) => ({ run: runName(run), epoch: e.epoch, loss: e.loss }))
  );
  const series = { field: "run", type: "nominal", title: "Run" };
  const [ours, base] = pair.runs;
  const agreement = lossAgreement(ours, base);
  const steps = agreement === null ? [] : agreement.epochs.map((e) => e.maxAbsDiff);
  const most = Math.max(...steps);
  const apart = steps.length === 0
    ? "per-step losses not recorded"
    : most === 0
    ? "every step's loss equal, so the two lines coincide"
    : `largest per-step loss difference ${most.toPrecision(2)}`;
  return {
    $schema: SCHEMA,
    title: {
      text: "Does deno+libtorch train as PyTorch does? Mean loss per epoch",
      subtitle: `same seed and batch order, one invocation (${pair.file}); ${apart}`,
    },
    width: WIDTH,
    height: 300,
    data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "epoch", type: "quantitative", title: "Epoch", axis: { tickMinStep: 1 } },
      y: {
        field: "loss",
        type: "quantitative",
        title: "Mean loss (log scale)",
        scale: { type: "log" },
      },
      color: series,
      strokeDash: series,
    },
  } as vl.TopLevelSpec;
}

/**
 * Images/s against ranks of the newest data-parallel result's runs: one rank alone and the N
 * ranks, measured, beside the ideal line through one rank's throughput (N × it).
 */
function scalingSpec(sources: readonly SourcedResult[]): vl.TopLevelSpec | null {
  const newest = [...sources].sort((a, b) => b.result.createdAt.localeCompare(a.result.createdAt))
    .find((s) => s.result.runs.some((r) => r.distributed?.singleRank));
  if (newest === undefined) return null;
  const values = rowsOf(newest.result).flatMap((run) => {
    const d = run.distributed, one = d?.singleRank, name = runName(run);
    if (!d || !one) return [];
    const ideal = `${name} (ideal: N × 1 rank)`;
    return [
      { run: name, ranks: 1, imagesPerSecond: one.imagesPerSecond },
      { run: name, ranks: d.worldSize, imagesPerSecond: run.imagesPerSecond },
      { run: ideal, ranks: 1, imagesPerSecond: one.imagesPerSecond },
      { run: ideal, ranks: d.worldSize, imagesPerSecond: d.worldSize * one.imagesPerSecond },
    ];
  });
  const series = { field: "run", type: "nominal", title: "Run" };
  return {
    $schema: SCHEMA,
    title: "How do data-parallel ranks scale? Images/s against ranks",
    width: WIDTH,
    height: 300,
    data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "ranks", type: "quantitative", title: "Ranks", axis: { tickMinStep: 1 } },
      y: { field: "imagesPerSecond", type: "quantitative", title: "Images/s" },
      color: series,
      strokeDash: series,
    },
  } as vl.TopLevelSpec;
}

/**
 * The charts' specifications, in {@linkcode CHART_FILES}' order, those without data left out:
 * `ratios.svg` (the headline's paired ratios with their 95% intervals), `step-time.svg` (box
 * plots of the headline runs' step times), `loss.svg` (ours and PyTorch's mean loss
 * per epoch in the newest run that trained epochs beside PyTorch, log scale) and `scaling.svg`
 * (images/s of one rank and of N ranks beside the ideal line, the newest data-parallel result).
 */
export function chartSpecs(sources: readonly SourcedResult[]): ChartSpec[] {
  const { rows } = headlineRows(sources);
  const specs: Array<[string, string, vl.TopLevelSpec | null]> = [
    [CHART_FILES[0], "Paired ratios of the headline runs", ratiosSpec(rows)],
    [CHART_FILES[1], "Step times of the headline runs", stepTimeSpec(rows)],
    [CHART_FILES[2], "Training loss per epoch, ours and PyTorch", lossSpec(sources)],
    [CHART_FILES[3], "Data-parallel scaling", scalingSpec(sources)],
  ];
  return specs.flatMap(([file, title, spec]) =>
    spec === null ? [] : [{ file, title, spec: spec as unknown as Record<string, unknown> }]
  );
}

/** Renders {@linkcode chartSpecs} as SVG documents. */
export async function renderCharts(sources: readonly SourcedResult[]): Promise<Chart[]> {
  const charts: Chart[] = [];
  for (const { file, title, spec } of chartSpecs(sources)) {
    charts.push({ file, title, svg: await toSvg(spec as unknown as vl.TopLevelSpec) });
  }
  return charts;
}
