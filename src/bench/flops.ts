/**
 * Counting the floating-point work of a training step.
 *
 * @module
 */
import { INPUT_SIZE, traceGoogLeNet } from "../model/architecture.ts";
import { leaves, type TracedLayer } from "../model/spec.ts";

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

/** One conv or linear layer's shape under its state_dict prefix. */
export interface LayerGeometry extends Required<Omit<LayerShape, "groups">> {
  /** State-dict prefix of the layer (e.g. `inception3a.branch2.2`). */
  name: string;
}

/** The conv and linear layers of a traced model, with their per-image shapes. */
export function layerGeometry(traced: TracedLayer): LayerGeometry[] {
  return leaves(traced).flatMap(({ path: name, spec, input, output }): LayerGeometry[] => {
    if (spec.kind === "conv") {
      const [inC] = input;
      const [outC, outH, outW] = output;
      return [{ kind: "conv", name, inC, outC, kH: spec.kernel, kW: spec.kernel, outH, outW }];
    }
    if (spec.kind !== "linear") return [];
    return [{
      kind: "linear",
      name,
      inC: input[0],
      outC: output[0],
      kH: 1,
      kW: 1,
      outH: 1,
      outW: 1,
    }];
  });
}

/**
 * Geometry of GoogLeNet's conv and linear layers for square images of `inputSize` pixels, read from
 * its stage table (no libtorch, no model).
 *
 * @throws {RangeError} When `inputSize` is not a positive integer.
 */
export function googlenetLayers(inputSize: number = INPUT_SIZE): LayerGeometry[] {
  return layerGeometry(traceGoogLeNet(inputSize));
}

/**
 * Training FLOPs per image of the seed's GoogLeNet on square images of `inputSize` pixels
 * ({@linkcode trainingFlopsPerImage} of {@linkcode googlenetLayers}).
 *
 * @throws {RangeError} When `inputSize` is not a positive integer.
 */
export function googlenetFlopsPerImage(inputSize: number = INPUT_SIZE): number {
  return trainingFlopsPerImage(googlenetLayers(inputSize));
}
