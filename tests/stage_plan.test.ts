/**
 * `--precision auto`'s choice from a probe's figures (src/train/stage_plan.ts) and its cache
 * (src/bench/entry/stage_cache.ts), with the probe's answer forced: a CPU with native bf16 (auto takes
 * bf16 where it is faster, casts counted) and one without (auto stays in fp32, channels-last
 * where faster). Pure: no libtorch.
 */
import assert from "node:assert/strict";
import { choosePlan, MIN_PREDICTED_GAIN, predictedMs } from "../src/train/stage_plan.ts";
import { describePlan, stagePlanFor } from "../src/bench/entry/stage_cache.ts";
import type { StageTimings } from "../src/result/schema.ts";

const CANDIDATES = ["fp32", "fp32-cl", "bf16-cl"] as const;
const STAGES = ["conv1", "maxpool1", "conv2", "conv3", "inception4a", "fc"];

/** Timings with each stage's [fp32, fp32-cl, bf16-cl] ms and one cast cost between any two. */
function timings(stageMs: (number | null)[][], cast = 0.5): StageTimings {
  return {
    candidates: [...CANDIDATES],
    stages: STAGES.slice(0, stageMs.length),
    stageMs,
    castMs: stageMs.map(() =>
      CANDIDATES.map((_, a) => CANDIDATES.map((_, b) => a === b ? 0 : cast))
    ),
    reps: 3,
  };
}

// A Zen 4-like CPU (avx512_bf16): bf16 wins the early, wide stages, loses the late ones.
const NATIVE_BF16 = [[10, 9, 6], [2, 2, 1.5], [8, 7, 5], [12, 11, 7], [6, 5.5, 9], [1, 1, 1.2]];
// An AVX2-only CPU (bf16 emulated): bf16 several times slower everywhere, channels-last a bit faster.
const NO_BF16 = [[10, 9, 60], [2, 2, 12], [8, 7, 50], [12, 11, 70], [6, 5.5, 40], [1, 1, 6]];

Deno.test("auto on a CPU with native bf16 takes bf16 where it is faster, fp32 where it is not", () => {
  const plan = choosePlan(timings(NATIVE_BF16));
  assert.deepEqual(plan.candidates, [
    "bf16-cl",
    "bf16-cl",
    "bf16-cl",
    "bf16-cl",
    "fp32-cl",
    "fp32-cl",
  ]);
  assert.ok(plan.predictedMs < plan.fp32PredictedMs);
});

Deno.test("auto on a CPU without bf16 instructions never picks bf16: fp32, channels-last where faster", () => {
  const plan = choosePlan(timings(NO_BF16));
  assert.ok(!plan.candidates.includes("bf16-cl"), plan.candidates.join());
  assert.deepEqual(plan.candidates, [
    "fp32-cl",
    "fp32-cl",
    "fp32-cl",
    "fp32-cl",
    "fp32-cl",
    "fp32-cl",
  ]);
});

Deno.test("auto counts the casts: a stage's small gain does not pay for casting in and out", () => {
  // Stage 2 alone is faster in bf16 by 1 ms, but casting there and back costs 2 × 0.8 ms.
  const t = timings([[5, 6, 9], [5, 6, 9], [5, 6, 4], [5, 6, 9]], 0.8);
  assert.deepEqual(choosePlan(t).candidates, ["fp32", "fp32", "fp32", "fp32"]);
  const cheap = timings([[5, 6, 9], [5, 6, 9], [5, 6, 2], [5, 6, 9]], 0.1);
  assert.deepEqual(choosePlan(cheap).candidates, ["fp32", "fp32", "bf16-cl", "fp32"]);
  assert.ok(Math.abs(predictedMs(cheap, [0, 0, 2, 0]) - (5 + 5 + 0.1 + 2 + 0.1 + 5)) < 1e-9);
});

Deno.test("auto keeps fp32 when the best plan is predicted less than the minimum gain faster", () => {
  const gain = MIN_PREDICTED_GAIN / 2;
  const t = timings([[10, 10 * (1 - gain), 30], [10, 10 * (1 - gain), 30]], 0);
  assert.deepEqual(choosePlan(t).candidates, ["fp32", "fp32"]);
  const plan = choosePlan(timings([[10, 9, null], [10, 9, null]], 0));
  assert.deepEqual(
    plan.candidates,
    ["fp32-cl", "fp32-cl"],
    "a candidate that cannot run is skipped",
  );
});

