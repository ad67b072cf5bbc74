import assert from "node:assert/strict";
import { mallocEnv, PINNED_MALLOC } from "../src/bench/baselines/malloc.ts";
import { parseBenchArgs, UsageError } from "../src/bench/entry/cli.ts";

Deno.test("mallocEnv() gives a child process the pinned tunables after the inherited ones", () => {
  assert.deepStrictEqual(mallocEnv("pinned", undefined), {
    GLIBC_TUNABLES: "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=2147483647",
  });
  assert.deepStrictEqual(mallocEnv("pinned", "glibc.malloc.arena_max=2"), {
    GLIBC_TUNABLES:
      "glibc.malloc.arena_max=2:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=2147483647",
  });
});

Deno.test("mallocEnv() leaves a child's environment alone under --malloc default", () => {
  assert.deepStrictEqual(mallocEnv("default", "glibc.malloc.arena_max=2"), {});
});

Deno.test("the pinned settings are glibc's mallopt parameters M_MMAP_MAX and M_TRIM_THRESHOLD", () => {
  assert.deepStrictEqual(PINNED_MALLOC.map((s) => [s.param, s.value]), [[-4, 0], [
    -1,
    2 ** 31 - 1,
  ]]);
});

Deno.test("--malloc defaults to pinned, takes default, and names the choices on a bad value", () => {
  assert.strictEqual(parseBenchArgs([]).malloc, "pinned");
  assert.strictEqual(parseBenchArgs(["--malloc", "default"]).malloc, "default");
  assert.throws(
    () => parseBenchArgs(["--malloc", "jemalloc"]),
    (e: Error) => e instanceof UsageError && /pinned/.test(e.message) && /jemalloc/.test(e.message),
  );
});
