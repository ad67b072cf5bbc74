/**
 * The probe of `--precision auto`: on this machine, before the timed window, each top-level
 * stage's forward and backward timed in each candidate (fp32 NCHW, fp32 channels-last, bf16
 * channels-last), repetitions interleaved over stages and candidates, and the casts of each
 * stage's input between the candidates; src/train/stage_plan.ts chooses from the figures.
 *
 * @module
 */
import {
  backward,
  contiguous,
  empty,
  grad,
  keep,
  mul,
  noGrad,
  scope,
  setRequiresGrad,
  sum,
  type Tensor,
  to,
  uniform_,
  zeroGrad,
} from "../ffi/mod.ts";
import { GoogLeNet, type Module, traceGoogLeNet } from "../model/mod.ts";
import { CHOICES, type StageCandidate, type StageTimings } from "../result/mod.ts";
import { candidateLayout } from "./stage_plan.ts";

/** Options of {@linkcode probeStages}. */
export interface ProbeOptions {
  /** Images per step: the batch the stages are timed with. */
  batchSize: number;
  /** Most timed repetitions of each measurement, after one untimed (default 5). */
  maxReps?: number;
  /**
   * Milliseconds the probe aims to stay within (default 7,000): no repetition is started that
   * the last one's length says would end past it; one timed repetition is always made.
   */
  budgetMs?: number;
}

const CANDIDATES = CHOICES.stageCandidate;

/** A fresh leaf tensor of `shape` with values in [-1, 1), in a candidate's dtype and layout. */
function filled(shape: number[], c: StageCandidate, requiresGrad = false): Tensor {
  const { dtype, format } = candidateLayout(c);
  const t = keep(noGrad(() =>
    scope(() => {
      const x = uniform_(empty(shape), -1, 1);
      const cast = dtype === "float32" ? x : to(x, "cpu", dtype);
      return shape.length === 4 ? contiguous(cast, format) : cast;
    })
  ));
  return requiresGrad ? setRequiresGrad(t) : t;
}

/** `x` in candidate `c`'s dtype and layout (a new tensor). */
function castTo(x: Tensor, c: StageCandidate): Tensor {
  const { dtype, format } = candidateLayout(c);
  const cast = x.dtype === dtype ? x : to(x, "cpu", dtype);
  return x.shape.length === 4 ? contiguous(cast, format) : cast;
}

/** One candidate's model and, per stage, its input, output gradient and parameters. */
interface Arm {
  candidate: StageCandidate;
  model: GoogLeNet;
  stages: { module: Module; input: Tensor; gradOut: Tensor; masters: Tensor[]; copies: Tensor[] }[];
}

function makeArm(c: StageCandidate, batch: number): Arm {
  const { dtype, format } = candidateLayout(c);
  const model = new GoogLeNet();
  if (format !== "contiguous") model.to("cpu", { memoryFormat: format });
  const traced = traceGoogLeNet().children;
  const stages = model.namedChildren().map(([, module], i) => {
    const copies = module.makeComputeCopies(dtype, { memoryFormat: format });
    return {
      module,
      input: filled([batch, ...traced[i].input], c, i > 0),
      gradOut: filled([batch, ...traced[i].output], c),
      masters: module.parameters(),
      copies,
    };
  });
  return { candidate: c, model, stages };
}

function disposeArm(arm: Arm): void {
  for (const s of arm.stages) for (const t of [s.input, s.gradOut]) t.dispose();
  arm.model.dispose();
}

/**
 * Milliseconds of one stage's forward and backward in an arm, with, for bf16 copies, the
 * step's refresh of the copies from the masters and the gradients widened for Adam; null when
 * libtorch refuses the candidate (no such kernel).
 */
function timeStage(arm: Arm, i: number): number | null {
  const s = arm.stages[i];
  const lowCopies = arm.candidate === "bf16-cl";
  try {
    return scope(() => {
      const start = performance.now();
      backward(sum(mul(s.module.forward(s.input), s.gradOut)));
      if (lowCopies) {
        noGrad(() => s.masters.forEach((m) => to(m, "cpu", "bfloat16")));
        for (const c of s.copies) {
          const g = grad(c);
          if (g !== null) to(g, "cpu", "float32");
        }
      }
      const ms = performance.now() - start;
      zeroGrad([...s.copies, s.input]);
      return ms;
    });
  } catch {
    return null;
  }
}

