// scripts/gpu-bench.sh's own logic (the order of its runs, their caps by the time left, a failed
// run named and passed over, the elimination of scripts/gpu-elimination.sh, Deno unpacked from
// .carry/) in a stand-in project: the scripts, the C sources the script builds (the fault reporter
// and the preloads, built here with gcc), and a .carry/deno.xz holding a stand-in `deno` that
// records each call with the environment that matters and answers at once (the sweep with a
// sweep.json naming its fastest flags). No libtorch and no GPU is needed.
import assert from "node:assert/strict";
import { join } from "node:path";

const SCRIPTS = ["gpu-bench.sh", "gpu-elimination.sh"]
  .map((name) => new URL(`../scripts/${name}`, import.meta.url).pathname);
const C_SOURCES = ["fault_reporter.c", "no_pkeys.c", "cuda_preinit.c"]
  .map((name) => new URL(`../native/bench/${name}`, import.meta.url).pathname);

/**
 * What a stand-in records of its environment: the variant's name, the preloaded libraries' file
 * names, V8's flags, CUDA_MODULE_LOADING and the loader's path.
 */
const STATE = `preloads=""
for p in \${LD_PRELOAD//:/ }; do preloads+="\${p##*/},"; done
state="[commit $GIT_COMMIT dirty $GIT_DIRTY variant \${BENCH_RUNTIME_VARIANT:-} preload \${preloads%,} v8 \${DENO_V8_FLAGS:-} eager \${CUDA_MODULE_LOADING:-} ldpath \${LD_LIBRARY_PATH:-unset}]"`;

/**
 * The stand-in `deno`: records "NAME: ARGS [STATE]" per call; FAKE_FAIL's run fails, FAKE_CRASH's
 * dies of SIGSEGV, FAKE_SLOW's sleeps 60 s; a run with a baseline calls TORCH_PYTHON as Deno's
 * bench would spawn PyTorch.
 */
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
  *" src/bench/entry/main.ts "*) name=$(basename "$json" .json) ;;
  *" src/report/report_main.ts "*) name=report ;;
esac
${STATE}
echo "$name: $* $state" >> "$FAKE_LOG"
[ "$name" = "$FAKE_FAIL" ] && { echo "error: stand-in failure" >&2; exit 1; }
# The probe crashes (as on the first H200) unless its call and state contain one of
# FAKE_PROBE_NEEDS's |-separated strings.
if [ "$name" = deno-probe ] && [ -n "$FAKE_PROBE_NEEDS" ]; then
  IFS='|' read -ra needs <<< "$FAKE_PROBE_NEEDS"
  ok=0
  for n in "\${needs[@]}"; do [[ "$* $state" == *"$n"* ]] && ok=1; done
  [ "$ok" = 1 ] || kill -SEGV $$
fi
[ "$name" = "$FAKE_CRASH" ] && kill -SEGV $$
[ "$name" = "$FAKE_SLOW" ] && sleep 60
[[ " $* " == *" --baseline "* ]] && "$TORCH_PYTHON" baseline-stand-in
[ "$name" = sweep ] && echo '{"fastest": "--cuda-graphs --adam fused --precision bf16"}' > "$json"
echo "deno+libtorch stand-in: median step 1.00 ms"
exit 0
`;

/**
 * The stand-in TORCH_PYTHON: records its call ("python-control" for the Python control, "pytorch"
 * for a baseline, "python" for the script's questions) and answers every question about torch at
 * once with a library folder, so that no run's time budget goes to importing a real torch.
 */
const FAKE_TORCH_PYTHON = `#!/usr/bin/env bash
${STATE}
case " $* " in
  *" scripts/cuda_control.py "*) name=python-control ;;
  *" baseline-stand-in "*) name=pytorch ;;
  *) name=python ;;
esac
args="$*"
echo "$name: \${args//$'\\n'/ } $state" >> "$FAKE_LOG"
echo /stand-in/torch/lib
`;

/** The stand-in native/build/shim_probe: records its call; crashes unless FAKE_CPP_NEEDS holds. */
const FAKE_SHIM_PROBE = `#!/usr/bin/env bash
${STATE}
echo "shim-probe: $* $state" >> "$FAKE_LOG"
if [ -n "$FAKE_CPP_NEEDS" ] && [[ "$* $state" != *"$FAKE_CPP_NEEDS"* ]]; then
  echo "shim_probe: to device 0"
  kill -SEGV $$
