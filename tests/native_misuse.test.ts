/**
 * Every exported native function, called directly through FFI with NULL handles and zero
 * arguments, returns an error (or does nothing) and never takes the process down.
 */
import assert from "node:assert/strict";
import * as t from "../src/ffi/mod.ts";
import { errSlot, lib } from "../src/ffi/library.ts";
import { symbols } from "../src/ffi/symbols.ts";

/** Functions outside the `at_` group that return a tensor handle. */
const TENSOR_RESULTS = new Set(["ato_adam_state", "atr_rng_state", "ats_dict_tensor"]);

type Sym = { parameters: readonly string[]; result: string };

function takeError(): string | null {
  if (errSlot[0] === 0n) return null;
  const p = Deno.UnsafePointer.create(errSlot[0]);
  errSlot[0] = 0n;
  const msg = Deno.UnsafePointerView.getCString(p!);
  lib().atr_free_string(p);
  return msg;
}

Deno.test("every native function survives NULL handles and zero arguments", () => {
  const shim = lib() as unknown as Record<string, (...a: unknown[]) => unknown>;
  const before = t.liveTensors();
  const handled: string[] = [];
  // Zero arguments also switch autograd off (atr_set_grad_enabled(0)) and change the thread count;
  // that state is per thread, and Deno may run a later test file on this thread, so put it back.
  const grad = t.setGradEnabled(true);
  t.setGradEnabled(grad);
  const threads = t.getNumThreads();
  try {
    callEach(shim, handled);
  } finally {
    t.setGradEnabled(grad);
    t.setNumThreads(threads);
  }
  assert.strictEqual(handled.length, Object.keys(symbols).length);
  assert.strictEqual(t.liveTensors(), before, "no handle leaked");
});

function callEach(shim: Record<string, (...a: unknown[]) => unknown>, handled: string[]): void {
  for (const [name, s] of Object.entries(symbols as Record<string, Sym>)) {
    const params = s.parameters;
    // Every function that can fail takes `char **err` last; all other buffers and handles are NULL.
    const args = params.map((p, i) => {
      if (i === params.length - 1 && p === "buffer") return errSlot;
      if (p === "pointer" || p === "buffer") return null;
      if (p === "i64" || p === "u64" || p === "usize") return 0n;
      return 0;
    });
    const r = shim[name](...args);
    const err = takeError();
    if (s.result === "pointer" && r !== null) {
      if (name === "atr_build_info") lib().atr_free_string(r as Deno.PointerObject);
      else if (name.startsWith("at_") || TENSOR_RESULTS.has(name)) {
        lib().at_free(r as Deno.PointerObject);
      } else assert.fail(`${name} returned an object that this test does not know how to free`);
    }
    const takesHandle = params[0] === "pointer" && !name.endsWith("_free") &&
      name !== "atr_free_string";
    if (takesHandle) {
      assert.ok(err !== null, `${name}(NULL, …) reports an error`);
      assert.match(
        err!,
        /expected .*found NULL|NULL/,
        `${name}: the message names the NULL handle`,
      );
    }
    handled.push(name);
  }
}

Deno.test("native functions reject wrong shapes and values with libtorch's message", () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      "conv2d with channels that do not match",
      () => t.conv2d(t.zeros([1, 3, 8, 8]), t.zeros([4, 2, 3, 3]), null),
      /channels|expected/i,
    ],
    [
      "max_pool2d with a kernel larger than the input",
      () => t.maxPool2d(t.zeros([1, 1, 2, 2]), 5),
      /size|small|Output/i,
    ],
    [
      "cat of tensors with different shapes",
      () => t.cat([t.zeros([2, 3]), t.zeros([3, 4])], 1),
      /size|match/i,
    ],
    [
      "view to an impossible shape",
      () => t.view(t.zeros([2, 3]), [4, 4]),
      /invalid for input of size 6/,
    ],
    [
      "cross_entropy with labels out of range",
      () => t.crossEntropy(t.zeros([2, 10]), t.fromHost(new BigInt64Array([0n, 11n]), [2])),
      /out of bounds|Target/i,
    ],
    ["narrow past the end", () => t.narrow(t.zeros([4]), 0, 3, 5), /exceeds|start|length/i],
    ["item of a tensor with many elements", () => t.item(t.zeros([3])), /one element|elements/i],
    ["dropout with p > 1", () => t.dropout(t.zeros([3]), 1.5, true), /expected 0 <= p <= 1/],
    ["Adam with lr 0", () => new t.Adam([t.zeros([1])], { lr: 0 }), /expected lr > 0/],
    [
      "index_select with a float index",
      () => t.indexSelect(t.zeros([4]), 0, t.zeros([2])),
      /index|Long|Int/i,
    ],
    ["a CUDA tensor without CUDA", () => t.zeros([2], { device: "cuda:0" }), /CUDA|cuda/],
  ];
  const before = t.liveTensors();
  for (const [what, fn, re] of cases) {
    t.scope(() => {
      assert.throws(fn, (e: Error) => e instanceof t.TorchError && re.test(e.message), what);
    });
  }
  assert.strictEqual(t.liveTensors(), before);
  // The process is still healthy.
  t.scope(() => assert.strictEqual(t.item(t.sum(t.fromHost(new Float32Array([1, 2, 3]), [3]))), 6));
});

Deno.test("the FFI symbol table declares exactly the functions of native/torch_api.h", () => {
  const header = Deno.readTextFileSync(new URL("../native/torch_api.h", import.meta.url));
  const declared = new Set(
    [...header.matchAll(/^[a-z_ *0-9]*?\b((?:at|atr|ato|atg|ats)_[a-z0-9_]+)\(/gm)].map((m) =>
      m[1]
    ),
  );
  assert.deepStrictEqual([...declared].sort(), Object.keys(symbols).sort());
});
