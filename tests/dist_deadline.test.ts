/**
 * `--max-seconds` with `--nproc 2`: the ranks decide on the latest rank's clock, so both stop
 * at the same step boundary; the launcher exits 0 (a deadline is no failure: before, rank 1
 * exited 130 and the launcher reported a failed run) and rank 0 writes one result marked
 * incomplete with the deadline's reason.
 */
import "./_shim.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { BENCH_MAIN, writeTinyDataset } from "./_helpers.ts";

Deno.test("--nproc 2 --max-seconds: both ranks stop at the deadline, exit 0, one result", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeTinyDataset(join(dir, "data"), { train: 640, test: 100 });
    const out = join(dir, "out");
    const args = ["--nproc", "2", "--threads", "2", "--device", "cpu", "--no-progress"]
      .concat(["--data", join(dir, "data"), "--steps", "2", "--warmup", "1"])
      .concat(["--breakdown-steps", "0", "--epochs", "50", "--max-seconds", "6", "--out", out]);
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", BENCH_MAIN, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(run.stderr);
    assert.strictEqual(run.code, 0, stderr);
    assert.doesNotMatch(stderr, /failed/);
    const files = [...Deno.readDirSync(out)].map((e) => e.name).filter((f) => f.endsWith(".json"));
    assert.strictEqual(files.length, 1, files.join(", "));
    const result = JSON.parse(Deno.readTextFileSync(join(out, files[0])));
    assert.strictEqual(result.complete, false);
    assert.match(result.stopReason, /^deadline: /);
    assert.ok(result.runs[0].epochs.length < 50, "stopped before the 50 epochs");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
