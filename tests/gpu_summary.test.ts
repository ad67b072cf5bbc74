import assert from "node:assert/strict";
import { renderGpuSummary } from "../src/report/gpu_summary.ts";
import type { BenchResult, Run } from "../src/result/schema.ts";
import { fixture, run, summary } from "./_report_fixtures.ts";

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

Deno.test("renderGpuSummary() compares the fastest CUDA step with PyTorch, eager and the same machine's CPU", () => {
  const plain = fixture(); // CPU + CUDA fp32 eager with PyTorch baselines, host gpu-box
  const tenEpochs = (accuracy: number, seconds: number) =>
    Array.from({ length: 10 }, (_, i) => ({
      epoch: i + 1,
      loss: 0.1,
      seconds,
      testAccuracy: accuracy,
      evalSeconds: 0.1,
    }));
  plain.runs[1].epochs = tenEpochs(0.99, 6);
  plain.runs[1].finalTestAccuracy = 0.99;
  const fast: BenchResult = {
    ...fixture(),
    createdAt: "2025-01-31T11:00:00.000Z",
    runs: [run({
      label: "deno+libtorch cuda bf16",
      device: "cuda",
      stepMs: summary(1),
      options: { cudaGraphs: true, adam: "fused", channelsLast: true },
      epochs: tenEpochs(0.9885, 0.9),
      finalTestAccuracy: 0.9885,
    })],
  };
  const tf32: BenchResult = {
    ...fixture(),
    createdAt: "2025-01-31T10:40:00.000Z",
    runs: [run({
      label: "deno+libtorch cuda fp32",
      device: "cuda",
      stepMs: summary(3),
      options: { tf32: true },
      baseline: run({
        label: "pytorch cuda fp32",
        implementation: "pytorch",
        device: "cuda",
        stepMs: summary(4),
        options: { tf32: true },
      }),
    })],
  };
  const text = renderGpuSummary([fast, tf32, plain]).join("\n");
  const apart = "\\(not paired: no ratio is drawn\\)";
  assert.match(text, /^### NVIDIA H100 80GB HBM3 \(host gpu-box\)/);
  assert.match(
    text,
    /Fastest CUDA step of this stack: deno\+libtorch 2\.5\.1 cuda bf16, CUDA graphs, channels-last, Adam fused, median 1\.00 ms/,
  );
  assert.match(
    text,
    new RegExp(
      `PyTorch eager on the same GPU \\(pytorch cuda fp32, TF32, median 4\\.00 ms.*separate invocations\\): median 1\\.00 ms against 4\\.00 ms ${apart}`,
    ),
  );
  assert.match(
    text,
    /fp32 eager step on the same GPU \(median 4\.00 ms.*\): median 1\.00 ms against 4\.00 ms/,
  );
  assert.match(text, /side by side in one invocation: median 4\.00 ms against 5\.00 ms/);
  assert.match(
    text,
    /CPU of the same machine \(AMD EPYC 7763, 16 threads, median 40\.00 ms.*: the fastest CUDA step's median 1\.00 ms against 40\.00 ms/,
  );
  assert.doesNotMatch(text, /× (faster|slower)/);
  assert.match(
    text,
    /\| deno\+libtorch 2\.5\.1 cuda bf16, CUDA graphs, channels-last, Adam fused \| 9\.0 \| 98\.85% \| -0\.15 \|/,
  );
  assert.match(text, /\| deno\+libtorch 2\.5\.1 cuda fp32 \| 60\.0 \| 99\.00% \| 0\.00 \|/);
  assert.deepEqual(renderGpuSummary([]), []);
  const cpuOnly = { ...fixture(), runs: [fixture().runs[0]] };
  assert.deepEqual(renderGpuSummary([cpuOnly]), []);
});
