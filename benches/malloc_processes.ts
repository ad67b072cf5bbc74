/**
 * Why `--malloc pinned`: the same PyTorch step, started as a fresh process again and again, under
 * glibc's default malloc and under the pinned settings (src/bench/baselines/malloc.ts), in alternating
 * order. Each process is baselines/pytorch_baseline.py's Mode A (--steps); it reports its median
 * step and its minor page faults per timed step (getrusage).
 *
 *   deno run -A benches/malloc_processes.ts [--processes N] [--steps N] [--threads N] [--json FILE]
 *
 * Defaults: 6 processes per policy, 30 steps (after 5 warm-up), 2 threads. Prints each
 * policy's per-process medians and their spread (max/min); the JSON keeps every process.
 */
import { parseArgs } from "node:util";
import { mnistDataDir } from "../src/data/mod.ts";
import { BASELINE_PYTHON, BASELINE_SCRIPT } from "../src/bench/baselines/baseline.ts";
import { mallocEnv, type MallocPolicy } from "../src/bench/baselines/malloc.ts";
import { median } from "../src/stats/stats.ts";

const { values: flags } = parseArgs({
  options: {
    processes: { type: "string", default: "6" },
    steps: { type: "string", default: "30" },
    threads: { type: "string", default: "2" },
    json: { type: "string" },
  },
});

/** One process's outcome. */
interface ProcessRun {
  policy: MallocPolicy;
  stepMedianMs: number;
  minorFaultsPerStep: number;
}

/** Runs one PyTorch process under `policy` (default: GLIBC_TUNABLES removed). */
async function runProcess(policy: MallocPolicy): Promise<ProcessRun> {
  const out = await Deno.makeTempFile({ suffix: ".json" });
  const env = policy === "default"
    ? Object.fromEntries(
      Object.entries(Deno.env.toObject()).filter(([k]) => k !== "GLIBC_TUNABLES"),
    )
    : { ...Deno.env.toObject(), ...mallocEnv(policy) };
  const args = [BASELINE_SCRIPT, "--data", mnistDataDir(), "--threads", flags.threads!];
  args.push("--steps", flags.steps!, "--json", out);
  const status = await new Deno.Command(BASELINE_PYTHON, {
    args,
    env,
    clearEnv: true,
    stderr: "null",
  })
    .output();
  if (!status.success) throw new Error(`${BASELINE_PYTHON} ${args.join(" ")}: exit ${status.code}`);
  const j = JSON.parse(await Deno.readTextFile(out));
  await Deno.remove(out);
  return { policy, stepMedianMs: median(j.stepMs), minorFaultsPerStep: j.minorFaultsPerStep };
}

const runs: ProcessRun[] = [];
const processes = Number(flags.processes);
for (let i = 0; i < processes; i++) {
  const order: MallocPolicy[] = i % 2 === 0 ? ["default", "pinned"] : ["pinned", "default"];
  for (const policy of order) {
    const r = await runProcess(policy);
    runs.push(r);
    console.log(
      `${policy.padEnd(8)} process ${i + 1}: median step ${r.stepMedianMs.toFixed(1)} ms, ` +
        `${Math.round(r.minorFaultsPerStep)} minor faults/step`,
    );
  }
}
for (const policy of ["default", "pinned"] as const) {
  const mine = runs.filter((r) => r.policy === policy).map((r) => r.stepMedianMs);
  console.log(
    `${policy}: per-process medians ${mine.map((m) => m.toFixed(1)).join(", ")} ms; ` +
      `median ${median(mine).toFixed(1)} ms, max/min ${
        (Math.max(...mine) / Math.min(...mine)).toFixed(3)
      }`,
  );
}
if (flags.json) {
  const meta = {
    createdAt: new Date().toISOString(),
    steps: Number(flags.steps),
    threads: Number(flags.threads),
  };
  await Deno.writeTextFile(flags.json, JSON.stringify({ ...meta, runs }, null, 2) + "\n");
}