Deno.test("choosePlan refuses timings that do not fit their stages and candidates", () => {
  const t = timings(NO_BF16);
  assert.throws(() => choosePlan({ ...t, stageMs: t.stageMs.slice(1) }), /expected 6 stages × 3/);
  assert.throws(
    () => choosePlan({ ...t, candidates: ["bf16-cl", "fp32", "fp32-cl"] }),
    /fp32 as the first candidate/,
  );
});

const KEY = { cpuModel: "Test CPU", libtorch: "1.13.1", batchSize: 64, threads: 2 };

Deno.test("the plan is probed once, cached per CPU, libtorch, batch and threads, then read back", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/sub/stage-plans.json`;
  let probes = 0;
  const probe = () => (probes++, timings(NO_BF16));
  try {
    const first = await stagePlanFor(KEY, { stages: STAGES, probe, path });
    assert.equal(first.source, "probe");
    assert.equal(probes, 1);
    const again = await stagePlanFor(KEY, { stages: STAGES, probe, path });
    assert.equal(probes, 1, "the second run does not probe");
    assert.equal(again.source, "cache");
    assert.equal(again.probeSeconds, 0);
    assert.deepEqual(again.stages, first.stages);
    await stagePlanFor({ ...KEY, threads: 1 }, { stages: STAGES, probe, path });
    await stagePlanFor(KEY, { stages: [...STAGES, "extra"], probe, path });
    assert.equal(probes, 3, "another thread count, or other stages, probe again");
    assert.match(describePlan(again), /conv1\.\.fc fp32-cl; from the cache/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a damaged or oversized plan cache costs a probe, and is written anew", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/stage-plans.json`;
  let probes = 0;
  const probe = () => (probes++, timings(NATIVE_BF16));
  try {
    for (
      const junk of ["{not json", JSON.stringify({ plans: [{ key: 1 }] }), " ".repeat(5 << 20)]
    ) {
      await Deno.writeTextFile(path, junk);
      const plan = await stagePlanFor(KEY, { stages: STAGES, probe, path });
      assert.equal(plan.source, "probe");
      await Deno.writeTextFile(path, junk);
    }
    assert.equal(probes, 3);
    await Deno.remove(path);
    await stagePlanFor(KEY, { stages: STAGES, probe, path });
    assert.equal((await stagePlanFor(KEY, { stages: STAGES, probe, path })).source, "cache");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("choosePlan refuses timings without an fp32 time for every stage (fp32 is the fallback)", () => {
  const t = timings([[10, 9, 6], [null, 2, 1]]);
  assert.throws(
    () => choosePlan(t),
    /expected an fp32 time for every stage, found none for maxpool1/,
  );
});

Deno.test("a probed plan is checked end to end: taken when its steps beat fp32's, else fp32", async () => {
  const probe = () => timings(NATIVE_BF16);
  const seen: string[][] = [];
  const verdict = (accepted: boolean) => (candidates: string[]) => (
    seen.push(candidates), { ratios: [0.9], ratio: accepted ? 0.9 : 1.05, accepted }
  );
  const taken = await stagePlanFor(KEY, {
    stages: STAGES,
    probe,
    path: null,
    check: verdict(true),
  });
  assert.ok(taken.stages.some((s) => s.candidate === "bf16-cl"));
  assert.equal(taken.check?.accepted, true);
  const refused = await stagePlanFor(KEY, {
    stages: STAGES,
    probe,
    path: null,
    check: verdict(false),
  });
  assert.ok(refused.stages.every((s) => s.candidate === "fp32"), "fp32 throughout");
  assert.equal(refused.predictedMs, refused.fp32PredictedMs);
  assert.deepEqual(refused.check?.candidates, taken.stages.map((s) => s.candidate));
  assert.match(describePlan(refused), /not taken \(fp32 instead\), its step 1\.050× fp32's/);
  const fp32Only = timings(NATIVE_BF16.map(([f]) => [f, f * 2, f * 3]));
  const plain = await stagePlanFor(KEY, {
    stages: STAGES,
    probe: () => fp32Only,
    path: null,
    check: verdict(true),
  });
  assert.equal(plain.check, undefined, "fp32 throughout needs no check");
  assert.equal(seen.length, 2);
});

Deno.test("a cached plan is used as it was checked, with no new probe or check", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/stage-plans.json`;
  let checks = 0;
  const check = () => (checks++, { ratios: [1.1], ratio: 1.1, accepted: false });
  try {
    const probe = () => timings(NATIVE_BF16);
    const first = await stagePlanFor(KEY, { stages: STAGES, probe, path, check });
    const again = await stagePlanFor(KEY, { stages: STAGES, probe, path, check });
    assert.equal(checks, 1);
    assert.deepEqual(again.stages, first.stages);
    assert.deepEqual(again.check, first.check);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
