// The PyTorch baseline end to end: baselines/pytorch_baseline.py run by runPytorchBaseline on a
// tiny IDX data set, read back into the harness's Run. The GPU machine runs it under PyTorch 2.x,
// this machine under 1.13; scripts/torch2-check.sh runs this file under 2.6.
import assert from "node:assert/strict";
import { parseBenchArgs } from "../src/bench/entry/cli.ts";
import { runPytorchBaseline } from "../src/bench/baselines/baseline.ts";
import type { Run } from "../src/result/schema.ts";
import { encodeIdx } from "../src/data/idx.ts";
import { hasPythonTorch, syntheticSplit } from "./_helpers.ts";

/** The four MNIST-named IDX files of a synthetic set in a new temporary folder. */
function writeIdxSet(trainCount: number, testCount: number): string {
  const dir = Deno.makeTempDirSync({ prefix: "baseline-idx-" });
  for (const [prefix, count] of [["train", trainCount], ["t10k", testCount]] as const) {
    const split = syntheticSplit(count);
    Deno.writeFileSync(
      `${dir}/${prefix}-images-idx3-ubyte`,
      encodeIdx([count, 28, 28], split.images),
    );
    Deno.writeFileSync(`${dir}/${prefix}-labels-idx1-ubyte`, encodeIdx([count], split.labels));
  }
  return dir;
}

/**
 * The baseline's Run for `flags` (cpu, one thread) on a synthetic IDX set of `train` and `test`
 * images, its stderr lines passed to `log`; the set is removed afterwards.
 */
async function baselineRun(
  sizes: { train: number; test: number },
  flags: string[],
  log: (line: string) => void = () => {},
): Promise<Run> {
  const dir = writeIdxSet(sizes.train, sizes.test);
  try {
    const config = parseBenchArgs(["--device", "cpu", "--threads", "1", "--data", dir, ...flags]);
    const outcome = await runPytorchBaseline(config, "cpu", {
      dataDir: dir,
      flopsPerImage: 1e9,
      log,
    });
    assert.ok("run" in outcome, "skipped" in outcome ? outcome.skipped : "");
    return outcome.run;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test({
  name: "the PyTorch baseline trains a timed window and an epoch and reports them as a Run",
  ignore: !hasPythonTorch(),
  async fn() {
    const lines: string[] = [];
    const run = await baselineRun(
      { train: 96, test: 40 },
      ["--steps", "2", "--warmup", "1", "--epochs", "1", "--batch-size", "32"],
      (line) => lines.push(line),
    );
    assert.equal(run.implementation, "pytorch");
    assert.equal(run.device, "cpu");
    assert.equal(run.threads, 1);
    assert.match(String(run.options.torch), /^\d+\.\d+/);
    assert.equal(run.stepMs.count, 2, "the timed window's steps");
    assert.equal(run.warmupMs.length, 1);
    assert.ok(run.stepMs.median > 0);
    assert.equal(run.epochs.length, 1);
    const epoch = run.epochs[0];
    assert.ok(Number.isFinite(epoch.loss) && epoch.loss > 0, `loss ${epoch.loss}`);
    assert.ok(epoch.testAccuracy !== null && epoch.testAccuracy >= 0 && epoch.testAccuracy <= 1);
    assert.equal(run.finalTestAccuracy, epoch.testAccuracy);
    assert.ok(lines.some((l) => /Epoch \[1\/1\], Loss: \d/.test(l)), lines.join("\n"));
  },
});

/** An executable stand-in for Python that prints `message` on stderr and exits with `code`. */
function fakePython(code: number, message: string): string {
  const path = Deno.makeTempFileSync({ prefix: "fake-python-" });
  Deno.writeTextFileSync(path, `#!/bin/sh\necho '${message}' >&2\nexit ${code}\n`);
  Deno.chmodSync(path, 0o755);
  return path;
}

Deno.test("the PyTorch baseline is skipped with the reason when Python cannot import torch, fails or is missing", async () => {
  const config = parseBenchArgs(["--device", "cpu", "--steps", "2"]);
  const options = { dataDir: "/nonexistent", flopsPerImage: 1e9, log: () => {} };
  const noTorch = fakePython(3, "torch is not importable from /fake/python");
  const broken = fakePython(1, "Traceback: something broke");
  try {
    const a = await runPytorchBaseline(config, "cpu", { ...options, python: noTorch });
    assert.ok("skipped" in a);
    assert.equal(
      a.skipped,
      `PyTorch baseline skipped: ${noTorch} cannot import torch ` +
        "(install python3-torch, or set TORCH_PYTHON to a Python that has it)",
    );
    const b = await runPytorchBaseline(config, "cpu", { ...options, python: broken });
    assert.ok("skipped" in b);
    assert.equal(b.skipped, "PyTorch baseline failed (exit 1): Traceback: something broke");
    const c = await runPytorchBaseline(config, "cpu", { ...options, python: "/no/such/python3" });
    assert.ok("skipped" in c);
    assert.match(c.skipped, /^PyTorch baseline skipped: \/no\/such\/python3 could not start \(/);
  } finally {
    Deno.removeSync(noTorch);
    Deno.removeSync(broken);
  }
});

/** This process's peak resident memory (VmHWM) in bytes. */
function ownPeakBytes(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
  if (m === null) throw new Error("expected VmHWM in /proc/self/status, found none");
  return Number(m[1]) * 1024;
}

Deno.test({
  name:
    "the PyTorch baseline's CPU peak memory is Python's own, not the peak of the Deno that ran it",
  ignore: !hasPythonTorch() || Deno.build.os !== "linux",
  async fn() {
    // Raise this process's peak well above what the tiny baseline needs (Linux carries a
    // parent's ru_maxrss across fork+exec, so reading it there reported Deno's peak).
    const ballast = new Uint8Array(1536 * 2 ** 20).fill(1);
    const denoPeak = ownPeakBytes();
    assert.equal(ballast[ballast.length - 1], 1, "the ballast is resident");
    const run = await baselineRun(
      { train: 64, test: 20 },
      ["--steps", "1", "--warmup", "0", "--batch-size", "32"],
    );
    const peak = run.peakMemoryBytes;
    assert.ok(peak !== null && peak > 50 * 2 ** 20, `a Python with torch uses > 50 MiB: ${peak}`);
    assert.ok(
      peak < denoPeak - 512 * 2 ** 20,
      `expected the baseline's peak below this process's ${denoPeak} B, found ${peak} B`,
    );
  },
});

Deno.test({
  name: "--max-seconds also bounds the PyTorch baseline: it stops at a step boundary, incomplete",
  ignore: !hasPythonTorch(),
  async fn() {
    // 200 window steps and 2 epochs of 10 steps each could not fit in 3 s (about 0.1 s a step);
    // 3 s leave room for the model's construction and the first step (over 1 s on PyTorch 2.14).
    const run = await baselineRun(
      { train: 640, test: 20 },
      [
        "--steps",
        "200",
        "--warmup",
        "1",
        "--epochs",
        "2",
        "--batch-size",
        "64",
        "--max-seconds",
        "3",
      ],
    );
    assert.equal(run.complete, false);
    assert.match(
      String(run.stopReason),
      /^deadline: --max-seconds 3 passed at step \d+ of the window$/,
    );
    assert.ok(run.stepMs.count + run.warmupMs.length < 201, "fewer steps than asked for");
    assert.equal(run.epochs.length, 0, "no epoch after the deadline");
  },
});
