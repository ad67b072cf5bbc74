// scripts/gpu-bench.sh's own logic (the order of its steps, its time budget, the 10-epoch runs
// sized to the time left) with a stand-in `deno` first on PATH: the stand-in records each call and
// answers every benchmark with a result whose median step is 10 ms, while the real Deno runs
// scripts/epochs_that_fit.ts. In the rehearsal mode (GPU_BENCH_SMOKE=1) one epoch is wanted:
// 938 steps × 10 ms × 1.3 = 12.2 s, plus 20 s of start-up: 32 s for this stack alone, 64 s with
// PyTorch beside it. No libtorch and no GPU is needed; the real rehearsal takes minutes.
import assert from "node:assert/strict";
import { join } from "node:path";
import { windowResult } from "./_helpers.ts";

const SCRIPT = new URL("../scripts/gpu-bench.sh", import.meta.url).pathname;

/** The stand-in: `deno run … src/bench/main.ts` copies a result, epochs_that_fit runs for real. */
const FAKE_DENO = `#!/usr/bin/env bash
echo "$*" >> "$FAKE_LOG"
case " $* " in
  *" --version "*) echo "deno (stand-in)"; exit 0 ;;
  *" scripts/epochs_that_fit.ts "* | *" scripts/fastest_run.ts "*) exec "$REAL_DENO" "$@" ;;
  *" src/bench/main.ts "*)
    json=""; prev=""
    for a in "$@"; do [ "$prev" = --json ] && json=$a; prev=$a; done
    if [ -n "$FAKE_FAIL" ] && [[ "$json" == */"$FAKE_FAIL".json ]]; then echo "error: stand-in failure" >&2; exit 1; fi
    if [[ " $* " == *" --baseline pytorch "* ]]; then cp "$FAKE_WITH_BASELINE" "$json"
    elif [ -n "$FAKE_FAST" ] && [[ "$json" == */"$FAKE_FAST".json ]]; then cp "$FAKE_FASTER" "$json"
    else cp "$FAKE_ALONE" "$json"; fi
    echo "| deno+libtorch stand-in |" ;;
esac
exit 0
`;

interface Rehearsal {
  /** Every call of the stand-in, one line of arguments each. */
  calls: string[];
  /** The script's summary.log. */
  summary: string;
  /** Its exit status. */
  code: number;
}

/**
 * Runs the script with the stand-in and the given budget in seconds, in rehearsal mode unless
 * `gpu` (then the GPU run's flags and 10 epochs, with a made-up CMake prefix that nothing reads);
 * the benchmark named `fail` exits 1 without a result; the one named `fast` answers with a 5 ms
 * median step instead of 10 ms.
 */
