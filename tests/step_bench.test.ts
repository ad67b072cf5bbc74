// benches/step_bench.ts, the speed options' sweep that scripts/gpu-bench.sh runs first: every
// combination it lists is timed, --cpu-best (--precision auto) with the plan the harness would take.
import "./_shim.ts";
import assert from "node:assert/strict";

const STEP_BENCH = new URL("../benches/step_bench.ts", import.meta.url).pathname;

Deno.test("the step sweep times --cpu-best with a probed per-stage plan, cached where the harness caches it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const json = `${dir}/sweep.json`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", STEP_BENCH, "--device", "cpu", "--steps", "1", "--warmup", "1"]
        .concat(["--match", "^--cpu-best$", "--json", json]),
      env: { XDG_CACHE_HOME: dir },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.ok(out.success, text);
    const sweep = JSON.parse(await Deno.readTextFile(json));
    assert.equal(sweep.entries.length, 1, text);
    assert.equal(sweep.entries[0].flags, "--cpu-best");
    assert.equal(sweep.entries[0].error, null, text);
    assert.ok(sweep.entries[0].stepMs.median > 0);
    const cache = JSON.parse(
      await Deno.readTextFile(`${dir}/googlenet-mnist-bench/stage-plans.json`),
    );
    assert.equal(cache.plans.length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
