/**
 * Builders of crafted files (issue 30): .pt weights written byte by byte (a stored zip holding a
 * protocol-2 pickle in torch.save's layout), safetensors headers written as text, and gzip
 * bombs. Tests write them into a temporary folder at test time; no crafted binary is committed.
 *
 * @module
 */
import { googlenetParameterShapes } from "../src/model/architecture.ts";
import { encodeSafetensors } from "../src/model/safetensors.ts";
import { writeTinyDataset } from "./_helpers.ts";

const enc = new TextEncoder();

function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---- pickle (protocol 2, the opcodes torch.save writes) ----

/** A pickle integer: BININT1/BININT2 when it fits, BININT for int32, LONG1 (8 bytes) beyond. */
export function pInt(v: number | bigint): Uint8Array {
  const n = BigInt(v);
  if (n >= 0n && n < 256n) return new Uint8Array([0x4b, Number(n)]);
  if (n >= 0n && n < 65536n) return new Uint8Array([0x4d, Number(n) & 255, Number(n) >> 8]);
  if (n >= -(2n ** 31n) && n < 2n ** 31n) {
    const b = new Uint8Array(5);
    b[0] = 0x4a;
    new DataView(b.buffer).setInt32(1, Number(n), true);
    return b;
  }
  const b = new Uint8Array(10);
  b.set([0x8a, 8]);
  new DataView(b.buffer).setBigInt64(2, n, true);
  return b;
}

/** A pickle str (BINUNICODE). */
export function pStr(s: string): Uint8Array {
  const bytes = enc.encode(s);
  const head = new Uint8Array(5);
  head[0] = 0x58;
  new DataView(head.buffer).setUint32(1, bytes.length, true);
  return concat([head, bytes]);
}

/** A pickle GLOBAL `module.name`. */
export function pGlobal(module: string, name: string): Uint8Array {
  return concat([new Uint8Array([0x63]), enc.encode(`${module}\n${name}\n`)]);
}

const MARK = new Uint8Array([0x28]);
const TUPLE = new Uint8Array([0x74]);
const REDUCE = new Uint8Array([0x52]);

/** A tuple of pickled items (MARK … TUPLE). */
export function pTuple(items: Uint8Array[]): Uint8Array {
  return concat([MARK, ...items, TUPLE]);
}

/** One tensor of a crafted state dict, as torch._utils._rebuild_tensor_v2 receives it. */
export interface PtTensor {
  /** Its state_dict name. */
  name: string;
  /** The storage's record name (under data/). */
  key: string;
  /** The storage class (torch.FloatStorage …). */
  storage: string;
  /** The element count the pickle claims for the storage. */
  numel: number | bigint;
  /** Storage offset, in elements. */
  offset: number | bigint;
  /** Sizes. */
  size: (number | bigint)[];
  /** Strides, in elements. */
  stride: (number | bigint)[];
}

/** The pickle of `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, {})`. */
function pTensor(t: PtTensor): Uint8Array {
  const persid = pTuple([
    pStr("storage"),
    pGlobal("torch", t.storage),
    pStr(t.key),
    pStr("cpu"),
    pInt(t.numel),
  ]);
  const hooks = concat([pGlobal("collections", "OrderedDict"), new Uint8Array([0x29]), REDUCE]);
  return concat([
    pGlobal("torch._utils", "_rebuild_tensor_v2"),
    pTuple([
      concat([persid, new Uint8Array([0x51])]), // BINPERSID
      pInt(t.offset),
      pTuple(t.size.map(pInt)),
      pTuple(t.stride.map(pInt)),
      new Uint8Array([0x89]), // requires_grad False
      hooks,
    ]),
    REDUCE,
  ]);
}

/** The pickle torch.save writes for a dict of tensors (without memo entries). */
export function statePickle(tensors: PtTensor[]): Uint8Array {
  const items = tensors.map((t) => concat([pStr(t.name), pTensor(t)]));
  return concat([
    new Uint8Array([0x80, 2, 0x7d]), // PROTO 2, EMPTY_DICT
    ...(items.length > 0 ? [MARK, ...items, new Uint8Array([0x75])] : []), // SETITEMS
    new Uint8Array([0x2e]), // STOP
  ]);
}

