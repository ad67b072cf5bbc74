import assert from "node:assert/strict";
import {
  BENCH_FLAGS,
  formatUsageError,
  HelpRequested,
  parseBenchArgs,
  usage,
  UsageError,
} from "../src/bench/entry/cli.ts";
import { formatCommandLine } from "../src/cli/command.ts";
import { flagName } from "../src/cli/flags.ts";
import type { BenchConfig } from "../src/result/schema.ts";

const DEFAULTS: BenchConfig = {
  device: "all",
  epochs: 1,
  steps: 100,
  warmup: 5,
  batchSize: 64,
  lr: 1e-3,
  threads: 8,
  seed: 0,
  data: "mnist",
  targetAccuracy: 0.97,
  baseline: null,
  rounds: null,
  windowSteps: 10,
  precision: "fp32",
  tf32: false,
  cudaGraphs: false,
  channelsLast: false,
  cudnnBenchmark: false,
  adam: "auto",
  inceptionBranches: "sequential",
  malloc: "pinned",
  interopThreads: null,
  cpuBest: false,
  clipGradNorm: null,
  maxSeconds: null,
  breakdownSteps: 10,
  profile: null,
  out: "results",
  json: null,
  progress: true,
  save: null,
  load: null,
  resume: null,
  checkpointDir: null,
  force: false,
  verbose: false,
  nproc: 1,
  distTimeout: 60,
};

function parse(...args: string[]): BenchConfig {
  return parseBenchArgs(args, { cores: 8 });
}

function rejects(args: string[], message: string) {
  assert.throws(() => parseBenchArgs(args, { cores: 8 }), (error: unknown) => {
    assert.ok(error instanceof UsageError, `expected a UsageError, found ${error}`);
    assert.equal(error.message, message);
    assert.ok(!error.message.includes("\n"), "expected a one-line message");
    return true;
  });
}

Deno.test("parseBenchArgs() defaults to a 100-step window then 1 evaluated epoch on every device", () => {
  assert.deepEqual(parse(), DEFAULTS);
});

Deno.test("parseBenchArgs() defaults --threads to the machine's cores", () => {
  assert.equal(parseBenchArgs([], { cores: 3 }).threads, 3);
  assert.equal(parseBenchArgs([]).threads, navigator.hardwareConcurrency);
});

Deno.test("parseBenchArgs() drops a leading --", () => {
  assert.deepEqual(parse("--", "--device", "cpu"), { ...DEFAULTS, device: "cpu" });
});

Deno.test("parseBenchArgs() reads every flag", () => {
  assert.deepEqual(
    parse(
      "--device=cuda",
      "--epochs",
      "3",
      "--steps",
      "200",
      "--warmup",
      "0",
      "--batch-size",
      "128",
      "--lr",
      "0.01",
      "--threads",
      "4",
      "--seed",
      "42",
      "--data",
      "fashion-mnist",
      "--target-accuracy",
      "0.99",
      "--baseline",
      "pytorch,libtorch",
      "--rounds",
      "7",
      "--window-steps",
      "4",
      "--precision",
      "bf16",
      "--tf32",
      "--cuda-graphs",
      "--channels-last",
      "--cudnn-benchmark",
      "--inception-branches",
      "parallel",
      "--malloc",
      "default",
      "--interop-threads",
      "2",
      "--adam",
      "fused",
      "--clip-grad-norm",
      "1.5",
      "--max-seconds",
      "90.5",
      "--breakdown-steps",
      "3",
      "--profile",
      "trace.json",
      "--out",
      "/tmp/r",
      "--json",
      "out.json",
      "--no-progress",
      "--save",
      "w.pt",
      "--load",
      "start.safetensors",
      "--resume",
      "ck.safetensors",
      "--checkpoint-dir",
      "/tmp/ck",
      "--force",
      "--verbose",
      "--nproc",
      "4",
      "--dist-timeout",
      "30",
    ),
    {
      device: "cuda",
      epochs: 3,
      steps: 200,
      warmup: 0,
      batchSize: 128,
      lr: 0.01,
      threads: 4,
      seed: 42,
      data: "fashion-mnist",
      targetAccuracy: 0.99,
      baseline: ["pytorch", "libtorch"],
      rounds: 7,
      windowSteps: 4,
      precision: "bf16",
      tf32: true,
      cudaGraphs: true,
      channelsLast: true,
      cudnnBenchmark: true,
      adam: "fused",
      inceptionBranches: "parallel",
      malloc: "default",
      interopThreads: 2,
      cpuBest: false,
      clipGradNorm: 1.5,
      maxSeconds: 90.5,
      breakdownSteps: 3,
      profile: "trace.json",
      out: "/tmp/r",
      json: "out.json",
      progress: false,
      save: "w.pt",
      load: "start.safetensors",
      resume: "ck.safetensors",
      checkpointDir: "/tmp/ck",
      force: true,
      verbose: true,
      nproc: 4,
      distTimeout: 30,
    },
  );
});

