/**
 * The import graph of a checkout's src/, folder by folder, as markdown: a mermaid graph of the
 * folders (each edge with its number of imports), the imports across folders that skip the
 * imported folder's mod.ts, and the file-level imports inside one folder (`--inside`, default
 * `bench`). Pure TypeScript: reads the sources as text, as tests/layering.test.ts does.
 *
 * ```sh
 * deno run -R scripts/import_graph.ts [ROOT] [--inside bench]
 * ```
 *
 * docs/architecture.md shows its output before and after issue 31's split of src/bench.
 *
 * @module
 */
import { dirname, join, normalize, relative } from "node:path";

const SPECIFIER = /(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g;

/** One import of one src/ file by another, paths relative to src/. */
export interface Edge {
  /** The importing file. */
  file: string;
  /** The imported file. */
  target: string;
}

/** Every .ts file under `src`, relative to it. */
function sources(src: string, folder = ""): string[] {
  return [...Deno.readDirSync(join(src, folder))].flatMap((e) => {
    const path = folder === "" ? e.name : `${folder}/${e.name}`;
    return e.isDirectory ? sources(src, path) : e.name.endsWith(".ts") ? [path] : [];
  });
}

/** Every relative import between the files of `src` (a folder's path). */
export function importEdges(src: string): Edge[] {
  return sources(src).sort().flatMap((file) => {
    const text = Deno.readTextFileSync(join(src, file));
    return [...text.matchAll(SPECIFIER)].map(([, specifier]) => ({
      file,
      target: relative(src, normalize(join(dirname(join(src, file)), specifier))),
    })).filter((e) => !e.target.startsWith(".."));
  });
}

/** The folder-level edges of `edges`: `from → to` with their number of imports. */
export function folderEdges(edges: readonly Edge[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { file, target } of edges) {
    const [from, to] = [dirname(file), dirname(target)];
    if (from === to) continue;
    const key = `${from} → ${to}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return new Map([...counts].sort(([a], [b]) => a.localeCompare(b)));
}

/** A mermaid node id for a folder. */
const nodeId = (folder: string) => folder.replaceAll("/", "_");

/** The report, as markdown lines. */
export function renderGraph(edges: readonly Edge[], inside: string): string[] {
  const folders = folderEdges(edges);
  const mermaid = [...folders].map(([key, n]) => {
    const [from, to] = key.split(" → ");
    return `  ${nodeId(from)}["${from}/"] -->|${n}| ${nodeId(to)}["${to}/"]`;
  });
  const bypass = edges.filter((e) =>
    dirname(e.file) !== dirname(e.target) && !e.target.endsWith("/mod.ts")
  );
  const within = edges.filter((e) =>
    e.file.startsWith(`${inside}/`) && e.target.startsWith(`${inside}/`)
  );
  return [
    `Folders: ${new Set(edges.flatMap((e) => [dirname(e.file), dirname(e.target)])).size}, ` +
    `edges between folders: ${folders.size}, imports across folders: ` +
    `${[...folders.values()].reduce((a, b) => a + b, 0)}, of which skip the folder's mod.ts: ` +
    `${bypass.length}.`,
    "",
    "```mermaid",
    "graph BT",
    ...mermaid,
    "```",
    "",
    `Imports inside src/${inside}/ (${within.length}):`,
    "",
    ...within.map((e) =>
      `- ${e.file.slice(inside.length + 1)} → ${e.target.slice(inside.length + 1)}`
    ),
  ];
}

if (import.meta.main) {
  const args = [...Deno.args];
  const at = args.indexOf("--inside");
  const inside = at >= 0 ? args.splice(at, 2)[1] : "bench";
  const root = args[0] ?? new URL("..", import.meta.url).pathname;
  console.log(renderGraph(importEdges(join(root, "src")), inside).join("\n"));
}
