/**
 * The seed's GoogLeNet (Inception v1 adapted to 1x28x28 MNIST), 5,977,530 parameters, exactly
 * as the seed defines it: no ReLU after conv1, conv2, conv3 or any branch output; dropout 0.4
 * before the classifier.
 *
 * @module
 */
import { type Device, flatten, type Tensor } from "../ffi/mod.ts";
import {
  AdaptiveAvgPool2d,
  Conv2d,
  Dropout,
  Linear,
  MaxPool2d,
  type Parameterised,
  type PlacementOptions,
} from "./layers.ts";
import { Inception, type InceptionConfig, inceptionOutChannels } from "./inception.ts";

/** Channel table of the Inception blocks: [in, 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj]. */
export const INCEPTION_TABLE: Record<
  string,
  [number, number, number, number, number, number, number]
> = {
  inception3a: [192, 64, 96, 128, 16, 32, 32], //   N x 256 x 4 x 4
  inception3b: [256, 128, 128, 192, 32, 96, 64], // N x 480 x 4 x 4
  inception4a: [480, 192, 96, 208, 16, 48, 64], //  N x 512 x 2 x 2
  inception4b: [512, 160, 112, 224, 24, 64, 64], // N x 512 x 2 x 2
  inception4c: [512, 128, 128, 256, 24, 64, 64], // N x 512 x 2 x 2
  inception4d: [512, 112, 144, 288, 32, 64, 64], // N x 528 x 2 x 2
  inception4e: [528, 256, 160, 320, 32, 128, 128], // N x 832 x 2 x 2
  inception5a: [832, 256, 160, 320, 32, 128, 128], // N x 832 x 1 x 1
  inception5b: [832, 384, 192, 384, 48, 128, 128], // N x 1024 x 1 x 1
};

/** Dropout probability before the classifier. */
export const DROPOUT_P = 0.4;
/** Number of classes. */
export const NUM_CLASSES = 10;

function config(row: [number, number, number, number, number, number, number]): InceptionConfig {
  const [inChannels, out1x1, reduce3x3, out3x3, reduce5x5, out5x5, poolProj] = row;
  return { inChannels, out1x1, reduce3x3, out3x3, reduce5x5, out5x5, poolProj };
}

/** One conv or linear layer's geometry, for FLOP counting. */
export interface LayerGeometry {
  /** Layer kind. */
  kind: "conv" | "linear";
  /** State-dict prefix of the layer. */
  name: string;
  /** Input channels or features. */
  inC: number;
  /** Output channels or features. */
  outC: number;
  /** Kernel height (1 for linear). */
  kH: number;
  /** Kernel width (1 for linear). */
  kW: number;
  /** Output height (1 for linear). */
  outH: number;
  /** Output width (1 for linear). */
  outW: number;
}

/** The seed's GoogLeNet. */
export class GoogLeNet implements Parameterised {
  /** 7x7 stem conv, stride 2. */
  readonly conv1 = new Conv2d([1, 64], 7, { stride: 2, padding: 3 });
  /** 3x3 max-pool, stride 2. */
  readonly maxpool1 = new MaxPool2d(3, { stride: 2, padding: 1 });
  /** 1x1 conv. */
  readonly conv2 = new Conv2d([64, 64], 1);
  /** 3x3 conv. */
  readonly conv3 = new Conv2d([64, 192], 3, { padding: 1 });
  /** 3x3 max-pool, stride 2. */
  readonly maxpool2 = new MaxPool2d(3, { stride: 2, padding: 1 });
  /** The Inception blocks by name, in the table's order. */
  readonly inception: Map<string, Inception> = new Map();
  /** Max-pools after inception3b and inception4e. */
  readonly maxpool3 = new MaxPool2d(3, { stride: 2, padding: 1 });
  /** Max-pool after inception4e. */
  readonly maxpool4 = new MaxPool2d(3, { stride: 2, padding: 1 });
  /** Global average pool. */
  readonly avgpool = new AdaptiveAvgPool2d([1, 1]);
  /** Dropout before the classifier. */
  readonly dropout = new Dropout(DROPOUT_P);
  /** Classifier. */
  readonly fc: Linear;
  /** Dropout is active only in training mode. */
  training = true;

