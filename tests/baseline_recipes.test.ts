// The --baseline names and PyTorch's recipes (recipes.ts): one declaration per name, recorded in
// the run and read back, named by their labels; pure, no libtorch.
import assert from "node:assert/strict";
import { parseBenchArgs } from "../src/bench/cli.ts";
import { baselineNameOf, BASELINES, isPytorchBf16, recipeOptions } from "../src/result/recipes.ts";
import { stackName } from "../src/report/report.ts";
import { type BaselineName, CHOICES } from "../src/result/schema.ts";

Deno.test("--baseline takes PyTorch's recipes beside its fp32 recipe and the C++ worker", () => {
  const args = ["--steps", "4", "--baseline", "pytorch,pytorch-bf16,pytorch-bf16-pure,libtorch"];
  assert.deepEqual(parseBenchArgs(args, { cores: 2 }).baseline, [
    "pytorch",
    "pytorch-bf16",
    "pytorch-bf16-pure",
    "libtorch",
  ]);
  assert.deepEqual(Object.keys(BASELINES).sort(), [...CHOICES.baseline].sort());
});

Deno.test("each baseline's run records its recipe, from which its name is read back", () => {
  for (const name of CHOICES.baseline) {
    const { implementation } = BASELINES[name];
    const options = { torch: "1.13.1", tf32: false, ...recipeOptions(name) };
    assert.equal(baselineNameOf({ implementation, options }), name);
  }
  assert.deepEqual(recipeOptions("pytorch"), {}, "the seed's recipe records as before");
  assert.deepEqual(recipeOptions("pytorch-bf16"), {
    recipe: "bf16-autocast-cl",
    channelsLast: true,
  });
  assert.deepEqual(recipeOptions("pytorch-bf16-pure"), {
    recipe: "bf16-pure-cl",
    channelsLast: true,
  });
});

Deno.test("older baseline runs read as pytorch and libtorch; ours and unknown recipes as none", () => {
  assert.equal(
    baselineNameOf({ implementation: "pytorch", options: { torch: "1.13.1" } }),
    "pytorch",
  );
  assert.equal(baselineNameOf({ implementation: "libtorch", options: {} }), "libtorch");
  assert.equal(baselineNameOf({ implementation: "deno-libtorch", options: {} }), null);
  assert.equal(
    baselineNameOf({ implementation: "pytorch", options: { recipe: "fp16-magic" } }),
    null,
  );
});

Deno.test("reports name each baseline by its recipe's label, ours by its stack", () => {
  const label = (name: BaselineName) =>
    stackName({ implementation: BASELINES[name].implementation, options: recipeOptions(name) });
  assert.deepEqual(CHOICES.baseline.map(label), [
    "PyTorch",
    "PyTorch bf16 autocast+CL",
    "PyTorch pure bf16+CL (bf16 params)",
    "PyTorch bf16 hybrid+CL",
    "libtorch C++",
  ]);
  assert.equal(stackName({ implementation: "deno-libtorch", options: {} }), "deno+libtorch");
  assert.equal(
    stackName({ implementation: "pytorch", options: { recipe: "fp16-magic" } }),
    "PyTorch",
  );
});

Deno.test("PyTorch's bf16 recipes are the autocast and pure bf16 ones", () => {
  assert.deepEqual(CHOICES.baseline.filter(isPytorchBf16), ["pytorch-bf16", "pytorch-bf16-pure"]);
});
