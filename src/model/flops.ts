/**
 * Counting the floating-point work of a training step.
 *
 * @module
 */
import { INPUT_SIZE, traceGoogLeNet } from "./architecture.ts";
import { leaves } from "./spec.ts";

/**
 * One convolution or fully connected layer, per image. For a `"linear"` layer `inC`/`outC` are
 * the input/output features and the spatial fields may be omitted.
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

/** The dimensions of a layer, each a positive integer (the last five 1 when absent). */
const DIMENSIONS = ["inC", "outC", "kH", "kW", "outH", "outW", "groups"] as const;

/**
 * Multiply–accumulates of one forward pass of one image through `layers`:
 * `outH·outW·outC·(inC/groups)·kH·kW` per convolution and `inC·outC` per linear layer. Biases,
 * activations, pooling, normalization and the loss are not counted.
 *
 * @throws {RangeError} When a dimension is not a positive integer or groups do not divide the
 * channels, naming the layer and the field.
 */
export function forwardMacsPerImage(layers: readonly LayerShape[]): number {
  return layers.reduce((macs, layer, i) => {
    const where = `layers[${i}]`;
    const used = layer.kind === "linear" ? DIMENSIONS.slice(0, 2) : DIMENSIONS;
    const [inC, outC, kH, kW, outH, outW, groups] = used.map((key) => {
      const value = layer[key] ?? 1;
      if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
        throw new RangeError(
          `${where}.${key}: expected a positive integer, found ${String(value)}`,
        );
      }
      return value;
    });
    if (layer.kind === "linear") return macs + inC * outC;
    if (layer.kind !== "conv") {
      throw new RangeError(
        `${where}.kind: expected "conv" or "linear", found ${JSON.stringify(layer.kind)}`,
      );
    }
    if (inC % groups !== 0 || outC % groups !== 0) {
      throw new RangeError(
        `${where}.groups: expected a divisor of inC ${inC} and outC ${outC}, found ${groups}`,
      );
    }
    return macs + outH * outW * outC * (inC / groups) * kH * kW;
  }, 0);
}

/**
 * Training FLOPs per image, by the usual convention: 2 FLOPs per multiply–accumulate of the
 * forward pass, and a step costs 3 forward passes (forward, then the input and the weight
 * gradients). Only convolution and linear layers are counted.
 *
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

/**
 * Geometry of GoogLeNet's conv and linear layers for square images of `inputSize` pixels, read
 * from its stage table (no libtorch, no model).
 *
 * @throws {RangeError} When `inputSize` is not a positive integer.
 */
export function googlenetLayers(inputSize: number = INPUT_SIZE): LayerGeometry[] {
  return leaves(traceGoogLeNet(inputSize)).flatMap(
    ({ path: name, spec, input, output }): LayerGeometry[] => {
      const [inC] = input;
      const [outC, outH, outW] = output;
      const flat = { kH: 1, kW: 1, outH: 1, outW: 1 };
      if (spec.kind === "linear") return [{ kind: "linear", name, inC, outC, ...flat }];
      if (spec.kind !== "conv") return [];
      return [{ kind: "conv", name, inC, outC, kH: spec.kernel, kW: spec.kernel, outH, outW }];
    },
  );
}

/**
 * Training FLOPs per image of the seed's GoogLeNet on square images of `inputSize` pixels.
 *
 * @throws {RangeError} When `inputSize` is not a positive integer.
 */
export function googlenetFlopsPerImage(inputSize: number = INPUT_SIZE): number {
  return trainingFlopsPerImage(googlenetLayers(inputSize));
}
