/**
 * Counting the floating-point work of a training step.
 *
 * @module
 */

/**
 * One convolution or fully connected layer, per image.
 *
 * For a `"linear"` layer `inC`/`outC` are the input/output features and the
 * spatial fields may be omitted (they default to 1).
 */
export interface LayerShape {
  /** Layer type. */
  kind: "conv" | "linear";
  /** Input channels (conv) or input features (linear). */
  inC: number;
  /** Output channels (conv) or output features (linear). */
  outC: number;
  /** Kernel height. Default 1. */
  kH?: number;
  /** Kernel width. Default 1. */
  kW?: number;
  /** Output height. Default 1. */
  outH?: number;
  /** Output width. Default 1. */
  outW?: number;
  /** Convolution groups; `inC` and `outC` must be divisible by it. Default 1. */
  groups?: number;
}

function positiveInteger(value: unknown, where: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${where}: expected a positive integer, found ${String(value)}`);
  }
  return value;
}

/**
 * Multiply–accumulates of one forward pass of one image through `layers`:
 * `outH·outW·outC·(inC/groups)·kH·kW` per convolution and `inC·outC` per
 * linear layer. Biases, activations, pooling, normalization and the loss are
 * not counted.
 *
 * @param layers The layers.
 * @returns MACs per image.
 * @throws {RangeError} When a dimension is not a positive integer or groups do
 * not divide the channels.
 */
export function forwardMacsPerImage(layers: readonly LayerShape[]): number {
  let macs = 0;
  for (const [i, layer] of layers.entries()) {
    const where = `layers[${i}]`;
    const inC = positiveInteger(layer.inC, `${where}.inC`);
    const outC = positiveInteger(layer.outC, `${where}.outC`);
    if (layer.kind === "linear") {
      macs += inC * outC;
      continue;
    }
    if (layer.kind !== "conv") {
      throw new RangeError(
        `${where}.kind: expected "conv" or "linear", found ${JSON.stringify(layer.kind)}`,
      );
    }
    const kH = positiveInteger(layer.kH ?? 1, `${where}.kH`);
    const kW = positiveInteger(layer.kW ?? 1, `${where}.kW`);
    const outH = positiveInteger(layer.outH ?? 1, `${where}.outH`);
    const outW = positiveInteger(layer.outW ?? 1, `${where}.outW`);
    const groups = positiveInteger(layer.groups ?? 1, `${where}.groups`);
    if (inC % groups !== 0 || outC % groups !== 0) {
      throw new RangeError(
        `${where}.groups: expected a divisor of inC ${inC} and outC ${outC}, found ${groups}`,
      );
    }
    macs += outH * outW * outC * (inC / groups) * kH * kW;
  }
  return macs;
}

/**
 * Training FLOPs per image, by the usual convention: a forward pass costs
 * 2 FLOPs per multiply–accumulate ({@linkcode forwardMacsPerImage}), and a
 * training step costs 3× the forward pass (forward, plus backward for the
 * input gradients and for the weight gradients, each as costly as the
 * forward). Only convolution and linear layers are counted.
 *
 * @param layers The model's convolution and linear layers.
 * @returns `3 × 2 × MACs` per image.
 * @throws {RangeError} As {@linkcode forwardMacsPerImage}.
 *
 * @example Usage
 * ```ts
 * import { trainingFlopsPerImage } from "./flops.ts";
 * trainingFlopsPerImage([{ kind: "linear", inC: 10, outC: 2 }]); // 120
 * ```
 */
export function trainingFlopsPerImage(layers: readonly LayerShape[]): number {
  return 3 * 2 * forwardMacsPerImage(layers);
}
