// The --baseline names and PyTorch's recipes (recipes.ts): one declaration per name, recorded in
// the run and read back, named by their labels; pure, no libtorch.
import assert from "node:assert/strict";
import { parseBenchArgs } from "../src/bench/entry/cli.ts";
import { baselineNameOf, BASELINES, isPytorchBf16, recipeOptions } from "../src/result/recipes.ts";
import { stackName } from "../src/report/report.ts";
import { compiledBaselineProblem } from "../src/bench/entry/options.ts";
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
    "PyTorch fp32 torch.compile",
    "libtorch C++",
    "ours fp32 (worker)",
    "ours bf16 hybrid+CL (worker)",
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

Deno.test("pytorch-compile needs torch 2.x: a one-line refusal names the version found", () => {
  const py = "/usr/bin/python3";
  assert.equal(
    compiledBaselineProblem(["pytorch", "pytorch-compile"], "1.13.1", py),
    "--baseline pytorch-compile: torch.compile needs torch >= 2.0, found torch 1.13.1 " +
      "(/usr/bin/python3)",
  );
  assert.match(
    compiledBaselineProblem(["pytorch-compile"], null, py)!,
    /found no importable torch in \/usr\/bin\/python3/,
  );
  assert.equal(compiledBaselineProblem(["pytorch-compile"], "2.14.0", py), null);
  assert.equal(compiledBaselineProblem(["pytorch"], "1.13.1", py), null, "only compiled ones");
  assert.equal(compiledBaselineProblem(null, null, py), null);
});

const BENCH_MAIN = new URL("../src/bench/entry/main.ts", import.meta.url).pathname;

Deno.test("--baseline pytorch-compile on torch 1.x exits 2 before training, with one line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A stand-in interpreter whose torch is 1.13.1, whatever torch this machine has.
    const python = `${dir}/python`;
    await Deno.writeTextFile(python, "#!/bin/sh\necho 1.13.1\n");
    await Deno.chmod(python, 0o755);
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        BENCH_MAIN,
        "--device",
        "cpu",
        "--steps",
        "1",
        "--baseline",
        "pytorch-compile",
        "--out",
        `${dir}/out`,
        "--no-progress",
      ],
      env: { TORCH_PYTHON: python },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(r.stderr);
    assert.equal(r.code, 2, stderr);
    const errors = stderr.split("\n").filter((l) => l.startsWith("error: "));
    assert.deepEqual(errors, [
      `error: --baseline pytorch-compile: torch.compile needs torch >= 2.0, found torch 1.13.1 (${python})`,
    ]);
    assert.ok(!stderr.includes("== deno+libtorch"), "nothing trained");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
