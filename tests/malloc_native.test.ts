import "./_shim.ts"; // builds the shim on a fresh clone (as cargo test builds)
import assert from "node:assert/strict";
import * as t from "../src/ffi/mod.ts";
import { applyMalloc } from "../src/bench/baselines/malloc.ts";

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

/**
 * Whether this glibc refuses M_MXFAST (1) above MAX_FAST_SIZE (160 bytes on 64-bit), asked of libc
 * directly: 2.36 (Debian 12) refuses it; 2.43 (Debian unstable) refuses no setting at all. A
 * setting it takes is put back to glibc's default (128).
 */
function glibcRefusesLargeMxfast(): boolean {
  const libc = Deno.dlopen("libc.so.6", { mallopt: { parameters: ["i32", "i32"], result: "i32" } });
  try {
    const refused = libc.symbols.mallopt(1, 100000) === 0;
    if (!refused) libc.symbols.mallopt(1, 128);
    return refused;
  } finally {
    libc.close();
  }
}

Deno.test({
  name: "mallopt() answers a setting glibc refuses with a TorchError naming it",
  ignore: !glibcRefusesLargeMxfast(),
  fn() {
    assert.throws(
      () => t.mallopt(1, 100000),
      (e: Error) => e instanceof t.TorchError && /mallopt\(1, 100000\).*refused/.test(e.message),
    );
  },
});

Deno.test("mallopt() refuses a value outside a C int with a RangeError", () => {
  assert.throws(() => t.mallopt(-4, 2 ** 40), RangeError);
});
