/**
 * Runtime controls: threads, seeds, build facts, CUDA device queries and synchronisation.
 *
 * @module
 */
import { check, errSlot, lib, takeString } from "./library.ts";
import { type Device, deviceCode, dtypeCode } from "./tensor.ts";

/** What the shim's libtorch was built with and what it finds at run time. */
export interface BuildInfo {
  /** libtorch version, e.g. "1.13.0". */
  libtorch: string;
  /** oneDNN (MKL-DNN) compiled in. */
  mkldnn: boolean;
  /** Intel MKL compiled in. */
  mkl: boolean;
  /** OpenMP compiled in. */
  openmp: boolean;
  /** The C++ standard the shim was compiled as (17, 20): what libtorch's headers demand, at least 17. */
  cxxStandard: number;
  /** CUDA compiled into the shim and libtorch. */
  cudaCompiled: boolean;
  /** A CUDA device is usable now. */
  cudaAvailable: boolean;
  /** cuDNN usable now. */
  cudnnAvailable: boolean;
  /** CUDA runtime version, when compiled with CUDA. */
  cudaRuntime?: string;
  /** Highest CUDA version the driver supports. */
  cudaDriverApi?: string;
  /** cuDNN version number (e.g. 91000). */
  cudnnVersion?: number;
  /** Number of CUDA devices. */
  cudaDeviceCount: number;
  /** Name, memory and compute capability of each CUDA device. */
  cudaDevices: { name: string; memoryBytes: number; capability: string }[];
  /** Intra-op threads at the time of the query. */
  threads: number;
}

/** Build facts of the loaded shim. */
export function buildInfo(): BuildInfo {
  return JSON.parse(takeString(lib().atr_build_info(errSlot)));
}

/** Seeds libtorch's generators (CPU and CUDA), like torch.manual_seed. */
export function manualSeed(seed: number | bigint): void {
  lib().atr_manual_seed(BigInt(seed), errSlot);
  check();
}

/** Sets libtorch's intra-op thread count. */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`threads: expected an integer ≥ 1, found ${n}`);
  }
  lib().atr_set_num_threads(n, errSlot);
  check();
}

/** libtorch's intra-op thread count. */
export function getNumThreads(): number {
  const n = lib().atr_get_num_threads(errSlot);
  check();
  return n;
}

/**
 * Sets one of glibc malloc's parameters, as C's `mallopt(param, value)` (e.g. -4 M_MMAP_MAX,
 * -1 M_TRIM_THRESHOLD). Throws a TorchError when glibc refuses it.
 */
export function mallopt(param: number, value: number): void {
  if (!Number.isInteger(param) || !Number.isInteger(value) || Math.abs(value) > 2 ** 31 - 1) {
    throw new RangeError(
      `mallopt: expected integer param and 32-bit value, found ${param}, ${value}`,
    );
  }
  lib().atr_mallopt(param, value, errSlot);
  check();
}

/**
 * Sets the size of libtorch's inter-op pool, which runs the concurrent branches of the ops'
 * `branches`; only before the pool's first use (a TorchError after).
 */
export function setInteropThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`interop threads: expected an integer ≥ 1, found ${n}`);
  }
  lib().atr_set_interop_threads(n, errSlot);
  check();
}

/** The size of libtorch's inter-op pool. */
export function getInteropThreads(): number {
  const n = lib().atr_get_interop_threads(errSlot);
  check();
  return n;
}

/** Number of CUDA devices usable now (0 on CPU-only builds). */
export function cudaDeviceCount(): number {
  const n = lib().atr_cuda_device_count(errSlot);
  check();
  return n;
}

/** Waits for queued device work; a no-op on the CPU. Call it before reading a clock. */
export function synchronize(device: Device): void {
  if (device === "cpu") return;
  lib().atr_cuda_synchronize(deviceCode(device), errSlot);
  check();
}

/** Peak bytes held by the CUDA caching allocator since the last reset, or null on the CPU. */
export function cudaPeakMemory(device: Device): number | null {
  if (device === "cpu") return null;
  const n = Number(lib().atr_cuda_peak_memory(deviceCode(device), errSlot));
  check();
  return n < 0 ? null : n;
}

