/**
 * Weights PyTorch can load (torch.save's format through libtorch's pickler) and the CPU
 * generator's state (for exact resumption of dropout draws).
 *
 * @module
 */
import { check, errSlot, lib } from "./library.ts";
import { TorchError } from "./error.ts";
import { handleList } from "./ops.ts";
import { Tensor } from "./tensor.ts";

function cString(s: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(s + "\0");
  if (bytes.indexOf(0) !== bytes.length - 1) {
    throw new TypeError(`expected a string without NUL bytes, found ${JSON.stringify(s)}`);
  }
  return bytes;
}

/** Writes named tensors as a dict in torch.save's format; Python reads it with torch.load. */
export function savePt(path: string, named: readonly [string, Tensor][]): void {
  const names = named.map(([n]) => cString(n));
  const ptrs = new BigUint64Array(names.length);
  names.forEach((b, i) => (ptrs[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b)))));
  lib().ats_save_pt(
    cString(path),
    ptrs,
    handleList(named.map(([, t]) => t)),
    BigInt(named.length),
    errSlot,
  );
  check();
}

/** Reads a dict[str, Tensor] written by torch.save (Python) or {@linkcode savePt}. */
export function loadPt(path: string): Map<string, Tensor> {
  const d = lib().ats_load_pt(cString(path), errSlot);
  check();
  if (d === null) throw new TorchError(`load_pt: no dict read from ${path}`);
  const out = new Map<string, Tensor>();
  try {
    const n = Number(lib().ats_dict_size(d, errSlot));
    check();
    for (let i = 0; i < n; i++) {
      const name = lib().ats_dict_name(d, BigInt(i), errSlot);
      check();
      out.set(
        Deno.UnsafePointerView.getCString(name!),
        new Tensor(lib().ats_dict_tensor(d, BigInt(i), errSlot)),
      );
    }
  } catch (e) {
    for (const t of out.values()) t.dispose();
    throw e;
  } finally {
    lib().ats_dict_free(d);
  }
  return out;
}

/** The CPU generator's state (a uint8 tensor). */
export function rngState(): Tensor {
  return new Tensor(lib().atr_rng_state(errSlot));
}

/** Restores the CPU generator's state. */
export function setRngState(state: Tensor): void {
  lib().atr_set_rng_state(state.ptr, errSlot);
  check();
}
