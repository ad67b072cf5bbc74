/**
 * Tensors from host memory and back, and tensors made by the shim (zeros, empty, scalars).
 *
 * @module
 */
import { check, errSlot, lib, type Shim } from "./library.ts";
import { type Device, deviceCode, type DType, dtypeCode, Tensor } from "./tensor.ts";

/** Host arrays that map onto a dtype. */
export type HostArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/**
 * A shape as the shim takes it: one int64 per dimension (-1 lets a reshape infer one size).
 *
 * @param shape Integer sizes, each at least -1.
 * @returns The sizes as a BigInt64Array, to pass as (pointer, length).
 */
function dims(shape: readonly number[]): BigInt64Array<ArrayBuffer> {
  const out = new BigInt64Array(shape.length);
  for (let i = 0; i < shape.length; i++) {
    if (!Number.isInteger(shape[i]) || shape[i] < -1) {
      throw new TypeError(`shape: expected integer sizes, found [${shape.join(", ")}]`);
    }
    out[i] = BigInt(shape[i]);
  }
  return out;
}

export { dims as shapeBuffer };

function hostDType(data: HostArray): DType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof BigInt64Array) return "int64";
  return "uint8";
}

/** Options for {@linkcode fromHost}. */
export interface FromHostOptions {
  /** Element type of the host bytes; inferred from the array's type by default. */
  dtype?: DType;
  /** Where the tensor should live (default "cpu"; other devices copy once more). */
  device?: Device;
}

/** Copies a host array into a new tensor of the given shape (one copy). */
export function fromHost(
  data: HostArray,
  shape: readonly number[],
  options: FromHostOptions = {},
): Tensor {
  const dtype = options.dtype ?? hostDType(data);
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const t = new Tensor(
    lib().at_from_host(
      bytes,
      BigInt(bytes.byteLength),
      dims(shape),
      BigInt(shape.length),
      dtypeCode(dtype),
      errSlot,
    ),
  );
  const device = options.device ?? "cpu";
  if (device === "cpu") return t;
  try {
    return to(t, device);
  } finally {
    t.dispose();
  }
}

/** Copies a tensor's elements into a host array of the matching type. */
export function toHost(t: Tensor): HostArray {
  const dtype = t.dtype;
  const n = t.numel;
  let out: HostArray;
  switch (dtype) {
    case "float32":
      out = new Float32Array(n);
      break;
    case "float64":
      out = new Float64Array(n);
      break;
    case "int32":
      out = new Int32Array(n);
      break;
    case "int64":
      out = new BigInt64Array(n);
      break;
    case "uint8":
    case "bool":
      out = new Uint8Array(n);
      break;
    default: {
      using f = to(t, "cpu", "float32");
      return toHost(f);
    }
  }
  lib().at_to_host(t.ptr, new Uint8Array(out.buffer), BigInt(out.byteLength), errSlot);
  check();
  return out;
}

/** A tensor's elements as float32 (converted when needed). */
export function toFloat32(t: Tensor): Float32Array {
  if (t.dtype === "float32") return toHost(t) as Float32Array;
  using f = to(t, "cpu", "float32");
  return toHost(f) as Float32Array;
}

/** Options for tensors made by the shim. */
export interface MakeOptions {
  /** Element type (default float32). */
  dtype?: DType;
  /** Device (default cpu). */
  device?: Device;
}

function make(
  fn: Shim["at_zeros"] | Shim["at_empty"],
  shape: readonly number[],
  options: MakeOptions,
): Tensor {
  const dtype = dtypeCode(options.dtype ?? "float32");
  const device = deviceCode(options.device ?? "cpu");
  return new Tensor(fn(dims(shape), BigInt(shape.length), dtype, device, errSlot));
}

/** A new tensor of zeros. */
export function zeros(shape: readonly number[], options: MakeOptions = {}): Tensor {
  return make(lib().at_zeros, shape, options);
}

/** A new uninitialised tensor. */
export function empty(shape: readonly number[], options: MakeOptions = {}): Tensor {
  return make(lib().at_empty, shape, options);
}

/** A new 0-dim tensor holding `value`. */
export function scalar(value: number, options: MakeOptions = {}): Tensor {
  return new Tensor(
    lib().at_scalar(
      value,
      dtypeCode(options.dtype ?? "float32"),
      deviceCode(options.device ?? "cpu"),
      errSlot,
    ),
  );
}

/** A copy on another device and/or with another dtype. */
export function to(t: Tensor, device: Device, dtype?: DType): Tensor {
  return new Tensor(
    lib().at_to(t.ptr, deviceCode(device), dtype === undefined ? -1 : dtypeCode(dtype), errSlot),
  );
}
