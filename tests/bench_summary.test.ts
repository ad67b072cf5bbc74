// The end of `deno task bench` (src/report/terminal.ts, src/bench/measure/noise_check.ts): the verdict
// line per paired baseline, the terminal summary and the warning on an unstable run.
// Pure: no libtorch.
import assert from "node:assert/strict";
import { pairedVerdictLine, renderTerminalSummary } from "../src/report/terminal.ts";
import {
  noiseWarnings,
  readLoadavg,
  recordNoise,
  runNoise,
} from "../src/bench/measure/noise_check.ts";
import type { BenchResult, Paired, Run } from "../src/result/schema.ts";
import { summarize } from "../src/stats/stats.ts";

function paired(ratioMedian: number, ci: [number, number], rounds = 10): Paired {
  return { rounds, windowSteps: 10, ratios: [], ratioMedian, ratioCI95: ci };
}

function run(overrides: Partial<Run> = {}): Run {
  return {
    label: "deno+libtorch 1.13.0 cpu fp32",
    implementation: "deno-libtorch",
    device: "cpu",
    deviceName: "Intel Xeon",
    threads: 2,
    precision: "fp32",
    options: {},
    firstStepMs: 900,
    warmupMs: [90],
    stepMs: summarize([84, 85, 86]),
    imagesPerSecond: 752.9,
    epochs: [{ epoch: 1, loss: 0.2, seconds: 80, testAccuracy: 0.9787, evalSeconds: 4 }],
    timeToTargetSeconds: 80,
    targetAccuracy: 0.97,
    peakMemoryBytes: null,
    flopsPerImage: 1e9,
    achievedFlops: 1e12,
    finalTestAccuracy: 0.9787,
    complete: true,
    baseline: null,
    ...overrides,
  };
}

function pytorch(p: Paired): Run {
  return run({
    label: "pytorch 1.13.0 cpu fp32",
    implementation: "pytorch",
    stepMs: summarize([97, 98, 99]),
    imagesPerSecond: 653.1,
    epochs: [],
    finalTestAccuracy: null,
    paired: p,
  });
}

const result = (
  runs: Run[],
) => ({ runs, env: { torch: { version: "1.13.0" } } } as unknown as BenchResult);

/** The verdict line of a run's first baseline. */
const verdictOf = (ours: Run) =>
  pairedVerdictLine(ours, { ...ours.baseline!, paired: ours.baseline!.paired! });

Deno.test("the verdict line says how much faster ours ran, the interval inverted with it", () => {
  const ours = run({ baseline: pytorch(paired(1 / 1.05, [1 / 1.08, 1 / 1.02])) });
  assert.equal(
    verdictOf(ours),
    "deno+libtorch ran 1.05× faster [1.02, 1.08] than PyTorch eager (cpu, fp32, 10 paired rounds)",
  );
});

Deno.test("the verdict line says how much slower ours ran", () => {
  assert.equal(
    verdictOf(run({ baseline: pytorch(paired(1.1, [1.082, 1.126])) })),
    "deno+libtorch ran 1.10× slower [1.08, 1.13] than PyTorch eager (cpu, fp32, 10 paired rounds)",
  );
});

Deno.test("the verdict line says no significant difference when the interval holds 1", () => {
  const ours = run({
    precision: "bf16-hybrid",
    baseline: pytorch(paired(0.99, [0.97, 1.02], 1)),
  });
  assert.equal(
    verdictOf(ours),
    "deno+libtorch: no significant difference (0.99× [0.97, 1.02]) from PyTorch eager " +
      "(cpu, bf16-hybrid, 1 paired round)",
  );
});

Deno.test("the terminal summary gives medians and accuracy, and ends with the verdict lines", () => {
  const unpaired = { ...pytorch(paired(1, [1, 1])), paired: undefined };
  const ours = run({
    baseline: pytorch(paired(0.868, [0.85, 0.89])),
    moreBaselines: [unpaired],
  });
  assert.deepEqual(renderTerminalSummary(result([ours])), [
    "deno+libtorch 1.13.0 cpu fp32: median step 85.00 ms, test accuracy 97.87%",
    "pytorch 1.13.0 cpu fp32: median step 98.00 ms",
    "pytorch 1.13.0 cpu fp32: median step 98.00 ms",
    "deno+libtorch ran 1.15× faster [1.12, 1.18] than PyTorch eager (cpu, fp32, 10 paired rounds)",
  ]);
});

Deno.test("an unstable run ends with one warning saying why and that the headline leaves it out", () => {
  const loaded = run({
    stepMs: summarize([2201.5, 2205, 2209.75, 2215.25, 2230]),
    baseline: pytorch({ ...paired(1, [0.99, 1.01]), ratios: [0.99, 1, 1.01] }),
  });
  recordNoise(loaded, { before: 5.2, after: 2.5, cores: 2 });
  assert.equal(loaded.noise!.stable, false);
  assert.equal(loaded.baseline!.noise!.stable, false);
  assert.match(loaded.noise!.reasons[0], /^host busy: 1-min load 5\.20 before the timed work/);
  assert.deepEqual(noiseWarnings(result([loaded])), [
    "warning: deno+libtorch 1.13.0 cpu fp32 is unstable (host busy): left out of the headline; " +
    "rerun on a quiet host",
  ]);
});

Deno.test("a run whose baseline alone is unstable is warned about", () => {
  const ours = run({
    baseline: pytorch({ ...paired(1, [0.9, 1.1]), ratios: [0.5, 0.75, 1, 1.25, 1.5] }),
  });
  recordNoise(ours, null);
  ours.noise = { ...ours.noise!, stable: true, reasons: [] }; // ours judged stable on its own
  const [line] = noiseWarnings(result([ours]));
  assert.match(
    line,
    /^warning: deno\+libtorch 1\.13\.0 cpu fp32 is unstable \(paired rounds disagree\)/,
  );
});

Deno.test("a stable run, or one without a verdict, ends without a warning", () => {
  const quiet = run({ baseline: pytorch({ ...paired(1, [1, 1]), ratios: [1, 1, 1] }) });
  recordNoise(quiet, { before: 0.3, after: 2.1, cores: 2 });
  assert.equal(quiet.noise!.stable, true);
  assert.equal(quiet.baseline!.noise!.loadAfter, 2.1);
  assert.deepEqual(noiseWarnings(result([quiet, run()])), []);
});

Deno.test("runNoise() judges the rounds of the baseline that spread the most", () => {
  const calm = { ...paired(1, [1, 1]), ratios: [0.99, 1, 1.01, 1, 1] };
  const wild = { ...paired(1, [1, 1]), ratios: [0.5, 0.75, 1, 1.25, 1.5] };
  const ours = run({ baseline: pytorch(calm), moreBaselines: [pytorch(wild)] });
  const noise = runNoise(ours, null);
  assert.equal(noise.roundSpreadRel, 0.5);
  assert.equal(noise.loadBefore, null);
  assert.equal(runNoise(ours, { before: 1, after: null, cores: 2 }).loadBefore, null);
});

Deno.test("readLoadavg() reads the 1-minute load, null where the file is missing", async () => {
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(file, "1.73 1.12 0.53 5/159 9918\n");
    assert.equal(readLoadavg(file), 1.73);
  } finally {
    await Deno.remove(file);
  }
  assert.equal(readLoadavg("/nonexistent/loadavg"), null);
});
