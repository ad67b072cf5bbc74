/**
 * What a data-parallel rank refuses before it joins the others, each as one line saying what
 * was expected and what was found.
 *
 * @module
 */
import type { BenchConfig, Device } from "../result/mod.ts";
import type { RankEnv } from "./env.ts";

/** Why this configuration cannot run as rank `place` of a data-parallel run, or null. */
export function rankProblem(
  config: BenchConfig,
  devices: readonly Device[],
  place: Pick<RankEnv, "worldSize">,
): string | null {
  const n = place.worldSize;
  if (devices.length !== 1 || devices[0] !== "cpu") {
    return `data-parallel ranks: expected --device cpu (Gloo; NCCL ranks on CUDA are not ` +
      `wired into the harness yet), found ${devices.join(" + ")}`;
  }
  if (config.batchSize % n !== 0) {
    return `--batch-size ${config.batchSize}: expected a multiple of the ${n} ranks (the global ` +
      `batch is split evenly), found a remainder of ${config.batchSize % n}`;
  }
  const others = (config.baseline ?? []).filter((b) => b !== "pytorch");
  if (others.length > 0) {
    return `--baseline ${others.join(",")} with ${n} ranks: expected pytorch alone (PyTorch ` +
      `DDP, baselines/pytorch_ddp.py; the libtorch C++ worker has no ranks), found ` +
      config.baseline!.join(",");
  }
  if (config.baseline !== null && config.steps === null) {
    return `--baseline pytorch with ${n} ranks: expected a timed window (--steps; PyTorch DDP ` +
      `times a window, no epochs), found none`;
  }
  return null;
}
