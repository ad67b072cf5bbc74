// native/bench/googlenet_worker.cpp builds the seed's GoogLeNet in C++ from a table of its own;
// this holds that table to src/model/architecture.ts's, the one declaration of the model: the
// same parameters under the same names, with the same shapes, in the same order. (The worker's
// first losses equal PyTorch's in tests/libtorch_worker.test.ts, which checks the forward.)
import assert from "node:assert/strict";
import { googlenetParameterShapes } from "../src/model/mod.ts";

const WORKER = Deno.readTextFileSync(
  new URL("../native/bench/googlenet_worker.cpp", import.meta.url),
);

/** `register_module("name", torch::nn::Conv2d(Conv2dOptions(in, out, k)…))` → [name, args]. */
function convsIn(source: string): [string, string[]][] {
  const re = /register_module\("(\w+)", torch::nn::Conv2d\(Conv2dOptions\(([^)]*)\)/g;
  return [...source.matchAll(re)].map((m) => [m[1], m[2].split(",").map((s) => s.trim())]);
}

/** The worker's parameters as state_dict names and shapes, in registration order. */
function workerParameterShapes(): [string, number[]][] {
  const inceptionCtor = WORKER.slice(WORKER.indexOf("InceptionImpl("), WORKER.indexOf("forward("));
  const top = WORKER.slice(WORKER.indexOf("GoogLeNetImpl() {"));
  const stages = [...top.matchAll(/\{"(inception\w+)", \{([\d, ]+)\}\}/g)]
    .map((m) => [m[1], m[2].split(",").map(Number)] as const);
  const conv = (name: string, [cin, cout, k]: number[]): [string, number[]][] => [
    [`${name}.weight`, [cout, cin, k, k]],
    [`${name}.bias`, [cout]],
  ];
  const out: [string, number[]][] = [];
  for (const [name, args] of convsIn(top).filter(([n]) => n.startsWith("conv"))) {
    out.push(...conv(name, args.map(Number)));
  }
  const symbols = ["in", "o1", "r3", "o3", "r5", "o5", "pool"];
  for (const [stage, values] of stages) {
    const value = (s: string) => /^\d+$/.test(s) ? Number(s) : values[symbols.indexOf(s)];
    for (const [branch, args] of convsIn(inceptionCtor)) {
      out.push(...conv(`${stage}.${branch.replace("_", ".")}`, args.map(value)));
    }
  }
  const fc = top.match(/torch::nn::Linear\((\d+), (\d+)\)/)!;
  out.push(["fc.weight", [Number(fc[2]), Number(fc[1])]], ["fc.bias", [Number(fc[2])]]);
  return out;
}

Deno.test("the C++ worker's GoogLeNet table gives architecture.ts's parameters, names and shapes", () => {
  assert.deepEqual(workerParameterShapes(), googlenetParameterShapes());
});

Deno.test("the worker table check fails when one inception channel count differs", () => {
  const shapes = workerParameterShapes();
  const i = shapes.findIndex(([n]) => n === "inception4b.branch3.0.weight");
  shapes[i] = [shapes[i][0], [25, ...shapes[i][1].slice(1)]];
  assert.notDeepEqual(shapes, googlenetParameterShapes());
});
