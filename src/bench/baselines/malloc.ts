/**
 * glibc malloc's settings for every process of a run: ours (through the shim's `mallopt`) and
 * each baseline's (through `GLIBC_TUNABLES`, read when the process starts).
 *
 * Why: libtorch's CPU tensors come from glibc malloc, and a step's largest ones (the first
 * convolution's 38 MB output at batch 64) are above glibc's mmap threshold. By default that
 * threshold moves with the process's history of frees, so one process maps and faults in fresh
 * pages every step while another, started the same way, reuses its heap: measured here, the same
 * PyTorch script ran 107 ms or 154 ms per step from one process to the next (165,000 against
 * 296,000 minor page faults in 35 steps). `pinned` takes the history out: no mmap for blocks,
 * no trimming of the heap's top, in every process alike.
 *
 * @module
 */

import { mallopt } from "../../ffi/mod.ts";
import type { CHOICES } from "../../result/mod.ts";

/** `--malloc`: `pinned` (the settings below, in every process) or glibc's `default`. */
export type MallocPolicy = (typeof CHOICES.malloc)[number];

/** The settings of `pinned`, each as glibc's tunable and as its `mallopt` parameter. */
export const PINNED_MALLOC = [
  /** Never mmap a block: every allocation comes from the arenas and is reused. */
  { tunable: "glibc.malloc.mmap_max", param: -4, /* M_MMAP_MAX */ value: 0 },
  /** Never give the heap's top back to the system (the largest value mallopt takes). */
  { tunable: "glibc.malloc.trim_threshold", param: -1, /* M_TRIM_THRESHOLD */ value: 2 ** 31 - 1 },
] as const;

/** Applies `policy` to this process (`default`: nothing, glibc's own settings stay). */
export function applyMalloc(policy: MallocPolicy): void {
  if (policy === "default") return;
  for (const { param, value } of PINNED_MALLOC) mallopt(param, value);
}

/**
 * The environment a child process needs for `policy`: `GLIBC_TUNABLES` with the pinned
 * settings after any the caller's environment already has; nothing for `default`.
 *
 * @param inherited The current `GLIBC_TUNABLES` (default: this process's).
 */
export function mallocEnv(
  policy: MallocPolicy,
  inherited: string | undefined = Deno.env.get("GLIBC_TUNABLES"),
): Record<string, string> {
  if (policy === "default") return {};
  const pinned = PINNED_MALLOC.map(({ tunable, value }) => `${tunable}=${value}`);
  return { GLIBC_TUNABLES: [inherited, ...pinned].filter((s) => s).join(":") };
}
