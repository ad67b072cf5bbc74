/**
 * The data order's generator (src/ffi/generator.ts): libtorch's randperm on a CPU generator of its
 * own, equal to Python's torch.randperm(n, generator=torch.Generator().manual_seed(seed)), apart
 * from the default generator, with a state that round-trips (checkpoints).
 */
import "./_shim.ts"; // builds the shim on a fresh clone (as cargo test builds)
import assert from "node:assert/strict";
import * as t from "../src/ffi/mod.ts";
import { hasPythonTorch } from "./_helpers.ts";
import { python } from "./_parity.ts";

const perm = (g: t.Generator, n: number) =>
  t.scope(() => Array.from(t.toHost(g.randperm(n)) as BigInt64Array, Number));

Deno.test("Generator.randperm(n) is an int64 CPU permutation of 0..n-1, fresh each draw", () => {
  const before = t.liveTensors();
  using g = new t.Generator(3);
  t.scope(() => {
    const p = g.randperm(1000);
    assert.strictEqual(p.dtype, "int64");
    assert.strictEqual(p.device, "cpu");
  });
  const a = perm(g, 1000), b = perm(g, 1000);
  assert.deepStrictEqual([...a].sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i));
  assert.notDeepStrictEqual(a, b, "each draw advances the generator: epochs differ");
  assert.deepStrictEqual(perm(g, 0), []);
  assert.strictEqual(t.liveTensors(), before, "no handle leaked");
});

Deno.test("the same seed gives the same permutations, another seed others", () => {
  using a = new t.Generator(42), b = new t.Generator(42), c = new t.Generator(43);
  assert.deepStrictEqual(perm(a, 500), perm(b, 500));
  assert.notDeepStrictEqual(perm(a, 500), perm(c, 500));
});

Deno.test("the order generator is apart from the default one: manualSeed does not move it", () => {
  using a = new t.Generator(5), b = new t.Generator(5);
  perm(a, 10);
  t.manualSeed(5);
  perm(b, 10);
  assert.deepStrictEqual(perm(a, 100), perm(b, 100));
});

Deno.test("a generator's state restores its next draws exactly", () => {
  using g = new t.Generator(9), h = new t.Generator(1);
  perm(g, 100);
  t.scope(() => {
    const s = g.state();
    assert.strictEqual(s.dtype, "uint8");
    const next = perm(g, 100);
    h.setState(s);
    assert.deepStrictEqual(perm(h, 100), next);
  });
});

Deno.test("bad input to a generator is a TorchError saying what was expected", () => {
  using g = new t.Generator(0);
  assert.throws(() => g.randperm(-1), (e: unknown) => {
    assert.ok(e instanceof t.TorchError);
    assert.match(e.message, /expected n >= 0, found -1/);
    return true;
  });
  assert.throws(() => t.scope(() => g.setState(t.zeros([3], { dtype: "uint8" }))), t.TorchError);
  assert.throws(() => new t.Generator(-1), /expected a non-negative integer, found -1/);
  g.dispose();
  assert.throws(() => g.randperm(3), /Generator used after dispose\(\)/);
});

Deno.test({
  name:
    "Generator(seed).randperm equals torch.randperm(n, generator=torch.Generator().manual_seed(seed))",
  ignore: !hasPythonTorch(),
  fn() {
    const dir = Deno.makeTempDirSync();
    try {
      const out = `${dir}/p.json`;
      python([
        "-c",
        "import json, torch; g = torch.Generator().manual_seed(7); " +
        `json.dump([torch.randperm(n, generator=g).tolist() for n in (60000, 1000, 1000)], ` +
        `open(${JSON.stringify(out)}, "w"))`,
      ]);
      const ref: number[][] = JSON.parse(Deno.readTextFileSync(out));
      using g = new t.Generator(7);
      assert.deepStrictEqual([perm(g, 60000), perm(g, 1000), perm(g, 1000)], ref);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
