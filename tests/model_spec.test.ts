/**
 * The model as data, without libtorch: the GoogLeNet stage table traced to per-stage shapes and
 * parameter shapes, the Inception branch table, and trace()'s errors.
 */
import assert from "node:assert/strict";
import {
  bf16Stages,
  conv,
  googlenetParameterShapes,
  inception,
  maxPool,
  sequential,
  trace,
  traceGoogLeNet,
} from "../src/model/mod.ts";

Deno.test("traceGoogLeNet(28) gives every stage the shape the seed's forward() comments state", () => {
  const stages = traceGoogLeNet(28).children.map((c) => [c.path, c.output.join("x")]);
  assert.deepStrictEqual(stages, [
    ["conv1", "64x14x14"],
    ["maxpool1", "64x7x7"],
    ["conv2", "64x7x7"],
    ["conv3", "192x7x7"],
    ["maxpool2", "192x4x4"],
    ["inception3a", "256x4x4"],
    ["inception3b", "480x4x4"],
    ["maxpool3", "480x2x2"],
    ["inception4a", "512x2x2"],
    ["inception4b", "512x2x2"],
    ["inception4c", "512x2x2"],
    ["inception4d", "528x2x2"],
    ["inception4e", "832x2x2"],
    ["maxpool4", "832x1x1"],
    ["inception5a", "832x1x1"],
    ["inception5b", "1024x1x1"],
    ["avgpool", "1024x1x1"],
    ["flatten", "1024"],
    ["dropout", "1024"],
    ["fc", "10"],
  ]);
});

Deno.test("bf16Stages() picks the stages whose input is at least 4x4: the stem and Inception 3", () => {
  assert.deepStrictEqual([...bf16Stages()], [
    "conv1",
    "maxpool1",
    "conv2",
    "conv3",
    "maxpool2",
    "inception3a",
    "inception3b",
    "maxpool3",
  ]);
  // At 56x56 the 2x2 stages become 4x4: Inception 4 and its pool join.
  const wide = bf16Stages(56);
  assert.ok(wide.has("inception4e") && wide.has("maxpool4") && !wide.has("inception5a"));
});

Deno.test("googlenetParameterShapes() lists the seed's 116 tensors, 5,977,530 parameters, in state_dict order", () => {
  const shapes = googlenetParameterShapes();
  assert.strictEqual(shapes.length, 116);
  assert.strictEqual(
    shapes.reduce((n, [, s]) => n + s.reduce((a, d) => a * d, 1), 0),
    5_977_530,
  );
  assert.deepStrictEqual(shapes.slice(0, 2), [["conv1.weight", [64, 1, 7, 7]], ["conv1.bias", [
    64,
  ]]]);
  assert.deepStrictEqual(shapes.slice(-2), [["fc.weight", [10, 1024]], ["fc.bias", [10]]]);
  assert.deepStrictEqual(
    shapes.find(([n]) => n === "inception4e.branch3.2.weight"),
    ["inception4e.branch3.2.weight", [128, 32, 5, 5]],
  );
});

Deno.test("an Inception block registers its branches as the seed's nn.Sequential indices, ReLU at 1", () => {
  const block = trace(inception([1, 2, 3, 4, 5, 6]), [7, 3, 3]);
  assert.deepStrictEqual(block.output, [1 + 3 + 5 + 6, 3, 3]);
  const params = block.children.flatMap((b) =>
    b.children.length === 0 ? [b.path] : b.children.map((l) => `${l.path}:${l.spec.kind}`)
  );
  assert.deepStrictEqual(params, [
    "branch1",
    "branch2.0:conv",
    "branch2.1:relu",
    "branch2.2:conv",
    "branch3.0:conv",
    "branch3.1:relu",
    "branch3.2:conv",
    "branch4.0:maxpool",
    "branch4.1:conv",
  ]);
});

Deno.test("trace() names the layer an input is too small for, with what it expected and found", () => {
  assert.throws(
    () => trace(sequential(conv(4, 3), conv(4, 3)), [1, 4, 4]),
    { name: "RangeError", message: "1: expected a positive integer output height, found 0" },
  );
  assert.throws(
    () => traceGoogLeNet(0),
    {
      name: "RangeError",
      message: "conv1: expected a positive integer input dimension 1, found 0",
    },
  );
  assert.throws(
    () => trace(sequential({ kind: "linear", out: 2 }), [1, 4, 4]),
    { message: "0: expected a flat input, found [1, 4, 4]" },
  );
  assert.throws(
    () => trace(sequential({ kind: "flatten" }, conv(4, 1)), [1, 4, 4]),
    { message: "1: expected a C x H x W input, found [16]" },
  );
});

Deno.test("trace() rejects branches whose outputs cannot be concatenated", () => {
  const spec = {
    kind: "concat" as const,
    branches: [["a", conv(2, 1)], ["b", maxPool(3, { stride: 2, padding: 1 })]] as const,
  };
  assert.throws(
    () => trace(sequential(spec), [1, 4, 4]),
    { message: "0: expected branches of height 4 and width 4, found [1, 2, 2]" },
  );
});
