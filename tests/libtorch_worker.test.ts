/**
 * The libtorch C++ baseline worker (native/build/googlenet_worker) over the worker protocol: it
 * trains the same steps as baselines/pytorch_baseline.py (same seed, init draws, randperm order and
 * normalisation), answers a bad command with an error line and keeps serving, and exits 0 on quit
 * or end of input, 1 with an error line on a fatal failure.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { hasPythonTorch, writeTinyDataset } from "./_helpers.ts";
import { python } from "./_parity.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const WORKER = `${ROOT}native/build/googlenet_worker`;
const BASELINE = `${ROOT}baselines/pytorch_baseline.py`;
const STEPS = 20;
const BATCH = 8;
/** 40 images in batches of 8: five batches an epoch, so 20 steps draw four permutations. */
const TRAIN = 40;

if (!existsSync(WORKER)) {
  // As tests/_shim.ts does for the shim: build it (scripts/setup.ts builds both targets).
  const setup = `${ROOT}scripts/setup.ts`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", setup, "--quiet"],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`expected scripts/setup.ts to build ${WORKER}; it failed`);
}

/** A running worker: send a line, read the reply line, close stdin, await the exit code. */
class Worker {
  readonly #child: Deno.ChildProcess;
  readonly #lines: AsyncIterator<string>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;

  constructor(args: string[]) {
    this.#child = new Deno.Command(WORKER, {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.#lines = this.#child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(
      new TransformStream<string, string>(splitLines()),
    )[Symbol.asyncIterator]();
    this.#writer = this.#child.stdin.getWriter();
  }

  /** The next stdout line, parsed. */
  async read(): Promise<Record<string, unknown>> {
    const next = await this.#lines.next();
    if (next.done) throw new Error("expected a reply line from the worker, found end of output");
    return JSON.parse(next.value);
  }

  /** Sends `line` and returns the reply. */
  async ask(line: string): Promise<Record<string, unknown>> {
    await this.#writer.write(new TextEncoder().encode(line + "\n"));
    return await this.read();
  }

  /** Closes stdin (EOF) and returns the exit code. */
  async close(): Promise<number> {
    await this.#writer.close().catch(() => {});
    const rest = await this.#lines.next();
    assert.ok(rest.done, `expected no more output, found ${rest.value}`);
    return (await this.#child.status).code;
  }
}

/** A transformer cutting text chunks into lines. */
function splitLines(): Transformer<string, string> {
  let buffer = "";
  return {
    transform(chunk, controller) {
      buffer += chunk;
      const parts = buffer.split("\n");
      buffer = parts.pop()!;
      for (const line of parts) controller.enqueue(line);
    },
    flush(controller) {
      if (buffer) controller.enqueue(buffer);
    },
  };
}

/** The worker's arguments for the data in `dir`. */
function serveArgs(dir: string): string[] {
  return [
    ...["--serve", "--data", dir, "--device", "cpu", "--threads", "1"],
    ...["--batch-size", String(BATCH), "--lr", "1e-3", "--seed", "0"],
  ];
}

/** Runs `fn` with a tiny IDX data set in a temporary folder. */
async function withData(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = Deno.makeTempDirSync({ prefix: "libtorch-worker-" });
  try {
    await writeTinyDataset(dir, { train: TRAIN, test: 10 });
    await fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test({
  name: `the C++ worker's first ${STEPS} losses equal PyTorch's (same seed, randperm order)`,
  ignore: !hasPythonTorch(),
  async fn() {
    await withData(async (dir) => {
      const worker = new Worker(serveArgs(dir));
      const ready = await worker.read();
      assert.equal(ready.ready, true);
      assert.equal(ready.implementation, "libtorch");
      assert.equal(ready.threads, 1);
      assert.match(String(ready.version), /^\d+\.\d+/);
      // Two calls: the batch order continues across them.
      const first = await worker.ask(`{"op":"steps","n":7}`);
      const second = await worker.ask(`{"op":"steps","n":${STEPS - 7}}`);
      assert.deepEqual(await worker.ask(`{"op":"quit"}`), { bye: true });
      assert.equal(await worker.close(), 0);
      const ours = [...first.losses as number[], ...second.losses as number[]];
      const ms = [...first.stepMs as number[], ...second.stepMs as number[]];
      assert.equal(ms.length, STEPS);
      assert.ok(ms.every((x) => x > 0), `step times ${ms}`);

      const out = `${dir}/pytorch.json`;
      python([
        ...[BASELINE, "--data", dir, "--device", "cpu", "--threads", "1"],
        ...["--batch-size", String(BATCH), "--lr", "1e-3", "--seed", "0"],
        ...["--steps", String(STEPS), "--warmup", "0", "--json", out],
      ]);
      const theirs: number[] = JSON.parse(Deno.readTextFileSync(out)).stepLosses;
      assert.equal(theirs.length, STEPS);
      theirs.forEach((loss, i) => {
        assert.ok(
          Math.abs(ours[i] - loss) <= 1e-5,
          `step ${i}: expected PyTorch's loss ${loss} within 1e-5, found ${ours[i]}`,
        );
      });
    });
  },
});

Deno.test("the C++ worker answers bad commands with an error line and keeps serving", async () => {
  await withData(async (dir) => {
    const worker = new Worker(serveArgs(dir));
    assert.equal((await worker.read()).ready, true);
    for (
      const [line, pattern] of [
        ["not json", /expected '\{'/],
        [`{"op":"fly"}`, /expected op "steps" or "quit", found "fly"/],
        [`{"op":"steps","n":0}`, /expected "n" an integer >= 1, found 0/],
        [`{"op":"steps"}`, /found none/],
        [`{"n":1}`, /expected \{"op"/],
        [`{"op":"steps","n":1} trailing`, /expected the end of the line/],
      ] as const
    ) {
      const reply = await worker.ask(line);
      assert.match(String(reply.error), pattern, `reply to ${line}`);
    }
    const one = await worker.ask(`{"op":"steps","n":1}`);
    assert.equal((one.losses as number[]).length, 1, "still serving after the errors");
    assert.equal(await worker.close(), 0, "end of input is quit");
  });
});

Deno.test("the C++ worker fails with an error line and exit 1 when the data is missing", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "libtorch-worker-empty-" });
  try {
    const out = await new Deno.Command(WORKER, { args: serveArgs(dir), stdout: "piped" }).output();
    assert.equal(out.code, 1);
    const reply = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.match(reply.error, /expected train-images-idx3-ubyte or train-images-idx3-ubyte\.gz/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
