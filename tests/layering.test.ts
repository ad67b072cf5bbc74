// The folders of src/ are layers: each imports only the folders listed before it, so that data
// flows one way (data → model → training step → statistics → report, the harness on top).
// Pure TypeScript: reads the sources as text, loads no libtorch.
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";

/** src/'s folders, lowest first. A folder may import those before it, never those after. */
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
  "bench",
];

const SRC = new URL("../src/", import.meta.url).pathname;
const SPECIFIER = /(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g;

/** Every import of one src/ folder by another: `[file, its folder, the imported folder]`. */
function crossImports(): [string, string, string][] {
  const found: [string, string, string][] = [];
  for (const folder of Deno.readDirSync(SRC)) {
    if (!folder.isDirectory) continue;
    for (const file of Deno.readDirSync(join(SRC, folder.name))) {
      if (!file.name.endsWith(".ts")) continue;
      const path = join(SRC, folder.name, file.name);
      for (const [, specifier] of Deno.readTextFileSync(path).matchAll(SPECIFIER)) {
        const target = relative(SRC, normalize(join(dirname(path), specifier))).split("/")[0];
        if (target !== folder.name) {
          found.push([`${folder.name}/${file.name}`, folder.name, target]);
        }
      }
    }
  }
  return found;
}

Deno.test("every folder of src/ is one of the declared layers", () => {
  const folders = [...Deno.readDirSync(SRC)].filter((e) => e.isDirectory).map((e) => e.name);
  assert.deepEqual(folders.sort(), [...LAYERS].sort());
});

Deno.test("src/'s folders import only the layers below them: no import goes up or in a cycle", () => {
  const imports = crossImports();
  assert.ok(
    imports.length > 20,
    `expected the layers to import one another, found ${imports.length}`,
  );
  const upward = imports.filter(([, from, to]) => LAYERS.indexOf(to) >= LAYERS.indexOf(from))
    .map(([file, , to]) => `${file} imports ${to}/`);
  assert.deepEqual(upward, []);
});
