import assert from "node:assert/strict";
import { join } from "node:path";
import { chartSpecs, MAX_SERIES, renderCharts } from "../src/report/charts.ts";
import { renderMarkdown, resultTitle, runName } from "../src/report/report.ts";
import { headlineRows, renderHeadline } from "../src/report/headline.ts";
import { loadResults } from "../src/report/load.ts";
import { renderTerminalSummary } from "../src/report/terminal.ts";
import { reportMain } from "../src/report/report_main.ts";
import { isPlainRun, renderGpuSummary } from "../src/report/gpu_summary.ts";
import type { BenchResult, Run, Summary } from "../src/result/schema.ts";
import { benchResultSchema, parseBenchResult } from "../src/result/schema.ts";
import { z } from "zod";

function summary(median: number, extra: Partial<Summary> = {}): Summary {
  return {
    median,
    mean: median + 0.1,
    std: median / 100,
    p10: median * 0.98,
    p90: median * 1.02,
    q1: median * 0.99,
    q3: median * 1.01,
    min: median * 0.95,
    max: median * 1.1,
    count: 3,
    samples: [median * 0.99, median, median * 1.01],
    ...extra,
  };
}

function run(overrides: Partial<Run> & Pick<Run, "label" | "device">): Run {
  return {
    implementation: "deno-libtorch",
    deviceName: overrides.device === "cuda" ? "NVIDIA H100 80GB HBM3" : "AMD EPYC 7763",
    threads: 16,
    precision: "fp32",
    options: {},
    firstStepMs: 900,
    warmupMs: [50, 40],
    stepMs: summary(10),
    imagesPerSecond: 6400,
    epochs: [],
    timeToTargetSeconds: null,
    targetAccuracy: 0.97,
    peakMemoryBytes: null,
    flopsPerImage: 1e9,
    achievedFlops: 6.4e12,
    finalTestAccuracy: null,
    baseline: null,
    complete: true,
    ...overrides,
  };
}

/** A CPU and a CUDA run, each with a PyTorch baseline. */
function fixture(): BenchResult {
  const cpu = run({
    label: "deno+libtorch cpu fp32",
    device: "cpu",
    stepMs: summary(40),
    imagesPerSecond: 1600,
    epochs: [
      { epoch: 1, loss: 451.25, seconds: 37.5, testAccuracy: 0.9512, evalSeconds: 2.25 },
      { epoch: 2, loss: 0.08123, seconds: 36.5, testAccuracy: 0.9811, evalSeconds: 2.5 },
    ],
    timeToTargetSeconds: 74.2,
    finalTestAccuracy: 0.9811,
    baseline: run({
      label: "pytorch cpu fp32",
      implementation: "pytorch",
      device: "cpu",
      stepMs: summary(50),
      imagesPerSecond: 1280,
      epochs: [
        { epoch: 1, loss: 2.5, seconds: 47, testAccuracy: 0.9, evalSeconds: 3 },
        { epoch: 2, loss: 0.5, seconds: 46, testAccuracy: 0.95, evalSeconds: 3 },
      ],
      finalTestAccuracy: 0.95,
    }),
  });
  const cuda = run({
    label: "deno+libtorch cuda fp32",
    device: "cuda",
    stepMs: summary(4),
    imagesPerSecond: 16000,
    baseline: run({
      label: "pytorch cuda fp32",
      implementation: "pytorch",
      device: "cuda",
      stepMs: summary(5),
      imagesPerSecond: 12800,
    }),
  });
  return {
    schema: 1,
    complete: true,
    createdAt: "2025-01-31T10:20:30.000Z",
    command: "deno task bench --epochs 2 --baseline pytorch",
    env: {
      cpuModel: "AMD EPYC 7763 64-Core Processor",
      cores: 16,
      memoryBytes: 128 * 1024 ** 3,
      os: "Debian GNU/Linux 12 (bookworm), linux 6.1.0 x86_64",
      deno: "2.1.4",
      v8: "13.0.245.12-rusty",
      typescript: "5.6.2",
      hostname: "gpu-box",
      gitCommit: "0123456789abcdef0123456789abcdef01234567",
      gitDirty: true,
      torch: { version: "2.5.1", cuda: true },
      gpu: {
        name: "NVIDIA H100 80GB HBM3",
        driver: "550.54.15",
        cudaVersion: "12.4",
        cudnnVersion: "90100",
      },
    },
    config: {
      device: "all",
      epochs: 2,
      steps: null,
      warmup: 5,
      batchSize: 64,
      lr: 0.001,
      threads: 16,
      seed: 0,
      data: "mnist",
      targetAccuracy: 0.97,
      baseline: ["pytorch"],
      precision: "fp32",
      tf32: false,
      cudaGraphs: false,
      clipGradNorm: null,
      out: "results",
      json: null,
      progress: true,
    },
    runs: [cpu, cuda],
    notes: ["CPU frequency scaling was on"],
  };
}

