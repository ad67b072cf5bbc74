/**
 * The seed's GoogLeNet (Inception v1 adapted to 1x28x28 MNIST), 5,977,530 parameters, as one
 * ordered stage table, exactly as the seed defines it: no ReLU after conv1, conv2, conv3 or any
 * branch output; dropout 0.4 before the classifier. The table's order is the seed's forward order
 * and its construction order, so parameters are drawn from the generator in PyTorch's order.
 *
 * Everything here is pure (no libtorch): the model class, the FLOP count and the weight-file check
 * all read this table.
 *
 * @module
 */
import { NUM_CLASSES } from "../data/mod.ts";
import { inception } from "./inception.ts";
import {
  conv,
  maxPool,
  parameterShapes,
  type SequentialSpec,
  trace,
  type TracedLayer,
} from "./spec.ts";

/** Channels of the model's input images (grayscale). */
export const INPUT_CHANNELS = 1;

/** Height and width of the images the seed trains on (MNIST). */
export const INPUT_SIZE = 28;

const pool = () => maxPool(3, { stride: 2, padding: 1 });

/** The stages in forward order; shapes are for the seed's N x 1 x 28 x 28 input. */
export const GOOGLENET: SequentialSpec = {
  kind: "sequential",
  layers: [
    ["conv1", conv(64, 7, { stride: 2, padding: 3 })], //          N x 64 x 14 x 14
    ["maxpool1", pool()], //                                      N x 64 x 7 x 7
    ["conv2", conv(64, 1)], //                                    N x 64 x 7 x 7
    ["conv3", conv(192, 3, { padding: 1 })], //                   N x 192 x 7 x 7
    ["maxpool2", pool()], //                                      N x 192 x 4 x 4
    ["inception3a", inception([64, 96, 128, 16, 32, 32])], //     N x 256 x 4 x 4
    ["inception3b", inception([128, 128, 192, 32, 96, 64])], //   N x 480 x 4 x 4
    ["maxpool3", pool()], //                                      N x 480 x 2 x 2
    ["inception4a", inception([192, 96, 208, 16, 48, 64])], //    N x 512 x 2 x 2
    ["inception4b", inception([160, 112, 224, 24, 64, 64])], //   N x 512 x 2 x 2
    ["inception4c", inception([128, 128, 256, 24, 64, 64])], //   N x 512 x 2 x 2
    ["inception4d", inception([112, 144, 288, 32, 64, 64])], //   N x 528 x 2 x 2
    ["inception4e", inception([256, 160, 320, 32, 128, 128])], // N x 832 x 2 x 2
    ["maxpool4", pool()], //                                      N x 832 x 1 x 1
    ["inception5a", inception([256, 160, 320, 32, 128, 128])], // N x 832 x 1 x 1
    ["inception5b", inception([384, 192, 384, 48, 128, 128])], // N x 1024 x 1 x 1
    ["avgpool", { kind: "avgpool", size: 1 }], //                 N x 1024 x 1 x 1
    ["flatten", { kind: "flatten" }], //                          N x 1024
    ["dropout", { kind: "dropout", p: 0.4 }], //                  N x 1024
    ["fc", { kind: "linear", out: NUM_CLASSES }], //              N x 10
  ],
};

/**
 * GoogLeNet traced for square images of `inputSize` pixels: every layer's per-image input and
 * output shapes.
 *
 * @throws {RangeError} When `inputSize` is not a positive integer.
 */
export function traceGoogLeNet(inputSize: number = INPUT_SIZE): TracedLayer {
  return trace(GOOGLENET, [INPUT_CHANNELS, inputSize, inputSize]);
}

/** GoogLeNet's parameters as state_dict names and shapes, in registration order (all float32). */
export function googlenetParameterShapes(): [name: string, shape: number[]][] {
  return parameterShapes(traceGoogLeNet());
}

/**
 * The smallest side, in pixels, of a stage's input for it to compute in bf16 under
 * `--precision bf16-hybrid`. Measured on this CPU's oneDNN (libtorch 1.13, 2 threads,
 * results/sweeps/2026-11-29-conv-dtypes.json from `python3 benches/conv_dtypes.py`): at 7×7 and
 * 4×4 the bf16 convolutions take 0.59–0.77× fp32's time, forward and backward; at 2×2 and 1×1
 * their forward still gains (0.66–0.68×) but their backward takes 1.44–1.62× fp32's, so those
 * stages lose in bf16, and a whole-model bf16 step is barely faster than fp32's.
 */
export const BF16_MIN_SIDE = 4;

/** The names of the stages whose input is at least {@linkcode BF16_MIN_SIDE} pixels on a side. */
export function bf16Stages(inputSize: number = INPUT_SIZE): Set<string> {
  const wide = (s: TracedLayer) => s.input.length === 3 && s.input[1] >= BF16_MIN_SIDE;
  return new Set(traceGoogLeNet(inputSize).children.filter(wide).map((s) => s.path));
}
