# scripts/gpu-elimination.sh — sourced by scripts/gpu-bench.sh (its run, log, out, tmp, probe,
# torch_lib, base_ld_path and base_preload): the first CUDA step that runs, found by elimination,
# and the diagnosis that needs no debugger, before any run that needs the device.
#
# 1. Diagnosis: native/bench/{fault_reporter,no_pkeys,cuda_preinit}.c built here with gcc (else
#    cc, else g++ as C); the shim's ldd and runpath; the Python control (scripts/cuda_control.py:
#    the probes' convolution and backward through Python's torch, in this script's environment).
#    Every probe and run of Deno has the fault reporter preloaded: a crash's signal, si_code (4 is
#    SEGV_PKUERR), address, instruction pointer, library and symbol, and the page's protection key
#    reach summary.log; each probe also lists the CUDA/cuDNN/cuBLAS/torch libraries it mapped.
# 2. Elimination, cheapest first, each try 30 s at most: the C++ probe (native/build/shim_probe,
#    no V8) as is, with CUDA_MODULE_LOADING=EAGER, with torch's global deps preloaded, without this
#    script's LD_LIBRARY_PATH — the first of those that passes (when the first does not) is kept
#    for Deno's tries too; then Deno's probe (scripts/cuda_probe.ts) plain, with V8's
#    --no-memory-protection-keys, with no protection key to be had (no_pkeys.so), with CUDA's
#    driver initialised before Deno's main (cuda_preinit.so), with its calls off the JS thread
#    (--nonblocking: a diagnosis only, since no run can make its calls so), with --jitless, and
#    with all of those that can serve a run together. The first that passes serves every later
#    Deno process, through a `deno` wrapper first on PATH that also names it for the results
#    (BENCH_RUNTIME_VARIANT; src/bench/entry/env.ts records it, a --jitless run as not comparable); a
#    `torch-python` wrapper (TORCH_PYTHON) puts this script's own environment back for PyTorch's
#    processes, so no variant reaches them.
# 3. A debugger last, 45 s at most, and only for a plain probe that died of a signal (an exit
#    status of 128 or more, not 124 or 137: no timeout): the first of GPU_BENCH_DEBUGGERS (default
#    gdb, then cuda-gdb) found, for the signal, $pkru, `info symbol $pc` and the stack; without one,
#    summary.log says so.

reporter=
# build_preloads: each native/bench/NAME.c built into $tmp/lib/NAME.so; a missing compiler or a
# failed build is logged and leaves that library absent (its variants are then skipped).
build_preloads() {
  local cc src
  cc=$(command -v gcc cc g++ 2>/dev/null | head -1)
  mkdir -p "$tmp/lib"
  if [ -z "$cc" ]; then
    log "no C compiler (gcc, cc, g++): no fault reporter, and the preload variants are skipped"
    return 0
  fi
  for src in fault_reporter no_pkeys cuda_preinit; do
    "$cc" -x c -O2 -fPIC -shared -o "$tmp/lib/$src.so" "native/bench/$src.c" -ldl \
      >> "$out/preloads.log" 2>&1 || log "$src.so did not build with $cc (see preloads.log)"
  done
  [ -f "$tmp/lib/fault_reporter.so" ] && reporter=$tmp/lib/fault_reporter.so
  return 0
}

# diagnose_shim: the shim's ldd and runpath into shim-libs.log, their lines of note into
# summary.log.
diagnose_shim() {
  local so=native/build/libtorch_shim.so
  {
    echo "ldd $so:"
    ldd "$so"
    echo "dynamic section of $so:"
    readelf -d "$so" 2>/dev/null || objdump -p "$so"
  } > "$out/shim-libs.log" 2>&1
  grep -E "R(UN)?PATH|not found|lib(torch|c10|cud|cublas|nccl)[^ ]* =>" "$out/shim-libs.log" \
    | sed 's/^[[:space:]]*/shim: /' >> "$out/summary.log"
}

# step_env NAME: the environment of elimination step NAME, one assignment a line; a library to
# preload as PRELOAD=PATH (PRELOAD= alone: it did not build).
step_env() {
  local lib=$tmp/lib
  case $1 in
    shim-probe-eager) echo CUDA_MODULE_LOADING=EAGER ;;
    shim-probe-global-deps) echo "PRELOAD=$torch_lib/libtorch_global_deps.so" ;;
    shim-probe-no-ld-path) echo "LD_LIBRARY_PATH=$base_ld_path" ;;
    deno-probe-no-pku-flag) echo DENO_V8_FLAGS=--no-memory-protection-keys ;;
    deno-probe-no-pkeys) echo "PRELOAD=$([ -f "$lib/no_pkeys.so" ] && echo "$lib/no_pkeys.so")" ;;
    deno-probe-cuda-preinit)
      echo "PRELOAD=$([ -f "$lib/cuda_preinit.so" ] && echo "$lib/cuda_preinit.so")"
      ;;
    deno-probe-jitless) echo DENO_V8_FLAGS=--jitless ;;
    deno-probe-all)
      echo "DENO_V8_FLAGS=--no-memory-protection-keys --jitless"
      step_env deno-probe-no-pkeys
      step_env deno-probe-cuda-preinit
      ;;
  esac
}

