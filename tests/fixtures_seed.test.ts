import assert from "node:assert/strict";

Deno.test("op fixtures: each case's inputs depend on its name alone, not on the cases before it", async () => {
  const script = new URL("./reference/check_fixture_seeds.py", import.meta.url).pathname;
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [script],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.ok(out.success, text);
  assert.match(text, /differ: none/);
});