// ---- zip (stored entries, as torch.save writes them) ----

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One zip entry: its name, its bytes as stored, and optionally the method and size to claim. */
export interface ZipEntry {
  /** Full name inside the zip. */
  name: string;
  /** The bytes as stored (already compressed when `method` is 8). */
  data: Uint8Array;
  /** Compression method (0 stored, 8 deflate; default 0). */
  method?: number;
  /** Uncompressed size and CRC-32 to record (default: those of `data`). */
  plain?: { size: number; crc: number };
}

function zipHeader(sig: number, fields: [number, 2 | 4][], name: Uint8Array): Uint8Array {
  const size = 4 + fields.reduce((n, [, w]) => n + w, 0);
  const b = new Uint8Array(size + name.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, sig, true);
  let at = 4;
  for (const [value, width] of fields) {
    if (width === 2) v.setUint16(at, value, true);
    else v.setUint32(at, value, true);
    at += width;
  }
  b.set(name, size);
  return b;
}

/** A zip archive of `entries` (no zip64, no extra fields). */
export function zip(entries: ZipEntry[]): Uint8Array<ArrayBuffer> {
  const local: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = enc.encode(e.name);
    const method = e.method ?? 0;
    const plain = e.plain ?? { size: e.data.length, crc: crc32(e.data) };
    const common: [number, 2 | 4][] = [
      [0, 2],
      [method, 2],
      [0, 2],
      [0, 2],
      [plain.crc, 4],
      [
        e.data.length,
        4,
      ],
      [plain.size, 4],
      [name.length, 2],
      [0, 2],
    ];
    const head = zipHeader(0x04034b50, [[20, 2], ...common], name);
    central.push(
      zipHeader(0x02014b50, [[20, 2], [20, 2], ...common, [0, 2], [0, 2], [0, 2], [0, 4], [
        offset,
        4,
      ]], name),
    );
    local.push(head, e.data);
    offset += head.length + e.data.length;
  }
  const dir = concat(central);
  const end = zipHeader(0x06054b50, [
    [0, 2],
    [0, 2],
    [entries.length, 2],
    [entries.length, 2],
    [dir.length, 4],
    [offset, 4],
    [0, 2],
  ], new Uint8Array());
  return concat([...local, dir, end]);
}

/** A .pt file: `pickle` as archive/data.pkl, `records` under archive/data/, and a version. */
export function ptFile(pickle: Uint8Array, records: [string, Uint8Array][]): Uint8Array {
  return zip([
    { name: "archive/data.pkl", data: pickle },
    ...records.map(([key, data]) => ({ name: `archive/data/${key}`, data })),
    { name: "archive/version", data: enc.encode("3\n") },
  ]);
}

/** GoogLeNet's parameters as a crafted state dict (float32, contiguous, one record each). */
export function googlenetTensors(): PtTensor[] {
  return googlenetParameterShapes().map(([name, shape], i) => {
    const stride = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
    const numel = shape.reduce((a, b) => a * b, 1);
    return { name, key: String(i), storage: "FloatStorage", numel, offset: 0, size: shape, stride };
  });
}

/** A .pt file holding `tensors`, each storage record filled to the size the tensor claims. */
export function ptOf(tensors: PtTensor[], recordBytes?: (t: PtTensor) => number): Uint8Array {
  const records = new Map<string, Uint8Array>();
  for (const t of tensors) {
    const bytes = recordBytes?.(t) ?? Number(t.numel) * 4;
    if (!records.has(t.key)) records.set(t.key, new Uint8Array(bytes).fill(1, 0, 4));
  }
  return ptFile(statePickle(tensors), [...records]);
}

// ---- safetensors, written as raw header text ----

/** A safetensors file: an 8-byte length (`length`, default the header's), `header`, `body`. */
export function safetensors(header: string, body: Uint8Array, length?: bigint): Uint8Array {
  const head = enc.encode(header);
  const n = new Uint8Array(8);
  new DataView(n.buffer).setBigUint64(0, length ?? BigInt(head.length), true);
  return concat([n, head, body]);
}

