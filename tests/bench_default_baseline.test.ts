// Which baseline `deno task bench` runs when --baseline is not given (src/bench/baselines/default_baseline.ts):
// pure, the PyTorch check injected.
import assert from "node:assert/strict";
import { parseBenchArgs } from "../src/bench/entry/cli.ts";
import { baselineGiven, withDefaultBaseline } from "../src/bench/baselines/default_baseline.ts";

/** withDefaultBaseline() over `args`, PyTorch importable or not; what it logged, and the checks. */
async function choose(args: string[], importable: boolean) {
  const logged: string[] = [];
  let checks = 0;
  const config = await withDefaultBaseline(parseBenchArgs(args, { cores: 2 }), args, {
    importable: () => (checks++, Promise.resolve(importable)),
    log: (line) => logged.push(line),
  });
  return { baseline: config.baseline, logged, checks };
}

Deno.test("bench with no --baseline runs PyTorch paired where it imports, saying how to turn it off", async () => {
  const { baseline, logged } = await choose([], true);
  assert.deepEqual(baseline, ["pytorch"]);
  assert.deepEqual(logged, [
    "bench: PyTorch runs beside ours, paired, as the baseline (--baseline none turns it off)",
  ]);
});

Deno.test("bench with no --baseline runs none where PyTorch does not import, saying why", async () => {
  const { baseline, logged } = await choose(["--steps", "20"], false);
  assert.equal(baseline, null);
  assert.equal(logged.length, 1);
  assert.match(logged[0], /^bench: no baseline: \S+ cannot import torch \(install python3-torch/);
});

Deno.test("an explicit --baseline wins over the default, none included, without the check", async () => {
  assert.deepEqual(await choose(["--baseline", "none"], true), {
    baseline: null,
    logged: [],
    checks: 0,
  });
  assert.deepEqual(await choose(["--baseline=libtorch"], true), {
    baseline: ["libtorch"],
    logged: [],
    checks: 0,
  });
});

Deno.test("the default baseline needs a timed window on one process and no resume", async () => {
  for (
    const args of [
      ["--epochs", "1"],
      ["--nproc", "2"],
      ["--resume", "x.safetensors", "--steps", "5"],
    ]
  ) {
    const { baseline, checks } = await choose(args, true);
    assert.equal(baseline, null, args.join(" "));
    assert.equal(checks, 0, args.join(" "));
  }
});

Deno.test("baselineGiven() finds --baseline in either spelling only", () => {
  assert.equal(baselineGiven(["--baseline", "pytorch"]), true);
  assert.equal(baselineGiven(["--baseline=none"]), true);
  assert.equal(baselineGiven(["--baselines", "--steps", "5"]), false);
});
