// `deno task bench` (scripts/bench.ts): builds the shim only for a command line that needs it,
// and says each build step (scripts/build_progress.ts).
import assert from "node:assert/strict";
import { needsShim } from "../scripts/bench.ts";
import { buildStep } from "../scripts/build_progress.ts";

const BENCH_TASK = new URL("../scripts/bench.ts", import.meta.url).pathname;

Deno.test("needsShim() builds for a run, not for --help or a usage error", () => {
  assert.equal(needsShim([]), true);
  assert.equal(needsShim(["--steps", "5", "--baseline", "none"]), true);
  assert.equal(needsShim(["--help"]), false);
  assert.equal(needsShim(["-h"]), false);
  assert.equal(needsShim(["--steps", "zero"]), false);
});

Deno.test("deno task bench --help prints the usage without running the set-up", async () => {
  // A set-up run here would fail: this TORCH_CMAKE_PREFIX names no libtorch.
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", BENCH_TASK, "--help"],
    env: { TORCH_CMAKE_PREFIX: "/nonexistent/libtorch" },
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(stdout, /^Usage: deno task bench \[flags\]/);
  assert.match(stdout, /--baseline .*none: no baseline/s);
  assert.equal(new TextDecoder().decode(out.stderr), "");
});

Deno.test("buildStep() says ninja's finished and make's starting steps in brief", () => {
  assert.equal(
    buildStep("[3/17] Building CXX object CMakeFiles/torch_shim.dir/runtime.cpp.o"),
    "compiled runtime.cpp (3/17)",
  );
  assert.equal(
    buildStep(
      "[ 25%] Building CXX object CMakeFiles/googlenet_worker.dir/bench/googlenet_worker.cpp.o",
    ),
    "compiling googlenet_worker.cpp (25%)",
  );
  assert.equal(
    buildStep("[17/17] Linking CXX shared library libtorch_shim.so"),
    "linked libtorch_shim.so (17/17)",
  );
  assert.equal(buildStep("-- Configuring done"), null);
  assert.equal(buildStep("ninja: no work to do."), null);
});
