/**
 * Layers that own their parameters: Conv2d, Linear, MaxPool2d, AdaptiveAvgPool2d, Dropout.
 * Initialisation follows PyTorch's defaults and draws from libtorch's generator in PyTorch's
 * order, so `manualSeed(s)` then constructing the model gives PyTorch's weights for seed s.
 *
 * @module
 */
import {
  adaptiveAvgPool2d,
  contiguous,
  conv2d,
  type Device,
  dropout,
  empty,
  keep,
  linear,
  maxPool2d,
  type MemoryFormat,
  noGrad,
  scope,
  setRequiresGrad,
  type Tensor,
  to,
  uniform_,
} from "../ffi/mod.ts";

/** Something holding named parameters. */
export interface Parameterised {
  /** Parameters under their state_dict names, in registration order. */
  namedParameters(prefix?: string): [string, Tensor][];
}

/** Half-width of PyTorch's kaiming_uniform_(a=√5) bound for a given fan-in (as torch computes it). */
export function kaimingUniformBound(fanIn: number): number {
  const a = Math.sqrt(5);
  const gain = Math.sqrt(2.0 / (1 + a ** 2));
  return gain * Math.sqrt(3.0 / fanIn);
}

function parameter(shape: number[], bound: number): Tensor {
  const t = keep(empty(shape));
  noGrad(() => uniform_(t, -bound, bound));
  return setRequiresGrad(t);
}

/** Where {@linkcode Conv2d.to} puts a layer: a device, and the memory format of 4-D weights. */
export interface PlacementOptions {
  /** Layout of conv weights (default `"contiguous"`, NCHW); `"channels_last"` is NHWC. */
  memoryFormat?: MemoryFormat;
}

function moveParameter(p: Tensor, device: Device, format: MemoryFormat = "contiguous"): Tensor {
  const moved = keep(noGrad(() =>
    scope(() => {
      const m = to(p, device);
      return format !== "contiguous" && p.shape.length === 4 ? contiguous(m, format) : m;
    })
  ));
  p.dispose();
  return setRequiresGrad(moved);
}

/** Options for {@linkcode Conv2d}. */
export interface Conv2dOptions {
  /** Stride (default 1). */
  stride?: number;
  /** Zero padding (default 0). */
  padding?: number;
}

/** nn.Conv2d with a square kernel and a bias. */
export class Conv2d implements Parameterised {
  /** Weight, out x in x k x k. */
  weight: Tensor;
  /** Bias, out. */
  bias: Tensor;
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** Kernel size. */
  readonly kernel: number;
  /** Stride. */
  readonly stride: number;
  /** Padding. */
  readonly padding: number;

  /** Creates the layer with PyTorch's default initialisation. */
  constructor(
    channels: [inChannels: number, outChannels: number],
    kernel: number,
    options: Conv2dOptions = {},
  ) {
    [this.inChannels, this.outChannels] = channels;
    this.kernel = kernel;
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    const fanIn = this.inChannels * kernel * kernel;
    this.weight = parameter(
      [this.outChannels, this.inChannels, kernel, kernel],
      kaimingUniformBound(fanIn),
    );
    this.bias = parameter([this.outChannels], 1 / Math.sqrt(fanIn));
  }

  /** N x in x H x W → N x out x H' x W'. */
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding });
  }

  /** Output spatial size for an input size. */
  outSize(size: number): number {
    return Math.floor((size + 2 * this.padding - this.kernel) / this.stride) + 1;
  }

  /** `weight` and `bias` under the prefix. */
  namedParameters(prefix = ""): [string, Tensor][] {
    return [[`${prefix}weight`, this.weight], [`${prefix}bias`, this.bias]];
  }

  /** Moves the parameters to a device (and the weight to a memory format). */
  to(device: Device, options: PlacementOptions = {}): void {
    this.weight = moveParameter(this.weight, device, options.memoryFormat);
    this.bias = moveParameter(this.bias, device);
  }
}

/** nn.Linear with a bias. */
export class Linear implements Parameterised {
  /** Weight, out x in. */
  weight: Tensor;
  /** Bias, out. */
  bias: Tensor;
  /** Input features. */
  readonly inFeatures: number;
  /** Output features. */
  readonly outFeatures: number;

  /** Creates the layer with PyTorch's default initialisation. */
  constructor(inFeatures: number, outFeatures: number) {
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = parameter([outFeatures, inFeatures], kaimingUniformBound(inFeatures));
    this.bias = parameter([outFeatures], 1 / Math.sqrt(inFeatures));
  }

  /** N x in → N x out. */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  /** `weight` and `bias` under the prefix. */
  namedParameters(prefix = ""): [string, Tensor][] {
    return [[`${prefix}weight`, this.weight], [`${prefix}bias`, this.bias]];
  }

  /** Moves the parameters to a device. */
  to(device: Device): void {
    this.weight = moveParameter(this.weight, device);
    this.bias = moveParameter(this.bias, device);
  }
}

/** nn.MaxPool2d with a square kernel. */
export class MaxPool2d {
  /** Creates the pooling layer. */
  constructor(readonly kernel: number, readonly options: { stride: number; padding: number }) {}

  /** N x C x H x W → N x C x H' x W'. */
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernel, this.options);
  }

  /** Output spatial size for an input size. */
  outSize(size: number): number {
    return Math.floor((size + 2 * this.options.padding - this.kernel) / this.options.stride) + 1;
  }
}

/** nn.AdaptiveAvgPool2d. */
export class AdaptiveAvgPool2d {
  /** Creates the pooling layer for an output size. */
  constructor(readonly size: [number, number]) {}

  /** N x C x H x W → N x C x h x w. */
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.size);
  }
}

/** nn.Dropout. */
export class Dropout {
  /** Creates the layer with drop probability p. */
  constructor(readonly p: number) {}

  /** Drops elements with probability p when training; the identity otherwise. */
  forward(x: Tensor, training: boolean): Tensor {
    return dropout(x, this.p, training);
  }
}
