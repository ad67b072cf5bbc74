/**
 * `deno task bench --nproc 2` end to end on a tiny IDX set: two rank processes, rank 0 alone
 * prints and writes the result; a rank killed mid-run stops the other within --dist-timeout and
 * the launcher exits non-zero with one line naming the rank and its cause; SIGTERM to the
 * launcher stops both ranks at a step boundary with one checkpoint. No rank is left running, even
 * after kill -9 of the launcher, and no socket of a rank is bound beyond 127.0.0.0/8.
 */
import "./_shim.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { BENCH_MAIN, writeTinyDataset } from "./_helpers.ts";
import { awaitGone, onLoopback, type Socket, tcpSocketsOf } from "./_procs.ts";

const ARGS = ["--nproc", "2", "--threads", "2", "--device", "cpu", "--no-progress"];

/** The launcher with its output collected as it comes. */
function launch(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", BENCH_MAIN, ...ARGS, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const text = { stdout: "", stderr: "" };
  const pump = async (s: ReadableStream<Uint8Array>, key: "stdout" | "stderr") => {
    for await (const chunk of s.pipeThrough(new TextDecoderStream())) text[key] += chunk;
  };
  const done = Promise.all([pump(child.stdout, "stdout"), pump(child.stderr, "stderr")]);
  const waitFor = async (key: "stdout" | "stderr", pattern: RegExp, seconds = 240) => {
    for (let t = 0; t < seconds * 10; t++) {
      const m = pattern.exec(text[key]);
      if (m) return m;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`expected ${pattern} on ${key} within ${seconds} s, found:\n${text[key]}`);
  };
  return { child, text, done, waitFor };
}

function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT"); // harmless to a live process; throws for a gone one
    return true;
  } catch {
    return false;
  }
}

async function withData(fn: (data: string, out: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await writeTinyDataset(join(dir, "data"), { train: 640, test: 100 });
    await fn(join(dir, "data"), join(dir, "out"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function rankPids(run: ReturnType<typeof launch>): Promise<number[]> {
  const m = await run.waitFor("stderr", /rank pids (\d+) (\d+)/);
  return [Number(m[1]), Number(m[2])];
}

Deno.test("--nproc 2: two ranks train; rank 0 alone prints and writes one result", async () => {
  await withData(async (data, out) => {
    const run = launch(["--data", data, "--steps", "2", "--warmup", "1", "--out", out]);
    const pids = await rankPids(run);
    const status = await run.child.status;
    await run.done;
    assert.strictEqual(status.code, 0, run.text.stderr);
    const files = [...Deno.readDirSync(out)].map((e) => e.name);
    assert.strictEqual(files.filter((f) => f.endsWith(".json")).length, 1, files.join(", "));
    const result = JSON.parse(
      Deno.readTextFileSync(join(out, files.find((f) => f.endsWith(".json"))!)),
    );
    assert.strictEqual(result.config.nproc, 2);
    assert.strictEqual(result.config.threads, 1, "--threads 2 split over 2 ranks");
    assert.strictEqual(run.text.stderr.match(/bench: wrote/g)?.length, 1, "one rank writes");
    assert.strictEqual(
      run.text.stdout.match(/^deno\+libtorch .*: median step [\d.]+ ms/gm)?.length,
      1,
      "one prints",
    );
    assert.ok(pids.every((p) => !alive(p)), "no rank left");
  });
});

Deno.test("--nproc 2 over 3 epochs: rank 0's live-tensor count is the same after every epoch", async () => {
  await withData(async (data, out) => {
    const run = launch(["--data", data, "--epochs", "3", "--out", out]);
    const status = await run.child.status;
    await run.done;
    assert.strictEqual(status.code, 0, run.text.stderr);
    const counts = [...run.text.stdout.matchAll(/live tensors (\d+)/g)].map((m) => Number(m[1]));
    assert.strictEqual(counts.length, 3, `one count per epoch, found:\n${run.text.stdout}`);
    assert.deepStrictEqual(counts, [counts[0], counts[0], counts[0]], "no tensor leaked per epoch");
  });
});

Deno.test("a rank killed mid-run stops the other; the launcher names it and exits non-zero", async () => {
  await withData(async (data, out) => {
    const run = launch(["--data", data, "--epochs", "5", "--dist-timeout", "5", "--out", out]);
    const pids = await rankPids(run);
    await run.waitFor("stdout", /Epoch \[1\/5\]/);
    const killed = performance.now();
    Deno.kill(pids[1], "SIGKILL");
    const status = await run.child.status;
    await run.done;
    const seconds = (performance.now() - killed) / 1000;
    assert.notStrictEqual(status.code, 0);
    assert.match(run.text.stderr, /bench: rank 1 failed \(killed by SIGKILL\)/);
    assert.ok(seconds < 5 + 5 + 10, `the launcher took ${seconds} s (timeout 5 s, grace 5 s)`);
    assert.ok(pids.every((p) => !alive(p)), "no rank left");
  });
});

Deno.test("SIGTERM to the launcher stops both ranks at a step boundary with one checkpoint", async () => {
  await withData(async (data, out) => {
    const run = launch(["--data", data, "--epochs", "5", "--out", out]);
    const pids = await rankPids(run);
    await run.waitFor("stdout", /Epoch \[1\/5\]/);
    run.child.kill("SIGTERM");
    const status = await run.child.status;
    await run.done;
    assert.strictEqual(status.code, 143, run.text.stderr);
    const checkpoints = [...Deno.readDirSync(out)].filter((e) => e.name.startsWith("checkpoint-"));
    assert.strictEqual(checkpoints.length, 1, "rank 0 writes the one checkpoint");
    assert.match(run.text.stderr, /resume with --resume/);
    assert.ok(pids.every((p) => !alive(p)), "no rank left");
  });
});

Deno.test("--nproc 2: every socket of a rank, listening or connected, is on 127.0.0.0/8", async () => {
  await withData(async (data, out) => {
    const run = launch(["--data", data, "--epochs", "2", "--out", out]);
    const pids = await rankPids(run);
    let ended = false;
    const status = run.child.status.finally(() => ended = true);
    const seen: Socket[] = [];
    // From the rendezvous (Gloo's pairs listen only while they connect) to the end of the run.
    while (!ended) {
      for (const pid of pids) seen.push(...tcpSocketsOf(pid));
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.strictEqual((await status).code, 0, run.text.stderr);
    await run.done;
    assert.ok(seen.length > 0, "the ranks were seen holding their Gloo connections");
    const beyond = seen.filter((s) => !onLoopback(s));
    assert.deepStrictEqual(beyond, [], "no rank socket beyond loopback");
  });
});

Deno.test("kill -9 of the launcher during --nproc 2: no rank runs 5 s later, none writes a result", async () => {
  await withData(async (data, out) => {
    const run = launch(["--data", data, "--epochs", "5", "--out", out]);
    const pids = await rankPids(run);
    await run.waitFor("stdout", /Epoch \[1\/5\]/);
    run.child.kill("SIGKILL");
    await run.child.status;
    await run.done;
    assert.deepStrictEqual(await awaitGone(pids, 5), [], "ranks still running 5 s after kill -9");
    const results = [...Deno.readDirSync(out)].filter((e) => e.name.endsWith(".json"));
    assert.deepStrictEqual(results.map((e) => e.name), [], "no rank went on to write a result");
  });
});
