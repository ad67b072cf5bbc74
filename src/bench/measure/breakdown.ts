/**
 * Where our training step's time goes, measured on steps of their own after the timed window
 * (so the window stays unperturbed): each phase (gather, forward, backward, optimizer) timed with
 * the device synchronised at its end, the rest of the step as host time, and the FFI layer as the
 * shim calls one step makes times the measured cost of one call. `--profile FILE` writes
 * libtorch's profiler trace of one more window the same way.
 *
 * @module
 */
import { countFfiCalls, profile, scalar, synchronize } from "../../ffi/mod.ts";
import {
  type DeviceData,
  type RunPlan,
  StepFeed,
  type StepPhase,
  torchDevice,
  Trainer,
} from "../../train/mod.ts";
import type { Breakdown } from "../../result/mod.ts";
import { median } from "../../stats/mod.ts";

/** Untimed steps on the breakdown's fresh model before it measures (Adam's state, caches). */
export const BREAKDOWN_WARMUP = 2;
/** Calls per round, and rounds, of the one-call cost measurement (the median round counts). */
const CALL_ROUNDS = { calls: 20000, rounds: 7 };

/** Mean milliseconds per step in each phase, host included. */
type PhasesMs = Breakdown["phasesMs"];

/** Nanoseconds of one shim call: the median over rounds of a cheap call (Tensor.numel). */
export function measureCallNs(): number {
  using x = scalar(1);
  const perRound: number[] = [];
  for (let r = 0; r < CALL_ROUNDS.rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < CALL_ROUNDS.calls; i++) x.numel;
    perRound.push(((performance.now() - t0) * 1e6) / CALL_ROUNDS.calls);
  }
  return median(perRound);
}

/** A trainer and its batch order for steps outside the timed window; disposes both. */
function withSteps<T>(
  plan: RunPlan,
  data: DeviceData,
  fn: (trainer: Trainer, feed: StepFeed) => T,
): T {
  const trainer = new Trainer(data, plan.trainer);
  // The trainer's ranges: a data-parallel rank's are its shard's, with the per-rank batch.
  const feed = new StepFeed(trainer, plan.config.seed, trainer.batchRanges());
  try {
    for (let i = 0; i < BREAKDOWN_WARMUP; i++) trainer.step(...feed.next());
    return fn(trainer, feed);
  } finally {
    feed.dispose();
    trainer.dispose();
  }
}

/** Runs `steps` eager steps, synchronised after each phase; the mean step and phase times. */
function timePhases(
  trainer: Trainer,
  feed: StepFeed,
  options: { steps: number; plan: RunPlan },
): { stepMs: number; phasesMs: PhasesMs } {
  const dev = torchDevice(options.plan.device);
  const sums: PhasesMs = { gather: 0, forward: 0, backward: 0, optimizer: 0, host: 0 };
  let total = 0;
  for (let i = 0; i < options.steps; i++) {
    const [order, range] = feed.next();
    synchronize(dev);
    const start = performance.now();
    let inPhases = 0;
    let last = start;
    const mark = (phase: StepPhase) => {
      synchronize(dev);
      const now = performance.now();
      sums[phase] += now - last;
      inPhases += now - last;
      last = performance.now(); // the mark's own bookkeeping is host time
    };
    trainer.stepPhased(order, range, mark);
    synchronize(dev);
    const ms = performance.now() - start;
    sums.host += ms - inPhases;
    total += ms;
  }
  const mean = (x: number) => x / options.steps;
  const phasesMs = Object.fromEntries(
    Object.entries(sums).map(([k, v]) => [k, mean(v)]),
  ) as PhasesMs;
  return { stepMs: mean(total), phasesMs };
}

/**
 * Measures where a step's time goes on `steps` steps of a fresh model (the plan's trainer
 * options and seed; the eager step, also when the window replays a CUDA graph).
 */
export function measureBreakdown(plan: RunPlan, data: DeviceData, steps: number): Breakdown {
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`breakdown: expected an integer number of steps >= 1, found ${steps}`);
  }
  return withSteps(plan, data, (trainer, feed) => {
    const { calls } = countFfiCalls(() => trainer.step(...feed.next()));
    const { stepMs, phasesMs } = timePhases(trainer, feed, { steps, plan });
    const callNs = measureCallNs();
    return {
      steps,
      stepMs,
      phasesMs,
      ffi: { callsPerStep: calls, callNs, msPerStep: (calls * callNs) / 1e6 },
    };
  });
}

/**
 * Writes libtorch's profiler trace (chrome://tracing JSON) of a window of `steps` steps on a
 * fresh model to `path`, after the breakdown's warm-up steps.
 */
export function profileWindow(
  plan: RunPlan,
  data: DeviceData,
  options: { steps: number; path: string },
): void {
  const dev = torchDevice(plan.device);
  withSteps(plan, data, (trainer, feed) =>
    profile(options.path, () => {
      for (let i = 0; i < options.steps; i++) trainer.step(...feed.next());
      synchronize(dev);
    }));
}
