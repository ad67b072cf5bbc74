/**
 * Nothing outlives its launcher (src/dist/child.ts): a tied child lives as long as the process that
 * started it, past the runtime's idle-thread timeout (PR_SET_PDEATHSIG fires when the parent
 * *thread* ends), and is gone within 5 s of kill -9 of it; kill -9 of the harness during a paired
 * window leaves no baseline worker (PyTorch's, the C++ one) running 5 s later.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BENCH_MAIN, hasPythonTorch, writeTinyDataset } from "./_helpers.ts";
import { awaitGone, childrenOf, running } from "./_procs.ts";
import { LIBTORCH_WORKER } from "../src/bench/baselines/paired_workers.ts";

/** A process's output, collected as it comes, and a wait for a pattern in it. */
function follow(child: Deno.ChildProcess) {
  const text = { out: "" };
  const pump = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) text.out += chunk;
  })();
  const waitFor = async (pattern: RegExp, seconds: number) => {
    for (let t = 0; t < seconds * 10; t++) {
      const m = pattern.exec(text.out);
      if (m) return m;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`expected ${pattern} within ${seconds} s, found:\n${text.out}`);
  };
  return { text, pump, waitFor };
}

Deno.test("a tied child outlives its launcher's idle threads (12 s), and not its launcher (kill -9)", async () => {
  const child = new URL("../src/dist/child.ts", import.meta.url).href;
  const launcher = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { tiedCommand } from "${child}";
      const c = tiedCommand("sleep", ["300"], { stdout: "null" }).spawn();
      console.error("child " + c.pid);
      for (let i = 0; i < 12; i++) {
        await Deno.readTextFile("/proc/self/stat"); // work on the runtime's blocking threads
        await new Promise((r) => setTimeout(r, 1000));
      }
      console.error("waited");
      await c.status;`,
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const run = follow(launcher);
  const pid = Number((await run.waitFor(/child (\d+)/, 30))[1]);
  await run.waitFor(/waited/, 60);
  assert.ok(running(pid), "the child still runs 12 s on, its launcher alive");
  launcher.kill("SIGKILL");
  await launcher.status;
  await run.pump;
  assert.deepEqual(
    await awaitGone([pid], 5),
    [],
    "the child runs 5 s after kill -9 of its launcher",
  );
});

Deno.test({
  name: "kill -9 of the harness during a paired window: no baseline worker runs 5 s later",
  ignore: !hasPythonTorch(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "orphans-" });
    try {
      await writeTinyDataset(join(dir, "data"), { train: 128, test: 32 });
      const baselines = existsSync(LIBTORCH_WORKER) ? "pytorch,libtorch" : "pytorch";
      const harness = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", BENCH_MAIN, "--device", "cpu", "--threads", "1", "--no-progress"]
          .concat([
            "--data",
            join(dir, "data"),
            "--batch-size",
            "64",
            "--steps",
            "160",
            "--warmup",
            "1",
          ])
          .concat(["--window-steps", "40", "--baseline", baselines, "--out", join(dir, "out")]),
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const run = follow(harness);
      // Round 2 under way: a worker busy with its window (one waiting on stdin would quit at EOF).
      await run.waitFor(/paired round 1\//, 300);
      const workers = childrenOf(harness.pid);
      assert.equal(workers.length, baselines.split(",").length, `workers: ${workers.join(" ")}`);
      harness.kill("SIGKILL");
      await harness.status;
      await run.pump;
      assert.deepEqual(await awaitGone(workers, 5), [], "workers running 5 s after kill -9");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
