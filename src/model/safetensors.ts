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

/** The largest header the safetensors format allows, in bytes (its spec's 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/**
 * Decodes a safetensors buffer as its spec reads it: a header of at most
 * {@linkcode MAX_HEADER_BYTES} bytes that begins with `{` and names each key once; entries whose
 * byte ranges tile the body exactly (ordered by offset, no overlap, no gap, no trailing byte),
 * each range as long as its shape and dtype say (computed without overflow); `__metadata__`, when
 * present, a map of strings to strings. Every violation is a SafetensorsError naming the rule.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
): { tensors: Map<string, RawTensor>; metadata: Record<string, string> } {
  const { header, body } = readHeader(bytes);
  const metadata = readMetadata(header.__metadata__);
  const entries = Object.entries(header).filter(([name]) => name !== "__metadata__")
    .map(([name, v]) => readEntry(name, v));
  checkTiling(entries, body.byteLength);
  const tensors = new Map<string, RawTensor>();
  for (const e of entries) {
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: body.slice(e.begin, e.end) });
  }
  return { tensors, metadata };
}

/** The header object and the body that follows it. */
function readHeader(bytes: Uint8Array): { header: Record<string, unknown>; body: Uint8Array } {
  if (bytes.byteLength < 8) {
    throw new SafetensorsError(`expected at least 8 bytes, found ${bytes.byteLength}`);
  }
  const length = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(
      `expected a header of at most ${MAX_HEADER_BYTES} bytes (the safetensors limit), ` +
        `found a header length of ${length}`,
    );
  }
  const n = Number(length);
  if (n > bytes.byteLength - 8) {
    throw new SafetensorsError(
      `expected a header of ${n} bytes, found only ${bytes.byteLength - 8} bytes after the length`,
    );
  }
  let text: string;
  let header: unknown;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
    header = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(
      `expected a JSON header, found unparsable bytes (${(e as Error).message})`,
    );
  }
  if (!text.startsWith("{") || !isRecord(header)) {
    throw new SafetensorsError(`expected a header that is a JSON object beginning with "{"`);
  }
  const twice = repeatedKey(text);
  if (twice !== null) {
    throw new SafetensorsError(
      `expected each key once in the header, found ${JSON.stringify(twice)} twice`,
    );
  }
  return { header, body: bytes.subarray(8 + n) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * The first key that some object of a valid JSON text holds twice (JSON.parse keeps the last
 * silently), or null.
 */
export function repeatedKey(json: string): string | null {
  const objects: (Set<string> | null)[] = []; // one per open object; null for an array
  let keyNext = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let end = i + 1;
      while (json[end] !== '"') end += json[end] === "\\" ? 2 : 1;
      if (keyNext) {
        const key: string = JSON.parse(json.slice(i, end + 1));
        const keys = objects.at(-1)!;
        if (keys.has(key)) return key;
        keys.add(key);
        keyNext = false;
      }
      i = end;
    } else if (c === "{" || c === "[") {
      objects.push(c === "{" ? new Set() : null);
      keyNext = c === "{";
    } else if (c === "}" || c === "]") objects.pop();
    else if (c === ",") keyNext = objects.at(-1) != null;
  }
  return null;
}

function readMetadata(v: unknown): Record<string, string> {
  if (v === undefined) return {};
  const bad = !isRecord(v)
    ? (v === null ? "null" : Array.isArray(v) ? "an array" : `a ${typeof v}`)
    : Object.entries(v).filter(([, s]) => typeof s !== "string")
      .map(([k, s]) => `${s === null ? "null" : typeof s} under ${JSON.stringify(k)}`)[0];
  if (bad !== undefined) {
    throw new SafetensorsError(`expected "__metadata__" to map strings to strings, found ${bad}`);
  }
  return v as Record<string, string>;
}

/** One header entry, checked on its own. */
interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

function readEntry(name: string, v: unknown): Entry {
  const e = (isRecord(v) ? v : {}) as { dtype?: string; shape?: unknown; data_offsets?: unknown };
  const dtype = CODES[e.dtype ?? ""];
  if (dtype === undefined) {
    throw new SafetensorsError(`${name}: unsupported dtype ${JSON.stringify(e.dtype)}`);
  }
  const shape = e.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(
      `${name}: expected a shape of non-negative integers, found ${JSON.stringify(shape)}`,
    );
  }
  const offsets = e.data_offsets;
  if (
    !Array.isArray(offsets) || offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]
  ) {
    throw new SafetensorsError(
      `${name}: expected data_offsets [begin, end] with 0 <= begin <= end, found ${
        JSON.stringify(offsets)
      }`,
    );
  }
  const [begin, end] = offsets as [number, number];
  const want = shape.reduce((a: bigint, d: number) => a * BigInt(d), 1n) * BigInt(SIZES[e.dtype!]);
  if (want !== BigInt(end - begin)) {
    throw new SafetensorsError(
      `${name}: expected shape ${JSON.stringify(shape)} of ${e.dtype} to take ${want} bytes, ` +
        `found data_offsets [${begin}, ${end}] (${end - begin} bytes)`,
    );
  }
  return { name, dtype, shape, begin, end };
}

/** Checks that the entries' ranges, ordered by offset, tile the `length`-byte body exactly. */
function checkTiling(entries: Entry[], length: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let before = "the header";
  for (const e of sorted) {
    if (e.begin < at) {
      throw new SafetensorsError(
        `${e.name}: its bytes [${e.begin}, ${e.end}) overlap those of ${before}, which end at ` +
          `${at}: expected tensors that share no bytes`,
      );
    }
    if (e.begin > at) {
      throw new SafetensorsError(
        `${e.name}: its bytes start at ${e.begin}, leaving [${at}, ${e.begin}) unused after ` +
          `${before}: expected tensors packed without gaps`,
      );
    }
    at = e.end;
    before = e.name;
  }
  if (at !== length) {
    throw new SafetensorsError(
      `expected the tensors to cover the ${length}-byte body exactly, found ${length - at} ` +
        `trailing bytes after ${before}`,
    );
  }
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
