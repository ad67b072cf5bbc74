import assert from "node:assert/strict";
import { join } from "node:path";
import type { BenchResult } from "../src/result/schema.ts";
import { resultFileName, uniquePath, writeFileAtomic } from "../src/result/write.ts";

async function withTempDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "bench_write_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function listing(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test("writeFileAtomic() creates a file and leaves no temporary file behind", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a.json");
    assert.equal(await writeFileAtomic(path, "{}\n"), "written");
    assert.equal(await Deno.readTextFile(path), "{}\n");
    assert.deepEqual(await listing(dir), ["a.json"]);
  });
});

Deno.test("writeFileAtomic() is a no-op when the content is identical", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a.json");
    await writeFileAtomic(path, "same");
    const before = (await Deno.stat(path)).mtime;
    assert.equal(await writeFileAtomic(path, new TextEncoder().encode("same")), "unchanged");
    assert.deepEqual((await Deno.stat(path)).mtime, before);
  });
});

Deno.test("writeFileAtomic() refuses to overwrite different content without force", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a.json");
    await Deno.writeTextFile(path, "old");
    await assert.rejects(() => writeFileAtomic(path, "new"), (error: unknown) => {
      assert.ok(error instanceof Deno.errors.AlreadyExists);
      assert.equal(
        error.message,
        `refusing to overwrite ${path}: expected no file or identical content, found a ` +
          "different 3-byte file (choose another name or pass force)",
      );
      return true;
    });
    assert.equal(await Deno.readTextFile(path), "old");
    assert.deepEqual(await listing(dir), ["a.json"]);
  });
});

Deno.test("writeFileAtomic() replaces different content with force", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a.json");
    await Deno.writeTextFile(path, "old");
    assert.equal(await writeFileAtomic(path, "new", { force: true }), "written");
    assert.equal(await Deno.readTextFile(path), "new");
    assert.deepEqual(await listing(dir), ["a.json"]);
  });
});

Deno.test("writeFileAtomic() leaves no stray file behind when it cannot write", async () => {
  await withTempDir(async (dir) => {
    const target = join(dir, "sub");
    await Deno.mkdir(target); // a directory cannot be replaced by a file
    await assert.rejects(() => writeFileAtomic(target, "x", { force: true }));
    assert.deepEqual(await listing(dir), ["sub"]);
  });
});

function result(hostname: string, devices: Array<"cpu" | "cuda">, baseline?: "cpu" | "cuda") {
  return {
    createdAt: "2025-01-31T23:30:00-02:00",
    env: { hostname },
    config: { device: "all" },
    runs: devices.map((device) => ({
      device,
      baseline: baseline ? { device: baseline, baseline: null } : null,
    })),
  } as unknown as BenchResult;
}

Deno.test("resultFileName() joins UTC date, host and devices", () => {
  assert.equal(
    resultFileName(result("gpu-box", ["cuda", "cpu"])),
    "2025-02-01-gpu-box-cpu-cuda.json",
  );
  assert.equal(resultFileName(result("gpu-box", ["cpu"])), "2025-02-01-gpu-box-cpu.json");
  assert.equal(resultFileName(result("box", ["cpu"], "cuda")), "2025-02-01-box-cpu-cuda.json");
});

Deno.test("resultFileName() makes the host name file-safe", () => {
  assert.equal(resultFileName(result("My Host/01", ["cpu"])), "2025-02-01-my-host-01-cpu.json");
});

Deno.test("resultFileName() falls back to --device when nothing ran", () => {
  assert.equal(resultFileName(result("box", [])), "2025-02-01-box-all.json");
});

Deno.test("uniquePath() appends -2, -3 … to a taken name", async () => {
  await withTempDir(async (dir) => {
    const name = "2025-02-01-box-cpu.json";
    assert.equal(await uniquePath(dir, name), join(dir, name));
    await Deno.writeTextFile(join(dir, name), "1");
    assert.equal(await uniquePath(dir, name), join(dir, "2025-02-01-box-cpu-2.json"));
    await Deno.writeTextFile(join(dir, "2025-02-01-box-cpu-2.json"), "2");
    assert.equal(await uniquePath(dir, name), join(dir, "2025-02-01-box-cpu-3.json"));
  });
});

Deno.test("uniquePath() reuses a file that already holds the same content", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "r.json"), "1");
    await Deno.writeTextFile(join(dir, "r-2.json"), "2");
    assert.equal(await uniquePath(dir, "r.json", { content: "2" }), join(dir, "r-2.json"));
    assert.equal(await uniquePath(dir, "r.json", { content: "3" }), join(dir, "r-3.json"));
  });
});
