// The paired window end to end (src/bench/baselines/paired.ts through main.ts): ours in-process and the
// PyTorch worker in ABBA rounds on a tiny IDX set; needs libtorch and python3-torch.
import assert from "node:assert/strict";
import { lossAgreement } from "../src/report/agreement.ts";
import { parseBenchArgs } from "../src/bench/entry/cli.ts";
import { pairedShape } from "../src/bench/measure/paired_shape.ts";
import { parseBenchResult } from "../src/result/schema.ts";
import { BENCH_MAIN, hasPythonTorch, withTinyData } from "./_helpers.ts";

Deno.test("--steps N maps to rounds of --window-steps, no window longer than N", () => {
  const shape = (args: string[]) => pairedShape(parseBenchArgs(args, { cores: 2 }));
  assert.deepEqual(shape(["--steps", "100"]), { warmup: 5, rounds: 10, windowSteps: 10 });
  assert.deepEqual(shape(["--steps", "25", "--window-steps", "10"]), {
    warmup: 5,
    rounds: 3,
    windowSteps: 10,
  });
  assert.deepEqual(shape(["--steps", "6"]), { warmup: 5, rounds: 1, windowSteps: 6 });
  assert.deepEqual(shape(["--steps", "6", "--rounds", "4", "--window-steps", "3"]), {
    warmup: 5,
    rounds: 4,
    windowSteps: 3,
  });
  assert.equal(shape(["--epochs", "1"]), null);
});

Deno.test({
  name: "a paired window records each round's ratio, equal losses, and skips a missing worker",
  ignore: !hasPythonTorch(),
  async fn() {
    await withTinyData("paired-", { train: 100, test: 20 }, async (dir, data) => {
      const args = [
        ...["run", "-A", BENCH_MAIN, "--device", "cpu", "--threads", "1", "--data", data],
        ...["--steps", "4", "--window-steps", "2", "--warmup", "0", "--batch-size", "32"],
        ...["--baseline", "pytorch,libtorch", "--out", `${dir}/out`, "--json", `${dir}/r.json`],
      ];
      const env = { GOOGLENET_WORKER: `${dir}/no-such-worker` };
      const out = await new Deno.Command(Deno.execPath(), { args, env, stdout: "null" }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.ok(out.success, stderr);
      assert.match(stderr, /paired round 2\/2: ours [\d.]+ ms, pytorch [\d.]+ ms \(ratio [\d.]+\)/);
      const result = parseBenchResult(JSON.parse(await Deno.readTextFile(`${dir}/r.json`)));
      assert.deepEqual(result.config.baseline, ["pytorch", "libtorch"]);
      const run = result.runs[0];
      const base = run.baseline!;
      assert.equal(base.implementation, "pytorch");
      assert.equal(run.moreBaselines, undefined);
      assert.equal(run.stepMs.count, 4);
      assert.equal(base.stepMs.count, 4);
      const p = base.paired!;
      assert.deepEqual([p.rounds, p.windowSteps, p.ratios.length], [2, 2, 2]);
      assert.ok(p.ratioCI95[0] <= p.ratioMedian && p.ratioMedian <= p.ratioCI95[1]);
      const a = lossAgreement(run)!;
      assert.equal(a.window!.steps, 4, "four timed steps (--warmup 0)");
      assert.ok(a.window!.maxAbsDiff <= 1e-5, `largest difference ${a.window!.maxAbsDiff}`);
      assert.deepEqual(result.notes, [
        `libtorch baseline skipped: ${dir}/no-such-worker not found (native/'s second ` +
        "target; build it with deno task setup)",
      ]);
    });
  },
});
