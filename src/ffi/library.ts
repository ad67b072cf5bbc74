/**
 * Loads the torch shim (native/build/libtorch_shim.so) and checks every call's error slot.
 *
 * The library is found through the TORCH_SHIM_PATH environment variable first, then in
 * native/build/ of this checkout. It is opened on first use, so modules that only import
 * types never need it.
 *
 * @module
 */
import { ShimNotFoundError, TorchError } from "./error.ts";
import { symbols } from "./symbols.ts";

/** The opened shim's functions. */
export type Shim = Deno.DynamicLibrary<typeof symbols>["symbols"];

/** The command that builds the shim, quoted in not-found errors. */
export const BUILD_COMMAND = "deno task setup";

const LIB_NAME = Deno.build.os === "darwin" ? "libtorch_shim.dylib" : "libtorch_shim.so";

let shim: Shim | null = null;

/** The per-call error slot: `char **err`, shared by all calls on this thread (JS is one thread). */
export const errSlot: BigUint64Array<ArrayBuffer> = new BigUint64Array(1);

/** Where the shim is looked for: TORCH_SHIM_PATH alone when set, else native/build/. */
export function shimCandidates(): string[] {
  // An explicit path is the only candidate: a wrong override must not silently fall back.
  const env = Deno.env.get("TORCH_SHIM_PATH");
  if (env) return [env];
  return [new URL(`../../native/build/${LIB_NAME}`, import.meta.url).pathname];
}

/** While {@linkcode countFfiCalls} runs: the shim's functions, each counting its calls. */
let counting: Shim | null = null;
let calls = 0;

/** The shim's functions wrapped so that each call adds one to `calls`. */
function countingShim(real: Shim): Shim {
  const wrapped = Object.fromEntries(
    Object.entries(real).map(([name, fn]) => [
      name,
      (...args: unknown[]) => {
        calls++;
        return (fn as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  );
  return wrapped as unknown as Shim;
}

/**
 * Runs `fn` and counts the shim calls it makes through {@linkcode lib} (the counting wrapper is
 * in place only meanwhile, so other calls pay nothing for it).
 *
 * @returns `fn`'s result and the number of shim calls.
 */
export function countFfiCalls<T>(fn: () => T): { result: T; calls: number } {
  if (counting !== null) throw new Error("countFfiCalls: expected no count running, found one");
  counting = countingShim(lib());
  calls = 0;
  try {
    const result = fn();
    return { result, calls };
  } finally {
    counting = null;
  }
}

/** Opens the shim (once) and returns its functions. */
export function lib(): Shim {
  if (counting !== null) return counting;
  if (shim !== null) return shim;
  const candidates = shimCandidates();
  const path = candidates.find((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
  if (path === undefined) {
    throw new ShimNotFoundError(
      `torch shim not found: expected ${LIB_NAME} at ${candidates.join(" or ")}; ` +
        `build it with \`${BUILD_COMMAND}\`, or point TORCH_SHIM_PATH at it`,
    );
  }
  try {
    shim = Deno.dlopen(path, symbols).symbols;
  } catch (e) {
    throw new ShimNotFoundError(
      `torch shim at ${path} could not be loaded (${(e as Error).message}); ` +
        `rebuild it with \`${BUILD_COMMAND}\``,
    );
  }
  return shim;
}

/** Throws a TorchError if the last call filled the error slot, and clears the slot. */
export function check(): void {
  if (errSlot[0] === 0n) return;
  const p = Deno.UnsafePointer.create(errSlot[0]);
  errSlot[0] = 0n;
  const message = p === null ? "unknown error" : Deno.UnsafePointerView.getCString(p);
  lib().atr_free_string(p);
  throw new TorchError(message);
}

/** Reads a malloc'd C string returned by the shim and frees it. */
export function takeString(p: Deno.PointerValue): string {
  check();
  if (p === null) throw new TorchError("the shim returned no string");
  const s = Deno.UnsafePointerView.getCString(p);
  lib().atr_free_string(p);
  return s;
}
