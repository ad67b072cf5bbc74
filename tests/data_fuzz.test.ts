/**
 * Seeded fuzzing of the IDX parser: mutated, truncated and random files must either parse into a
 * consistent result or throw a DataError, never anything else.
 *
 * Environment: FUZZ_LONG=1 runs 100x more cases (about 25 s); FUZZ_SEED=N picks another seed.
 */

import assert from "node:assert/strict";
import { DataError, decodeIdx, encodeIdx, type IdxArray, parseIdx } from "../src/data/mod.ts";
import { Rng } from "./_rng.ts";

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

const LONG = env("FUZZ_LONG") === "1";
const SEED = Number(env("FUZZ_SEED") ?? 20240601);
const PARSE_CASES = LONG ? 2_000_000 : 20_000;
const GZIP_CASES = LONG ? 100_000 : 1_000;

/** A random valid ubyte IDX file of rank 1 to 4 with small dims. */
function validFile(rng: Rng): Uint8Array {
  const rank = 1 + rng.nextInt(4);
  const dims = Array.from({ length: rank }, () => rng.nextInt(rank === 1 ? 40 : 6));
  const size = dims.reduce((a, b) => a * b, 1);
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = rng.nextInt(256);
  return encodeIdx(dims, data);
}

function randomBytes(rng: Rng, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.nextInt(256);
  return out;
}

