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

Deno.test("max-function-lines covers scripts/, benches/ and baselines/ as it covers src/", () => {
  for (const dir of ["scripts", "benches", "baselines"]) {
    assert.equal(ids(`/repo/${dir}/a.ts`, functionOf(MAX_FUNCTION_LINES + 1)).length, 1, dir);
    assert.deepEqual(ids(`/repo/${dir}/a.ts`, functionOf(MAX_FUNCTION_LINES)), [], dir);
  }
});

Deno.test("max-function-lines leaves tests/ alone", () => {
  assert.deepEqual(ids("/repo/tests/a.test.ts", functionOf(MAX_FUNCTION_LINES + 20)), []);
});

const PY_CHECK = new URL("../scripts/py_function_lines.py", import.meta.url).pathname;

/** A Python function spanning `lines` lines in all. */
function pyFunctionOf(lines: number): string {
  return ["def f():", ...Array.from({ length: lines - 1 }, (_, i) => `    a${i} = ${i}`)].join(
    "\n",
  );
}

/** Runs scripts/py_function_lines.py over a folder holding one file with `source`. */
function pyCheck(source: string): { code: number; out: string } {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/a.py`, source + "\n");
    const r = new Deno.Command("python3", { args: [PY_CHECK, dir] }).outputSync();
    return { code: r.code, out: new TextDecoder().decode(r.stdout) };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("py_function_lines.py passes a Python function of exactly the limit", () => {
  assert.deepEqual(pyCheck(pyFunctionOf(MAX_FUNCTION_LINES)), { code: 0, out: "" });
});

Deno.test("py_function_lines.py reports a Python function one line over the limit", () => {
  const { code, out } = pyCheck(pyFunctionOf(MAX_FUNCTION_LINES + 1));
  assert.equal(code, 1);
  assert.match(out, /a\.py:1: expected a function of at most 60 lines, found 61 \(f\)/);
});

Deno.test("py_function_lines.py and the lint rule hold the same limit", () => {
  const py = Deno.readTextFileSync(PY_CHECK).match(/^MAX_FUNCTION_LINES = (\d+)$/m);
  assert.equal(Number(py?.[1]), MAX_FUNCTION_LINES);
});
