// runtime.cpp — atr_*: build facts, seeds, threads, grad mode, signals, backend flags, autocast,
// the live-handle counter and the CUDA allocator's statistics.
#include "shim_internal.h"

#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include <cerrno>
#include <csignal>
#include <ctime>
#include <malloc.h>
#include <sstream>
#include <unistd.h>

#if defined(TORCH_SHIM_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#include <cuda_runtime_api.h>
#endif

using namespace shim;

namespace {

volatile std::sig_atomic_t g_signal = 0;
// When g_signal was first set (CLOCK_MONOTONIC, ns); read only after g_signal != 0.
volatile int64_t g_signal_at_ns = 0;

// A terminal's Ctrl-C reaches the whole foreground process group, and a task runner in it
// (`deno task`) forwards the SIGINT it got to its child as well: one keypress arrives twice,
// microseconds apart. A repeat of the first signal within this grace is that same interrupt.
constexpr int64_t kRepeatGraceNs = 1000000000;

int64_t monotonic_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);  // async-signal-safe
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

extern "C" void on_signal(int sig) {
  const int64_t now = monotonic_ns();
  if (g_signal != 0) {
    if (sig == g_signal && now - g_signal_at_ns < kRepeatGraceNs) return;  // the same interrupt
    _exit(128 + sig);  // a second signal: leave now
  }
  g_signal_at_ns = now;
  g_signal = sig;
  static const char msg[] = "\nsignal received: stopping at the next step boundary (again to exit now)\n";
  ssize_t ignored = write(2, msg, sizeof msg - 1);
  (void)ignored;
}

}  // namespace

extern "C" {

void atr_free_string(char *s) { std::free(s); }

void atr_mallopt(int32_t param, int32_t value, char **err) {
  SHIM_GUARD(, {
    if (mallopt(param, value) != 1) {
      throw ShimError("mallopt(" + std::to_string(param) + ", " + std::to_string(value) +
                      "): glibc refused the setting");
    }
  })
}

char *atr_build_info(char **err) {
  SHIM_GUARD(nullptr, {
    std::ostringstream o;
    o << "{\"libtorch\":\"" << TORCH_VERSION_MAJOR << "." << TORCH_VERSION_MINOR << "."
      << TORCH_VERSION_PATCH << "\"";
    o << ",\"mkldnn\":" << (at::hasMKLDNN() ? "true" : "false");
    o << ",\"mkl\":" << (at::hasMKL() ? "true" : "false");
    o << ",\"openmp\":" << (at::hasOpenMP() ? "true" : "false");
    // The C++ standard the shim was compiled as (201703L -> 17, 202002L -> 20).
    o << ",\"cxxStandard\":" << (__cplusplus / 100) % 100;
#if defined(TORCH_SHIM_CUDA)
    o << ",\"cudaCompiled\":true";
    bool avail = torch::cuda::is_available();
    o << ",\"cudaAvailable\":" << (avail ? "true" : "false");
    o << ",\"cudnnAvailable\":" << (torch::cuda::cudnn_is_available() ? "true" : "false");
    int rt = 0;
    cudaRuntimeGetVersion(&rt);
    o << ",\"cudaRuntime\":\"" << rt / 1000 << "." << (rt % 1000) / 10 << "\"";
    int drv = 0;
    cudaDriverGetVersion(&drv);
    o << ",\"cudaDriverApi\":\"" << drv / 1000 << "." << (drv % 1000) / 10 << "\"";
    o << ",\"cudnnVersion\":" << (avail ? static_cast<long>(at::detail::getCUDAHooks().versionCuDNN()) : 0);
    int count = avail ? static_cast<int>(torch::cuda::device_count()) : 0;
    o << ",\"cudaDeviceCount\":" << count << ",\"cudaDevices\":[";
    for (int i = 0; i < count; i++) {
      cudaDeviceProp prop;
      cudaGetDeviceProperties(&prop, i);
      o << (i ? "," : "") << "{\"name\":\"" << prop.name << "\",\"memoryBytes\":" << prop.totalGlobalMem
        << ",\"capability\":\"" << prop.major << "." << prop.minor << "\"}";
    }
    o << "]";
#else
    o << ",\"cudaCompiled\":false,\"cudaAvailable\":false,\"cudnnAvailable\":false";
    o << ",\"cudaDeviceCount\":0,\"cudaDevices\":[]";
#endif
    o << ",\"threads\":" << at::get_num_threads() << "}";
    return dup_string(o.str());
  })
}

void atr_manual_seed(uint64_t seed, char **err) { SHIM_GUARD(, { torch::manual_seed(seed); }) }

void atr_set_num_threads(int32_t n, char **err) {
  SHIM_GUARD(, {
    if (n < 1) throw ShimError("set_num_threads: expected n >= 1, found " + std::to_string(n));
    at::set_num_threads(n);
  })
}

int32_t atr_get_num_threads(char **err) { SHIM_GUARD(-1, { return at::get_num_threads(); }) }

int32_t atr_set_grad_enabled(int32_t enabled, char **err) {
  SHIM_GUARD(-1, {
    bool prev = at::GradMode::is_enabled();
    at::GradMode::set_enabled(enabled != 0);
    return prev ? 1 : 0;
  })
}

int64_t atr_live_tensors(void) { return g_live.load(std::memory_order_relaxed); }

int32_t atr_cuda_device_count(char **err) {
  SHIM_GUARD(0, {
#if defined(TORCH_SHIM_CUDA)
    return torch::cuda::is_available() ? static_cast<int32_t>(torch::cuda::device_count()) : 0;
#else
    return 0;
#endif
  })
}

void atr_cuda_synchronize(int32_t device, char **err) {
  SHIM_GUARD(, {
#if defined(TORCH_SHIM_CUDA)
    if (torch::cuda::is_available()) torch::cuda::synchronize(device < 0 ? -1 : device);
#else
    (void)device;
#endif
  })
}

int64_t atr_cuda_peak_memory(int32_t device, char **err) {
  SHIM_GUARD(-1, {
#if defined(TORCH_SHIM_CUDA)
    if (!torch::cuda::is_available()) return -1;
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device < 0 ? 0 : device);
    // Index 0 is StatType::AGGREGATE, whose namespace moved in 2.x (c10::CachingDeviceAllocator).
    return stats.allocated_bytes[0].peak;
#else
    (void)device;
    return -1;
#endif
  })
}