async function rehearse(
  budget: number,
  options: { gpu?: boolean; fail?: string; fast?: string } = {},
): Promise<Rehearsal> {
  const dir = await Deno.makeTempDir({ prefix: "gpu-bench-test-" });
  try {
    const result = await windowResult(10, 10);
    await Deno.writeTextFile(join(dir, "with-baseline.json"), JSON.stringify(result));
    result.runs[0].baseline = null;
    await Deno.writeTextFile(join(dir, "alone.json"), JSON.stringify(result));
    result.runs[0].stepMs = { ...result.runs[0].stepMs, median: 5 };
    await Deno.writeTextFile(join(dir, "faster.json"), JSON.stringify(result));
    await Deno.mkdir(join(dir, "bin"));
    await Deno.writeTextFile(join(dir, "bin", "deno"), FAKE_DENO, { mode: 0o755 });
    const out = await new Deno.Command("bash", {
      args: [SCRIPT, join(dir, "out")],
      env: {
        PATH: `${join(dir, "bin")}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
        REAL_DENO: Deno.execPath(),
        FAKE_LOG: join(dir, "calls.log"),
        FAKE_WITH_BASELINE: join(dir, "with-baseline.json"),
        FAKE_ALONE: join(dir, "alone.json"),
        ...(options.gpu ? { TORCH_CMAKE_PREFIX: "/nonexistent" } : { GPU_BENCH_SMOKE: "1" }),
        GPU_BENCH_BUDGET_S: String(budget),
        FAKE_FAIL: options.fail ?? "",
        FAKE_FAST: options.fast ?? "",
        FAKE_FASTER: join(dir, "faster.json"),
        // Not used when rehearsing; set so that the script does not import torch to find one.
        TORCH_PYTHON: "python3",
      },
      stdout: "null",
      stderr: "null",
    }).output();
    return {
      calls: (await Deno.readTextFile(join(dir, "calls.log"))).trim().split("\n"),
      summary: await Deno.readTextFile(join(dir, "out", "summary.log")),
      code: out.code,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The `--json` names of the benchmark calls, in order, each with its flags after main.ts. */
function benchCalls(calls: string[]): { name: string; flags: string }[] {
  return calls.filter((c) => c.includes("src/bench/main.ts")).map((c) => ({
    name: c.match(/--json \S*\/([^/\s]+)\.json/)?.[1] ?? "?",
    flags: c.slice(c.indexOf("--force") + "--force".length).trim(),
  }));
}

Deno.test("gpu-bench.sh runs what the GPU issue asks for first, then the extras, within a roomy budget", async () => {
  const r = await rehearse(1200);
  assert.equal(r.code, 0, r.summary);
  const names = benchCalls(r.calls).map((c) => c.name);
  assert.deepEqual(names, [
    "eager-vs-pytorch",
    "sweep-fused",
    "sweep-graphs",
    "sweep-graphs-tf32",
    "sweep-graphs-bf16",
    "sweep-graphs-bf16-cl",
    "sweep-graphs-bf16-cl-bench",
    "sweep-graphs-tf32-cl-bench",
    "epochs-fast-fused", // every sweep run has the same median: the first name wins
    "cpu-vs-pytorch",
    "epochs-eager-vs-pytorch",
    "eager-tf32-vs-pytorch-tf32",
    "epochs-graphs-fp32",
  ]);
  const byName = new Map(benchCalls(r.calls).map((c) => [c.name, c.flags]));
  assert.match(byName.get("epochs-eager-vs-pytorch")!, /--baseline pytorch --epochs 1$/);
  assert.match(byName.get("epochs-fast-fused")!, /--adam foreach --epochs 1$/);
  // The rehearsal runs on the CPU without the CUDA-only flags.
  for (const flags of byName.values()) {
    assert.doesNotMatch(flags, /--cuda-graphs|--tf32|--cudnn-benchmark|--adam fused|cuda/);
  }
  assert.ok(r.calls.some((c) => c.startsWith("bench -A benches/step_bench.ts")), "step benchmark");
  assert.match(r.summary, /done in \d+ s of the 1200 s budget/);
  assert.doesNotMatch(r.summary, /skipped/);
});

Deno.test("gpu-bench.sh trains this stack alone when PyTorch's epochs do not fit the budget too", async () => {
  // 60 s: this stack's epoch (32 s) fits after the windows, both (64 s) never do.
  const r = await rehearse(60);
  assert.equal(r.code, 0, r.summary);
  const eager = benchCalls(r.calls).find((c) => c.name === "epochs-eager-vs-pytorch");
  assert.ok(eager, r.summary);
  assert.doesNotMatch(eager.flags, /--baseline/);
  assert.match(eager.flags, /--epochs 1$/);
  assert.match(r.summary, /epochs-eager-vs-pytorch: PyTorch's epochs do not fit the time left too/);
  assert.match(r.summary, /none fits in the \d+ s left after 40 s of start-up/);
});

Deno.test("gpu-bench.sh skips the epoch runs that do not fit and caps every limit at the time left", async () => {
  // 25 s: no epoch run fits (32 s alone); windows run with limits of at most the time left, and
  // once under 15 s are left, the rest are skipped.
  const r = await rehearse(25);
  assert.equal(r.code, 0, r.summary);
  const calls = benchCalls(r.calls);
  assert.ok(calls.length > 0 && calls[0].name === "eager-vs-pytorch", r.summary);
  assert.ok(calls.every((c) => !/--epochs/.test(c.flags)), r.summary);
  for (const limit of r.summary.matchAll(/\(limit (\d+) s\)/g)) {
    assert.ok(Number(limit[1]) <= 25, `limit ${limit[1]} s in a 25 s budget`);
  }
  assert.match(r.summary, /epochs-fast-\S+: skipped, not one epoch fits the \d+ s left/);
  assert.match(r.summary, /epochs-eager-vs-pytorch: skipped, not one epoch fits/);
  assert.match(r.summary, /done in \d+ s of the 25 s budget/);
});

Deno.test("gpu-bench.sh on a GPU shortens the 10-epoch runs to the epochs that fit, with the CUDA flags", async () => {
  // 100 s: 10 epochs of this stack alone take 20 + 10 × 12.2 s, so about 6 fit; with PyTorch
  // beside it about 2, so the seed's comparison trains this stack alone.
  const r = await rehearse(100, { gpu: true });
  assert.equal(r.code, 0, r.summary);
  const byName = new Map(benchCalls(r.calls).map((c) => [c.name, c.flags]));
  assert.match(
    byName.get("eager-vs-pytorch")!,
    /^--device cuda --steps 300 --warmup 10 --baseline pytorch$/,
  );
  assert.match(
    byName.get("sweep-graphs-bf16-cl-bench")!,
    /--cuda-graphs --adam fused --precision bf16 --channels-last --cudnn-benchmark$/,
  );
  assert.match(byName.get("cpu-vs-pytorch")!, /^--device cpu --steps 100 --baseline pytorch$/);
  const fast = byName.get("epochs-fast-fused")!.match(
    /^--device cuda .*--adam fused --epochs (\d+)$/,
  );
  assert.ok(fast, byName.get("epochs-fast-fused"));
  assert.ok(Number(fast[1]) >= 1 && Number(fast[1]) < 10, `epochs ${fast[1]}`);
  assert.match(r.summary, new RegExp(`epochs-fast-fused: ${fast[1]} epochs instead of 10`));
  const eager = byName.get("epochs-eager-vs-pytorch")!;
  assert.doesNotMatch(eager, /--baseline/);
  assert.match(eager, /--epochs [1-9]$/);
});

Deno.test("gpu-bench.sh goes on past a failed run and skips the epoch run that needed its window", async () => {
  const r = await rehearse(1200, { fail: "eager-vs-pytorch" });
  assert.equal(r.code, 0, r.summary);
  assert.match(
    r.summary,
    /eager-vs-pytorch: failed or ran past 120 s \(see eager-vs-pytorch\.log\)/,
  );
  assert.match(
    r.summary,
    /epochs-eager-vs-pytorch: skipped, no eager-vs-pytorch\.json to size it from/,
  );
  const names = benchCalls(r.calls).map((c) => c.name);
  assert.ok(!names.includes("epochs-eager-vs-pytorch"), names.join(" "));
  for (
    const later of ["sweep-fused", "epochs-fast-fused", "cpu-vs-pytorch", "epochs-graphs-fp32"]
  ) {
    assert.ok(names.includes(later), `${later} ran: ${names.join(" ")}`);
  }
});

Deno.test("gpu-bench.sh trains its 10-epoch fast run with the combination of the lowest median step", async () => {
  // sweep-graphs-bf16-cl answers 5 ms, every other 10 ms; sweep-graphs fails and is left out.
  const r = await rehearse(1200, { fast: "sweep-graphs-bf16-cl", fail: "sweep-graphs" });
  assert.equal(r.code, 0, r.summary);
  assert.match(r.summary, /fastest_run: sweep-graphs-bf16-cl: median step 5\.000 ms/);
  assert.match(r.summary, /fastest_run: sweep-graphs: left out \(.*sweep-graphs\.json/);
  assert.match(r.summary, /fastest combination: graphs-bf16-cl \(/);
  const names = benchCalls(r.calls).map((c) => c.name);
  assert.ok(names.includes("epochs-fast-graphs-bf16-cl"), names.join(" "));
  assert.ok(!names.includes("epochs-fast-fused"), names.join(" "));
});
