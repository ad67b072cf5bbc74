/**
 * The Tensor handle: owns one native `at::Tensor`, freed by `dispose()`, by `using`, by the
 * enclosing {@linkcode scope}, or (as a backstop only) by the garbage collector.
 *
 * @module
 */
import { check, errSlot, lib } from "./library.ts";
import { TorchError } from "./error.ts";

/** Element types the shim knows, with their codes in torch_api.h. */
export const DTYPES = {
  uint8: 0,
  int32: 1,
  int64: 2,
  float32: 3,
  float64: 4,
  bfloat16: 5,
  float16: 6,
  bool: 7,
} as const;

/** An element type name. */
export type DType = keyof typeof DTYPES;

const DTYPE_NAMES = Object.keys(DTYPES) as DType[];

/** A device name: "cpu", "cuda" (device 0) or "cuda:K". */
export type Device = "cpu" | "cuda" | `cuda:${number}`;

/** The shim's code for a device name (-1 cpu, K cuda:K). */
export function deviceCode(device: Device): number {
  if (device === "cpu") return -1;
  if (device === "cuda") return 0;
  const m = /^cuda:(\d+)$/.exec(device);
  if (m === null) {
    throw new TypeError(`device: expected "cpu", "cuda" or "cuda:K", found "${device}"`);
  }
  return Number(m[1]);
}

/** The device name for a shim device code. */
export function deviceName(code: number): Device {
  return code < 0 ? "cpu" : `cuda:${code}`;
}

/** The shim's code for a dtype name. */
export function dtypeCode(dtype: DType): number {
  const code = DTYPES[dtype];
  if (code === undefined) {
    throw new TypeError(`dtype: expected one of ${DTYPE_NAMES.join(", ")}, found "${dtype}"`);
  }
  return code;
}

/** Room for the sizes of a tensor of up to 8 dimensions (Tensor.shape asks again for more). */
const shapeBuffer = new BigInt64Array(8);

const registry = new FinalizationRegistry<Deno.PointerObject>((ptr) => {
  // Backstop only: a handle the program forgot. Deterministic code disposes explicitly.
  lib().at_free(ptr);
});

const scopes: Set<Tensor>[] = [];

/** A handle to a native tensor. */
export class Tensor {
  #ptr: Deno.PointerObject | null;

  /** Wraps a pointer returned by the shim (takes ownership). Throws the pending error if null. */
  constructor(ptr: Deno.PointerValue) {
    check();
    if (ptr === null) throw new TorchError("the shim returned no tensor");
    this.#ptr = ptr;
    registry.register(this, ptr, this);
    if (scopes.length > 0) scopes[scopes.length - 1].add(this);
  }

  /** The native handle; throws if this tensor was disposed. */
  get ptr(): Deno.PointerObject {
    if (this.#ptr === null) {
      throw new TorchError(
        "tensor used after dispose(): expected a live tensor, found a disposed one",
      );
    }
    return this.#ptr;
  }

  /** Whether dispose() has run. */
  get disposed(): boolean {
    return this.#ptr === null;
  }

  /** The sizes of each dimension. */
  get shape(): number[] {
    let out = shapeBuffer;
    let n = Number(lib().at_shape(this.ptr, out, BigInt(out.length), errSlot));
    check();
    if (n > out.length) {
      // More dimensions than the usual buffer holds: ask again with room for all of them.
      out = new BigInt64Array(n);
      n = Number(lib().at_shape(this.ptr, out, BigInt(n), errSlot));
      check();
    }
    return Array.from(out.subarray(0, n), Number);
  }

  /** Number of elements. */
  get numel(): number {
    const n = Number(lib().at_numel(this.ptr, errSlot));
    check();
    return n;
  }

  /** The element type. */
  get dtype(): DType {
    const code = lib().at_dtype(this.ptr, errSlot);
    check();
    const name = DTYPE_NAMES[code];
    if (name === undefined) throw new TorchError(`dtype: unsupported native dtype code ${code}`);
    return name;
  }

  /** The device the tensor lives on. */
  get device(): Device {
    const code = lib().at_device(this.ptr, errSlot);
    check();
    return deviceName(code);
  }

  /** Frees the native tensor. Calling it again does nothing. */
  dispose(): void {
    if (this.#ptr === null) return;
    const p = this.#ptr;
    this.#ptr = null;
    registry.unregister(this);
    for (const s of scopes) s.delete(this);
    lib().at_free(p);
  }

  /** Frees the native tensor at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** A short description for logs. */
  toString(): string {
    return this.disposed
      ? "Tensor(disposed)"
      : `Tensor(${this.shape.join("x")}, ${this.dtype}, ${this.device})`;
  }
}

/** Things a scope lets through: tensors, and arrays or plain objects holding them. */
function collect(value: unknown, out: Set<Tensor>): void {
  if (value instanceof Tensor) out.add(value);
  else if (Array.isArray(value)) { for (const v of value) collect(v, out); }
  else if (
    value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype
  ) {
    for (const v of Object.values(value)) collect(v, out);
  }
}

/**
 * Runs `fn` and frees every tensor created inside it, except those in its return value (which
 * move to the enclosing scope) and those passed to {@linkcode keep}. Like TorchSharp's
 * NewDisposeScope and tf.tidy.
 */
export function scope<T>(fn: () => T): T {
  const mine = new Set<Tensor>();
  scopes.push(mine);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of mine) t.dispose();
    throw e;
  }
  scopes.pop();
  const escaped = new Set<Tensor>();
  collect(result, escaped);
  for (const t of mine) if (!escaped.has(t)) t.dispose();
  if (scopes.length > 0) {
    for (const t of escaped) if (!t.disposed) scopes[scopes.length - 1].add(t);
  }
  return result;
}

/** Removes tensors from every open scope, so they outlive it; the caller now owns them. */
export function keep<T extends Tensor | Tensor[]>(value: T): T {
  const list = Array.isArray(value) ? value : [value];
  for (const t of list) for (const s of scopes) s.delete(t);
  return value;
}

/** Handles made minus handles freed, as counted by the shim. */
export function liveTensors(): number {
  return Number(lib().atr_live_tensors());
}
