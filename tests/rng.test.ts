// The seeded xoshiro128** generator the fuzz tests draw from (tests/_rng.ts).
import assert from "node:assert/strict";
import { Rng, type RngState } from "./_rng.ts";

Deno.test("Rng matches the xoshiro128** reference output for state [1, 2, 3, 4]", () => {
  const rng = Rng.fromState({ algorithm: "xoshiro128**", s: [1, 2, 3, 4] });
  const out = Array.from({ length: 10 }, () => rng.nextUint32());
  assert.deepEqual(out, [
    11520,
    0,
    5927040,
    70819200,
    2031721883,
    1637235492,
    1287239034,
    3734860849,
    3729100597,
    4258142804,
  ]);
});

Deno.test("new Rng(seed) seeds its state with splitmix64", () => {
  // splitmix64(0) outputs 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4: low word first.
  assert.deepEqual(new Rng(0).state().s, [0x7b1dcdaf, 0xe220a839, 0xa1b965f4, 0x6e789e6a]);
});

Deno.test("Rng gives the same sequence for the same seed and another for another seed", () => {
  const draw = (seed: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: 8 }, () => rng.nextUint32());
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
  assert.notDeepEqual(draw(-1), draw(1));
});

Deno.test("Rng resumes exactly from a state saved as JSON", () => {
  const rng = new Rng(123);
  for (let i = 0; i < 1000; i++) rng.nextUint32();
  const saved: RngState = JSON.parse(JSON.stringify(rng.state()));
  const expected = Array.from({ length: 100 }, () => rng.nextInt(60000));
  const resumed = Rng.fromState(saved);
  assert.deepEqual(Array.from({ length: 100 }, () => resumed.nextInt(60000)), expected);
  assert.deepEqual(resumed.state(), rng.state());
});

Deno.test("Rng.state() returns a copy that later draws do not change", () => {
  const rng = new Rng(5);
  const state = rng.state();
  const copy = structuredClone(state);
  rng.nextUint32();
  assert.deepEqual(state, copy);
});

Deno.test("Rng.fromState() rejects malformed states saying what it expected", () => {
  const bad = [
    { algorithm: "xoshiro128**", s: [0, 0, 0, 0] },
    { algorithm: "xoshiro128**", s: [1, 2, 3] },
    { algorithm: "xoshiro128**", s: [1, 2, 3, 2 ** 32] },
    { algorithm: "xoshiro128**", s: [1, 2, 3, 0.5] },
    { algorithm: "pcg32", s: [1, 2, 3, 4] },
    null,
  ];
  for (const state of bad) {
    assert.throws(
      () => Rng.fromState(state as unknown as RngState),
      (err: unknown) => err instanceof TypeError && /^state: expected .*, found /.test(err.message),
    );
  }
});

Deno.test("new Rng() rejects a seed that is not a safe integer", () => {
  assert.throws(() => new Rng(0.5), RangeError);
  assert.throws(() => new Rng(2 ** 53), RangeError);
});

Deno.test("Rng.nextInt() stays below its bound and covers it; nextFloat() stays in [0, 1)", () => {
  const rng = new Rng(9);
  const seen = new Array(7).fill(0);
  for (let i = 0; i < 7000; i++) seen[rng.nextInt(7)]++;
  for (const n of seen) assert.ok(n > 850 && n < 1150, `counts ${seen}`);
  assert.equal(rng.nextInt(1), 0);
  assert.ok(rng.nextInt(2 ** 32) < 2 ** 32);
  for (let i = 0; i < 1000; i++) {
    const x = rng.nextFloat();
    assert.ok(x >= 0 && x < 1);
  }
  assert.throws(() => rng.nextInt(0), RangeError);
  assert.throws(() => rng.nextInt(2 ** 32 + 1), RangeError);
});
