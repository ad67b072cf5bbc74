// runName() and isPlainRun() (src/report/rows.ts): how reports name a run and which runs are plain.
import assert from "node:assert/strict";
import { runName } from "../src/report/report.ts";
import { isPlainRun } from "../src/report/gpu_summary.ts";
import { run } from "./_report_fixtures.ts";

Deno.test("runName() names the speed options a run used and leaves the device's defaults out", () => {
  assert.equal(
    runName(run({
      label: "deno+libtorch cuda bf16",
      device: "cuda",
      options: {
        cudaGraphs: true,
        tf32: false,
        channelsLast: true,
        cudnnBenchmark: true,
        adam: "fused",
        clipGradNorm: 1,
      },
    })),
    "deno+libtorch cuda bf16, CUDA graphs, channels-last, cuDNN benchmark, Adam fused, clip-grad-norm 1",
  );
  assert.equal(
    runName(
      run({ label: "deno+libtorch cuda fp32", device: "cuda", options: { adam: "foreach" } }),
    ),
    "deno+libtorch cuda fp32",
  );
  assert.equal(
    runName(run({ label: "deno+libtorch cpu fp32", device: "cpu", options: { adam: "foreach" } })),
    "deno+libtorch cpu fp32, Adam foreach",
  );
  // Results written before the options existed carry none of them.
  assert.equal(
    runName(run({ label: "pytorch 2.11.0 cuda fp32", device: "cuda" })),
    "pytorch 2.11.0 cuda fp32",
  );
});

Deno.test("isPlainRun() is fp32 eager with the device's default Adam and nothing else", () => {
  assert.ok(isPlainRun(run({ label: "a", device: "cpu" })));
  assert.ok(
    isPlainRun(run({ label: "a", device: "cuda", options: { adam: "foreach", tf32: false } })),
  );
  assert.ok(!isPlainRun(run({ label: "a", device: "cpu", options: { adam: "foreach" } })));
  assert.ok(!isPlainRun(run({ label: "a", device: "cuda", options: { cudaGraphs: true } })));
  assert.ok(!isPlainRun(run({ label: "a", device: "cuda", precision: "bf16" })));
  assert.ok(!isPlainRun(run({ label: "a", device: "cpu", options: { clipGradNorm: 1 } })));
});