fi
echo "shim_probe: ok"
`;

/** The stand-in debugger: records its call and answers as gdb would after a SIGSEGV. */
const FAKE_GDB = `#!/usr/bin/env bash
echo "gdb: $*" >> "$FAKE_LOG"
echo "Program received signal SIGSEGV, Segmentation fault."
echo '$1 = 11'
echo '$2 = 4'
echo "#0  0x00007f0000001000 in stand_in_symbol () from /stand-in/libcuda.so.1"
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
  /**
   * What the Deno probe's call and state must contain not to crash, |-separated alternatives
   * ("never": it always crashes).
   */
  probeNeeds?: string;
  /** The same for the C++ probe. */
  cppNeeds?: string;
  /** The run that dies of SIGSEGV. */
  crash?: string;
  /** Whether the stand-in debugger is found (default: none is). */
  debugger?: boolean;
  /**
   * Whether the tree's src/result/recipes.ts has PyTorch's torch.compile recipe and our own
   * workers' (deno-fp32, deno-bf16-hybrid).
   */
  compileRecipe?: boolean;
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

/** Writes an executable file. */
async function executable(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, text);
  await Deno.chmod(path, 0o755);
}

/** The stand-in project in `root`: the scripts, the C sources, the stand-ins (the rest in `dir`). */
async function standInProject(root: string, dir: string, options: RehearsalOptions) {
  for (const sub of ["scripts", ".carry", "native/build", "native/bench", "src/result"]) {
    await Deno.mkdir(join(root, sub), { recursive: true });
  }
  for (const script of SCRIPTS) {
    await Deno.copyFile(script, join(root, "scripts", script.split("/").pop()!));
  }
  for (const c of C_SOURCES) {
    await Deno.copyFile(c, join(root, "native/bench", c.split("/").pop()!));
  }
  await executable(join(root, "native", "build", "shim_probe"), FAKE_SHIM_PROBE);
  await executable(join(dir, "torch-python"), FAKE_TORCH_PYTHON);
  await executable(join(dir, "gdb"), FAKE_GDB);
  if (options.compileRecipe) {
    const names = '"pytorch-compile": {}\n"deno-fp32": {}\n';
    await Deno.writeTextFile(join(root, "src/result/recipes.ts"), names);
  }
  await xz(options.carriedDeno ?? FAKE_DENO, join(root, ".carry", "deno.xz"));
  await Deno.writeTextFile(join(root, ".carry", "commit"), "abc123\nv1-4-gabc123-dirty\n");
}

