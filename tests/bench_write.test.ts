import assert from "node:assert/strict";
import { join } from "node:path";
import type { BenchResult } from "../src/result/schema.ts";
import { resultFileName, writeFileAtomic, writeNewFile } from "../src/result/write.ts";

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

Deno.test("writeNewFile() takes -2, -3 … when the name is taken, and reuses identical content", async () => {
  await withTempDir(async (dir) => {
    const name = "2025-02-01-box-cpu.json";
    assert.equal(await writeNewFile(dir, name, "1"), join(dir, name));
    assert.equal(await writeNewFile(dir, name, "2"), join(dir, "2025-02-01-box-cpu-2.json"));
    assert.equal(await writeNewFile(dir, name, "3"), join(dir, "2025-02-01-box-cpu-3.json"));
    assert.equal(await writeNewFile(dir, name, "2"), join(dir, "2025-02-01-box-cpu-2.json"));
    assert.deepEqual(
      await listing(dir),
      [name, "2025-02-01-box-cpu-2.json", "2025-02-01-box-cpu-3.json"].sort(),
    );
    assert.equal(await Deno.readTextFile(join(dir, name)), "1", "the first file kept");
  });
});

Deno.test("writeNewFile() from 4 processes at once into one folder: every one of 80 results is kept", async () => {
  await withTempDir(async (dir) => {
    const write = new URL("../src/result/write.ts", import.meta.url).href;
    const code = `import { writeNewFile } from "${write}";
      const [dir, who] = Deno.args;
      await Promise.all(Array.from({ length: 20 }, (_, i) => writeNewFile(dir, "r.json", who + "-" + i)));`;
    const outs = await Promise.all(
      ["a", "b", "c", "d"].map((who) =>
        new Deno.Command(Deno.execPath(), { args: ["eval", code, dir, who] }).output()
      ),
    );
    for (const o of outs) assert.ok(o.success, new TextDecoder().decode(o.stderr));
    const names = await listing(dir);
    assert.equal(names.length, 80, `one file per result, found ${names.length}: no temporary left`);
    const contents = new Set(names.map((n) => Deno.readTextFileSync(join(dir, n))));
    assert.equal(contents.size, 80, "no result replaced another");
  });
});

Deno.test("writeFileAtomic() without force refuses a file created meanwhile, as a clean error", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a.json");
    const settled = await Promise.allSettled([
      writeFileAtomic(path, "one"),
      writeFileAtomic(path, "two"),
    ]);
    const won = settled.findIndex((s) => s.status === "fulfilled");
    const lost = settled.find((s) => s.status === "rejected") as PromiseRejectedResult;
    assert.ok(won >= 0 && lost !== undefined, "one writer wins, the other is refused");
    assert.match(lost.reason.message, /refusing to overwrite .*a\.json/);
    assert.equal(await Deno.readTextFile(path), ["one", "two"][won], "the winner's content");
    assert.deepEqual(await listing(dir), ["a.json"]);
  });
});
