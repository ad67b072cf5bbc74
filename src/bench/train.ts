/**
 * The training loop of the seed, on any device: zero grads → forward → cross-entropy →
 * backward → Adam step, one short function per step; evaluation in eval mode without grad.
 *
 * @module
 */
import {
  Adam,
  argmax,
  backward,
  clipGradNorm,
  countEqual,
  crossEntropy,
  detach,
  type Device,
  fromHost,
  indexSelect,
  item,
  keep,
  manualSeed,
  narrow,
  noGrad,
  scope,
  type Tensor,
  to,
} from "../ffi/mod.ts";
import { GoogLeNet } from "../model/mod.ts";
import {
  type BatchRange,
  type Dataset,
  normalizeImages,
  permutation,
  type Rng,
} from "../data/mod.ts";

/** Images per evaluation batch (eval runs without grad, so large batches are cheap). */
export const EVAL_BATCH_SIZE = 1000;

/** A data set uploaded to a device once: normalised images and int64 labels. */
export interface DeviceData {
  /** Training images, N x 1 x H x W float32, normalised as the seed does. */
  trainImages: Tensor;
  /** Training labels, N int64. */
  trainLabels: Tensor;
  /** Test images. */
  testImages: Tensor;
  /** Test labels. */
  testLabels: Tensor;
  /** Number of training images. */
  trainCount: number;
  /** Number of test images. */
  testCount: number;
  /** Device the tensors live on. */
  device: Device;
}

function uploadSplit(split: Dataset["train"], device: Device): [Tensor, Tensor] {
  const images = fromHost(normalizeImages(split.images), [split.count, 1, split.rows, split.cols], {
    device,
  });
  const labels = scope(() =>
    to(fromHost(split.labels, [split.count], { dtype: "uint8" }), device, "int64")
  );
  return [keep(images), keep(labels)];
}

/** Uploads the whole data set to a device, once. */
export function uploadDataset(ds: Dataset, device: Device): DeviceData {
  const [trainImages, trainLabels] = uploadSplit(ds.train, device);
  const [testImages, testLabels] = uploadSplit(ds.test, device);
  return {
    trainImages,
    trainLabels,
    testImages,
    testLabels,
    trainCount: ds.train.count,
    testCount: ds.test.count,
    device,
  };
}

/** Frees an uploaded data set. */
export function disposeDeviceData(d: DeviceData): void {
  for (const t of [d.trainImages, d.trainLabels, d.testImages, d.testLabels]) t.dispose();
}

/** Options of a {@linkcode Trainer}. */
export interface TrainerOptions {
  /** Adam learning rate (the seed's 1e-3). */
  lr: number;
  /** Seed for the model's initialisation and dropout (libtorch's generator). */
  seed: number;
  /** Clip the gradients' joint L2 norm to this before each step (off when null). */
  clipGradNorm?: number | null;
}

/** A model, its optimizer and the data it trains on. */
export class Trainer {
  /** The model being trained. */
  readonly model: GoogLeNet;
  /** Its Adam optimizer. */
  readonly optimizer: Adam;
  /** The model's parameters, in state_dict order. */
  readonly params: Tensor[];
  readonly #data: DeviceData;
  readonly #clip: number | null;

  /** Seeds libtorch, builds the model (PyTorch's initialisation for that seed) on the data's device. */
  constructor(data: DeviceData, options: TrainerOptions) {
    this.#data = data;
    this.#clip = options.clipGradNorm ?? null;
    manualSeed(options.seed);
    this.model = new GoogLeNet();
    if (data.device !== "cpu") this.model.to(data.device);
    this.params = this.model.parameters();
    this.optimizer = new Adam(this.params, { lr: options.lr });
  }

  /** The epoch's order of training images, as an int64 tensor on the device (one upload). */
  epochOrder(rng: Rng): Tensor {
    const perm = permutation(this.#data.trainCount, rng);
    const idx = new BigInt64Array(perm.length);
    for (let i = 0; i < perm.length; i++) idx[i] = BigInt(perm[i]);
    return fromHost(idx, [idx.length], { device: this.#data.device });
  }

  /** One training step on the batch `range` of `order`; returns the (detached) loss tensor. */
  step(order: Tensor, range: BatchRange): Tensor {
    return scope(() => {
      const idx = narrow(order, 0, range.start, range.size);
      const x = indexSelect(this.#data.trainImages, 0, idx);
      const y = indexSelect(this.#data.trainLabels, 0, idx);
      this.model.training = true;
      this.optimizer.zeroGrad();
      const loss = crossEntropy(this.model.forward(x), y);
      backward(loss);
      if (this.#clip !== null) clipGradNorm(this.params, this.#clip);
      this.optimizer.step();
      return detach(loss);
    });
  }

  /** Test-set accuracy in eval mode (dropout off, no grad), in batches of EVAL_BATCH_SIZE. */
  evaluate(): number {
    const d = this.#data;
    this.model.training = false;
    try {
      let correct = 0;
      for (let start = 0; start < d.testCount; start += EVAL_BATCH_SIZE) {
        const size = Math.min(EVAL_BATCH_SIZE, d.testCount - start);
        correct += noGrad(() =>
          scope(() => {
            const x = narrow(d.testImages, 0, start, size);
            const y = narrow(d.testLabels, 0, start, size);
            return item(countEqual(argmax(this.model.forward(x), 1), y));
          })
        );
      }
      return correct / d.testCount;
    } finally {
      this.model.training = true;
    }
  }

  /** Frees the model and optimizer (not the data). */
  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
  }
}
