// shim_internal.h — what every unit of the shim shares and nothing outside it sees: the one catch
// macro (SHIM_GUARD), the handle helpers, the dtype/device/memory-format codes of torch_api.h and
// the live-handle counter. The public C ABI is torch_api.h alone.
#ifndef SHIM_INTERNAL_H
#define SHIM_INTERNAL_H

#include "torch_api.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>  // at::NoGradGuard (not reached through ATen.h in every 2.x build)
#include <torch/version.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#define TORCH_SHIM_VERSION_GE(major, minor) \
  (TORCH_VERSION_MAJOR > (major) ||         \
   (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace shim {

/** Handles made minus handles freed (atr_live_tensors). */
inline std::atomic<int64_t> g_live{0};

/** A malloc'd copy of s (the caller frees it with atr_free_string). */
inline char *dup_string(const std::string &s) {
  char *out = static_cast<char *>(std::malloc(s.size() + 1));
  if (out != nullptr) std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

/** Fills the caller's error slot unless it already holds an error. */
inline void set_error(char **err, const std::string &msg) {
  if (err != nullptr && *err == nullptr) *err = dup_string(msg);
}

/** libtorch's message without the C++ backtrace some builds append to what(). */
inline std::string torch_message(const c10::Error &e) { return e.what_without_backtrace(); }

/** An error of the shim's own (bad input that libtorch would not catch, or catch less clearly). */
struct ShimError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline at::Tensor &deref(at_tensor t, const char *what) {
  if (t == nullptr) throw ShimError(std::string(what) + ": expected a tensor handle, found NULL");
  return *reinterpret_cast<at::Tensor *>(t);
}

inline at_tensor wrap(at::Tensor t) {
  auto *p = new at::Tensor(std::move(t));
  g_live.fetch_add(1, std::memory_order_relaxed);
  return reinterpret_cast<at_tensor>(p);
}

/** The dtype codes of torch_api.h, in code order (0 uint8 … 7 bool). */
inline constexpr at::ScalarType kDtypes[] = {at::kByte,  at::kInt,      at::kLong, at::kFloat,
                                             at::kDouble, at::kBFloat16, at::kHalf, at::kBool};
inline constexpr int32_t kDtypeCount = static_cast<int32_t>(sizeof kDtypes / sizeof kDtypes[0]);

inline at::ScalarType to_dtype(int32_t code) {
  if (code < 0 || code >= kDtypeCount)
    throw ShimError("dtype: expected a code 0.." + std::to_string(kDtypeCount - 1) + ", found " +
                    std::to_string(code));
  return kDtypes[code];
}

/** The code of a dtype, or -1 for one torch_api.h has no code for. */
inline int32_t from_dtype(at::ScalarType t) {
  for (int32_t i = 0; i < kDtypeCount; i++)
    if (kDtypes[i] == t) return i;
  return -1;
}

inline at::Device to_device(int32_t code) {
  if (code < 0) return at::Device(at::kCPU);
  return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(code));
}

inline at::TensorOptions to_options(int32_t dtype, int32_t device) {
  return at::TensorOptions().dtype(to_dtype(dtype)).device(to_device(device));
}

inline at::MemoryFormat to_memory_format(int32_t code) {
  switch (code) {
    case 0: return at::MemoryFormat::Contiguous;
    case 1: return at::MemoryFormat::ChannelsLast;
    default:
      throw ShimError("memory format: expected 0 (contiguous) or 1 (channels_last), found " +
                      std::to_string(code));
  }
}

/** The most dimensions a shape may have at this boundary (at_from_host, at_view, at_shape …). */
inline constexpr int64_t kMaxDims = 64;

inline std::vector<int64_t> to_dims(const int64_t *dims, int64_t ndim) {
  if (ndim < 0 || ndim > kMaxDims)
    throw ShimError("shape: expected 0.." + std::to_string(kMaxDims) + " dimensions, found " +
                    std::to_string(ndim));
  if (ndim > 0 && dims == nullptr) throw ShimError("shape: expected a dims pointer, found NULL");
  return std::vector<int64_t>(dims, dims + ndim);
}

inline std::vector<at::Tensor> to_list(const at_tensor *list, int64_t n, const char *what) {
  if (n < 0)
    throw ShimError(std::string(what) + ": expected a list length >= 0, found " + std::to_string(n));
  if (n > 0 && list == nullptr) throw ShimError(std::string(what) + ": expected a list pointer, found NULL");
  std::vector<at::Tensor> out;
  out.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; i++) out.push_back(deref(list[i], what));
  return out;
}

/** Whether the calling thread's current CUDA stream is capturing a graph (false without CUDA);
 *  defined by cuda_graph.cpp, or by cuda_graph_cpu.cpp in a CPU-only build. */
bool stream_capturing();

}  // namespace shim

// Every exported body that takes an error slot runs inside SHIM_GUARD: any exception becomes the
// caller's error slot and the function returns its fallback value (leave it empty in a void
// function: `SHIM_GUARD(, { ... })`).
#define SHIM_GUARD(fallback, ...)                                    \
  try {                                                              \
    __VA_ARGS__                                                      \
  } catch (const c10::Error &e) {                                    \
    ::shim::set_error(err, ::shim::torch_message(e));                \
  } catch (const std::exception &e) {                                \
    ::shim::set_error(err, e.what());                                \
  } catch (...) {                                                    \
    ::shim::set_error(err, "unknown C++ exception in the torch shim"); \
  }                                                                  \
  return fallback;

#endif  // SHIM_INTERNAL_H
