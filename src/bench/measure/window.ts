/**
 * The timed window: warm-up steps, then timed steps, on a fresh model, each step timed between
 * device synchronisations; stops early at a step boundary when the {@linkcode Stopper} says so.
 * On a data-parallel rank, each step's exposed all-reduce wait is read too, rank 0 trains a lone
 * model between the ranks' steps (solo.ts), and the ranks' figures are gathered at the end.
 *
 * @module
 */
import type { DataParallel } from "../../dist/mod.ts";
import {
  type DeviceData,
  type Progress,
  type RunPlan,
  showProgress,
  StepFeed,
  type Stopper,
  timeStep,
  Trainer,
} from "../../train/mod.ts";
import { allreduceShare, rankMedian, type RankWindow } from "./scaling.ts";
import { SingleRank } from "./solo.ts";

/** The window's step times in milliseconds. */
export interface WindowTimes {
  /** Each warm-up step. */
  warmupMs: number[];
  /** Each timed step. */
  timedMs: number[];
  /** Each step's loss, warm-up steps first (as baselines/pytorch_baseline.py reports them). */
  losses: number[];
  /** A data-parallel window's per-rank measurements and single-rank reference (absent otherwise). */
  ranks?: RankWindow;
}

/** A window under way: its plan, trainer, batches, single-rank reference, times and waits. */
interface WindowState {
  plan: RunPlan;
  times: WindowTimes;
  trainer: Trainer;
  feed: StepFeed;
  solo: SingleRank | null;
  waitMs: (number | null)[];
}

/** One step of the window: timed, its loss and (on a rank) its all-reduce wait recorded. */
function windowStep(state: WindowState, i: number): void {
  const { plan, times } = state;
  const timed = i >= plan.window!.warmup;
  const [order, range] = state.feed.next();
  const ms = timeStep(state.trainer, { order, range, device: plan.device });
  (timed ? times.timedMs : times.warmupMs).push(ms);
  times.losses.push(state.trainer.lastLoss());
  if (timed && state.solo !== null) state.waitMs.push(state.trainer.allreduceWaitMs());
  state.solo?.step(timed);
}

/** Every rank's step median and all-reduce share, and rank 0's lone steps (all ranks ask). */
function gatherRanks(dist: DataParallel, state: WindowState): RankWindow {
  const { times } = state;
  const share = allreduceShare(state.waitMs, times.timedMs);
  return {
    perRankStepMedianMs: dist.gather(rankMedian(times.timedMs)),
    perRankAllreduceShare: dist.gather(share ?? NaN),
    singleRank: dist.rank === 0 && state.solo !== null
      ? { schedule: "interleaved", batchSize: state.solo.batchSize, timedMs: state.solo.timedMs }
      : null,
  };
}

/** Runs the plan's timed window (none when the plan has none). */
export function timeWindow(
  plan: RunPlan,
  data: DeviceData,
  hooks: { stop: Stopper; progress: Progress | null },
): WindowTimes {
  const times: WindowTimes = { warmupMs: [], timedMs: [], losses: [] };
  if (plan.window === null) return times;
  const { warmup, steps } = plan.window;
  const { batchSize, seed } = plan.config;
  const trainer = new Trainer(data, plan.trainer);
  const dist = plan.trainer.dist ?? null;
  const state: WindowState = {
    plan,
    times,
    trainer,
    feed: new StepFeed(trainer, seed, trainer.batchRanges()),
    solo: dist && new SingleRank(plan, { data, dist }),
    waitMs: [],
  };
  const startMs = performance.now();
  try {
    for (let i = 0; i < warmup + steps && !hooks.stop.atStep(`timed window step ${i}`); i++) {
      windowStep(state, i);
      const label = i < warmup ? "warm-up" : "timed";
      const step = i + 1;
      showProgress(hooks.progress, trainer, {
        label,
        step,
        steps: warmup + steps,
        startMs,
        batchSize,
      });
    }
  } finally {
    hooks.progress?.done();
    state.feed.dispose();
    state.solo?.dispose();
    trainer.dispose();
  }
  if (dist !== null) times.ranks = gatherRanks(dist, state);
  return times;
}