// ---- gzip ----

/** A gzip stream of `head` followed by `zeros` zero bytes, compressed as it is produced. */
export async function gzipOf(head: Uint8Array, zeros: number): Promise<Uint8Array> {
  const chunk = new Uint8Array(1 << 20);
  let left = zeros;
  let headSent = false;
  const source = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(c) {
      if (!headSent) {
        headSent = true;
        c.enqueue(head.slice());
      } else if (left > 0) {
        const n = Math.min(left, chunk.length);
        c.enqueue(chunk.slice(0, n));
        left -= n;
      } else c.close();
    },
  });
  const stream = source.pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The IDX header of `dims` (ubyte), without its payload. */
export function idxHeader(dims: number[]): Uint8Array {
  const b = new Uint8Array(4 + 4 * dims.length);
  b[2] = 0x08;
  b[3] = dims.length;
  dims.forEach((d, i) => new DataView(b.buffer).setUint32(4 + 4 * i, d, false));
  return b;
}

// ---- the corpus ----

/** How a crafted file reaches the harness: `--load FILE`, `--resume FILE` or `--data DIR`. */
export type Route = "load" | "resume" | "data";

/** One crafted input, where it lies, and what its one-line error must say. */
export interface CraftedCase {
  /** What is wrong with it. */
  what: string;
  /** The flag that takes it. */
  route: Route;
  /** The file (or data folder). */
  path: string;
  /** The kind of legitimate file it is measured against. */
  kind: "pt" | "safetensors" | "data";
  /** What the error line must match. */
  message: RegExp;
}

/** The crafted cases, a legitimate file of each kind, and a small data set for the runs. */
export interface Corpus {
  /** Every crafted case. */
  cases: CraftedCase[];
  /** A legitimate file of each kind: GoogLeNet weights as .pt and .safetensors, gzip IDX data. */
  legit: Record<CraftedCase["kind"], string>;
  /** A small plain IDX data set, for the --load and --resume runs. */
  data: string;
}

const P40 = 2n ** 40n;

/** GoogLeNet's state dict with conv1.weight edited. */
function conv1(edit: Partial<PtTensor>): Uint8Array {
  return ptOf(googlenetTensors().map((t, i) => (i === 0 ? { ...t, ...edit } : t)));
}

function ptCases(): [string, Uint8Array, RegExp][] {
  const x = (t: Partial<PtTensor>): PtTensor[] => [
    {
      name: "x",
      key: "0",
      storage: "FloatStorage",
      numel: 4,
      offset: 0,
      size: [4],
      stride: [1],
      ...t,
    },
  ];
  const deep = new Uint8Array(200_004).fill(0x85); // PROTO 2, EMPTY_TUPLE, TUPLE1 x 200,000, STOP
  deep.set([0x80, 2, 0x29]);
  deep[deep.length - 1] = 0x2e;
  const memo = new Uint8Array([0x80, 2, 0x4e, 0x72, 0xff, 0xff, 0xff, 0xff, 0x2e]);
  return [
    [
      "conv1.weight's storage offset -2,000,000",
      conv1({ offset: -2_000_000 }),
      /data\.pkl: BININT .*a negative integer \(-2000000\)/,
    ],
    [
      "a storage offset of 2^40",
      conv1({ offset: P40 }),
      /conv1\.weight: its last element \(index \d+\) ends past the 12544 bytes/,
    ],
    [
      "a storage offset of -2^40",
      conv1({ offset: -P40 }),
      /data\.pkl: LONG1 .*a negative integer \(-1099511627776\)/,
    ],
    [
      "a stride of 2^40",
      conv1({ stride: [P40, 49, 7, 1] }),
      /conv1\.weight: its last element .* ends past/,
    ],
    [
      "a stride of -2^40",
      conv1({ stride: [-P40, 49, 7, 1] }),
      /data\.pkl: LONG1 .*a negative integer \(-1099511627776\)/,
    ],
    [
      "a shape (2^40,) on a 16-byte storage",
      ptOf(x({ size: [P40] })),
      /x: its last element \(index 1099511627775\) ends past the 16 bytes/,
    ],
    [
      "a storage claiming 2^30 elements of a 16-byte record",
      ptOf(x({ numel: 2 ** 30 }), () => 16),
      /x: its storage claims 4294967296 bytes, record data\/0 holds 16/,
    ],
    [
      "a pickle whose REDUCE meets an empty stack",
      ptFile(new Uint8Array([0x80, 2, 0x52, 0x2e]), []),
      /REDUCE .* expected 2 values on the stack/,
    ],
    ["tuples nested 200,000 deep", ptFile(deep, []), /containers nested deeper than 100 levels/],
    ["a memo index of 2^32-1", ptFile(memo, []), /memo index 4294967295 skips past the 0 entries/],
    [
      "two records whose names differ only in case (miniz finds either)",
      zip([
        { name: "archive/data.pkl", data: statePickle(x({})) },
        { name: "archive/data/0", data: new Uint8Array(16) },
        { name: "archive/DATA/0", data: new Uint8Array(16) },
        { name: "archive/version", data: enc.encode("3\n") },
      ]),
      /zip: record archive\/DATA\/0 appears twice \(names ignore case\)/,
    ],
    [
      "a global outside a state dict's (os.system)",
      ptFile(
        concat([new Uint8Array([0x80, 2]), pGlobal("os", "system"), new Uint8Array([0x2e])]),
        [],
      ),
      /global os\.system is not allowed/,
    ],
  ];
}

