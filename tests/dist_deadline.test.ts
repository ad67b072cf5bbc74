/**
 * `--max-seconds` with `--nproc 2`: the ranks decide on the latest rank's clock, so both stop
 * at the same step boundary; the launcher exits 0 (a deadline is no failure: before, rank 1
 * exited 130 and the launcher reported a failed run) and rank 0 writes one result marked
 * incomplete with the deadline's reason.
 */
import "./_shim.ts";
import assert from "node:assert/strict";
import { benchTwoRanks } from "./_dist.ts";

Deno.test("--nproc 2 --max-seconds: both ranks stop at the deadline, exit 0, one result", async () => {
  const run = await benchTwoRanks(
    ["--no-progress", "--steps", "2", "--warmup", "1", "--breakdown-steps", "0"]
      .concat(["--epochs", "50", "--max-seconds", "6"]),
  );
  assert.strictEqual(run.code, 0, run.stderr);
  assert.doesNotMatch(run.stderr, /failed/);
  assert.strictEqual(run.jsonFiles, 1, "one result");
  assert.strictEqual(run.json.complete, false);
  assert.match(run.json.stopReason, /^deadline: /);
  assert.ok(run.json.runs[0].epochs.length < 50, "stopped before the 50 epochs");
});
