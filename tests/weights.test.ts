/**
 * Weights PyTorch can load: the .pt file through torch.load + load_state_dict(strict=True) in
 * Debian's python3-torch gives our logits; the .safetensors file read by an independent reader.
 */
import "./_shim.ts"; // builds the shim on a fresh clone (as cargo test builds)
import assert from "node:assert/strict";
import * as t from "../src/ffi/mod.ts";
import {
  checkWeightsFile,
  GoogLeNet,
  googlenetParameterShapes,
  loadWeights,
  saveWeights,
  WeightsError,
} from "../src/model/mod.ts";
import { decodeSafetensors, encodeSafetensors } from "../src/model/safetensors.ts";
import { assertClose, hasPythonTorch, numbers, PYTHON } from "./_helpers.ts";

const REF = new URL("./reference/", import.meta.url).pathname;
/** The seed's model (googlenet.py) lives beside the baselines that train it. */
const PY_PATH = JSON.stringify([REF, new URL("../baselines/", import.meta.url).pathname]);

/** Runs fn with a GoogLeNet initialised from `seed` and a new temporary folder; frees both. */
function withModel(seed: number, fn: (model: GoogLeNet, dir: string) => void): void {
  const dir = Deno.makeTempDirSync();
  t.manualSeed(seed);
  const model = new GoogLeNet();
  try {
    fn(model, dir);
  } finally {
    model.dispose();
    Deno.removeSync(dir, { recursive: true });
  }
}

function batch(n: number): Float32Array {
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37) * 0.9;
  return x;
}

Deno.test({
  name:
    "a .pt file from --save loads with torch.load(weights_only=True) into PyTorch's GoogLeNet with strict=True and gives our logits",
  ignore: !hasPythonTorch(),
  fn() {
    withModel(3, (model, dir) => {
      model.training = false;
      saveWeights(model, `${dir}/w.pt`);
      const x = batch(4);
      Deno.writeFileSync(
        `${dir}/x.safetensors`,
        encodeSafetensors(
          new Map([["x", {
            dtype: "float32",
            shape: [4, 1, 28, 28],
            data: new Uint8Array(x.buffer),
          }]]),
        ),
      );
      const py = new Deno.Command(PYTHON, {
        args: [
          "-c",
          `import sys; sys.path[:0] = ${PY_PATH}; import torch, safetensors_io; ` +
          `from googlenet import GoogLeNet; m = GoogLeNet(); ` +
          `r = m.load_state_dict(torch.load(${
            JSON.stringify(`${dir}/w.pt`)
          }, weights_only=True), strict=True); m.eval(); ` +
          `x = safetensors_io.load(${JSON.stringify(`${dir}/x.safetensors`)})["x"]; ` +
          `safetensors_io.save({"logits": m(x).detach()}, ${
            JSON.stringify(`${dir}/y.safetensors`)
          })`,
        ],
        stderr: "piped",
      }).outputSync();
      assert.ok(py.success, new TextDecoder().decode(py.stderr));
      const ref = decodeSafetensors(Deno.readFileSync(`${dir}/y.safetensors`)).tensors.get(
        "logits",
      )!;
      const ours = t.scope(() =>
        Array.from(t.toHost(model.forward(t.fromHost(x, [4, 1, 28, 28]))) as Float32Array)
      );
      assertClose(ours, numbers(ref), 1e-5, "logits");
    });
  },
});

Deno.test("a .safetensors file from --save has the format's header and each parameter's raw bytes", () => {
  withModel(4, (model, dir) => {
    saveWeights(model, `${dir}/w.safetensors`);
    // An independent reading of the format: u64 little-endian header size, JSON, then bytes.
    const bytes = Deno.readFileSync(`${dir}/w.safetensors`);
    const view = new DataView(bytes.buffer);
    const n = Number(view.getBigUint64(0, true));
    assert.strictEqual((8 + n) % 8, 0, "the header is padded to 8 bytes");
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    const names = Object.keys(header).filter((k) => k !== "__metadata__");
    assert.strictEqual(names.length, 116);
    let expectedOffset = 0;
    for (const name of [...names].sort()) {
      const entry = header[name];
      assert.strictEqual(entry.dtype, "F32");
      const [begin, end] = entry.data_offsets;
      assert.strictEqual(begin, expectedOffset, `${name} follows the previous tensor`);
      expectedOffset = end;
      const param = model.namedParameters().find(([p]) => p === name)![1];
      assert.deepStrictEqual(entry.shape, param.shape);
      const raw = bytes.slice(8 + n + begin, 8 + n + end);
      assert.deepStrictEqual(new Float32Array(raw.buffer), t.toHost(param), name);
    }
    assert.strictEqual(8 + n + expectedOffset, bytes.length, "no trailing bytes");
    // And it loads back.
    t.manualSeed(5);
    const other = new GoogLeNet();
    try {
      loadWeights(other, `${dir}/w.safetensors`);
      assert.deepStrictEqual(t.toHost(other.fc.weight), t.toHost(model.fc.weight));
    } finally {
      other.dispose();
    }
  });
});

