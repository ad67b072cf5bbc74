/**
 * The speed options on the CPU, where they can be checked against the plain path and PyTorch:
 * multi-tensor Adam, bf16 autocast, channels-last and the device-side gradient clip. (The CUDA
 * graph's capture and replay is checked against the eager step in tests/cuda.test.ts.)
 */
import "./_shim.ts"; // builds the shim on a fresh clone (as cargo test builds)
import assert from "node:assert/strict";
import * as t from "../src/ffi/mod.ts";
import { GoogLeNet } from "../src/model/mod.ts";
import { versionAtLeast } from "../src/bench/entry/options.ts";
import { assertClose, hasPythonTorch, numbers } from "./_helpers.ts";
import { adamLosses, host, parityCase, relNorm } from "./_parity.ts";

const havePython = hasPythonTorch();

/** A few Adam steps of a fresh seed-0 GoogLeNet on fixed random batches; the final parameters. */
function adamRun(impl: t.AdamImpl, steps = 3): number[][] {
  t.manualSeed(0);
  const model = new GoogLeNet();
  const opt = new t.Adam(model.parameters(), { impl, weightDecay: 1e-4 });
  try {
    for (let s = 0; s < steps; s++) {
      t.scope(() => {
        opt.zeroGrad();
        const x = t.empty([4, 1, 28, 28]);
        t.uniform_(x, -1, 1);
        const y = t.fromHost(new BigInt64Array([0n, 3n, 7n, 9n]), [4]);
        t.backward(t.crossEntropy(model.forward(x), y));
        opt.step();
      });
    }
    assert.strictEqual(opt.impl, impl);
    assert.strictEqual(opt.stepCount, steps);
    return model.parameters().map(host);
  } finally {
    opt.dispose();
    model.dispose();
  }
}

Deno.test('Adam "foreach" takes exactly the steps of the one-parameter-at-a-time Adam', () => {
  t.setNumThreads(1);
  try {
    const single = adamRun("single");
    const foreach = adamRun("foreach");
    single.forEach((p, i) => assertClose(foreach[i], p, 0, `parameter ${i}`));
  } finally {
    t.setNumThreads(navigator.hardwareConcurrency);
  }
});

Deno.test('Adam "fused" runs where libtorch has it and is refused with a message elsewhere', () => {
  const libtorch = t.buildInfo().libtorch;
  if (versionAtLeast(libtorch, 2, 4)) {
    const single = adamRun("single");
    const fused = adamRun("fused");
    single.forEach((p, i) => assertClose(fused[i], p, 1e-6, `parameter ${i}`));
    return;
  }
  const p = t.keep(t.zeros([2]));
  try {
    assert.throws(
      () => new t.Adam([p], { impl: "fused" }),
      (e: Error) =>
        e instanceof t.TorchError && /fused Adam runs on CUDA/.test(e.message) &&
        e.message.includes(libtorch),
    );
    assert.throws(() => new t.Adam([p], { impl: "bogus" as t.AdamImpl }), /expected one of/);
  } finally {
    p.dispose();
  }
});

Deno.test("clipGradNorm() returns the norm before clipping as a tensor and scales the gradients", () => {
  t.scope(() => {
    const a = t.setRequiresGrad(t.fromHost(new Float32Array([1, 1]), [2]));
    const b = t.setRequiresGrad(t.fromHost(new Float32Array([1]), [1]));
    // d/da sum(a * [3, 0]) = [3, 0]; d/db sum(b * [4]) = [4]: joint norm 5.
    t.backward(
      t.add(
        t.sum(t.mul(a, t.fromHost(new Float32Array([3, 0]), [2]))),
        t.sum(t.mul(b, t.fromHost(new Float32Array([4]), [1]))),
      ),
    );
    const norm = t.clipGradNorm([a, b], 1);
    assert.deepStrictEqual(norm.shape, []);
    assertClose([t.item(norm)], [5], 1e-6, "norm");
    assertClose(host(t.grad(a)!), [0.6, 0], 1e-6, "a.grad");
    assertClose(host(t.grad(b)!), [0.8], 1e-6, "b.grad");
    assert.throws(() => t.clipGradNorm([a], 0), /expected max_norm > 0/);
  });
});

