/**
 * Weights in and out under the seed module's state_dict names: safetensors (.safetensors) and
 * PyTorch's own format (.pt, read by torch.load). Files are written to a temporary name, fsynced,
 * renamed and their directory fsynced, so a crash never leaves a half-written file.
 *
 * @module
 */
import {
  copy_,
  type DType,
  loadPt,
  noGrad,
  savePt,
  scope,
  type Tensor,
  TorchError,
} from "../ffi/mod.ts";
import { commitFileSync, tempPathFor } from "../result/mod.ts";
import { googlenetParameterShapes } from "./architecture.ts";
import type { Module } from "./module.ts";
import {
  decodeSafetensors,
  type RawTensor,
  SafetensorsError,
  tensorFromRaw,
  toSafetensors,
} from "./safetensors.ts";

/** Weights that do not fit the model: missing, unexpected or misshapen names, or an unreadable file. */
export class WeightsError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "WeightsError";
  }
}

/** Writes named tensors to `path` (.safetensors or .pt) durably, via a temporary file and a rename. */
export function saveNamed(
  path: string,
  named: readonly [string, Tensor][],
  metadata: Record<string, string> = {},
): void {
  const tmp = tempPathFor(path);
  try {
    if (path.endsWith(".pt")) savePt(tmp, named);
    else if (path.endsWith(".safetensors")) Deno.writeFileSync(tmp, toSafetensors(named, metadata));
    else throw new WeightsError(`${path}: expected a name ending in .safetensors or .pt`);
    commitFileSync(tmp, path, true);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* never written */ }
    throw e;
  }
}

function readSafetensors(
  path: string,
): { tensors: Map<string, RawTensor>; metadata: Record<string, string> } {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (e) {
    throw new WeightsError(`${path}: cannot be read (${(e as Error).message})`);
  }
  try {
    return decodeSafetensors(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new WeightsError(`${path}: ${e.message}`);
    throw e;
  }
}

function readPt(path: string): Map<string, Tensor> {
  try {
    return loadPt(path);
  } catch (e) {
    if (!(e instanceof TorchError)) throw e;
    const prefix = `load_pt: ${path}: `; // the shim's, for callers of loadPt
    const rule = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
    throw new WeightsError(`${path}: ${rule}`);
  }
}

/** Reads named tensors (CPU) from a .safetensors or .pt file; the caller disposes them. */
export function loadNamed(
  path: string,
): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  if (path.endsWith(".pt")) return { tensors: readPt(path), metadata: {} };
  const { tensors, metadata } = readSafetensors(path);
  const out = new Map<string, Tensor>();
  for (const [name, raw] of tensors) out.set(name, tensorFromRaw(raw));
  return { tensors: out, metadata };
}

/** Writes a model's parameters under their state_dict names. */
export function saveWeights(model: Module, path: string): void {
  saveNamed(path, model.namedParameters(), { format: "pt-state-dict" });
}

/** What a stored tensor must agree on with its parameter. */
export interface TensorLayout {
  /** Sizes. */
  readonly shape: readonly number[];
  /** Element type. */
  readonly dtype: DType;
}

function listed(names: string[]): string {
  if (names.length === 0) return "";
  return ` (${names.slice(0, 3).join(", ")}${names.length > 3 ? ", …" : ""})`;
}

/**
 * Checks that `found` (name → stored tensor) holds exactly the names of `expected` (name →
 * parameter), each with the same shape and dtype.
 *
 * @throws {WeightsError} Naming what is missing, unexpected or misshapen, prefixed by `what`.
 */
export function matchNamed(
  expected: readonly (readonly [string, TensorLayout])[],
  found: { what: string; tensors: ReadonlyMap<string, TensorLayout> },
): void {
  const { what, tensors } = found;
  const missing = expected.filter(([n]) => !tensors.has(n)).map(([n]) => n);
  const names = new Set(expected.map(([n]) => n));
  const unexpected = [...tensors.keys()].filter((n) => !names.has(n));
  if (missing.length > 0 || unexpected.length > 0) {
    throw new WeightsError(
      `${what}: expected the model's ${expected.length} parameters, found ${missing.length} ` +
        `missing${listed(missing)} and ${unexpected.length} unexpected${listed(unexpected)}`,
    );
  }
  for (const [name, p] of expected) {
    const t = tensors.get(name)!;
    const [a, b] = [p.shape.join("x"), t.shape.join("x")];
    if (a !== b) throw new WeightsError(`${what}: ${name}: expected shape ${a}, found ${b}`);
    if (t.dtype !== p.dtype) {
      throw new WeightsError(`${what}: ${name}: expected dtype ${p.dtype}, found ${t.dtype}`);
    }
  }
}

/**
 * Copies `tensors` (name → tensor) into `target` (name → parameter), in place and without grad.
 * Every name must match and every shape agree, or nothing is copied.
 */
export function assignNamed(
  target: readonly [string, Tensor][],
  tensors: Map<string, Tensor>,
  what: string,
): void {
  matchNamed(target, { what, tensors });
  scope(() => noGrad(() => target.forEach(([name, p]) => copy_(p, tensors.get(name)!))));
}

/**
 * Checks a .safetensors or .pt weights file against GoogLeNet's stage table: every parameter
 * present under its state_dict name, with its shape, as float32, and nothing else. Builds no model;
 * a .safetensors file is checked without libtorch.
 *
 * @throws {WeightsError} When the file cannot be read or does not fit, saying what was expected
 * and what was found.
 */
export function checkWeightsFile(path: string): void {
  const expected = googlenetParameterShapes().map((
    [name, shape],
  ): [string, TensorLayout] => [name, { shape, dtype: "float32" }]);
  if (!path.endsWith(".pt")) {
    matchNamed(expected, { what: path, tensors: readSafetensors(path).tensors });
    return;
  }
  const tensors = readPt(path);
  try {
    matchNamed(expected, { what: path, tensors });
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/** Loads weights from a .safetensors or .pt file into a model (strict: names and shapes must match). */
export function loadWeights(model: Module, path: string): void {
  const { tensors } = loadNamed(path);
  try {
    assignNamed(model.namedParameters(), tensors, path);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}
