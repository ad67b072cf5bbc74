/** When a run stops early: interrupts and the --max-seconds deadline (pure, a fake clock). */
import assert from "node:assert/strict";
import { Stopper } from "../src/train/stop.ts";
import type { StopSignal } from "../src/ffi/mod.ts";

Deno.test("without a signal or a deadline a run never stops", () => {
  const stop = new Stopper({ elapsed: () => 1e9 });
  assert.equal(stop.atStep("epoch 1 step 0"), false);
  assert.equal(stop.beforeEpoch(2, 1e6), false);
  assert.equal(stop.reason, null);
});

Deno.test("an interrupt stops at the next step boundary and names the signal", () => {
  let pending: StopSignal | null = null;
  const stop = new Stopper({ signal: () => pending, maxSeconds: 100, elapsed: () => 0 });
  assert.equal(stop.atStep("epoch 1 step 3"), false);
  pending = "SIGTERM";
  assert.equal(stop.atStep("epoch 1 step 4"), true);
  assert.equal(stop.reason, "SIGTERM");
  assert.equal(stop.signal, "SIGTERM");
  pending = null;
  assert.equal(stop.atStep("epoch 1 step 5"), true, "a stop is final");
});

Deno.test("the deadline stops at the first step boundary after --max-seconds, saying where", () => {
  let now = 0;
  const stop = new Stopper({ maxSeconds: 300, elapsed: () => now });
  now = 299.9;
  assert.equal(stop.atStep("epoch 3 step 119"), false);
  now = 300;
  assert.equal(stop.atStep("epoch 3 step 120"), true);
  assert.equal(stop.reason, "deadline: --max-seconds 300 passed at epoch 3 step 120");
  assert.equal(stop.signal, null, "a deadline is not an interrupt");
});

Deno.test("an epoch that the last epoch's duration says will not fit is not started", () => {
  let now = 0;
  const stop = new Stopper({ maxSeconds: 100, elapsed: () => now });
  assert.equal(stop.beforeEpoch(1, null), false, "the first epoch has no duration to go by");
  now = 40;
  assert.equal(stop.beforeEpoch(2, 40), false, "40 s fit in the 60 s left");
  now = 60;
  assert.equal(stop.beforeEpoch(4, 62), true);
  assert.equal(stop.reason, "deadline: epoch 4 (≈62 s) would not fit in the 40 s left");
});

Deno.test("ranks agree on the deadline: the latest clock and the longest epoch decide for all", () => {
  // Two ranks' own clocks and last epochs; `agree` is the max over the ranks of the quantity asked.
  const clocks = [299, 301], epochs = [50, 70];
  const agree = (s: number) => Math.max(s, ...(clocks.includes(s) ? clocks : epochs));
  const ranks = () =>
    [0, 1].map((r) => new Stopper({ maxSeconds: 300, elapsed: () => clocks[r], agree }));
  const late = ranks();
  assert.deepEqual(late.map((s) => s.atStep("timed window step 7")), [true, true]);
  for (const s of late) {
    assert.equal(s.reason, "deadline: --max-seconds 300 passed at timed window step 7");
  }
  clocks.splice(0, 2, 200, 240); // 60 s left: rank 0's epoch (50 s) would fit, rank 1's not
  const early = ranks();
  assert.deepEqual(early.map((s, r) => s.beforeEpoch(3, epochs[r])), [true, true]);
  assert.match(early[0].reason!, /epoch 3 \(≈70 s\) would not fit in the 60 s left/);
});