/** Milliseconds to cast stage i's input from arm a's candidate to arm b's. */
function timeCast(a: Arm, b: Arm, i: number): number {
  return scope(() =>
    noGrad(() => {
      const start = performance.now();
      castTo(a.stages[i].input, b.candidate);
      return performance.now() - start;
    })
  );
}

/** Which candidates each stage still times: all, until the untimed repetition prunes them. */
type Live = boolean[][];

/**
 * One repetition over every stage and its live candidates (in reverse order on odd
 * repetitions, so that no candidate always runs first): stage times and one-way casts.
 */
function repetition(arms: Arm[], live: Live, odd: boolean): RepTimes {
  const n = arms[0].stages.length;
  const order = odd ? [...arms].reverse() : arms;
  const stage: (number | null)[][] = [], cast: number[][][] = [];
  for (let i = 0; i < n; i++) {
    const times = new Map(order.map((arm) => {
      const c = arms.indexOf(arm);
      return [arm, live[i][c] ? timeStage(arm, i) : null] as const;
    }));
    stage.push(arms.map((arm) => times.get(arm)!));
    cast.push(arms.map((a) => arms.map((b) => a === b ? 0 : timeCast(a, b, i))));
  }
  return { stage, cast };
}

/** The times of one repetition: per stage per candidate, and per stage `[from][to]`. */
interface RepTimes {
  stage: (number | null)[][];
  cast: number[][][];
}

/**
 * How much slower than a stage's fp32 NCHW time, in the untimed repetition, another candidate
 * may be and still be timed: beyond it, it cannot win (emulated bf16, say), and is not timed
 * again. fp32 NCHW itself, the fallback, is always timed.
 */
export const PRUNE_FACTOR = 2;

function prune(first: RepTimes): Live {
  return first.stage.map((row) =>
    row.map((x, c) => c === 0 || (x !== null && row[0] !== null && x <= PRUNE_FACTOR * row[0]))
  );
}

// The fastest repetition: on a shared machine, load only ever adds to a time.
const fastest = (xs: number[]) => Math.min(...xs);

function fastestOf(reps: (number | null)[]): number | null {
  const ok = reps.filter((x): x is number => x !== null);
  return ok.length === 0 ? null : fastest(ok);
}

/**
 * The fastest of the repetitions; a cast costs its way forward and the gradient's way back.
 */
function summarise(reps: RepTimes[], stages: string[]): StageTimings {
  const k = CANDIDATES.length;
  const stageMs = stages.map((_, i) =>
    [...Array(k).keys()].map((c) => fastestOf(reps.map((r) => r.stage[i][c])))
  );
  const oneWay = (i: number, a: number, b: number) => fastest(reps.map((r) => r.cast[i][a][b]));
  const castMs = stages.map((_, i) =>
    [...Array(k).keys()].map((a) =>
      [...Array(k).keys()].map((b) =>
        a === b ? 0 : oneWay(i, a, b) + (i === 0 ? 0 : oneWay(i, b, a))
      )
    )
  );
  return { candidates: [...CANDIDATES], stages, stageMs, castMs, reps: reps.length };
}

/**
 * Times every top-level stage of GoogLeNet in every candidate on the CPU, at `batchSize`
 * images, on libtorch's current threads. Builds its own models (drawing from libtorch's
 * generator: seed afterwards) and frees everything it made.
 */
export function probeStages(options: ProbeOptions): StageTimings {
  const maxReps = options.maxReps ?? 5, budget = options.budgetMs ?? 7000;
  const start = performance.now();
  const arms = CANDIDATES.map((c) => makeArm(c, options.batchSize));
  try {
    const stages = arms[0].model.namedChildren().map(([name]) => name);
    const all = stages.map(() => arms.map(() => true));
    const live = prune(repetition(arms, all, false)); // untimed: first calls, primitive caches
    const reps: RepTimes[] = [];
    let last = 0;
    while (reps.length < maxReps) {
      const t0 = performance.now();
      if (reps.length > 0 && t0 - start + last > budget) break;
      reps.push(repetition(arms, live, reps.length % 2 === 1));
      last = performance.now() - t0;
    }
    return summarise(reps, stages);
  } finally {
    for (const arm of arms) disposeArm(arm);
  }
}
