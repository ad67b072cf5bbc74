/**
 * Set-up for `deno task bench|test`: checks the system packages (installs them when run as root),
 * then builds the torch shim with CMake, again only when native/ or the libtorch prefix changed.
 * When CMake is missing or Torch's CMake config fails (a PyTorch wheel's CUDA config is picky
 * about the toolkit's layout), the shim is built by the compiler alone (scripts/direct_build.ts).
 *
 *   deno run -A scripts/setup.ts [--quiet] [--force] [--direct]
 *
 * --direct skips CMake and builds with the compiler alone.
 *
 * Environment: TORCH_CMAKE_PREFIX — build against another libtorch (e.g. a PyTorch wheel's:
 * `python3 -c 'import torch; print(torch.utils.cmake_prefix_path)'`); the apt check of
 * libtorch-dev is then skipped.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { directBuildArgs, discoverTorch } from "./direct_build.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const NATIVE = `${ROOT}native`;
const BUILD = `${NATIVE}/build`;
const STAMP = `${BUILD}/.source-hash`;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quiet: { type: "boolean", default: false },
    force: { type: "boolean", default: false },
    direct: { type: "boolean", default: false },
  },
});
const log = (s: string) => {
  if (!values.quiet) console.error(s);
};

function run(cmd: string, args: string[], options: { quietOutput?: boolean } = {}): boolean {
  const out = new Deno.Command(cmd, {
    args,
    stdout: options.quietOutput ? "piped" : "inherit",
    stderr: options.quietOutput ? "piped" : "inherit",
  }).outputSync();
  if (!out.success && options.quietOutput) {
    console.error(new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr));
  }
  return out.success;
}

function installed(pkg: string): boolean {
  try {
    const out = new Deno.Command("dpkg-query", {
      args: ["-W", "-f=${Status}", pkg],
      stdout: "piped",
      stderr: "null",
    })
      .outputSync();
    return out.success && new TextDecoder().decode(out.stdout).includes("install ok installed");
  } catch {
    return false;
  }
}

/** Where `cmd` is on PATH, or null when it is not there. */
function commandPath(cmd: string): string | null {
  try {
    const out = new Deno.Command("sh", {
      args: ["-c", `command -v ${cmd}`],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}

function hasCommand(cmd: string): boolean {
  return commandPath(cmd) !== null;
}

const prefix = Deno.env.get("TORCH_CMAKE_PREFIX") ?? "";

// 1. System packages.
const wanted = prefix ? [] : ["libtorch-dev", "python3-torch"];
const tools: [string, string][] = values.direct
  ? [["g++", "g++"]]
  : [["cmake", "cmake"], ["g++", "g++"]];
const missing = [
  ...wanted.filter((p) => !installed(p)),
  ...tools.filter(([c]) => !hasCommand(c)).map(([, p]) => p),
];
if (missing.length > 0) {
  const line = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(" ")}`;
  if (Deno.uid() === 0) {
    log(`setup: installing ${missing.join(", ")}`);
    const env = { DEBIAN_FRONTEND: "noninteractive" };
    const ok =
      new Deno.Command("sh", { args: ["-c", line], env, stdout: "inherit", stderr: "inherit" })
        .outputSync().success;
    if (!ok) {
      console.error(`setup: failed to install ${missing.join(", ")}; run: ${line}`);
      Deno.exit(1);
    }
  } else {
    console.error(
      `setup: missing system packages ${missing.join(", ")}; install them with:\n  sudo ${line}`,
    );
    Deno.exit(1);
  }
}

// 2. The shim, rebuilt only when its sources or the libtorch prefix changed.
async function sourceHash(): Promise<string> {
  const parts: string[] = [`prefix=${prefix}`];
  const names = [...Deno.readDirSync(NATIVE)].filter((e) => e.isFile).map((e) => e.name).sort();
  for (const n of names) parts.push(n, Deno.readTextFileSync(`${NATIVE}/${n}`));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\0")));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const hash = await sourceHash();
let current = "";
try {
  current = Deno.readTextFileSync(STAMP).trim();
} catch { /* not built yet */ }
let libExists = false;
try {
  libExists = Deno.statSync(`${BUILD}/libtorch_shim.so`).isFile;
} catch { /* not built yet */ }

if (values.force || current !== hash || !libExists) {
  log("setup: building the torch shim (native/ → native/build/libtorch_shim.so)");
  // A changed libtorch prefix must not reuse the cached Torch_DIR of the last configure.
  try {
    Deno.removeSync(`${BUILD}/CMakeCache.txt`);
  } catch { /* first build */ }
  const configure = ["-S", NATIVE, "-B", BUILD, "-DCMAKE_BUILD_TYPE=Release"];
  if (prefix) configure.push(`-DCMAKE_PREFIX_PATH=${prefix}`);
  const jobs = String(Math.max(1, navigator.hardwareConcurrency));
  // A failed configure (Torch's config) falls back to the compiler alone; a failed compile does
  // not: the same source would fail the same way.
  const configured = !values.direct && hasCommand("cmake") &&
    run("cmake", configure, { quietOutput: true });
  const built = configured
    ? run("cmake", ["--build", BUILD, "-j", jobs], { quietOutput: true })
    : directBuild();
  if (!built) {
    console.error("setup: the shim failed to build (see the output above)");
    Deno.exit(1);
  }
  Deno.writeTextFileSync(STAMP, hash + "\n");
  log("setup: shim built");
} else {
  log("setup: shim up to date");
}

/** The shim by the compiler alone (scripts/direct_build.ts); false when it cannot be built. */
function directBuild(): boolean {
  if (!values.direct) {
    console.error("setup: CMake could not configure the shim; building with the compiler alone");
  }
  let args: string[];
  try {
    const nvcc = commandPath("nvcc") ?? undefined;
    args = directBuildArgs(discoverTorch(prefix, nvcc), {
      sourceDir: NATIVE,
      output: `${BUILD}/libtorch_shim.so`,
    });
  } catch (e) {
    console.error(`setup: ${(e as Error).message}`);
    return false;
  }
  Deno.mkdirSync(BUILD, { recursive: true });
  log(`setup: g++ ${args.join(" ")}`);
  return run("g++", args, { quietOutput: true });
}