  /** Builds the model; parameters are drawn in the seed's construction order. */
  constructor() {
    for (const [name, row] of Object.entries(INCEPTION_TABLE)) {
      this.inception.set(name, new Inception(config(row)));
    }
    const last = [...this.inception.values()].at(-1)!;
    this.fc = new Linear(inceptionOutChannels(last.config), NUM_CLASSES);
  }

  #block(name: string): Inception {
    return this.inception.get(name)!;
  }

  /** Logits for a batch of images. Free intermediates with a scope around the call. */
  forward(x: Tensor): Tensor {
    const b = (name: string, t: Tensor) => this.#block(name).forward(t);
    let h = this.maxpool1.forward(this.conv1.forward(x)); //          N x 64 x 7 x 7
    h = this.maxpool2.forward(this.conv3.forward(this.conv2.forward(h))); // N x 192 x 4 x 4
    h = b("inception3b", b("inception3a", h)); //                    N x 480 x 4 x 4
    h = this.maxpool3.forward(h); //                                  N x 480 x 2 x 2
    h = b("inception4a", h); //                                       N x 512 x 2 x 2
    h = b("inception4e", b("inception4d", b("inception4c", b("inception4b", h)))); // N x 832 x 2 x 2
    h = this.maxpool4.forward(h); //                                  N x 832 x 1 x 1
    h = b("inception5b", b("inception5a", h)); //                    N x 1024 x 1 x 1
    h = flatten(this.avgpool.forward(h), 1); //                       N x 1024
    h = this.dropout.forward(h, this.training); //                    N x 1024
    return this.fc.forward(h); //                                     N x 10
  }

  /** Parameters under the seed module's state_dict names (conv1.weight, …, fc.bias). */
  namedParameters(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [
      ...this.conv1.namedParameters(`${prefix}conv1.`),
      ...this.conv2.namedParameters(`${prefix}conv2.`),
      ...this.conv3.namedParameters(`${prefix}conv3.`),
    ];
    for (const [name, block] of this.inception) {
      out.push(...block.namedParameters(`${prefix}${name}.`));
    }
    out.push(...this.fc.namedParameters(`${prefix}fc.`));
    return out;
  }

  /** All parameters, in state_dict order. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Total number of parameter elements. */
  parameterCount(): number {
    return this.parameters().reduce((n, t) => n + t.numel, 0);
  }

  /**
   * Moves every parameter to a device, conv weights to `options.memoryFormat` (channels_last for
   * NHWC kernels); makes new leaf tensors, so build optimizers afterwards.
   */
  to(device: Device, options: PlacementOptions = {}): this {
    this.conv1.to(device, options);
    this.conv2.to(device, options);
    this.conv3.to(device, options);
    for (const block of this.inception.values()) block.to(device, options);
    this.fc.to(device);
    return this;
  }

  /** Frees every parameter. */
  dispose(): void {
    for (const t of this.parameters()) t.dispose();
  }

  /** Geometry of every conv and linear layer for a square input, for FLOP counting. */
  layerGeometry(inputSize = 28): LayerGeometry[] {
    const out: LayerGeometry[] = [];
    const conv = (name: string, c: Conv2d, size: number) => {
      const o = c.outSize(size);
      out.push({
        kind: "conv",
        name,
        inC: c.inChannels,
        outC: c.outChannels,
        kH: c.kernel,
        kW: c.kernel,
        outH: o,
        outW: o,
      });
      return o;
    };
    let s = conv("conv1", this.conv1, inputSize);
    s = this.maxpool1.outSize(s);
    s = conv("conv3", this.conv3, conv("conv2", this.conv2, s));
    s = this.maxpool2.outSize(s);
    for (const [name, block] of this.inception) {
      if (name === "inception4a") s = this.maxpool3.outSize(s);
      if (name === "inception5a") s = this.maxpool4.outSize(s);
      const names = ["branch1", "branch2.0", "branch2.2", "branch3.0", "branch3.2", "branch4.1"];
      block.convs().forEach((c, i) => conv(`${name}.${names[i]}`, c, s));
    }
    out.push({
      kind: "linear",
      name: "fc",
      inC: this.fc.inFeatures,
      outC: this.fc.outFeatures,
      kH: 1,
      kW: 1,
      outH: 1,
      outW: 1,
    });
    return out;
  }
}