function lines(markdown: string): string[] {
  return markdown.split("\n");
}

const HEADER =
  "| Run | Step median [ms] | Mean ± σ [ms] | p10 … p90 [ms] | Images/s | Epoch [s] | Test acc. " +
  "| Time to target [s] | Relative |";

Deno.test("renderMarkdown() lays the run table out like hyperfine", () => {
  const out = lines(renderMarkdown([fixture()]));
  const at = out.indexOf(HEADER);
  assert.notEqual(at, -1, "expected the run table header");
  assert.deepEqual(out.slice(at + 1, at + 6), [
    "|:---|---:|---:|---:|---:|---:|---:|---:|---:|",
    "| deno+libtorch 2.5.1 cpu fp32 | 40.00 | 40.10 ± 0.40 | 39.20 … 40.80 | 1600 | 37.0 | 98.11% | 74.2 " +
    "| 10.00 |",
    "| pytorch cpu fp32 | 50.00 | 50.10 ± 0.50 | 49.00 … 51.00 | 1280 | 46.5 | 95.00% " +
    "| not reached | 12.50 |",
    "| deno+libtorch 2.5.1 cuda fp32 | 4.00 | 4.10 ± 0.04 | 3.92 … 4.08 | 16000 | – | – | not evaluated " +
    "| 1.00 |",
    "| pytorch cuda fp32 | 5.00 | 5.10 ± 0.05 | 4.90 … 5.10 | 12800 | – | – | not evaluated | 1.25 |",
  ]);
});

Deno.test("renderMarkdown() gives the fastest median a Relative of 1.00", () => {
  const result = fixture();
  result.runs = [result.runs[0]]; // CPU only: deno 40 ms, PyTorch 50 ms
  const out = lines(renderMarkdown([result]));
  const rows = out.filter((l) =>
    l.startsWith("| deno+libtorch 2.5.1 cpu fp32 | 40.00") ||
    l.startsWith("| pytorch cpu fp32 | 50.00")
  );
  assert.deepEqual(rows.map((r) => r.split(" | ").at(-1)), ["1.00 |", "1.25 |"]);
});

Deno.test("renderMarkdown() says 'not reached' when evaluated epochs missed the target", () => {
  const result = fixture();
  const cpu = result.runs[0];
  cpu.timeToTargetSeconds = null;
  const row = lines(renderMarkdown([result])).find((l) =>
    l.startsWith("| deno+libtorch 2.5.1 cpu fp32 | 40")
  );
  assert.equal(row?.split(" | ")[7], "not reached");
});

Deno.test("renderMarkdown() heads each result with time, devices, CPU, libtorch, options and command", () => {
  const out = lines(renderMarkdown([fixture()]));
  assert.deepEqual(out.slice(0, 13), [
    "## 2025-01-31 10:20:30 · cpu, cuda · AMD EPYC 7763 64-Core Processor, 16 cores · " +
    "libtorch 2.5.1 · fp32, 2 epochs, vs pytorch",
    "",
    "- **CPU:** AMD EPYC 7763 64-Core Processor (16 cores, 128.0 GiB RAM)",
    "- **GPU:** NVIDIA H100 80GB HBM3 (driver 550.54.15, CUDA 12.4, cuDNN 90100)",
    "- **OS:** Debian GNU/Linux 12 (bookworm), linux 6.1.0 x86_64",
    "- **Software:** libtorch 2.5.1, Deno 2.1.4, V8 13.0.245.12-rusty, TypeScript 5.6.2",
    "- **Commit:** `0123456789ab` (dirty)",
    "- **Config:** batch 64, lr 0.001, 5 warm-up steps, 2 epochs, seed 0, data mnist, fp32, " +
    "16 threads, target 97.0%",
    "",
    "```sh",
    "deno task bench --epochs 2 --baseline pytorch",
    "```",
    "",
  ]);
});

Deno.test("renderMarkdown() sets unpaired medians side by side and never turns them into a ratio", () => {
  const markdown = renderMarkdown([fixture()]);
  const comparisons = lines(markdown).filter((l) =>
    l.startsWith("- CUDA and CPU") || l.startsWith("- deno+libtorch and PyTorch")
  );
  const apart = "(separate windows, not paired: no ratio is drawn from them)";
  assert.deepEqual(comparisons, [
    `- CUDA and CPU (deno+libtorch, fp32): CUDA median step 4.00 ms vs 40.00 ms ${apart}`,
    `- CUDA and CPU (PyTorch, fp32): CUDA median step 5.00 ms vs 50.00 ms ${apart}`,
    `- deno+libtorch and PyTorch on cpu (fp32): median step 40.00 ms vs 50.00 ms ${apart}`,
    `- deno+libtorch and PyTorch on cuda (fp32): median step 4.00 ms vs 5.00 ms ${apart}`,
  ]);
  assert.doesNotMatch(markdown, /× (faster|slower)/);
});