/** A .pt whose one record is deflated: 100 MiB of zeros in about 100 KiB (a zip bomb). */
async function deflatedPt(): Promise<Uint8Array> {
  const size = 100 << 20;
  const raw = await new Response(
    new Blob([new Uint8Array(size)]).stream().pipeThrough(new CompressionStream("deflate-raw")),
  ).arrayBuffer();
  const pickle = statePickle([
    {
      name: "x",
      key: "0",
      storage: "FloatStorage",
      numel: size / 4,
      offset: 0,
      size: [size / 4],
      stride: [1],
    },
  ]);
  return zip([
    { name: "archive/data.pkl", data: pickle },
    { name: "archive/data/0", data: new Uint8Array(raw), method: 8, plain: { size, crc: 0 } },
    { name: "archive/version", data: enc.encode("3\n") },
  ]);
}

function f32(shape: number[], begin: number, end: number) {
  return { dtype: "F32", shape, data_offsets: [begin, end] };
}

function safetensorsCases(): [string, Uint8Array, RegExp][] {
  const mib = 1 << 20;
  const overlap = Object.fromEntries(
    Array.from({ length: 200 }, (_, i) => [`t${i}`, f32([mib / 4], 0, mib)]),
  );
  const a = JSON.stringify(f32([2], 0, 8));
  const huge = 2 ** 31;
  return [
    [
      "200 entries on one 1 MiB range",
      safetensors(JSON.stringify(overlap), new Uint8Array(mib)),
      /overlap those of t\d+.*share no bytes/,
    ],
    [
      "a header length of 2^40",
      safetensors("{}", new Uint8Array(), 2n ** 40n),
      /at most 100000000 bytes .*1099511627776/,
    ],
    [
      "a gap between two tensors",
      safetensors(JSON.stringify({ a: f32([2], 0, 8), b: f32([2], 12, 20) }), new Uint8Array(20)),
      /b: its bytes start at 12, leaving \[8, 12\) unused/,
    ],
    [
      "trailing bytes after the last tensor",
      safetensors(JSON.stringify({ a: f32([2], 0, 8) }), new Uint8Array(12)),
      /4 trailing bytes after a/,
    ],
    [
      "a key written twice",
      safetensors(`{"a":${a},"a":${a}}`, new Uint8Array(8)),
      /each key once in the header, found "a" twice/,
    ],
    [
      "a shape whose byte count overflows 64 bits",
      safetensors(JSON.stringify({ a: f32([huge, huge, huge], 0, 0) }), new Uint8Array()),
      /a: expected shape .* to take 39614081257132168796771975168 bytes/,
    ],
    [
      "a __metadata__ value that is no string",
      safetensors(JSON.stringify({ __metadata__: { n: 1 } }), new Uint8Array()),
      /"__metadata__" to map strings to strings, found number under "n"/,
    ],
  ];
}

