/**
 * CUDA: the checks that need an NVIDIA GPU. Without one (or with a shim built against a CPU-only
 * libtorch) every test here is reported as ignored, and the reason is printed once.
 */
import "./_shim.ts"; // builds the shim on a fresh clone (as cargo test builds)
import assert from "node:assert/strict";
import * as t from "../src/ffi/mod.ts";
import { Dropout, GoogLeNet } from "../src/model/mod.ts";
import { batchRanges, loadDataset, normalizeImages } from "../src/data/mod.ts";
import {
  type DeviceData,
  disposeDeviceData,
  Trainer,
  type TrainerOptions,
  uploadDataset,
} from "../src/train/train.ts";
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

/** The first 1000 training and test images, on the GPU. */
async function smallData(): Promise<DeviceData> {
  const ds = await loadDataset("mnist");
  const small = {
    ...ds,
    train: { ...ds.train, count: 1000, images: ds.train.images.subarray(0, 1000 * 784) },
    test: { ...ds.test, count: 1000, images: ds.test.images.subarray(0, 1000 * 784) },
  };
  small.train.labels = ds.train.labels.subarray(0, 1000);
  small.test.labels = ds.test.labels.subarray(0, 1000);
  return uploadDataset(small, "cuda");
}

/** Three epochs of a seed-0 Trainer: the loss sums, live handles, steps and parameters. */
function trainEpochs(data: DeviceData, options: Partial<TrainerOptions>, dropout: boolean) {
  const trainer = new Trainer(data, { lr: 1e-3, seed: 0, batchSize: 64, ...options });
  if (!dropout) noDropout(trainer.model);
  try {
    using rng = new t.Generator(1);
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
}

/** What a graphed run must match of the eager run with the same options. */
interface Agreement {
  /** Per-epoch loss sums, relative. */
  loss: number;
  /** Final parameters, relative norm; null when the runs may drift apart (dropout's draws). */
  params: number | null;
  /** Dropout on in both runs. */
  dropout?: boolean;
}

/** Trains eagerly and graphed with `options` and checks they agree as `agree` says. */
async function graphedMatchesEager(options: Partial<TrainerOptions>, agree: Agreement) {
  const data = await smallData();
  try {
    const eager = trainEpochs(data, { ...options, graphs: false }, agree.dropout ?? false);
    const graphed = trainEpochs(data, { ...options, graphs: true }, agree.dropout ?? false);
    console.log(
      `${JSON.stringify(options)}: eager epoch losses ${eager.sums}, graphed ${graphed.sums}`,
    );
    assert.ok(graphed.captured && !eager.captured);
    assert.strictEqual(graphed.steps, eager.steps, "graph replays count as optimizer steps");
    for (let e = 0; e < 3; e++) {
      const d = Math.abs(graphed.sums[e] - eager.sums[e]) / eager.sums[e];
      assert.ok(d <= agree.loss, `epoch ${e + 1}: loss sums within ${agree.loss}, found ${d}`);
    }
    assert.ok(graphed.sums[2] < graphed.sums[0], "the graphed run trains (its loss falls)");
    if (agree.params !== null) {
      const r = relNorm(graphed.params, eager.params);
      assert.ok(r <= agree.params, `parameters within ${agree.params} (relative), found ${r}`);
    }
    assert.strictEqual(graphed.live[2], graphed.live[1], "no handle leaks across replays");
  } finally {
    disposeDeviceData(data);
  }
}

cudaTest("a CUDA-graphed training step trains like the eager step (dropout off)", async () => {
  for (const adam of ["foreach", "fused"] as const) {
    await graphedMatchesEager({ adam }, { loss: 1e-3, params: 1e-3 });
  }
});

cudaTest("a CUDA-graphed step with dropout on trains like the eager one", async () => {
  // Replays draw fresh masks (the generator's offset advances per replay), not the eager run's
  // masks: the runs agree in distribution, so the loss sums are compared loosely.
  await graphedMatchesEager({ adam: "foreach" }, { loss: 1e-1, params: null, dropout: true });
});

cudaTest("a CUDA graph replays dropout with a fresh mask each time", () => {
  t.manualSeed(0);
  const x = t.fromHost(new Float32Array(4096).fill(1), [4096], { device: DEV });
  const graph = new t.CudaGraph();
  let y: t.Tensor | null = null;
  try {
    graph.onSideStream(() => t.scope(() => void t.dropout(x, 0.5, true)));
    y = graph.capture(() => t.dropout(x, 0.5, true));
    const masks: number[][] = [];
    for (let i = 0; i < 3; i++) {
      graph.replay();
      masks.push(host(y));
    }
    for (const m of masks) {
      const kept = m.filter((v) => v !== 0).length / m.length;
      assert.ok(Math.abs(kept - 0.5) < 0.05, `about half kept, found ${kept}`);
    }
    assert.notDeepStrictEqual(masks[0], masks[1], "replay 2 draws a new mask");
    assert.notDeepStrictEqual(masks[1], masks[2], "replay 3 draws a new mask");
  } finally {
    y?.dispose();
    graph.dispose();
    x.dispose();
  }
});

cudaTest("a CUDA-graphed step under bf16 autocast trains like the eager one", async () => {
  await graphedMatchesEager({ adam: "foreach", precision: "bf16" }, { loss: 1e-2, params: 1e-2 });
});

cudaTest("a CUDA-graphed step in channels_last trains like the eager one", async () => {
  await graphedMatchesEager({ adam: "foreach", channelsLast: true }, { loss: 1e-3, params: 1e-3 });
});

cudaTest("a CUDA-graphed step with gradient clipping trains like the eager one", async () => {
  // A max norm the early gradients exceed, so that the clip scales inside the graph.
  await graphedMatchesEager({ adam: "foreach", clipGradNorm: 0.5 }, { loss: 1e-3, params: 1e-3 });
});

/**
 * Ten Adam steps on loss = sum(c * p^2) from a fixed start. With `graph`: 3 eager steps, 2 warm-up
 * steps on the side stream, one captured step replayed 3 times, 2 eager steps again: the eager
 * steps take host bias corrections, the captured one device-side corrections from the steps so far.
 */
function adamMixed(device: t.Device, impl: t.AdamImpl, graph: boolean): number[] {
  const n = 1000;
  const start = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 2);
  const coef = Float32Array.from({ length: n }, (_, i) => 0.1 + (i % 7) / 7);
  const p = t.setRequiresGrad(t.fromHost(start, [n], { device }));
  const c = t.fromHost(coef, [n], { device });
  const opt = new t.Adam([p], { impl });
  const step = () => {
    t.scope(() => t.backward(t.sum(t.mul(t.mul(p, p), c))));
    opt.step();
  };
  const eager = (k: number) => {
    for (let i = 0; i < k; i++) {
      opt.zeroGrad();
      step();
    }
  };
  try {
    if (!graph) eager(10);
    else {
      eager(3);
      using g = new t.CudaGraph();
      g.onSideStream(() => eager(2));
      opt.zeroGrad();
      g.capture(step);
      for (let i = 0; i < 3; i++) g.replay();
      eager(2);
    }
    assert.strictEqual(opt.stepCount, 10, "eager steps and replays all count");
    return host(p);
  } finally {
    opt.dispose();
    p.dispose();
    c.dispose();
  }
}

cudaTest(
  "CUDA Adam: eager steps (host bias corrections) and graph replays follow the CPU's",
  () => {
    const cpu = adamMixed("cpu", "single", false);
    for (const impl of t.ADAM_IMPLS) {
      for (const graph of [false, true]) {
        const r = relNorm(adamMixed(DEV, impl, graph), cpu);
        console.log(
          `Adam ${impl}${graph ? " graphed" : ""}: within ${r.toExponential(2)} of the CPU's`,
        );
        assert.ok(r <= 1e-5, `Adam ${impl}, graph ${graph}: expected within 1e-5, found ${r}`);
      }
    }
  },
);

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
