/**
 * Where our step's time goes (src/bench/measure/breakdown.ts): the shim-call counter counts exactly the
 * calls made inside it, the phases and host time add up to the step, the calls per step equal a
 * step's count, nothing leaks; `--profile` writes libtorch's chrome://tracing trace; the report
 * renders a breakdown and the schema keeps reading results without one.
 */
import "./_shim.ts";
import assert from "node:assert/strict";
import * as t from "../src/ffi/mod.ts";
import {
  BREAKDOWN_WARMUP,
  measureBreakdown,
  measureCallNs,
  profileWindow,
} from "../src/bench/measure/breakdown.ts";
import { batchRanges } from "../src/data/mod.ts";
import { StepFeed } from "../src/train/steps.ts";
import { parseBenchArgs } from "../src/bench/entry/cli.ts";
import { planRun, type RunPlan } from "../src/train/plan.ts";
import { breakdownLines } from "../src/report/report.ts";
import type { Breakdown } from "../src/result/schema.ts";
import { type DeviceData, disposeDeviceData, Trainer, uploadDataset } from "../src/train/train.ts";
import { syntheticDataset } from "./_helpers.ts";

/** A CPU plan for batches of 8 with the given flags, and a tiny data set on the CPU. */
function tinyRun(flags: string[] = []) {
  const config = parseBenchArgs(["--device", "cpu", "--steps", "2", "--batch-size", "8", ...flags]);
  const plan = planRun(config, "cpu", { libtorch: "test", deviceName: "cpu", flopsPerImage: 1 });
  return { plan, data: uploadDataset(syntheticDataset(32, 8), "cpu") };
}

Deno.test("countFfiCalls counts the shim calls made inside it, and only those", () => {
  using x = t.scalar(2);
  assert.equal(t.countFfiCalls(() => x.numel).calls, 1);
  const { result, calls } = t.countFfiCalls(() => t.scope(() => t.item(t.add(x, x))));
  assert.equal(result, 4);
  assert.ok(calls >= 3, `add, item, free: expected at least 3 calls, found ${calls}`);
  assert.equal(t.countFfiCalls(() => 0).calls, 0);
  assert.throws(
    () => t.countFfiCalls(() => t.countFfiCalls(() => 0)),
    /expected no count running, found one/,
  );
  assert.equal(t.countFfiCalls(() => x.numel).calls, 1, "a failed nesting leaves no count behind");
});

/** Shim calls of one plain step of a fresh trainer after `warmup` steps. */
function callsOfOneStep(plan: RunPlan, data: DeviceData, warmup: number): number {
  const trainer = new Trainer(data, plan.trainer);
  const feed = new StepFeed(trainer, 0, batchRanges(data.trainCount, 8));
  try {
    for (let i = 0; i < warmup; i++) trainer.step(...feed.next());
    return t.countFfiCalls(() => trainer.step(...feed.next())).calls;
  } finally {
    feed.dispose();
    trainer.dispose();
  }
}

Deno.test("the step breakdown's phases and host time add up to the step, without leaks", () => {
  const { plan, data } = tinyRun();
  try {
    const live = t.liveTensors();
    const b = measureBreakdown(plan, data, 3);
    assert.equal(t.liveTensors(), live, "live tensors after the breakdown");
    assert.equal(b.steps, 3);
    const { gather, forward, backward, optimizer, host } = b.phasesMs;
    for (const ms of [gather, forward, backward, optimizer]) assert.ok(ms > 0, `${ms} ms`);
    assert.ok(Math.abs(gather + forward + backward + optimizer + host - b.stepMs) < 1e-6);
    assert.ok(forward + backward > gather, "the model's passes outweigh the gather");
    assert.equal(b.ffi.callsPerStep, callsOfOneStep(plan, data, BREAKDOWN_WARMUP));
    assert.ok(b.ffi.callsPerStep > 100, `GoogLeNet's step: ${b.ffi.callsPerStep} calls`);
    assert.ok(b.ffi.callNs > 0 && b.ffi.callNs < 1e6, `${b.ffi.callNs} ns per call`);
    assert.ok(Math.abs(b.ffi.msPerStep - (b.ffi.callsPerStep * b.ffi.callNs) / 1e6) < 1e-9);
    assert.throws(
      () => measureBreakdown(plan, data, 0),
      /expected an integer number of steps >= 1, found 0/,
    );
  } finally {
    disposeDeviceData(data);
  }
});

Deno.test("one shim call's measured cost is positive and below a millisecond", () => {
  const ns = measureCallNs();
  assert.ok(ns > 0 && ns < 1e6, `${ns} ns`);
});

Deno.test("--profile writes libtorch's chrome://tracing trace of a window's ops", () => {
  const { plan, data } = tinyRun();
  const path = Deno.makeTempFileSync({ prefix: "profile-", suffix: ".json" });
  try {
    const live = t.liveTensors();
    profileWindow(plan, data, { steps: 1, path });
    assert.equal(t.liveTensors(), live);
    const trace = JSON.parse(Deno.readTextFileSync(path));
    const events: { name: string; ph: string }[] = Array.isArray(trace) ? trace : trace.traceEvents;
    const names = new Set(events.map((e) => e.name));
    for (const op of ["aten::conv2d", "aten::max_pool2d", "aten::index_select"]) {
      assert.ok(names.has(op), `expected ${op} in the trace, found ${[...names].slice(0, 20)}`);
    }
    assert.throws(
      () => profileWindow(plan, data, { steps: 1, path: "/nonexistent-dir/trace.json" }),
      /cannot open \/nonexistent-dir\/trace.json for writing/,
    );
    assert.equal(t.liveTensors(), live, "nothing left behind by the failed profile");
  } finally {
    Deno.removeSync(path);
    disposeDeviceData(data);
  }
});

const SAMPLE: Breakdown = {
  steps: 10,
  stepMs: 100,
  phasesMs: { gather: 1, forward: 30, backward: 50, optimizer: 15, host: 4 },
  ffi: { callsPerStep: 500, callNs: 200, msPerStep: 0.1 },
};

Deno.test("the report shows each phase's ms and share, and the FFI calls × their cost", () => {
  const text = breakdownLines(SAMPLE).join("\n");
  assert.match(text, /\| backward \| 50\.00 \| 50\.0% \|/);
  assert.match(text, /\| host \| 4\.00 \| 4\.0% \|/);
  assert.match(
    text,
    /500 shim calls per step × 200 ns per call = 0\.100 ms per step \(0\.1% of the step\)/,
  );
  assert.match(text, /10 steps after the timed window/);
});

Deno.test("--breakdown-steps defaults to 10, 0 turns it off; --profile takes a file", () => {
  assert.equal(parseBenchArgs(["--steps", "5"]).breakdownSteps, 10);
  assert.equal(parseBenchArgs(["--breakdown-steps", "0"]).breakdownSteps, 0);
  assert.equal(parseBenchArgs([]).profile, null);
  assert.equal(parseBenchArgs(["--profile", "t.json"]).profile, "t.json");
  assert.throws(() => parseBenchArgs(["--breakdown-steps", "-1"]), /--breakdown-steps/);
});