kept=() # the C++ probe's passing step's environment, kept for Deno's tries
assigned=()
# assemble NAME: `assigned` = the environment of step NAME on top of `kept`, every PRELOAD joined
# into one LD_PRELOAD after the fault reporter; false when a library it needs did not build.
assemble() {
  local line preloads=$reporter
  local -a lines
  mapfile -t lines < <(printf '%s\n' "${kept[@]}"; step_env "$1")
  assigned=()
  for line in "${lines[@]}"; do
    case $line in
      "") ;;
      PRELOAD=) return 1 ;;
      PRELOAD=*) preloads=${preloads:+$preloads:}${line#PRELOAD=} ;;
      *) assigned+=("$line") ;;
    esac
  done
  preloads=${preloads:+$preloads${base_preload:+:}}$base_preload
  [ -n "$preloads" ] && assigned+=("LD_PRELOAD=$preloads")
  return 0
}

# signal_exit CODE: whether an exit status is a signal's (128 + N) and not a timeout's (124, 137).
signal_exit() { [ "$1" -ge 128 ] && [ "$1" != 137 ]; }
# exit_name CODE: "exit code N", "SIGNAME" for a signal's exit status, or that run's skip (-1).
exit_name() {
  if [ "$1" = -1 ]; then
    echo "skipped, no time left"
  elif signal_exit "$1"; then
    echo "SIG$(kill -l $(($1 - 128)) 2>/dev/null || echo $(($1 - 128)))"
  else
    echo "exit code $1"
  fi
}
verdicts=()
# probe_step NAME COMMAND...: elimination step NAME (30 s at most), the fault reporter on and
# listing the libraries mapped; its verdict kept for the summary.
probe_step() {
  local name=$1
  shift
  if ! assemble "$name"; then
    log "$name: skipped, a library it preloads did not build"
    verdicts+=("$name skipped")
    return 1
  fi
  if run "$name" 30 env FAULT_REPORTER_MAPS=1 "${assigned[@]}" "$@"; then
    verdicts+=("$name passed")
    return 0
  fi
  verdicts+=("$name failed ($(exit_name "$last_code"))")
  grep -v '^fault_reporter: ' "$out/$name.log" | tail -2 | tee -a "$out/summary.log" >&2
  return 1
}

plain_codes=() # the plain probes' exit statuses: C++, then Deno
# eliminate_cpp: the C++ probe's steps until one passes; the first that passes after a failed
# plain probe is kept for Deno's.
eliminate_cpp() {
  local name cmd=(native/build/shim_probe native/build/libtorch_shim.so "${probe[1]}")
  probe_step shim-probe "${cmd[@]}" && plain_codes+=(0) && return 0
  plain_codes+=("$last_code")
  for name in shim-probe-eager shim-probe-global-deps shim-probe-no-ld-path; do
    if probe_step "$name" "${cmd[@]}"; then
      mapfile -t kept < <(step_env "$name")
      log "$name passed: Deno's tries keep its environment (${kept[*]})"
      return 0
    fi
  done
  log "no C++ probe passed: the shim or libtorch fails without V8 too"
}