Deno.test("autocast runs conv2d in bfloat16, nests, and ends cleanly; float16 is refused on the CPU", () => {
  t.scope(() => {
    const x = t.zeros([1, 1, 4, 4]);
    const w = t.zeros([2, 1, 3, 3]);
    assert.strictEqual(t.autocast("cpu", () => t.conv2d(x, w, null)).dtype, "bfloat16");
    // A nested region leaves the outer one on.
    const inner = t.autocast("cpu", () => {
      t.autocast("cpu", () => t.conv2d(x, w, null));
      return t.conv2d(x, w, null);
    });
    assert.strictEqual(inner.dtype, "bfloat16");
    assert.strictEqual(t.conv2d(x, w, null).dtype, "float32");
    assert.throws(() => t.setAutocast("cpu", true, "float16"), /bfloat16 only/);
    assert.strictEqual(t.conv2d(x, w, null).dtype, "float32");
  });
});

Deno.test("a channels-last GoogLeNet gives the NCHW model's logits and gradients", () => {
  t.setNumThreads(1);
  const before = t.liveTensors();
  try {
    const run = (channelsLast: boolean) => {
      t.manualSeed(5);
      const m = new GoogLeNet();
      if (channelsLast) m.to("cpu", { memoryFormat: "channels_last" });
      try {
        // conv1 (one input channel) and 1x1 kernels look alike in both layouts; a 3x3 kernel does not.
        const w = m.namedParameters().find(([n]) => n === "inception3a.branch2.2.weight")![1];
        assert.strictEqual(t.isContiguous(w, "channels_last"), channelsLast);
        m.training = false;
        return t.scope(() => {
          const x = t.empty([3, 1, 28, 28]);
          t.manualSeed(9);
          t.uniform_(x, -1, 1);
          const input = t.contiguous(x, channelsLast ? "channels_last" : "contiguous");
          const logits = m.forward(input);
          t.backward(t.crossEntropy(logits, t.fromHost(new BigInt64Array([1n, 2n, 3n]), [3])));
          return [host(logits), ...m.parameters().map((p) => host(t.grad(p)!))];
        });
      } finally {
        m.dispose();
      }
    };
    const nchw = run(false);
    const nhwc = run(true);
    assertClose(nhwc[0], nchw[0], 1e-5, "logits");
    for (let i = 1; i < nchw.length; i++) {
      const r = relNorm(nhwc[i], nchw[i]);
      assert.ok(r <= 1e-4, `gradient ${i - 1}: within 1e-4 relative, found ${r}`);
    }
  } finally {
    t.setNumThreads(navigator.hardwareConcurrency);
  }
  assert.strictEqual(t.liveTensors(), before, "no tensor leaked");
});

Deno.test({
  name: "bf16 autocast: logits, loss and 20 foreach-Adam steps follow PyTorch's torch.autocast",
  ignore: !havePython,
  async fn() {
    t.setNumThreads(1);
    const c = await parityCase(["--autocast", "bf16", "--adam", "foreach"]);
    const { model, ref } = c;
    try {
      model.training = false;
      t.scope(() => {
        const logits = t.autocast("cpu", () => model.forward(c.images(0)));
        assert.strictEqual(logits.dtype, "bfloat16");
        const r = relNorm(host(logits), numbers(ref.get("logits")!));
        assert.ok(r <= 1e-5, `logits within 1e-5 of PyTorch's (relative), found ${r}`);
        // Under autocast the loss is computed in float32 from the bf16 logits, as in PyTorch.
        const loss = t.autocast("cpu", () => t.crossEntropy(logits, c.labels(0)));
        assert.strictEqual(loss.dtype, "float32");
        assertClose([t.item(loss)], numbers(ref.get("loss")!), 1e-5, "loss");
      });
      c.resetWeights();
      const opt = new t.Adam(model.parameters(), { impl: "foreach" });
      const losses = adamLosses(
        c,
        opt,
        (x, y) => t.autocast("cpu", () => t.crossEntropy(model.forward(x), y)),
      );
      opt.dispose();
      // Autocast casts exactly where PyTorch's does, so with the same libtorch and one thread the
      // bf16 sequence is PyTorch's (a cast missed or added would move it by ~1e-3 at once).
      assertClose(losses, numbers(ref.get("adam_losses")!), 1e-5, "20 losses");
    } finally {
      c.dispose();
      t.setNumThreads(navigator.hardwareConcurrency);
    }
  },
});
