// Worker protocol v1 (src/bench/baselines/worker_protocol.ts), its client (worker.ts) against scripted fake workers (no torch)
// and against baselines/pytorch_baseline.py --serve on a tiny IDX set.
import assert from "node:assert/strict";
import { startWorker, type WorkerConfig, WorkerError } from "../src/bench/baselines/worker.ts";
import { BASELINE_SCRIPT } from "../src/bench/baselines/baseline.ts";
import { hasPythonTorch, PYTHON, withTinyData } from "./_helpers.ts";

const CONFIG: WorkerConfig = {
  dataDir: "/nonexistent",
  device: "cpu",
  threads: 1,
  batchSize: 64,
  lr: 1e-3,
  seed: 0,
  tf32: false,
};

const READY =
  '{"ready":true,"implementation":"libtorch","version":"1.13.1","deviceName":"x","threads":1}';

/** A fake worker: a shell script (the protocol's arguments land in $1...). */
function fake(script: string) {
  return { program: "sh", args: ["-c", script, "fake"], name: "fake worker" };
}

Deno.test("a worker's ready line and steps replies are read and checked", async () => {
  const w = await startWorker(
    fake(
      `echo '${READY}'; read line; echo '{"stepMs":[1.5,2],"losses":[2.3,null]}'; ` +
        `read line; echo '{"bye":true}'`,
    ),
    CONFIG,
  );
  assert.equal(w.ready.implementation, "libtorch");
  const r = await w.steps(2);
  assert.deepEqual(r.stepMs, [1.5, 2]);
  assert.equal(r.losses[0], 2.3);
  assert.ok(Number.isNaN(r.losses[1]));
  await w.quit();
});

Deno.test("a worker's error reply becomes a WorkerError with its message", async () => {
  const w = await startWorker(
    fake(`echo '${READY}'; read line; echo '{"error":"expected n >= 1, found 0"}'; read line`),
    CONFIG,
  );
  await assert.rejects(() => w.steps(1), (e) => {
    assert.ok(e instanceof WorkerError);
    assert.equal(e.message, "fake worker: expected n >= 1, found 0");
    return true;
  });
  await w.kill();
});

Deno.test("a worker that dies is named with its exit code and last stderr lines", async () => {
  const w = await startWorker(
    fake(`echo '${READY}'; read line; echo 'out of memory' >&2; echo 'giving up' >&2; exit 3`),
    CONFIG,
  );
  await assert.rejects(
    () => w.steps(4),
    new WorkerError(
      "fake worker exited with code 3; its last stderr lines: out of memory | giving up",
    ),
  );
  await w.kill();
});

Deno.test("a worker that breaks the protocol is rejected with what was found", async () => {
  await assert.rejects(
    () => startWorker(fake("echo hello"), CONFIG),
    new WorkerError('fake worker: expected a JSON line, found "hello"'),
  );
  await assert.rejects(
    () => startWorker(fake(`echo '{"ready":true}'`), CONFIG),
    /fake worker: expected a reply with implementation .*found/,
  );
  const w = await startWorker(fake(`echo '${READY}'; read line; echo '{"stepMs":[1]}'`), CONFIG);
  await assert.rejects(() => w.steps(1), /expected a reply with losses/);
  await w.kill();
  const v = await startWorker(
    fake(`echo '${READY}'; read line; echo '{"stepMs":[1],"losses":[1]}'`),
    CONFIG,
  );
  await assert.rejects(() => v.steps(2), /expected 2 step times and losses, found 1 and 1/);
  await v.kill();
  await assert.rejects(
    () => startWorker({ program: "/no/such/worker" }, CONFIG),
    /\/no\/such\/worker worker: could not start \/no\/such\/worker/,
  );
});

