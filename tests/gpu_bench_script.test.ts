// scripts/gpu-bench.sh's own logic (the order of its runs, their caps by the time left, a failed
// run named and passed over, Deno unpacked from .carry/) in a stand-in project: the script, and a
// .carry/deno.xz holding a stand-in `deno` that records each call and answers at once (the sweep
// with a sweep.json naming its fastest flags). No libtorch and no GPU is needed.
import assert from "node:assert/strict";
import { join } from "node:path";

const SCRIPT = new URL("../scripts/gpu-bench.sh", import.meta.url).pathname;

/** The stand-in: records "NAME: ARGS" (and GIT_COMMIT/GIT_DIRTY) per call; FAKE_FAIL's run fails. */
const FAKE_DENO = `#!/usr/bin/env bash
[ "$1" = --version ] && { echo "deno 2.0.0 (stand-in)"; exit 0; }
[ "$1" = eval ] && exec "$REAL_DENO" "$@"
name=""; prev=""; json=""
for a in "$@"; do [ "$prev" = --json ] && json=$a; prev=$a; done
case " $* " in
  *" scripts/setup.ts "*) name=build ;;
  *" scripts/cuda_probe.ts "*) name=deno-probe ;;
  *" tests/cuda.test.ts "*) name=cuda-tests ;;
  *" benches/step_bench.ts "*) name=sweep ;;
  *" src/bench/main.ts "*) name=$(basename "$json" .json) ;;
  *" src/report/report_main.ts "*) name=report ;;
esac
echo "$name: $* [commit $GIT_COMMIT dirty $GIT_DIRTY preload \${LD_PRELOAD##*/} v8 $DENO_V8_FLAGS]" >> "$FAKE_LOG"
[ "$name" = "$FAKE_FAIL" ] && { echo "error: stand-in failure" >&2; exit 1; }
# The probe crashes (as on the first H200) unless FAKE_PROBE_NEEDS holds: NAME=VALUE in the
# environment, or NAME set at all; "never" never holds.
if [ "$name" = deno-probe ] && [ -n "$FAKE_PROBE_NEEDS" ]; then
  case "$FAKE_PROBE_NEEDS" in
    *=*) [ "$(printenv "\${FAKE_PROBE_NEEDS%%=*}")" = "\${FAKE_PROBE_NEEDS#*=}" ] || kill -SEGV $$ ;;
    *) [ -n "$(printenv "$FAKE_PROBE_NEEDS")" ] || kill -SEGV $$ ;;
  esac
fi
[ "$name" = "$FAKE_SLOW" ] && sleep 60
[ "$name" = sweep ] && echo '{"fastest": "--cuda-graphs --adam fused --precision bf16"}' > "$json"
echo "deno+libtorch stand-in: median step 1.00 ms"
exit 0
`;

/**
 * The stand-in TORCH_PYTHON: answers every question about torch at once with a library folder, so
 * that no run's time budget goes to importing a real torch (seconds on a loaded machine).
 */
const FAKE_TORCH_PYTHON = `#!/bin/sh
echo /stand-in/torch/lib
`;

/** The stand-in native/build/shim_probe: records its call and passes. */
const FAKE_SHIM_PROBE = `#!/usr/bin/env bash
echo "shim-probe: $*" >> "$FAKE_LOG"
echo "shim_probe: ok"
`;

interface Rehearsal {
  /** Each call of the stand-in: its run's name and arguments. */
  calls: { name: string; args: string }[];
  /** The script's summary.log ("" when it stopped before writing one). */
  summary: string;
  stderr: string;
  code: number;
}

interface RehearsalOptions {
  /** GPU flags (default) or GPU_BENCH_SMOKE=1. */
  smoke?: boolean;
  budget?: number;
  /** The run that exits 1. */
  fail?: string;
  /** The run that sleeps 60 s. */
  slow?: string;
  /** What the Deno probe needs not to crash: NAME=VALUE or NAME in its environment, or "never". */
  probeNeeds?: string;
  /** What .carry/deno.xz holds (default: the stand-in). */
  carriedDeno?: string;
  /** The PATH the script runs with (default: the stand-in's folder, then this one's). */
  path?: (dir: string) => Promise<string>;
}

