import assert from "node:assert/strict";
import { normalizeImages, normalizePixel } from "../src/data/mod.ts";

/** float32 bit pattern of a number (after rounding to float32). */
function bits(x: number): number {
  return new Uint32Array(Float32Array.of(x).buffer)[0];
}

Deno.test("normalizePixel() maps 0 to -1 and 255 to 1", () => {
  assert.equal(normalizePixel(0), -1);
  assert.equal(normalizePixel(255), 1);
});

Deno.test("normalizePixel() rounds to float32 at each step as PyTorch does", () => {
  const expected128 = Math.fround(Math.fround(Math.fround(128 / 255) - 0.5) / 0.5);
  assert.equal(normalizePixel(128), expected128);
  // float32 bit patterns of ((x.float() / 255) - 0.5) / 0.5, computed with IEEE float32 ops.
  assert.equal(bits(normalizePixel(1)), 0xbf7dfdfe);
  assert.equal(bits(normalizePixel(127)), 0xbb808080);
  assert.equal(bits(normalizePixel(128)), 0x3b808100);
  assert.equal(bits(normalizePixel(254)), 0x3f7dfdfe);
  // Computing in float64 and rounding once gives 0x3b808081, so each step must be rounded.
  assert.equal(bits(Math.fround((128 / 255 - 0.5) / 0.5)), 0x3b808081);
});

Deno.test("normalizeImages() matches the float32 reference table for all 256 values", async () => {
  const out = normalizeImages(Uint8Array.from({ length: 256 }, (_, i) => i));
  // SHA-256 of the 256 little-endian float32 values computed by numpy in float32:
  // ((np.arange(256, dtype=np.float32) / np.float32(255)) - np.float32(0.5)) / np.float32(0.5)
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", out));
  assert.equal(
    Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""),
    "d15e8ce72284446496a6de66e8a4795818530b44cd2c3dd415077364535c3c1a",
  );
});

Deno.test("normalizeImages() keeps length and order and is monotonic", () => {
  const input = new Uint8Array([255, 0, 128, 128, 3]);
  const out = normalizeImages(input);
  assert.ok(out instanceof Float32Array);
  assert.deepEqual([...out], [...input].map(normalizePixel));
  const all = normalizeImages(Uint8Array.from({ length: 256 }, (_, i) => i));
  for (let i = 1; i < 256; i++) assert.ok(all[i] > all[i - 1]);
  assert.equal(normalizeImages(new Uint8Array(0)).length, 0);
});
