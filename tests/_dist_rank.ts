/**
 * One rank of the process-group tests (tests/dist_group.test.ts), run as its own Deno process:
 * joins the group its argument names, runs the collectives and prints one JSON line with what it
 * saw, or with the error and how long it took to come.
 *
 * deno run -A tests/_dist_rank.ts '{"rank":0,"worldSize":2,"port":29500,"timeoutMs":5000}'
 */
import * as t from "../src/ffi/mod.ts";

const spec = JSON.parse(Deno.args[0]) as {
  rank: number;
  worldSize: number;
  port?: number;
  file?: string;
  timeoutMs: number;
};
const before = t.liveTensors(); // loads libtorch before the clock starts
const started = performance.now();
try {
  using group = new t.ProcessGroup({
    rank: spec.rank,
    worldSize: spec.worldSize,
    store: spec.file ? { file: spec.file } : { addr: "127.0.0.1", port: spec.port! },
    timeoutMs: spec.timeoutMs,
  });
  const out = t.scope(() => {
    const sum = t.fromHost(new Float32Array([spec.rank + 1, 2 * (spec.rank + 1)]), [2]);
    group.allReduce(sum);
    const mean = t.fromHost(new Float32Array([spec.rank + 1, 2 * (spec.rank + 1)]), [2]);
    group.allReduce(mean, true);
    const a = t.fromHost(new Float32Array([spec.rank + 7]), [1]);
    const b = t.fromHost(new Float32Array([10 * spec.rank, 10 * spec.rank + 1]), [2]);
    group.broadcast([a, b], 0);
    group.barrier();
    return {
      sum: Array.from(t.toHost(sum) as Float32Array),
      mean: Array.from(t.toHost(mean) as Float32Array),
      broadcast: [...(t.toHost(a) as Float32Array), ...(t.toHost(b) as Float32Array)],
    };
  });
  console.log(JSON.stringify({ ...out, leaked: t.liveTensors() - before }));
} catch (e) {
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ error: (e as Error).message, name: (e as Error).name, seconds }));
}
