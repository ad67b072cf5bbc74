import { type Dataset, encodeIdx } from "../src/data/mod.ts";
/** Shared test helpers: fixtures from tests/fixtures and closeness checks. */
import { decodeSafetensors, type RawTensor, tensorFromRaw } from "../src/model/safetensors.ts";
import type { Tensor } from "../src/ffi/mod.ts";

/** Element-wise absolute closeness; the message names the first offending index. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what = "values",
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: expected ${expected.length} elements, found ${actual.length}`);
  }
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  if (!(worst <= tol)) {
    throw new Error(
      `${what}: expected |actual - expected| ≤ ${tol}, found ${worst} at index ${at} ` +
        `(actual ${actual[at]}, expected ${expected[at]})`,
    );
  }
}

/** Raw bytes as numbers (float32, float64, int64). */
export function numbers(r: RawTensor): number[] {
  const d = r.data.byteOffset % 8 === 0 ? r.data : r.data.slice();
  switch (r.dtype) {
    case "float32":
      return Array.from(new Float32Array(d.buffer, d.byteOffset, d.byteLength / 4));
    case "float64":
      return Array.from(new Float64Array(d.buffer, d.byteOffset, d.byteLength / 8));
    case "int64":
      return Array.from(new BigInt64Array(d.buffer, d.byteOffset, d.byteLength / 8), Number);
    default:
      return Array.from(d);
  }
}

/** The op fixtures made by tests/reference/make_fixtures.py. */
export interface OpCase {
  name: string;
  op: string;
  params: Record<string, unknown>;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  tolerance: { abs: number };
}

/** Loads tests/fixtures/ops.json and ops.safetensors. */
export function loadOpFixtures(): {
  cases: OpCase[];
  raw: Map<string, RawTensor>;
  tensor: (n: string) => Tensor;
} {
  const dir = new URL("./fixtures/", import.meta.url);
  const spec = JSON.parse(Deno.readTextFileSync(new URL("ops.json", dir)));
  const { tensors } = decodeSafetensors(
    Deno.readFileSync(new URL(spec.tensorsFile ?? "ops.safetensors", dir)),
  );
  return {
    cases: spec.cases,
    raw: tensors,
    tensor: (n: string) => {
      const r = tensors.get(n);
      if (r === undefined) throw new Error(`fixture tensor ${n} is missing`);
      return tensorFromRaw(r);
    },
  };
}

/** Whether Debian's python3 with torch is usable. */
export function hasPythonTorch(): boolean {
  try {
    const r = new Deno.Command(PYTHON, {
      args: ["-c", "import torch"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync();
    return r.success;
  } catch {
    return false;
  }
}

/** The Python with python3-torch (Debian's, not a pyenv one). */
export const PYTHON = Deno.env.get("TORCH_PYTHON") ?? "/usr/bin/python3";

/** Options of {@linkcode writeTinyDataset}. */
export interface TinyDatasetOptions {
  /** Training images (default 640). */
  train?: number;
  /** Test images (default 100). */
  test?: number;
}

/**
 * Writes a small learnable IDX data set (class k bright in row band k) into `dir`, under the
 * original MNIST file names.
 */
export async function writeTinyDataset(
  dir: string,
  options: TinyDatasetOptions = {},
): Promise<void> {
  const split = (count: number, offset: number) => {
    const images = new Uint8Array(count * 784);
    const labels = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const k = (i * 7 + offset) % 10;
      labels[i] = k;
      for (let r = 2 * k; r < 2 * k + 4; r++) {
        for (let c = 0; c < 28; c++) images[i * 784 + r * 28 + c] = 120 + ((i * 13 + c) % 130);
      }
    }
    return { images: encodeIdx([count, 28, 28], images), labels: encodeIdx([count], labels) };
  };
  const train = split(options.train ?? 640, 0);
  const test = split(options.test ?? 100, 3);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(`${dir}/train-images-idx3-ubyte`, train.images);
  await Deno.writeFile(`${dir}/train-labels-idx1-ubyte`, train.labels);
  await Deno.writeFile(`${dir}/t10k-images-idx3-ubyte`, test.images);
  await Deno.writeFile(`${dir}/t10k-labels-idx1-ubyte`, test.labels);
}

/**
 * Runs `fn` with a fresh temporary folder whose `data/` holds a tiny IDX data set
 * ({@linkcode writeTinyDataset}), and removes the folder afterwards, whatever `fn` does.
 */
export async function withTinyData(
  prefix: string,
  options: TinyDatasetOptions,
  fn: (dir: string, data: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await writeTinyDataset(`${dir}/data`, options);
    await fn(dir, `${dir}/data`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The benchmark's entry point, for subprocess tests. */
export const BENCH_MAIN = new URL("../src/bench/entry/main.ts", import.meta.url).pathname;

/** A small learnable data split: class k images are bright in row band k. */
export function syntheticSplit(count: number): Dataset["train"] {
  const images = new Uint8Array(count * 28 * 28);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const k = i % 10;
    labels[i] = k;
    for (let r = 2 * k; r < 2 * k + 4; r++) {
      for (let c = 0; c < 28; c++) images[i * 784 + r * 28 + c] = 200 + (i % 50);
    }
  }
  return { images, labels, count, rows: 28, cols: 28 };
}

/** A synthetic data set of {@linkcode syntheticSplit}s (no files; for training tests). */
export function syntheticDataset(trainCount: number, testCount: number): Dataset {
  return {
    name: "synthetic",
    dir: "",
    train: syntheticSplit(trainCount),
    test: syntheticSplit(testCount),
  };
}
