import assert from "node:assert/strict";
import { join } from "node:path";
import { fastestResult } from "../src/bench/fastest.ts";
import { runScript, type ScriptRun, windowResult } from "./_helpers.ts";

Deno.test("fastestResult() picks the candidate with the lowest median step", async () => {
  const best = fastestResult([
    { name: "sweep-fused", result: await windowResult(4, 9) },
    { name: "sweep-graphs", result: await windowResult(2.5, 9) },
    { name: "sweep-graphs-bf16", result: await windowResult(3, 1) },
  ]);
  // The baseline's 1 ms is not this stack's step: it is not compared.
  assert.deepEqual(best, { name: "sweep-graphs", medianMs: 2.5 });
});

Deno.test("fastestResult() gives a tie to the first listed and skips runs that did not finish", async () => {
  const unfinished = await windowResult(1, 1);
  unfinished.runs[0].complete = false;
  const best = fastestResult([
    { name: "unfinished", result: unfinished },
    { name: "a", result: await windowResult(3, 9) },
    { name: "b", result: await windowResult(3, 9) },
  ]);
  assert.deepEqual(best, { name: "a", medianMs: 3 });
  assert.equal(fastestResult([{ name: "unfinished", result: unfinished }]), null);
  assert.equal(fastestResult([]), null);
});

function cli(args: string[]): Promise<ScriptRun> {
  return runScript("scripts/fastest_run.ts", args);
}

Deno.test("scripts/fastest_run.ts prints the fastest file's name and leaves out the unreadable", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const slow = join(dir, "sweep-fused.json"), fast = join(dir, "sweep-graphs.json");
    await Deno.writeTextFile(slow, JSON.stringify(await windowResult(4, 9)));
    await Deno.writeTextFile(fast, JSON.stringify(await windowResult(2, 9)));
    const bad = join(dir, "sweep-bad.json");
    await Deno.writeTextFile(bad, `{"schema": 0}`);
    const r = await cli([slow, join(dir, "sweep-missing.json"), bad, fast]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "sweep-graphs\n");
    assert.match(r.stderr, /sweep-fused: median step 4\.000 ms/);
    assert.match(r.stderr, /sweep-graphs: median step 2\.000 ms/);
    assert.match(r.stderr, /sweep-missing: left out \(.*sweep-missing\.json/);
    assert.match(r.stderr, /sweep-bad: left out \(.*schema/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scripts/fastest_run.ts exits 2 with a reason when no file has a complete run", async () => {
  const r = await cli(["no/such/sweep.json"]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /expected at least one result with a complete run, found none in 1 file/);
});
