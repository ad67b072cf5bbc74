/**
 * `deno task bench --nproc 2` on a tiny IDX set writes `runs[].distributed`: 2 gloo ranks at 1
 * thread each, every rank's step median, an all-reduce share in [0, 1), and the single-rank
 * reference measured in the same invocation (interleaved), whose efficiency is the ranks'
 * images/s over 2 × its own; the markdown has the data-parallel section. Before the
 * breakdown took the trainer's ranges, a rank's breakdown stepped past its shard and failed.
 * With `--baseline pytorch`, PyTorch DDP (2 processes of baselines/pytorch_ddp.py) is the
 * baseline run, with a `distributed` record of its own.
 */
import "./_shim.ts";
import assert from "node:assert/strict";
import { hasPythonTorch } from "./_helpers.ts";
import { benchTwoRanks } from "./_dist.ts";
import { parseBenchResult } from "../src/result/schema.ts";

/** Two ranks with `flags` after a 1 + 4-step window: the validated result and its markdown. */
async function bench(flags: string[]) {
  const run = await benchTwoRanks(["--no-progress", "--steps", "4", "--warmup", "1", ...flags]);
  assert.strictEqual(run.code, 0, run.stderr);
  return { result: parseBenchResult(run.json), md: run.md! };
}

Deno.test("--nproc 2 writes runs[].distributed with the ranks, the share and the efficiency", async () => {
  {
    const { result, md } = await bench(["--breakdown-steps", "1"]);
    const [r] = result.runs;
    const d = r.distributed!;
    assert.ok(d, "runs[0].distributed");
    assert.deepStrictEqual([d.worldSize, d.backend, d.threadsPerRank], [2, "gloo", 1]);
    assert.strictEqual(d.perRankStepMedianMs.length, 2);
    assert.strictEqual(d.perRankStepMedianMs[0], r.stepMs.median, "rank 0's median is the run's");
    assert.ok(d.perRankStepMedianMs.every((m) => m !== null && m > 0 && Number.isFinite(m)));
    assert.ok(d.allreduceShare !== null && d.allreduceShare >= 0 && d.allreduceShare < 1);
    const one = d.singleRank!;
    assert.deepStrictEqual([one.batchSize, one.schedule, one.stepMs.count], [32, "interleaved", 4]);
    assert.ok(
      Math.abs(d.scalingEfficiency! - r.imagesPerSecond / (2 * one.imagesPerSecond)) < 1e-9,
    );
    assert.ok(d.scalingEfficiency! > 0 && d.scalingEfficiency! < 2, `${d.scalingEfficiency}`);
    assert.ok(r.breakdown !== undefined, "a rank's breakdown ran on its shard");
    assert.match(md, /### Data-parallel ranks/);
    assert.match(md, /\| 2 \(gloo\) \| 1 \|/);
  }
});

Deno.test({
  name:
    "--nproc 2 --baseline pytorch: PyTorch DDP is the baseline, with its own distributed record",
  ignore: !hasPythonTorch(),
  fn: async () => {
    const { result, md } = await bench(["--breakdown-steps", "0", "--baseline", "pytorch"]);
    const base = result.runs[0].baseline!;
    assert.strictEqual(base.implementation, "pytorch");
    assert.strictEqual(base.stepMs.count, 4, "the same timed window");
    const d = base.distributed!;
    assert.deepStrictEqual([d.worldSize, d.backend, d.threadsPerRank], [2, "gloo", 1]);
    assert.strictEqual(d.perRankStepMedianMs.length, 2);
    assert.ok(d.allreduceShare !== null && d.allreduceShare >= 0 && d.allreduceShare < 1);
    assert.strictEqual(d.singleRank?.batchSize, 32);
    assert.ok(d.scalingEfficiency! > 0 && d.scalingEfficiency! < 2, `${d.scalingEfficiency}`);
    assert.strictEqual(md.match(/\| 2 \(gloo\) \| 1 \|/g)?.length, 2, "both rows in the table");
  },
});
