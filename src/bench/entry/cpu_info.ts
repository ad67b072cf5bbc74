/**
 * What decides a CPU's training speed, for a result's env: vendor, family, model, the
 * instruction sets that matter to the convolutions (from /proc/cpuinfo), and the ISA oneDNN
 * dispatches a convolution to (from its verbose output in a child Python, cached per CPU).
 *
 * @module
 */
import { join } from "node:path";
import type { CpuInfo } from "../../result/mod.ts";
import { benchCacheDir } from "./cache_dir.ts";

/** The flags a result records when present, in this order. */
export const SPEED_FLAGS = [
  "avx2",
  "avx512f",
  "avx512_bf16",
  "avx512_fp16",
  "amx_tile",
  "amx_bf16",
  "amx_int8",
] as const;

function field(cpuinfo: string, key: string): string | null {
  return new RegExp(`^${key}\\s*:\\s*(.*)$`, "m").exec(cpuinfo)?.[1].trim() ?? null;
}

/**
 * The first processor's vendor, family, model and speed flags in `/proc/cpuinfo` text (the
 * ISA left null), or null when it names no vendor (e.g. most ARM kernels).
 */
export function parseCpuInfo(cpuinfo: string): CpuInfo | null {
  const vendor = field(cpuinfo, "vendor_id");
  if (vendor === null) return null;
  const present = new Set((field(cpuinfo, "flags") ?? "").split(/\s+/));
  return {
    vendor,
    family: Number(field(cpuinfo, "cpu family") ?? NaN) || 0,
    model: Number(field(cpuinfo, "model") ?? NaN) || 0,
    flags: SPEED_FLAGS.filter((f) => present.has(f)),
    onednnIsa: null,
  };
}

/**
 * The ISA of the convolutions in oneDNN's verbose output (`onednn_verbose,exec,cpu,
 * convolution,jit_bf16:avx512_core,…` → `avx512_core`): the last convolution's, which
 * {@linkcode ONEDNN_SCRIPT} makes a bf16 one (where bf16 is fastest or emulated, the ISA tells
 * them apart: avx512_core_amx, avx512_core_bf16, avx512_core, avx2…); null when there is none.
 */
export function parseOnednnIsa(verbose: string): string | null {
  let isa: string | null = null;
  for (const line of verbose.split("\n")) {
    const cols = line.split(",");
    if (cols[0].endsWith("_verbose") && cols[1] === "exec" && cols[3] === "convolution") {
      isa = cols[4]?.split(":").at(-1) ?? isa;
    }
  }
  return isa;
}

/** The child's script: an fp32 then a bf16 channels-last convolution, as our stages run them. */
export const ONEDNN_SCRIPT = [
  "import torch",
  "cl = torch.channels_last",
  "x = torch.zeros(2, 16, 16, 16).contiguous(memory_format=cl)",
  "w = torch.zeros(16, 16, 3, 3).contiguous(memory_format=cl)",
  "torch.nn.functional.conv2d(x, w)",
  "torch.nn.functional.conv2d(x.bfloat16(), w.bfloat16())",
].join("\n");

async function runOnednnVerbose(python: string): Promise<string | null> {
  try {
    const out = await new Deno.Command(python, {
      args: ["-c", ONEDNN_SCRIPT],
      env: { ONEDNN_VERBOSE: "1", DNNL_VERBOSE: "1", OMP_NUM_THREADS: "1" },
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? parseOnednnIsa(new TextDecoder().decode(out.stdout)) : null;
  } catch {
    return null;
  }
}

/** Where the ISA is cached, or null. */
function isaCachePath(): string | null {
  const dir = benchCacheDir();
  return dir === null ? null : join(dir, "onednn-isa.json");
}

async function readIsaCache(path: string): Promise<Record<string, string>> {
  try {
    if ((await Deno.stat(path)).size > 1 << 16) return {};
    const parsed = JSON.parse(await Deno.readTextFile(path));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter(([, v]) => typeof v === "string"),
    ) as Record<string, string>;
  } catch {
    return {};
  }
}

/**
 * The ISA oneDNN dispatches convolutions to on this CPU, as `python`'s torch runs them: cached
 * per CPU model, flags and interpreter, so only the first run on a machine spends the child
 * (seconds, importing torch); null when it cannot tell.
 */
export async function onednnIsa(key: string, python: string): Promise<string | null> {
  const path = isaCachePath();
  const cache = path === null ? {} : await readIsaCache(path);
  const id = `${key}|${python}`;
  if (cache[id] !== undefined) return cache[id];
  const isa = await runOnednnVerbose(python);
  if (isa === null || path === null) return isa;
  try {
    await Deno.mkdir(join(path, ".."), { recursive: true });
    const tmp = `${path}.${Deno.pid}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify({ ...cache, [id]: isa }, null, 1) + "\n");
    await Deno.rename(tmp, path);
  } catch {
    // an unwritable cache only costs the child again next run
  }
  return isa;
}
