/** `--cpu-best` and the CPU-only levers on the command line (no libtorch). */
import assert from "node:assert/strict";
import { parseBenchArgs } from "../src/bench/entry/cli.ts";
import { CPU_BEST, speedOptionProblem } from "../src/bench/entry/options.ts";

Deno.test("--cpu-best sets the preset's options and records that it did", () => {
  const plain = parseBenchArgs(["--device", "cpu"], { cores: 2 });
  const best = parseBenchArgs(["--device", "cpu", "--cpu-best"], { cores: 2 });
  const preset = parseBenchArgs(["--device", "cpu", ...CPU_BEST.split(" ")], { cores: 2 });
  assert.strictEqual(best.cpuBest, true);
  assert.deepStrictEqual({ ...best, cpuBest: false }, preset);
  assert.notDeepStrictEqual(preset, plain, "the preset changes something");
});

Deno.test("--cpu-best: flags given beside it win over the preset's, the rest of the preset stays", () => {
  const best = parseBenchArgs(["--cpu-best", "--precision", "bf16", "--adam", "foreach"]);
  assert.strictEqual(best.precision, "bf16");
  assert.strictEqual(best.adam, "foreach");
  const preset = parseBenchArgs(CPU_BEST.split(" "));
  const given = parseBenchArgs(["--cpu-best", "--channels-last"]);
  assert.strictEqual(given.channelsLast, true, "a flag outside the preset is kept too");
  assert.strictEqual(given.precision, preset.precision);
});

Deno.test("--inception-branches and --interop-threads parse; bad values are named", () => {
  const c = parseBenchArgs(["--inception-branches", "parallel", "--interop-threads", "3"]);
  assert.strictEqual(c.inceptionBranches, "parallel");
  assert.strictEqual(c.interopThreads, 3);
  assert.strictEqual(parseBenchArgs([]).inceptionBranches, "sequential");
  assert.strictEqual(parseBenchArgs([]).interopThreads, null);
  assert.throws(
    () => parseBenchArgs(["--inception-branches", "both"]),
    /--inception-branches: expected one of sequential, parallel, found "both"/,
  );
  assert.throws(() => parseBenchArgs(["--interop-threads", "0"]), /--interop-threads: expected/);
});

Deno.test("--cpu-best and parallel branches are refused on CUDA runs, naming the flag", () => {
  const base = { tf32: false, cudaGraphs: false, cudnnBenchmark: false, adam: "auto" } as const;
  assert.match(
    speedOptionProblem({ ...base, cpuBest: true }, ["cuda", "cpu"], "2.11.0")!,
    /--cpu-best applies to the CPU only: expected --device cpu, found a run on CUDA \(--device all\)/,
  );
  assert.match(
    speedOptionProblem({ ...base, inceptionBranches: "parallel" }, ["cuda"], "2.11.0")!,
    /--inception-branches parallel applies to the CPU only/,
  );
  assert.strictEqual(speedOptionProblem({ ...base, cpuBest: true }, ["cpu"], "1.13.1"), null);
});

Deno.test("--cpu-best is --precision auto; auto is refused on CUDA runs, naming the flag", () => {
  assert.equal(parseBenchArgs(["--cpu-best"]).precision, "auto");
  assert.equal(parseBenchArgs(["--cpu-best", "--precision", "fp32"]).precision, "fp32");
  const base = { tf32: false, cudaGraphs: false, cudnnBenchmark: false, adam: "auto" } as const;
  assert.match(
    speedOptionProblem({ ...base, precision: "auto" }, ["cuda"], "2.11.0")!,
    /--precision auto applies to the CPU only: expected --device cpu, found a run on CUDA/,
  );
  assert.strictEqual(speedOptionProblem({ ...base, precision: "auto" }, ["cpu"], "1.13.1"), null);
});
