/**
 * One benchmark run of this project's stack on one device, as stages: a timed window
 * (window.ts), then whole epochs with test accuracy after each (src/train/epochs.ts, the seed's
 * protocol), every clock read after the device is synchronised; the record is built from the
 * plan and the measurements afterwards (record.ts).
 *
 * @module
 */
import { cudaPeakMemory, cudaResetPeakMemory } from "../../ffi/mod.ts";
import {
  type DeviceData,
  type EpochHooks,
  type Progress,
  type RunPlan,
  type Stopper,
  torchDevice,
  trainEpochs,
} from "../../train/mod.ts";
import type { Measured } from "./record.ts";
import { timeWindow, type WindowTimes } from "./window.ts";
import { measureBreakdown, profileWindow } from "./breakdown.ts";
import type { Breakdown } from "../../result/mod.ts";

/** Peak resident memory of this process in bytes (VmHWM), or null where /proc is missing. */
function peakRssBytes(): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Hooks of {@linkcode runDenoLibtorch}: the epochs' hooks, logging optional. */
export type RunHooks = Omit<EpochHooks, "log" | "progress"> & {
  /** Receives the seed's per-epoch lines (default: console.log). */
  log?: (line: string) => void;
  /** Live progress, or null (default). */
  progress?: Progress | null;
  /** The plan's window, already measured paired with the baselines (paired.ts); else timed here. */
  pairedWindow?: WindowTimes | null;
  /** Called once the timed window is over (timed here or paired), before anything else runs. */
  afterWindow?: () => void;
};

/**
 * After a timed window: the step's breakdown (`--breakdown-steps`, null when 0 or without a
 * window) and libtorch's trace of one more window (`--profile`), on steps of their own.
 */
function stepProfile(plan: RunPlan, data: DeviceData, stop: Stopper): Breakdown | null {
  if (plan.window === null || stop.atStep("the step breakdown")) return null;
  // At most as many steps as the timed window: a short run stays short.
  const steps = Math.min(plan.config.breakdownSteps ?? 0, plan.window.steps);
  const path = plan.config.profile ?? null;
  if (path !== null) profileWindow(plan, data, { steps: Math.max(1, steps), path });
  return steps > 0 ? measureBreakdown(plan, data, steps) : null;
}

/** Runs the plan's stages on one device: the timed window, then the epochs. */
export function runDenoLibtorch(plan: RunPlan, data: DeviceData, hooks: RunHooks): Measured {
  const dev = torchDevice(plan.device);
  const progress = hooks.progress ?? null;
  cudaResetPeakMemory(dev);
  const window = hooks.pairedWindow ?? timeWindow(plan, data, { stop: hooks.stop, progress });
  hooks.afterWindow?.();
  const breakdown = stepProfile(plan, data, hooks.stop);
  const epochs = trainEpochs(plan, data, {
    ...hooks,
    progress,
    log: hooks.log ?? ((line: string) => console.log(line)),
  });
  return {
    window,
    breakdown,
    epochs,
    peakMemoryBytes: plan.device === "cuda" ? cudaPeakMemory(dev) : peakRssBytes(),
    stopReason: hooks.stop.reason,
  };
}
