// renderHeadline() (src/report/headline.ts): the README's headline table and its rule.
import assert from "node:assert/strict";
import { renderHeadline } from "../src/report/headline.ts";
import type { Run } from "../src/result/schema.ts";
import { fixture, lines, link, loadedResult, pairedResult } from "./_report_fixtures.ts";

Deno.test("renderHeadline() keeps the newest stable paired run, leaves a loaded one out and warns", () => {
  const text = renderHeadline([
    { path: "results/loaded.json", result: loadedResult("2025-03-01T00:00:00.000Z") },
    { path: "results/unpaired.json", result: fixture() },
    { path: "results/older.json", result: pairedResult("2024-12-01T00:00:00.000Z") },
    { path: "results/quiet.json", result: pairedResult("2025-02-01T00:00:00.000Z") },
  ], link);
  const rows = lines(text).filter((l) => l.startsWith("| AMD EPYC"));
  assert.equal(rows.length, 1, text);
  assert.ok(rows[0].includes("[36.0 ms](results/quiet.json)"), rows[0]);
  assert.ok(rows[0].includes("[1.11× faster \\[1.09, 1.14\\]](results/quiet.json)"), rows[0]);
  assert.ok(rows[0].includes("[no significant difference (1.00× \\[0.98, 1.02\\])]"), rows[0]);
  assert.doesNotMatch(text, /older\.json|unpaired\.json|2209/);
  assert.match(
    text,
    /\*\*Left out as unstable\*\*, newer than the rows kept: \[loaded\.json\]\(results\/loaded\.json\) \(cpu fp32: deno\+libtorch: step times spread: IQR \d+% of the median/,
  );
  // A recorded verdict wins over the samples: a quiet-looking run whose load was too high.
  const busy = pairedResult("2025-04-01T00:00:00.000Z");
  busy.runs[0].noise = {
    stable: false,
    reasons: ["host busy: 1-min load 5.10 before the timed work on 2 cores, expected at most 3.00"],
    stepIqrRel: 0.01,
    roundSpreadRel: null,
    loadBefore: 5.1,
    loadAfter: 2,
  };
  const withBusy = renderHeadline([{ path: "results/busy.json", result: busy }], link);
  assert.match(withBusy, /No stable paired run yet\./);
  assert.match(withBusy, /\[busy\.json\]\(results\/busy\.json\) \(cpu fp32: .*host busy/);
});

Deno.test("renderHeadline() holds only paired ratios, each cell linked to its result file", () => {
  const text = renderHeadline([
    { path: "results/a.json", result: pairedResult("2025-02-01T00:00:00.000Z") },
    { path: "results/b.json", result: fixture() },
  ], link);
  const cells = [...text.matchAll(/\[([^\]]*(?:\\\][^\]]*)*)\]\(([^)]+)\)/g)];
  assert.ok(cells.length > 0);
  for (const [, , target] of cells.filter(([, , t]) => t.startsWith("results/"))) {
    assert.equal(target, "results/a.json");
  }
  assert.match(text, /^Rule: only runs of ours measured paired/m);
});

Deno.test("renderHeadline() puts the seed's GPU row first: no result yet, and the GPUs seen", () => {
  const cpuOnGpuHost = pairedResult("2025-02-01T00:00:00.000Z");
  cpuOnGpuHost.env.gpu = null;
  cpuOnGpuHost.env.torch = { libtorch: "2.11.0", cudaDevices: [{ name: "NVIDIA H200" }] };
  const text = renderHeadline([{ path: "results/h200.json", result: cpuOnGpuHost }], link);
  const out = lines(text);
  assert.match(out[0], /^\| The seed's question: device \|/);
  assert.match(
    out[2],
    /^\| CPU \| AMD EPYC 7763 64-Core Processor, 16 cores; libtorch 2\.11\.0; cpu fp32 \|/,
  );
  assert.match(
    out[3],
    /^\| GPU \| \*\*no result yet\*\*: no CUDA run has finished; GPU machines seen so far: NVIDIA H200 \(\[a CPU run there\]\(results\/h200\.json\)\); see \[docs\/gpu\.md\]\(docs\/gpu\.md\) \| – \|/,
  );
});

Deno.test("renderHeadline() fills the seed's GPU row from the newest paired CUDA run when fp32 eager was not paired", () => {
  const gpu = pairedResult("2025-02-01T00:00:00.000Z");
  const [ours] = gpu.runs;
  const onGpu = (r: Run): Run => ({ ...r, device: "cuda", deviceName: "NVIDIA H200" });
  gpu.runs = [{
    ...onGpu(ours),
    label: "deno+libtorch cuda fp32",
    options: { cudaGraphs: true },
    baseline: onGpu(ours.baseline!),
    moreBaselines: [],
  }];
  const out = lines(renderHeadline([{ path: "results/gpu.json", result: gpu }], link));
  assert.match(
    out[3],
    /^\| GPU \| NVIDIA H200; libtorch 2\.5\.1; cuda fp32, CUDA graphs \| \[36\.0 ms\]\(results\/gpu\.json\) \| \[40\.0 ms\]\(results\/gpu\.json\) \| \[1\.11× faster/,
  );
});

Deno.test("renderHeadline() keeps libtorch releases apart", () => {
  const text = renderHeadline([
    { path: "results/new.json", result: pairedResult("2025-02-01T00:00:00.000Z", "2.5.1") },
    { path: "results/old.json", result: pairedResult("2025-01-01T00:00:00.000Z", "1.13.1") },
  ], link);
  const rows = lines(text).filter((l) => l.startsWith("| AMD EPYC"));
  assert.deepEqual(rows.map((r) => r.split(" | ")[1]), ["1.13.1", "2.5.1"]);
});
