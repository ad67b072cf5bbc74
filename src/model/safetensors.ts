/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {…}}`, then raw
 * little-endian bytes. Used to move weights between this project and PyTorch.
 *
 * @module
 */
import { type DType, fromHost, type HostArray, type Tensor, toHost } from "../ffi/mod.ts";

/** A safetensors file could not be read: what was expected and what was found. */
export class SafetensorsError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "SafetensorsError";
  }
}

const CODES: Record<string, DType> = {
  U8: "uint8",
  I32: "int32",
  I64: "int64",
  F32: "float32",
  F64: "float64",
  BOOL: "bool",
};
const NAMES: Partial<Record<DType, string>> = Object.fromEntries(
  Object.entries(CODES).map(([k, v]) => [v, k]),
);
const SIZES: Record<string, number> = { U8: 1, BOOL: 1, I32: 4, I64: 8, F32: 4, F64: 8 };

/** One tensor as stored: dtype, shape and raw bytes. */
export interface RawTensor {
  /** Element type. */
  dtype: DType;
  /** Sizes. */
  shape: number[];
  /** Raw little-endian bytes. */
  data: Uint8Array;
}

/** Encodes named raw tensors (sorted by name, header padded to 8 bytes). */
export function encodeSafetensors(
  tensors: Map<string, RawTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const code = NAMES[t.dtype];
    if (code === undefined) {
      throw new SafetensorsError(`${name}: dtype ${t.dtype} cannot be stored`);
    }
    header[name] = {
      dtype: code,
      shape: t.shape,
      data_offsets: [offset, offset + t.data.byteLength],
    };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + new TextEncoder().encode(json).length) % 8 !== 0) json += " ";
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let p = 8 + head.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    out.set(d, p);
    p += d.byteLength;
  }
  return out;
}

/** Decodes a safetensors buffer; every inconsistency is a SafetensorsError. */
export function decodeSafetensors(
  bytes: Uint8Array,
): { tensors: Map<string, RawTensor>; metadata: Record<string, string> } {
  if (bytes.byteLength < 8) {
    throw new SafetensorsError(`expected at least 8 bytes, found ${bytes.byteLength}`);
  }
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > bytes.byteLength - 8) {
    throw new SafetensorsError(
      `expected a header of ${n} bytes, found only ${bytes.byteLength - 8} bytes after the length`,
    );
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new SafetensorsError(
      `expected a JSON header, found unparsable bytes (${(e as Error).message})`,
    );
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw new SafetensorsError("expected a JSON object as header");
  }
  const body = bytes.subarray(8 + n);
  const tensors = new Map<string, RawTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = v as Record<string, string>;
      continue;
    }
    const e = v as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
    const dtype = CODES[e?.dtype ?? ""];
    if (dtype === undefined) {
      throw new SafetensorsError(`${name}: unsupported dtype ${JSON.stringify(e?.dtype)}`);
    }
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new SafetensorsError(
        `${name}: expected a shape of non-negative integers, found ${JSON.stringify(e.shape)}`,
      );
    }
    const [b, end] = e.data_offsets ?? [-1, -1];
    const want = e.shape.reduce((a, d) => a * d, 1) * SIZES[e.dtype!];
    if (
      !Number.isInteger(b) || !Number.isInteger(end) || b < 0 || end > body.byteLength ||
      end - b !== want
    ) {
      throw new SafetensorsError(
        `${name}: expected ${want} bytes inside the ${body.byteLength}-byte body, found offsets ${
          JSON.stringify(e.data_offsets)
        }`,
      );
    }
    tensors.set(name, { dtype, shape: e.shape, data: body.slice(b, end) });
  }
  return { tensors, metadata };
}

/** Raw bytes of a tensor (copied to the host). */
export function rawTensor(t: Tensor): RawTensor {
  const host: HostArray = toHost(t);
  return {
    dtype: t.dtype,
    shape: t.shape,
    data: new Uint8Array(host.buffer, host.byteOffset, host.byteLength),
  };
}

/** A CPU tensor from stored bytes. */
export function tensorFromRaw(r: RawTensor): Tensor {
  const data = r.data.byteOffset % 8 === 0 ? r.data : r.data.slice();
  return fromHost(data, r.shape, { dtype: r.dtype });
}

/** Serialises named tensors to safetensors bytes. */
export function toSafetensors(
  named: Iterable<[string, Tensor]>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const m = new Map<string, RawTensor>();
  for (const [name, t] of named) m.set(name, rawTensor(t));
  return encodeSafetensors(m, metadata);
}
