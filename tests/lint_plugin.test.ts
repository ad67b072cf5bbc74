// scripts/lint_plugin.ts, the project's own lint rules that `deno lint` (and so CI) runs.
import assert from "node:assert/strict";
import plugin, { MAX_FUNCTION_LINES } from "../scripts/lint_plugin.ts";

/** A function declaration spanning `lines` lines in all. */
function functionOf(lines: number, head = "function f() {"): string {
  const body = Array.from({ length: lines - 2 }, (_, i) => `  const a${i} = ${i};`);
  return [head, ...body, "}"].join("\n") + "\n";
}

const ids = (filename: string, source: string) =>
  Deno.lint.runPlugin(plugin, filename, source).map((d) => `${d.id}: ${d.message}`);

Deno.test("max-function-lines passes a function of exactly the limit in src/", () => {
  assert.deepEqual(ids("/repo/src/bench/a.ts", functionOf(MAX_FUNCTION_LINES)), []);
});

Deno.test("max-function-lines reports a function one line over the limit in src/", () => {
  assert.deepEqual(ids("/repo/src/bench/a.ts", functionOf(MAX_FUNCTION_LINES + 1)), [
    `project/max-function-lines: expected a function of at most ${MAX_FUNCTION_LINES} lines, ` +
    `found ${MAX_FUNCTION_LINES + 1}`,
  ]);
});

Deno.test("max-function-lines counts methods and arrow functions too", () => {
  const method = `class C {\n${functionOf(MAX_FUNCTION_LINES + 1, "m() {")}}\n`;
  const arrow = functionOf(MAX_FUNCTION_LINES + 1, "const f = () => {");
  assert.equal(ids("/repo/src/a.ts", method).length, 1);
  assert.equal(ids("/repo/src/a.ts", arrow).length, 1);
});

Deno.test("max-function-lines leaves files outside src/ alone", () => {
  assert.deepEqual(ids("/repo/tests/a.test.ts", functionOf(MAX_FUNCTION_LINES + 20)), []);
});
