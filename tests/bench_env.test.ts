import assert from "node:assert/strict";
import { collectEnv, parseCpuModel, parseOsRelease } from "../src/bench/env.ts";

Deno.test("parseCpuModel() reads the model name from /proc/cpuinfo", () => {
  const cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\n" +
    "model name\t: AMD EPYC 7763 64-Core Processor\ncpu MHz\t\t: 2445.406\n";
  assert.equal(parseCpuModel(cpuinfo), "AMD EPYC 7763 64-Core Processor");
  assert.equal(parseCpuModel("processor : 0\n"), null);
});

Deno.test("parseOsRelease() prefers PRETTY_NAME and unquotes it", () => {
  assert.equal(
    parseOsRelease('NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'),
    "Debian GNU/Linux 12 (bookworm)",
  );
  assert.equal(parseOsRelease('NAME="Alpine"\nVERSION="3.20"\n'), "Alpine 3.20");
  assert.equal(parseOsRelease(""), null);
});

Deno.test("collectEnv() describes this machine and passes torch and GPU facts through", async () => {
  const env = await collectEnv({ torch: { version: "test" } });
  assert.equal(env.cores, navigator.hardwareConcurrency);
  assert.equal(env.deno, Deno.version.deno);
  assert.equal(env.hostname, Deno.hostname());
  assert.ok(env.memoryBytes > 0);
  assert.ok(env.os.includes(Deno.build.arch));
  assert.deepEqual(env.torch, { version: "test" });
  assert.equal(env.gpu, null);
  assert.ok(env.gitCommit === null || /^[0-9a-f]{40}$/.test(env.gitCommit));
});

/** Runs `fn` with GIT_COMMIT and GIT_DIRTY set to `vars` (absent: unset), then puts them back. */
async function withGitVars(vars: Record<string, string>, fn: () => Promise<void>) {
  const saved = ["GIT_COMMIT", "GIT_DIRTY"].map((k) => [k, Deno.env.get(k)] as const);
  const put = (k: string, v: string | undefined) =>
    v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  for (const [k] of saved) put(k, vars[k]);
  try {
    await fn();
  } finally {
    for (const [k, v] of saved) put(k, v);
  }
}

Deno.test("collectEnv() gives a null commit outside a git checkout, without GIT_COMMIT", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bench_env_" });
  try {
    await withGitVars({}, async () => {
      const env = await collectEnv({ torch: {}, cwd: dir });
      assert.equal(env.gitCommit, null);
      assert.equal(env.gitDirty, false);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("collectEnv() outside a git checkout takes the commit from GIT_COMMIT and GIT_DIRTY", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bench_env_" });
  try {
    await withGitVars({ GIT_COMMIT: "0123abc", GIT_DIRTY: "1" }, async () => {
      const env = await collectEnv({ torch: {}, cwd: dir });
      assert.equal(env.gitCommit, "0123abc");
      assert.equal(env.gitDirty, true);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
