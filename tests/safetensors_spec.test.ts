/**
 * decodeSafetensors() against the safetensors spec, without libtorch: what encodeSafetensors()
 * writes reads back, and each violation of the spec is refused with a message naming its rule.
 */
import assert from "node:assert/strict";
import {
  decodeSafetensors,
  encodeSafetensors,
  MAX_HEADER_BYTES,
  repeatedKey,
  SafetensorsError,
} from "../src/model/safetensors.ts";
import { safetensors } from "./_crafted.ts";

const f32 = (shape: number[], begin: number, end: number) =>
  JSON.stringify({ dtype: "F32", shape, data_offsets: [begin, end] });

Deno.test("decodeSafetensors() reads what encodeSafetensors() writes, zero-size tensors included", () => {
  const tensors = new Map([
    ["a", { dtype: "float32" as const, shape: [2], data: new Uint8Array(8).fill(1) }],
    ["b", { dtype: "uint8" as const, shape: [0, 3], data: new Uint8Array() }],
    ["c", { dtype: "int64" as const, shape: [1], data: new Uint8Array(8).fill(2) }],
  ]);
  const back = decodeSafetensors(encodeSafetensors(tensors, { k: "v" }));
  assert.deepEqual(back.metadata, { k: "v" });
  assert.deepEqual([...back.tensors.keys()], ["a", "b", "c"]);
  for (const [name, t] of tensors) assert.deepEqual(back.tensors.get(name), t);
});

const rows: [string, Uint8Array, RegExp][] = [
  [
    "a header length over the spec's 100 MB",
    safetensors("{}", new Uint8Array(), BigInt(MAX_HEADER_BYTES + 1)),
    /expected a header of at most 100000000 bytes .*found a header length of 100000001/,
  ],
  [
    "a header that does not begin with {",
    safetensors(" {}", new Uint8Array()),
    /expected a header that is a JSON object beginning with "\{"/,
  ],
  [
    "a key repeated inside an entry",
    safetensors(
      `{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}`,
      new Uint8Array(4),
    ),
    /found "dtype" twice/,
  ],
  [
    "a key repeated in __metadata__",
    safetensors(`{"__metadata__":{"k":"1","k":"2"}}`, new Uint8Array()),
    /found "k" twice/,
  ],
  [
    "two tensors on one range",
    safetensors(`{"a":${f32([1], 0, 4)},"b":${f32([1], 0, 4)}}`, new Uint8Array(4)),
    /b: its bytes \[0, 4\) overlap those of a, which end at 4: expected tensors that share no bytes/,
  ],
  [
    "a zero-size tensor inside another's range",
    safetensors(`{"a":${f32([2], 0, 8)},"z":${f32([0], 4, 4)}}`, new Uint8Array(8)),
    /z: its bytes \[4, 4\) overlap those of a/,
  ],
  [
    "a gap before the first tensor",
    safetensors(`{"a":${f32([1], 4, 8)}}`, new Uint8Array(8)),
    /a: its bytes start at 4, leaving \[0, 4\) unused after the header/,
  ],
  [
    "trailing bytes",
    safetensors(`{"a":${f32([1], 0, 4)}}`, new Uint8Array(5)),
    /cover the 5-byte body exactly, found 1 trailing bytes after a/,
  ],
  [
    "offsets in reverse",
    safetensors(`{"a":${f32([0], 4, 0)}}`, new Uint8Array(4)),
    /a: expected data_offsets \[begin, end\] with 0 <= begin <= end, found \[4,0\]/,
  ],
  [
    "a dimension past 2^53",
    safetensors(`{"a":${f32([2 ** 53 + 2], 0, 4)}}`, new Uint8Array(4)),
    /a: expected a shape of non-negative integers/,
  ],
  [
    "a range shorter than its shape",
    safetensors(`{"a":${f32([2], 0, 4)}}`, new Uint8Array(4)),
    /a: expected shape \[2\] of F32 to take 8 bytes, found data_offsets \[0, 4\] \(4 bytes\)/,
  ],
  [
    "__metadata__ null",
    safetensors(`{"__metadata__":null}`, new Uint8Array()),
    /expected "__metadata__" to map strings to strings, found null/,
  ],
  [
    "__metadata__ an array",
    safetensors(`{"__metadata__":["a"]}`, new Uint8Array()),
    /to map strings to strings, found an array/,
  ],
  [
    "an entry that is no object",
    safetensors(`{"a":3}`, new Uint8Array()),
    /a: unsupported dtype undefined/,
  ],
];

for (const [what, bytes, message] of rows) {
  Deno.test(`decodeSafetensors() refuses ${what}, naming the rule`, () => {
    assert.throws(
      () => decodeSafetensors(bytes),
      (e: unknown) => e instanceof SafetensorsError && message.test(e.message),
    );
  });
}

Deno.test("repeatedKey() tells keys from string values, escapes and nesting", () => {
  assert.equal(repeatedKey(`{"a\\"b":1,"x":"\\"a\\\\\\"b\\"","a\\"b":2}`), 'a"b');
  assert.equal(repeatedKey(`{"a":{"b":1},"b":2}`), null);
  assert.equal(repeatedKey(`{"a":[{"k":1},{"k":2}],"k":"a"}`), null);
  assert.equal(repeatedKey(`{"a":"a","b":{"c":[1,{"d":1,"d":2}]}}`), "d");
  assert.equal(repeatedKey(`{"\\u0061":1,"a":2}`), "a");
});
