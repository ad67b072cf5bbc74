/**
 * Every exported native function, called directly through FFI with NULL handles and zero
 * arguments, returns an error (or does nothing) and never takes the process down.
 */
import "./_shim.ts"; // builds the shim on a fresh clone (as cargo test builds)
import assert from "node:assert/strict";
import * as t from "../src/ffi/mod.ts";
import { errSlot, lib } from "../src/ffi/library.ts";
import { symbols } from "../src/ffi/symbols.ts";

/** Functions outside the `at_` group that return a tensor handle. */
const TENSOR_RESULTS = new Set([
  "ato_adam_state",
  "atr_rng_state",
  "ats_dict_tensor",
  "atgen_randperm",
  "atgen_state",
]);

type Sym = { parameters: readonly string[]; result: string };

const NO_CUDA_GRAPHS =
  /^CUDA graphs need a CUDA build of the shim; this one was built against a CPU-only libtorch \d+\.\d+/;

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
      // Seed 0 is a valid seed: atgen_new(0) makes a generator.
      else if (name === "atgen_new") lib().atgen_free(r as Deno.PointerObject);
      else if (name.startsWith("at_") || TENSOR_RESULTS.has(name)) {
        lib().at_free(r as Deno.PointerObject);
      } else assert.fail(`${name} returned an object that this test does not know how to free`);
    }
    const takesHandle = params[0] === "pointer" && !name.endsWith("_free") &&
      name !== "atr_free_string";
    if (takesHandle) {
      assert.ok(err !== null, `${name}(NULL, …) reports an error`);
      // A CPU-only build answers every CUDA graph call with why it cannot, before any handle.
      const cpuGraph = name.startsWith("atg_") && !t.cudaGraphsSupported();
      assert.match(
        err!,
        cpuGraph ? NO_CUDA_GRAPHS : /expected .*found NULL|NULL/,
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

/** Each prototype of torch_api.h as FFI types: name -> { parameters, result }. */
function headerPrototypes(header: string): Map<string, Sym> {
  const code = header.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\s+/g, " ");
  const out = new Map<string, Sym>();
  for (
    const m of code.matchAll(/([\w *]+?)\b((?:at|atr|ato|atg|ats|atgen|atd)_\w+)\(([^)]*)\);/g)
  ) {
    const params = m[3].trim() === "void" ? [] : m[3].split(",").map((p) =>
      // Drop the parameter's name: what is left is its C type.
      ffiType(p.trim().replace(/\w+$/, ""), false)
    );
    out.set(m[2], { parameters: params, result: ffiType(m[1], true) });
  }
  return out;
}

const SCALARS: Record<string, string> = {
  void: "void",
  int32_t: "i32",
  int64_t: "i64",
  uint64_t: "u64",
  size_t: "usize",
  double: "f64",
  at_tensor: "pointer",
  ato_adam: "pointer",
  atgen_generator: "pointer",
  atg_graph: "pointer",
  ats_dict: "pointer",
  atd_group: "pointer",
  atd_reducer: "pointer",
};

/**
 * The FFI type of a C type. Results that are pointers are "pointer"; a parameter that points is a
 * "buffer" (memory TypeScript owns: data, shapes, lists, names, the error slot) except a mutable
 * `char *`, which is a string the shim made and is handed back to be freed ("pointer").
 */
function ffiType(cType: string, result: boolean): string {
  const isConst = /\bconst\b/.test(cType);
  const bare = cType.replace(/\bconst\b/g, "").replace(/\s+/g, "");
  if (!bare.includes("*")) {
    if (!(bare in SCALARS)) throw new Error(`no FFI type for the C type ${cType}`);
    return SCALARS[bare];
  }
  if (result) return "pointer";
  return bare === "char*" && !isConst ? "pointer" : "buffer";
}

/** The symbols whose FFI types differ from the header's prototypes, named with both. */
function typeMismatches(header: string, table: Record<string, Sym>): string[] {
  const protos = headerPrototypes(header);
  const names = new Set([...protos.keys(), ...Object.keys(table)]);
  return [...names].sort().flatMap((name) => {
    const want = protos.get(name), have = table[name];
    if (!want || !have) {
      return [`${name}: ${want ? "missing from symbols.ts" : "not in torch_api.h"}`];
    }
    const w = JSON.stringify(want),
      h = JSON.stringify({ parameters: have.parameters, result: have.result });
    return w === h ? [] : [`${name}: expected ${w} (from torch_api.h), found ${h}`];
  });
}

const HEADER = Deno.readTextFileSync(new URL("../native/torch_api.h", import.meta.url));

Deno.test("the FFI symbol table declares exactly the functions of native/torch_api.h, with their types", () => {
  assert.deepStrictEqual(typeMismatches(HEADER, symbols as Record<string, Sym>), []);
  assert.strictEqual(headerPrototypes(HEADER).size, Object.keys(symbols).length);
});

Deno.test("the symbol table check catches a wrong parameter or result type", () => {
  const table = structuredClone(symbols) as unknown as Record<string, Sym>;
  table.at_shape = { parameters: ["pointer", "buffer", "i32", "buffer"], result: "i64" };
  table.at_item = { parameters: ["pointer", "buffer"], result: "f32" };
  table.atr_free_string = { parameters: ["buffer"], result: "void" };
  table.ats_load_pt = { parameters: ["pointer", "buffer"], result: "pointer" };
  const wrong = typeMismatches(HEADER, table).map((m) => m.split(":")[0]);
  assert.deepStrictEqual(wrong, ["at_item", "at_shape", "atr_free_string", "ats_load_pt"]);
});

Deno.test({
  name: "a CPU-only shim answers CudaGraph with a TorchError saying graphs need a CUDA build",
  ignore: t.cudaGraphsSupported(),
  fn: () => {
    assert.throws(() => new t.CudaGraph(), (e: unknown) => {
      assert.ok(e instanceof t.TorchError);
      assert.match(e.message, NO_CUDA_GRAPHS);
      assert.ok(e.message.endsWith(t.buildInfo().libtorch), "it names the libtorch release");
      return true;
    });
  },
});
