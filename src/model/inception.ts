/**
 * The seed's Inception block: four branches concatenated on the channel axis, with ReLU only
 * between a branch's 1x1 reduce and its 3x3/5x5 conv (no ReLU on branch outputs).
 *
 * @module
 */
import { cat, type Device, relu_, type Tensor } from "../ffi/mod.ts";
import { Conv2d, MaxPool2d, type Parameterised, type PlacementOptions } from "./layers.ts";

/** Channel configuration of one Inception block (torchvision's argument order). */
export interface InceptionConfig {
  /** Input channels. */
  inChannels: number;
  /** Branch 1: 1x1 conv outputs. */
  out1x1: number;
  /** Branch 2: 1x1 reduce outputs. */
  reduce3x3: number;
  /** Branch 2: 3x3 conv outputs. */
  out3x3: number;
  /** Branch 3: 1x1 reduce outputs. */
  reduce5x5: number;
  /** Branch 3: 5x5 conv outputs. */
  out5x5: number;
  /** Branch 4: 1x1 conv outputs after 3x3 max-pool. */
  poolProj: number;
}

/** Output channels of an Inception block. */
export function inceptionOutChannels(c: InceptionConfig): number {
  return c.out1x1 + c.out3x3 + c.out5x5 + c.poolProj;
}

/** One Inception block; parameter names follow the seed's nn.Sequential indices. */
export class Inception implements Parameterised {
  /** branch1: 1x1 conv. */
  readonly branch1: Conv2d;
  /** branch2.0: 1x1 reduce; branch2.2: 3x3 conv (index 1 is the ReLU). */
  readonly branch2: [Conv2d, Conv2d];
  /** branch3.0: 1x1 reduce; branch3.2: 5x5 conv. */
  readonly branch3: [Conv2d, Conv2d];
  /** branch4.0: 3x3 max-pool, stride 1; branch4.1: 1x1 conv. */
  readonly branch4: [MaxPool2d, Conv2d];

  /** Creates the block (parameters drawn in the seed's construction order). */
  constructor(readonly config: InceptionConfig) {
    const c = config;
    this.branch1 = new Conv2d([c.inChannels, c.out1x1], 1);
    this.branch2 = [
      new Conv2d([c.inChannels, c.reduce3x3], 1),
      new Conv2d([c.reduce3x3, c.out3x3], 3, { padding: 1 }),
    ];
    this.branch3 = [
      new Conv2d([c.inChannels, c.reduce5x5], 1),
      new Conv2d([c.reduce5x5, c.out5x5], 5, { padding: 2 }),
    ];
    this.branch4 = [
      new MaxPool2d(3, { stride: 1, padding: 1 }),
      new Conv2d([c.inChannels, c.poolProj], 1),
    ];
  }

  /** N x in x H x W → N x (out1x1 + out3x3 + out5x5 + poolProj) x H x W. */
  forward(x: Tensor): Tensor {
    const b1 = this.branch1.forward(x);
    const b2 = this.branch2[1].forward(relu_(this.branch2[0].forward(x)));
    const b3 = this.branch3[1].forward(relu_(this.branch3[0].forward(x)));
    const b4 = this.branch4[1].forward(this.branch4[0].forward(x));
    return cat([b1, b2, b3, b4], 1);
  }

  /** The convolutions, in parameter order. */
  convs(): Conv2d[] {
    return [
      this.branch1,
      this.branch2[0],
      this.branch2[1],
      this.branch3[0],
      this.branch3[1],
      this.branch4[1],
    ];
  }

  /** Parameters under branch1.*, branch2.0.*, branch2.2.*, branch3.0.*, branch3.2.*, branch4.1.*. */
  namedParameters(prefix = ""): [string, Tensor][] {
    return [
      ...this.branch1.namedParameters(`${prefix}branch1.`),
      ...this.branch2[0].namedParameters(`${prefix}branch2.0.`),
      ...this.branch2[1].namedParameters(`${prefix}branch2.2.`),
      ...this.branch3[0].namedParameters(`${prefix}branch3.0.`),
      ...this.branch3[1].namedParameters(`${prefix}branch3.2.`),
      ...this.branch4[1].namedParameters(`${prefix}branch4.1.`),
    ];
  }

  /** Moves the parameters to a device (and conv weights to a memory format). */
  to(device: Device, options: PlacementOptions = {}): void {
    for (const c of this.convs()) c.to(device, options);
  }
}
