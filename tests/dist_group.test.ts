/**
 * c10d process groups through the shim (src/ffi/dist.ts): two ranks in two Deno processes on
 * 127.0.0.1 sum, average and broadcast tensors correctly, through a TCPStore or a FileStore; a
 * rendezvous that cannot complete fails within its timeout with c10d's message, as a TorchError.
 */
import "./_shim.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { canIsolateNetwork, runRank, runRanksIsolated } from "./_dist.ts";

const RANK = new URL("./_dist_rank.ts", import.meta.url).pathname;

interface RankOut {
  sum?: number[];
  mean?: number[];
  broadcast?: number[];
  leaked?: number;
  error?: string;
  name?: string;
  seconds?: number;
}

async function rank(spec: Record<string, unknown>): Promise<RankOut> {
  return await runRank(RANK, spec) as RankOut;
}

function assertCollectives(outs: RankOut[]) {
  for (const [r, o] of outs.entries()) {
    assert.strictEqual(o.error, undefined, `rank ${r}: ${o.error}`);
    assert.deepStrictEqual(o.sum, [3, 6], `rank ${r}: the sum of [1, 2] and [2, 4]`);
    assert.deepStrictEqual(o.mean, [1.5, 3], `rank ${r}: their mean`);
    assert.deepStrictEqual(o.broadcast, [7, 0, 1], `rank ${r}: rank 0's values`);
    assert.strictEqual(o.leaked, 0, `rank ${r}: no tensor handle leaked`);
  }
}

Deno.test({
  // The TCPStore's server (1.13's) listens on every interface: the ranks run in a network
  // namespace of their own, whose only interface is loopback.
  name: "two ranks on a TCPStore all-reduce (sum, mean) and broadcast from rank 0",
  ignore: !canIsolateNetwork(),
  async fn() {
    const spec = { worldSize: 2, port: 29500, timeoutMs: 30_000 };
    const outs = await runRanksIsolated(RANK, [{ ...spec, rank: 0 }, { ...spec, rank: 1 }]);
    assertCollectives(outs as RankOut[]);
  },
});

Deno.test("two ranks on a FileStore give the same collectives", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const spec = { worldSize: 2, file: join(dir, "store"), timeoutMs: 30_000 };
    assertCollectives(
      await Promise.all([rank({ ...spec, rank: 0 }), rank({ ...spec, rank: 1 })]),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const who of [0, 1]) {
  Deno.test(`rank ${who} alone fails within the timeout with c10d's message`, async () => {
    const dir = await Deno.makeTempDir();
    const file = join(dir, "store");
    const o = await rank({ rank: who, worldSize: 2, file, timeoutMs: 2000 })
      .finally(() => Deno.remove(dir, { recursive: true }));
    assert.strictEqual(o.name, "TorchError", `expected a TorchError, found ${JSON.stringify(o)}`);
    assert.match(o.error!, /time|connect|refused/i, JSON.stringify(o));
    // c10d may give up before the timeout (a refused connection); what matters is that it does
    // not wait past it. The bound leaves room for a loaded machine (2 cores, several builds).
    assert.ok(o.seconds! < 30, `failed after ${o.seconds} s, timeout 2 s`);
  });
}

Deno.test("a rank outside the world size is refused at once, naming both", async () => {
  const o = await rank({ rank: 2, worldSize: 2, file: "/nonexistent/store", timeoutMs: 60_000 });
  assert.strictEqual(o.name, "TorchError");
  assert.match(o.error!, /expected a rank 0\.\.1 \(world size 2\), found 2/);
  assert.ok(o.seconds! < 5);
});

Deno.test("a rendezvous port already in use fails with c10d's message", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (busy.addr as Deno.NetAddr).port;
    const o = await rank({ rank: 0, worldSize: 2, port, timeoutMs: 3000 });
    assert.strictEqual(o.name, "TorchError", JSON.stringify(o));
    assert.match(o.error!, /address already in use|EADDRINUSE|bind/i);
    assert.ok(o.seconds! < 15, `failed after ${o.seconds} s`);
  } finally {
    busy.close();
  }
});
