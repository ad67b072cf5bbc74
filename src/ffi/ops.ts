/**
 * Tensor operations: each call is one synchronous FFI call that returns a new Tensor (or fills
 * one in place) and turns a native error into a TorchError.
 *
 * @module
 */
import { check, errSlot, lib } from "./library.ts";
import { shapeBuffer } from "./create.ts";
import { Tensor } from "./tensor.ts";

/** Packs tensor handles as a C array of pointers (`const at_tensor *list`). */
export function handleList(list: readonly Tensor[]): BigUint64Array<ArrayBuffer> {
  const out = new BigUint64Array(list.length);
  for (let i = 0; i < list.length; i++) out[i] = BigInt(Deno.UnsafePointer.value(list[i].ptr));
  return out;
}

/** Options for {@linkcode conv2d}. */
export interface Conv2dOptions {
  /** Stride, one number for both axes or [h, w] (default 1). */
  stride?: number | [number, number];
  /** Zero padding, one number for both axes or [h, w] (default 0). */
  padding?: number | [number, number];
}

function pair(v: number | [number, number] | undefined, fallback: number): [bigint, bigint] {
  if (v === undefined) return [BigInt(fallback), BigInt(fallback)];
  if (typeof v === "number") return [BigInt(v), BigInt(v)];
  return [BigInt(v[0]), BigInt(v[1])];
}

/** 2-D convolution of x (N x C x H x W) with w (O x C x kH x kW) and an optional bias (O). */
export function conv2d(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  options: Conv2dOptions = {},
): Tensor {
  const [sh, sw] = pair(options.stride, 1);
  const [ph, pw] = pair(options.padding, 0);
  return new Tensor(
    lib().at_conv2d(x.ptr, w.ptr, b === null ? null : b.ptr, sh, sw, ph, pw, errSlot),
  );
}

/** max(x, 0) as a new tensor. */
export function relu(x: Tensor): Tensor {
  return new Tensor(lib().at_relu(x.ptr, errSlot));
}

/** max(x, 0) in place; returns x. */
export function relu_(x: Tensor): Tensor {
  lib().at_relu_(x.ptr, errSlot);
  check();
  return x;
}

/** One op of a {@linkcode branches} program. */
export type BranchOp =
  | { op: "conv2d"; stride: number; padding: number; weight: Tensor; bias: Tensor }
  | { op: "relu_" }
  | { op: "maxPool2d"; kernel: number; stride: number; padding: number };

const BRANCH_OP_CODES = { conv2d: 1, relu_: 2, maxPool2d: 3 } as const;

/**
 * The branches of a concat block (an Inception block) applied to `x`, their outputs concatenated
 * on the channel axis, in one FFI call: one after another, or (`concurrent`) branch 0 on the
 * calling thread and the others on libtorch's inter-op pool at once, with this thread's grad
 * mode and autocast. Autograd records the same graph either way.
 */
export function branches(
  x: Tensor,
  list: readonly (readonly BranchOp[])[],
  options: { concurrent: boolean },
): Tensor {
  const program: bigint[] = [];
  const weights: Tensor[] = [];
  for (const ops of list) {
    for (const o of ops) {
      const args = o.op === "conv2d"
        ? [o.stride, o.padding, 0]
        : o.op === "maxPool2d"
        ? [o.kernel, o.stride, o.padding]
        : [0, 0, 0];
      program.push(BigInt(BRANCH_OP_CODES[o.op]), ...args.map(BigInt));
      if (o.op === "conv2d") weights.push(o.weight, o.bias);
    }
    program.push(0n, 0n, 0n, 0n);
  }
  const p = new BigInt64Array(program);
  return new Tensor(
    lib().at_branches(
      x.ptr,
      p,
      BigInt(p.length),
      handleList(weights),
      BigInt(weights.length),
      options.concurrent ? 1 : 0,
      errSlot,
    ),
  );
}

/** Options for {@linkcode maxPool2d}. */
export interface MaxPool2dOptions {
  /** Stride (default: the kernel size, as PyTorch). */
  stride?: number;
  /** Padding (default 0). */
  padding?: number;
  /** Use ceil instead of floor for the output size (default false). */
  ceilMode?: boolean;
}

/** 2-D max pooling with a square kernel. */
export function maxPool2d(x: Tensor, kernel: number, options: MaxPool2dOptions = {}): Tensor {
  return new Tensor(
    lib().at_max_pool2d(
      x.ptr,
      BigInt(kernel),
      BigInt(options.stride ?? kernel),
      BigInt(options.padding ?? 0),
      options.ceilMode ? 1 : 0,
      errSlot,
    ),
  );
}

/** Adaptive average pooling to [h, w]. */
export function adaptiveAvgPool2d(x: Tensor, size: [number, number]): Tensor {
  return new Tensor(lib().at_adaptive_avg_pool2d(x.ptr, BigInt(size[0]), BigInt(size[1]), errSlot));
}

/** Concatenates tensors along dim. */
export function cat(list: readonly Tensor[], dim: number): Tensor {
  return new Tensor(lib().at_cat(handleList(list), BigInt(list.length), BigInt(dim), errSlot));
}

