/**
 * `--nproc 2` with the progress on, past the 25th step (where the progress line reads the
 * loss): only rank 0 shows progress, so the read must be its own loss, not the ranks' mean (a
 * collective rank 1 never joins). Before, rank 0 waited in that all-reduce while rank 1 went on
 * to the next step's, and the run failed at the process-group timeout.
 */
import "./_shim.ts";
import assert from "node:assert/strict";
import { benchTwoRanks } from "./_dist.ts";

Deno.test("--nproc 2 with progress lines runs past the step whose loss the progress reads", async () => {
  const run = await benchTwoRanks(
    ["--dist-timeout", "20", "--steps", "25", "--warmup", "1", "--breakdown-steps", "0"],
  );
  assert.strictEqual(run.code, 0, run.stderr);
  assert.match(run.stderr, /timed step \d+\/26/, "rank 0's progress lines");
});
