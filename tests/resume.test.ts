/**
 * Interrupts and resumption, end to end through the benchmark's entry point: SIGINT stops at a
 * step boundary, leaves a checkpoint and an incomplete result, exits 130; --resume reproduces the
 * uninterrupted run's losses. Also --save/--load round trips.
 */
import "./_shim.ts"; // builds the shim on a fresh clone (as cargo test builds)
import assert from "node:assert/strict";
import { BENCH_MAIN, writeTinyDataset } from "./_helpers.ts";

const COMMON = [
  "--device",
  "cpu",
  "--epochs",
  "3",
  "--batch-size",
  "16",
  "--threads",
  "1",
  "--no-progress",
  "--target-accuracy",
  "0.5",
];

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** How {@linkcode bench} starts the benchmark. */
interface BenchStart {
  /**
   * As a user does: `deno task bench` from the project root, in a process group of its own (as a
   * terminal's foreground job), so that signalling the group is what Ctrl-C does.
   */
  task?: boolean;
}

async function bench(
  args: string[],
  onLine?: (line: string, child: Deno.ChildProcess) => void,
  start: BenchStart = {},
): Promise<Outcome> {
  const child = new Deno.Command(Deno.execPath(), {
    args: start.task ? ["task", "bench", ...args] : ["run", "-A", BENCH_MAIN, ...args],
    cwd: new URL("..", import.meta.url).pathname,
    detached: start.task ?? false,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stdout = "";
  const reading = (async () => {
    let buf = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      stdout += chunk;
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        onLine?.(buf.slice(0, i), child);
        buf = buf.slice(i + 1);
      }
    }
  })();
  const stderrText = new Response(child.stderr).text();
  const status = await child.status;
  await reading;
  return { code: status.code, stdout, stderr: await stderrText };
}

async function resultIn(dir: string) {
  const files = [...Deno.readDirSync(dir)].map((e) => e.name);
  const json = files.filter((f) => f.endsWith(".json"));
  assert.strictEqual(json.length, 1, `one result file in ${dir}: ${files.join(", ")}`);
  return { files, result: JSON.parse(await Deno.readTextFile(`${dir}/${json[0]}`)) };
}