Deno.test("renderMarkdown() omits the CUDA-and-CPU line when only one device ran", () => {
  const result = fixture();
  result.runs = [result.runs[1]];
  assert.ok(!renderMarkdown([result]).includes("CUDA and CPU"));
});

Deno.test("renderMarkdown() lists the GPUs the build saw even when the runs used the CPU", () => {
  const result = fixture();
  result.runs = [result.runs[0]];
  result.env.gpu = null;
  result.env.torch = { libtorch: "2.11.0", cudaDevices: [{ name: "NVIDIA H200" }] };
  const markdown = renderMarkdown([result]);
  assert.match(markdown, /\n- \*\*GPU:\*\* NVIDIA H200 \(present, .*not used by these runs\)\n/);
  result.env.torch = { libtorch: "2.11.0" };
  assert.match(renderMarkdown([result]), /\n- \*\*GPU:\*\* none\n/);
});

Deno.test("renderMarkdown() links each section to its file when given", () => {
  const markdown = renderMarkdown([fixture()], ["../results/x.json"]);
  assert.ok(markdown.includes("\nFile: [x.json](../results/x.json)\n"), markdown.slice(0, 400));
});

Deno.test("renderMarkdown() tables loss, time and accuracy per epoch", () => {
  const out = lines(renderMarkdown([fixture()]));
  const at = out.indexOf("### Per epoch");
  assert.deepEqual(out.slice(at, at + 8), [
    "### Per epoch",
    "",
    "| Run | Epoch | Loss | Train [s] | Test acc. | Eval [s] |",
    "|:---|---:|---:|---:|---:|---:|",
    "| deno+libtorch 2.5.1 cpu fp32 | 1 | 451.3 | 37.5 | 95.12% | 2.3 |",
    "| deno+libtorch 2.5.1 cpu fp32 | 2 | 0.08123 | 36.5 | 98.11% | 2.5 |",
    "| pytorch cpu fp32 | 1 | 2.500 | 47.0 | 90.00% | 3.0 |",
    "| pytorch cpu fp32 | 2 | 0.5000 | 46.0 | 95.00% | 3.0 |",
  ]);
});

Deno.test("renderMarkdown() marks incomplete results and runs", () => {
  const result = fixture();
  result.complete = false;
  result.runs[1].complete = false;
  const markdown = renderMarkdown([result]);
  assert.ok(
    markdown.includes(
      "> **Incomplete:** the benchmark was interrupted; only the measurements it finished are " +
        "shown.",
    ),
  );
  assert.ok(markdown.includes("| deno+libtorch 2.5.1 cuda fp32 (incomplete) | 4.00 |"));
});

Deno.test("renderMarkdown() lists notes, marks an unstable result and says why", () => {
  const result = fixture();
  result.runs[1].stepMs = summary(4, { samples: [3, 3, 4, 4, 5, 5] });
  const out = lines(renderMarkdown([result]));
  const at = out.indexOf("Notes:");
  assert.deepEqual(out.slice(at, at + 4), [
    "Notes:",
    "",
    "- CPU frequency scaling was on",
    "- deno+libtorch 2.5.1 cuda fp32: step times spread: IQR 38% of the median, expected at most " +
    "20%",
  ]);
  assert.ok(out.some((l) => l.startsWith("> **Unstable:** left out of the headline")));
  assert.ok(!lines(renderMarkdown([fixture()])).some((l) => l.includes("Unstable")));
});

Deno.test("renderMarkdown() escapes pipes in labels", () => {
  const result = fixture();
  result.runs = [result.runs[1]];
  result.runs[0].baseline = null;
  result.runs[0].label = "a|b";
  assert.ok(renderMarkdown([result]).includes("| a\\|b | 4.00 |"));
});

Deno.test("renderMarkdown() is deterministic and says so when there is nothing", () => {
  assert.equal(renderMarkdown([fixture()]), renderMarkdown([fixture()]));
  assert.equal(renderMarkdown([]), "No results yet.\n");
});

Deno.test("resultTitle() uses the UTC date of createdAt", () => {
  const result = fixture();
  result.createdAt = "2025-02-01T01:00:00+02:00";
  assert.match(resultTitle(result), /^2025-01-31 23:00:00 · cpu, cuda · /);
});

/** Step samples around `median`, 1% apart: a quiet run's. */
function quiet(median: number): Summary {
  return summary(median, { samples: [0.99, 1, 1.01, 1, 0.995, 1.005].map((f) => f * median) });
}

/**
 * A CPU result of ours paired with PyTorch and the C++ worker (ours/PyTorch 0.9 [0.88, 0.92],
 * ours/C++ 1.0 [0.98, 1.02]), made at `createdAt` on libtorch `libtorch`.
 */
