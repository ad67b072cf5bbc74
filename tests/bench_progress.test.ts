import assert from "node:assert/strict";
import { formatDuration, Progress } from "../src/train/progress.ts";
import type { ProgressOptions } from "../src/train/progress.ts";

/** A progress reporter writing to a string, with a clock the test moves. */
function harness(options: ProgressOptions = {}) {
  const decoder = new TextDecoder();
  const out = { text: "", ms: 0 };
  const progress = new Progress({
    writer: {
      writeSync(p: Uint8Array) {
        out.text += decoder.decode(p);
        return p.length;
      },
    },
    now: () => out.ms,
    ...options,
  });
  return { out, progress };
}

Deno.test("Progress prints plain lines at most every intervalSeconds off a terminal", () => {
  const { out, progress } = harness({ isTerminal: false, intervalSeconds: 10 });
  for (let step = 1; step <= 100; step++) {
    out.ms = step * 500; // 0.5 s per step
    progress.update({ step, steps: 100, loss: 0.5 });
  }
  progress.done();
  const lines = out.text.trimEnd().split("\n");
  // steps at 0.5 s, 10.5 s, 20.5 s, 30.5 s, 40.5 s, then the final step 100 at 50 s.
  assert.deepEqual(lines.map((l) => l.split(" ")[1]), [
    "1/100",
    "21/100",
    "41/100",
    "61/100",
    "81/100",
    "100/100",
  ]);
  assert.ok(!out.text.includes("\r"));
});

Deno.test("Progress formats every field it is given", () => {
  assert.equal(
    Progress.describe({
      label: "train",
      epoch: 2,
      epochs: 3,
      step: 469,
      steps: 938,
      imagesPerSecond: 5120.4,
      loss: 0.123456,
      etaSeconds: 65,
    }),
    "train epoch 2/3 step 469/938 (50%) · 5120 img/s · loss 0.1235 · ETA 1m05s",
  );
  assert.equal(Progress.describe({ step: 0, steps: 50 }), "step 0/50 (0%)");
  assert.equal(
    Progress.describe({ step: 1, steps: 2, loss: 451.27 }),
    "step 1/2 (50%) · loss 451.3",
  );
});

Deno.test("Progress redraws one line with \\r on a terminal, throttled to 10 Hz", () => {
  const { out, progress } = harness({ isTerminal: true, barWidth: 10 });
  for (let step = 1; step <= 10; step++) {
    out.ms = step * 30; // 30 ms per step: redraw every 4th step at most
    progress.update({ step, steps: 10 });
  }
  progress.done();
  const frames = out.text.split("\r").filter((f) => f !== "");
  assert.deepEqual(frames.map((f) => f.trimEnd()), [
    "[#---------] step 1/10 (10%)",
    "[#####-----] step 5/10 (50%)",
    "[#########-] step 9/10 (90%)",
    "[##########] step 10/10 (100%)",
  ]);
  assert.ok(out.text.endsWith("\n"));
  assert.equal(out.text.split("\n").length, 2, "expected a single line");
});

Deno.test("Progress pads a shorter redraw to erase the previous one", () => {
  const { out, progress } = harness({ isTerminal: true, barWidth: 4 });
  progress.update({ step: 1, steps: 2, loss: 123.456 });
  out.ms = 1000;
  progress.update({ step: 2, steps: 2 });
  const frames = out.text.split("\r").slice(1);
  assert.equal(frames[1].length, frames[0].length);
});

Deno.test("Progress.done() shows the last throttled state", () => {
  const { out, progress } = harness({ isTerminal: false });
  progress.update({ step: 1, steps: 100 });
  out.ms = 100;
  progress.update({ step: 7, steps: 100 });
  progress.done();
  assert.equal(out.text, "step 1/100 (1%)\nstep 7/100 (7%)\n");
});

Deno.test("Progress copes with a writer that takes a few bytes at a time", () => {
  let text = "";
  const progress = new Progress({
    isTerminal: false,
    writer: {
      writeSync(p: Uint8Array) {
        text += new TextDecoder().decode(p.subarray(0, 3));
        return Math.min(3, p.length);
      },
    },
  });
  progress.update({ step: 1, steps: 1 });
  assert.equal(text, "step 1/1 (100%)\n");
});

Deno.test("formatDuration() uses s, m and h", () => {
  assert.equal(formatDuration(5.4), "5s");
  assert.equal(formatDuration(65), "1m05s");
  assert.equal(formatDuration(3725), "1h02m");
  assert.equal(formatDuration(NaN), "?");
});