Deno.test({
  name: "the PyTorch worker continues the batch order across steps calls, as its --steps run",
  ignore: !hasPythonTorch(),
  async fn() {
    await withTinyData("worker-idx-", { train: 100, test: 20 }, async (dir, data) => {
      // 100 images: batches of 64 and 36, so 5 steps wrap into two new permutations.
      const w = await startWorker({ program: PYTHON, args: [BASELINE_SCRIPT] }, {
        ...CONFIG,
        dataDir: data,
      });
      assert.equal(w.ready.implementation, "pytorch");
      assert.equal(w.ready.threads, 1);
      const losses = [...(await w.steps(3)).losses, ...(await w.steps(2)).losses];
      await w.quit();
      const out = `${dir}/a.json`;
      const run = new Deno.Command(PYTHON, {
        args: [BASELINE_SCRIPT, "--data", data, "--threads", "1", "--steps", "5", "--warmup", "0"]
          .concat(["--json", out]),
        stderr: "null",
      }).outputSync();
      assert.ok(run.success);
      assert.deepEqual(losses, JSON.parse(Deno.readTextFileSync(out)).stepLosses);
    });
  },
});

Deno.test({
  name: "the PyTorch worker answers a bad command with an error line and keeps serving",
  ignore: !hasPythonTorch(),
  async fn() {
    await withTinyData("worker-idx-", { train: 64, test: 10 }, async (_dir, data) => {
      const child = new Deno.Command(PYTHON, {
        args: [BASELINE_SCRIPT, "--serve", "--data", data, "--threads", "1"],
        stdin: "piped",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(
        new TextEncoder().encode('nonsense\n{"op":"steps","n":0}\n{"op":"quit"}\n'),
      );
      await writer.close();
      const { code, stdout } = await child.output();
      const lines = new TextDecoder().decode(stdout).trim().split("\n").map((l) => JSON.parse(l));
      assert.equal(code, 0);
      assert.equal(lines[0].ready, true);
      assert.deepEqual(lines.slice(1), [
        { error: 'expected {"op":"steps","n":K >= 1} or {"op":"quit"}, found nonsense' },
        {
          error: 'expected {"op":"steps","n":K >= 1} or {"op":"quit"}, found {"op":"steps","n":0}',
        },
        { bye: true },
      ]);
    });
  },
});

/** Whether `pid` is a process that still runs (not gone, not a zombie). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return false;
  }
}

Deno.test("a worker that hangs after ready, ignores SIGTERM and leaves stderr held open is reported within its deadline + 5 s", async () => {
  const pidFile = await Deno.makeTempFile();
  // The worker ignores SIGTERM (so do its children); a grandchild in a session of its own holds
  // stdout and stderr open after the group is killed.
  const w = await startWorker({
    ...fake(
      `trap '' TERM; setsid sleep 300 & echo $! > ${pidFile}; ` +
        `sleep 300 & echo '${READY}'; read line; wait`,
    ),
    deadline: { floorMs: 2000, factor: 0 },
  }, CONFIG);
  const start = performance.now();
  try {
    await assert.rejects(() => w.steps(1), (e) => {
      assert.ok(e instanceof WorkerError);
      assert.match(e.message, /fake worker: expected a reply to steps within 2\.0 s, found none/);
      return true;
    });
    const seconds = (performance.now() - start) / 1000;
    assert.ok(seconds < 2 + 5, `reported after ${seconds.toFixed(1)} s (deadline 2 s)`);
  } finally {
    const held = Number(Deno.readTextFileSync(pidFile).trim());
    if (running(held)) Deno.kill(held, "SIGKILL");
    await Deno.remove(pidFile);
  }
});

Deno.test("a worker that never says ready is ended and reported within its ready deadline + 5 s", async () => {
  const start = performance.now();
  await assert.rejects(
    () =>
      startWorker({
        ...fake(`trap '' TERM; echo 'importing...' >&2; sleep 300`),
        deadline: { readyMs: 2000 },
      }, CONFIG),
    /fake worker: expected its ready line within 2\.0 s, found none/,
  );
  const seconds = (performance.now() - start) / 1000;
  assert.ok(seconds < 2 + 5, `reported after ${seconds.toFixed(1)} s (deadline 2 s)`);
});

Deno.test("a worker's whole process group ends with it: a child it started is gone after kill()", async () => {
  const pidFile = await Deno.makeTempFile();
  const w = await startWorker(
    fake(`trap '' TERM; sleep 300 & echo $! > ${pidFile}; echo '${READY}'; read line; wait`),
    CONFIG,
  );
  const child = Number(Deno.readTextFileSync(pidFile).trim());
  await Deno.remove(pidFile);
  assert.ok(running(child), "the worker's child runs before kill()");
  await w.kill();
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(!running(child), `the worker's child ${child} still runs after kill()`);
});
