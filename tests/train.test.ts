import "./_shim.ts"; // builds the shim on a fresh clone (as cargo test builds)
import assert from "node:assert/strict";
import * as t from "../src/ffi/mod.ts";
import { type BatchRange, batchRanges } from "../src/data/mod.ts";
import { disposeDeviceData, Trainer, uploadDataset } from "../src/train/train.ts";
import { syntheticDataset } from "./_helpers.ts";

/** One step's loss, read from the trainer's device-side sum. */
function stepLoss(trainer: Trainer, order: t.Tensor, range: BatchRange): number {
  trainer.resetLossSum();
  trainer.step(order, range);
  return trainer.lossSum();
}

const dataset = syntheticDataset(400, 100);

Deno.test("training on a learnable synthetic set lowers the loss and raises test accuracy", () => {
  // One thread: the trajectory then depends on the seed and the libtorch release only.
  t.setNumThreads(1);
  const data = uploadDataset(dataset, "cpu");
  const trainer = new Trainer(data, { lr: 1e-3, seed: 0 });
  try {
    using gen = new t.Generator(1);
    const ranges = batchRanges(data.trainCount, 20);
    const acc0 = trainer.evaluate();
    const losses: number[] = [];
    const accs: number[] = [];
    for (let epoch = 0; epoch < 5; epoch++) {
      const order = trainer.epochOrder(gen);
      for (const r of ranges) {
        losses.push(stepLoss(trainer, order, r));
      }
      order.dispose();
      accs.push(trainer.evaluate());
    }
    const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
    assert.ok(last < first, `loss fell: first ${first}, last ${last}`);
    // Chance is 0.1. The seed's recipe (Adam 1e-3, dropout) swings on this tiny set: with the
    // randperm order on libtorch 1.13 the five epochs' accuracies were 0.1 0.2 0.2 0.24 0.62 on
    // one thread (0.1 0.24 0.34 0.3 0.24 on two), so the best epoch, not the last, is checked;
    // 0.3 tells learning from noise without betting on one trajectory.
    const best = Math.max(...accs);
    assert.ok(best > acc0 && best >= 0.3, `accuracy rose from ${acc0} to ${accs} (chance 0.1)`);
  } finally {
    trainer.dispose();
    disposeDeviceData(data);
    t.setNumThreads(navigator.hardwareConcurrency);
  }
});

Deno.test("the same seed gives the same losses; another seed gives others", () => {
  const run = (seed: number) => {
    const data = uploadDataset(dataset, "cpu");
    const trainer = new Trainer(data, { lr: 1e-3, seed });
    try {
      using gen = new t.Generator(seed);
      const order = trainer.epochOrder(gen);
      const out = batchRanges(data.trainCount, 8).slice(0, 3).map((r) => {
        return stepLoss(trainer, order, r);
      });
      order.dispose();
      return out;
    } finally {
      trainer.dispose();
      disposeDeviceData(data);
    }
  };
  t.setNumThreads(1);
  try {
    assert.deepStrictEqual(run(3), run(3));
    assert.notDeepStrictEqual(run(3), run(4));
  } finally {
    t.setNumThreads(navigator.hardwareConcurrency);
  }
});
