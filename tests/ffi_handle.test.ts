// NativeHandle (src/ffi/handle.ts): the ownership that Adam and CudaGraph share, with the
// garbage-collection backstop that frees a native object nobody disposed. Pure TypeScript: the
// "native" side is a counter.
import "./_shim.ts"; // builds the shim on a fresh clone (as cargo test builds)
import assert from "node:assert/strict";
import * as t from "../src/ffi/mod.ts";

Deno.test("Adam and CudaGraph both own their native object through NativeHandle", () => {
  assert.ok(t.Adam.prototype instanceof t.NativeHandle);
  assert.ok(t.CudaGraph.prototype instanceof t.NativeHandle, "CudaGraph has the GC backstop");
});

class Fake extends t.NativeHandle {
  constructor(free: (p: Deno.PointerObject) => void) {
    super(Deno.UnsafePointer.create(8n)!, free, "Fake");
  }
  get ptr(): Deno.PointerObject {
    return this.handle;
  }
}

Deno.test("NativeHandle frees once on dispose() and `using`, and refuses use afterwards", () => {
  const freed: bigint[] = [];
  const free = (p: Deno.PointerObject) => freed.push(Deno.UnsafePointer.value(p) as bigint);
  const a = new Fake(free);
  assert.strictEqual(Deno.UnsafePointer.value(a.ptr), 8n);
  a.dispose();
  a.dispose();
  assert.deepStrictEqual(freed, [8n]);
  assert.ok(a.disposed);
  assert.throws(() => a.ptr, /Fake used after dispose\(\): expected a live Fake/);
  {
    using _b = new Fake(free);
  }
  assert.deepStrictEqual(freed, [8n, 8n]);
});

Deno.test("NativeHandle frees an undisposed object once its owner is garbage-collected", async () => {
  // A child Deno with gc() exposed: make handles, drop them, collect, count the frees.
  const script = `
    import { NativeHandle } from ${
    JSON.stringify(new URL("../src/ffi/handle.ts", import.meta.url).href)
  };
    let freed = 0;
    class Fake extends NativeHandle {
      constructor() { super(Deno.UnsafePointer.create(8n), () => freed++, "Fake"); }
    }
    (() => { for (let i = 0; i < 10; i++) new Fake(); })();
    const kept = new Fake();
    for (let i = 0; i < 20 && freed < 10; i++) {
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    console.log(JSON.stringify({ freed, kept: !kept.disposed }));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--v8-flags=--expose-gc", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  assert.deepStrictEqual(JSON.parse(text), { freed: 10, kept: true });
});
