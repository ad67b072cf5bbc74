import "./_shim.ts"; // builds the shim on a fresh clone (as cargo test builds)
import assert from "node:assert/strict";
import * as t from "../src/ffi/mod.ts";
import { assertClose, loadOpFixtures, numbers } from "./_helpers.ts";

const fx = loadOpFixtures();
const byName = new Map(fx.cases.map((c) => [c.name, c]));

function expected(name: string): number[] {
  return numbers(fx.raw.get(name)!);
}

function out(x: t.Tensor): number[] {
  return Array.from(t.toHost(x) as ArrayLike<number | bigint>, Number);
}

function check(caseName: string, fn: (c: (role: string) => t.Tensor) => Record<string, t.Tensor>) {
  const c = byName.get(caseName);
  if (c === undefined) throw new Error(`fixture case ${caseName} is missing`);
  const before = t.liveTensors();
  t.scope(() => {
    const results = fn((role) => fx.tensor(c.inputs[role]));
    for (const [role, name] of Object.entries(c.outputs)) {
      const r = results[role];
      assert(r, `${caseName}: output ${role} computed`);
      assert.deepStrictEqual(r.shape, fx.raw.get(name)!.shape, `${caseName}.${role} shape`);
      assertClose(out(r), expected(name), c.tolerance.abs, `${caseName}.${role}`);
    }
  });
  assert.strictEqual(t.liveTensors(), before, `${caseName}: every temporary freed`);
}

function conv(caseName: string) {
  const c = byName.get(caseName)!;
  const stride = (c.params.stride as number[])[0];
  const padding = (c.params.padding as number[])[0];
  check(
    caseName,
    (x) => ({ out: t.conv2d(x("x"), x("w"), c.inputs.b ? x("b") : null, { stride, padding }) }),
  );
}

Deno.test("conv2d() matches PyTorch on a 3x3 kernel with bias and padding 1", () =>
  conv("conv2d_3x3"));
Deno.test("conv2d() matches PyTorch on a 7x7 kernel with stride 2 and padding 3", () =>
  conv("conv2d_7x7_s2"));
Deno.test("conv2d() matches PyTorch on a 1x1 kernel without bias", () => conv("conv2d_1x1_nobias"));
Deno.test("relu() matches PyTorch", () => check("relu", (x) => ({ out: t.relu(x("x")) })));
Deno.test("relu_() matches PyTorch in place", () =>
  check("relu", (x) => ({ out: t.relu_(t.clone(x("x"))) })));

function pool(caseName: string) {
  const c = byName.get(caseName)!;
  const [k] = c.params.kernel as number[];
  const [s] = c.params.stride as number[];
  const [p] = c.params.padding as number[];
  check(
    caseName,
    (x) => ({
      out: t.maxPool2d(x("x"), k, {
        stride: s,
        padding: p,
        ceilMode: c.params.ceil_mode as boolean,
      }),
    }),
  );
}
Deno.test("maxPool2d() matches PyTorch with kernel 3, stride 2, padding 1", () =>
  pool("max_pool2d_k3s2p1"));
Deno.test("maxPool2d() matches PyTorch with kernel 3, stride 1, padding 1", () =>
  pool("max_pool2d_k3s1p1"));
Deno.test("maxPool2d() matches PyTorch with ceil_mode", () => pool("max_pool2d_k2s2_ceil"));
Deno.test("adaptiveAvgPool2d() matches PyTorch to 1x1", () =>
  check("adaptive_avg_pool2d", (x) => ({ out: t.adaptiveAvgPool2d(x("x"), [1, 1]) })));
Deno.test("cat() matches PyTorch along the channel axis", () =>
  check("cat", (x) => ({ out: t.cat([x("a"), x("b"), x("c")], 1) })));
Deno.test("linear() matches PyTorch with bias", () =>
  check("linear", (x) => ({ out: t.linear(x("x"), x("w"), x("b")) })));
Deno.test("crossEntropy() and its gradient match PyTorch", () =>
  check("cross_entropy", (x) => {
    const logits = t.setRequiresGrad(x("logits"));
    const loss = t.crossEntropy(logits, x("labels"));
    t.backward(loss);
    return { loss, grad_logits: t.grad(logits)! };
  }));
