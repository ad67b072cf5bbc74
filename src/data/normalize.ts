/**
 * Pixel normalisation bit-identical to torchvision's
 * `Compose([ToTensor(), Normalize((0.5,), (0.5,))])` in float32.
 *
 * @module
 */

/**
 * Normalises one pixel value exactly as PyTorch does in float32: `ToTensor` divides by 255
 * (`x.float().div(255)`), then `Normalize` computes `(x - 0.5) / 0.5`, each step rounded to
 * float32.
 *
 * @example Usage
 * ```ts
 * import { normalizePixel } from "./normalize.ts";
 *
 * console.log(normalizePixel(0), normalizePixel(255)); // -1 1
 * ```
 *
 * @param value A pixel value, 0 to 255.
 * @returns The normalised value, a float32 in -1..1.
 */
export function normalizePixel(value: number): number {
  const scaled = Math.fround(value / 255);
  const centred = Math.fround(scaled - Math.fround(0.5));
  return Math.fround(centred / Math.fround(0.5));
}

const TABLE = Float32Array.from({ length: 256 }, (_, value) => normalizePixel(value));

/**
 * Normalises pixels to float32 with {@linkcode normalizePixel} (0 → -1, 255 → 1).
 *
 * @example Usage
 * ```ts
 * import { normalizeImages } from "./normalize.ts";
 *
 * console.log(normalizeImages(new Uint8Array([0, 255]))); // Float32Array(2) [ -1, 1 ]
 * ```
 *
 * @param images Pixels, 0 to 255, in any layout; the output keeps the layout.
 * @returns A new array of the same length.
 */
export function normalizeImages(images: Uint8Array): Float32Array<ArrayBuffer> {
  const out = new Float32Array(images.length);
  for (let i = 0; i < images.length; i++) out[i] = TABLE[images[i]];
  return out;
}