Deno.test("parseBenchArgs() with only --epochs trains whole epochs without a timed window", () => {
  const config = parse("--epochs", "5");
  assert.equal(config.epochs, 5);
  assert.equal(config.steps, null);
});

Deno.test("parseBenchArgs() with only --steps times a window without evaluated epochs", () => {
  const config = parse("--steps", "20");
  assert.equal(config.epochs, null);
  assert.equal(config.steps, 20);
});

Deno.test("parseBenchArgs() accepts a data directory path", () => {
  assert.equal(parse("--data", "./data/my mnist").data, "./data/my mnist");
});

Deno.test("parseBenchArgs() rejects --batch-size 0 with a one-line message", () => {
  rejects(["--batch-size", "0"], '--batch-size: expected an integer ≥ 1, found "0"');
});

Deno.test("parseBenchArgs() rejects non-integer counts", () => {
  rejects(["--epochs", "1.5"], '--epochs: expected an integer ≥ 1, found "1.5"');
  rejects(["--steps", "abc"], '--steps: expected an integer ≥ 1, found "abc"');
  rejects(["--steps", "NaN"], '--steps: expected an integer ≥ 1, found "NaN"');
  rejects(["--steps", "Infinity"], '--steps: expected an integer ≥ 1, found "Infinity"');
  rejects(["--seed", "1e3"], '--seed: expected an integer ≥ 0, found "1e3"');
  rejects(["--epochs", ""], '--epochs: expected an integer ≥ 1, found ""');
});

Deno.test("parseBenchArgs() rejects out-of-range counts", () => {
  rejects(["--epochs", "0"], '--epochs: expected an integer ≥ 1, found "0"');
  rejects(["--steps", "0"], '--steps: expected an integer ≥ 1, found "0"');
  rejects(["--warmup=-1"], '--warmup: expected an integer ≥ 0, found "-1"');
  rejects(["--threads", "0"], '--threads: expected an integer in 1..1024, found "0"');
  rejects(["--threads", "1025"], '--threads: expected an integer in 1..1024, found "1025"');
});

Deno.test("parseBenchArgs() accepts --warmup 0", () => {
  assert.equal(parse("--warmup", "0").warmup, 0);
});

Deno.test("parseBenchArgs() rejects a non-positive or non-finite learning rate", () => {
  rejects(["--lr", "0"], '--lr: expected a finite number > 0, found "0"');
  rejects(["--lr=-0.1"], '--lr: expected a finite number > 0, found "-0.1"');
  rejects(["--lr", "Infinity"], '--lr: expected a finite number > 0, found "Infinity"');
  rejects(["--lr", "fast"], '--lr: expected a finite number > 0, found "fast"');
  assert.equal(parse("--lr", "3e-4").lr, 3e-4);
});

Deno.test("parseBenchArgs() keeps --target-accuracy in (0, 1]", () => {
  rejects(
    ["--target-accuracy", "0"],
    '--target-accuracy: expected a number in (0, 1], found "0"',
  );
  rejects(
    ["--target-accuracy", "97"],
    '--target-accuracy: expected a number in (0, 1], found "97"',
  );
  assert.equal(parse("--target-accuracy", "1").targetAccuracy, 1);
});

Deno.test("parseBenchArgs() rejects a non-positive --clip-grad-norm", () => {
  rejects(["--clip-grad-norm", "0"], '--clip-grad-norm: expected a finite number > 0, found "0"');
});

Deno.test("parseBenchArgs() rejects unknown choices, naming the valid ones", () => {
  rejects(["--device", "tpu"], '--device: expected one of cpu, cuda, all, found "tpu"');
  rejects(
    ["--precision", "fp16"],
    '--precision: expected one of fp32, bf16, bf16-pure, bf16-hybrid, auto, found "fp16"',
  );
  rejects(
    ["--baseline", "jax"],
    "--baseline: expected none or a comma-separated list of distinct pytorch, pytorch-bf16, " +
      'pytorch-bf16-pure, pytorch-bf16-hybrid, pytorch-compile, libtorch, deno-fp32, deno-bf16-hybrid, found "jax"',
  );
  rejects(
    ["--baseline", "pytorch,pytorch"],
    "--baseline: expected none or a comma-separated list of distinct pytorch, pytorch-bf16, " +
      'pytorch-bf16-pure, pytorch-bf16-hybrid, pytorch-compile, libtorch, deno-fp32, deno-bf16-hybrid, found "pytorch,pytorch"',
  );
  rejects(["--window-steps", "0"], '--window-steps: expected an integer ≥ 1, found "0"');
  rejects(
    ["--adam", "lamb"],
    '--adam: expected one of auto, single, foreach, fused, found "lamb"',
  );
});