Deno.test("argmax() matches PyTorch exactly", () =>
  check("argmax", (x) => ({ out: t.argmax(x("x"), 1) })));
Deno.test("sum() matches PyTorch", () => check("sum", (x) => ({ out: t.sum(x("x")) })));
Deno.test("mean() matches PyTorch", () => check("mean", (x) => ({ out: t.mean(x("x")) })));

Deno.test("conv2d() gradients wrt input, weight and bias match PyTorch", () =>
  check("conv2d_3x3_backward", (x) => {
    const [xi, w, b] = [x("x"), x("w"), x("b")].map((v) => t.setRequiresGrad(v));
    t.backward(t.sum(t.mul(t.conv2d(xi, w, b, { padding: 1 }), x("g"))));
    return { grad_x: t.grad(xi)!, grad_w: t.grad(w)!, grad_b: t.grad(b)! };
  }));
Deno.test("maxPool2d() gradient matches PyTorch", () =>
  check("max_pool2d_k3s2p1_backward", (x) => {
    const xi = t.setRequiresGrad(x("x"));
    t.backward(t.sum(t.mul(t.maxPool2d(xi, 3, { stride: 2, padding: 1 }), x("g"))));
    return { grad_x: t.grad(xi)! };
  }));
Deno.test("linear() gradients match PyTorch", () =>
  check("linear_backward", (x) => {
    const [xi, w, b] = [x("x"), x("w"), x("b")].map((v) => t.setRequiresGrad(v));
    t.backward(t.sum(t.mul(t.linear(xi, w, b), x("g"))));
    return { grad_x: t.grad(xi)!, grad_w: t.grad(w)!, grad_b: t.grad(b)! };
  }));

function adam(caseName: string) {
  const c = byName.get(caseName)!;
  const steps = c.params.steps as number;
  check(caseName, (x) => {
    const p = t.setRequiresGrad(t.keep(x("p")));
    const g = x("g");
    const opt = new t.Adam([p], {
      lr: c.params.lr as number,
      betas: c.params.betas as [number, number],
      eps: c.params.eps as number,
    });
    const after: t.Tensor[] = [];
    for (let i = 0; i < steps; i++) {
      t.scope(() => {
        opt.zeroGrad();
        // d/dp sum(p * g_i) = g_i: the fixture's gradient for step i.
        t.backward(t.sum(t.mul(p, t.narrow(g, 0, i, 1))));
        opt.step();
      });
      after.push(t.clone(t.detach(p)));
    }
    const m = t.clone(opt.state(0, 0));
    const v = t.clone(opt.state(0, 1));
    assert.strictEqual(opt.stepCount, steps);
    opt.dispose();
    p.dispose();
    return { out: t.view(t.cat(after, 0), [steps, ...after[0].shape]), m_final: m, v_final: v };
  });
}
Deno.test("Adam matches torch.optim.Adam with its defaults over 5 steps", () => adam("adam"));
Deno.test("Adam matches torch.optim.Adam with lr 0.01, betas (0.8, 0.99), eps 1e-6", () =>
  adam("adam_custom"));

Deno.test("a shape error is a TorchError with libtorch's message, and the next op still runs", () => {
  const before = t.liveTensors();
  t.scope(() => {
    const a = t.zeros([2, 3]);
    const w = t.zeros([4, 5]);
    assert.throws(
      () => t.linear(a, w, null),
      (err: Error) =>
        err instanceof t.TorchError &&
        /mat1 and mat2 shapes cannot be multiplied \(2x3 and 5x4\)/.test(err.message),
    );
    const y = t.relu(t.fromHost(new Float32Array([-1, 2]), [2]));
    assert.deepStrictEqual(Array.from(t.toHost(y) as Float32Array), [0, 2]);
  });
  assert.strictEqual(t.liveTensors(), before);
});