/** Writes `text` to `path` as an .xz file (Python's lzma: xz itself may be absent). */
async function xz(text: string, path: string): Promise<void> {
  const code = "import lzma, sys; sys.stdout.buffer.write(lzma.compress(sys.stdin.buffer.read()))";
  const child = new Deno.Command("python3", { args: ["-c", code], stdin: "piped", stdout: "piped" })
    .spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  await Deno.writeFile(path, (await child.output()).stdout);
}

/** Runs the script in a stand-in project (no .git: the commit comes from .carry/commit). */
async function rehearse(options: RehearsalOptions = {}): Promise<Rehearsal> {
  const dir = await Deno.makeTempDir({ prefix: "gpu-bench-test-" });
  try {
    const root = join(dir, "project");
    await Deno.mkdir(join(root, "scripts"), { recursive: true });
    await Deno.mkdir(join(root, ".carry"));
    await Deno.copyFile(SCRIPT, join(root, "scripts", "gpu-bench.sh"));
    await Deno.mkdir(join(root, "native", "build"), { recursive: true });
    await Deno.writeTextFile(join(root, "native", "build", "shim_probe"), FAKE_SHIM_PROBE);
    await Deno.chmod(join(root, "native", "build", "shim_probe"), 0o755);
    const python = join(dir, "torch-python");
    await Deno.writeTextFile(python, FAKE_TORCH_PYTHON);
    await Deno.chmod(python, 0o755);
    await xz(options.carriedDeno ?? FAKE_DENO, join(root, ".carry", "deno.xz"));
    await Deno.writeTextFile(join(root, ".carry", "commit"), "abc123\nv1-4-gabc123-dirty\n");
    const path = options.path ? await options.path(dir) : Deno.env.get("PATH") ?? "/usr/bin:/bin";
    const out = await new Deno.Command("bash", {
      args: [join(root, "scripts", "gpu-bench.sh"), join(dir, "out")],
      env: {
        PATH: path,
        REAL_DENO: Deno.execPath(),
        FAKE_LOG: join(dir, "calls.log"),
        FAKE_FAIL: options.fail ?? "",
        FAKE_SLOW: options.slow ?? "",
        FAKE_PROBE_NEEDS: options.probeNeeds ?? "",
        GPU_BENCH_BUDGET_S: String(options.budget ?? 400),
        ...(options.smoke ? { GPU_BENCH_SMOKE: "1" } : {}),
        TORCH_PYTHON: python,
      },
      stdout: "null",
      stderr: "piped",
    }).output();
    const read = (p: string) => Deno.readTextFile(p).catch(() => "");
    const calls = (await read(join(dir, "calls.log"))).split("\n").filter((l) => l !== "")
      .map((l) => ({ name: l.slice(0, l.indexOf(":")), args: l.slice(l.indexOf(":") + 2) }));
    return {
      calls,
      summary: await read(join(dir, "out", "summary.log")),
      stderr: new TextDecoder().decode(out.stderr),
      code: out.code,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function flagsOf(r: Rehearsal, name: string): string {
  const call = r.calls.find((c) => c.name === name);
  assert.ok(call, `${name} ran: ${r.summary}`);
  return call.args;
}

Deno.test("gpu-bench.sh runs the GPU issue's first asks first: build, device probes, CUDA tests, sweep, fastest beside PyTorch, its 10 epochs, the CPU column, the seed's run, extras", async () => {
  const r = await rehearse();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.calls.map((c) => c.name), [
    "build",
    "shim-probe",
    "deno-probe",
    "cuda-tests",
    "sweep",
    "fast-vs-pytorch",
    "fast-epochs",
    "cpu-vs-pytorch",
    "seed-vs-pytorch",
    "tf32-vs-pytorch-tf32",
    "report",
  ]);
  assert.match(flagsOf(r, "build"), /scripts\/setup\.ts --shim-only/);
  assert.match(flagsOf(r, "shim-probe"), /libtorch_shim\.so 0$/);
  assert.match(flagsOf(r, "deno-probe"), /cuda_probe\.ts cuda:0 \[.* preload {2}v8 \]$/);
  assert.match(flagsOf(r, "sweep"), /--device cuda --steps 40 --warmup 10 --json \S+sweep.json/);
  // The sweep's fastest flags and PyTorch in ONE invocation: the goal ratio.
  assert.match(
    flagsOf(r, "fast-vs-pytorch"),
    /--device cuda --steps 300 --warmup 10 --cuda-graphs --adam fused --precision bf16 --baseline pytorch/,
  );
  assert.match(flagsOf(r, "seed-vs-pytorch"), /--device cuda --epochs 10 --baseline pytorch/);
  assert.doesNotMatch(flagsOf(r, "seed-vs-pytorch"), /--cuda-graphs|--adam|--precision|--tf32/);
  assert.match(
    flagsOf(r, "cpu-vs-pytorch"),
    /--device cpu --steps 100 --cpu-best --baseline pytorch/,
  );
  assert.match(
    flagsOf(r, "fast-epochs"),
    /--epochs 10 --cuda-graphs --adam fused --precision bf16/,
  );
  assert.match(r.summary, /fastest: --cuda-graphs --adam fused --precision bf16/);
  // Each bench run's terminal summary is carried into summary.log.
  assert.match(r.summary, /^deno\+libtorch stand-in: median step 1\.00 ms/m);
  assert.match(r.summary, /done in \d+ s of the 400 s budget/);
  assert.doesNotMatch(r.summary, /skipped|failed/);
});

Deno.test("gpu-bench.sh caps every timeout and deadline by the time left, and skips the runs that no longer fit", async () => {
  // 25 s: the sweep hangs and is killed when the budget is spent; nothing after it starts.
  const r = await rehearse({ smoke: true, budget: 25, slow: "sweep" });
  assert.equal(r.code, 0, r.stderr);
  const limits = [...r.summary.matchAll(/\]: (\S+): (.*) \(limit (\d+) s\)/g)];
  const started = ["build", "shim-probe", "deno-probe", "cuda-tests", "sweep"];
  assert.deepEqual(limits.map((m) => m[1]), started);
  for (const [, , command, limit] of limits) {
    assert.ok(Number(limit) <= 25, `limit ${limit} s in a 25 s budget`);
    const deadline = /--max-seconds (\d+)/.exec(command);
    if (deadline) assert.equal(Number(deadline[1]), Number(limit) - 15, command);
  }
  assert.match(r.summary, /sweep: failed with exit code 124, timed out \(see sweep\.log\)/);
  for (const name of ["fast-vs-pytorch", "seed-vs-pytorch", "cpu-vs-pytorch", "report"]) {
    assert.match(r.summary, new RegExp(`${name}: skipped, -?\\d+ s left of the 25 s budget`));
  }
  assert.deepEqual(r.calls.map((c) => c.name), started);
});

Deno.test("gpu-bench.sh names a failed run and goes on; with no sweep, fp32 eager runs beside PyTorch", async () => {
  const r = await rehearse({ smoke: true, fail: "sweep" });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.summary, /sweep: failed with exit code 1 \(see sweep\.log\)/);
  assert.match(r.summary, /fastest: none measured, so fp32 eager/);
  assert.match(
    flagsOf(r, "fast-vs-pytorch"),
    /--device cpu --steps 3 --warmup 1 --baseline pytorch \[commit/,
  );
  // A run beside PyTorch gets half the deadline: each side's share.
  const m = /--max-seconds (\d+) /.exec(flagsOf(r, "fast-vs-pytorch"));
  assert.ok(m && Number(m[1]) === Math.floor((90 - 15) / 2), flagsOf(r, "fast-vs-pytorch"));
  for (const name of ["seed-vs-pytorch", "cpu-vs-pytorch", "fast-epochs", "report"]) {
    flagsOf(r, name);
  }
  assert.match(flagsOf(r, "seed-vs-pytorch"), /--epochs 1 --baseline pytorch/);
  // The commit comes from .carry/commit when there is no .git.
  assert.match(flagsOf(r, "seed-vs-pytorch"), /\[commit abc123 dirty 1 preload {2}v8 \]$/);
});

Deno.test("gpu-bench.sh runs every Deno run under the first variant with which the device probe passes", async () => {
  const r = await rehearse({ probeNeeds: "DENO_V8_FLAGS=--jitless" });
  assert.equal(r.code, 0, r.stderr);
  const probes = r.calls.filter((c) => c.name === "deno-probe").map((c) => c.args);
  assert.equal(probes.length, 3, r.summary);
  assert.match(probes[0], /v8 \]$/);
  assert.match(probes[1], /v8 --no-memory-protection-keys\]$/);
  assert.match(probes[2], /v8 --jitless\]$/);
  assert.match(r.summary, /deno-probe: failed with exit code 139/);
  assert.match(r.summary, /deno-probe passed with 'DENO_V8_FLAGS=--jitless'/);
  for (const name of ["cuda-tests", "sweep", "fast-vs-pytorch", "cpu-vs-pytorch", "report"]) {
    assert.match(flagsOf(r, name), /preload {2}v8 --jitless\]$/);
  }
});

