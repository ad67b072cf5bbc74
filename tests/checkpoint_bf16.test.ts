/**
 * Checkpoints of the bf16 precisions: the fp32 masters and Adam's moments are what a checkpoint
 * holds, and restoring them must refresh the bf16 copies the model computes with, or the resumed
 * steps would start from the fresh model's copies.
 */
import "./_shim.ts"; // builds the shim on a fresh clone (as cargo test builds)
import assert from "node:assert/strict";
import * as t from "../src/ffi/mod.ts";
import { type BatchRange, batchRanges } from "../src/data/mod.ts";
import { disposeDeviceData, Trainer, uploadDataset } from "../src/train/train.ts";
import {
  CheckpointError,
  loadCheckpoint,
  type Recipe,
  saveCheckpoint,
} from "../src/train/checkpoint.ts";
import { syntheticDataset } from "./_helpers.ts";

const dataset = syntheticDataset(200, 40);
const RECIPE = { batchSize: 16, lr: 1e-3, seed: 0, data: "synthetic", clipGradNorm: null };
const POSITION = {
  epochIndex: 0,
  stepInEpoch: 3,
  runningLoss: 0,
  epochSeconds: 0,
  epochs: [],
  elapsedSeconds: 0,
  timeToTargetSeconds: null,
  orderBefore: new Uint8Array(0),
};

/** Each of `ranges`' steps' loss; dropout draws from libtorch's default generator. */
function losses(trainer: Trainer, order: t.Tensor, ranges: BatchRange[]): number[] {
  return ranges.map((range) => {
    trainer.resetLossSum();
    trainer.step(order, range);
    return trainer.lossSum();
  });
}

for (const precision of ["bf16-pure", "bf16-hybrid"] as const) {
  Deno.test(`${precision}: a resumed trainer takes the same steps as the one that wrote the checkpoint`, () => {
    const before = t.liveTensors();
    const dir = Deno.makeTempDirSync();
    const data = uploadDataset(dataset, "cpu");
    const a = new Trainer(data, { lr: 1e-3, seed: 0, precision });
    const b = new Trainer(data, { lr: 1e-3, seed: 5, precision });
    const ranges = batchRanges(data.trainCount, 16);
    using gen = new t.Generator(0);
    const order = a.epochOrder(gen);
    try {
      losses(a, order, ranges.slice(0, 3));
      const path = `${dir}/ck.safetensors`;
      const recipe: Recipe = { ...RECIPE, precision };
      saveCheckpoint(path, a, { recipe, position: POSITION });
      const next = losses(a, order, ranges.slice(3, 6));
      const meta = loadCheckpoint(path, b, recipe); // also puts the dropout generator back
      assert.strictEqual(meta.adamSteps, 3);
      assert.deepStrictEqual(losses(b, order, ranges.slice(3, 6)), next);
    } finally {
      order.dispose();
      a.dispose();
      b.dispose();
      disposeDeviceData(data);
      Deno.removeSync(dir, { recursive: true });
    }
    assert.strictEqual(t.liveTensors(), before, "no tensor leaked");
  });
}

Deno.test("--resume refuses a checkpoint of another precision, naming both", () => {
  const dir = Deno.makeTempDirSync();
  const data = uploadDataset(dataset, "cpu");
  const a = new Trainer(data, { lr: 1e-3, seed: 0, precision: "bf16-hybrid" });
  const b = new Trainer(data, { lr: 1e-3, seed: 0 });
  try {
    const path = `${dir}/ck.safetensors`;
    const recipe: Recipe = { ...RECIPE, precision: "bf16-hybrid" };
    saveCheckpoint(path, a, { recipe, position: POSITION });
    assert.throws(() => loadCheckpoint(path, b, { ...RECIPE, precision: "fp32" }), (e) => {
      assert.ok(e instanceof CheckpointError);
      assert.match(e.message, /made with precision "bf16-hybrid", this run has "fp32"/);
      return true;
    });
    // A checkpoint from before precision was recorded is not checked for it.
    saveCheckpoint(path, a, { recipe: RECIPE, position: POSITION });
    assert.strictEqual(loadCheckpoint(path, b, recipe).adamSteps, 0);
  } finally {
    a.dispose();
    b.dispose();
    disposeDeviceData(data);
    Deno.removeSync(dir, { recursive: true });
  }
});