/** Resets the CUDA allocator's peak statistics. */
export function cudaResetPeakMemory(device: Device): void {
  if (device === "cpu") return;
  lib().atr_cuda_reset_peak_memory(deviceCode(device), errSlot);
  check();
}

/** Options for {@linkcode setBackendFlags}. */
export interface BackendFlags {
  /** cuDNN autotuning (torch.backends.cudnn.benchmark). */
  cudnnBenchmark?: boolean;
  /** TF32 tensor cores for matmul and convolutions. */
  allowTF32?: boolean;
}

/**
 * Turns autocast (torch.autocast) on or off for this thread on a device, to `dtype`
 * (bfloat16 by default; float16 on CUDA only). The weight-cast cache stays off while it is on,
 * as CUDA graphs need and as in-place optimizer updates require.
 */
export function setAutocast(
  device: Device,
  enabled: boolean,
  dtype: "bfloat16" | "float16" = "bfloat16",
): void {
  lib().atr_set_autocast(deviceCode(device), enabled ? 1 : 0, dtypeCode(dtype), errSlot);
  check();
}

/** Open {@linkcode autocast} regions per device kind, so nested regions keep it on. */
const autocastDepth = new Map<"cpu" | "cuda", number>();

/**
 * Runs fn with autocast on for `device` (as `with torch.autocast(...)`); it goes off again when
 * the outermost such region ends.
 */
export function autocast<T>(device: Device, fn: () => T, dtype?: "bfloat16" | "float16"): T {
  const kind = device === "cpu" ? "cpu" : "cuda";
  const depth = autocastDepth.get(kind) ?? 0;
  if (depth === 0) setAutocast(device, true, dtype);
  autocastDepth.set(kind, depth + 1);
  try {
    return fn();
  } finally {
    autocastDepth.set(kind, depth);
    if (depth === 0) setAutocast(device, false, dtype);
  }
}

/** Sets cuDNN benchmark mode and TF32. */
export function setBackendFlags(flags: BackendFlags): void {
  lib().atr_set_backend_flags(flags.cudnnBenchmark ? 1 : 0, flags.allowTF32 ? 1 : 0, errSlot);
  check();
}

/**
 * Makes SIGINT and SIGTERM only record themselves (a second one exits at once with 128 + signal),
 * so that a synchronous training loop can poll {@linkcode pendingSignal} at each step boundary.
 * Deno's own signal listeners cannot run while a synchronous loop holds the thread.
 */
export function watchSignals(): void {
  lib().atr_watch_signals(errSlot);
  check();
  // Deno installs a SIGINT/SIGTERM handler of its own the first time something asks for one (a
  // listener, a child process, some node: and npm modules), on top of the shim's, which it then
  // calls first. With no listener of its own it next re-raises the signal with the default action
  // and the process dies before the loop reaches its step boundary. Installing it now, with a
  // listener, makes Deno pass the signal on and nothing more; the shim still records it.
  if (!denoListening) {
    for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, () => {});
    denoListening = true;
  }
}

let denoListening = false;

/** An interrupt the shim records; a run honours it at the next step boundary. */
export type StopSignal = "SIGINT" | "SIGTERM";

/** The first SIGINT/SIGTERM received since {@linkcode watchSignals}, or null. */
export function pendingSignal(): StopSignal | null {
  const s = lib().atr_pending_signal();
  return s === 0 ? null : s === 15 ? "SIGTERM" : "SIGINT";
}

/**
 * Runs `fn` under libtorch's profiler and writes its trace of the ops `fn` ran to `path`, as
 * chrome://tracing JSON (libtorch's legacy profiler, RecordProfile: the one its C++ API offers
 * in 1.13). The trace is written even when `fn` throws.
 *
 * @throws {TorchError} When `path` cannot be written or a profile is already running.
 */
export function profile<T>(path: string, fn: () => T): T {
  const bytes = new TextEncoder().encode(path + "\0");
  if (bytes.indexOf(0) !== bytes.length - 1) {
    throw new TypeError(
      `profile: expected a path without NUL bytes, found ${JSON.stringify(path)}`,
    );
  }
  lib().atr_profile_start(bytes, errSlot);
  check();
  try {
    return fn();
  } finally {
    lib().atr_profile_stop(errSlot);
    check();
  }
}
