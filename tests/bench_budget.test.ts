import assert from "node:assert/strict";
import { join } from "node:path";
import { epochsThatFit, measuredStepMs } from "../src/bench/budget.ts";
import { runScript, type ScriptRun, windowResult } from "./_helpers.ts";

Deno.test("epochsThatFit() gives every wanted epoch when the estimate fits", () => {
  // 2 ms × 938 steps × 1.3 = 2.44 s an epoch; 20 s overhead + 10 epochs = 44.4 s.
  const plan = epochsThatFit({
    stepMs: [2],
    stepsPerEpoch: 938,
    wantedEpochs: 10,
    remainingSeconds: 100,
  });
  assert.equal(plan.epochs, 10);
  assert.ok(Math.abs(plan.secondsPerEpoch - 2.4388) < 1e-9, `found ${plan.secondsPerEpoch}`);
  assert.ok(Math.abs(plan.estimatedSeconds - 44.388) < 1e-9, `found ${plan.estimatedSeconds}`);
});

Deno.test("epochsThatFit() shrinks the run to the epochs that fit, counting each process's overhead", () => {
  // (10 + 8) ms × 938 × 1.3 = 21.95 s an epoch; 150 s − 2 × 20 s overhead leaves room for 5.
  const plan = epochsThatFit({
    stepMs: [10, 8],
    stepsPerEpoch: 938,
    wantedEpochs: 10,
    remainingSeconds: 150,
  });
  assert.equal(plan.epochs, 5);
  // The same epoch time in one process pays one overhead: at 140 s, 5 epochs instead of 4.
  const at140 = { stepsPerEpoch: 938, wantedEpochs: 10, remainingSeconds: 140 };
  assert.equal(epochsThatFit({ ...at140, stepMs: [10, 8] }).epochs, 4);
  assert.equal(epochsThatFit({ ...at140, stepMs: [18] }).epochs, 5);
  assert.equal(
    epochsThatFit({
      stepMs: [10, 8],
      stepsPerEpoch: 938,
      wantedEpochs: 10,
      remainingSeconds: 150,
      overheadSeconds: 0,
      margin: 1,
    }).epochs,
    8, // 150 / 16.884 = 8.9
  );
});

Deno.test("epochsThatFit() answers 0 when not even one epoch fits, also with no time left", () => {
  for (const remainingSeconds of [30, 0, -50]) {
    const plan = epochsThatFit({
      stepMs: [10],
      stepsPerEpoch: 938,
      wantedEpochs: 10,
      remainingSeconds,
    });
    assert.equal(plan.epochs, 0);
    assert.equal(plan.estimatedSeconds, 20);
  }
});

Deno.test("epochsThatFit() rejects step times, sizes and margins that make no estimate", () => {
  const ok = { stepMs: [10], stepsPerEpoch: 938, wantedEpochs: 10, remainingSeconds: 100 };
  const cases: [Partial<typeof ok> & { margin?: number; overheadSeconds?: number }, RegExp][] = [
    [{ stepMs: [] }, /expected at least one step time, found none/],
    [{ stepMs: [10, NaN] }, /expected each step time to be a positive number of ms, found NaN/],
    [{ stepMs: [0] }, /found 0/],
    [{ stepsPerEpoch: 9.5 }, /expected stepsPerEpoch to be a positive integer, found 9.5/],
    [{ wantedEpochs: 0 }, /expected wantedEpochs to be a positive integer, found 0/],
    [{ remainingSeconds: Infinity }, /expected remainingSeconds to be finite, found Infinity/],
    [{ margin: 0.5 }, /expected margin to be >= 1, found 0.5/],
    [{ overheadSeconds: -1 }, /expected overheadSeconds to be >= 0, found -1/],
  ];
  for (const [change, message] of cases) {
    assert.throws(() => epochsThatFit({ ...ok, ...change }), message);
  }
});

Deno.test("measuredStepMs() lists each complete run, then its baseline unless left out", async () => {
  const result = await windowResult(10, 8);
  assert.deepEqual(measuredStepMs(result), [10, 8]);
  assert.deepEqual(measuredStepMs(result, { withBaseline: false }), [10]);
  result.runs[0].baseline!.complete = false;
  assert.deepEqual(measuredStepMs(result), [10]);
  result.runs[0].complete = false;
  assert.deepEqual(measuredStepMs(result), []);
});

function cli(args: string[]): Promise<ScriptRun> {
  return runScript("scripts/epochs_that_fit.ts", args);
}

Deno.test("scripts/epochs_that_fit.ts prints the epochs that fit a window result's step times", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "window.json");
    await Deno.writeTextFile(path, JSON.stringify(await windowResult(10, 8)));
    const both = await cli([path, "--epochs", "10", "--remaining", "150"]);
    assert.equal(both.code, 0, both.stderr);
    assert.equal(both.stdout.trim(), "5");
    assert.match(both.stderr, /steps of 10\.00 ms \+ 8\.00 ms: 21\.9 s an epoch; 5 epochs/);
    const alone = await cli([path, "--epochs", "10", "--remaining", "150", "--no-baseline"]);
    assert.equal(alone.stdout.trim(), "10"); // 12.2 s an epoch: 20 + 122 s
    const none = await cli([path, "--epochs", "10", "--remaining", "30"]);
    assert.equal(none.stdout.trim(), "0");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scripts/epochs_that_fit.ts exits 2 with a reason for a missing file or a bad flag", async () => {
  const missing = await cli(["no/such/window.json", "--epochs", "10", "--remaining", "100"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no\/such\/window\.json/);
  assert.equal(missing.stdout, "");
  const bad = await cli([
    "tests/fixtures/window-result.json",
    "--epochs",
    "ten",
    "--remaining",
    "1",
  ]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /expected --epochs to be a number, found "ten"/);
  const noFile = await cli(["--epochs", "1", "--remaining", "1"]);
  assert.match(noFile.stderr, /expected one result file, found 0 arguments/);
});
