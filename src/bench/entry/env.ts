/**
 * Collecting facts about the machine a benchmark runs on.
 *
 * @module
 */

import type { CpuInfo, Env, GpuInfo, RuntimeVariant } from "../../result/mod.ts";
import { onednnIsa, parseCpuInfo } from "./cpu_info.ts";
import { BASELINE_PYTHON } from "../baselines/mod.ts";

/** Options for {@linkcode collectEnv}. */
export interface CollectEnvOptions {
  /** Build facts from the libtorch shim; `version` is shown in reports. */
  torch: Record<string, unknown>;
  /** The GPU used, or null/omitted when none. */
  gpu?: GpuInfo | null;
  /** Directory whose git checkout is described. Default `Deno.cwd()`. */
  cwd?: string;
  /**
   * The ISA oneDNN uses on this CPU (`key`: its model and flags); default: cpu_info.ts's
   * onednnIsa with the baseline's Python, cached per CPU.
   */
  onednnIsa?: (key: string) => Promise<string | null>;
}

/** Paths whose changes do not make a checkout dirty: earlier results and generated docs. */
const NOT_DIRTY = ["results", "docs"];

/** The CPU model in `/proc/cpuinfo` text (`model name`, or on some ARM kernels `Hardware`…). */
export function parseCpuModel(cpuinfo: string): string | null {
  for (const key of ["model name", "Hardware", "Processor", "cpu model"]) {
    const match = new RegExp(`^${key}\\s*:\\s*(.+)$`, "m").exec(cpuinfo);
    if (match) return match[1].trim().replace(/\s+/g, " ");
  }
  return null;
}

/** The `PRETTY_NAME` (else `NAME VERSION`) of `/etc/os-release` text, e.g. `Debian GNU/Linux 12`. */
export function parseOsRelease(text: string): string | null {
  const fields: Record<string, string | undefined> = {};
  for (const [, key, value] of text.matchAll(/^\s*([A-Z_]+)=(.*?)\s*$/gm)) {
    fields[key] = value.replace(/^(["'])(.*)\1$/, "$2");
  }
  const { PRETTY_NAME: pretty, NAME: name, VERSION: version } = fields;
  return pretty || (name ? (version ? `${name} ${version}` : name) : null);
}

/**
 * How this Deno was run, from its environment: `DENO_V8_FLAGS`, `LD_PRELOAD`, and the name
 * scripts/gpu-bench.sh's wrapper gives its variant in `BENCH_RUNTIME_VARIANT` (else `"custom"`).
 * Undefined when all three are empty: plain Deno. A run without V8's JIT (`--jitless`) is not
 * comparable.
 */
export function runtimeVariantOf(
  env: (name: string) => string | undefined,
): RuntimeVariant | undefined {
  const name = env("BENCH_RUNTIME_VARIANT") ?? "";
  const v8Flags = (env("DENO_V8_FLAGS") ?? "").trim();
  const preloads = (env("LD_PRELOAD") ?? "").split(/[\s:]+/).filter((p) => p !== "");
  if (name === "" && v8Flags === "" && preloads.length === 0) return undefined;
  const comparable = !v8Flags.split(/[\s,]+/).includes("--jitless");
  return { name: name || "custom", v8Flags, preloads, comparable };
}

const readText = (path: string) => Deno.readTextFile(path).catch(() => null);

/** The CPU's identity and speed flags from `/proc/cpuinfo`, with oneDNN's ISA; null: unknown. */
async function cpuOf(
  cpuinfo: string | null,
  isa: (key: string) => Promise<string | null>,
): Promise<CpuInfo | null> {
  const cpu = cpuinfo === null ? null : parseCpuInfo(cpuinfo);
  if (cpu === null) return null;
  const key = `${parseCpuModel(cpuinfo!) ?? cpu.vendor}|${cpu.family}|${cpu.model}|${cpu.flags}`;
  return { ...cpu, onednnIsa: await isa(key).catch(() => null) };
}

async function git(args: string[], cwd: string): Promise<string | null> {
  try {
    const { success, stdout } = await new Deno.Command("git", {
      args,
      cwd,
      stdout: "piped",
      stderr: "null",
    }).output();
    return success ? new TextDecoder().decode(stdout) : null;
  } catch {
    return null; // git not installed, or not allowed to run
  }
}

/** `{ runtimeVariant }` when Deno was not run plainly, else nothing (older results lack it). */
function withRuntimeVariant(): { runtimeVariant?: RuntimeVariant } {
  const variant = safe(() => runtimeVariantOf((name) => Deno.env.get(name)), undefined);
  return variant === undefined ? {} : { runtimeVariant: variant };
}

function safe<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/**
 * Collects the {@linkcode Env} of this machine: CPU, cores, memory, OS, Deno/V8/TypeScript, host,
 * git commit and dirtiness (results/ and docs/ aside), or without a checkout the environment's
 * `GIT_COMMIT` and `GIT_DIRTY=1`. A fact that cannot be read becomes `"unknown"`, 0 or a null
 * commit: nothing here throws for a missing fact.
 */
export async function collectEnv(options: CollectEnvOptions): Promise<Env> {
  const cwd = options.cwd ?? Deno.cwd();
  const [cpuinfo, osRelease, head, status] = await Promise.all([
    readText("/proc/cpuinfo"),
    readText("/etc/os-release"),
    git(["rev-parse", "HEAD"], cwd),
    git(["status", "--porcelain", "--", ".", ...NOT_DIRTY.map((p) => `:(exclude)${p}`)], cwd),
  ]);
  const distro = (osRelease && parseOsRelease(osRelease)) ?? Deno.build.os;
  const kernel = safe(() => Deno.osRelease(), "unknown");
  // Without a checkout (a tree copied without .git, as scripts/gpu-bench.sh runs), the commit it
  // was copied from: GIT_COMMIT, with GIT_DIRTY=1 when that tree had uncommitted changes.
  const fromGit = head?.trim() || null;
  const gitCommit = fromGit ?? Deno.env.get("GIT_COMMIT") ?? null;
  const cpu = await cpuOf(
    cpuinfo,
    options.onednnIsa ?? ((key) => onednnIsa(key, BASELINE_PYTHON)),
  );
  return {
    cpuModel: (cpuinfo && parseCpuModel(cpuinfo)) ?? "unknown",
    cores: navigator.hardwareConcurrency,
    memoryBytes: safe(() => Deno.systemMemoryInfo().total, 0),
    os: `${distro}, ${Deno.build.os} ${kernel} ${Deno.build.arch}`,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    hostname: safe(() => Deno.hostname(), "unknown"),
    gitCommit,
    gitDirty: fromGit !== null
      ? status !== null && status.trim() !== ""
      : gitCommit !== null && Deno.env.get("GIT_DIRTY") === "1",
    torch: options.torch,
    gpu: options.gpu ?? null,
    ...withRuntimeVariant(),
    ...(cpu === null ? {} : { cpu }),
  };
}