Deno.test("gpu-bench.sh's last variant preloads torch's libraries into the global scope", async () => {
  const r = await rehearse({ probeNeeds: "LD_PRELOAD" });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.calls.filter((c) => c.name === "deno-probe").length, 4, r.summary);
  assert.match(r.summary, /deno-probe passed with 'LD_PRELOAD=\S+\/libtorch_global_deps\.so'/);
  assert.match(flagsOf(r, "fast-vs-pytorch"), /preload libtorch_global_deps\.so v8 \]$/);
});

Deno.test("gpu-bench.sh skips the GPU runs when no Deno probe reaches the device, and still runs the CPU column", async () => {
  const r = await rehearse({ probeNeeds: "never" });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.calls.filter((c) => c.name === "deno-probe").length, 4, r.summary);
  assert.match(r.summary, /no Deno run reached the device: the runs on cuda are skipped/);
  for (const name of ["cuda-tests", "sweep", "fast-vs-pytorch", "fast-epochs", "seed-vs-pytorch"]) {
    assert.match(r.summary, new RegExp(`${name}: skipped, no Deno run reached the device`));
    assert.ok(!r.calls.some((c) => c.name === name), name);
  }
  assert.match(flagsOf(r, "cpu-vs-pytorch"), /--device cpu .*--cpu-best .* preload {2}v8 \]$/);
  flagsOf(r, "report");
});

