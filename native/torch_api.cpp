// torch_api.cpp — implementation of torch_api.h over libtorch (1.13 CPU and 2.x CUDA builds).
#include "torch_api.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/torch.h>
#include <torch/version.h>
#include <torch/serialize.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/pickler.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <unistd.h>
#include <memory>
#include <mutex>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#if defined(TORCH_SHIM_CUDA)
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>
#endif

#define TORCH_SHIM_VERSION_GE(major, minor) \
  (TORCH_VERSION_MAJOR > (major) ||         \
   (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace {

std::atomic<int64_t> g_live{0};
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

char *dup_string(const std::string &s) {
  char *out = static_cast<char *>(std::malloc(s.size() + 1));
  if (out != nullptr) std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

void set_error(char **err, const std::string &msg) {
  if (err != nullptr && *err == nullptr) *err = dup_string(msg);
}

// c10::Error::what() carries a C++ backtrace after the message on some builds; the part before
// it is libtorch's message, which is what a user needs.
std::string torch_message(const c10::Error &e) { return e.what_without_backtrace(); }

struct ShimError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

at::Tensor &deref(at_tensor t, const char *what) {
  if (t == nullptr) throw ShimError(std::string(what) + ": expected a tensor handle, found NULL");
  return *reinterpret_cast<at::Tensor *>(t);
}

at_tensor wrap(at::Tensor t) {
  auto *p = new at::Tensor(std::move(t));
  g_live.fetch_add(1, std::memory_order_relaxed);
  return reinterpret_cast<at_tensor>(p);
}

at::ScalarType to_dtype(int32_t code) {
  switch (code) {
    case 0: return at::kByte;
    case 1: return at::kInt;
    case 2: return at::kLong;
    case 3: return at::kFloat;
    case 4: return at::kDouble;
    case 5: return at::kBFloat16;
    case 6: return at::kHalf;
    case 7: return at::kBool;
    default:
      throw ShimError("dtype: expected a code 0..7, found " + std::to_string(code));
  }
}

int32_t from_dtype(at::ScalarType t) {
  switch (t) {
    case at::kByte: return 0;
    case at::kInt: return 1;
    case at::kLong: return 2;
    case at::kFloat: return 3;
    case at::kDouble: return 4;
    case at::kBFloat16: return 5;
    case at::kHalf: return 6;
    case at::kBool: return 7;
    default: return -1;
  }
}

at::Device to_device(int32_t code) {
  if (code < 0) return at::Device(at::kCPU);
  return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(code));
}

at::MemoryFormat to_memory_format(int32_t code) {
  switch (code) {
    case 0: return at::MemoryFormat::Contiguous;
    case 1: return at::MemoryFormat::ChannelsLast;
    default:
      throw ShimError("memory format: expected 0 (contiguous) or 1 (channels_last), found " + std::to_string(code));
  }
}

std::vector<int64_t> to_dims(const int64_t *dims, int64_t ndim) {
  if (ndim < 0 || ndim > 64) throw ShimError("shape: expected 0..64 dimensions, found " + std::to_string(ndim));
  if (ndim > 0 && dims == nullptr) throw ShimError("shape: expected a dims pointer, found NULL");
  return std::vector<int64_t>(dims, dims + ndim);
}

std::vector<at::Tensor> to_list(const at_tensor *list, int64_t n, const char *what) {
  if (n < 0) throw ShimError(std::string(what) + ": expected a list length >= 0, found " + std::to_string(n));
  if (n > 0 && list == nullptr) throw ShimError(std::string(what) + ": expected a list pointer, found NULL");
  std::vector<at::Tensor> out;
  out.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; i++) out.push_back(deref(list[i], what));
  return out;
}

}  // namespace

// Every exported body runs inside GUARD: any exception becomes the caller's error slot and the
// function returns its fallback value.
#define GUARD(fallback, ...)                                   \
  try {                                                        \
    __VA_ARGS__                                                \
  } catch (const c10::Error &e) {                              \
    set_error(err, torch_message(e));                          \
  } catch (const std::exception &e) {                          \
    set_error(err, e.what());                                  \
  } catch (...) {                                              \
    set_error(err, "unknown C++ exception in the torch shim"); \
  }                                                            \
  return fallback;

#define GUARD_VOID(...)                                        \
  try {                                                        \
    __VA_ARGS__                                                \
  } catch (const c10::Error &e) {                              \
    set_error(err, torch_message(e));                          \
  } catch (const std::exception &e) {                          \
    set_error(err, e.what());                                  \
  } catch (...) {                                              \
    set_error(err, "unknown C++ exception in the torch shim"); \
  }

extern "C" {

// ---- runtime ---------------------------------------------------------------------------------

void atr_free_string(char *s) { std::free(s); }

char *atr_build_info(char **err) {
  GUARD(nullptr, {
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

void atr_manual_seed(uint64_t seed, char **err) { GUARD_VOID({ torch::manual_seed(seed); }) }

void atr_set_num_threads(int32_t n, char **err) {
  GUARD_VOID({
    if (n < 1) throw ShimError("set_num_threads: expected n >= 1, found " + std::to_string(n));
    at::set_num_threads(n);
  })
}

int32_t atr_get_num_threads(char **err) { GUARD(-1, { return at::get_num_threads(); }) }

int32_t atr_set_grad_enabled(int32_t enabled, char **err) {
  GUARD(-1, {
    bool prev = at::GradMode::is_enabled();
    at::GradMode::set_enabled(enabled != 0);
    return prev ? 1 : 0;
  })
}

int64_t atr_live_tensors(void) { return g_live.load(std::memory_order_relaxed); }

int32_t atr_cuda_device_count(char **err) {
  GUARD(0, {
#if defined(TORCH_SHIM_CUDA)
    return torch::cuda::is_available() ? static_cast<int32_t>(torch::cuda::device_count()) : 0;
#else
    return 0;
#endif
  })
}

void atr_cuda_synchronize(int32_t device, char **err) {
  GUARD_VOID({
#if defined(TORCH_SHIM_CUDA)
    if (torch::cuda::is_available()) torch::cuda::synchronize(device < 0 ? -1 : device);
#else
    (void)device;
#endif
  })
}

int64_t atr_cuda_peak_memory(int32_t device, char **err) {
  GUARD(-1, {
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
  GUARD_VOID({
#if defined(TORCH_SHIM_CUDA)
    if (torch::cuda::is_available()) c10::cuda::CUDACachingAllocator::resetPeakStats(device < 0 ? 0 : device);
#else
    (void)device;
#endif
  })
}

void atr_watch_signals(char **err) {
  GUARD_VOID({
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
  GUARD_VOID({
    auto &ctx = at::globalContext();
    ctx.setBenchmarkCuDNN(cudnn_benchmark != 0);
    // On 2.9+ these also set the newer per-backend float32 precisions ("tf32" / "ieee").
    ctx.setAllowTF32CuBLAS(allow_tf32 != 0);
    ctx.setAllowTF32CuDNN(allow_tf32 != 0);
  })
}

void atr_set_autocast(int32_t device, int32_t enabled, int32_t dtype, char **err) {
  GUARD_VOID({
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

// ---- tensors ---------------------------------------------------------------------------------

at_tensor at_from_host(const void *data, size_t nbytes, const int64_t *dims, int64_t ndim,
                       int32_t dtype, char **err) {
  GUARD(nullptr, {
    auto shape = to_dims(dims, ndim);
    auto st = to_dtype(dtype);
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(st));
    size_t want = static_cast<size_t>(t.numel()) * t.element_size();
    if (nbytes != want)
      throw ShimError("from_host: expected " + std::to_string(want) + " bytes for shape " +
                      c10::str(t.sizes()) + ", found " + std::to_string(nbytes));
    if (want > 0) {
      if (data == nullptr) throw ShimError("from_host: expected a data pointer, found NULL");
      std::memcpy(t.data_ptr(), data, want);
    }
    return wrap(std::move(t));
  })
}

void at_to_host(at_tensor t, void *out, size_t nbytes, char **err) {
  GUARD_VOID({
    at::Tensor c = deref(t, "to_host").detach().to(at::kCPU).contiguous();
    size_t want = static_cast<size_t>(c.numel()) * c.element_size();
    if (nbytes != want)
      throw ShimError("to_host: expected a buffer of " + std::to_string(want) + " bytes, found " +
                      std::to_string(nbytes));
    if (want > 0) {
      if (out == nullptr) throw ShimError("to_host: expected an output pointer, found NULL");
      std::memcpy(out, c.data_ptr(), want);
    }
  })
}

at_tensor at_zeros(const int64_t *dims, int64_t ndim, int32_t dtype, int32_t device, char **err) {
  GUARD(nullptr, {
    return wrap(at::zeros(to_dims(dims, ndim),
                          at::TensorOptions().dtype(to_dtype(dtype)).device(to_device(device))));
  })
}

at_tensor at_empty(const int64_t *dims, int64_t ndim, int32_t dtype, int32_t device, char **err) {
  GUARD(nullptr, {
    return wrap(at::empty(to_dims(dims, ndim),
                          at::TensorOptions().dtype(to_dtype(dtype)).device(to_device(device))));
  })
}

at_tensor at_scalar(double value, int32_t dtype, int32_t device, char **err) {
  GUARD(nullptr, {
    return wrap(at::scalar_tensor(value, at::TensorOptions().dtype(to_dtype(dtype)).device(to_device(device))));
  })
}

void at_uniform_(at_tensor t, double lo, double hi, char **err) {
  GUARD_VOID({
    at::NoGradGuard ng;
    deref(t, "uniform_").uniform_(lo, hi);
  })
}

void at_copy_(at_tensor dst, at_tensor src, char **err) {
  GUARD_VOID({
    at::Tensor &d = deref(dst, "copy_ dst");
    at::Tensor &s = deref(src, "copy_ src");
    if (!d.sizes().equals(s.sizes()))
      throw ShimError("copy_: expected source shape " + c10::str(d.sizes()) + ", found " + c10::str(s.sizes()));
    at::NoGradGuard ng;
    d.copy_(s);
  })
}

at_tensor at_clone(at_tensor t, char **err) { GUARD(nullptr, { return wrap(deref(t, "clone").clone()); }) }
at_tensor at_detach(at_tensor t, char **err) { GUARD(nullptr, { return wrap(deref(t, "detach").detach()); }) }

at_tensor at_to(at_tensor t, int32_t device, int32_t dtype, char **err) {
  GUARD(nullptr, {
    at::Tensor &x = deref(t, "to");
    auto st = dtype < 0 ? x.scalar_type() : to_dtype(dtype);
    return wrap(x.to(to_device(device), st));
  })
}

int64_t at_dim(at_tensor t, char **err) { GUARD(-1, { return deref(t, "dim").dim(); }) }

int64_t at_shape(at_tensor t, int64_t *out, int64_t cap, char **err) {
  GUARD(-1, {
    at::Tensor &x = deref(t, "shape");
    int64_t d = x.dim();
    for (int64_t i = 0; i < d && i < cap; i++) out[i] = x.size(i);
    return d;
  })
}

int32_t at_dtype(at_tensor t, char **err) { GUARD(-1, { return from_dtype(deref(t, "dtype").scalar_type()); }) }

int32_t at_device(at_tensor t, char **err) {
  GUARD(-2, {
    auto dev = deref(t, "device").device();
    return dev.is_cuda() ? static_cast<int32_t>(dev.index()) : -1;
  })
}

int64_t at_numel(at_tensor t, char **err) { GUARD(-1, { return deref(t, "numel").numel(); }) }

void at_free(at_tensor t) {
  if (t == nullptr) return;
  delete reinterpret_cast<at::Tensor *>(t);
  g_live.fetch_sub(1, std::memory_order_relaxed);
}

// ---- ops -------------------------------------------------------------------------------------

at_tensor at_conv2d(at_tensor x, at_tensor w, at_tensor b, int64_t stride_h, int64_t stride_w,
                    int64_t pad_h, int64_t pad_w, char **err) {
  GUARD(nullptr, {
    c10::optional<at::Tensor> bias;
    if (b != nullptr) bias = deref(b, "conv2d bias");
    return wrap(at::conv2d(deref(x, "conv2d input"), deref(w, "conv2d weight"), bias,
                           {stride_h, stride_w}, {pad_h, pad_w}));
  })
}

at_tensor at_relu(at_tensor x, char **err) { GUARD(nullptr, { return wrap(at::relu(deref(x, "relu"))); }) }
void at_relu_(at_tensor x, char **err) { GUARD_VOID({ at::relu_(deref(x, "relu_")); }) }

at_tensor at_max_pool2d(at_tensor x, int64_t kernel, int64_t stride, int64_t padding,
                        int32_t ceil_mode, char **err) {
  GUARD(nullptr, {
    return wrap(at::max_pool2d(deref(x, "max_pool2d"), {kernel, kernel}, {stride, stride},
                               {padding, padding}, {1, 1}, ceil_mode != 0));
  })
}

at_tensor at_adaptive_avg_pool2d(at_tensor x, int64_t out_h, int64_t out_w, char **err) {
  GUARD(nullptr, { return wrap(at::adaptive_avg_pool2d(deref(x, "adaptive_avg_pool2d"), {out_h, out_w})); })
}

at_tensor at_cat(const at_tensor *list, int64_t n, int64_t dim, char **err) {
  GUARD(nullptr, { return wrap(at::cat(to_list(list, n, "cat"), dim)); })
}

at_tensor at_view(at_tensor x, const int64_t *dims, int64_t ndim, char **err) {
  GUARD(nullptr, { return wrap(deref(x, "view").view(to_dims(dims, ndim))); })
}

at_tensor at_flatten(at_tensor x, int64_t start, int64_t end, char **err) {
  GUARD(nullptr, { return wrap(deref(x, "flatten").flatten(start, end)); })
}

at_tensor at_linear(at_tensor x, at_tensor w, at_tensor b, char **err) {
  GUARD(nullptr, {
    c10::optional<at::Tensor> bias;
    if (b != nullptr) bias = deref(b, "linear bias");
    return wrap(at::linear(deref(x, "linear input"), deref(w, "linear weight"), bias));
  })
}

at_tensor at_dropout(at_tensor x, double p, int32_t train, char **err) {
  GUARD(nullptr, {
    if (!(p >= 0.0 && p <= 1.0)) throw ShimError("dropout: expected 0 <= p <= 1, found " + std::to_string(p));
    return wrap(at::dropout(deref(x, "dropout"), p, train != 0));
  })
}

at_tensor at_cross_entropy(at_tensor logits, at_tensor target, char **err) {
  GUARD(nullptr, {
    return wrap(at::cross_entropy_loss(deref(logits, "cross_entropy logits"),
                                       deref(target, "cross_entropy target")));
  })
}

at_tensor at_argmax(at_tensor x, int64_t dim, int32_t keepdim, char **err) {
  GUARD(nullptr, { return wrap(at::argmax(deref(x, "argmax"), dim, keepdim != 0)); })
}

at_tensor at_sum(at_tensor x, char **err) { GUARD(nullptr, { return wrap(deref(x, "sum").sum()); }) }
at_tensor at_mean(at_tensor x, char **err) { GUARD(nullptr, { return wrap(deref(x, "mean").mean()); }) }
at_tensor at_add(at_tensor a, at_tensor b, char **err) {
  GUARD(nullptr, { return wrap(at::add(deref(a, "add a"), deref(b, "add b"))); })
}
void at_add_(at_tensor a, at_tensor b, char **err) {
  GUARD_VOID({
    at::NoGradGuard ng;
    deref(a, "add_ a").add_(deref(b, "add_ b"));
  })
}
void at_zero_(at_tensor t, char **err) {
  GUARD_VOID({
    at::NoGradGuard ng;
    deref(t, "zero_").zero_();
  })
}
at_tensor at_mul(at_tensor a, at_tensor b, char **err) {
  GUARD(nullptr, { return wrap(at::mul(deref(a, "mul a"), deref(b, "mul b"))); })
}

at_tensor at_count_equal(at_tensor a, at_tensor b, char **err) {
  GUARD(nullptr, { return wrap(at::eq(deref(a, "count_equal a"), deref(b, "count_equal b")).sum()); })
}

at_tensor at_index_select(at_tensor x, int64_t dim, at_tensor index, char **err) {
  GUARD(nullptr, { return wrap(at::index_select(deref(x, "index_select"), dim, deref(index, "index_select index"))); })
}

at_tensor at_narrow(at_tensor x, int64_t dim, int64_t start, int64_t length, char **err) {
  GUARD(nullptr, { return wrap(deref(x, "narrow").narrow(dim, start, length)); })
}

at_tensor at_contiguous(at_tensor t, int32_t memory_format, char **err) {
  GUARD(nullptr, { return wrap(deref(t, "contiguous").contiguous(to_memory_format(memory_format))); })
}

int32_t at_is_contiguous(at_tensor t, int32_t memory_format, char **err) {
  GUARD(-1, { return deref(t, "is_contiguous").is_contiguous(to_memory_format(memory_format)) ? 1 : 0; })
}

double at_item(at_tensor x, char **err) {
  GUARD(std::nan(""), { return deref(x, "item").item<double>(); })
}

// ---- autograd --------------------------------------------------------------------------------

void at_set_requires_grad(at_tensor t, int32_t requires_grad, char **err) {
  GUARD_VOID({ deref(t, "set_requires_grad").set_requires_grad(requires_grad != 0); })
}

int32_t at_requires_grad(at_tensor t, char **err) {
  GUARD(-1, { return deref(t, "requires_grad").requires_grad() ? 1 : 0; })
}

void at_backward(at_tensor t, char **err) { GUARD_VOID({ deref(t, "backward").backward(); }) }

at_tensor at_grad(at_tensor t, char **err) {
  GUARD(nullptr, {
    const at::Tensor &g = deref(t, "grad").grad();
    if (!g.defined()) return static_cast<at_tensor>(nullptr);
    return wrap(g);
  })
}

void at_zero_grad(const at_tensor *list, int64_t n, char **err) {
  GUARD_VOID({
    for (auto &t : to_list(list, n, "zero_grad")) t.mutable_grad().reset();
  })
}

at_tensor at_clip_grad_norm(const at_tensor *list, int64_t n, double max_norm, char **err) {
  GUARD(nullptr, {
    if (!(max_norm > 0.0) || !std::isfinite(max_norm))
      throw ShimError("clip_grad_norm: expected max_norm > 0, found " + std::to_string(max_norm));
    auto params = to_list(list, n, "clip_grad_norm");
    at::NoGradGuard ng;
    std::vector<at::Tensor> norms;
    for (auto &p : params)
      if (p.grad().defined()) norms.push_back(p.grad().norm(2));
    if (norms.empty()) return wrap(params.empty() ? at::zeros({}) : at::zeros({}, params[0].options()));
    // Everything stays on the device (no .item()), so the clip can live inside a CUDA graph.
    at::Tensor total = at::stack(norms).norm(2);
    at::Tensor coef = (max_norm / (total + 1e-6)).clamp_max(1.0);
    for (auto &p : params)
      if (p.grad().defined()) p.mutable_grad().mul_(coef);
    return wrap(total);
  })
}

}  // extern "C"

// ---- Adam ------------------------------------------------------------------------------------

struct ato_adam_s {
  std::vector<at::Tensor> params, exp_avg, exp_avg_sq;
  double lr, beta1, beta2, eps, weight_decay;
  int32_t impl = 0;   // 0 single-tensor loop, 1 multi-tensor (_foreach_*), 2 fused (_fused_adam_)
  int64_t step = 0;   // host step counter (CPU)
  at::Tensor step_t;  // device step counter on CUDA: bias corrections computed on the device, so
                      // a captured CUDA graph stays correct on every replay (capturable=True)
  std::vector<at::Tensor> fused_steps;  // one float32 step tensor per parameter, as _fused_adam_ wants
};

namespace {
ato_adam_s &adam_ref(ato_adam opt, const char *what) {
  if (opt == nullptr) throw ShimError(std::string(what) + ": expected an optimizer handle, found NULL");
  return *opt;
}

// The parameters that have a gradient, with their gradients (L2 decay folded in) and moments.
struct AdamLists {
  std::vector<at::Tensor> params, grads, exp_avg, exp_avg_sq, steps;
};

AdamLists adam_lists(ato_adam_s &o, bool fold_decay) {
  AdamLists l;
  for (size_t i = 0; i < o.params.size(); i++) {
    at::Tensor &p = o.params[i];
    if (!p.grad().defined()) continue;
    at::Tensor g = p.grad();
    if (fold_decay && o.weight_decay != 0) g = g.add(p, o.weight_decay);
    l.params.push_back(p);
    l.grads.push_back(g);
    l.exp_avg.push_back(o.exp_avg[i]);
    l.exp_avg_sq.push_back(o.exp_avg_sq[i]);
    if (!o.fused_steps.empty()) l.steps.push_back(o.fused_steps[i]);
  }
  return l;
}

// The first moment's update as torch.optim.Adam of the same release writes it: 2.0 moved from
// exp_avg.mul_(beta1).add_(grad, 1 - beta1) to exp_avg.lerp_(grad, 1 - beta1) (equal in exact
// arithmetic, not in float32).
void adam_moment1(at::Tensor &exp_avg, const at::Tensor &grad, double beta1) {
#if TORCH_SHIM_VERSION_GE(2, 0)
  exp_avg.lerp_(grad, 1 - beta1);
#else
  exp_avg.mul_(beta1).add_(grad, 1 - beta1);
#endif
}

void adam_moment1(std::vector<at::Tensor> &exp_avg, const std::vector<at::Tensor> &grads, double beta1) {
#if TORCH_SHIM_VERSION_GE(2, 0)
  at::_foreach_lerp_(exp_avg, grads, 1 - beta1);
#else
  at::_foreach_mul_(exp_avg, beta1);
  at::_foreach_add_(exp_avg, grads, 1 - beta1);
#endif
}

// torch.optim.Adam's single-tensor path on the CPU (torch/optim/adam.py, _single_tensor_adam):
// bias corrections on the host.
void adam_single_host(ato_adam_s &o) {
  const double b1 = o.beta1, b2 = o.beta2;
  const double bc1 = 1 - std::pow(b1, static_cast<double>(o.step));
  const double bc2 = 1 - std::pow(b2, static_cast<double>(o.step));
  const double step_size = o.lr / bc1;
  const double bc2_sqrt = std::sqrt(bc2);
  AdamLists l = adam_lists(o, true);
  for (size_t i = 0; i < l.params.size(); i++) {
    adam_moment1(l.exp_avg[i], l.grads[i], b1);
    l.exp_avg_sq[i].mul_(b2).addcmul_(l.grads[i], l.grads[i], 1 - b2);
    at::Tensor denom = (l.exp_avg_sq[i].sqrt() / bc2_sqrt).add_(o.eps);
    l.params[i].addcdiv_(l.exp_avg[i], denom, -step_size);
  }
}

// The same update over whole lists (_multi_tensor_adam): a few multi-tensor kernels per step
// instead of several kernels per parameter. Same arithmetic as adam_single_host.
void adam_foreach_host(ato_adam_s &o) {
  const double b1 = o.beta1, b2 = o.beta2;
  const double bc1 = 1 - std::pow(b1, static_cast<double>(o.step));
  const double bc2 = 1 - std::pow(b2, static_cast<double>(o.step));
  AdamLists l = adam_lists(o, true);
  if (l.params.empty()) return;
  adam_moment1(l.exp_avg, l.grads, b1);
  at::_foreach_mul_(l.exp_avg_sq, b2);
  at::_foreach_addcmul_(l.exp_avg_sq, l.grads, l.grads, 1 - b2);
  std::vector<at::Tensor> denom = at::_foreach_sqrt(l.exp_avg_sq);
  at::_foreach_div_(denom, std::sqrt(bc2));
  at::_foreach_add_(denom, o.eps);
  at::_foreach_addcdiv_(l.params, l.exp_avg, denom, -(o.lr / bc1));
}

// torch.optim.Adam(capturable=True): bias corrections from the device step counter, in the
// order of PyTorch 2.x's _single_tensor_adam / _multi_tensor_adam.
void adam_capturable(ato_adam_s &o) {
  const double b1 = o.beta1, b2 = o.beta2;
  o.step_t.add_(1);
  at::Tensor bc1 = 1 - at::pow(b1, o.step_t);
  at::Tensor bc2 = 1 - at::pow(b2, o.step_t);
  at::Tensor step_size_neg = (o.lr / bc1).neg();
  at::Tensor bc2_sqrt = bc2.sqrt();
  AdamLists l = adam_lists(o, true);
  if (o.impl == 0) {
    for (size_t i = 0; i < l.params.size(); i++) {
      adam_moment1(l.exp_avg[i], l.grads[i], b1);
      l.exp_avg_sq[i].mul_(b2).addcmul_(l.grads[i], l.grads[i], 1 - b2);
      at::Tensor denom = (l.exp_avg_sq[i].sqrt() / (bc2_sqrt * step_size_neg)).add_(o.eps / step_size_neg);
      l.params[i].addcdiv_(l.exp_avg[i], denom);
    }
    return;
  }
  if (l.params.empty()) return;
  const size_t n = l.params.size();
  adam_moment1(l.exp_avg, l.grads, b1);
  at::_foreach_mul_(l.exp_avg_sq, b2);
  at::_foreach_addcmul_(l.exp_avg_sq, l.grads, l.grads, 1 - b2);
  // denom = (sqrt(v) / sqrt(bc2) + eps) / (-lr / bc1), so that params += exp_avg / denom.
  std::vector<at::Tensor> denom = at::_foreach_sqrt(l.exp_avg_sq);
  at::_foreach_div_(denom, std::vector<at::Tensor>(n, bc2_sqrt));
  at::_foreach_add_(denom, o.eps);
  at::_foreach_div_(denom, std::vector<at::Tensor>(n, step_size_neg));
  at::_foreach_addcdiv_(l.params, l.exp_avg, denom);
}

// torch.optim.Adam(fused=True): one fused multi-tensor kernel, step counts read on the device.
void adam_fused(ato_adam_s &o) {
  AdamLists l = adam_lists(o, false);
  if (l.params.empty()) return;
  at::_foreach_add_(l.steps, 1);
  at::_fused_adam_(l.params, l.grads, l.exp_avg, l.exp_avg_sq, {}, l.steps, o.lr, o.beta1, o.beta2,
                   o.weight_decay, o.eps, /*amsgrad=*/false, /*maximize=*/false);
}

}  // namespace

extern "C" {

ato_adam ato_adam_new(const at_tensor *params, int64_t n, double lr, double beta1, double beta2,
                      double eps, double weight_decay, int32_t impl, char **err) {
  GUARD(nullptr, {
    if (!(lr > 0.0) || !std::isfinite(lr)) throw ShimError("adam: expected lr > 0, found " + std::to_string(lr));
    if (!(beta1 >= 0.0 && beta1 < 1.0)) throw ShimError("adam: expected 0 <= beta1 < 1, found " + std::to_string(beta1));
    if (!(beta2 >= 0.0 && beta2 < 1.0)) throw ShimError("adam: expected 0 <= beta2 < 1, found " + std::to_string(beta2));
    if (!(eps >= 0.0)) throw ShimError("adam: expected eps >= 0, found " + std::to_string(eps));
    if (impl < 0 || impl > 2)
      throw ShimError("adam: expected impl 0 (single), 1 (foreach) or 2 (fused), found " + std::to_string(impl));
    auto o = std::make_unique<ato_adam_s>();
    o->params = to_list(params, n, "adam params");
    const bool cuda = !o->params.empty() && o->params[0].is_cuda();
    for (auto &p : o->params)
      if (p.device() != o->params[0].device())
        throw ShimError("adam: expected every parameter on " + o->params[0].device().str() + ", found one on " +
                        p.device().str());
#if !TORCH_SHIM_VERSION_GE(2, 4)
    if (impl == 2 && !cuda)
      throw ShimError(std::string("adam: fused Adam runs on CUDA (or on the CPU from libtorch 2.4), found libtorch ") +
                      TORCH_VERSION + " with parameters on the CPU");
#endif
    o->impl = impl;
    o->lr = lr;
    o->beta1 = beta1;
    o->beta2 = beta2;
    o->eps = eps;
    o->weight_decay = weight_decay;
    at::NoGradGuard ng;
    for (auto &p : o->params) {
      o->exp_avg.push_back(at::zeros_like(p, at::MemoryFormat::Preserve));
      o->exp_avg_sq.push_back(at::zeros_like(p, at::MemoryFormat::Preserve));
      if (impl == 2) o->fused_steps.push_back(at::zeros({}, p.options().dtype(at::kFloat)));
    }
    if (cuda && impl != 2) o->step_t = at::zeros({}, o->params[0].options().dtype(at::kFloat));
    return o.release();
  })
}

void ato_adam_step(ato_adam opt, char **err) {
  GUARD_VOID({
    ato_adam_s &o = adam_ref(opt, "adam_step");
    at::NoGradGuard ng;
    o.step += 1;
    if (o.impl == 2) adam_fused(o);
    else if (o.step_t.defined()) adam_capturable(o);
    else if (o.impl == 1) adam_foreach_host(o);
    else adam_single_host(o);
  })
}

int32_t ato_adam_impl(ato_adam opt, char **err) {
  GUARD(-1, { return adam_ref(opt, "adam_impl").impl; })
}

void ato_adam_zero_grad(ato_adam opt, char **err) {
  GUARD_VOID({
    adam_ref(opt, "adam_zero_grad");
    for (auto &p : opt->params) p.mutable_grad().reset();
  })
}

int64_t ato_adam_step_count(ato_adam opt, char **err) {
  GUARD(-1, {
    ato_adam_s &o = adam_ref(opt, "adam_step_count");
    // A replayed CUDA graph advances the device counters without calling ato_adam_step.
    if (!o.fused_steps.empty()) return static_cast<int64_t>(o.fused_steps[0].item<double>());
    if (o.step_t.defined()) return static_cast<int64_t>(o.step_t.item<double>());
    return o.step;
  })
}

void ato_adam_set_step_count(ato_adam opt, int64_t step, char **err) {
  GUARD_VOID({
    ato_adam_s &o = adam_ref(opt, "adam_set_step_count");
    if (step < 0) throw ShimError("adam_set_step_count: expected step >= 0, found " + std::to_string(step));
    at::NoGradGuard ng;
    o.step = step;
    if (o.step_t.defined()) o.step_t.fill_(static_cast<double>(step));
    for (auto &t : o.fused_steps) t.fill_(static_cast<double>(step));
  })
}

at_tensor ato_adam_state(ato_adam opt, int64_t i, int32_t which, char **err) {
  GUARD(nullptr, {
    adam_ref(opt, "adam_state");
    if (i < 0 || i >= static_cast<int64_t>(opt->params.size()))
      throw ShimError("adam_state: expected a parameter index in 0.." + std::to_string(opt->params.size() - 1) +
                      ", found " + std::to_string(i));
    if (which != 0 && which != 1) throw ShimError("adam_state: expected which 0 or 1, found " + std::to_string(which));
    return wrap(which == 0 ? opt->exp_avg[i] : opt->exp_avg_sq[i]);
  })
}

void ato_adam_set_lr(ato_adam opt, double lr, char **err) {
  GUARD_VOID({
    adam_ref(opt, "adam_set_lr");
    if (!(lr > 0.0) || !std::isfinite(lr)) throw ShimError("adam: expected lr > 0, found " + std::to_string(lr));
    opt->lr = lr;
  })
}

void ato_adam_free(ato_adam opt) { delete opt; }

}  // extern "C"

// ---- serialization and generator state ---------------------------------------------------------

struct ats_dict_s {
  std::vector<std::string> names;
  std::vector<at::Tensor> tensors;
};

namespace {
// torch.save's zip container with an untagged pickle. torch::pickle_save tags typed containers
// with torch.jit._pickle.restore_type_tag, a global that torch.load's weights_only mode (the
// default from PyTorch 2.6) refuses; without the tag the dict loads as a plain dict, as
// torch.load(path) with its defaults reads it.
std::vector<char> pickle_untagged(const c10::IValue &value) {
  std::vector<char> pickle;
  torch::jit::Pickler pickler([&](const char *buf, size_t size) { pickle.insert(pickle.end(), buf, buf + size); },
                              /*tensor_table=*/nullptr, /*type_renamer=*/nullptr, /*memoized_class_types=*/nullptr,
                              /*get_tensor_id=*/nullptr, /*tag_aggregates=*/false);
  pickler.protocol();
  pickler.pushIValue(value);
  pickler.stop();
  std::vector<char> bytes;
  caffe2::serialize::PyTorchStreamWriter writer([&](const void *data, size_t size) -> size_t {
    const char *p = static_cast<const char *>(data);
    bytes.insert(bytes.end(), p, p + size);
    return size;
  });
  torch::jit::writeArchiveAndTensors("data", pickle.data(), pickle.size(), pickler.tensorData(), writer);
  writer.writeEndOfFile();
  return bytes;
}
}  // namespace

extern "C" {

void ats_save_pt(const char *path, const char *const *names, const at_tensor *tensors, int64_t n,
                 char **err) {
  GUARD_VOID({
    if (path == nullptr) throw ShimError("save_pt: expected a path, found NULL");
    if (n > 0 && names == nullptr) throw ShimError("save_pt: expected a names pointer, found NULL");
    auto list = to_list(tensors, n, "save_pt");
    c10::Dict<std::string, at::Tensor> dict;
    for (int64_t i = 0; i < n; i++) {
      if (names[i] == nullptr) throw ShimError("save_pt: expected a name, found NULL at " + std::to_string(i));
      dict.insert(names[i], list[i].detach().to(at::kCPU).contiguous());
    }
    std::vector<char> bytes = pickle_untagged(c10::IValue(dict));
    std::FILE *f = std::fopen(path, "wb");
    if (f == nullptr) throw ShimError(std::string("save_pt: cannot open ") + path + " for writing: " + std::strerror(errno));
    size_t wrote = std::fwrite(bytes.data(), 1, bytes.size(), f);
    int closed = std::fclose(f);
    if (wrote != bytes.size() || closed != 0) throw ShimError(std::string("save_pt: short write to ") + path);
  })
}

ats_dict ats_load_pt(const char *path, char **err) {
  GUARD(nullptr, {
    if (path == nullptr) throw ShimError("load_pt: expected a path, found NULL");
    std::FILE *f = std::fopen(path, "rb");
    if (f == nullptr) throw ShimError(std::string("load_pt: cannot open ") + path + ": " + std::strerror(errno));
    std::vector<char> bytes;
    char buf[1 << 16];
    size_t got;
    while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.insert(bytes.end(), buf, buf + got);
    std::fclose(f);
    const std::string hint = std::string("load_pt: expected a plain dict[str, Tensor] in ") + path +
                             " (save an OrderedDict state_dict as torch.save(dict(model.state_dict()), path))";
    c10::IValue v;
    try {
      v = torch::pickle_load(bytes);
    } catch (const c10::Error &e) {
      std::string msg = torch_message(e);
      if (msg.find("GenericDict") != std::string::npos) throw ShimError(hint + ": " + msg);
      throw;
    }
    if (!v.isGenericDict()) throw ShimError(hint + ", found " + v.tagKind());
    auto d = std::make_unique<ats_dict_s>();
    try {
      for (const auto &item : v.toGenericDict()) {
        if (!item.key().isString() || !item.value().isTensor()) throw ShimError(hint + ", found a non str -> Tensor entry");
        d->names.push_back(item.key().toStringRef());
        d->tensors.push_back(item.value().toTensor());
      }
    } catch (const c10::Error &e) {
      throw ShimError(hint + ": " + torch_message(e));
    }
    return d.release();
  })
}

int64_t ats_dict_size(ats_dict d, char **err) {
  GUARD(-1, {
    if (d == nullptr) throw ShimError("dict_size: expected a dict handle, found NULL");
    return static_cast<int64_t>(d->names.size());
  })
}

const char *ats_dict_name(ats_dict d, int64_t i, char **err) {
  GUARD(nullptr, {
    if (d == nullptr) throw ShimError("dict_name: expected a dict handle, found NULL");
    if (i < 0 || i >= static_cast<int64_t>(d->names.size())) throw ShimError("dict_name: index out of range: " + std::to_string(i));
    return d->names[static_cast<size_t>(i)].c_str();
  })
}

at_tensor ats_dict_tensor(ats_dict d, int64_t i, char **err) {
  GUARD(nullptr, {
    if (d == nullptr) throw ShimError("dict_tensor: expected a dict handle, found NULL");
    if (i < 0 || i >= static_cast<int64_t>(d->tensors.size())) throw ShimError("dict_tensor: index out of range: " + std::to_string(i));
    return wrap(d->tensors[static_cast<size_t>(i)]);
  })
}

void ats_dict_free(ats_dict d) { delete d; }

at_tensor atr_rng_state(char **err) {
  GUARD(nullptr, {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    return wrap(gen.get_state());
  })
}

void atr_set_rng_state(at_tensor state, char **err) {
  GUARD_VOID({
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(deref(state, "set_rng_state"));
  })
}

}  // extern "C"

// ---- CUDA graphs -----------------------------------------------------------------------------
// The recipe of torch.cuda.graphs (whole-network capture): warm up on a side stream, capture on
// that side stream into the graph's private memory pool, replay on the current stream. Tensors
// made during capture may be released afterwards: their memory stays with the graph's pool, which
// only this graph's replays write to.

struct atg_graph_s {
#if defined(TORCH_SHIM_CUDA)
  at::cuda::CUDAGraph graph;
  std::optional<c10::cuda::CUDAStream> side;
  std::optional<c10::cuda::CUDAStreamGuard> guard;
  bool capturing = false;
  bool captured = false;
#endif
};

namespace {
[[maybe_unused]] atg_graph_s &graph_ref(atg_graph g, const char *what) {
  if (g == nullptr) throw ShimError(std::string(what) + ": expected a graph handle, found NULL");
  return *g;
}

#if defined(TORCH_SHIM_CUDA)
// Runs f; if it throws, the side stream stops being current before the error travels on.
template <class F>
void leaving_stream_on_error(atg_graph_s &gr, F f) {
  try {
    f();
  } catch (...) {
    gr.guard.reset();
    throw;
  }
}
#endif
}  // namespace

extern "C" {

int32_t atg_supported(void) {
#if defined(TORCH_SHIM_CUDA)
  return 1;
#else
  return 0;
#endif
}

atg_graph atg_new(char **err) {
  GUARD(nullptr, {
#if defined(TORCH_SHIM_CUDA)
    if (!torch::cuda::is_available()) throw ShimError("cuda graph: no CUDA device is available");
    auto g = std::make_unique<atg_graph_s>();
    g->side.emplace(c10::cuda::getStreamFromPool());
    return g.release();
#else
    throw ShimError("cuda graph: this shim was built without CUDA");
#endif
  })
}

void atg_stream_enter(atg_graph g, char **err) {
  GUARD_VOID({
    [[maybe_unused]] atg_graph_s &gr = graph_ref(g, "stream_enter");
#if defined(TORCH_SHIM_CUDA)
    if (gr.guard.has_value()) throw ShimError("stream_enter: the graph's side stream is already current");
    torch::cuda::synchronize();
    gr.guard.emplace(*gr.side);
#endif
  })
}

void atg_stream_exit(atg_graph g, char **err) {
  GUARD_VOID({
    [[maybe_unused]] atg_graph_s &gr = graph_ref(g, "stream_exit");
#if defined(TORCH_SHIM_CUDA)
    if (!gr.guard.has_value() || gr.capturing)
      throw ShimError("stream_exit: expected the side stream entered by stream_enter, found none");
    torch::cuda::synchronize();
    gr.guard.reset();
#endif
  })
}

void atg_capture_begin(atg_graph g, char **err) {
  GUARD_VOID({
    [[maybe_unused]] atg_graph_s &gr = graph_ref(g, "capture_begin");
#if defined(TORCH_SHIM_CUDA)
    if (gr.captured || gr.capturing) throw ShimError("capture_begin: expected a new graph, found one already captured");
    if (gr.guard.has_value()) throw ShimError("capture_begin: leave the warm-up stream (stream_exit) first");
    torch::cuda::synchronize();
    gr.guard.emplace(*gr.side);
    leaving_stream_on_error(gr, [&] { gr.graph.capture_begin(); });
    gr.capturing = true;
#endif
  })
}

void atg_capture_end(atg_graph g, char **err) {
  GUARD_VOID({
    [[maybe_unused]] atg_graph_s &gr = graph_ref(g, "capture_end");
#if defined(TORCH_SHIM_CUDA)
    if (!gr.capturing) throw ShimError("capture_end: expected a capture in progress, found none");
    gr.capturing = false;
    leaving_stream_on_error(gr, [&] { gr.graph.capture_end(); });
    gr.guard.reset();
    gr.captured = true;
#endif
  })
}

void atg_replay(atg_graph g, char **err) {
  GUARD_VOID({
    [[maybe_unused]] atg_graph_s &gr = graph_ref(g, "replay");
#if defined(TORCH_SHIM_CUDA)
    if (!gr.captured) throw ShimError("replay: expected a captured graph, found none (capture first)");
    gr.graph.replay();
#endif
  })
}

void atg_free(atg_graph g) { delete g; }

}  // extern "C"
