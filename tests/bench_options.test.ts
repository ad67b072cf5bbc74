import assert from "node:assert/strict";
import { speedOptionProblem, versionAtLeast } from "../src/bench/entry/options.ts";
import { defaultAdam } from "../src/result/schema.ts";

const PLAIN = { tf32: false, cudaGraphs: false, cudnnBenchmark: false, adam: "auto" } as const;

Deno.test("versionAtLeast() compares libtorch's major.minor, local suffixes included", () => {
  assert.ok(versionAtLeast("2.11.0+cu130", 2, 4));
  assert.ok(versionAtLeast("2.4.0", 2, 4));
  assert.ok(!versionAtLeast("2.3.1", 2, 4));
  assert.ok(!versionAtLeast("1.13.0", 2, 4));
  assert.ok(versionAtLeast("3.0", 2, 4));
  assert.ok(!versionAtLeast("unknown", 0, 0));
});

Deno.test("speedOptionProblem() accepts the plain run and every option on CUDA", () => {
  assert.strictEqual(speedOptionProblem(PLAIN, ["cpu"], "1.13.0"), null);
  assert.strictEqual(
    speedOptionProblem(
      { tf32: true, cudaGraphs: true, cudnnBenchmark: true, adam: "fused" },
      ["cuda"],
      "1.13.0",
    ),
    null,
  );
});

Deno.test("speedOptionProblem() refuses the CUDA-only switches on a CPU run, naming the flag", () => {
  for (
    const [key, flag] of [
      ["tf32", "--tf32"],
      ["cudaGraphs", "--cuda-graphs"],
      ["cudnnBenchmark", "--cudnn-benchmark"],
    ] as const
  ) {
    assert.strictEqual(
      speedOptionProblem({ ...PLAIN, [key]: true }, ["cpu"], "2.11.0"),
      `${flag} applies to CUDA only: expected --device cuda, found a run on the CPU (--device cpu)`,
    );
  }
  assert.match(
    speedOptionProblem({ ...PLAIN, tf32: true }, ["cuda", "cpu"], "2.11.0")!,
    /\(--device all\)$/,
  );
});

Deno.test("speedOptionProblem() allows fused Adam on the CPU only from libtorch 2.4", () => {
  const fused = { ...PLAIN, adam: "fused" } as const;
  assert.strictEqual(
    speedOptionProblem(fused, ["cpu"], "1.13.0"),
    "--adam fused runs on CUDA, or on the CPU from libtorch 2.4: found libtorch 1.13.0 and a run on the CPU",
  );
  assert.strictEqual(speedOptionProblem(fused, ["cpu"], "2.4.0"), null);
});

Deno.test("defaultAdam() is torch.optim.Adam's default: the loop on the CPU, foreach on CUDA", () => {
  assert.strictEqual(defaultAdam("cpu"), "single");
  assert.strictEqual(defaultAdam("cuda"), "foreach");
});
