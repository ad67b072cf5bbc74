// PyTorch's recipes as paired baselines end to end (main.ts, paired.ts, recipes.ts, verdicts.ts):
// one run beside PyTorch's fp32, bf16 autocast+CL and pure bf16+CL workers on a tiny IDX set;
// needs libtorch and python3-torch.
import assert from "node:assert/strict";
import { baselineNameOf } from "../src/result/recipes.ts";
import { hasPythonTorch } from "./_helpers.ts";
import { benchOnTinyData as bench } from "./_bench_run.ts";

const HAS_TORCH = hasPythonTorch();

/** A paired window of 2 rounds of 1 step per side, batches of 8. */
const WINDOW = ["--steps", "2", "--window-steps", "1", "--warmup", "0", "--batch-size", "8"];

Deno.test({
  name: "one run pairs ours with each PyTorch recipe, names each, and states the verdicts",
  ignore: !HAS_TORCH,
  async fn() {
    const args = [...WINDOW, "--baseline", "pytorch,pytorch-bf16,pytorch-bf16-pure"];
    const stderr = await bench(args, ({ result, markdown, stdout }) => {
      const run = result.runs[0];
      // The terminal gets the summary and a verdict line per baseline, last; the report its file.
      const lines = stdout.trimEnd().split("\n");
      assert.ok(!stdout.includes("| Run |"), `expected no markdown on the terminal:\n${stdout}`);
      assert.match(lines[0], /^deno\+libtorch \S+ cpu fp32: median step [\d.]+ ms/);
      assert.deepEqual(
        lines.slice(-3).map((l) => /^deno\+libtorch(?: ran|: no significant)/.test(l)),
        [true, true, true],
      );
      assert.match(lines.at(-1)!, /PyTorch eager pure bf16\+CL .*\(cpu, fp32, 2 paired rounds\)$/);
      assert.ok(markdown.includes("| Run |"), "expected the report in its file");
      const baselines = [run.baseline!, ...(run.moreBaselines ?? [])];
      assert.deepEqual(baselines.map(baselineNameOf), [
        "pytorch",
        "pytorch-bf16",
        "pytorch-bf16-pure",
      ]);
      assert.deepEqual(baselines.map((b) => b.precision), ["fp32", "bf16", "bf16-pure"]);
      for (const b of baselines) {
        assert.deepEqual([b.paired?.rounds, b.paired?.windowSteps, b.stepMs.count], [2, 1, 2]);
        assert.ok(b.paired!.ratioCI95[0] <= b.paired!.ratioMedian);
      }
      assert.equal(run.baseline!.stepLosses!.length, 2);
      assert.match(markdown, /deno\+libtorch\/PyTorch bf16 autocast\+CL ratio [\d.]+ \[/);
      assert.match(markdown, /deno\+libtorch\/PyTorch pure bf16\+CL \(bf16 params\) ratio /);
      assert.match(markdown, /- CPU criterion on cpu \(issue 19\), paired in the same run:/);
      assert.match(
        markdown,
        /at most 0\.5× PyTorch's fp32 step: \*\*(met|not met|met by the median only)\*\*/,
      );
      assert.deepEqual(result.notes, []);
    });
    assert.match(
      stderr,
      /paired round 2\/2: ours [\d.]+ ms, pytorch [\d.]+ ms \(ratio [\d.]+\), pytorch-bf16 [\d.]+ ms/,
    );
  },
});

Deno.test({
  name: "a PyTorch worker whose ready line does not name the asked recipe is skipped, saying so",
  ignore: !HAS_TORCH,
  async fn() {
    // A worker of an older script: ready, but silent about its recipe.
    const oldPython = async (dir: string) => {
      const fake = `${dir}/old-python`;
      await Deno.writeTextFile(
        fake,
        '#!/bin/sh\necho \'{"ready":true,"implementation":"pytorch","version":"1.13.1",' +
          '"deviceName":"x","threads":1}\'\nread line\n',
      );
      await Deno.chmod(fake, 0o755);
      return { TORCH_PYTHON: fake };
    };
    await bench([...WINDOW, "--baseline", "pytorch-bf16"], ({ result }) => {
      assert.equal(result.runs[0].baseline, null);
      assert.deepEqual(result.notes, [
        "pytorch-bf16 baseline skipped: pytorch-bf16 worker: expected recipe bf16-autocast-cl " +
        "in its ready line, found none",
      ]);
    }, oldPython);
  },
});

Deno.test({
  name: "without a timed window the worker-only baselines sit out, saying why",
  ignore: !HAS_TORCH,
  async fn() {
    const args = ["--epochs", "1", "--warmup", "0", "--batch-size", "20"];
    await bench([...args, "--baseline", "pytorch-bf16-pure"], ({ result }) => {
      assert.equal(result.runs[0].baseline, null);
      assert.deepEqual(result.notes, [
        "pytorch-bf16-pure baseline skipped: it runs only paired with a timed window (give --steps)",
      ]);
    });
  },
});