Deno.test("gpu-bench.sh stops at a failed build", async () => {
  const r = await rehearse({ smoke: true, fail: "build" });
  assert.equal(r.code, 1);
  assert.match(r.summary, /build: failed with exit code 1 \(see build\.log\)/);
  assert.deepEqual(r.calls.map((c) => c.name), ["build"]);
});

Deno.test("gpu-bench.sh unpacks the carried Deno with Python's lzma when xz is absent", async () => {
  // A PATH of the tools the script uses, xz left out.
  const tools = [
    "bash",
    "date",
    "tee",
    "mkdir",
    "cat",
    "chmod",
    "tail",
    "grep",
    "head",
    "cp",
    "env",
  ]
    .concat(["timeout", "python3", "tar", "mktemp", "dirname", "basename", "git", "sleep"]);
  const r = await rehearse({
    smoke: true,
    path: async (dir) => {
      const bin = join(dir, "tools");
      await Deno.mkdir(bin);
      for (const tool of tools) {
        const where = await new Deno.Command("bash", {
          args: ["-c", `command -v ${tool}`],
          stdout: "piped",
        }).output();
        // The system's python3, not a pyenv shim that needs pyenv on PATH.
        const target = tool === "python3"
          ? "/usr/bin/python3"
          : new TextDecoder().decode(where.stdout).trim();
        if (target !== "") await Deno.symlink(target, join(bin, tool));
      }
      return bin;
    },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.calls.some((c) => c.name === "seed-vs-pytorch"), r.summary);
  assert.match(r.summary, /deno 2\.0\.0 \(stand-in\), commit abc123/);
});

Deno.test("gpu-bench.sh exits 2 when the carried Deno does not answer --version", async () => {
  // An empty file: executed, bash runs it as an empty script and every call "succeeds".
  const r = await rehearse({ carriedDeno: "" });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /expected `deno --version` to print 'deno X\.Y\.Z', found ''/);
  assert.deepEqual(r.calls, []);
});
