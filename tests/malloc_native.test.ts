import "./_shim.ts"; // builds the shim on a fresh clone (as cargo test builds)
import assert from "node:assert/strict";
import * as t from "../src/ffi/mod.ts";
import { applyMalloc } from "../src/bench/malloc.ts";

Deno.test("applyMalloc('pinned') sets glibc's parameters through the shim, and training still runs", () => {
  applyMalloc("pinned");
  const before = t.liveTensors();
  {
    using a = t.zeros([64, 192, 28, 28]); // 38.5 MB: above glibc's largest mmap threshold
    using b = t.mul(a, a);
    assert.strictEqual(b.shape.join("x"), "64x192x28x28");
  }
  assert.strictEqual(t.liveTensors(), before);
});

Deno.test("mallopt() answers a setting glibc refuses with a TorchError naming it", () => {
  // M_MXFAST (1) above MAX_FAST_SIZE (160 bytes on 64-bit) is refused.
  assert.throws(
    () => t.mallopt(1, 100000),
    (e: Error) => e instanceof t.TorchError && /mallopt\(1, 100000\).*refused/.test(e.message),
  );
  assert.throws(() => t.mallopt(-4, 2 ** 40), RangeError);
});
