import assert from "node:assert/strict";
import { batchRanges } from "../src/data/mod.ts";

Deno.test("batchRanges(60000, 64) gives 938 batches, the last of size 32", () => {
  const batches = batchRanges(60000, 64);
  assert.equal(batches.length, 938);
  assert.deepEqual(batches[0], { start: 0, size: 64 });
  assert.deepEqual(batches[937], { start: 937 * 64, size: 32 });
  let next = 0;
  for (const { start, size } of batches) {
    assert.equal(start, next);
    next += size;
  }
  assert.equal(next, 60000);
});

Deno.test("batchRanges() has no partial batch when the size divides n, and none for n = 0", () => {
  const batches = batchRanges(10000, 100);
  assert.equal(batches.length, 100);
  assert.ok(batches.every((b) => b.size === 100));
  assert.deepEqual(batchRanges(0, 64), []);
  assert.deepEqual(batchRanges(3, 64), [{ start: 0, size: 3 }]);
});

Deno.test("batchRanges() rejects a non-positive batch size or a negative count", () => {
  assert.throws(
    () => batchRanges(10, 0),
    (err: unknown) =>
      err instanceof RangeError && /expected a positive integer, found 0/.test(err.message),
  );
  assert.throws(() => batchRanges(-1, 8), RangeError);
});
