/**
 * Cost of crossing the FFI boundary: `deno bench -A benches/` (or `deno task microbench`).
 * Speed is measured here, never in timed tests.
 */
import * as t from "../src/ffi/mod.ts";
import { lib } from "../src/ffi/library.ts";

const shim = lib();
const x = t.fromHost(new Float32Array(64).map((_, i) => i - 32), [64]);
const big = t.zeros([64, 192, 4, 4]);

Deno.bench(
  "FFI call without arguments (atr_live_tensors)",
  { group: "ffi", baseline: true },
  () => {
    shim.atr_live_tensors();
  },
);

Deno.bench("FFI call with a handle and the error check (Tensor.numel)", { group: "ffi" }, () => {
  x.numel;
});

Deno.bench("small op: relu of 64 floats, Tensor made and disposed", { group: "op" }, () => {
  t.relu(x).dispose();
});

Deno.bench("small op inside a scope (3 temporaries)", { group: "op" }, () => {
  t.scope(() => t.sum(t.relu(t.add(x, x))));
});

Deno.bench("max_pool2d 3x3 on 64x192x4x4 (an Inception branch input)", { group: "op" }, () => {
  t.maxPool2d(big, 3, { stride: 1, padding: 1 }).dispose();
});
