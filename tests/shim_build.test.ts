import assert from "node:assert/strict";
import { cpSync } from "node:fs";
import { join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const dec = new TextDecoder();

/** A checkout without a built shim: src/ffi, tests/_shim.ts, two libtorch tests, a stand-in setup. */
function bareCheckout(setupBody: string): string {
  const dir = Deno.makeTempDirSync({ prefix: "shim-build-" });
  cpSync(join(ROOT, "src/ffi"), join(dir, "src/ffi"), { recursive: true });
  cpSync(join(ROOT, "tests/_shim.ts"), join(dir, "tests/_shim.ts"));
  cpSync(join(ROOT, "deno.json"), join(dir, "deno.json"));
  Deno.mkdirSync(join(dir, "scripts"));
  Deno.writeTextFileSync(join(dir, "scripts/setup.ts"), setupBody);
  for (const name of ["a", "b"]) {
    Deno.writeTextFileSync(
      join(dir, `tests/${name}.test.ts`),
      `import "./_shim.ts";\nimport { liveTensors } from "../src/ffi/mod.ts";\n` +
        `Deno.test("${name}", () => { liveTensors(); });\n`,
    );
  }
  return dir;
}

async function denoTest(dir: string): Promise<{ code: number; text: string }> {
  const env = { ...Deno.env.toObject() };
  delete env.TORCH_SHIM_PATH;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", "--no-check", "tests/"],
    cwd: dir,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, text: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

Deno.test("deno test on a fresh clone builds the shim once, then every libtorch test runs", async () => {
  const built = new URL("../native/build/libtorch_shim.so", import.meta.url).pathname;
  // The stand-in build copies this checkout's shim into place and counts its runs.
  const dir = bareCheckout(
    `console.error("SETUP RAN");\nDeno.mkdirSync("native/build", { recursive: true });\n` +
      `Deno.copyFileSync(${JSON.stringify(built)}, "native/build/libtorch_shim.so");\n`,
  );
  try {
    const { code, text } = await denoTest(dir);
    assert.equal(code, 0, text);
    assert.equal(text.match(/SETUP RAN/g)?.length, 1, text);
    assert.match(text, /2 passed/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("deno test stops once with the reason when the shim cannot be built", async () => {
  const dir = bareCheckout(`console.error("cmake: not found");\nDeno.exit(1);\n`);
  try {
    const { code, text } = await denoTest(dir);
    assert.notEqual(code, 0);
    assert.equal(text.match(/building the torch shim failed/g)?.length, 1, text);
    assert.doesNotMatch(text, /torch shim not found/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
