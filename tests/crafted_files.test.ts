/**
 * The crafted-file corpus of issue 30 (tests/_crafted.ts) through the benchmark's entry point:
 * every crafted .pt, .safetensors, checkpoint and gzip data file exits 2 with one error line that
 * names the file and the rule it breaks; none exits 134 or 139 or trains; and none peaks above
 * twice the memory (max RSS, by /usr/bin/time) that loading the legitimate file of its kind takes.
 */
import "./_shim.ts"; // builds the shim on a fresh clone (as cargo test builds)
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { BENCH_MAIN } from "./_helpers.ts";
import { type CraftedCase, type Route, writeCorpus } from "./_crafted.ts";

const tmp = await Deno.makeTempDir({ prefix: "crafted_" });
const corpus = await writeCorpus(tmp);
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
const RUN = "--device cpu --steps 1 --warmup 0 --breakdown-steps 0 --batch-size 8 --no-progress"
  .split(" ");

/** What one run of the harness did. */
interface Outcome {
  code: number;
  stderr: string;
  written: string[];
  /** Its peak resident memory in KiB (null without /usr/bin/time). */
  maxRssKiB: number | null;
}

function flags(route: Route, path: string): string[] {
  if (route === "data") return ["--data", path];
  if (route === "load") return ["--data", corpus.data, "--load", path];
  return ["--data", corpus.data, "--epochs", "1", "--resume", path];
}

async function run(route: Route, path: string, out: string): Promise<Outcome> {
  const cmd = [
    Deno.execPath(),
    "run",
    "-A",
    BENCH_MAIN,
    ...RUN,
    ...flags(route, path),
    "--out",
    out,
  ];
  const rss = `${out}.rss`;
  const r = await new Deno.Command(TIME ?? cmd[0], {
    args: TIME ? ["-f", "%M", "-o", rss, ...cmd] : cmd.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).output();
  let written: string[] = [];
  try {
    written = [...Deno.readDirSync(out)].map((e) => e.name);
  } catch { /* not even created */ }
  const lines = TIME ? Deno.readTextFileSync(rss).trim().split("\n") : [];
  return {
    code: r.code,
    stderr: new TextDecoder().decode(r.stderr),
    written,
    maxRssKiB: TIME ? Number(lines.at(-1)) : null,
  };
}

// Every run starts now, three at a time; each test awaits its own.
const queue: (() => Promise<void>)[] = [];
function later(route: Route, path: string, out: string): Promise<Outcome> {
  return new Promise((resolve, reject) =>
    queue.push(() => run(route, path, out).then(resolve, reject))
  );
}
const outcomes = new Map<CraftedCase, Promise<Outcome>>(
  corpus.cases.map((c, i) => [c, later(c.route, c.path, `${tmp}/out-${i}`)]),
);
const legit = Object.fromEntries(
  (["pt", "safetensors", "data"] as const).map((kind) => [
    kind,
    later(kind === "data" ? "data" : "load", corpus.legit[kind], `${tmp}/out-legit-${kind}`),
  ]),
) as Record<CraftedCase["kind"], Promise<Outcome>>;
for (const p of [...outcomes.values(), ...Object.values(legit)]) p.catch(() => {}); // awaited below
const workers = Array.from({ length: 3 }, async () => {
  for (let job = queue.shift(); job; job = queue.shift()) await job().catch(() => {});
});

for (const c of corpus.cases) {
  Deno.test(`crafted ${c.what}: exits 2 with one line naming the file and the rule, and runs nothing`, async () => {
    const r = await outcomes.get(c)!;
    assert.ok(r.code !== 134 && r.code !== 139, `no abort or crash; exit ${r.code}:\n${r.stderr}`);
    assert.strictEqual(r.code, 2, `exit code; stderr:\n${r.stderr}`);
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("error: "));
    assert.strictEqual(errors.length, 1, `one error line:\n${r.stderr}`);
    assert.ok(errors[0].includes(c.path), `the line names ${c.path}: ${errors[0]}`);
    assert.match(errors[0], c.message);
    assert.ok(!/\n\s+at /.test(r.stderr), `no stack trace:\n${r.stderr}`);
    assert.deepStrictEqual(r.written, [], "nothing written");
  });
}

Deno.test("crafted files: the legitimate file of each kind trains a step (exit 0)", async () => {
  for (const [kind, p] of Object.entries(legit)) {
    const r = await p;
    assert.strictEqual(r.code, 0, `${kind}: ${r.stderr}`);
  }
});

Deno.test({
  name:
    "crafted files: each peaks at most at twice the memory the legitimate file of its kind takes",
  ignore: TIME === null,
  async fn() {
    const rows: string[] = [];
    let worst = 0;
    for (const c of corpus.cases) {
      const [r, base] = [await outcomes.get(c)!, await legit[c.kind]];
      const ratio = r.maxRssKiB! / base.maxRssKiB!;
      worst = Math.max(worst, ratio);
      rows.push(`${c.what}: ${r.maxRssKiB} KiB vs ${base.maxRssKiB} KiB (${ratio.toFixed(2)}x)`);
    }
    assert.ok(worst <= 2, `a crafted file took over twice the memory:\n${rows.join("\n")}`);
    console.log(rows.join("\n"));
  },
});

Deno.test("crafted files: clean up", async () => {
  await Promise.all(workers);
  await Deno.remove(tmp, { recursive: true });
});