/** A view with a new shape (one size may be -1). */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  return new Tensor(lib().at_view(x.ptr, shapeBuffer(shape), BigInt(shape.length), errSlot));
}

/** Flattens dimensions start..end (inclusive; default 1..-1 as torch.flatten(x, 1)). */
export function flatten(x: Tensor, start = 1, end = -1): Tensor {
  return new Tensor(lib().at_flatten(x.ptr, BigInt(start), BigInt(end), errSlot));
}

/** x @ w^T + b. */
export function linear(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  return new Tensor(lib().at_linear(x.ptr, w.ptr, b === null ? null : b.ptr, errSlot));
}

/** Dropout with probability p; the identity unless `training`. */
export function dropout(x: Tensor, p: number, training: boolean): Tensor {
  return new Tensor(lib().at_dropout(x.ptr, p, training ? 1 : 0, errSlot));
}

/** Mean cross-entropy of logits (N x C) against int64 labels (N). */
export function crossEntropy(logits: Tensor, labels: Tensor): Tensor {
  return new Tensor(lib().at_cross_entropy(logits.ptr, labels.ptr, errSlot));
}

/** Index of the maximum along dim. */
export function argmax(x: Tensor, dim: number, keepdim = false): Tensor {
  return new Tensor(lib().at_argmax(x.ptr, BigInt(dim), keepdim ? 1 : 0, errSlot));
}

/** Sum of all elements. */
export function sum(x: Tensor): Tensor {
  return new Tensor(lib().at_sum(x.ptr, errSlot));
}

/** Mean of all elements. */
export function mean(x: Tensor): Tensor {
  return new Tensor(lib().at_mean(x.ptr, errSlot));
}

/** a + b with broadcasting. */
export function add(a: Tensor, b: Tensor): Tensor {
  return new Tensor(lib().at_add(a.ptr, b.ptr, errSlot));
}

/** a += b in place, outside autograd; returns a. */
export function addInPlace(a: Tensor, b: Tensor): Tensor {
  lib().at_add_(a.ptr, b.ptr, errSlot);
  check();
  return a;
}

/** Zeroes t in place, outside autograd; returns t. */
export function zero_(t: Tensor): Tensor {
  lib().at_zero_(t.ptr, errSlot);
  check();
  return t;
}

/** a * b with broadcasting. */
export function mul(a: Tensor, b: Tensor): Tensor {
  return new Tensor(lib().at_mul(a.ptr, b.ptr, errSlot));
}

/** Number of positions where a == b, as an int64 scalar tensor (stays on the device). */
export function countEqual(a: Tensor, b: Tensor): Tensor {
  return new Tensor(lib().at_count_equal(a.ptr, b.ptr, errSlot));
}

/** Slices of x picked by an int64 index along dim. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  return new Tensor(lib().at_index_select(x.ptr, BigInt(dim), index.ptr, errSlot));
}

/** The slice [start, start + length) along dim, as a view. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  return new Tensor(lib().at_narrow(x.ptr, BigInt(dim), BigInt(start), BigInt(length), errSlot));
}

/** Memory layouts of a 4-D tensor: NCHW (`"contiguous"`) or NHWC (`"channels_last"`). */
export type MemoryFormat = "contiguous" | "channels_last";

function memoryFormatCode(format: MemoryFormat): number {
  if (format === "contiguous") return 0;
  if (format === "channels_last") return 1;
  throw new TypeError(`memory format: expected "contiguous" or "channels_last", found ${format}`);
}

/** t laid out in `format` (a new handle; the same storage when it already is). */
export function contiguous(t: Tensor, format: MemoryFormat = "contiguous"): Tensor {
  return new Tensor(lib().at_contiguous(t.ptr, memoryFormatCode(format), errSlot));
}

/** Whether t is laid out contiguously in `format`. */
export function isContiguous(t: Tensor, format: MemoryFormat = "contiguous"): boolean {
  const r = lib().at_is_contiguous(t.ptr, memoryFormatCode(format), errSlot);
  check();
  return r === 1;
}

/** The value of a one-element tensor (synchronises with the device). */
export function item(x: Tensor): number {
  const v = lib().at_item(x.ptr, errSlot);
  check();
  return v;
}

/** Fills x in place from U(lo, hi) with libtorch's default generator. */
export function uniform_(x: Tensor, lo: number, hi: number): Tensor {
  lib().at_uniform_(x.ptr, lo, hi, errSlot);
  check();
  return x;
}

/** Copies src into dst in place (no autograd). */
export function copy_(dst: Tensor, src: Tensor): Tensor {
  lib().at_copy_(dst.ptr, src.ptr, errSlot);
  check();
  return dst;
}

/** A deep copy. */
export function clone(x: Tensor): Tensor {
  return new Tensor(lib().at_clone(x.ptr, errSlot));
}

/** Shares storage, cut from the autograd graph. */
export function detach(x: Tensor): Tensor {
  return new Tensor(lib().at_detach(x.ptr, errSlot));
}