void atr_cuda_reset_peak_memory(int32_t device, char **err) {
  SHIM_GUARD(, {
#if defined(TORCH_SHIM_CUDA)
    if (torch::cuda::is_available()) c10::cuda::CUDACachingAllocator::resetPeakStats(device < 0 ? 0 : device);
#else
    (void)device;
#endif
  })
}

void atr_watch_signals(char **err) {
  SHIM_GUARD(, {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (sigaction(SIGINT, &sa, nullptr) != 0 || sigaction(SIGTERM, &sa, nullptr) != 0)
      throw ShimError(std::string("watch_signals: sigaction failed: ") + std::strerror(errno));
  })
}

int32_t atr_pending_signal(void) { return static_cast<int32_t>(g_signal); }

void atr_set_backend_flags(int32_t cudnn_benchmark, int32_t allow_tf32, char **err) {
  SHIM_GUARD(, {
    auto &ctx = at::globalContext();
    ctx.setBenchmarkCuDNN(cudnn_benchmark != 0);
    // On 2.9+ these also set the newer per-backend float32 precisions ("tf32" / "ieee").
    ctx.setAllowTF32CuBLAS(allow_tf32 != 0);
    ctx.setAllowTF32CuDNN(allow_tf32 != 0);
  })
}

void atr_set_autocast(int32_t device, int32_t enabled, int32_t dtype, char **err) {
  SHIM_GUARD(, {
    const at::ScalarType st = to_dtype(dtype);
    if (st != at::kBFloat16 && st != at::kHalf)
      throw ShimError("autocast: expected dtype bfloat16 (5) or float16 (6), found " + std::string(c10::toString(st)));
    if (device < 0 && st != at::kBFloat16)
      throw ShimError("autocast: the CPU autocasts to bfloat16 only, found " + std::string(c10::toString(st)));
    // The weight-cast cache would keep stale low-precision copies after each optimizer step and
    // cannot live inside a CUDA graph; each weight is cast once per forward pass anyway.
    at::autocast::clear_cache();
    at::autocast::set_autocast_cache_enabled(enabled == 0);
#if TORCH_SHIM_VERSION_GE(2, 4)
    const at::DeviceType dt = device < 0 ? at::kCPU : at::kCUDA;
    at::autocast::set_autocast_dtype(dt, st);
    at::autocast::set_autocast_enabled(dt, enabled != 0);
#else
    if (device < 0) {
      at::autocast::set_autocast_cpu_dtype(st);
      at::autocast::set_cpu_enabled(enabled != 0);
    } else {
      at::autocast::set_autocast_gpu_dtype(st);
      at::autocast::set_enabled(enabled != 0);
    }
#endif
  })
}

}  // extern "C"
