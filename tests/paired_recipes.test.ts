// PyTorch's recipes as paired baselines end to end (main.ts, paired.ts, recipes.ts, verdicts.ts):
// one run beside PyTorch's fp32, bf16 autocast+CL and pure bf16+CL workers on a tiny IDX set;
// needs libtorch and python3-torch.
import assert from "node:assert/strict";
import { baselineNameOf } from "../src/bench/recipes.ts";
import { parseBenchResult } from "../src/bench/schema.ts";
import { BENCH_MAIN, hasPythonTorch, writeTinyDataset } from "./_helpers.ts";

const HAS_TORCH = hasPythonTorch();

/** Runs the harness on tiny data with `args` after the common ones; its result and markdown. */
async function bench(dir: string, args: string[], env: Record<string, string> = {}) {
  await writeTinyDataset(`${dir}/data`, { train: 40, test: 10 });
  const common = [
    ...["run", "-A", BENCH_MAIN, "--device", "cpu", "--threads", "1", "--data", `${dir}/data`],
    ...["--steps", "2", "--window-steps", "1", "--warmup", "0", "--batch-size", "8"],
    ...[
      "--breakdown-steps",
      "0",
      "--no-progress",
      "--out",
      `${dir}/out`,
      "--json",
      `${dir}/r.json`,
    ],
  ];
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...common, ...args],
    env,
    stdout: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, stderr);
  const result = parseBenchResult(JSON.parse(await Deno.readTextFile(`${dir}/r.json`)));
  return { result, markdown: new TextDecoder().decode(out.stdout), stderr };
}

Deno.test({
  name: "one run pairs ours with each PyTorch recipe, names each, and states the verdicts",
  ignore: !HAS_TORCH,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "paired-recipes-" });
    try {
      const { result, markdown, stderr } = await bench(dir, [
        ...["--baseline", "pytorch,pytorch-bf16,pytorch-bf16-pure"],
      ]);
      assert.match(
        stderr,
        /paired round 2\/2: ours [\d.]+ ms, pytorch [\d.]+ ms \(ratio [\d.]+\), pytorch-bf16 [\d.]+ ms/,
      );
      const run = result.runs[0];
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
      assert.deepEqual(run.baseline!.stepLosses!.length, 2);
      assert.match(markdown, /deno\+libtorch\/PyTorch bf16 autocast\+CL ratio [\d.]+ \[/);
      assert.match(markdown, /deno\+libtorch\/PyTorch pure bf16\+CL \(bf16 params\) ratio /);
      assert.match(markdown, /- CPU criterion on cpu \(issue 19\), paired in the same run:/);
      assert.match(
        markdown,
        /at most 0\.5× PyTorch's fp32 step: \*\*(met|not met|met by the median only)\*\*/,
      );
      assert.deepEqual(result.notes, []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a PyTorch worker whose ready line does not name the asked recipe is skipped, saying so",
  ignore: !HAS_TORCH,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "paired-recipes-" });
    try {
      // A worker of an older script: ready, but silent about its recipe.
      const fake = `${dir}/old-python`;
      await Deno.writeTextFile(
        fake,
        '#!/bin/sh\necho \'{"ready":true,"implementation":"pytorch","version":"1.13.1",' +
          '"deviceName":"x","threads":1}\'\nread line\n',
      );
      await Deno.chmod(fake, 0o755);
      const { result } = await bench(dir, ["--baseline", "pytorch-bf16"], { TORCH_PYTHON: fake });
      assert.equal(result.runs[0].baseline, null);
      assert.deepEqual(result.notes, [
        "pytorch-bf16 baseline skipped: pytorch-bf16 worker: expected recipe bf16-autocast-cl " +
        "in its ready line, found none",
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "without a timed window the worker-only baselines sit out, saying why",
  ignore: !HAS_TORCH,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "paired-recipes-" });
    try {
      await writeTinyDataset(`${dir}/data`, { train: 40, test: 10 });
      const args = [
        ...["run", "-A", BENCH_MAIN, "--device", "cpu", "--threads", "1", "--data", `${dir}/data`],
        ...["--epochs", "1", "--warmup", "0", "--batch-size", "20", "--no-progress"],
        ...["--baseline", "pytorch-bf16-pure", "--out", `${dir}/out`, "--json", `${dir}/r.json`],
      ];
      const out = await new Deno.Command(Deno.execPath(), { args, stdout: "null" }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const result = parseBenchResult(JSON.parse(await Deno.readTextFile(`${dir}/r.json`)));
      assert.equal(result.runs[0].baseline, null);
      assert.deepEqual(result.notes, [
        "pytorch-bf16-pure baseline skipped: it runs only paired with a timed window (give --steps)",
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
