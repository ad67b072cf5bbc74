/**
 * SVG charts of benchmark results, drawn with Vega-Lite.
 *
 * Rendering uses Vega's headless `renderer: "none"` and `toSVG()`, which
 * estimates text widths itself: no canvas package and no fonts are needed.
 *
 * @module
 */

import * as vega from "vega";
import * as vl from "vega-lite";
import type { BenchResult, Run } from "../result/schema.ts";
import { rowsOf, runName } from "./report.ts";

/** One rendered chart. */
export interface Chart {
  /** File name to save it under, e.g. `"loss.svg"`. */
  file: string;
  /** What it shows, for alt text and captions. */
  title: string;
  /** The SVG document. */
  svg: string;
}

type Series = { name: string; run: Run };

/** Every run (baselines included), named by its label (plus host and date for several results). */
function seriesOf(results: readonly BenchResult[]): Series[] {
  const many = results.length > 1;
  return results.flatMap((result) => {
    const suffix = many
      ? ` (${result.env.hostname}, ${result.createdAt.slice(0, 16).replace("T", " ")})`
      : "";
    return rowsOf(result).map((run) => ({ name: `${runName(run)}${suffix}`, run }));
  });
}

const WIDTH = 560;

/** The file names {@linkcode renderCharts} may return, in its order. */
export const CHART_FILES = ["loss.svg", "epoch-time.svg", "step-time.svg", "scaling.svg"] as const;

/** Shared look: white background, labels never truncated (run labels are long). */
const CONFIG: vl.Config = {
  background: "white",
  legend: { labelLimit: 0 },
  axis: { labelLimit: 0 },
};

async function toSvg(spec: vl.TopLevelSpec): Promise<string> {
  const compiled = vl.compile({ ...spec, config: CONFIG } as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A chart of `values` coloured by run; null without values. */
function spec(
  title: string,
  values: object[],
  layout: { mark: unknown; height?: number; encoding: object },
): vl.TopLevelSpec | null {
  if (values.length === 0) return null;
  const color = { field: "run", type: "nominal", title: "Run" };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    width: WIDTH,
    ...layout,
    data: { values },
    encoding: { color, ...layout.encoding },
  } as vl.TopLevelSpec;
}

function lossSpec(series: readonly Series[]): vl.TopLevelSpec | null {
  const values = series.flatMap(({ name, run }) =>
    run.epochs
      .filter((e) => Number.isFinite(e.loss) && e.loss > 0)
      .map((e) => ({ run: name, epoch: e.epoch, loss: e.loss }))
  );
  return spec("Training loss per epoch (log scale)", values, {
    height: 300,
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "epoch", type: "quantitative", title: "Epoch", axis: { tickMinStep: 1 } },
      y: { field: "loss", type: "quantitative", title: "Mean loss", scale: { type: "log" } },
    },
  });
}

function epochTimeSpec(series: readonly Series[]): vl.TopLevelSpec | null {
  const values = series.flatMap(({ name, run }) =>
    run.epochs.map((e) => ({ run: name, epoch: String(e.epoch), seconds: e.seconds }))
  );
  return spec("Training time per epoch", values, {
    height: 300,
    mark: "bar",
    encoding: {
      x: { field: "epoch", type: "ordinal", title: "Epoch", axis: { labelAngle: 0 } },
      xOffset: { field: "run", type: "nominal" },
      y: { field: "seconds", type: "quantitative", title: "Seconds" },
    },
  });
}

function stepTimeSpec(series: readonly Series[]): vl.TopLevelSpec | null {
  const values = series.flatMap(({ name, run }) =>
    run.stepMs.samples.filter((ms) => ms > 0).map((ms) => ({ run: name, ms }))
  );
  return spec("Training step time (log scale)", values, {
    mark: { type: "boxplot", extent: 1.5 },
    encoding: {
      y: { field: "run", type: "nominal", title: null, sort: null },
      x: { field: "ms", type: "quantitative", title: "Step time [ms]", scale: { type: "log" } },
      color: { field: "run", type: "nominal", legend: null },
    },
  });
}

/**
 * Images/s against ranks of the data-parallel runs: one rank alone and the N ranks, measured,
 * beside the ideal line through one rank's throughput (N × it).
 */
function scalingSpec(series: readonly Series[]): vl.TopLevelSpec | null {
  const values = series.flatMap(({ name, run }) => {
    const d = run.distributed, one = d?.singleRank;
    if (!d || !one) return [];
    const ideal = `${name} (ideal: N × 1 rank)`;
    return [
      { run: name, ranks: 1, imagesPerSecond: one.imagesPerSecond },
      { run: name, ranks: d.worldSize, imagesPerSecond: run.imagesPerSecond },
      { run: ideal, ranks: 1, imagesPerSecond: one.imagesPerSecond },
      { run: ideal, ranks: d.worldSize, imagesPerSecond: d.worldSize * one.imagesPerSecond },
    ];
  });
  return spec("Data-parallel scaling: images/s against ranks", values, {
    height: 300,
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "ranks", type: "quantitative", title: "Ranks", axis: { tickMinStep: 1 } },
      y: { field: "imagesPerSecond", type: "quantitative", title: "Images/s" },
      // One legend for both: each series its colour and its dash (the ideal lines dashed apart).
      strokeDash: { field: "run", type: "nominal", title: "Run" },
    },
  });
}

/**
 * Renders the charts of a set of results as SVG, in this order: `loss.svg` (mean training loss
 * per epoch, log scale: the recipe's loss can spike to hundreds before settling), `epoch-time.svg`
 * (training seconds per epoch, grouped bars) and `step-time.svg` (box plot of the timed steps, log
 * scale) and `scaling.svg` (images/s of one rank and of N data-parallel ranks beside the ideal
 * line, for runs with `distributed`). Runs are named by their label, plus host and date when several results are given. A
 * chart without data is left out.
 */
export async function renderCharts(results: readonly BenchResult[]): Promise<Chart[]> {
  const series = seriesOf(results);
  const specs: Array<[string, string, vl.TopLevelSpec | null]> = [
    [CHART_FILES[0], "Training loss per epoch", lossSpec(series)],
    [CHART_FILES[1], "Training time per epoch", epochTimeSpec(series)],
    [CHART_FILES[2], "Training step time", stepTimeSpec(series)],
    [CHART_FILES[3], "Data-parallel scaling", scalingSpec(series)],
  ];
  const charts: Chart[] = [];
  for (const [file, title, spec] of specs) {
    if (spec !== null) charts.push({ file, title, svg: await toSvg(spec) });
  }
  return charts;
}
