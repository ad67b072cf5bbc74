/**
 * Set-up for `deno task bench|test`: checks the system packages (installs them when run as root),
 * finds libtorch (scripts/torch_layout.ts) and builds the torch shim and the libtorch C++ baseline
 * worker (native/build/googlenet_worker, checked to start) with CMake, the one build path (CI and
 * the GPU machine alike), again only when native/ or the libtorch found changed.
 *
 *   deno run -A scripts/setup.ts [--quiet] [--force] [--shim-only]
 *
 * `--shim-only` builds the shim alone, without the worker (which only `--baseline libtorch`
 * needs, and which needs zlib's headers and every CUDA library at link time): the GPU script's
 * build.
 *
 * Which libtorch: the PyTorch wheel of TORCH_CMAKE_PREFIX (its `torch.utils.cmake_prefix_path`)
 * or of TORCH_PYTHON (a python3 that imports it); else Debian's libtorch-dev; else the wheel of
 * python3 on PATH. CUDA_HOME or CUDA_PATH name the CUDA headers for a CUDA wheel.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { cmakeArgs, discoverTorch, type TorchLayout } from "./torch_layout.ts";
import { buildStep } from "./build_progress.ts";

const NATIVE = new URL("../native", import.meta.url).pathname;
const BUILD = `${NATIVE}/build`;
const STAMP = `${BUILD}/.source-hash`;
const DEBIAN_TORCH_H = "/usr/include/torch/csrc/api/include/torch/torch.h";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quiet: { type: "boolean", default: false },
    force: { type: "boolean", default: false },
    "shim-only": { type: "boolean", default: false },
  },
});
/** A line `--quiet` keeps back (nothing to do); what takes time is always said ({@linkcode say}). */
const log = (s: string) => values.quiet || console.error(s);
const say = (s: string) => console.error(s);
const fail = (s: string): never => {
  console.error(`setup: ${s}`);
  Deno.exit(1);
};

/** Runs a command; its output shows when it fails, unless `quiet` (a probe). */
function run(cmd: string, args: string[], quiet?: "quiet"): { ok: boolean; stdout: string } {
  try {
    const out = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).outputSync();
    const text = new TextDecoder().decode(out.stdout);
    if (!out.success && !quiet) console.error(text + new TextDecoder().decode(out.stderr));
    return { ok: out.success, stdout: text.trim() };
  } catch {
    return { ok: false, stdout: "" };
  }
}

const hasCommand = (cmd: string) => run("sh", ["-c", `command -v ${cmd} >/dev/null`], "quiet").ok;
const installed = (pkg: string) =>
  run("dpkg-query", ["-W", "-f=${Status}", pkg], "quiet").stdout.includes("install ok installed");

/** A wheel's torch folder if it has a libtorch of its own (Debian's python3-torch has not). */
function wheelOf(python: string): string | undefined {
  const dir = run(python, ["-c", "import torch; print(torch.__path__[0])"], "quiet").stdout;
  if (!dir || !existsSync(`${dir}/lib/libtorch.so`)) return undefined;
  const inside = Deno.realPathSync(`${dir}/lib/libtorch.so`).startsWith(Deno.realPathSync(dir));
  return inside ? dir : undefined;
}

/** The wheel to build against, if any (see the module's doc). */
function torchDir(): string | undefined {
  const prefix = Deno.env.get("TORCH_CMAKE_PREFIX")?.replace(/\/+$/, "");
  if (prefix) return prefix.replace(/\/share\/cmake$/, "");
  const python = Deno.env.get("TORCH_PYTHON");
  const wheel = python ? wheelOf(python) : undefined;
  if (wheel || existsSync(DEBIAN_TORCH_H)) return wheel;
  return wheelOf("python3");
}

/** Installs (as root) or names the missing apt packages. */
function checkPackages(packages: string[], commands: [string, string][]): void {
  const missing = [
    ...packages.filter((p) => !installed(p)),
    ...commands.filter(([c]) => !hasCommand(c)).map(([, p]) => p),
  ];
  if (missing.length === 0) return;
  const line = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(" ")}`;
  if (Deno.uid() !== 0) {
    fail(`missing system packages ${missing.join(", ")}; install them with:\n  sudo ${line}`);
  }
  say(`setup: installing ${missing.join(", ")} (first run only; apt-get's output follows)`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const ok =
    new Deno.Command("sh", { args: ["-c", line], env, stdout: "inherit", stderr: "inherit" })
      .outputSync().success;
  if (!ok) fail(`failed to install ${missing.join(", ")}; run: ${line}`);
}

