/**
 * CUDA: the checks that need an NVIDIA GPU. Without one (or with a shim built against a CPU-only
 * libtorch) every test here is reported as ignored, and the reason is printed once.
 */
import assert from "node:assert/strict";
import * as t from "../src/ffi/mod.ts";
import { Dropout, GoogLeNet } from "../src/model/mod.ts";
import { batchRanges, loadDataset, normalizeImages, Rng } from "../src/data/mod.ts";
import { disposeDeviceData, Trainer, uploadDataset } from "../src/bench/train.ts";
import { host, relNorm } from "./_parity.ts";

const info = t.buildInfo();
const cudaCount = info.cudaDeviceCount;
const reason = cudaCount > 0
  ? ""
  : info.cudaCompiled
  ? "the shim has CUDA but no device is visible"
  : `the shim was built against a CPU-only libtorch ${info.libtorch}`;
if (cudaCount === 0) console.log(`tests/cuda.test.ts: CUDA tests ignored: ${reason}`);

function cudaTest(name: string, fn: () => void | Promise<void>): void {
  Deno.test({
    name: cudaCount > 0 ? name : `${name} (ignored: ${reason})`,
    ignore: cudaCount === 0,
    fn,
  });
}

const DEV = "cuda:0";

function noDropout(m: GoogLeNet): void {
  m.replace("dropout", new Dropout(0));
}

cudaTest(
  "one batch's logits on CUDA (fp32, TF32 off) match the CPU model's within 1e-3",
  async () => {
    t.setBackendFlags({ allowTF32: false, cudnnBenchmark: false });
    const ds = await loadDataset("mnist");
    const n = 64;
    const images = normalizeImages(ds.test.images.subarray(0, n * 784));
    t.manualSeed(0);
    const model = new GoogLeNet();
    model.training = false;
    try {
      const cpu = t.scope(() => host(model.forward(t.fromHost(images, [n, 1, 28, 28]))));
      model.to(DEV);
      const gpu = t.scope(() =>
        host(model.forward(t.fromHost(images, [n, 1, 28, 28], { device: DEV })))
      );
      let worst = 0;
      for (let i = 0; i < cpu.length; i++) worst = Math.max(worst, Math.abs(cpu[i] - gpu[i]));
      console.log(`max |CUDA - CPU| logit difference: ${worst}`);
      assert.ok(worst <= 1e-3, `expected logits within 1e-3 of the CPU's, found ${worst}`);
    } finally {
      model.dispose();
    }
  },
);

/** Five Adam steps of a seed-0 GoogLeNet (dropout off) on fixed batches; the parameter deltas. */
function adamDeltas(device: t.Device, impl: t.AdamImpl): number[] {
  t.manualSeed(0);
  const model = new GoogLeNet();
  noDropout(model);
  const init = model.parameters().map(host);
  if (device !== "cpu") model.to(device);
  const opt = new t.Adam(model.parameters(), { impl });
  try {
    for (let s = 0; s < 5; s++) {
      t.scope(() => {
        t.manualSeed(100 + s);
        const x = t.empty([8, 1, 28, 28]);
        t.uniform_(x, -1, 1);
        const y = t.fromHost(new BigInt64Array([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n]), [8]);
        opt.zeroGrad();
        t.backward(t.crossEntropy(model.forward(t.to(x, device)), t.to(y, device)));
        opt.step();
      });
    }
    assert.strictEqual(opt.stepCount, 5);
    return model.parameters().flatMap((p, i) => host(p).map((v, j) => v - init[i][j]));
  } finally {
    opt.dispose();
    model.dispose();
  }
}

cudaTest("every Adam implementation on CUDA follows the CPU's Adam over 5 steps", () => {
  const cpu = adamDeltas("cpu", "single");
  for (const impl of t.ADAM_IMPLS) {
    const r = relNorm(adamDeltas(DEV, impl), cpu);
    console.log(`Adam ${impl}: update within ${r.toExponential(2)} of the CPU's (relative)`);
    assert.ok(r <= 1e-2, `Adam ${impl}: expected updates within 1e-2 of the CPU's, found ${r}`);
  }
});

cudaTest("a CUDA-graphed training step trains like the eager step (dropout off)", async () => {
  const ds = await loadDataset("mnist");
  const small = {
    ...ds,
    train: { ...ds.train, count: 1000, images: ds.train.images.subarray(0, 1000 * 784) },
    test: { ...ds.test, count: 1000, images: ds.test.images.subarray(0, 1000 * 784) },
  };
  small.train.labels = ds.train.labels.subarray(0, 1000);
  small.test.labels = ds.test.labels.subarray(0, 1000);
  const data = uploadDataset(small, "cuda");
  const run = (graphs: boolean, adam: t.AdamImpl) => {
    const trainer = new Trainer(data, { lr: 1e-3, seed: 0, batchSize: 64, graphs, adam });
    noDropout(trainer.model);
    try {
      const rng = new Rng(1);
      const sums: number[] = [];
      const live: number[] = [];
      for (let e = 0; e < 3; e++) {
        const order = trainer.epochOrder(rng);
        trainer.resetLossSum();
        for (const r of batchRanges(data.trainCount, 64)) trainer.step(order, r);
        sums.push(trainer.lossSum());
        order.dispose();
        live.push(t.liveTensors());
      }
      return {
        sums,
        live,
        steps: trainer.optimizer.stepCount,
        captured: trainer.captured,
        params: trainer.params.map(host).flat(),
      };
    } finally {
      trainer.dispose();
    }
  };
  try {
    for (const adam of ["foreach", "fused"] as const) {
      const eager = run(false, adam);
      const graphed = run(true, adam);
      console.log(`Adam ${adam}: eager epoch losses ${eager.sums}, graphed ${graphed.sums}`);
      assert.ok(graphed.captured && !eager.captured);
      assert.strictEqual(graphed.steps, eager.steps, "graph replays count as optimizer steps");
      for (let e = 0; e < 3; e++) {
        const d = Math.abs(graphed.sums[e] - eager.sums[e]) / eager.sums[e];
        assert.ok(d <= 1e-3, `epoch ${e + 1}: loss sums within 1e-3, found ${d}`);
      }
      const r = relNorm(graphed.params, eager.params);
      assert.ok(r <= 1e-3, `parameters within 1e-3 (relative), found ${r}`);
      assert.strictEqual(graphed.live[2], graphed.live[1], "no handle leaks across replays");
    }
  } finally {
    disposeDeviceData(data);
  }
});

cudaTest("bf16 autocast on CUDA computes convolutions in bfloat16 and the loss in float32", () => {
  t.manualSeed(0);
  const model = new GoogLeNet().to(DEV, { memoryFormat: "channels_last" });
  try {
    t.scope(() => {
      const x = t.contiguous(t.zeros([4, 1, 28, 28], { device: DEV }), "channels_last");
      const y = t.zeros([4], { dtype: "int64", device: DEV });
      const [logits, loss] = t.autocast(DEV, () => {
        const l = model.forward(x);
        return [l, t.crossEntropy(l, y)];
      });
      assert.strictEqual(logits.dtype, "bfloat16");
      assert.strictEqual(loss.dtype, "float32");
      t.backward(loss);
      for (const p of model.parameters()) assert.strictEqual(t.grad(p)!.dtype, "float32");
    });
  } finally {
    model.dispose();
  }
});
