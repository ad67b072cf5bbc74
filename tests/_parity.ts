/**
 * The PyTorch parity harness shared by model_parity and speed_options: a GoogLeNet moved off its
 * initialisation, the weights and MNIST batches it is compared on written as safetensors, and
 * tests/reference/parity.py's answer for them.
 */
import * as t from "../src/ffi/mod.ts";
import { GoogLeNet } from "../src/model/mod.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  type RawTensor,
  toSafetensors,
} from "../src/model/safetensors.ts";
import { loadDataset, normalizeImages } from "../src/data/mod.ts";
import { PYTHON } from "./_helpers.ts";

const REF = new URL("./reference/", import.meta.url).pathname;
/** Images per parity batch. */
export const N = 16;
/** Adam steps compared. */
export const ADAM_STEPS = 20;
/** Steps that move the weights off their initialisation, so logits depend on the input. */
const PRETRAIN_STEPS = 15;

/** A prepared comparison: our model at the compared weights and PyTorch's outputs. */
export interface ParityCase {
  /** The model, at the weights PyTorch started from, gradients cleared. */
  model: GoogLeNet;
  /** parity.py's outputs: logits, loss, grad.<name>, adam_losses, adam_final.<name>. */
  ref: Map<string, RawTensor>;
  /** The forward/backward batch (index 0) and the Adam steps' batches (1..ADAM_STEPS). */
  images(i: number): t.Tensor;
  /** Labels of batch i. */
  labels(i: number): t.Tensor;
  /** Puts the model's parameters back to the compared weights. */
  resetWeights(): void;
  /** Frees the model and removes the temporary files. */
  dispose(): void;
}

/**
 * {@linkcode ADAM_STEPS} steps of `opt` on the case's Adam batches (zero_grad → loss → backward →
 * step); each step's loss, read before the update. `lossOf` computes the loss of a batch.
 */
export function adamLosses(
  c: ParityCase,
  opt: t.Adam,
  lossOf: (x: t.Tensor, y: t.Tensor) => t.Tensor,
): number[] {
  const losses: number[] = [];
  for (let s = 0; s < ADAM_STEPS; s++) {
    losses.push(t.scope(() => {
      opt.zeroGrad();
      const loss = lossOf(c.images(1 + s), c.labels(1 + s));
      t.backward(loss);
      opt.step();
      return t.item(loss);
    }));
  }
  return losses;
}

/** Runs python with args; throws with its stderr when it fails. */
export function python(args: string[]): void {
  const out = new Deno.Command(PYTHON, { args, stdout: "piped", stderr: "piped" }).outputSync();
  if (!out.success) {
    throw new Error(`python ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
}

/** A tensor's values on the host as float32 numbers, from any device or dtype. */
export function host(x: t.Tensor): number[] {
  return t.scope(() => Array.from(t.toHost(t.to(x, "cpu", "float32")) as Float32Array));
}

/** L2 norm of a - b relative to the norm of b. */
export function relNorm(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(n), 1e-30);
}

/**
 * Prepares a comparison against PyTorch: pre-trains a seed-1 GoogLeNet for a few steps, writes its
 * weights and the batches, and runs parity.py with `extraArgs` (e.g. `--autocast bf16`).
 */
export async function parityCase(extraArgs: string[] = []): Promise<ParityCase> {
  const ds = await loadDataset("mnist");
  const px = 28 * 28;
  const batchAt = (i: number) =>
    normalizeImages(ds.train.images.subarray(i * N * px, (i + 1) * N * px));
  const labelsAt = (i: number) =>
    BigInt64Array.from(ds.train.labels.subarray(i * N, (i + 1) * N), BigInt);
  const dir = Deno.makeTempDirSync();
  t.manualSeed(1);
  const model = new GoogLeNet();
  try {
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
    const weightsFile = `${dir}/w.safetensors`;
    Deno.writeFileSync(weightsFile, toSafetensors(model.namedParameters()));

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
      weightsFile,
      "--batch",
      `${dir}/b.safetensors`,
      "--out",
      `${dir}/o.safetensors`,
      "--adam-steps",
      String(ADAM_STEPS),
      "--threads",
      "1",
      ...extraArgs,
    ]);
    const ref = decodeSafetensors(Deno.readFileSync(`${dir}/o.safetensors`)).tensors;
    return {
      model,
      ref,
      images: (i) => t.fromHost(batchAt(i), [N, 1, 28, 28]),
      labels: (i) => t.fromHost(labelsAt(i), [N]),
      resetWeights() {
        t.scope(() => {
          const fresh = decodeSafetensors(Deno.readFileSync(weightsFile)).tensors;
          t.noGrad(() => {
            for (const [name, p] of model.namedParameters()) {
              const r = fresh.get(name)!;
              t.copy_(p, t.fromHost(new Float32Array(r.data.slice().buffer), r.shape));
            }
          });
        });
        t.zeroGrad(model.parameters());
      },
      dispose() {
        model.dispose();
        Deno.removeSync(dir, { recursive: true });
      },
    };
  } catch (e) {
    model.dispose();
    Deno.removeSync(dir, { recursive: true });
    throw e;
  }
}