Deno.test("Ctrl-C on `deno task bench` (SIGINT to its process group) stops at a step boundary with a checkpoint and an incomplete result; --resume reproduces the losses", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "resume_" });
  try {
    const data = `${tmp}/data`;
    await writeTinyDataset(data);
    const base = [...COMMON, "--data", data];

    const full = await bench([...base, "--out", `${tmp}/full`]);
    assert.strictEqual(full.code, 0, full.stderr);
    assert.ok(
      ![...Deno.readDirSync(`${tmp}/full`)].some((e) => e.name.startsWith("checkpoint-")),
      "a finished run leaves no checkpoint in --out",
    );
    const expected = (await resultIn(`${tmp}/full`)).result.runs[0].epochs.map((
      e: { loss: number },
    ) => e.loss);
    assert.strictEqual(expected.length, 3);

    // A terminal sends SIGINT to the whole foreground process group: deno task and the bench
    // both receive it, and deno task forwards it to the bench as well.
    let sent = false;
    const cut = await bench([...base, "--out", `${tmp}/cut`], (line, child) => {
      if (!sent && line.startsWith("Epoch [1/3]")) {
        sent = true;
        Deno.kill(-child.pid, "SIGINT");
      }
    }, { task: true });
    assert.ok(sent, "the first epoch line was seen");
    assert.strictEqual(cut.code, 130, cut.stderr);
    assert.match(cut.stderr, /stopping at the next step boundary/);
    const { files, result } = await resultIn(`${tmp}/cut`);
    assert.strictEqual(result.complete, false);
    assert.strictEqual(result.runs[0].complete, false);
    assert.strictEqual(result.stopReason, "SIGINT");
    assert.strictEqual(result.runs[0].stopReason, "SIGINT");
    const checkpoint = files.find((f) => f.startsWith("checkpoint-") && f.endsWith(".safetensors"));
    assert.ok(checkpoint, `a checkpoint in ${files.join(", ")}`);
    assert.match(cut.stderr, /resume with --resume/);
    assert.ok(!files.some((f) => f.endsWith(".tmp")), "no temporary file left behind");

    const resumed = await bench([
      ...base,
      "--out",
      `${tmp}/resumed`,
      "--resume",
      `${tmp}/cut/${checkpoint}`,
    ]);
    assert.strictEqual(resumed.code, 0, resumed.stderr);
    const r = (await resultIn(`${tmp}/resumed`)).result;
    const losses = r.runs[0].epochs.map((e: { loss: number }) => e.loss);
    assert.strictEqual(losses.length, 3);
    for (let i = 0; i < 3; i++) {
      assert.ok(
        Math.abs(losses[i] - expected[i]) <= 1e-5,
        `epoch ${i + 1}: resumed ${losses[i]}, uninterrupted ${expected[i]}`,
      );
    }
    assert.strictEqual(
      r.runs[0].finalTestAccuracy,
      (await resultIn(`${tmp}/full`)).result.runs[0].finalTestAccuracy,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("SIGTERM also stops at a step boundary, writes an incomplete result and exits 143", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "sigterm_" });
  try {
    await writeTinyDataset(`${tmp}/data`, { train: 320 });
    let sent = false;
    const r = await bench(
      [...COMMON, "--data", `${tmp}/data`, "--out", `${tmp}/out`],
      (line, child) => {
        if (!sent && line.startsWith("Epoch [1/3]")) {
          sent = true;
          child.kill("SIGTERM");
        }
      },
    );
    assert.ok(sent);
    assert.strictEqual(r.code, 143, r.stderr);
    assert.strictEqual((await resultIn(`${tmp}/out`)).result.complete, false);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("--save writes .pt and .safetensors weights that --load reads back to the same accuracy", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "save_" });
  try {
    const data = `${tmp}/data`;
    await writeTinyDataset(data, { train: 160 });
    const one = [...COMMON, "--data", data];
    one[one.indexOf("--epochs") + 1] = "1";
    for (const ext of ["pt", "safetensors"]) {
      const w = `${tmp}/w.${ext}`;
      const a = await bench([...one, "--out", `${tmp}/a-${ext}`, "--save", w]);
      assert.strictEqual(a.code, 0, a.stderr);
      assert.ok((await Deno.stat(w)).size > 20_000_000, "5.98M float32 parameters");
      const again = await bench([...one, "--out", `${tmp}/b-${ext}`, "--save", w]);
      assert.strictEqual(
        again.code,
        2,
        "an existing --save file is not overwritten without --force",
      );
      assert.match(again.stderr, /exists; pass --force/);
      const forced = await bench([
        ...one,
        "--out",
        `${tmp}/c-${ext}`,
        "--save",
        w,
        "--force",
        "--load",
        w,
      ]);
      assert.strictEqual(forced.code, 0, forced.stderr);
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("--max-seconds stops at a step or epoch boundary, exits 0 and says why in an incomplete result", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "deadline_" });
  try {
    await writeTinyDataset(`${tmp}/data`, { train: 160, test: 20 });
    const args = [...COMMON, "--data", `${tmp}/data`, "--out", `${tmp}/out`];
    args[args.indexOf("--epochs") + 1] = "100";
    const r = await bench([...args, "--max-seconds", "6"]);
    assert.strictEqual(r.code, 0, r.stderr);
    const { files, result } = await resultIn(`${tmp}/out`);
    const run = result.runs[0];
    assert.strictEqual(result.complete, false);
    assert.strictEqual(run.complete, false);
    assert.match(
      run.stopReason,
      /^deadline: (--max-seconds 6 passed at (epoch \d+ step \d+|the start of epoch \d+)|epoch \d+ \(≈\d+ s\) would not fit in the \d+ s left)$/,
    );
    assert.strictEqual(result.stopReason, run.stopReason);
    assert.ok(run.epochs.length >= 1 && run.epochs.length < 100, `${run.epochs.length} epochs`);
    assert.match(r.stderr, /stopped early \(deadline: /);
    assert.ok(files.some((f) => f.startsWith("checkpoint-")), "the checkpoint is kept to resume");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