Deno.test("a wrong dtype is a TorchError, not a crash", () => {
  t.scope(() => {
    const logits = t.zeros([2, 10]);
    const labels = t.zeros([2], { dtype: "float32" });
    assert.throws(() => t.crossEntropy(logits, labels), t.TorchError);
    assert.throws(
      () => t.conv2d(t.zeros([1, 1, 4, 4], { dtype: "int64" }), t.zeros([1, 1, 3, 3]), null),
      t.TorchError,
    );
  });
});

Deno.test("fromHost() rejects a byte count that does not fit the shape", () => {
  assert.throws(
    () => t.fromHost(new Float32Array(3), [2, 2]),
    (e: Error) => e instanceof t.TorchError && e.message.includes("expected 16 bytes"),
  );
});

Deno.test("a disposed tensor throws in TypeScript before any native call", () => {
  const a = t.zeros([2]);
  a.dispose();
  assert(a.disposed);
  assert.throws(
    () => t.relu(a),
    (e: Error) => e instanceof t.TorchError && e.message.includes("after dispose"),
  );
  assert.throws(
    () => a.shape,
    (e: Error) => e instanceof t.TorchError && e.message.includes("after dispose"),
  );
});

Deno.test("dispose() is idempotent and `using` frees at block end", () => {
  const before = t.liveTensors();
  const a = t.zeros([3]);
  a.dispose();
  a.dispose();
  {
    using _b = t.zeros([3]);
    assert.strictEqual(t.liveTensors(), before + 1);
  }
  assert.strictEqual(t.liveTensors(), before);
});

Deno.test("scope() frees temporaries, keeps what it returns and what keep() marks", () => {
  const before = t.liveTensors();
  let kept: t.Tensor | undefined;
  const result = t.scope(() => {
    const a = t.zeros([4]);
    const b = t.relu(a);
    kept = t.keep(t.clone(b));
    return { out: t.add(a, b), list: [t.mean(a)] };
  });
  assert.strictEqual(t.liveTensors(), before + 3);
  result.out.dispose();
  result.list[0].dispose();
  kept!.dispose();
  assert.strictEqual(t.liveTensors(), before);
});

Deno.test("scope() frees its temporaries when the body throws", () => {
  const before = t.liveTensors();
  assert.throws(() =>
    t.scope(() => {
      t.zeros([4]);
      t.linear(t.zeros([1, 2]), t.zeros([3, 4]), null);
    }), t.TorchError);
  assert.strictEqual(t.liveTensors(), before);
});

Deno.test("noGrad() turns autograd off and restores it", () => {
  t.scope(() => {
    const w = t.setRequiresGrad(t.zeros([2]));
    const y = t.noGrad(() => t.mul(w, w));
    assert.strictEqual(t.requiresGrad(y), false);
    assert.strictEqual(t.requiresGrad(t.mul(w, w)), true);
  });
});

Deno.test("buildInfo() reports libtorch's version, the C++ standard and CUDA facts", () => {
  const info = t.buildInfo();
  assert(/^\d+\.\d+\.\d+$/.test(info.libtorch), info.libtorch);
  // At least the shim's own C++17; libtorch releases that demand C++20 get 20.
  assert(
    info.cxxStandard === 17 || info.cxxStandard === 20 || info.cxxStandard === 23,
    `${info.cxxStandard}`,
  );
  assert.strictEqual(typeof info.cudaAvailable, "boolean");
  assert.strictEqual(info.cudaDevices.length, info.cudaDeviceCount);
});

Deno.test("setNumThreads() changes libtorch's thread count", () => {
  const prev = t.getNumThreads();
  t.setNumThreads(1);
  assert.strictEqual(t.getNumThreads(), 1);
  t.setNumThreads(prev);
  assert.throws(() => t.setNumThreads(0), RangeError);
});

Deno.test("Tensor.shape reports every dimension, past 16 too (the shim takes up to 64)", () => {
  for (const ndim of [0, 16, 17, 40, 64]) {
    using x = t.zeros(Array.from({ length: ndim }, (_, i) => (i % 7 === 0 ? 2 : 1)));
    assert.deepStrictEqual(x.shape, Array.from({ length: ndim }, (_, i) => (i % 7 === 0 ? 2 : 1)));
  }
  assert.throws(() => t.zeros(new Array(65).fill(1)), /expected 0\.\.64 dimensions, found 65/);
});
