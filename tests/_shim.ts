/**
 * Imported first by every test file that needs libtorch: as `cargo test` builds before it tests, a
 * `deno test -A` on a fresh clone builds the shim (scripts/setup.ts: the apt check, then CMake) when
 * it is missing, or stops the whole run once with the reason, instead of failing every test with the
 * same "torch shim not found". `deno task test` runs setup.ts first, which also rebuilds after a
 * change to native/; TORCH_SHIM_PATH skips the build.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { shimCandidates } from "../src/ffi/library.ts";

if (!shimCandidates().some((p) => existsSync(p)) && !Deno.env.get("TORCH_SHIM_PATH")) {
  console.error("tests: the torch shim is not built yet; building it with scripts/setup.ts");
  const setup = new URL("../scripts/setup.ts", import.meta.url).pathname;
  const { success } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", setup, "--quiet"],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!success) {
    console.error(
      "tests: building the torch shim failed (see above); every libtorch test needs it. " +
        "Fix the build, or point TORCH_SHIM_PATH at a built libtorch_shim.so",
    );
    // Deno.exit() in a test module ends that module only, and every later one would build again:
    // end the whole `deno test` process instead, so the run fails once, with this reason.
    // The runner relays a module's output from a pipe: give it a moment to print the reason.
    await new Promise((resolve) => setTimeout(resolve, 500));
    Deno.kill(Deno.pid, "SIGTERM");
    await new Promise(() => {});
  }
}
