/**
 * The Module base and GoogLeNet built from its stage table, with libtorch: the traced geometry is
 * what the layers really output, parameters are the table's, and training mode, child replacement,
 * placement and disposal are handled once in the base without leaking a tensor.
 */
import "./_shim.ts"; // builds the shim on a fresh clone (as cargo test builds)
import assert from "node:assert/strict";
import * as t from "../src/ffi/mod.ts";
import {
  Dropout,
  GoogLeNet,
  googlenetParameterShapes,
  Linear,
  type Module,
  traceGoogLeNet,
} from "../src/model/mod.ts";

/** Runs fn with a seeded GoogLeNet, frees it, and checks that no tensor outlived the test. */
function withModel(fn: (m: GoogLeNet) => void): void {
  const before = t.liveTensors();
  t.manualSeed(0);
  const m = new GoogLeNet();
  try {
    fn(m);
  } finally {
    m.dispose();
  }
  assert.strictEqual(t.liveTensors(), before, "no tensor leaked");
}

function images(n: number, size: number): t.Tensor {
  const x = new Float32Array(n * size * size);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37);
  return t.fromHost(x, [n, 1, size, size]);
}

for (const size of [28, 20]) {
  Deno.test(`each GoogLeNet stage outputs the shape traceGoogLeNet(${size}) gives it`, () => {
    withModel((m) => {
      m.training = false;
      const traced = traceGoogLeNet(size).children;
      t.scope(() => {
        let h = images(2, size);
        m.namedChildren().forEach(([name, stage]: [string, Module], i) => {
          h = stage.forward(h);
          assert.strictEqual(name, traced[i].path);
          assert.deepStrictEqual(h.shape, [2, ...traced[i].output], name);
        });
      });
    });
  });
}

Deno.test("GoogLeNet's parameters have the names and shapes of googlenetParameterShapes()", () => {
  withModel((m) => {
    assert.deepStrictEqual(
      m.namedParameters().map(([n, p]) => [n, p.shape]),
      googlenetParameterShapes(),
    );
    assert.ok(m.parameters().every((p) => p.dtype === "float32"));
  });
});

Deno.test("setting training on the model sets it on every layer, as nn.Module.train() does", () => {
  withModel((m) => {
    m.training = false;
    assert.strictEqual(m.child("dropout", Dropout).training, false);
    m.training = true;
    assert.strictEqual(m.child("dropout", Dropout).training, true);
  });
});

Deno.test("replace() swaps a child, frees the old one, and the new child takes the model's mode", () => {
  withModel((m) => {
    const run = () => t.scope(() => Array.from(t.toHost(m.forward(images(2, 28))) as Float32Array));
    m.training = false;
    const evalLogits = run();
    m.training = true;
    const fcBefore = t.liveTensors();
    m.replace("dropout", new Dropout(0));
    assert.strictEqual(m.child("dropout", Dropout).training, true);
    assert.deepStrictEqual(run(), evalLogits, "dropout 0 in training mode is the identity");
    // Replacing the classifier frees its two parameters.
    m.replace("fc", new Linear({ kind: "linear", out: 10 }, [1024]));
    assert.strictEqual(t.liveTensors(), fcBefore, "the old classifier's tensors are freed");
  });
});

Deno.test("child() and replace() say which child was expected and which was found", () => {
  withModel((m) => {
    assert.throws(() => m.child("fc", Dropout), {
      message: "expected a Dropout child named fc, found Linear",
    });
    assert.throws(() => m.child("fc2", Linear), {
      message: "expected a Linear child named fc2, found none",
    });
    assert.throws(
      () => m.replace("fc2", new Dropout(0)),
      /expected a child named fc2, found only conv1, maxpool1/,
    );
  });
});

Deno.test("to(cpu, channels_last) keeps every parameter's name and values and leaks nothing", () => {
  withModel((m) => {
    const before = m.namedParameters().map((
      [n, p],
    ) => [n, Array.from(t.toHost(p) as Float32Array)]);
    const live = t.liveTensors();
    assert.strictEqual(m.to("cpu", { memoryFormat: "channels_last" }), m);
    assert.strictEqual(t.liveTensors(), live, "each parameter replaced, none added");
    const after = m.namedParameters().map(([n, p]) => [n, Array.from(t.toHost(p) as Float32Array)]);
    assert.deepStrictEqual(after, before);
  });
});