const SPECIAL_DIMS = [0, 1, 2, 0xff, 0x100, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const SPECIAL_BYTES = [0x00, 0x01, 0x03, 0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e, 0x1f, 0x8b, 0xff];

/** Applies one random mutation; may return a view at a non-zero offset or of another size. */
function mutate(rng: Rng, input: Uint8Array): Uint8Array {
  let bytes: Uint8Array = input.slice();
  const headerSize = Math.min(bytes.length, 4 + 4 * (bytes[3] ?? 0));
  switch (rng.nextInt(9)) {
    case 0: { // bit flips anywhere
      const flips = 1 + rng.nextInt(8);
      for (let i = 0; i < flips && bytes.length > 0; i++) {
        bytes[rng.nextInt(bytes.length)] ^= 1 << rng.nextInt(8);
      }
      break;
    }
    case 1: { // bit flips in the header
      const flips = 1 + rng.nextInt(3);
      for (let i = 0; i < flips && headerSize > 0; i++) {
        bytes[rng.nextInt(headerSize)] ^= 1 << rng.nextInt(8);
      }
      break;
    }
    case 2: // truncation anywhere
      bytes = bytes.subarray(0, rng.nextInt(bytes.length + 1));
      break;
    case 3: // truncation by a few bytes
      bytes = bytes.subarray(0, Math.max(0, bytes.length - 1 - rng.nextInt(4)));
      break;
    case 4: { // trailing bytes
      const out = new Uint8Array(bytes.length + 1 + rng.nextInt(16));
      out.set(bytes);
      out.set(randomBytes(rng, out.length - bytes.length), bytes.length);
      bytes = out;
      break;
    }
    case 5: // one of the four magic bytes set to a special or random value
      if (bytes.length >= 4) {
        bytes[rng.nextInt(4)] = rng.nextInt(2) === 0
          ? SPECIAL_BYTES[rng.nextInt(SPECIAL_BYTES.length)]
          : rng.nextInt(256);
      }
      break;
    case 6: { // one dimension set to a special or random value
      const rank = Math.floor((headerSize - 4) / 4);
      if (rank > 0) {
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const value = rng.nextInt(2) === 0
          ? SPECIAL_DIMS[rng.nextInt(SPECIAL_DIMS.length)]
          : rng.nextUint32();
        view.setUint32(4 + 4 * rng.nextInt(rank), value, false);
      }
      break;
    }
    case 7: // wholly random bytes, sometimes behind a valid-looking magic
      bytes = randomBytes(rng, rng.nextInt(48));
      if (bytes.length >= 4 && rng.nextInt(2) === 0) bytes.set([0, 0, 8, 1 + rng.nextInt(4)]);
      break;
    default: { // the same file at an unaligned offset in a larger buffer
      const padded = new Uint8Array(bytes.length + 7);
      const offset = 1 + rng.nextInt(6);
      padded.set(bytes, offset);
      bytes = padded.subarray(offset, offset + bytes.length);
    }
  }
  return bytes;
}

/** Checks an accepted file's result against its bytes. */
function checkAccepted(bytes: Uint8Array, result: IdxArray, expectDims?: number): void {
  assert.equal(bytes[0], 0);
  assert.equal(bytes[1], 0);
  assert.equal(bytes[2], 0x08);
  assert.equal(result.dims.length, bytes[3]);
  if (expectDims !== undefined) assert.equal(result.dims.length, expectDims);
  const headerSize = 4 + 4 * result.dims.length;
  assert.equal(result.data.length, bytes.length - headerSize);
  assert.equal(result.data.length, result.dims.reduce((a, b) => a * b, 1));
  assert.equal(result.data.buffer, bytes.buffer);
  assert.equal(result.data.byteOffset, bytes.byteOffset + headerSize);
}

function checkRejected(err: unknown, file: string, detail: () => string): void {
  if (!(err instanceof DataError)) {
    assert.fail(`expected only DataError, found ${err} for ${detail()}`);
  }
  assert.equal(err.file, file);
  assert.ok(err.message.startsWith(`${file}: expected `), err.message);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 64), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test(
  `parseIdx() throws only DataError for ${PARSE_CASES} mutated and truncated IDX files ` +
    `(seed ${SEED})`,
  () => {
    const rng = new Rng(SEED);
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < PARSE_CASES; i++) {
      let bytes = validFile(rng);
      const rank = bytes[3];
      const rounds = rng.nextInt(4); // 0 to 3 mutations
      for (let r = 0; r < rounds; r++) bytes = mutate(rng, bytes);
      const pick = rng.nextInt(4);
      const expectDims = pick === 0 ? undefined : pick === 1 ? rank : 1 + rng.nextInt(4);
      const mustParse = rounds === 0 && (expectDims === undefined || expectDims === rank);
      const file = `fuzz-${i}`;
      const detail = () => `case ${i}, expectDims ${expectDims}: ${hex(bytes)}`;
      try {
        checkAccepted(bytes, parseIdx(bytes, { file, expectDims }), expectDims);
        accepted++;
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err;
        if (mustParse) assert.fail(`expected a valid file to parse, found ${err} for ${detail()}`);
        checkRejected(err, file, detail);
        rejected++;
      }
    }
    // Both outcomes must be well represented, or the fuzzer is not exercising the parser.
    assert.ok(accepted > PARSE_CASES / 10, `only ${accepted} of ${PARSE_CASES} accepted`);
    assert.ok(rejected > PARSE_CASES / 2, `only ${rejected} of ${PARSE_CASES} rejected`);
  },
);

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test(
  `decodeIdx() rejects only with DataError for ${GZIP_CASES} mutated gzip files (seed ${SEED})`,
  async () => {
    const rng = new Rng(SEED + 1);
    let accepted = 0;
    for (let i = 0; i < GZIP_CASES; i++) {
      const plain = rng.nextInt(4) === 0 ? mutate(rng, validFile(rng)) : validFile(rng);
      const gz = await gzip(plain);
      const bytes = rng.nextInt(8) === 0 ? gz : mutate(rng, gz);
      const file = rng.nextInt(2) === 0 ? `fuzz-${i}.gz` : `fuzz-${i}`;
      try {
        const result = await decodeIdx(bytes, { file });
        assert.equal(result.data.length, result.dims.reduce((a, b) => a * b, 1));
        accepted++;
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err;
        checkRejected(err, file, () => `case ${i}: ${hex(bytes)}`);
      }
    }
    assert.ok(accepted > 0, "no gzip case was accepted");
  },
);
