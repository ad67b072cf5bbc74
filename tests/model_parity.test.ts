/**
 * GoogLeNet in TypeScript against the Python reference (tests/reference/) with Debian's
 * python3-torch: same initialisation for a seed, same logits, loss and gradients for the same
 * weights and batch, and the same loss sequence over 20 Adam steps.
 */
import "./_shim.ts"; // builds the shim on a fresh clone (as cargo test builds)
import assert from "node:assert/strict";
import * as t from "../src/ffi/mod.ts";
import { GoogLeNet } from "../src/model/mod.ts";
import { decodeSafetensors } from "../src/model/safetensors.ts";
import { assertClose, hasPythonTorch, numbers } from "./_helpers.ts";
import { adamLosses, parityCase, python, relNorm } from "./_parity.ts";

const REF = new URL("./reference/", import.meta.url).pathname;
/** The seed's model (googlenet.py) lives beside the baselines that train it. */
const PY_PATH = JSON.stringify([REF, new URL("../baselines/", import.meta.url).pathname]);
const havePython = hasPythonTorch();

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
        `import sys; sys.path[:0] = ${PY_PATH}; import torch, safetensors_io; ` +
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
    const before = t.liveTensors();
    const c = await parityCase();
    const { model, ref } = c;
    try {
      // Forward and backward on the same batch, eval mode (dropout off).
      model.training = false;
      t.scope(() => {
        const logits = model.forward(c.images(0));
        const loss = t.crossEntropy(logits, c.labels(0));
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
      c.resetWeights();
      const opt = new t.Adam(model.parameters(), { lr: 1e-3 });
      const losses = adamLosses(c, opt, (x, y) => t.crossEntropy(model.forward(x), y));
      opt.dispose();
      assertClose(losses, numbers(ref.get("adam_losses")!), 1e-3, "Adam loss sequence");
    } finally {
      c.dispose();
      t.setNumThreads(navigator.hardwareConcurrency);
    }
    assert.strictEqual(t.liveTensors(), before, "no tensor leaked");
  },
});