Deno.test("loadWeights() rejects a file of another model, naming what is missing, and changes nothing", () => {
  withModel(6, (model, dir) => {
    const before = t.toHost(model.fc.bias);
    Deno.writeFileSync(
      `${dir}/other.safetensors`,
      encodeSafetensors(
        new Map([["fc.bias", { dtype: "float32", shape: [10], data: new Uint8Array(40) }]]),
      ),
    );
    assert.throws(
      () => loadWeights(model, `${dir}/other.safetensors`),
      /expected the model's 116 parameters, found 115 missing \(conv1\.weight/,
    );
    assert.deepStrictEqual(t.toHost(model.fc.bias), before);
  });
});

Deno.test("checkWeightsFile() accepts the .safetensors and .pt files saveWeights() writes, and leaks nothing", () => {
  withModel(7, (model, dir) => {
    for (const ext of ["safetensors", "pt"]) {
      saveWeights(model, `${dir}/w.${ext}`);
      const before = t.liveTensors();
      checkWeightsFile(`${dir}/w.${ext}`);
      assert.strictEqual(t.liveTensors(), before, `${ext}: no tensor left behind`);
    }
  });
});

Deno.test({
  name:
    "checkWeightsFile() accepts the state_dict of PyTorch's reference GoogLeNet (names and shapes)",
  ignore: !hasPythonTorch(),
  fn() {
    const dir = Deno.makeTempDirSync();
    try {
      const py = new Deno.Command(PYTHON, {
        args: [
          "-c",
          `import sys; sys.path[:0] = ${PY_PATH}; import torch, safetensors_io; ` +
          `from googlenet import GoogLeNet; m = GoogLeNet(); ` +
          `safetensors_io.save(m.state_dict(), ${JSON.stringify(`${dir}/ref.safetensors`)}); ` +
          `torch.save(dict(m.state_dict()), ${JSON.stringify(`${dir}/ref.pt`)})`,
        ],
        stderr: "piped",
      }).outputSync();
      assert.ok(py.success, new TextDecoder().decode(py.stderr));
      checkWeightsFile(`${dir}/ref.safetensors`);
      checkWeightsFile(`${dir}/ref.pt`);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

/** A safetensors file holding `tensors` (name → dtype and shape, zero bytes). */
function writeShapes(path: string, tensors: [string, "float32" | "float64", number[]][]): void {
  const size = { float32: 4, float64: 8 };
  Deno.writeFileSync(
    path,
    encodeSafetensors(
      new Map(tensors.map(([name, dtype, shape]) => [name, {
        dtype,
        shape,
        data: new Uint8Array(shape.reduce((a, d) => a * d, size[dtype])),
      }])),
    ),
  );
}

Deno.test("checkWeightsFile() says which tensor is missing, misshapen or of another dtype, without building a model", () => {
  const dir = Deno.makeTempDirSync();
  const before = t.liveTensors();
  try {
    const all = () =>
      googlenetParameterShapes().map(([n, s]): [string, "float32" | "float64", number[]] => [
        n,
        "float32",
        s,
      ]);
    writeShapes(`${dir}/short.safetensors`, all().slice(1));
    assert.throws(() => checkWeightsFile(`${dir}/short.safetensors`), {
      name: "WeightsError",
      message: `${dir}/short.safetensors: expected the model's 116 parameters, found 1 missing ` +
        "(conv1.weight) and 0 unexpected",
    });
    writeShapes(
      `${dir}/wide.safetensors`,
      all().map(([n, d, s]) => n === "fc.weight" ? [n, d, [10, 1000]] : [n, d, s]),
    );
    assert.throws(() => checkWeightsFile(`${dir}/wide.safetensors`), {
      message: `${dir}/wide.safetensors: fc.weight: expected shape 10x1024, found 10x1000`,
    });
    writeShapes(
      `${dir}/double.safetensors`,
      all().map(([n, d, s]) => n === "fc.bias" ? [n, "float64", s] : [n, d, s]),
    );
    assert.throws(() => checkWeightsFile(`${dir}/double.safetensors`), {
      message: `${dir}/double.safetensors: fc.bias: expected dtype float32, found float64`,
    });
    assert.throws(() => checkWeightsFile(`${dir}/none.safetensors`), WeightsError);
    assert.throws(() => checkWeightsFile(`${dir}/none.pt`), WeightsError);
    assert.strictEqual(t.liveTensors(), before, "no model, no tensor");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