winner=plain
winner_env=()
# eliminate_deno: Deno's probe under each variant until one that can serve a run passes; sets
# `winner` and `winner_env` (plain and the fault reporter alone when none passes).
eliminate_deno() {
  local name extra
  local -a cmd=(deno run -A scripts/cuda_probe.ts "${probe[0]}")
  for name in deno-probe deno-probe-no-pku-flag deno-probe-no-pkeys deno-probe-cuda-preinit \
    deno-probe-nonblocking deno-probe-jitless deno-probe-all; do
    extra=()
    [ "$name" = deno-probe-nonblocking ] && extra=(--nonblocking)
    if probe_step "$name" "${cmd[@]}" "${extra[@]}"; then
      [ "$name" = deno-probe ] && plain_codes+=(0)
      if [ "$name" = deno-probe-nonblocking ]; then
        log "$name passed: the shim's calls run off the JS thread, which no run can do; going on"
        continue
      fi
      winner=${name#deno-probe}
      winner=${winner#-}
      winner=${winner:-plain}
      winner_env=("${assigned[@]}")
      log "deno-probe passed with '$winner': ${assigned[*]}"
      return 0
    fi
    [ "$name" = deno-probe ] && plain_codes+=("$last_code")
  done
  assemble deno-probe
  winner_env=("${assigned[@]}")
  return 1
}

# debug_probe NAME CODE COMMAND...: COMMAND (a plain probe that exited with CODE) under the first
# debugger found, 45 s at most, and only after a signal exit.
debug_probe() {
  local name=$1 code=$2 d dbg=
  shift 2
  signal_exit "$code" || return 0
  for d in ${GPU_BENCH_DEBUGGERS-gdb cuda-gdb /usr/local/cuda/bin/cuda-gdb}; do
    command -v "$d" > /dev/null && dbg=$d && break
  done
  if [ -z "$dbg" ]; then
    log "$name: no debugger (${GPU_BENCH_DEBUGGERS-gdb, cuda-gdb}) on this machine: no backtrace;" \
      "the fault reporter's lines above stand"
    return 0
  fi
  # The probe as it first ran, less the fault reporter (an LD_PRELOAD here would load it into the
  # debugger itself).
  local -a plain=(-u LD_PRELOAD)
  [ -n "$base_preload" ] && plain=("LD_PRELOAD=$base_preload")
  run "$name" 45 env "${plain[@]}" "$dbg" -batch -ex 'handle SIGPIPE nostop noprint' -ex run \
    -ex 'p $_siginfo.si_signo' -ex 'p $_siginfo.si_code' \
    -ex 'p $_siginfo._sifields._sigfault.si_addr' -ex 'p/x $pkru' -ex 'info symbol $pc' \
    -ex 'x/2i $pc' -ex 'bt 25' --args "$@"
  grep -E "received signal|^\\\$[0-9]+ = |^#[0-9]+ | in section |No symbol matches|^=> " "$out/$name.log" \
    | grep -v "^warning: " | head -40 | sed "s/^/$name: /" >> "$out/summary.log"
}

# dmesg_tail: the kernel's last segfault lines (or why there are none) into summary.log.
dmesg_tail() {
  local text
  if ! text=$(dmesg 2>&1); then
    log "dmesg: not readable here (${text%%$'\n'*})"
    return 0
  fi
  text=$(grep -i segfault <<< "$text" | tail -5)
  log "dmesg: ${text:-no segfault lines}"
}

# make_wrappers: $tmp/wrap/deno (Deno under the winning variant, named in BENCH_RUNTIME_VARIANT)
# and $tmp/wrap/torch-python (PyTorch under this script's own environment), first on PATH and as
# TORCH_PYTHON.
make_wrappers() {
  local a v
  mkdir -p "$tmp/wrap"
  {
    echo '#!/usr/bin/env bash'
    echo "# Deno under the variant scripts/gpu-bench.sh's elimination chose: $winner"
    printf 'export BENCH_RUNTIME_VARIANT=%q\n' "$winner"
    for a in "${winner_env[@]}"; do printf 'export %s=%q\n' "${a%%=*}" "${a#*=}"; done
    printf 'exec %q "$@"\n' "$(command -v deno)"
  } > "$tmp/wrap/deno"
  {
    echo '#!/usr/bin/env bash'
    echo "# PyTorch under scripts/gpu-bench.sh's own environment: no variant of Deno's reaches it"
    for v in LD_PRELOAD DENO_V8_FLAGS BENCH_RUNTIME_VARIANT FAULT_REPORTER_MAPS \
      CUDA_MODULE_LOADING LD_LIBRARY_PATH; do
      if [ -n "${!v+set}" ]; then printf 'export %s=%q\n' "$v" "${!v}"; else echo "unset $v"; fi
    done
    printf 'exec %q "$@"\n' "$TORCH_PYTHON"
  } > "$tmp/wrap/torch-python"
  chmod +x "$tmp/wrap/deno" "$tmp/wrap/torch-python"
  export PATH="$tmp/wrap:$PATH" TORCH_PYTHON="$tmp/wrap/torch-python"
}

# eliminate: the whole of it, in order; false when no Deno probe passed.
eliminate() {
  local passed=0
  build_preloads
  diagnose_shim
  run python-control 30 "$TORCH_PYTHON" scripts/cuda_control.py "${probe[0]}"
  grep "^python_control: " "$out/python-control.log" >> "$out/summary.log" 2>/dev/null
  eliminate_cpp
  grep "^fault_reporter: loaded " "$out/shim-probe.log" 2>/dev/null | sed 's/^/shim-probe: /' \
    >> "$out/summary.log"
  eliminate_deno && passed=1
  grep "^fault_reporter: loaded " "$out/deno-probe.log" 2>/dev/null | sed 's/^/deno-probe: /' \
    >> "$out/summary.log"
  log "elimination: ${verdicts[*]/%/;}"
  dmesg_tail
  debug_probe shim-probe-gdb "${plain_codes[0]:-0}" native/build/shim_probe \
    native/build/libtorch_shim.so "${probe[1]}"
  debug_probe deno-probe-gdb "${plain_codes[1]:-0}" "$(command -v deno)" run -A \
    scripts/cuda_probe.ts "${probe[0]}"
  make_wrappers
  [ "$passed" = 1 ]
}
