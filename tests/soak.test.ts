/**
 * Soak: many training steps on small batches with the live-tensor count flat and resident memory
 * steady. SOAK_STEPS=N runs longer (default 1,000, about half a minute).
 */
import "./_shim.ts"; // builds the shim on a fresh clone (as cargo test builds)
import assert from "node:assert/strict";
import * as t from "../src/ffi/mod.ts";
import { batchRanges } from "../src/data/mod.ts";
import { disposeDeviceData, Trainer, uploadDataset } from "../src/train/train.ts";
import { syntheticDataset } from "./_helpers.ts";

const STEPS = Number(Deno.env.get("SOAK_STEPS") ?? 1000);
const BATCH = 2;

function rssBytes(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
  return m ? Number(m[1]) * 1024 : NaN;
}

Deno.test(`${STEPS} training steps keep the live-tensor count flat (step 10 = step 500 = the last) and RSS within 5% after step 100`, () => {
  const start = t.liveTensors();
  const data = uploadDataset(syntheticDataset(256, 20), "cpu");
  const trainer = new Trainer(data, { lr: 1e-3, seed: 0 });
  using rng = new t.Generator(0);
  const ranges = batchRanges(data.trainCount, BATCH);
  let order = trainer.epochOrder(rng);
  const live = new Map<number, number>();
  let rss100 = NaN;
  try {
    for (let step = 1, i = 0; step <= STEPS; step++, i++) {
      if (i === ranges.length) {
        order.dispose();
        order = trainer.epochOrder(rng);
        i = 0;
      }
      trainer.step(order, ranges[i]);
      if (step === 10 || step === 500 || step === STEPS) live.set(step, t.liveTensors());
      if (step === 100) rss100 = rssBytes();
    }
    const rssEnd = rssBytes();
    assert.strictEqual(
      live.get(500) ?? live.get(10),
      live.get(10),
      "live tensors at step 500 equal step 10",
    );
    assert.strictEqual(
      live.get(STEPS),
      live.get(10),
      `live tensors at step ${STEPS} equal step 10`,
    );
    const growth = (rssEnd - rss100) / rss100;
    assert.ok(
      growth < 0.05,
      `RSS grew ${
        (growth * 100).toFixed(2)
      }% from step 100 to ${STEPS} (${rss100} → ${rssEnd} bytes)`,
    );
  } finally {
    order.dispose();
    trainer.dispose();
    disposeDeviceData(data);
  }
  assert.strictEqual(t.liveTensors(), start, "everything freed at the end");
});
