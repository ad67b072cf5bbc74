// Our own step as a paired baseline (src/bench/baselines/self_worker.ts, --baseline deno-fp32 and
// deno-bf16-hybrid) end to end through the CLI on a tiny IDX set: the worker must train exactly
// what our in-process trainer trains, so that a paired ratio between two configurations of ours
// measures the configuration alone. Needs libtorch.
import assert from "node:assert/strict";
import { baselineNameOf, BASELINES } from "../src/result/recipes.ts";
import { SELF_BASELINES } from "../src/bench/baselines/self_worker.ts";
import { benchOnTinyData } from "./_bench_run.ts";

/** A paired window of 3 rounds of 2 steps per side, batches of 8. */
const WINDOW = ["--steps", "6", "--window-steps", "2", "--warmup", "1", "--batch-size", "8"];

Deno.test("the self worker serves exactly the baselines whose stack is ours", () => {
  assert.deepEqual(SELF_BASELINES, ["deno-fp32", "deno-bf16-hybrid"]);
  for (const name of SELF_BASELINES) assert.equal(BASELINES[name].implementation, "deno-libtorch");
});

Deno.test("--baseline deno-fp32 trains the same steps as ours in fp32: equal losses, step for step", async () => {
  await benchOnTinyData([...WINDOW, "--baseline", "deno-fp32"], ({ result, stdout }) => {
    const run = result.runs[0];
    const b = run.baseline!;
    assert.equal(b.implementation, "deno-libtorch");
    assert.equal(baselineNameOf(b), "deno-fp32");
    assert.equal(baselineNameOf(run), null, "expected our own run to stay ours");
    assert.equal(b.paired?.rounds, 3);
    assert.equal(b.stepLosses?.length, 7);
    assert.deepEqual(b.stepLosses, run.stepLosses);
    assert.match(stdout, /from ours fp32 \(worker\)|than ours fp32 \(worker\)/);
  });
});

Deno.test("--precision bf16-hybrid beside --baseline deno-bf16-hybrid: the worker takes the recipe's precision", async () => {
  const args = [
    ...WINDOW,
    "--precision",
    "bf16-hybrid",
    "--baseline",
    "deno-bf16-hybrid,deno-fp32",
  ];
  await benchOnTinyData(args, ({ result }) => {
    const run = result.runs[0];
    const [hybrid, fp32] = [run.baseline!, ...(run.moreBaselines ?? [])];
    assert.equal(baselineNameOf(hybrid), "deno-bf16-hybrid");
    assert.equal(hybrid.precision, "bf16-hybrid");
    assert.equal(fp32.precision, "fp32");
    // The same bf16 split on both sides trains the same steps; fp32 does not.
    assert.deepEqual(hybrid.stepLosses, run.stepLosses);
    assert.notDeepEqual(fp32.stepLosses, run.stepLosses);
  });
});
