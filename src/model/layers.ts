/**
 * Leaf layers: Conv2d, Linear, MaxPool2d, AdaptiveAvgPool2d, ReLU, Flatten, Dropout, each made from
 * its spec (src/model/spec.ts) and the shape of its input. Initialisation follows PyTorch's defaults
 * and draws from libtorch's generator in PyTorch's order, so `manualSeed(s)` then constructing the
 * model gives PyTorch's weights for seed s.
 *
 * @module
 */
import {
  adaptiveAvgPool2d,
  type BranchOp,
  conv2d,
  dropout,
  empty,
  flatten,
  keep,
  linear,
  maxPool2d,
  noGrad,
  relu_,
  setRequiresGrad,
  type Tensor,
  uniform_,
} from "../ffi/mod.ts";
import { Module } from "./module.ts";
import {
  type AvgPoolSpec,
  type ConvSpec,
  leafParameters,
  type LinearSpec,
  type MaxPoolSpec,
} from "./spec.ts";

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

/**
 * A layer with a weight and a bias, initialised as PyTorch's Conv2d and Linear both are: the weight
 * kaiming-uniform (a=√5), the bias uniform in ±1/√fan-in, where fan-in is the weight's size per
 * output unit. The weight is drawn first.
 */
export abstract class WeightAndBias extends Module {
  /** Registers `weight` and `bias` of the given shapes, drawn from libtorch's generator. */
  constructor(shapes: [name: string, shape: number[]][]) {
    super();
    const [[, weightShape]] = shapes;
    const fanIn = weightShape.slice(1).reduce((a, d) => a * d, 1);
    for (const [name, shape] of shapes) {
      const bound = name === "weight" ? kaimingUniformBound(fanIn) : 1 / Math.sqrt(fanIn);
      this.registerParameter(name, parameter(shape, bound));
    }
  }

  /** The weight. */
  get weight(): Tensor {
    return this.parameter("weight");
  }

  /** The bias. */
  get bias(): Tensor {
    return this.parameter("bias");
  }
}

/** nn.Conv2d with a square kernel and a bias: weight out x in x k x k, bias out. */
export class Conv2d extends WeightAndBias {
  /** Creates the layer for inputs of shape `input` (C x H x W; only C matters). */
  constructor(readonly spec: ConvSpec, input: readonly number[]) {
    super(leafParameters(spec, input));
  }

  /** N x in x H x W → N x out x H' x W'. */
  forward(x: Tensor): Tensor {
    const { stride, padding } = this.spec;
    return conv2d(x, this.weight, this.bias, { stride, padding });
  }

  /** conv2d with this layer's stride, padding, weight and bias. */
  override branchOps(): BranchOp[] {
    const { stride, padding } = this.spec;
    return [{ op: "conv2d", stride, padding, weight: this.weight, bias: this.bias }];
  }
}

/** nn.Linear with a bias: weight out x in, bias out. */
export class Linear extends WeightAndBias {
  /** Creates the layer for inputs of shape `input` (`[in]`). */
  constructor(readonly spec: LinearSpec, input: readonly number[]) {
    super(leafParameters(spec, input));
  }

  /** N x in → N x out. */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

/** nn.MaxPool2d with a square kernel. */
export class MaxPool2d extends Module {
  /** Creates the pooling layer. */
  constructor(readonly spec: MaxPoolSpec) {
    super();
  }

  /** N x C x H x W → N x C x H' x W'. */
  forward(x: Tensor): Tensor {
    const { kernel, stride, padding } = this.spec;
    return maxPool2d(x, kernel, { stride, padding });
  }

  /** max_pool2d with this layer's kernel, stride and padding (floor mode, as forward). */
  override branchOps(): BranchOp[] {
    const { kernel, stride, padding } = this.spec;
    return [{ op: "maxPool2d", kernel, stride, padding }];
  }
}

/** nn.AdaptiveAvgPool2d to a square output. */
export class AdaptiveAvgPool2d extends Module {
  /** Creates the pooling layer. */
  constructor(readonly spec: AvgPoolSpec) {
    super();
  }

  /** N x C x H x W → N x C x size x size. */
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, [this.spec.size, this.spec.size]);
  }
}

/** nn.ReLU(inplace=True). */
export class ReLU extends Module {
  /** Rectifies x in place and returns it. */
  forward(x: Tensor): Tensor {
    return relu_(x);
  }

  /** relu_. */
  override branchOps(): BranchOp[] {
    return [{ op: "relu_" }];
  }
}

/** Flattens every dimension after the batch: N x C x H x W → N x CHW. */
export class Flatten extends Module {
  /** N x … → N x (product of the rest). */
  forward(x: Tensor): Tensor {
    return flatten(x, 1);
  }
}

/** nn.Dropout. */
export class Dropout extends Module {
  /** Creates the layer with drop probability p. */
  constructor(readonly p: number) {
    super();
  }

  /** Drops elements with probability p while {@linkcode Module.training}; the identity otherwise. */
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
}
