import assert from "node:assert/strict";
import * as t from "../src/ffi/mod.ts";
import { type BatchRange, batchRanges, type Dataset, Rng } from "../src/data/mod.ts";
import { disposeDeviceData, Trainer, uploadDataset } from "../src/bench/train.ts";

/** A small synthetic data set: class k images are bright in row band k. */
function synthetic(count: number): Dataset["train"] {
  const images = new Uint8Array(count * 28 * 28);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const k = i % 10;
    labels[i] = k;
    for (let r = 2 * k; r < 2 * k + 4; r++) {
      for (let c = 0; c < 28; c++) images[i * 784 + r * 28 + c] = 200 + (i % 50);
    }
  }
  return { images, labels, count, rows: 28, cols: 28 };
}

/** One step's loss, read from the trainer's device-side sum. */
function stepLoss(trainer: Trainer, order: t.Tensor, range: BatchRange): number {
  trainer.resetLossSum();
  trainer.step(order, range);
  return trainer.lossSum();
}

const dataset: Dataset = {
  name: "synthetic",
  dir: "",
  train: synthetic(400),
  test: synthetic(100),
};

Deno.test("training on a learnable synthetic set lowers the loss and raises test accuracy", () => {
  const data = uploadDataset(dataset, "cpu");
  const trainer = new Trainer(data, { lr: 1e-3, seed: 0 });
  try {
    const rng = new Rng(1);
    const ranges = batchRanges(data.trainCount, 20);
    const acc0 = trainer.evaluate();
    const losses: number[] = [];
    for (let epoch = 0; epoch < 5; epoch++) {
      const order = trainer.epochOrder(rng);
      for (const r of ranges) {
        losses.push(stepLoss(trainer, order, r));
      }
      order.dispose();
    }
    const acc = trainer.evaluate();
    const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
    assert.ok(last < first, `loss fell: first ${first}, last ${last}`);
    assert.ok(acc > acc0 && acc >= 0.5, `accuracy rose from ${acc0} to ${acc}`);
  } finally {
    trainer.dispose();
    disposeDeviceData(data);
  }
});

Deno.test("the same seed gives the same losses; another seed gives others", () => {
  const run = (seed: number) => {
    const data = uploadDataset(dataset, "cpu");
    const trainer = new Trainer(data, { lr: 1e-3, seed });
    try {
      const order = trainer.epochOrder(new Rng(seed));
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
