// The noise verdict (src/stats/noise.ts): pure, no libtorch. The bounds are checked against
// runs kept in results/, quiet ones judged stable and loaded ones unstable.
import assert from "node:assert/strict";
import {
  LOAD_PER_CORE_MAX,
  noiseVerdict,
  ROUND_SPREAD_REL_MAX,
  STEP_IQR_REL_MAX,
} from "../src/stats/mod.ts";
import { parseBenchResult, type Run } from "../src/result/mod.ts";

function firstRun(file: string): Run {
  const url = new URL(`../results/${file}`, import.meta.url);
  return parseBenchResult(JSON.parse(Deno.readTextFileSync(url))).runs[0];
}

Deno.test("noiseVerdict() calls steps with a tight spread and no other evidence stable", () => {
  const v = noiseVerdict({ stepMs: [70, 71, 72, 73, 74] });
  assert.equal(v.stable, true);
  assert.deepEqual(v.reasons, []);
  assert.equal(v.stepIqrRel, 2 / 72);
  assert.equal(v.roundSpreadRel, null);
  assert.equal(v.loadBefore, null);
  assert.equal(v.loadAfter, null);
});

Deno.test("noiseVerdict() calls step times whose IQR exceeds the bound unstable, saying so", () => {
  const v = noiseVerdict({ stepMs: [60, 70, 100, 130, 140] });
  assert.equal(v.stable, false);
  assert.ok(v.stepIqrRel > STEP_IQR_REL_MAX);
  assert.deepEqual(v.reasons, [
    "step times spread: IQR 60% of the median, expected at most 20%",
  ]);
});

Deno.test("noiseVerdict() calls paired rounds that disagree unstable", () => {
  const v = noiseVerdict({ stepMs: [70, 70], pairedRatios: [0.5, 0.75, 1, 1.25, 1.5] });
  assert.equal(v.roundSpreadRel, 0.5);
  assert.ok(v.roundSpreadRel! > ROUND_SPREAD_REL_MAX);
  assert.equal(v.stable, false);
  assert.match(v.reasons[0], /^paired rounds disagree: their ratios' IQR 50% of the median/);
});

Deno.test("noiseVerdict() leaves one paired round's spread unknown", () => {
  assert.equal(noiseVerdict({ stepMs: [70], pairedRatios: [0.9] }).roundSpreadRel, null);
});

Deno.test("noiseVerdict() calls a uniformly slow 5-step run on a busy host unstable", () => {
  // The 2,209.75 ms median of issue 29: five equally slow steps, so only the load can tell.
  const v = noiseVerdict({
    stepMs: [2201.5, 2205.0, 2209.75, 2215.25, 2230.0],
    loadavg: { before: 5.2, after: 6.1, cores: 2 },
  });
  assert.ok(v.stepIqrRel < STEP_IQR_REL_MAX);
  assert.equal(v.stable, false);
  assert.deepEqual(v.reasons, [
    "host busy: 1-min load 5.20 before the timed work on 2 cores, expected at most 3.00",
    "host busy: 1-min load 6.10 after the timed work on 2 cores, expected at most 3.00",
  ]);
  assert.equal(v.loadBefore, 5.2);
  assert.equal(v.loadAfter, 6.1);
});

Deno.test("noiseVerdict() counts a load up to the cores as the run's own", () => {
  const load = { before: 0.4, after: 2 * LOAD_PER_CORE_MAX, cores: 2 };
  assert.equal(noiseVerdict({ stepMs: [70, 71, 72], loadavg: load }).stable, true);
});

Deno.test("noiseVerdict() rejects no step times and a core count that is not positive", () => {
  assert.throws(() => noiseVerdict({ stepMs: [] }), {
    message: "noiseVerdict: expected at least one step time, found none",
  });
  assert.throws(
    () => noiseVerdict({ stepMs: [1], loadavg: { before: 0, after: 0, cores: 0 } }),
    { message: "noiseVerdict: expected a positive core count, found 0" },
  );
});

Deno.test("noiseVerdict() calls quiet results stable: 10 paired rounds and a 10-epoch run", () => {
  const paired = firstRun("2026-11-29-vm-cpu-6.json");
  for (const baseline of [paired.baseline!, ...(paired.moreBaselines ?? [])]) {
    const v = noiseVerdict({
      stepMs: paired.stepMs.samples,
      pairedRatios: baseline.paired!.ratios,
    });
    assert.equal(v.stable, true, v.reasons.join("; "));
  }
  const epochs = firstRun("2026-11-27-vm-cpu.json");
  assert.equal(noiseVerdict({ stepMs: epochs.stepMs.samples }).stable, true);
});

Deno.test("noiseVerdict() calls the 290.88 ms run made beside other work unstable", () => {
  const loaded = firstRun("2026-11-29-vm-cpu-2.json");
  assert.equal(Math.round(loaded.stepMs.median * 100) / 100, 290.88);
  const v = noiseVerdict({ stepMs: loaded.stepMs.samples });
  assert.equal(v.stable, false);
  assert.match(v.reasons[0], /^step times spread: IQR 23% of the median/);
});

Deno.test("noiseVerdict() calls 30 paired rounds that spread on a busy host unstable", () => {
  // results/2026-11-30-vm-cpu-3: steps within the bound, the second baseline's rounds not.
  const run = firstRun("2026-11-30-vm-cpu-3.json");
  const ratios = run.moreBaselines![0].paired!.ratios;
  assert.equal(ratios.length, 30);
  const v = noiseVerdict({ stepMs: run.stepMs.samples, pairedRatios: ratios });
  assert.ok(v.stepIqrRel <= STEP_IQR_REL_MAX);
  assert.equal(v.stable, false);
  assert.match(v.reasons.join("; "), /^paired rounds disagree: their ratios' IQR 13%/);
});
