/**
 * Weights in and out under the seed module's state_dict names: safetensors (.safetensors) and
 * PyTorch's own format (.pt, read by torch.load). Files are written to a temporary name and
 * renamed, so a crash never leaves a half-written file.
 *
 * @module
 */
import { copy_, loadPt, noGrad, savePt, scope, type Tensor, TorchError } from "../ffi/mod.ts";
import {
  decodeSafetensors,
  SafetensorsError,
  tensorFromRaw,
  toSafetensors,
} from "./safetensors.ts";
import type { Parameterised } from "./layers.ts";

/** Weights that do not fit the model: missing, unexpected or misshapen names, or an unreadable file. */
export class WeightsError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "WeightsError";
  }
}

function tempName(path: string): string {
  return `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Writes named tensors to `path` (.safetensors or .pt) via a temporary file and a rename. */
export function saveNamed(
  path: string,
  named: readonly [string, Tensor][],
  metadata: Record<string, string> = {},
): void {
  const tmp = tempName(path);
  try {
    if (path.endsWith(".pt")) savePt(tmp, named);
    else if (path.endsWith(".safetensors")) Deno.writeFileSync(tmp, toSafetensors(named, metadata));
    else throw new WeightsError(`${path}: expected a name ending in .safetensors or .pt`);
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* never written */ }
    throw e;
  }
}

/** Reads named tensors (CPU) from a .safetensors or .pt file; the caller disposes them. */
export function loadNamed(
  path: string,
): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  if (path.endsWith(".pt")) {
    try {
      return { tensors: loadPt(path), metadata: {} };
    } catch (e) {
      if (e instanceof TorchError) throw new WeightsError(`${path}: ${e.message}`);
      throw e;
    }
  }
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (e) {
    throw new WeightsError(`${path}: cannot be read (${(e as Error).message})`);
  }
  try {
    const { tensors, metadata } = decodeSafetensors(bytes);
    const out = new Map<string, Tensor>();
    for (const [name, raw] of tensors) out.set(name, tensorFromRaw(raw));
    return { tensors: out, metadata };
  } catch (e) {
    if (e instanceof SafetensorsError) throw new WeightsError(`${path}: ${e.message}`);
    throw e;
  }
}

/** Writes a model's parameters under their state_dict names. */
export function saveWeights(model: Parameterised, path: string): void {
  saveNamed(path, model.namedParameters(), { format: "pt-state-dict" });
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
  const missing = target.filter(([n]) => !tensors.has(n)).map(([n]) => n);
  const names = new Set(target.map(([n]) => n));
  const unexpected = [...tensors.keys()].filter((n) => !names.has(n));
  if (missing.length > 0 || unexpected.length > 0) {
    throw new WeightsError(
      `${what}: expected the model's ${target.length} parameters, found ${missing.length} missing` +
        (missing.length
          ? ` (${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", …" : ""})`
          : "") +
        ` and ${unexpected.length} unexpected` +
        (unexpected.length
          ? ` (${unexpected.slice(0, 3).join(", ")}${unexpected.length > 3 ? ", …" : ""})`
          : ""),
    );
  }
  for (const [name, p] of target) {
    const a = p.shape.join("x");
    const b = tensors.get(name)!.shape.join("x");
    if (a !== b) throw new WeightsError(`${what}: ${name}: expected shape ${a}, found ${b}`);
    if (tensors.get(name)!.dtype !== p.dtype) {
      throw new WeightsError(
        `${what}: ${name}: expected dtype ${p.dtype}, found ${tensors.get(name)!.dtype}`,
      );
    }
  }
  scope(() => noGrad(() => target.forEach(([name, p]) => copy_(p, tensors.get(name)!))));
}

/** Loads weights from a .safetensors or .pt file into a model (strict: names and shapes must match). */
export function loadWeights(model: Parameterised, path: string): void {
  const { tensors } = loadNamed(path);
  try {
    assignNamed(model.namedParameters(), tensors, path);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}