/** The files under native/ (its bench/ folder included; build/ not), relative to it, sorted. */
function nativeSources(dir = NATIVE, prefix = ""): string[] {
  return [...Deno.readDirSync(dir)].flatMap((e) => {
    if (e.isFile) return [prefix + e.name];
    if (!e.isDirectory || (prefix === "" && e.name === "build")) return [];
    return nativeSources(`${dir}/${e.name}`, `${prefix}${e.name}/`);
  }).sort();
}

async function sourceHash(defines: string[]): Promise<string> {
  const names = nativeSources();
  const parts = [...defines, ...names.flatMap((n) => [n, Deno.readTextFileSync(`${NATIVE}/${n}`)])];
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\0")));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * `cmake --build`, saying each compile step (`setup: compiled runtime.cpp (3/17)`, see
 * build_progress.ts); the whole output shows when the build fails.
 */
async function buildWithProgress(args: string[]): Promise<boolean> {
  const child = new Deno.Command("cmake", { args, stdout: "piped", stderr: "piped" }).spawn();
  const all: string[] = [];
  const stderr = new Response(child.stderr).text();
  let rest = "";
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) {
      all.push(line);
      const step = buildStep(line);
      if (step !== null) say(`setup: ${step}`);
    }
  }
  const status = await child.status;
  if (!status.success) console.error([...all, rest, await stderr].join("\n"));
  return status.success;
}

/** The worker must start and refuse a call without --serve with its JSON error line (its
 *  libtorch resolves, its error path works). */
function verifyWorker(path: string): void {
  const out = new Deno.Command(path, { stdout: "piped", stderr: "piped" }).outputSync();
  const line = new TextDecoder().decode(out.stdout).trim();
  if (out.code !== 1 || !line.startsWith('{"error":')) {
    fail(
      `${path}: expected exit 1 with an {"error":...} line when run bare, found exit ${out.code}: ` +
        (line || new TextDecoder().decode(out.stderr).trim()),
    );
  }
}

const wheel = torchDir();
// libgloo-dev: the Gloo headers c10d's ProcessGroupGloo.hpp includes (native/dist.cpp).
const debianPackages = ["libtorch-dev", "libgloo-dev", "python3-torch"];
checkPackages(wheel ? [] : debianPackages, [["cmake", "cmake"], ["g++", "g++"]]);
let layout: TorchLayout;
try {
  layout = discoverTorch({ torchDir: wheel });
} catch (e) {
  fail((e as Error).message);
}
const defines = [...cmakeArgs(layout!), `-DSHIM_WORKER=${values["shim-only"] ? "OFF" : "ON"}`];
const hash = await sourceHash(defines);
const current = existsSync(STAMP) ? Deno.readTextFileSync(STAMP).trim() : "";
/** What the build makes: the shim and (unless --shim-only) the libtorch C++ baseline worker. */
const WORKER = `${BUILD}/googlenet_worker`;
const OUTPUTS = [`${BUILD}/libtorch_shim.so`, ...(values["shim-only"] ? [] : [WORKER])];
if (!values.force && current === hash && OUTPUTS.every((p) => existsSync(p))) {
  log("setup: shim up to date");
} else {
  say(
    current === ""
      ? "setup: building the libtorch shim: first run only, about 3 minutes"
      : "setup: native/ or libtorch changed: rebuilding the libtorch shim, about 3 minutes",
  );
  log(`setup: against ${layout!.libDir} (native/build/libtorch_shim.so)`);
  // A changed libtorch must not reuse the last configure's cache (the objects stay: ninja or make
  // rebuilds what the new flags change).
  if (existsSync(`${BUILD}/CMakeCache.txt`)) Deno.removeSync(`${BUILD}/CMakeCache.txt`);
  const generator = hasCommand("ninja") ? ["-G", "Ninja"] : [];
  log(`setup: cmake ${defines.join(" ")}`);
  say("setup: configuring with cmake, then compiling");
  const jobs = String(Math.max(1, navigator.hardwareConcurrency));
  if (
    !run("cmake", ["-S", NATIVE, "-B", BUILD, ...generator, ...defines]).ok ||
    !(await buildWithProgress(["--build", BUILD, "-j", jobs]))
  ) fail("the shim failed to build (see the output above)");
  const missing = OUTPUTS.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    fail(`expected the build to make ${OUTPUTS.join(", ")}; missing ${missing.join(", ")}`);
  }
  if (OUTPUTS.includes(WORKER)) verifyWorker(WORKER);
  Deno.writeTextFileSync(STAMP, hash + "\n");
  say("setup: shim built");
}
