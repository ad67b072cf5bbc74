// The folders of src/ are layers: each imports only the folders listed before it, so that data
// flows one way (data → model → training step → statistics → report, the harness on top), and
// only through their mod.ts. src/bench's subfolders are layers of their own: measure/, then
// baselines/, then entry/, then src/bench/mod.ts, which gathers them.
// Pure TypeScript: reads the sources as text, loads no libtorch.
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";

/** src/'s folders (every folder that holds a .ts file), lowest first. */
const LAYERS = [
  "result",
  "cli",
  "stats",
  "ffi",
  "data",
  "model",
  "dist",
  "train",
  "report",
  "bench/measure",
  "bench/baselines",
  "bench/entry",
  "bench",
];

/** The most lines a file of src/bench may have. */
const MAX_BENCH_FILE_LINES = 250;

const SRC = new URL("../src/", import.meta.url).pathname;
const SPECIFIER = /(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g;

/** Every .ts file under src/, relative to it. */
function sources(folder = ""): string[] {
  return [...Deno.readDirSync(join(SRC, folder))].flatMap((e) => {
    const path = folder === "" ? e.name : `${folder}/${e.name}`;
    return e.isDirectory ? sources(path) : e.name.endsWith(".ts") ? [path] : [];
  });
}

/** One import of a layer by another: the file, its layer, the imported layer and file. */
interface CrossImport {
  file: string;
  from: string;
  to: string;
  target: string;
}

/** Every import of one layer by another. */
function crossImports(): CrossImport[] {
  const found: CrossImport[] = [];
  for (const file of sources()) {
    const path = join(SRC, file);
    for (const [, specifier] of Deno.readTextFileSync(path).matchAll(SPECIFIER)) {
      const target = relative(SRC, normalize(join(dirname(path), specifier)));
      const [from, to] = [dirname(file), dirname(target)];
      if (to !== from) found.push({ file, from, to, target });
    }
  }
  return found;
}

Deno.test("every folder of src/ is one of the declared layers", () => {
  const folders = new Set(sources().map((f) => dirname(f)));
  assert.deepEqual([...folders].sort(), [...LAYERS].sort());
});

Deno.test("src/'s folders import only the layers below them: no import goes up or in a cycle", () => {
  const imports = crossImports();
  assert.ok(
    imports.length > 20,
    `expected the layers to import one another, found ${imports.length}`,
  );
  const upward = imports.filter(({ from, to }) => LAYERS.indexOf(to) >= LAYERS.indexOf(from))
    .map(({ file, to }) => `${file} imports ${to}/`);
  assert.deepEqual(upward, []);
});

Deno.test("every import across src/'s folders goes through the imported folder's mod.ts", () => {
  const bypassing = crossImports().filter(({ to, target }) => target !== `${to}/mod.ts`)
    .map(({ file, target }) => `${file} imports ${target}`);
  assert.deepEqual(bypassing, []);
});

Deno.test("src/bench is folders by job: only its mod.ts beside them, no file over 250 lines", () => {
  const bench = sources().filter((f) => f.startsWith("bench/"));
  assert.deepEqual(bench.filter((f) => dirname(f) === "bench"), ["bench/mod.ts"]);
  const long = bench.map((f) => [f, Deno.readTextFileSync(join(SRC, f)).split("\n").length - 1])
    .filter(([, lines]) => (lines as number) > MAX_BENCH_FILE_LINES);
  assert.deepEqual(long, []);
});