/** Runs the script in a stand-in project (no .git: the commit comes from .carry/commit). */
async function rehearse(options: RehearsalOptions = {}): Promise<Rehearsal> {
  const dir = await Deno.makeTempDir({ prefix: "gpu-bench-test-" });
  try {
    const root = join(dir, "project");
    await standInProject(root, dir, options);
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
        FAKE_CPP_NEEDS: options.cppNeeds ?? "",
        FAKE_CRASH: options.crash ?? "",
        GPU_BENCH_DEBUGGERS: options.debugger ? join(dir, "gdb") : "/nonexistent/gdb",
        GPU_BENCH_BUDGET_S: String(options.budget ?? 400),
        ...(options.smoke ? { GPU_BENCH_SMOKE: "1" } : {}),
        TORCH_PYTHON: join(dir, "torch-python"),
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

/** The calls by name, the script's questions to Python left out. */
const order = (r: Rehearsal) => r.calls.map((c) => c.name).filter((n) => n !== "python");
const callsOf = (r: Rehearsal, name: string) =>
  r.calls.filter((c) => c.name === name).map((c) => c.args);
/** Each run's "(limit N s)" in summary.log, by name. */
const limits = (r: Rehearsal) =>
  [...r.summary.matchAll(/\]: (\S+): (.*) \(limit (\d+) s\)/g)].map((m) => ({
    name: m[1],
    command: m[2],
    limit: Number(m[3]),
  }));

/** No PyTorch process (a baseline Deno spawns) has anything of Deno's variant. */
function assertPytorchPlain(r: Rehearsal, ldPath: string) {
  const pytorch = callsOf(r, "pytorch");
  assert.ok(pytorch.length > 0, r.summary);
  for (const args of pytorch) {
    assert.match(args, new RegExp(`variant  preload  v8  eager  ldpath ${ldPath}\\]$`), args);
  }
}

const DENO_PROBES = [
  "cuda_probe\\.ts cuda:0 \\[.* preload fault_reporter\\.so v8  ",
  "v8 --no-memory-protection-keys eager",
  "preload fault_reporter\\.so,no_pkeys\\.so v8  ",
  "preload fault_reporter\\.so,cuda_preinit\\.so v8  ",
  "cuda_probe\\.ts cuda:0 --nonblocking \\[",
  "preload fault_reporter\\.so v8 --jitless eager",
  "preload fault_reporter\\.so,no_pkeys\\.so,cuda_preinit\\.so v8 --no-memory-protection-keys --jitless",
];

Deno.test("gpu-bench.sh runs the GPU issue's first asks first: build, the Python control, the device probes, CUDA tests, sweep, fastest beside PyTorch, its 10 epochs, the CPU columns, the seed's run, extras", async () => {
  const r = await rehearse();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(order(r), [
    "build",
    "python-control",
    "shim-probe",
    "deno-probe",
    "cuda-tests",
    "sweep",
    "fast-vs-pytorch",
    "pytorch",
    "fast-epochs",
    "cpu-vs-pytorch",
    "pytorch",
    "dist-cpu",
    "pytorch",
    "seed-vs-pytorch",
    "pytorch",
    "tf32-vs-pytorch-tf32",
    "pytorch",
    "report",
  ]);
  assert.match(flagsOf(r, "build"), /scripts\/setup\.ts --shim-only/);
  // The Python control, in the script's environment: the wheel's libraries on the loader's path.
  assert.match(
    flagsOf(r, "python-control"),
    /scripts\/cuda_control\.py cuda:0 \[.*variant {2}preload {2}v8 {2}eager {2}ldpath \/stand-in\/torch\/lib\]$/,
  );
  assert.match(
    flagsOf(r, "shim-probe"),
    /libtorch_shim\.so 0 \[.* preload fault_reporter\.so v8 {2}/,
  );
  assert.match(flagsOf(r, "deno-probe"), new RegExp(DENO_PROBES[0]));
  assert.match(flagsOf(r, "sweep"), /--device cuda --steps 40 --warmup 10 --json \S+sweep.json/);
  // The sweep's fastest flags and PyTorch in ONE invocation: the goal ratio.
  assert.match(
    flagsOf(r, "fast-vs-pytorch"),
    /--device cuda --steps 300 --warmup 10 --cuda-graphs --adam fused --precision bf16 --baseline pytorch /,
  );
  assert.match(flagsOf(r, "seed-vs-pytorch"), /--device cuda --epochs 10 --baseline pytorch /);
  assert.doesNotMatch(flagsOf(r, "seed-vs-pytorch"), /--cuda-graphs|--adam|--precision|--tf32/);
  // The CPU column beside PyTorch's fp32 and pure-bf16 recipes (no torch.compile recipe in this
  // tree), each side a third of the deadline; data-parallel on that CPU.
  assert.match(
    flagsOf(r, "cpu-vs-pytorch"),
    /--max-seconds 31 --device cpu --steps 100 --cpu-best --baseline pytorch,pytorch-bf16-pure \[/,
  );
  assert.match(
    flagsOf(r, "dist-cpu"),
    /--device cpu --steps 100 --nproc 2 --threads 8 --baseline pytorch \[/,
  );
  assert.match(
    flagsOf(r, "fast-epochs"),
    /--epochs 10 --cuda-graphs --adam fused --precision bf16/,
  );
  // Every Deno run through the wrapper: plain, the fault reporter preloaded, named in the result.
  assert.match(
    flagsOf(r, "report"),
    /variant plain preload fault_reporter\.so v8 {2}eager {2}ldpath/,
  );
  assertPytorchPlain(r, "/stand-in/torch/lib");
  assert.match(r.summary, /elimination: shim-probe passed; deno-probe passed;/);
  assert.match(r.summary, /fastest: --cuda-graphs --adam fused --precision bf16/);
  // Each bench run's terminal summary is carried into summary.log.
  assert.match(r.summary, /^deno\+libtorch stand-in: median step 1\.00 ms/m);
  assert.match(r.summary, /done in \d+ s of the 400 s budget/);
  assert.doesNotMatch(r.summary, /skipped|failed|crashed|gdb/);
});

Deno.test("gpu-bench.sh adds torch.compile's recipe and our own fp32 and bf16-hybrid workers to the CPU column where the tree has them", async () => {
  const r = await rehearse({ smoke: true, compileRecipe: true });
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    flagsOf(r, "cpu-vs-pytorch"),
    /--max-seconds 15 --device cpu .*--baseline pytorch,pytorch-bf16-pure,pytorch-compile,deno-fp32,deno-bf16-hybrid \[/,
  );
});

Deno.test("gpu-bench.sh caps every timeout and deadline by the time left, and skips the runs that no longer fit", async () => {
  // 40 s: the sweep hangs and is killed when the budget is spent; nothing after it starts.
  const r = await rehearse({ smoke: true, budget: 40, slow: "sweep" });
  assert.equal(r.code, 0, r.stderr);
  const started = ["build", "python-control", "shim-probe", "deno-probe", "cuda-tests", "sweep"];
  assert.deepEqual(limits(r).map((l) => l.name), started);
  for (const { command, limit } of limits(r)) {
    assert.ok(limit <= 40, `limit ${limit} s in a 40 s budget`);
    const deadline = /--max-seconds (\d+)/.exec(command);
    if (deadline) assert.equal(Number(deadline[1]), limit - 15, command);
  }
  assert.match(r.summary, /sweep: failed with exit code 124, timed out \(see sweep\.log\)/);
  for (
    const name of ["fast-vs-pytorch", "seed-vs-pytorch", "cpu-vs-pytorch", "dist-cpu", "report"]
  ) {
    assert.match(r.summary, new RegExp(`${name}: skipped, -?\\d+ s left of the 40 s budget`));
  }
  assert.deepEqual(order(r), started);
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
  for (const name of ["seed-vs-pytorch", "cpu-vs-pytorch", "dist-cpu", "fast-epochs", "report"]) {
    flagsOf(r, name);
  }
  assert.match(flagsOf(r, "seed-vs-pytorch"), /--epochs 1 --baseline pytorch/);
  assert.match(flagsOf(r, "dist-cpu"), /--nproc 2 --threads 1 --baseline pytorch/);
  // The commit comes from .carry/commit when there is no .git.
  assert.match(flagsOf(r, "seed-vs-pytorch"), /\[commit abc123 dirty 1 variant plain /);
});

Deno.test("gpu-bench.sh tries Deno's variants cheapest first, each in 30 s, and runs every Deno process (never PyTorch's) under the first that passes", async () => {
  // The probe passes with --jitless, and off the JS thread (which cannot serve a run).
  const r = await rehearse({ probeNeeds: "--jitless|--nonblocking", debugger: true });
  assert.equal(r.code, 0, r.stderr);
  const probes = callsOf(r, "deno-probe");
  assert.equal(probes.length, 6, r.summary);
  probes.forEach((args, i) => assert.match(args, new RegExp(DENO_PROBES[i]), args));
  assert.match(r.summary, /deno-probe: crashed with signal 11 \(exit code 139/);
  // The fault reporter's line, from inside the crashed stand-in.
  assert.match(r.summary, /fault_reporter: SIGSEGV \(11\) si_code 0 \(SI_USER\) ip 0x[0-9a-f]+/);
  assert.match(
    r.summary,
    /deno-probe-nonblocking passed: the shim's calls run off the JS thread, which no run can do/,
  );
  assert.match(r.summary, /deno-probe passed with 'jitless': DENO_V8_FLAGS=--jitless LD_PRELOAD=/);
  assert.match(
    r.summary,
    /elimination: shim-probe passed; deno-probe failed \(SIGSEGV\); deno-probe-no-pku-flag failed \(SIGSEGV\);.* deno-probe-nonblocking passed; deno-probe-jitless passed;/,
  );
  for (const l of limits(r).filter((l) => /-probe/.test(l.name) && !l.name.endsWith("-gdb"))) {
    assert.ok(l.limit <= 30, `${l.name}: limit ${l.limit} s`);
  }
  // The debugger last, after the eliminations, for the plain Deno probe that died of a signal.
  const names = order(r);
  assert.equal(names.indexOf("gdb"), names.lastIndexOf("deno-probe") + 1, names.join());
  assert.match(
    flagsOf(r, "gdb"),
    /-ex p\/x \$pkru -ex info symbol \$pc .*--args \S+ run -A scripts\/cuda_probe\.ts cuda:0$/,
  );
  assert.ok(limits(r).find((l) => l.name === "deno-probe-gdb")!.limit <= 45);
  assert.match(r.summary, /deno-probe-gdb: #0 {2}0x00007f0000001000 in stand_in_symbol/);
  for (const name of ["cuda-tests", "sweep", "fast-vs-pytorch", "cpu-vs-pytorch", "report"]) {
    assert.match(flagsOf(r, name), /variant jitless preload fault_reporter\.so v8 --jitless eager/);
  }
  assertPytorchPlain(r, "/stand-in/torch/lib");
});

Deno.test("gpu-bench.sh's preload variants reach Deno's runs, and never PyTorch's", async () => {
  const r = await rehearse({ probeNeeds: "no_pkeys.so" });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(callsOf(r, "deno-probe").length, 3, r.summary);
  assert.match(r.summary, /deno-probe passed with 'no-pkeys'/);
  assert.match(
    flagsOf(r, "fast-vs-pytorch"),
    /variant no-pkeys preload fault_reporter\.so,no_pkeys\.so v8 {2}eager/,
  );
  assertPytorchPlain(r, "/stand-in/torch/lib");
});

Deno.test("gpu-bench.sh keeps the environment the C++ probe needed for Deno's tries and runs", async () => {
  // The C++ probe crashes until this script's LD_LIBRARY_PATH is removed.
  const r = await rehearse({ cppNeeds: "ldpath unset", debugger: true });
  assert.equal(r.code, 0, r.stderr);
  const cpp = callsOf(r, "shim-probe");
  assert.equal(cpp.length, 4, r.summary);
  assert.match(cpp[1], /eager EAGER ldpath/);
  assert.match(cpp[2], /preload fault_reporter\.so,libtorch_global_deps\.so v8/);
  assert.match(r.summary, /shim-probe-no-ld-path passed: Deno's tries keep its environment/);
  assert.match(flagsOf(r, "deno-probe"), /ldpath unset\]$/);
  assert.match(
    flagsOf(r, "sweep"),
    /variant plain preload fault_reporter\.so v8 {2}eager {2}ldpath unset\]$/,
  );
  // PyTorch keeps the script's loader path; the debugger ran the plain C++ probe.
  assertPytorchPlain(r, "/stand-in/torch/lib");
  assert.match(
    flagsOf(r, "gdb"),
    /--args native\/build\/shim_probe native\/build\/libtorch_shim\.so 0$/,
  );
});

Deno.test("gpu-bench.sh, when the C++ probe crashes too and no debugger exists, says so and goes on with Deno's probe", async () => {
  const r = await rehearse({ cppNeeds: "never", probeNeeds: "never" });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(callsOf(r, "shim-probe").length, 4, r.summary);
  assert.equal(callsOf(r, "deno-probe").length, 7, r.summary);
  callsOf(r, "deno-probe").forEach((args, i) => assert.match(args, new RegExp(DENO_PROBES[i])));
  assert.match(r.summary, /no C\+\+ probe passed: the shim or libtorch fails without V8 too/);
  assert.match(r.summary, /shim-probe-gdb: no debugger \(\/nonexistent\/gdb\) on this machine/);
  assert.match(r.summary, /deno-probe-gdb: no debugger \(\/nonexistent\/gdb\) on this machine/);
  assert.match(r.summary, /no Deno run reached the device: the runs on cuda are skipped/);
  assert.match(r.summary, /dmesg: /);
  for (const name of ["cuda-tests", "sweep", "fast-vs-pytorch", "fast-epochs", "seed-vs-pytorch"]) {
    assert.match(r.summary, new RegExp(`${name}: skipped, no Deno run reached the device`));
    assert.ok(!r.calls.some((c) => c.name === name), name);
  }
  assert.match(
    flagsOf(r, "cpu-vs-pytorch"),
    /--device cpu .*--cpu-best .* variant plain preload fault_reporter\.so v8 {2}/,
  );
  flagsOf(r, "dist-cpu");
  flagsOf(r, "report");
});

Deno.test("gpu-bench.sh puts the fault reporter's line in summary.log when a run crashes after the probes passed, and goes on", async () => {
  const r = await rehearse({ smoke: true, crash: "fast-epochs" });
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.summary,
    /fast-epochs: crashed with signal 11 \(exit code 139; see fast-epochs\.log\)\n.*fault_reporter: SIGSEGV \(11\) si_code 0 \(SI_USER\)/,
  );
  assert.ok(!r.calls.some((c) => c.name === "gdb"));
  for (const name of ["cpu-vs-pytorch", "dist-cpu", "seed-vs-pytorch", "report"]) flagsOf(r, name);
});

Deno.test("gpu-bench.sh stops at a failed build", async () => {
  const r = await rehearse({ smoke: true, fail: "build" });
  assert.equal(r.code, 1);
  assert.match(r.summary, /build: failed with exit code 1 \(see build\.log\)/);
  assert.deepEqual(order(r), ["build"]);
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
    .concat(["timeout", "python3", "tar", "mktemp", "dirname", "basename", "git", "sleep"])
    .concat(["tr", "wc", "sed"]);
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
  // Without a compiler: no fault reporter, and the preload variants would be skipped.
  assert.match(r.summary, /no C compiler \(gcc, cc, g\+\+\): no fault reporter/);
});

Deno.test("gpu-bench.sh exits 2 when the carried Deno does not answer --version", async () => {
  // An empty file: executed, bash runs it as an empty script and every call "succeeds".
  const r = await rehearse({ carriedDeno: "" });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /expected `deno --version` to print 'deno X\.Y\.Z', found ''/);
  assert.deepEqual(r.calls, []);
});
