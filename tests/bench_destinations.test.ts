/**
 * The run's destinations (src/bench/entry/destinations.ts): an unwritable `--out`, an `--out` that is a
 * file, or a `--json` in a missing folder is refused before anything trains, in one line with exit
 * 2; two runs at once into one `--out` both keep their results; a result that cannot be written
 * at the end is printed to stderr.
 */
import "./_shim.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { BENCH_MAIN, writeTinyDataset } from "./_helpers.ts";
import { destinationProblem, keepResult } from "../src/bench/entry/destinations.ts";

const RUN = ["--device", "cpu", "--threads", "1", "--steps", "2", "--warmup", "1", "--no-progress"];

async function bench(args: string[]) {
  const started = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", BENCH_MAIN, ...RUN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    seconds: (performance.now() - started) / 1000,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "bench-dest-" });
  try {
    await fn(dir);
  } finally {
    await Deno.chmod(dir, 0o700);
    await Deno.remove(dir, { recursive: true });
  }
}

/** A folder this process cannot create files in: a read-only one, or sysfs when root. */
async function readOnlyFolder(dir: string): Promise<string> {
  if (Deno.uid() === 0) return "/sys"; // root writes through modes; sysfs refuses new files
  const ro = join(dir, "ro");
  await Deno.mkdir(ro, { mode: 0o555 });
  await Deno.chmod(ro, 0o555);
  return ro;
}

Deno.test("--out on a read-only folder: exit 2 within 5 s, one line, nothing trained", async () => {
  await withDir(async (dir) => {
    const ro = await readOnlyFolder(dir);
    const run = await bench(["--data", join(dir, "none"), "--out", ro]);
    assert.equal(run.code, 2, run.stderr);
    assert.ok(run.seconds < 5, `refused after ${run.seconds.toFixed(1)} s`);
    const lines = run.stderr.trim().split("\n");
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0], new RegExp(`^error: --out ${ro}: cannot write files in ${ro} \\(`));
    assert.equal(run.stdout, "", "nothing trained, nothing printed");
  });
});

Deno.test("--out naming a file, or --json in a missing folder: one clean line, exit 2", async () => {
  await withDir(async (dir) => {
    const file = join(dir, "taken");
    await Deno.writeTextFile(file, "x");
    const run = await bench(["--out", file]);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stderr.trim(), `error: --out ${file}: expected a folder, found a file`);
    assert.doesNotMatch(run.stderr, /os error/);
    const json = join(dir, "missing", "r.json");
    assert.equal(
      await destinationProblem({ out: join(dir, "out"), json }),
      `--json ${json}: expected an existing folder for r.json, found no ${join(dir, "missing")}`,
    );
    assert.equal(
      await destinationProblem({ out: join(dir, "out"), save: file }),
      `--save ${file}: the file exists; pass --force to overwrite it`,
    );
    assert.equal(
      await destinationProblem({ out: join(dir, "out"), save: file, force: true }),
      null,
    );
  });
});

Deno.test("two runs at once into one --out both keep their results", async () => {
  await withDir(async (dir) => {
    const data = join(dir, "data"), out = join(dir, "out");
    await writeTinyDataset(data, { train: 128, test: 32 });
    const runs = await Promise.all([1, 2].map(() => bench(["--data", data, "--out", out])));
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    const json = [...Deno.readDirSync(out)].map((e) => e.name).filter((n) => n.endsWith(".json"));
    assert.equal(json.length, 2, `two results, found ${json.join(", ")}`);
    const created = json.map((n) => JSON.parse(Deno.readTextFileSync(join(out, n))).createdAt);
    assert.notEqual(created[0], created[1], "two different runs");
  });
});

Deno.test("a result that cannot be written is printed to stderr before the error", async () => {
  const printed: string[] = [];
  const error = console.error;
  console.error = (line: string) => printed.push(line);
  try {
    await assert.rejects(
      () => keepResult({ runs: [1] }, () => Promise.reject(new Error("No space left on device"))),
      /could not write the result \(No space left on device\); its JSON is printed above/,
    );
  } finally {
    console.error = error;
  }
  assert.deepEqual(printed.map((p) => JSON.parse(p)), [{ runs: [1] }]);
});