function pairedResult(createdAt: string, libtorch = "2.5.1"): BenchResult {
  const result = fixture();
  const paired = (ratio: number, lo: number, hi: number) => ({
    rounds: 4,
    windowSteps: 3,
    ratios: [ratio, ratio, ratio, ratio],
    ratioMedian: ratio,
    ratioCI95: [lo, hi] as [number, number],
  });
  const base = (label: string, implementation: Run["implementation"], median: number) =>
    run({ label, implementation, device: "cpu", stepMs: quiet(median) });
  result.createdAt = createdAt;
  result.env.torch = { libtorch };
  result.runs = [run({
    label: "deno+libtorch cpu fp32",
    device: "cpu",
    stepMs: quiet(36),
    baseline: { ...base("pytorch cpu fp32", "pytorch", 40), paired: paired(0.9, 0.88, 0.92) },
    moreBaselines: [{
      ...base("libtorch cpu fp32", "libtorch", 36),
      paired: paired(1, 0.98, 1.02),
    }],
  })];
  return result;
}

/** `pairedResult` with its step times spread as on a loaded host (IQR far above 20%). */
function loadedResult(createdAt: string): BenchResult {
  const result = pairedResult(createdAt);
  result.runs[0].stepMs = summary(2209.75, { samples: [80, 90, 2209.75, 2300, 2500, 100] });
  return result;
}

const link = (path: string) => path;

Deno.test("renderHeadline() keeps the newest stable paired run, leaves a loaded one out and warns", () => {
  const text = renderHeadline([
    { path: "results/loaded.json", result: loadedResult("2025-03-01T00:00:00.000Z") },
    { path: "results/unpaired.json", result: fixture() },
    { path: "results/older.json", result: pairedResult("2024-12-01T00:00:00.000Z") },
    { path: "results/quiet.json", result: pairedResult("2025-02-01T00:00:00.000Z") },
  ], link);
  const rows = lines(text).filter((l) => l.startsWith("| AMD EPYC"));
  assert.equal(rows.length, 1, text);
  assert.ok(rows[0].includes("[36.0 ms](results/quiet.json)"), rows[0]);
  assert.ok(rows[0].includes("[1.11× faster \\[1.09, 1.14\\]](results/quiet.json)"), rows[0]);
  assert.ok(rows[0].includes("[no significant difference (1.00× \\[0.98, 1.02\\])]"), rows[0]);
  assert.doesNotMatch(text, /older\.json|unpaired\.json|2209/);
  assert.match(
    text,
    /\*\*Left out as unstable\*\*, newer than the rows kept: \[loaded\.json\]\(results\/loaded\.json\) \(cpu fp32: deno\+libtorch: step times spread: IQR \d+% of the median/,
  );
  // A recorded verdict wins over the samples: a quiet-looking run whose load was too high.
  const busy = pairedResult("2025-04-01T00:00:00.000Z");
  busy.runs[0].noise = {
    stable: false,
    reasons: ["host busy: 1-min load 5.10 before the timed work on 2 cores, expected at most 3.00"],
    stepIqrRel: 0.01,
    roundSpreadRel: null,
    loadBefore: 5.1,
    loadAfter: 2,
  };
  const withBusy = renderHeadline([{ path: "results/busy.json", result: busy }], link);
  assert.match(withBusy, /No stable paired run yet\./);
  assert.match(withBusy, /\[busy\.json\]\(results\/busy\.json\) \(cpu fp32: .*host busy/);
});

Deno.test("renderHeadline() holds only paired ratios, each cell linked to its result file", () => {
  const text = renderHeadline([
    { path: "results/a.json", result: pairedResult("2025-02-01T00:00:00.000Z") },
    { path: "results/b.json", result: fixture() },
  ], link);
  const cells = [...text.matchAll(/\[([^\]]*(?:\\\][^\]]*)*)\]\(([^)]+)\)/g)];
  assert.ok(cells.length > 0);
  for (const [, , target] of cells.filter(([, , t]) => t.startsWith("results/"))) {
    assert.equal(target, "results/a.json");
  }
  assert.match(text, /^Rule: only runs of ours measured paired/m);
});

