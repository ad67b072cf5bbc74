/**
 * The shim's first steps on a device through Deno, the same as native/bench/shim_probe.cpp takes
 * from a plain C++ process: scripts/gpu-bench.sh runs both before any CUDA run, so that a crash
 * says whether it is the process (Deno's V8) or the shim and libtorch. Each step is printed before
 * it is taken; exit 0 when all pass.
 *
 *   deno run -A scripts/cuda_probe.ts [DEVICE]      DEVICE: cpu or cuda:k (default cuda:0)
 *
 * @module
 */
import * as t from "../src/ffi/mod.ts";

const device = (Deno.args[0] ?? "cuda:0") as t.Device;
const step = (what: string) => console.error(`cuda_probe: ${what}`);

step("build info");
console.error(JSON.stringify(t.buildInfo()));
t.scope(() => {
  step("tensors on the CPU");
  const xCpu = t.fromHost(new Float32Array(2 * 3 * 8 * 8).fill(1), [2, 3, 8, 8]);
  const wCpu = t.fromHost(new Float32Array(4 * 3 * 3 * 3).fill(0.5), [4, 3, 3, 3]);
  step(`to ${device}`);
  const x = t.to(xCpu, device);
  const w = t.setRequiresGrad(t.to(wCpu, device));
  step("conv2d");
  const y = t.conv2d(x, w, null);
  step("back to the host");
  const y0 = (t.toHost(t.to(y, "cpu")) as Float32Array)[0];
  step("backward");
  t.backward(t.sum(y));
  const g = t.item(t.sum(t.grad(w)!));
  // Each of the 108 weights meets 2 images x 36 output pixels of ones: a gradient of 72 each.
  const expected = 72 * 4 * 3 * 3 * 3;
  step(`y[0] = ${y0} (expected 13.5), sum of the weight gradient = ${g} (expected ${expected})`);
  if (y0 !== 13.5 || g !== expected) Deno.exit(1);
});
step("ok");
