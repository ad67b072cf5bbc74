/**
 * The same training as PyTorch, step by step: our Trainer (batch order from Generator(seed), model
 * and dropout on the default generator seeded with the same seed) and baselines/pytorch_baseline.py
 * (baselines/googlenet.py, torch.randperm on torch.Generator().manual_seed(seed)) give the
 * same losses for the first 100 steps, dropout on, on a 1000-image slice of MNIST (15 full batches
 * and one of 40 per epoch, so the steps cross six epoch boundaries and their fresh permutations).
 */
import "./_shim.ts"; // builds the shim on a fresh clone (as cargo test builds)
import assert from "node:assert/strict";
import * as t from "../src/ffi/mod.ts";
import { batchRanges, encodeIdx, loadDataset } from "../src/data/mod.ts";
import { disposeDeviceData, Trainer, uploadDataset } from "../src/train/train.ts";
import { hasPythonTorch } from "./_helpers.ts";
import { python } from "./_parity.ts";

const BASELINE = new URL("../baselines/pytorch_baseline.py", import.meta.url).pathname;
const STEPS = 100;
const SEED = 0;
const BATCH = 64;
const TRAIN = 1000;
const TEST = 100;

/** The first TRAIN training and TEST test images of MNIST, as IDX files in `dir`. */
async function writeMnistSlice(dir: string): Promise<void> {
  const ds = await loadDataset("mnist");
  const px = 28 * 28;
  const files: [string, Uint8Array][] = [
    [
      "train-images-idx3-ubyte",
      encodeIdx([TRAIN, 28, 28], ds.train.images.subarray(0, TRAIN * px)),
    ],
    ["train-labels-idx1-ubyte", encodeIdx([TRAIN], ds.train.labels.subarray(0, TRAIN))],
    ["t10k-images-idx3-ubyte", encodeIdx([TEST, 28, 28], ds.test.images.subarray(0, TEST * px))],
    ["t10k-labels-idx1-ubyte", encodeIdx([TEST], ds.test.labels.subarray(0, TEST))],
  ];
  for (const [name, bytes] of files) await Deno.writeFile(`${dir}/${name}`, bytes);
}

/** Our first STEPS step losses: the harness's loop, one Generator draw per epoch. */
async function ourLosses(dir: string): Promise<number[]> {
  const data = uploadDataset(await loadDataset(dir), "cpu");
  const trainer = new Trainer(data, { lr: 1e-3, seed: SEED, batchSize: BATCH });
  using order = new t.Generator(SEED);
  const ranges = batchRanges(data.trainCount, BATCH);
  const losses: number[] = [];
  try {
    while (losses.length < STEPS) {
      const perm = trainer.epochOrder(order);
      try {
        for (const r of ranges.slice(0, STEPS - losses.length)) {
          trainer.step(perm, r);
          losses.push(trainer.lastLoss());
        }
      } finally {
        perm.dispose();
      }
    }
  } finally {
    trainer.dispose();
    disposeDeviceData(data);
  }
  return losses;
}

/** PyTorch's first STEPS step losses from baselines/pytorch_baseline.py's own loop. */
function pytorchLosses(dir: string): number[] {
  const out = `${dir}/pytorch.json`;
  python([
    BASELINE,
    ...["--data", dir, "--device", "cpu", "--threads", "1", "--batch-size", String(BATCH)],
    ...["--lr", "1e-3", "--seed", String(SEED), "--steps", String(STEPS), "--warmup", "0"],
    ...["--json", out],
  ]);
  return JSON.parse(Deno.readTextFileSync(out)).stepLosses;
}

Deno.test({
  name:
    `the first ${STEPS} training steps' losses equal PyTorch's (same seed, randperm batch order, dropout on)`,
  ignore: !hasPythonTorch(),
  async fn() {
    const threads = t.getNumThreads();
    t.setNumThreads(1);
    const dir = Deno.makeTempDirSync();
    const before = t.liveTensors();
    try {
      await writeMnistSlice(dir);
      const ours = await ourLosses(dir);
      assert.strictEqual(t.liveTensors(), before, "no handle leaked");
      const ref = pytorchLosses(dir);
      assert.strictEqual(ref.length, STEPS);
      assert.strictEqual(ours.length, STEPS);
      const diffs = ours.map((l, i) => Math.abs(l - ref[i]));
      const worst = diffs.indexOf(Math.max(...diffs));
      assert.ok(
        diffs[worst] <= 1e-5,
        `step ${worst + 1}: expected PyTorch's loss ${ref[worst]} within 1e-5, found ${
          ours[worst]
        } (${diffs.filter((d) => d === 0).length} of ${STEPS} steps bit-identical)`,
      );
      // The losses move: the comparison is of a training run, not of a constant.
      assert.ok(Math.abs(ref[0] - ref[STEPS - 1]) > 0.1, `losses ${ref[0]} … ${ref[STEPS - 1]}`);
    } finally {
      t.setNumThreads(threads);
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