Deno.test("renderHeadline() puts the seed's GPU row first: no result yet, and the GPUs seen", () => {
  const cpuOnGpuHost = pairedResult("2025-02-01T00:00:00.000Z");
  cpuOnGpuHost.env.gpu = null;
  cpuOnGpuHost.env.torch = { libtorch: "2.11.0", cudaDevices: [{ name: "NVIDIA H200" }] };
  const text = renderHeadline([{ path: "results/h200.json", result: cpuOnGpuHost }], link);
  const out = lines(text);
  assert.match(out[0], /^\| The seed's question: device \|/);
  assert.match(
    out[2],
    /^\| CPU \| AMD EPYC 7763 64-Core Processor, 16 cores; libtorch 2\.11\.0; cpu fp32 \|/,
  );
  assert.match(
    out[3],
    /^\| GPU \| \*\*no result yet\*\*: no CUDA run has finished; GPU machines seen so far: NVIDIA H200 \(\[a CPU run there\]\(results\/h200\.json\)\); see \[docs\/gpu\.md\]\(docs\/gpu\.md\) \| – \|/,
  );
});

Deno.test("renderHeadline() fills the seed's GPU row from the newest paired CUDA run when fp32 eager was not paired", () => {
  const gpu = pairedResult("2025-02-01T00:00:00.000Z");
  const [ours] = gpu.runs;
  const onGpu = (r: Run): Run => ({ ...r, device: "cuda", deviceName: "NVIDIA H200" });
  gpu.runs = [{
    ...onGpu(ours),
    label: "deno+libtorch cuda fp32",
    options: { cudaGraphs: true },
    baseline: onGpu(ours.baseline!),
    moreBaselines: [],
  }];
  const out = lines(renderHeadline([{ path: "results/gpu.json", result: gpu }], link));
  assert.match(
    out[3],
    /^\| GPU \| NVIDIA H200; libtorch 2\.5\.1; cuda fp32, CUDA graphs \| \[36\.0 ms\]\(results\/gpu\.json\) \| \[40\.0 ms\]\(results\/gpu\.json\) \| \[1\.11× faster/,
  );
});

Deno.test("renderHeadline() keeps libtorch releases apart", () => {
  const text = renderHeadline([
    { path: "results/new.json", result: pairedResult("2025-02-01T00:00:00.000Z", "2.5.1") },
    { path: "results/old.json", result: pairedResult("2025-01-01T00:00:00.000Z", "1.13.1") },
  ], link);
  const rows = lines(text).filter((l) => l.startsWith("| AMD EPYC"));
  assert.deepEqual(rows.map((r) => r.split(" | ")[1]), ["1.13.1", "2.5.1"]);
});

Deno.test("renderTerminalSummary() gives medians, accuracy, the paired verdicts and the unstable", () => {
  const summaryLines = renderTerminalSummary(pairedResult("2025-02-01T00:00:00.000Z"));
  assert.deepEqual(summaryLines.slice(-2), [
    "deno+libtorch ran 1.11× faster [1.09, 1.14] than PyTorch eager (cpu, fp32, 4 paired rounds)",
    "deno+libtorch: no significant difference (1.00× [0.98, 1.02]) from libtorch C++ " +
    "(cpu, fp32, 4 paired rounds)",
  ]);
  assert.equal(summaryLines[0], "deno+libtorch 2.5.1 cpu fp32: median step 36.00 ms");
  const loaded = renderTerminalSummary(loadedResult("2025-02-01T00:00:00.000Z"));
  assert.match(loaded[0], /: median step 2209\.75 ms; UNSTABLE: step times spread: IQR/);
  const unpaired = renderTerminalSummary(fixture());
  assert.ok(unpaired.every((l) => !l.includes("×")), unpaired.join("\n"));
  assert.match(unpaired[0], /median step 40\.00 ms, test accuracy 98\.11%$/);
});

Deno.test("parseBenchResult() accepts the fixture after a JSON round trip", () => {
  const result = fixture();
  assert.deepEqual(parseBenchResult(JSON.parse(JSON.stringify(result))), result);
});

Deno.test("parseBenchResult() names the first mismatching field", () => {
  const value = JSON.parse(JSON.stringify(fixture()));
  value.runs[1].baseline.stepMs.median = "fast";
  assert.throws(() => parseBenchResult(value), {
    name: "SchemaError",
    message: 'runs[1].baseline.stepMs.median: expected a finite number, found "fast"',
  });
  assert.throws(() => parseBenchResult({ ...fixture(), schema: 2 }), {
    message: "schema: expected 1, found number 2",
  });
  const missing = JSON.parse(JSON.stringify(fixture()));
  delete missing.env.hostname;
  assert.throws(() => parseBenchResult(missing), {
    message: "env.hostname: expected a string, found no such field",
  });
});

Deno.test("parseBenchResult() reads every committed results/*.json", async () => {
  const dir = new URL("../results/", import.meta.url).pathname;
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".json"));
  assert.ok(names.length > 0, `expected result files in ${dir}, found none`);
  for (const name of names) {
    const value = JSON.parse(await Deno.readTextFile(join(dir, name)));
    assert.doesNotThrow(() => parseBenchResult(value), name);
  }
});

Deno.test("parseBenchResult() keeps a stop reason and a deadline, and names a wrong one", () => {
  const value = JSON.parse(JSON.stringify(fixture()));
  value.stopReason = "SIGTERM";
  value.runs[0].stopReason = "deadline: 60 s passed";
  value.config.maxSeconds = 60;
  const back = parseBenchResult(value);
  assert.equal(back.stopReason, "SIGTERM");
  assert.equal(back.runs[0].stopReason, "deadline: 60 s passed");
  assert.equal(back.config.maxSeconds, 60);
  value.runs[0].stopReason = 3;
  assert.throws(() => parseBenchResult(value), {
    message: "runs[0].stopReason: expected a string, found number 3",
  });
});