Deno.test("parseBenchArgs() rejects unknown flags and positional arguments", () => {
  rejects(["--epoch", "3"], 'expected a known flag (see --help), found "--epoch"');
  rejects(["cpu"], 'expected only flags, found the argument "cpu"');
});

Deno.test("parseBenchArgs() rejects a flag without its value", () => {
  rejects(["--epochs"], "--epochs: expected a value, found nothing");
  rejects(
    ["--epochs", "--steps", "3"],
    '--epochs: expected a value, found the flag-like "--steps" (write --epochs=--steps if that ' +
      "is the value)",
  );
});

Deno.test("parseBenchArgs() rejects a value given to a switch", () => {
  rejects(["--tf32=yes"], '--tf32: expected no value (it is a switch), found "yes"');
});

Deno.test("parseBenchArgs() rejects a repeated flag", () => {
  rejects(["--epochs", "1", "--epochs", "2"], "--epochs: expected at most once, found 2 times");
});

Deno.test("parseBenchArgs() signals --help with HelpRequested carrying the usage", () => {
  for (const flag of ["--help", "-h"]) {
    assert.throws(() => parse(flag, "--epochs", "oops"), (error: unknown) => {
      assert.ok(error instanceof HelpRequested);
      assert.ok(!(error instanceof UsageError));
      assert.equal(error.usage, usage({ cores: 8 }));
      assert.ok(error.usage.includes("cores, 8 here"));
      return true;
    });
  }
});

Deno.test("usage() lists every flag with its default", () => {
  const text = usage();
  for (
    const flag of [
      "--device",
      "--epochs",
      "--steps",
      "--warmup",
      "--batch-size",
      "--lr",
      "--threads",
      "--seed",
      "--data",
      "--target-accuracy",
      "--baseline",
      "--rounds",
      "--window-steps",
      "--precision",
      "--tf32",
      "--cuda-graphs",
      "--malloc",
      "--channels-last",
      "--cudnn-benchmark",
      "--adam",
      "--save",
      "--load",
      "--resume",
      "--checkpoint-dir",
      "--force",
      "--verbose",
      "--clip-grad-norm",
      "--max-seconds",
      "--breakdown-steps",
      "--profile",
      "--out",
      "--json",
      "--no-progress",
      "--nproc",
      "--dist-timeout",
      "--help",
    ]
  ) {
    const line = text.split("\n").find((l) =>
      l.trimStart().startsWith(flag) || l.includes(` ${flag}`)
    );
    assert.ok(line, `expected a line for ${flag}`);
  }
  assert.ok(text.includes("default: a 100-step timed window"));
  assert.equal((text.match(/\(default/g) ?? []).length, 38);
});

Deno.test("formatUsageError() points to --help", () => {
  assert.equal(
    formatUsageError(new UsageError('--lr: expected a finite number > 0, found "0"')),
    'error: --lr: expected a finite number > 0, found "0"\n' +
      "Run 'deno task bench --help' for every flag and its default.\n",
  );
  assert.equal(
    formatUsageError(new UsageError("x"), "deno task report"),
    "error: x\nRun 'deno task report --help' for every flag and its default.\n",
  );
});

Deno.test("parseBenchArgs() reads --max-seconds as a positive deadline", () => {
  assert.equal(parse("--max-seconds", "600").maxSeconds, 600);
  rejects(["--max-seconds", "0"], '--max-seconds: expected a finite number > 0, found "0"');
  rejects(["--max-seconds", "1h"], '--max-seconds: expected a finite number > 0, found "1h"');
});

Deno.test("usage() shows every flag of the table once, each line within 100 columns", () => {
  const text = usage({ cores: 8 });
  for (const line of text.split("\n")) assert.ok(line.length <= 100, `too long: ${line}`);
  const listed = [...text.matchAll(/^ {2}(--[a-z0-9-]+)/gm)].map((m) => m[1]);
  const declared = Object.entries(BENCH_FLAGS).map(([key, flag]) => flagName(key, flag));
  assert.deepEqual(listed, declared);
});

Deno.test("formatCommandLine() quotes only the words that need it", () => {
  assert.equal(
    formatCommandLine(["deno", "task", "bench", "--data", "my data", "--json=it's.json"]),
    "deno task bench --data 'my data' '--json=it'\\''s.json'",
  );
});

Deno.test("parseBenchArgs() reads --baseline none as no baseline", () => {
  assert.equal(parse("--baseline", "none").baseline, null);
  assert.equal(parse("--baseline=none").baseline, null);
});
