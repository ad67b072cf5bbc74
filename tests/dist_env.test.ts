/**
 * The pure parts of data-parallel runs (src/dist/): the rank environment as torchrun and srun set
 * it, DistributedSampler's shards, the launcher's thread split and flag rewrite, and what a rank
 * refuses. No libtorch.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import {
  localBatchSize,
  loopbackRankEnv,
  orphaned,
  privateStoreDir,
  RankEnvError,
  rankEnvVars,
  rankProblem,
  readRankEnv,
  shardPositions,
  shardRanges,
  threadsPerRank,
  withFlag,
} from "../src/dist/mod.ts";
import { parseBenchArgs } from "../src/bench/entry/cli.ts";

const TORCHRUN = {
  RANK: "1",
  WORLD_SIZE: "4",
  LOCAL_RANK: "1",
  MASTER_ADDR: "node0",
  MASTER_PORT: "29500",
};

Deno.test("no launcher variables: a plain run, not a rank", () => {
  assert.strictEqual(readRankEnv({ HOME: "/root" }), null);
});

Deno.test("torchrun's variables make a rank", () => {
  assert.deepStrictEqual(readRankEnv(TORCHRUN), {
    rank: 1,
    worldSize: 4,
    localRank: 1,
    masterAddr: "node0",
    masterPort: 29500,
  });
});

Deno.test("srun's variables make a rank once MASTER_ADDR/MASTER_PORT are exported", () => {
  const slurm = { SLURM_PROCID: "3", SLURM_NTASKS: "8", SLURM_LOCALID: "1" };
  assert.strictEqual(readRankEnv(slurm), null, "srun alone does not name the rendezvous");
  assert.deepStrictEqual(readRankEnv({ ...slurm, MASTER_ADDR: "n1", MASTER_PORT: "12345" }), {
    rank: 3,
    worldSize: 8,
    localRank: 1,
    masterAddr: "n1",
    masterPort: 12345,
  });
});

Deno.test("a wrong rank environment is one clear error naming the variable", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ ...TORCHRUN, RANK: "4" }, /RANK: expected a rank below WORLD_SIZE=4, found 4/],
    [{ ...TORCHRUN, WORLD_SIZE: "0" }, /WORLD_SIZE: expected an integer ≥ 1, found "0"/],
    [{ ...TORCHRUN, MASTER_PORT: "70000" }, /MASTER_PORT: expected a port in 1\.\.65535/],
    [{ ...TORCHRUN, MASTER_ADDR: "" }, /MASTER_ADDR: expected the rendezvous host/],
    [{ RANK: "0" }, /WORLD_SIZE: expected an integer ≥ 1, found undefined/],
  ];
  for (const [env, message] of cases) {
    assert.throws(
      () => readRankEnv(env),
      (e) => e instanceof RankEnvError && message.test(e.message),
    );
  }
});

Deno.test("the launcher's variables read back as the same rank", () => {
  const place = { rank: 2, worldSize: 3, localRank: 2, masterAddr: "127.0.0.1", masterPort: 4000 };
  assert.deepStrictEqual(readRankEnv(rankEnvVars(place)), place);
});

Deno.test("ranks on one host meet through a store file: no MASTER_PORT, and the launcher's variables say so", () => {
  const vars = loopbackRankEnv({ rank: 1, worldSize: 2, storeFile: "/tmp/x/store" });
  assert.strictEqual(vars.MASTER_PORT, undefined, "no port: nothing listens for the store");
  assert.strictEqual(vars.GLOO_SOCKET_IFNAME, "lo", "Gloo binds to the loopback interface");
  assert.deepStrictEqual(readRankEnv(vars), {
    rank: 1,
    worldSize: 2,
    localRank: 1,
    masterAddr: "127.0.0.1",
    masterPort: 0,
    storeFile: "/tmp/x/store",
  });
});

Deno.test("a rank whose launcher is no longer its parent knows it is orphaned", () => {
  assert.strictEqual(orphaned({ BENCH_LAUNCHER_PID: "100" }, 100), false);
  assert.strictEqual(orphaned({ BENCH_LAUNCHER_PID: "100" }, 1), true);
  assert.strictEqual(orphaned({}, 1), false, "not started by the launcher: torchrun's, srun's");
});

Deno.test("shards are DistributedSampler's: disjoint, covering, padded from the start", () => {
  assert.deepStrictEqual(shardPositions(10, 0, 2), [0, 2, 4, 6, 8]);
  assert.deepStrictEqual(shardPositions(10, 1, 2), [1, 3, 5, 7, 9]);
  // 10 over 4 ranks: padded to 12 with positions 0 and 1 again.
  const all = [0, 1, 2, 3].map((r) => shardPositions(10, r, 4));
  assert.deepStrictEqual(all, [[0, 4, 8], [1, 5, 9], [2, 6, 0], [3, 7, 1]]);
  assert.deepStrictEqual(shardPositions(7, 0, 1), [0, 1, 2, 3, 4, 5, 6], "one rank: everything");
});

Deno.test("step k of every rank covers the images of step k of one rank with the global batch", () => {
  const n = 200, batch = 64, world = 2;
  const one = shardRanges(n, { globalBatch: batch, worldSize: 1 });
  const shards = [0, 1].map((r) => shardPositions(n, r, world));
  const per = shardRanges(n, { globalBatch: batch, worldSize: world });
  assert.strictEqual(per.length, one.length);
  for (const [k, range] of one.entries()) {
    const global = Array.from({ length: range.size }, (_, i) => range.start + i);
    const local = shards.flatMap((s) => s.slice(per[k].start, per[k].start + per[k].size));
    assert.deepStrictEqual(local.sort((a, b) => a - b), global, `step ${k}`);
  }
});

Deno.test("the global batch must split evenly", () => {
  assert.strictEqual(localBatchSize(64, 2), 32);
  assert.throws(() => localBatchSize(64, 3), /expected a multiple of the 3 ranks/);
});

Deno.test("the launcher splits --threads and rewrites it in every spelling", () => {
  assert.strictEqual(threadsPerRank(2, 2), 1);
  assert.strictEqual(threadsPerRank(7, 2), 3);
  assert.strictEqual(threadsPerRank(1, 4), 1, "at least one thread each");
  assert.deepStrictEqual(withFlag(["--threads", "4", "--steps", "3"], "--threads", "2"), [
    "--steps",
    "3",
    "--threads",
    "2",
  ]);
  assert.deepStrictEqual(withFlag(["--threads=4"], "--threads", "2"), ["--threads", "2"]);
  assert.deepStrictEqual(withFlag(["--nproc", "2"], "--threads", "1"), [
    "--nproc",
    "2",
    "--threads",
    "1",
  ]);
});

Deno.test("--nproc and --dist-timeout parse, with defaults 1 and 60 s", () => {
  const plain = parseBenchArgs([], { cores: 2 });
  assert.strictEqual(plain.nproc, 1);
  assert.strictEqual(plain.distTimeout, 60);
  const c = parseBenchArgs(["--nproc", "2", "--dist-timeout", "5"], { cores: 2 });
  assert.strictEqual(c.nproc, 2);
  assert.strictEqual(c.distTimeout, 5);
});

Deno.test("a rank refuses what it cannot run, in one line", () => {
  const base = parseBenchArgs(["--device", "cpu"], { cores: 2 });
  assert.strictEqual(rankProblem(base, ["cpu"], { worldSize: 2 }), null);
  assert.match(rankProblem(base, ["cuda"], { worldSize: 2 })!, /expected --device cpu/);
  assert.match(
    rankProblem({ ...base, batchSize: 63 }, ["cpu"], { worldSize: 2 })!,
    /--batch-size 63: expected a multiple of the 2 ranks/,
  );
  // The ranks agree on the deadline (the latest clock), so --max-seconds is taken.
  assert.strictEqual(rankProblem({ ...base, maxSeconds: 5 }, ["cpu"], { worldSize: 2 }), null);
});

Deno.test("ranks take --baseline pytorch (PyTorch DDP) with a window, and refuse libtorch", () => {
  const base = parseBenchArgs(["--device", "cpu"], { cores: 2 });
  const pytorch = { ...base, baseline: ["pytorch" as const] };
  assert.strictEqual(rankProblem(pytorch, ["cpu"], { worldSize: 2 }), null);
  assert.match(
    rankProblem({ ...base, baseline: ["pytorch", "libtorch"] }, ["cpu"], { worldSize: 2 })!,
    /--baseline libtorch with 2 ranks: expected pytorch alone .* found pytorch,libtorch/,
  );
  assert.match(
    rankProblem({ ...pytorch, steps: null }, ["cpu"], { worldSize: 2 })!,
    /expected a timed window \(--steps/,
  );
});

Deno.test("a store folder is private (0700); one that a killed launcher left is removed", async () => {
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  const stale = `${tmp}/bench-envtest-4194999-x`; // above any pid_max: no such process
  const alive = `${tmp}/bench-envtest-${Deno.ppid}-x`;
  await Deno.mkdir(stale);
  await Deno.mkdir(alive);
  const dir = await privateStoreDir("bench-envtest-");
  try {
    assert.strictEqual((await Deno.stat(dir)).mode! & 0o777, 0o700);
    assert.ok(!existsSync(stale), "the folder of a process that is gone is removed");
    assert.ok(existsSync(alive), "the folder of a running process is kept");
  } finally {
    for (const d of [dir, alive, stale]) await Deno.remove(d, { recursive: true }).catch(() => {});
  }
});