Deno.test("parseBenchResult() names the choices of an enum, the object it wanted and the union", () => {
  const bad = (edit: (v: ReturnType<typeof JSON.parse>) => void) => {
    const value = JSON.parse(JSON.stringify(fixture()));
    edit(value);
    return () => parseBenchResult(value);
  };
  assert.throws(bad((v) => (v.runs[0].device = "tpu")), {
    message: 'runs[0].device: expected one of "cpu", "cuda", found "tpu"',
  });
  assert.throws(bad((v) => (v.runs[0].options.x = [1])), {
    message: "runs[0].options.x: expected a boolean, a string or a finite number, found an array",
  });
  assert.throws(() => parseBenchResult([]), {
    message: "result: expected an object, found an array",
  });
  assert.throws(bad((v) => (v.createdAt = "yesterday")), {
    message: 'createdAt: expected an ISO 8601 timestamp, found "yesterday"',
  });
});

Deno.test("benchResultSchema exports as JSON Schema with every top-level field", () => {
  const schema = z.toJSONSchema(benchResultSchema, { io: "input" }) as { properties: object };
  assert.deepEqual(
    Object.keys(schema.properties).sort(),
    Object.keys(fixture()).concat("stopReason").sort(),
  );
});

Deno.test("parseBenchResult() reads a diverged (null) loss back as NaN", () => {
  const result = fixture();
  result.runs[0].epochs[0].loss = NaN;
  const back = parseBenchResult(JSON.parse(JSON.stringify(result)));
  assert.ok(Number.isNaN(back.runs[0].epochs[0].loss));
  assert.ok(renderMarkdown([back]).includes("| deno+libtorch 2.5.1 cpu fp32 | 1 | NaN |"));
});

Deno.test("renderCharts() draws the headline runs' ratios and step times, and ours beside PyTorch's loss", async () => {
  const charts = await renderCharts([
    { path: "results/a.json", result: pairedResult("2025-02-01T00:00:00.000Z") },
    { path: "results/loaded.json", result: loadedResult("2025-03-01T00:00:00.000Z") },
    { path: "results/b.json", result: fixture() },
  ]);
  assert.deepEqual(charts.map((c) => c.file), ["ratios.svg", "step-time.svg", "loss.svg"]);
  for (const chart of charts) assert.ok(chart.svg.startsWith("<svg"), `${chart.file} is SVG`);
  for (const label of ["PyTorch", "libtorch C++"]) {
    assert.ok(charts[0].svg.includes(`>${label}</text>`), `expected ${label} in ratios.svg`);
  }
  assert.ok(charts[1].svg.includes(">deno+libtorch</text>"));
  assert.ok(!charts[1].svg.includes("2209"), "the loaded run is not in the step-time chart");
  // Only the CPU run and its baseline trained epochs beside each other.
  assert.ok(charts[2].svg.includes(">deno+libtorch 2.5.1 cpu fp32</text>"));
  assert.ok(charts[2].svg.includes(">pytorch cpu fp32</text>"));
  assert.ok(!charts[2].svg.includes(">deno+libtorch 2.5.1 cuda fp32</text>"));
});

Deno.test("renderCharts() leaves out charts without data", async () => {
  const result = fixture();
  for (const r of result.runs) {
    r.epochs = [];
    if (r.baseline) r.baseline.epochs = [];
  }
  assert.deepEqual(await renderCharts([{ path: "r.json", result }]), []);
});

/** Every encoding of a spec and of its layers, with the spec's inline data. */
function encodings(spec: Record<string, unknown>): [string, Record<string, unknown>][] {
  const own = Object.entries((spec.encoding ?? {}) as Record<string, Record<string, unknown>>);
  const layers = (spec.layer ?? []) as Record<string, unknown>[];
  return [...own, ...layers.flatMap(encodings)];
}

