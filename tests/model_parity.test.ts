/**
 * GoogLeNet in TypeScript against the Python reference (tests/reference/) with Debian's
 * python3-torch: same initialisation for a seed, same logits, loss and gradients for the same
 * weights and batch, and the same loss sequence over 20 Adam steps.
 */
import assert from "node:assert/strict";
import * as t from "../src/ffi/mod.ts";
import { GoogLeNet } from "../src/model/mod.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  type RawTensor,
  toSafetensors,
} from "../src/model/safetensors.ts";
import { loadDataset, normalizeImages } from "../src/data/mod.ts";
import { assertClose, hasPythonTorch, numbers, PYTHON } from "./_helpers.ts";

const REF = new URL("./reference/", import.meta.url).pathname;
const havePython = hasPythonTorch();
const N = 16; // images per parity batch
const ADAM_STEPS = 20;
const PRETRAIN_STEPS = 15; // move the weights off their initialisation so logits depend on the input

function python(args: string[]): void {
  const out = new Deno.Command(PYTHON, { args, stdout: "piped", stderr: "piped" }).outputSync();
  if (!out.success) {
    throw new Error(`python ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
}

function relNorm(a: number[], b: number[]): number {
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(n), 1e-30);
}

Deno.test("GoogLeNet has the seed's 5,977,530 parameters under its state_dict names", () => {
  t.manualSeed(0);
  const m = new GoogLeNet();
  try {
    assert.strictEqual(m.parameterCount(), 5_977_530);
    const names = m.namedParameters().map(([n]) => n);
    assert.strictEqual(names.length, 116);
    assert.deepStrictEqual(names.slice(0, 2), ["conv1.weight", "conv1.bias"]);
    assert.ok(names.includes("inception3a.branch2.0.weight"));
    assert.ok(names.includes("inception4e.branch4.1.bias"));
    assert.deepStrictEqual(names.slice(-2), ["fc.weight", "fc.bias"]);
  } finally {
    m.dispose();
  }
});

Deno.test({
  name: "GoogLeNet's initialisation for seed 0 equals PyTorch's torch.manual_seed(0); GoogLeNet()",
  ignore: !havePython,
  fn() {
    const dir = Deno.makeTempDirSync();
    try {
      python([
        "-c",
        `import sys; sys.path.insert(0, ${JSON.stringify(REF)}); import torch, safetensors_io; ` +
        `from googlenet import GoogLeNet; torch.manual_seed(0); ` +
        `safetensors_io.save(GoogLeNet().state_dict(), ${
          JSON.stringify(dir + "/init.safetensors")
        })`,
      ]);
      const ref = decodeSafetensors(Deno.readFileSync(`${dir}/init.safetensors`)).tensors;
      t.manualSeed(0);
      const m = new GoogLeNet();
      try {
        for (const [name, p] of m.namedParameters()) {
          assertClose(Array.from(t.toHost(p) as Float32Array), numbers(ref.get(name)!), 0, name);
        }
      } finally {
        m.dispose();
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "GoogLeNet's logits, loss, gradients and 20 Adam steps match PyTorch (dropout off)",
  ignore: !havePython,
  async fn() {
    t.setNumThreads(1);
    const ds = await loadDataset("mnist");
    const px = 28 * 28;
    const batchAt = (i: number) =>
      normalizeImages(ds.train.images.subarray(i * N * px, (i + 1) * N * px));
    const labelsAt = (i: number) =>
      BigInt64Array.from(ds.train.labels.subarray(i * N, (i + 1) * N), BigInt);
    const dir = Deno.makeTempDirSync();
    const before = t.liveTensors();
    t.manualSeed(1);
    const model = new GoogLeNet();
    try {
      // Pre-train a few steps (dropout on) so that the compared weights are not the initial ones.
      const pre = new t.Adam(model.parameters());
      for (let i = 0; i < PRETRAIN_STEPS; i++) {
        t.scope(() => {
          pre.zeroGrad();
          t.backward(
            t.crossEntropy(
              model.forward(t.fromHost(batchAt(100 + i), [N, 1, 28, 28])),
              t.fromHost(labelsAt(100 + i), [N]),
            ),
          );
          pre.step();
        });
      }
      pre.dispose();
      t.zeroGrad(model.parameters());
      Deno.writeFileSync(`${dir}/w.safetensors`, toSafetensors(model.namedParameters()));

      const batch = new Map<string, RawTensor>();
      const f32 = (a: Float32Array) => new Uint8Array(a.buffer);
      const adamImages = new Float32Array(ADAM_STEPS * N * px);
      const adamLabels = new BigInt64Array(ADAM_STEPS * N);
      for (let s = 0; s < ADAM_STEPS; s++) {
        adamImages.set(batchAt(1 + s), s * N * px);
        adamLabels.set(labelsAt(1 + s), s * N);
      }
      batch.set("images", { dtype: "float32", shape: [N, 1, 28, 28], data: f32(batchAt(0)) });
      batch.set("labels", { dtype: "int64", shape: [N], data: new Uint8Array(labelsAt(0).buffer) });
      batch.set("adam_images", {
        dtype: "float32",
        shape: [ADAM_STEPS, N, 1, 28, 28],
        data: f32(adamImages),
      });
      batch.set("adam_labels", {
        dtype: "int64",
        shape: [ADAM_STEPS, N],
        data: new Uint8Array(adamLabels.buffer),
      });
      Deno.writeFileSync(`${dir}/b.safetensors`, encodeSafetensors(batch));
      python([
        `${REF}parity.py`,
        "--weights",
        `${dir}/w.safetensors`,
        "--batch",
        `${dir}/b.safetensors`,
        "--out",
        `${dir}/o.safetensors`,
        "--adam-steps",
        String(ADAM_STEPS),
        "--threads",
        "1",
      ]);
      const ref = decodeSafetensors(Deno.readFileSync(`${dir}/o.safetensors`)).tensors;

      // Forward and backward on the same batch, eval mode (dropout off).
      model.training = false;
      t.scope(() => {
        const logits = model.forward(t.fromHost(batchAt(0), [N, 1, 28, 28]));
        const loss = t.crossEntropy(logits, t.fromHost(labelsAt(0), [N]));
        const refLogits = numbers(ref.get("logits")!);
        const spread = Math.max(...refLogits) - Math.min(...refLogits);
        assert.ok(spread > 1e-2, `logits depend on the input (spread ${spread})`);
        assertClose(Array.from(t.toHost(logits) as Float32Array), refLogits, 1e-4, "logits");
        assertClose([t.item(loss)], numbers(ref.get("loss")!), 1e-5, "loss");
        t.backward(loss);
        for (const [name, p] of model.namedParameters()) {
          const g = t.grad(p);
          assert.ok(g !== null, `${name} has a gradient`);
          const r = relNorm(
            Array.from(t.toHost(g) as Float32Array),
            numbers(ref.get(`grad.${name}`)!),
          );
          assert.ok(
            r <= 1e-3,
            `${name}: gradient within 1e-3 of PyTorch's relative to its norm, found ${r}`,
          );
        }
      });

      // 20 Adam steps from the same weights, dropout off.
      t.scope(() => {
        const fresh = decodeSafetensors(Deno.readFileSync(`${dir}/w.safetensors`)).tensors;
        t.noGrad(() => {
          for (const [name, p] of model.namedParameters()) {
            const r = fresh.get(name)!;
            t.copy_(p, t.fromHost(new Float32Array(r.data.slice().buffer), r.shape));
          }
        });
      });
      t.zeroGrad(model.parameters());
      const opt = new t.Adam(model.parameters(), { lr: 1e-3 });
      const losses: number[] = [];
      for (let s = 0; s < ADAM_STEPS; s++) {
        losses.push(t.scope(() => {
          opt.zeroGrad();
          const loss = t.crossEntropy(
            model.forward(t.fromHost(batchAt(1 + s), [N, 1, 28, 28])),
            t.fromHost(labelsAt(1 + s), [N]),
          );
          t.backward(loss);
          opt.step();
          return t.item(loss);
        }));
      }
      opt.dispose();
      assertClose(losses, numbers(ref.get("adam_losses")!), 1e-3, "Adam loss sequence");
    } finally {
      model.dispose();
      Deno.removeSync(dir, { recursive: true });
      t.setNumThreads(navigator.hardwareConcurrency);
    }
    assert.strictEqual(t.liveTensors(), before, "no tensor leaked");
  },
});
