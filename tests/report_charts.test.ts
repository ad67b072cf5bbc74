// renderCharts() and chartSpecs() (src/report/charts.ts): the four charts.
import assert from "node:assert/strict";
import { chartSpecs, MAX_SERIES, renderCharts } from "../src/report/charts.ts";
import { headlineRows } from "../src/report/headline.ts";
import { loadResults } from "../src/report/load.ts";
import { fixture, loadedResult, pairedResult } from "./_report_fixtures.ts";

Deno.test("renderCharts() draws the headline runs' ratios and step times, and ours beside PyTorch's loss", async () => {
  const charts = await renderCharts([
    { path: "results/a.json", result: pairedResult("2025-02-01T00:00:00.000Z") },
    { path: "results/loaded.json", result: loadedResult("2025-03-01T00:00:00.000Z") },
    { path: "results/b.json", result: fixture() },
  ]);
  assert.deepEqual(charts.map((c) => c.file), ["ratios.svg", "step-time.svg", "loss.svg"]);
  for (const chart of charts) assert.ok(chart.svg.startsWith("<svg"), `${chart.file} is SVG`);
  for (const label of ["PyTorch", "libtorch C++"]) {
    assert.ok(charts[0].svg.includes(`>${label}</text>`), `expected ${label} in ratios.svg`);
  }
  assert.ok(charts[1].svg.includes(">deno+libtorch</text>"));
  assert.ok(!charts[1].svg.includes("2209"), "the loaded run is not in the step-time chart");
  // Only the CPU run and its baseline trained epochs beside each other.
  assert.ok(charts[2].svg.includes(">deno+libtorch 2.5.1 cpu fp32</text>"));
  assert.ok(charts[2].svg.includes(">pytorch cpu fp32</text>"));
  assert.ok(!charts[2].svg.includes(">deno+libtorch 2.5.1 cuda fp32</text>"));
});

Deno.test("renderCharts() leaves out charts without data", async () => {
  const result = fixture();
  for (const r of result.runs) {
    r.epochs = [];
    if (r.baseline) r.baseline.epochs = [];
  }
  assert.deepEqual(await renderCharts([{ path: "r.json", result }]), []);
});

/** Every encoding of a spec and of its layers, with the spec's inline data. */
function encodings(spec: Record<string, unknown>): [string, Record<string, unknown>][] {
  const own = Object.entries((spec.encoding ?? {}) as Record<string, Record<string, unknown>>);
  const layers = (spec.layer ?? []) as Record<string, unknown>[];
  return [...own, ...layers.flatMap(encodings)];
}

Deno.test("every chart spec puts numbers on quantitative axes and draws at most 8 series", async () => {
  const { results } = await loadResults(new URL("../results", import.meta.url).pathname);
  const sources = [
    ...results.map((r) => ({ path: r.path, result: r.result })),
    { path: "results/a.json", result: pairedResult("2030-02-01T00:00:00.000Z") },
    { path: "results/b.json", result: fixture() },
  ];
  const specs = chartSpecs(sources);
  assert.deepEqual(specs.map((c) => c.file), [
    "ratios.svg",
    "step-time.svg",
    "loss.svg",
    "scaling.svg",
  ]);
  for (const { file, spec } of specs) {
    const s = spec;
    const values = (s.data as { values: Record<string, unknown>[] }).values;
    for (const [channel, enc] of encodings(s)) {
      if (typeof enc.field !== "string") continue;
      const data = values.map((v) => v[enc.field as string]);
      if (["x", "y", "x2", "y2"].includes(channel) && data.every((v) => typeof v === "number")) {
        assert.equal(enc.type ?? "quantitative", "quantitative", `${file}: ${channel} is numeric`);
      }
      const numeral = (v: unknown) => typeof v === "string" && /^\d+(\.\d+)?$/.test(v);
      assert.ok(!data.every(numeral), `${file}: ${channel} holds numbers written as text`);
      if (["color", "strokeDash", "shape"].includes(channel)) {
        const series = new Set(data).size;
        assert.ok(series <= MAX_SERIES, `${file}: ${series} series in ${channel}`);
      }
    }
  }
  const stepTime = specs[1].spec as { data: { values: { row: string }[] } };
  const { rows } = headlineRows(sources);
  assert.equal(new Set(stepTime.data.values.map((v) => v.row)).size, rows.length);
});
