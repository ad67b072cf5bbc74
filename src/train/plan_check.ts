/**
 * The end-to-end check of a `--precision auto` plan before it is taken: whole training steps
 * (gather, forward, loss, backward, Adam with the copies' refresh) of the plan and of fp32,
 * alternated on a synthetic batch, so that what the per-stage probe cannot see (its noise,
 * what the stages do to each other's caches, the optimizer) cannot make auto slower than fp32.
 *
 * @module
 */
import { empty, Generator, keep, scope, to, uniform_, zeros } from "../ffi/mod.ts";
import type { StageCandidate } from "../result/mod.ts";
import { type DeviceData, disposeDeviceData, Trainer } from "./train.ts";

/** The median of the rounds' ratio that a plan must beat to be taken over fp32. */
export const MAX_CHECK_RATIO = 0.99;

/** What {@linkcode checkPlan} measured. */
export interface PlanCheck {
  /** Each round's plan step over its fp32 step (a round: one step of each, order alternating). */
  ratios: number[];
  /** Their median. */
  ratio: number;
  /** Whether the plan is taken: `ratio` at most {@linkcode MAX_CHECK_RATIO}. */
  accepted: boolean;
}

function syntheticData(batch: number): DeviceData {
  const images = () => keep(scope(() => uniform_(empty([batch, 1, 28, 28]), -1, 1)));
  const labels = () => keep(scope(() => to(zeros([batch]), "cpu", "int64")));
  return {
    trainImages: images(),
    trainLabels: labels(),
    testImages: images(),
    testLabels: labels(),
    trainCount: batch,
    testCount: batch,
    device: "cpu",
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Times `rounds` rounds of one training step of the plan and one of fp32 NCHW (after one
 * untimed step each), on the CPU at `batchSize` images; frees what it made.
 */
export function checkPlan(
  plan: readonly StageCandidate[],
  options: { batchSize: number; rounds?: number },
): PlanCheck {
  const rounds = options.rounds ?? 5, batch = options.batchSize;
  const data = syntheticData(batch);
  const base = { lr: 1e-3, seed: 0, batchSize: batch };
  const fp32 = new Trainer(data, { ...base, precision: "fp32" });
  const auto = new Trainer(data, { ...base, precision: "auto", stagePlan: plan });
  using gen = new Generator(0);
  const order = gen.randperm(batch);
  const range = { start: 0, size: batch };
  const time = (t: Trainer) => {
    const start = performance.now();
    t.step(order, range);
    return performance.now() - start;
  };
  try {
    time(fp32), time(auto);
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      let a: number, f: number;
      if (r % 2 === 0) [a, f] = [time(auto), time(fp32)];
      else [f, a] = [time(fp32), time(auto)];
      ratios.push(a / f);
    }
    const ratio = median(ratios);
    return { ratios, ratio, accepted: ratio <= MAX_CHECK_RATIO };
  } finally {
    order.dispose();
    fp32.dispose();
    auto.dispose();
    disposeDeviceData(data);
  }
}
