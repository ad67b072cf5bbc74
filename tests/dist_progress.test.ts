/**
 * `--nproc 2` with the progress on, past the 25th step (where the progress line reads the
 * loss): only rank 0 shows progress, so the read must be its own loss, not the ranks' mean (a
 * collective rank 1 never joins). Before, rank 0 waited in that all-reduce while rank 1 went on
 * to the next step's, and the run failed at the process-group timeout.
 */
import "./_shim.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { BENCH_MAIN, writeTinyDataset } from "./_helpers.ts";

Deno.test("--nproc 2 with progress lines runs past the step whose loss the progress reads", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeTinyDataset(join(dir, "data"), { train: 640, test: 100 });
    const args = ["--nproc", "2", "--threads", "2", "--device", "cpu", "--dist-timeout", "20"]
      .concat(["--data", join(dir, "data"), "--steps", "25", "--warmup", "1"])
      .concat(["--breakdown-steps", "0", "--out", join(dir, "out")]);
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", BENCH_MAIN, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(run.stderr);
    assert.strictEqual(run.code, 0, stderr);
    assert.match(stderr, /timed step \d+\/26/, "rank 0's progress lines");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
