// Per-step losses beside the baseline's: the pure comparison (lossAgreement), and an end-to-end
// `--baseline pytorch` run on a tiny data set whose recorded window and epoch losses agree with
// PyTorch's step for step.
import "./_shim.ts";
import assert from "node:assert/strict";
import { LOSS_PARTING, lossAgreement } from "../src/report/agreement.ts";
import { parseBenchResult } from "../src/result/schema.ts";
import type { Run } from "../src/result/schema.ts";
import { BENCH_MAIN, hasPythonTorch, withTinyData } from "./_helpers.ts";

/** A run with just the fields lossAgreement reads. */
function fakeRun(window: number[] | undefined, epochs: number[][], baseline: Run | null): Run {
  return {
    stepLosses: window,
    epochs: epochs.map((stepLosses, i) => ({
      epoch: i + 1,
      loss: 0,
      seconds: 1,
      testAccuracy: null,
      evalSeconds: null,
      stepLosses,
    })),
    baseline,
  } as unknown as Run;
}

Deno.test("lossAgreement() gives the largest per-step difference of the window and each epoch", () => {
  const base = fakeRun([1, 2, 3], [[4, 5], [6, 7]], null);
  const a = lossAgreement(fakeRun([1, 2.0000005, 3], [[4, 5], [6.0002, 7]], base));
  assert.ok(a !== null);
  assert.equal(a.window?.steps, 3);
  assert.ok(Math.abs(a.window!.maxAbsDiff - 5e-7) < 1e-12, String(a.window!.maxAbsDiff));
  assert.deepEqual(a.epochs.map((e) => [e.epoch, e.steps]), [[1, 2], [2, 2]]);
  assert.equal(a.epochs[0].maxAbsDiff, 0);
  assert.ok(Math.abs(a.epochs[1].maxAbsDiff - 2e-4) < 1e-12);
  assert.equal(a.firstParting, null, "no step parts by more than LOSS_PARTING");
});

Deno.test("lossAgreement() names the first step that parts by more than 1e-3, NaN included", () => {
  assert.equal(LOSS_PARTING, 1e-3);
  const base = fakeRun(undefined, [[1, 1, 1], [1, 1, 1]], null);
  const a = lossAgreement(fakeRun(undefined, [[1, 1, 1], [1, 1.01, NaN]], base));
  assert.deepEqual(a?.firstParting, { stage: 2, step: 2, ours: 1.01, baseline: 1 });
  assert.equal(a?.epochs[1].maxAbsDiff, Infinity, "a NaN loss is infinitely apart");
});

Deno.test("lossAgreement() is null without a baseline or without per-step losses", () => {
  assert.equal(lossAgreement(fakeRun([1], [], null)), null);
  const old = fakeRun(undefined, [], null);
  assert.equal(lossAgreement(fakeRun(undefined, [], old)), null);
});

Deno.test({
  name: "a --baseline pytorch run records per-step losses that agree with PyTorch's within 1e-5",
  ignore: !hasPythonTorch(),
  async fn() {
    await withTinyData("agreement-", { train: 320, test: 100 }, async (dir, data) => {
      const args = [
        ...["run", "-A", BENCH_MAIN, "--device", "cpu", "--threads", "1", "--data", data],
        ...["--steps", "6", "--warmup", "2", "--epochs", "2", "--batch-size", "32"],
        ...["--baseline", "pytorch", "--out", `${dir}/out`, "--json", `${dir}/r.json`],
      ];
      const out = await new Deno.Command(Deno.execPath(), { args, stdout: "null" }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const result = parseBenchResult(JSON.parse(await Deno.readTextFile(`${dir}/r.json`)));
      const run = result.runs[0];
      assert.equal(run.stepLosses?.length, 8, "warm-up and timed steps");
      assert.deepEqual(run.epochs.map((e) => e.stepLosses?.length), [10, 10]);
      const a = lossAgreement(run);
      assert.ok(a !== null && a.window !== null);
      assert.equal(a.window.steps, 8);
      assert.deepEqual(a.epochs.map((e) => e.steps), [10, 10]);
      const worst = Math.max(a.window.maxAbsDiff, ...a.epochs.map((e) => e.maxAbsDiff));
      assert.ok(worst <= 1e-5, `largest per-step loss difference ${worst}`);
      assert.equal(a.firstParting, null);
      const [mdFile] = [...Deno.readDirSync(`${dir}/out`)].filter((f) => f.name.endsWith(".md"));
      const md = await Deno.readTextFile(`${dir}/out/${mdFile.name}`);
      assert.match(md, /### Loss agreement with the baseline/);
      assert.match(md, /no step parts by more than 0\.001/);
    });
  },
});
