/**
 * `deno task bench`: builds the libtorch shim when it is missing or stale (scripts/setup.ts,
 * which says so: "building the libtorch shim: first run only, about 3 minutes"), then runs the
 * benchmark (src/bench/entry/main.ts) in this process, PyTorch beside it by default where it is
 * importable (src/bench/baselines/default_baseline.ts). A command line that ends before the shim is needed
 * (`--help`, a usage error) builds nothing.
 *
 * @module
 */
import { HelpRequested, parseBenchArgs, UsageError } from "../src/bench/entry/cli.ts";

/** Whether `args` get as far as the shim: not `--help`, not a usage error. */
export function needsShim(args: readonly string[]): boolean {
  try {
    parseBenchArgs(args);
    return true;
  } catch (e) {
    if (e instanceof HelpRequested || e instanceof UsageError) return false;
    throw e;
  }
}

/** Runs scripts/setup.ts --quiet; its exit code. */
async function setup(): Promise<number> {
  const script = new URL("./setup.ts", import.meta.url).pathname;
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, "--quiet"],
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return code;
}

if (import.meta.main) {
  if (needsShim(Deno.args)) {
    const code = await setup();
    if (code !== 0) Deno.exit(code);
  }
  const { main } = await import("../src/bench/entry/main.ts");
  Deno.exit(await main(Deno.args, { defaultBaseline: true }));
}
