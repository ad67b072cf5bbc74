/**
 * One training step of the seed's GoogLeNet (batch 64) under each speed option that runs on this
 * device, side by side in one process: `deno bench -A benches/step_bench.ts`. On a CUDA machine
 * the CUDA variants (graphs, TF32, fused Adam) are measured too.
 */
import * as t from "../src/ffi/mod.ts";
import { batchRanges, loadDataset, Rng } from "../src/data/mod.ts";
import { torchDevice, Trainer, type TrainerOptions, uploadDataset } from "../src/bench/train.ts";

const BATCH = 64;
t.setNumThreads(navigator.hardwareConcurrency); // as the harness's --threads default
const cuda = t.buildInfo().cudaDeviceCount > 0;
const device = cuda ? "cuda" : "cpu";
const ds = await loadDataset("mnist");
const count = 100 * BATCH;
const data = uploadDataset({
  ...ds,
  train: {
    ...ds.train,
    count,
    images: ds.train.images.subarray(0, count * 784),
    labels: ds.train.labels.subarray(0, count),
  },
}, device);
const ranges = batchRanges(count, BATCH);

const variants: [string, Partial<TrainerOptions>][] = [
  ["fp32, Adam single", { adam: "single" }],
  ["fp32, Adam foreach", { adam: "foreach" }],
  ["fp32, channels-last", { channelsLast: true }],
  ["bf16 autocast", { precision: "bf16" }],
  ["bf16 autocast, channels-last", { precision: "bf16", channelsLast: true }],
];
if (cuda) {
  variants.push(
    ["fp32, Adam fused", { adam: "fused" }],
    ["CUDA graphs, Adam fused", { graphs: true, adam: "fused" }],
    ["CUDA graphs, bf16, channels-last, Adam fused", {
      graphs: true,
      adam: "fused",
      precision: "bf16",
      channelsLast: true,
    }],
  );
}

for (const [name, options] of variants) {
  const trainer = new Trainer(data, { lr: 1e-3, seed: 0, batchSize: BATCH, ...options });
  const order = trainer.epochOrder(new Rng(0));
  let i = 0;
  Deno.bench(
    `train step (${device}): ${name}`,
    { group: "step", baseline: name === variants[0][0], n: 40, warmup: 8 },
    () => {
      trainer.step(order, ranges[i++ % ranges.length]);
      t.synchronize(torchDevice(device));
    },
  );
}
