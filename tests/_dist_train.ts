/**
 * One process of the data-parallel equality tests (tests/dist_train.test.ts): trains the model
 * for `steps` steps on the first 1000 MNIST training images with dropout off and one thread, as
 * one rank of `worldSize` (the global batch split) or alone; then rank 0 saves the weights to
 * `out` and the last step's gradients, float32 in parameter order, to `out`.grad.
 *
 * deno run -A tests/_dist_train.ts '{"rank":0,"worldSize":2,"store":"/tmp/d/store","steps":20,"batch":64,"out":"w.safetensors"}'
 */
import * as t from "../src/ffi/mod.ts";
import { DataParallel } from "../src/dist/mod.ts";
import { disposeDeviceData, Trainer, uploadDataset } from "../src/train/train.ts";
import { Dropout } from "../src/model/layers.ts";
import { loadDataset } from "../src/data/mod.ts";

const spec = JSON.parse(Deno.args[0]) as {
  rank: number;
  worldSize: number;
  /** The FileStore's path (the ranks meet on this host only). */
  store: string;
  steps: number;
  batch: number;
  out: string;
};
t.setNumThreads(1);
const dist = spec.worldSize > 1
  ? new DataParallel({
    rank: spec.rank,
    worldSize: spec.worldSize,
    localRank: spec.rank,
    masterAddr: "127.0.0.1",
    masterPort: 0,
    storeFile: spec.store,
  }, { timeoutSeconds: 60 })
  : null;
const mnist = await loadDataset("mnist");
// The first n images of a split (baselines/pytorch_ddp.py --train-count 1000 takes the same).
const head = (split: typeof mnist.train, n: number) => ({
  ...split,
  count: n,
  images: split.images.subarray(0, n * split.rows * split.cols),
  labels: split.labels.subarray(0, n),
});
const data = uploadDataset(
  { ...mnist, train: head(mnist.train, 1000), test: head(mnist.test, 10) },
  "cpu",
);
const trainer = new Trainer(data, { lr: 1e-3, seed: 0, batchSize: spec.batch, dist });
trainer.model.replace("dropout", new Dropout(0));
using gen = new t.Generator(1);
const ranges = trainer.batchRanges();
let order = trainer.epochOrder(gen);
for (let step = 0, i = 0; step < spec.steps; step++, i++) {
  if (i === ranges.length) {
    order.dispose();
    order = trainer.epochOrder(gen);
    i = 0;
  }
  trainer.step(order, ranges[i]);
}
order.dispose();
const loss = trainer.lossSum() / spec.steps;
if (spec.rank === 0) {
  trainer.saveWeights(spec.out);
  const grads = t.scope(() => trainer.params.map((p) => t.toHost(t.grad(p)!) as Float32Array));
  const all = new Float32Array(grads.reduce((n, g) => n + g.length, 0));
  grads.reduce((at, g) => (all.set(g, at), at + g.length), 0);
  Deno.writeFileSync(`${spec.out}.grad`, new Uint8Array(all.buffer));
}
trainer.dispose();
disposeDeviceData(data);
dist?.dispose();
console.log(JSON.stringify({ rank: spec.rank, loss, live: t.liveTensors() }));
