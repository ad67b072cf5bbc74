/**
 * `--precision auto`'s plan for a run: from the cache when an earlier run on the same CPU model,
 * libtorch, batch and threads probed it, else probed now (before the timed window) and cached.
 * The cache is one JSON file, `$XDG_CACHE_HOME/googlenet-mnist-bench/stage-plans.json` (else
 * under `~/.cache`, see cache_dir.ts): read as untrusted input (size capped, every entry checked), so a damaged
 * file only costs a new probe.
 *
 * @module
 */
import { z } from "zod";
import { join } from "node:path";
import {
  type StageCandidate,
  type StagePlan,
  stagePlanSchema,
  type StageTimings,
} from "../../result/mod.ts";
import { checkPlan, choosePlan, probeStages } from "../../train/mod.ts";
import { GOOGLENET } from "../../model/mod.ts";
import { benchCacheDir } from "./cache_dir.ts";

/** What a cached plan is valid for. */
export type StagePlanKey = StagePlan["key"];

/** The largest plan cache read (bytes): a few hundred plans. */
export const MAX_CACHE_BYTES = 4 << 20;

const cacheSchema = z.object({ plans: z.array(stagePlanSchema) });

/** The cache file, in {@linkcode benchCacheDir}; null when there is no cache folder. */
export function stageCachePath(): string | null {
  const dir = benchCacheDir();
  return dir === null ? null : join(dir, "stage-plans.json");
}

const sameKey = (a: StagePlanKey, b: StagePlanKey) =>
  a.cpuModel === b.cpuModel && a.libtorch === b.libtorch && a.batchSize === b.batchSize &&
  a.threads === b.threads;

/** The cache's plans, or none when the file is missing, too large or not a plan cache. */
async function readCache(path: string): Promise<StagePlan[]> {
  try {
    if ((await Deno.stat(path)).size > MAX_CACHE_BYTES) return [];
    const parsed = cacheSchema.safeParse(JSON.parse(await Deno.readTextFile(path)));
    return parsed.success ? parsed.data.plans : [];
  } catch {
    return [];
  }
}

/** The plan chosen from `timings` for `key`. */
export function planFromTimings(
  key: StagePlanKey,
  timings: StageTimings,
  source: { source: StagePlan["source"]; probeSeconds: number },
): StagePlan {
  const chosen = choosePlan(timings);
  return {
    ...source,
    key,
    stages: timings.stages.map((name, i) => ({ name, candidate: chosen.candidates[i] })),
    predictedMs: chosen.predictedMs,
    fp32PredictedMs: chosen.fp32PredictedMs,
    timings,
  };
}

/** What checking a plan end to end found (src/train/plan_check.ts's checkPlan). */
export type PlanCheckResult = Omit<NonNullable<StagePlan["check"]>, "candidates">;

/** Options of {@linkcode stagePlanFor}. */
export interface StagePlanOptions {
  /** The model's top-level stages, in order: a cached plan for other stages is not used. */
  stages: readonly string[];
  /** Times the stages (src/train/probe.ts's probeStages, or a test's figures). */
  probe: () => StageTimings;
  /** Checks a plan other than fp32 throughout end to end; none: taken as chosen. */
  check?: (candidates: StageCandidate[]) => PlanCheckResult;
  /** The cache file, or null for none (default {@linkcode stageCachePath}). */
  path?: string | null;
}

/**
 * The plan for `key`: the cached one, or a probe's (checked end to end by `options.check` when
 * it is not fp32 throughout, and fp32 throughout unless the check accepts it), which is then
 * cached (a cache that cannot be written is skipped: the run goes on).
 */
export async function stagePlanFor(
  key: StagePlanKey,
  options: StagePlanOptions,
): Promise<StagePlan> {
  const path = options.path === undefined ? stageCachePath() : options.path;
  const cached = path === null ? [] : await readCache(path);
  const fits = (p: StagePlan) =>
    sameKey(p.key, key) && p.timings.stages.join() === options.stages.join();
  const hit = cached.find(fits);
  if (hit !== undefined) return { ...hit, source: "cache", probeSeconds: 0 };
  const start = performance.now();
  const chosen = planFromTimings(key, options.probe(), { source: "probe", probeSeconds: 0 });
  const plan = checked(chosen, options.check);
  plan.probeSeconds = (performance.now() - start) / 1000;
  if (path !== null) await writeCache(path, [...cached.filter((p) => !fits(p)), plan]);
  return plan;
}

/** `plan` checked end to end where it is not fp32 throughout: kept if accepted, else fp32. */
function checked(plan: StagePlan, check: StagePlanOptions["check"]): StagePlan {
  const candidates = plan.stages.map((s) => s.candidate);
  if (check === undefined || candidates.every((c) => c === "fp32")) return plan;
  const result = { candidates, ...check(candidates) };
  if (result.accepted) return { ...plan, check: result };
  return {
    ...plan,
    stages: plan.stages.map(({ name }) => ({ name, candidate: "fp32" })),
    predictedMs: plan.fp32PredictedMs,
    check: result,
  };
}

async function writeCache(path: string, plans: StagePlan[]): Promise<void> {
  try {
    await Deno.mkdir(join(path, ".."), { recursive: true });
    const tmp = `${path}.${Deno.pid}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify({ plans }, null, 1) + "\n");
    await Deno.rename(tmp, path);
  } catch (e) {
    console.error(`bench: the stage plan cache ${path} was not written: ${(e as Error).message}`);
  }
}

/** One line on the plan: where it came from and each stage's candidate, runs of one merged. */
export function describePlan(plan: StagePlan): string {
  const runs: string[] = [];
  let i = 0;
  while (i < plan.stages.length) {
    let j = i;
    while (
      j + 1 < plan.stages.length && plan.stages[j + 1].candidate === plan.stages[i].candidate
    ) {
      j++;
    }
    const names = i === j ? plan.stages[i].name : `${plan.stages[i].name}..${plan.stages[j].name}`;
    runs.push(`${names} ${plan.stages[i].candidate}`);
    i = j + 1;
  }
  const from = plan.source === "probe"
    ? `probed in ${plan.probeSeconds.toFixed(1)} s (${plan.timings.reps} timed repetitions)`
    : "from the cache";
  const check = plan.check === undefined
    ? ""
    : `; checked end to end: ${
      plan.check.accepted ? "taken" : "not taken (fp32 instead)"
    }, its step ${plan.check.ratio.toFixed(3)}× fp32's`;
  return `--precision auto: ${runs.join(", ")}; ${from}; predicted ` +
    `${plan.predictedMs.toFixed(1)} ms against fp32's ${plan.fp32PredictedMs.toFixed(1)} ms` +
    check;
}

/** The top-level stages' names of the model, in order, from its stage table. */
export function stageNames(): string[] {
  return GOOGLENET.layers.map(([name]) => name);
}

/**
 * `--precision auto`'s plan for `batchSize` and the threads now set, on the CPU named by
 * `key.cpuModel` with `key.libtorch`: cached, or probed and checked now (the harness and the step
 * sweep alike).
 */
export function autoStagePlan(key: StagePlanKey): Promise<StagePlan> {
  const { batchSize } = key;
  return stagePlanFor(key, {
    stages: stageNames(),
    probe: () => probeStages({ batchSize }),
    check: (candidates) => checkPlan(candidates, { batchSize }),
  });
}
