import assert from "node:assert/strict";
import { renderGpuSummary } from "../src/report/gpu_summary.ts";
import type { BenchResult, Run } from "../src/result/schema.ts";

/** A committed result (a CPU window beside PyTorch) moved onto a GPU, with the given medians. */
async function cudaResult(
  createdAt: string,
  medians: { deno: number; pytorch: number | null },
  options: Partial<Run["options"]> = {},
): Promise<BenchResult> {
  const url = new URL("../results/2026-11-28-vm-cpu-3.json", import.meta.url);
  const result = JSON.parse(await Deno.readTextFile(url)) as BenchResult;
  const onGpu = (run: Run, median: number): Run => ({
    ...run,
    device: "cuda",
    deviceName: "NVIDIA H200",
    label: run.label.replace(" cpu ", " cuda "),
    stepMs: { ...run.stepMs, median },
  });
  const [run] = result.runs;
  const baseline = medians.pytorch === null ? null : onGpu(run.baseline!, medians.pytorch);
  const ours = onGpu(run, medians.deno);
  ours.options = { ...ours.options, adam: "foreach", ...options };
  return { ...result, createdAt, runs: [{ ...ours, baseline }] };
}

Deno.test("renderGpuSummary() takes the goal ratio from the fastest run with PyTorch in the same invocation", async () => {
  const graphs = { cudaGraphs: true, adam: "fused" as const };
  const text = renderGpuSummary([
    await cudaResult("2026-12-01T10:00:00.000Z", { deno: 2, pytorch: null }, graphs), // alone
    await cudaResult("2026-12-01T10:05:00.000Z", { deno: 3, pytorch: 6 }, graphs),
    await cudaResult("2026-12-01T10:10:00.000Z", { deno: 5, pytorch: 4 }), // fp32 eager
  ]).join("\n");
  assert.match(text, /Fastest CUDA step of this stack: .*CUDA graphs, Adam fused, median 2\.00 ms/);
  assert.match(
    text,
    /- Goal ratio, in one invocation \(2026-12-01 10:05\): .*CUDA graphs, Adam fused, median 3\.00 ms, against pytorch .*, median 6\.00 ms: median 3\.00 ms against 6\.00 ms \(not paired: no ratio is drawn\)\./,
  );
});

Deno.test("renderGpuSummary() has no goal ratio when no run had PyTorch beside it", async () => {
  const text = renderGpuSummary([
    await cudaResult("2026-12-01T10:00:00.000Z", { deno: 2, pytorch: null }),
  ]).join("\n");
  assert.match(text, /Fastest CUDA step of this stack/);
  assert.doesNotMatch(text, /Goal ratio/);
});