async function gz(bytes: Uint8Array): Promise<Uint8Array> {
  return await gzipOf(bytes, 0);
}

/** A copy of data set `from` in `to`, every file gzipped, train images replaced by `images`. */
async function gzData(from: string, to: string, images?: Uint8Array): Promise<string> {
  await Deno.mkdir(to, { recursive: true });
  for (const e of Deno.readDirSync(from)) {
    const bytes = e.name === "train-images-idx3-ubyte" && images
      ? images
      : await gz(await Deno.readFile(`${from}/${e.name}`));
    await Deno.writeFile(`${to}/${e.name}.gz`, bytes);
  }
  return to;
}

/** Writes the corpus into `dir` (about 200 MB, mostly GoogLeNet-sized weights). */
export async function writeCorpus(dir: string): Promise<Corpus> {
  const data = `${dir}/data`;
  await writeTinyDataset(data, { train: 64, test: 20 });
  const cases: CraftedCase[] = [];
  const add = (
    kind: CraftedCase["kind"],
    route: Route,
    what: string,
    path: string,
    message: RegExp,
  ) => cases.push({ what: `${kind}: ${what}`, route, path, kind, message });
  let n = 0;
  for (
    const [what, bytes, message] of [
      ...ptCases(),
      [
        "a record deflated 1000:1 (a zip bomb)",
        await deflatedPt(),
        /record archive\/data\/0 is compressed or encrypted \(method 8\)/,
      ] as const,
    ]
  ) {
    const path = `${dir}/crafted-${n++}.pt`;
    await Deno.writeFile(path, bytes);
    add("pt", "load", what, path, message);
  }
  for (const [what, bytes, message] of safetensorsCases()) {
    const path = `${dir}/crafted-${n++}.safetensors`;
    await Deno.writeFile(path, bytes);
    add("safetensors", "load", what, path, message);
  }
  const nullMeta = `${dir}/null-metadata.safetensors`;
  await Deno.writeFile(nullMeta, safetensors('{"__metadata__": null}', new Uint8Array()));
  add(
    "safetensors",
    "resume",
    "a checkpoint with __metadata__ null",
    nullMeta,
    /--resume .*"__metadata__" to map strings to strings, found null/,
  );
  const bomb = await gzipOf(idxHeader([64, 28, 28]), 300_000_000);
  add(
    "data",
    "data",
    `a ${Math.round(bomb.length / 1000)} KB .gz inflating to 300 MB behind a 64-image header`,
    await gzData(data, `${dir}/bomb`, bomb),
    /train-images-idx3-ubyte\.gz: expected at most 50192 bytes once decompressed \(what its IDX header implies for dims \[64, 28, 28\]\)/,
  );
  const zeros = await gzipOf(new Uint8Array(), 300_000_000);
  add(
    "data",
    "data",
    "a .gz of 300 MB of zeros (no IDX magic)",
    await gzData(data, `${dir}/zeros`, zeros),
    /train-images-idx3-ubyte\.gz: expected magic 0x00000803/,
  );
  return { cases, data, legit: await writeLegit(dir, data) };
}

async function writeLegit(dir: string, data: string): Promise<Corpus["legit"]> {
  const pt = `${dir}/legit.pt`;
  await Deno.writeFile(pt, ptOf(googlenetTensors()));
  const st = `${dir}/legit.safetensors`;
  const raw = new Map(
    googlenetTensors().map((t) => [t.name, {
      dtype: "float32" as const,
      shape: t.size.map(Number),
      data: new Uint8Array(Number(t.numel) * 4),
    }]),
  );
  await Deno.writeFile(st, encodeSafetensors(raw));
  return { pt, safetensors: st, data: await gzData(data, `${dir}/legit-data`) };
}
