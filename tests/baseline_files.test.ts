// src/bench/baselines/baseline_files.ts: what a baseline process writes is parsed by a schema, never cast.
import assert from "node:assert/strict";
import {
  baselineFileSchema,
  ddpFileSchema,
  readBaselineFile,
} from "../src/bench/baselines/baseline_files.ts";

/** Writes `value` as JSON to a temporary file and runs fn on its path; removes it after. */
async function withFile<T>(text: string, fn: (path: string) => Promise<T>): Promise<T> {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(path, text);
    return await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

const pytorchFile = {
  torchVersion: "1.13.1",
  deviceName: "cpu",
  threads: 2,
  firstStepMs: 90,
  warmupMs: [90],
  stepMs: [80, 81],
  stepLosses: [2.3, null, 2.1],
  epochs: [],
  timeToTargetSeconds: null,
  peakMemoryBytes: null,
  finalTestAccuracy: null,
};

Deno.test("a baseline file that matches its format is read, null losses as NaN", async () => {
  const j = await withFile(
    JSON.stringify(pytorchFile),
    (p) => readBaselineFile(baselineFileSchema, p, "pytorch_baseline.py"),
  );
  assert.deepEqual(j.stepMs, [80, 81]);
  assert.ok(Number.isNaN(j.stepLosses![1]));
});

Deno.test("a baseline file with a field of the wrong type names the file and the field", async () => {
  const bad = JSON.stringify({ ...pytorchFile, stepMs: ["80"] });
  await withFile(bad, async (p) => {
    await assert.rejects(
      () => readBaselineFile(baselineFileSchema, p, "pytorch_baseline.py"),
      (e: Error) => e.message.includes(p) && e.message.includes("stepMs.0"),
    );
  });
});

Deno.test("a DDP baseline file missing a field is refused, naming the field", async () => {
  const { perRankAllreduceShare: _, ...rest } = {
    torchVersion: "1.13.1",
    threads: 1,
    warmupMs: [],
    stepMs: [1],
    stepLosses: [1],
    perRankStepMedianMs: [1, 1],
    perRankAllreduceShare: [0.1, 0.1],
    singleRank: { batchSize: 32, timedMs: [1] },
  };
  await withFile(JSON.stringify(rest), async (p) => {
    await assert.rejects(
      () => readBaselineFile(ddpFileSchema, p, "pytorch_ddp.py"),
      /pytorch_ddp\.py wrote .* at perRankAllreduceShare/,
    );
  });
});

Deno.test("a baseline file that is not JSON (Python's bare NaN) says so", async () => {
  await withFile('{"stepMs": [NaN]}', async (p) => {
    await assert.rejects(
      () => readBaselineFile(baselineFileSchema, p, "pytorch_baseline.py"),
      /which is not JSON/,
    );
  });
});