Deno.test("every chart spec puts numbers on quantitative axes and draws at most 8 series", async () => {
  const { results } = await loadResults(new URL("../results", import.meta.url).pathname);
  const sources = [
    ...results.map((r) => ({ path: r.path, result: r.result })),
    { path: "results/a.json", result: pairedResult("2030-02-01T00:00:00.000Z") },
    { path: "results/b.json", result: fixture() },
  ];
  const specs = chartSpecs(sources);
  assert.deepEqual(specs.map((c) => c.file), [
    "ratios.svg",
    "step-time.svg",
    "loss.svg",
    "scaling.svg",
  ]);
  for (const { file, spec } of specs) {
    const s = spec;
    const values = (s.data as { values: Record<string, unknown>[] }).values;
    for (const [channel, enc] of encodings(s)) {
      if (typeof enc.field !== "string") continue;
      const data = values.map((v) => v[enc.field as string]);
      if (["x", "y", "x2", "y2"].includes(channel) && data.every((v) => typeof v === "number")) {
        assert.equal(enc.type ?? "quantitative", "quantitative", `${file}: ${channel} is numeric`);
      }
      const numeral = (v: unknown) => typeof v === "string" && /^\d+(\.\d+)?$/.test(v);
      assert.ok(!data.every(numeral), `${file}: ${channel} holds numbers written as text`);
      if (["color", "strokeDash", "shape"].includes(channel)) {
        const series = new Set(data).size;
        assert.ok(series <= MAX_SERIES, `${file}: ${series} series in ${channel}`);
      }
    }
  }
  const stepTime = specs[1].spec as { data: { values: { row: string }[] } };
  const { rows } = headlineRows(sources);
  assert.equal(new Set(stepTime.data.values.map((v) => v.row)).size, rows.length);
});

Deno.test("reportMain() writes docs/results.md and charts, skipping invalid files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bench_report_" });
  try {
    const results = join(dir, "results");
    const docs = join(dir, "docs");
    await Deno.mkdir(results);
    await Deno.writeTextFile(
      join(results, "2025-01-31-gpu-box-cpu-cuda.json"),
      JSON.stringify(fixture()),
    );
    await Deno.writeTextFile(join(results, "broken.json"), "{");
    await Deno.writeTextFile(join(results, "other.json"), JSON.stringify({ schema: 1 }));
    const log: string[] = [];
    const errors: string[] = [];
    const readme = join(dir, "README.md");
    await Deno.writeTextFile(
      readme,
      "# T\n<!-- headline:start -->\nold\n<!-- headline:end -->\nend\n",
    );
    const args = ["--results", results, "--docs", docs, "--readme", readme];
    const status = await reportMain(args, {
      log: (l) => log.push(l),
      error: (l) => errors.push(l),
    });
    assert.equal(status, 0);
    assert.equal(errors.length, 2);
    assert.match(errors[0], /^skipping .*broken\.json: expected JSON, found a parse error: /);
    assert.equal(
      errors[1],
      `skipping ${join(results, "other.json")}: createdAt: expected a string, found no such field`,
    );
    const markdown = await Deno.readTextFile(join(docs, "results.md"));
    assert.ok(
      markdown.startsWith(
        `<!-- generated by \`deno task report\` from ${results}/*.json, do not edit -->\n`,
      ),
    );
    assert.ok(
      markdown.includes("![Training loss per epoch, ours and PyTorch](charts/loss.svg)"),
    );
    assert.ok(markdown.includes(HEADER));
    assert.ok(markdown.includes("File: [2025-01-31-gpu-box-cpu-cuda.json](../results/"));
    assert.ok((await Deno.readTextFile(join(docs, "charts", "loss.svg"))).startsWith("<svg"));
    assert.match(log[0], /^wrote .*results\.md: 1 result, 1 chart, 2 invalid file\(s\) skipped$/);
    const spliced = await Deno.readTextFile(readme);
    assert.ok(!spliced.includes("\nold\n") && spliced.includes("| The seed's question"), spliced);
    assert.ok(
      spliced.startsWith("# T\n<!-- headline:start -->\n") &&
        spliced.endsWith("<!-- headline:end -->\nend\n"),
    );

    const again = await reportMain([...args, "--strict"], {
      log: (l) => log.push(l),
      error: () => {},
    });
    assert.equal(again, 1);
    assert.match(log[2], /^unchanged /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reportMain() rejects an unknown flag with status 2", async () => {
  const errors: string[] = [];
  assert.equal(await reportMain(["--nope"], { error: (l) => errors.push(l) }), 2);
  assert.deepEqual(errors, [
    'error: expected a known flag (see --help), found "--nope"',
    "Run 'deno task report --help' for every flag and its default.",
  ]);
});

