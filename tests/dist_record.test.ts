/**
 * The record of a data-parallel run (src/bench/measure/scaling.ts), without libtorch: the all-reduce
 * share is Σ wait / Σ step per rank and the ranks' mean, the scaling efficiency is the ranks'
 * images/s over N × the single rank's, and a record without a window or reference says null
 * rather than a figure; the schema takes it and still takes results without it.
 */
import assert from "node:assert/strict";
import {
  allreduceShare,
  distributedRecord,
  type RankWindow,
} from "../src/bench/measure/scaling.ts";
import { parseBenchResult } from "../src/result/schema.ts";
import { renderMarkdown } from "../src/report/report.ts";
import { renderCharts } from "../src/report/charts.ts";

const FACTS = { worldSize: 2, backend: "gloo", threadsPerRank: 1 } as const;

Deno.test("allreduceShare: Σ wait over Σ step of the timed steps", () => {
  assert.strictEqual(allreduceShare([10, 30], [100, 100]), 0.2);
  assert.strictEqual(allreduceShare([0, 0], [50, 70]), 0);
});

Deno.test("allreduceShare: null without steps, with a missing wait or a count mismatch", () => {
  assert.strictEqual(allreduceShare([], []), null);
  assert.strictEqual(allreduceShare([10, null], [100, 100]), null);
  assert.strictEqual(allreduceShare([10], [100, 100]), null);
});

function window(overrides: Partial<RankWindow> = {}): RankWindow {
  return {
    perRankStepMedianMs: [120, 118],
    perRankAllreduceShare: [0.1, 0.3],
    singleRank: { schedule: "interleaved", batchSize: 32, timedMs: [100, 110, 90] },
    ...overrides,
  };
}

Deno.test("distributedRecord: efficiency is images/s of N ranks over N x one rank's", () => {
  // The ranks: 64 images per 125 ms = 512 images/s; one rank alone: 32 images per 100 ms = 320.
  const d = distributedRecord(FACTS, { imagesPerSecond: 512, window: window() });
  assert.strictEqual(d.singleRank?.stepMs.median, 100);
  assert.strictEqual(d.singleRank?.imagesPerSecond, 320);
  assert.strictEqual(d.scalingEfficiency, 512 / (2 * 320));
  assert.strictEqual(d.singleRank?.schedule, "interleaved");
  assert.deepStrictEqual(d.perRankStepMedianMs, [120, 118]);
  assert.ok(Math.abs(d.allreduceShare! - 0.2) < 1e-12, "the mean of the ranks' shares");
  assert.deepStrictEqual(
    [d.worldSize, d.backend, d.threadsPerRank],
    [2, "gloo", 1],
  );
});

Deno.test("distributedRecord: a rank without a share makes the share null, not a partial mean", () => {
  const d = distributedRecord(FACTS, {
    imagesPerSecond: 512,
    window: window({ perRankAllreduceShare: [0.1, NaN] }),
  });
  assert.strictEqual(d.allreduceShare, null);
});

Deno.test("distributedRecord: no single-rank steps, no efficiency; no window, nothing measured", () => {
  const stopped = distributedRecord(FACTS, {
    imagesPerSecond: 512,
    window: window({ singleRank: { schedule: "interleaved", batchSize: 32, timedMs: [] } }),
  });
  assert.strictEqual(stopped.scalingEfficiency, null);
  assert.strictEqual(stopped.singleRank, null);
  const idle = distributedRecord(FACTS, {
    imagesPerSecond: 512,
    window: window({ perRankStepMedianMs: [120, NaN] }),
  });
  assert.deepStrictEqual(idle.perRankStepMedianMs, [120, null], "NaN is written as null");
  const epochsOnly = distributedRecord(FACTS, { imagesPerSecond: 512, window: null });
  assert.deepStrictEqual(
    [epochsOnly.allreduceShare, epochsOnly.scalingEfficiency, epochsOnly.perRankStepMedianMs],
    [null, null, []],
  );
});

/** A committed result (written before `distributed` existed), and a copy whose run has one. */
function results() {
  const url = new URL("../results/2026-11-27-vm-cpu-2.json", import.meta.url);
  const old = JSON.parse(Deno.readTextFileSync(url));
  const run = old.runs[0];
  const distributed = distributedRecord(FACTS, {
    imagesPerSecond: run.imagesPerSecond,
    window: window({
      singleRank: { schedule: "interleaved", batchSize: 32, timedMs: [run.stepMs.median * 0.9] },
    }),
  });
  const withDist = { ...old, runs: [{ ...run, distributed }, ...old.runs.slice(1)] };
  return { old, withDist: JSON.parse(JSON.stringify(withDist)) };
}

Deno.test("the schema reads results with and without runs[].distributed", () => {
  const { old, withDist } = results();
  assert.strictEqual(parseBenchResult(old).runs[0].distributed, undefined);
  const d = parseBenchResult(withDist).runs[0].distributed!;
  assert.deepStrictEqual(d.perRankStepMedianMs, [120, 118]);
  const bad = structuredClone(withDist);
  bad.runs[0].distributed.backend = "mpi";
  assert.throws(() => parseBenchResult(bad), /runs\[0\]\.distributed\.backend: expected one of/);
});

Deno.test("markdown: a data-parallel section with the ranks' row only where a run has them", () => {
  const { old, withDist } = results();
  assert.doesNotMatch(renderMarkdown([parseBenchResult(old)]), /Data-parallel/);
  const md = renderMarkdown([parseBenchResult(withDist)]);
  assert.match(md, /### Data-parallel ranks/);
  assert.match(md, /\| 2 \(gloo\) \| 1 \| 120\.00 \/ 118\.00 \| 20\.0% \|/);
  assert.match(
    md,
    /\(batch 32\) \| 0\.900 \|/,
    "efficiency = the lone step over the ranks' step (batch 64 over 2 × 32)",
  );
});

Deno.test("charts: scaling.svg for a data-parallel run, none without one", async () => {
  const { old, withDist } = results();
  const files = async (r: unknown) =>
    (await renderCharts([{ path: "r.json", result: parseBenchResult(r) }])).map((c) => c.file);
  assert.ok(!(await files(old)).includes("scaling.svg"));
  const charts = await renderCharts([{ path: "r.json", result: parseBenchResult(withDist) }]);
  const scaling = charts.find((c) => c.file === "scaling.svg");
  assert.ok(scaling, charts.map((c) => c.file).join(", "));
  assert.match(
    scaling.svg,
    />[^<]*\(ideal: N × 1 rank\)<\/text>/,
    "the legend names the ideal line",
  );
});
