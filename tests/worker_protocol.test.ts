// The worker protocol's command line (src/bench/baselines/worker_protocol.ts), written by the
// harness and read back by our own worker. Pure: loads no libtorch.
import assert from "node:assert/strict";
import { parseServeArgs, serveArgs, type WorkerConfig } from "../src/bench/baselines/mod.ts";

const CONFIG: WorkerConfig = {
  dataDir: "/data/mnist",
  device: "cpu",
  threads: 2,
  batchSize: 64,
  lr: 0.001,
  seed: 3,
  tf32: false,
};

Deno.test("parseServeArgs() reads back what serveArgs() writes, with the program's own options", () => {
  for (const config of [CONFIG, { ...CONFIG, device: "cuda" as const, tf32: true }]) {
    const args = ["--recipe", "fp32", ...serveArgs(config)];
    const parsed = parseServeArgs(args, { recipe: { type: "string" } });
    assert.deepEqual(parsed, { config, own: { recipe: "fp32" } });
  }
});

Deno.test("parseServeArgs() names the flag of a missing or bad value, and asks for --serve", () => {
  const args = serveArgs(CONFIG);
  const at = (flag: string) => args.indexOf(flag) + 1;
  const bad = (flag: string, value: string) => args.map((a, i) => i === at(flag) ? value : a);
  assert.throws(() => parseServeArgs(bad("--threads", "two")), /^Error: --threads: .*found "two"/);
  assert.throws(() => parseServeArgs(bad("--device", "tpu")), /^Error: --device: .*found "tpu"/);
  assert.throws(() => parseServeArgs(bad("--lr", "0")), /^Error: --lr: .*found "0"/);
  assert.throws(() => parseServeArgs(args.filter((a) => a !== "--serve")), /expected --serve/);
  const noData = args.filter((_, i) => i !== at("--data") && i !== at("--data") - 1);
  assert.throws(() => parseServeArgs(noData), /^Error: --data: .*found undefined/);
});