Deno.test("reportMain() --help lists every flag with its default", async () => {
  const log: string[] = [];
  assert.equal(await reportMain(["--help"], { log: (l) => log.push(l) }), 0);
  for (const flag of ["--results DIR", "--docs DIR", "--readme FILE", "--strict", "-h, --help"]) {
    assert.ok(log[0].includes(`  ${flag}`), `expected ${flag} in:\n${log[0]}`);
  }
  assert.equal((log[0].match(/\(default: /g) ?? []).length, 4);
});

Deno.test("runName() names the speed options a run used and leaves the device's defaults out", () => {
  assert.equal(
    runName(run({
      label: "deno+libtorch cuda bf16",
      device: "cuda",
      options: {
        cudaGraphs: true,
        tf32: false,
        channelsLast: true,
        cudnnBenchmark: true,
        adam: "fused",
        clipGradNorm: 1,
      },
    })),
    "deno+libtorch cuda bf16, CUDA graphs, channels-last, cuDNN benchmark, Adam fused, clip-grad-norm 1",
  );
  assert.equal(
    runName(
      run({ label: "deno+libtorch cuda fp32", device: "cuda", options: { adam: "foreach" } }),
    ),
    "deno+libtorch cuda fp32",
  );
  assert.equal(
    runName(run({ label: "deno+libtorch cpu fp32", device: "cpu", options: { adam: "foreach" } })),
    "deno+libtorch cpu fp32, Adam foreach",
  );
  // Results written before the options existed carry none of them.
  assert.equal(
    runName(run({ label: "pytorch 2.11.0 cuda fp32", device: "cuda" })),
    "pytorch 2.11.0 cuda fp32",
  );
});

Deno.test("renderGpuSummary() compares the fastest CUDA step with PyTorch, eager and the same machine's CPU", () => {
  const plain = fixture(); // CPU + CUDA fp32 eager with PyTorch baselines, host gpu-box
  const tenEpochs = (accuracy: number, seconds: number) =>
    Array.from({ length: 10 }, (_, i) => ({
      epoch: i + 1,
      loss: 0.1,
      seconds,
      testAccuracy: accuracy,
      evalSeconds: 0.1,
    }));
  plain.runs[1].epochs = tenEpochs(0.99, 6);
  plain.runs[1].finalTestAccuracy = 0.99;
  const fast: BenchResult = {
    ...fixture(),
    createdAt: "2025-01-31T11:00:00.000Z",
    runs: [run({
      label: "deno+libtorch cuda bf16",
      device: "cuda",
      stepMs: summary(1),
      options: { cudaGraphs: true, adam: "fused", channelsLast: true },
      epochs: tenEpochs(0.9885, 0.9),
      finalTestAccuracy: 0.9885,
    })],
  };
  const tf32: BenchResult = {
    ...fixture(),
    createdAt: "2025-01-31T10:40:00.000Z",
    runs: [run({
      label: "deno+libtorch cuda fp32",
      device: "cuda",
      stepMs: summary(3),
      options: { tf32: true },
      baseline: run({
        label: "pytorch cuda fp32",
        implementation: "pytorch",
        device: "cuda",
        stepMs: summary(4),
        options: { tf32: true },
      }),
    })],
  };
  const text = renderGpuSummary([fast, tf32, plain]).join("\n");
  const apart = "\\(not paired: no ratio is drawn\\)";
  assert.match(text, /^### NVIDIA H100 80GB HBM3 \(host gpu-box\)/);
  assert.match(
    text,
    /Fastest CUDA step of this stack: deno\+libtorch 2\.5\.1 cuda bf16, CUDA graphs, channels-last, Adam fused, median 1\.00 ms/,
  );
  assert.match(
    text,
    new RegExp(
      `PyTorch eager on the same GPU \\(pytorch cuda fp32, TF32, median 4\\.00 ms.*separate invocations\\): median 1\\.00 ms against 4\\.00 ms ${apart}`,
    ),
  );
  assert.match(
    text,
    /fp32 eager step on the same GPU \(median 4\.00 ms.*\): median 1\.00 ms against 4\.00 ms/,
  );
  assert.match(text, /side by side in one invocation: median 4\.00 ms against 5\.00 ms/);
  assert.match(
    text,
    /CPU of the same machine \(AMD EPYC 7763, 16 threads, median 40\.00 ms.*: the fastest CUDA step's median 1\.00 ms against 40\.00 ms/,
  );
  assert.doesNotMatch(text, /× (faster|slower)/);
  assert.match(
    text,
    /\| deno\+libtorch 2\.5\.1 cuda bf16, CUDA graphs, channels-last, Adam fused \| 9\.0 \| 98\.85% \| -0\.15 \|/,
  );
  assert.match(text, /\| deno\+libtorch 2\.5\.1 cuda fp32 \| 60\.0 \| 99\.00% \| 0\.00 \|/);
  assert.deepEqual(renderGpuSummary([]), []);
  const cpuOnly = { ...fixture(), runs: [fixture().runs[0]] };
  assert.deepEqual(renderGpuSummary([cpuOnly]), []);
});

Deno.test("isPlainRun() is fp32 eager with the device's default Adam and nothing else", () => {
  assert.ok(isPlainRun(run({ label: "a", device: "cpu" })));
  assert.ok(
    isPlainRun(run({ label: "a", device: "cuda", options: { adam: "foreach", tf32: false } })),
  );
  assert.ok(!isPlainRun(run({ label: "a", device: "cpu", options: { adam: "foreach" } })));
  assert.ok(!isPlainRun(run({ label: "a", device: "cuda", options: { cudaGraphs: true } })));
  assert.ok(!isPlainRun(run({ label: "a", device: "cuda", precision: "bf16" })));
  assert.ok(!isPlainRun(run({ label: "a", device: "cpu", options: { clipGradNorm: 1 } })));
});
