import assert from "node:assert/strict";
import { collectEnv, parseCpuModel, parseOsRelease } from "../src/bench/entry/env.ts";
import { parseCpuInfo, parseOnednnIsa, SPEED_FLAGS } from "../src/bench/entry/cpu_info.ts";
import { parseBenchResult } from "../src/result/schema.ts";

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

const ICE_LAKE = "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 106\n" +
  "model name\t: Intel(R) Xeon(R) Processor @ 2.80GHz\n" +
  "flags\t\t: fpu sse4_2 avx avx2 avx512f avx512dq avx512bw avx512_vnni\n";
const SAPPHIRE_RAPIDS = ICE_LAKE.replace("106", "143").replace(
  "avx512_vnni",
  "avx512_vnni avx512_bf16 amx_bf16 avx512_fp16 amx_tile amx_int8",
);

Deno.test("parseCpuInfo() reads vendor, family, model and the speed flags present, in order", () => {
  assert.deepEqual(parseCpuInfo(ICE_LAKE), {
    vendor: "GenuineIntel",
    family: 6,
    model: 106,
    flags: ["avx2", "avx512f"],
    onednnIsa: null,
  });
  // The fixture lists them out of order; the result keeps SPEED_FLAGS' order, all of them found.
  assert.deepEqual(parseCpuInfo(SAPPHIRE_RAPIDS)!.flags, [...SPEED_FLAGS]);
  assert.equal(parseCpuInfo("processor : 0\nHardware : BCM2835\n"), null, "no vendor: unknown");
});

Deno.test("parseOnednnIsa() takes the ISA of the last convolution in oneDNN's verbose output", () => {
  const verbose = [
    "onednn_verbose,info,oneDNN v2.6.3 (commit N/A)",
    "onednn_verbose,info,cpu,isa:Intel AVX-512 with Intel DL Boost",
    "onednn_verbose,exec,cpu,reorder,jit:blk,undef,src_f32::blocked:acdb:f0,,16x16x3x3,0.01",
    "onednn_verbose,exec,cpu,convolution,brgconv:avx512_core,forward_training,src_f32,,x,0.1",
    "onednn_verbose,exec,cpu,convolution,jit_bf16:avx512_core_amx,forward_training,src_bf16,,x,0.1",
  ].join("\n");
  assert.equal(parseOnednnIsa(verbose), "avx512_core_amx");
  assert.equal(
    parseOnednnIsa(verbose.replace("dnnl_", "x").replace(/onednn/g, "dnnl")),
    "avx512_core_amx",
  );
  assert.equal(parseOnednnIsa("onednn_verbose,info,cpu,isa:x\n"), null);
});

Deno.test("collectEnv() records the CPU's identity, flags and oneDNN's ISA, and the result parses", async () => {
  const keys: string[] = [];
  const env = await collectEnv({
    torch: { version: "test" },
    onednnIsa: (key) => (keys.push(key), Promise.resolve("avx512_core")),
  });
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  if (parseCpuInfo(cpuinfo) === null) return assert.equal(env.cpu, undefined);
  assert.deepEqual(env.cpu, { ...parseCpuInfo(cpuinfo), onednnIsa: "avx512_core" });
  assert.equal(keys.length, 1);
  const result = {
    schema: 1,
    createdAt: new Date().toISOString(),
    complete: true,
    command: "x",
    env,
    config: {},
    runs: [],
    notes: [],
  };
  assert.throws(() => parseBenchResult(result), /config/, "only the config is missing");
  const { cpu: _, ...older } = env;
  assert.throws(() => parseBenchResult({ ...result, env: older }), /config/, "cpu is optional");
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
