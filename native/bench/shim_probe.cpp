// shim_probe.cpp — the shim's first steps on a device, from a plain C++ process that loads the shim
// the way Deno's FFI does (dlopen, RTLD_LAZY | RTLD_LOCAL) and calls its C ABI, with no JavaScript
// engine in the process. scripts/gpu-bench.sh runs it beside scripts/cuda_probe.ts (the same steps
// through Deno): if only Deno's run fails, the fault is the process (V8), not the shim or libtorch.
//
//   shim_probe SHIM_PATH [DEVICE]      DEVICE: -1 the CPU (default), k cuda:k
//
// It prints each step before taking it and exits 0 when all pass, 1 on a shim error, 2 on bad use.
#include "torch_api.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

void *shim = nullptr;

// The shim's function `name`, typed as the header declares it.
template <class F>
F *sym(F *, const char *name) {
  void *p = dlsym(shim, name);
  if (p == nullptr) {
    std::fprintf(stderr, "shim_probe: expected the symbol %s in the shim, found none: %s\n", name, dlerror());
    std::exit(2);
  }
  return reinterpret_cast<F *>(p);
}
#define SHIM(name) sym(&name, #name)

void step(const char *what) {
  std::fprintf(stderr, "shim_probe: %s\n", what);
  std::fflush(stderr);
}

// Exits 1 with the shim's message when the last call failed.
void check(char *err, const char *what) {
  if (err == nullptr) return;
  std::fprintf(stderr, "shim_probe: %s failed: %s\n", what, err);
  std::exit(1);
}

// One 3x3 convolution of ones by halves on `device`, and its backward; true when both give the
// values worked out by hand.
bool convolve_and_backward(int32_t device) {
  char *err = nullptr;
  const int64_t x_dims[] = {2, 3, 8, 8}, w_dims[] = {4, 3, 3, 3};
  float x_host[2 * 3 * 8 * 8], w_host[4 * 3 * 3 * 3], y_host[2 * 4 * 6 * 6];
  for (float &v : x_host) v = 1.0f;
  for (float &v : w_host) v = 0.5f;
  step("tensors on the CPU");
  at_tensor x_cpu = SHIM(at_from_host)(x_host, sizeof x_host, x_dims, 4, 3, &err);
  check(err, "from_host");
  at_tensor w_cpu = SHIM(at_from_host)(w_host, sizeof w_host, w_dims, 4, 3, &err);
  check(err, "from_host");
  step(("to device " + std::to_string(device)).c_str());
  at_tensor x = SHIM(at_to)(x_cpu, device, -1, &err);
  check(err, "to");
  at_tensor w = SHIM(at_to)(w_cpu, device, -1, &err);
  check(err, "to");
  SHIM(at_set_requires_grad)(w, 1, &err);
  check(err, "set_requires_grad");
  step("conv2d");
  at_tensor y = SHIM(at_conv2d)(x, w, nullptr, 1, 1, 0, 0, &err);
  check(err, "conv2d");
  step("back to the host");
  SHIM(at_to_host)(y, y_host, sizeof y_host, &err);
  check(err, "to_host");
  step("backward");
  at_tensor loss = SHIM(at_sum)(y, &err);
  check(err, "sum");
  SHIM(at_backward)(loss, &err);
  check(err, "backward");
  at_tensor g = SHIM(at_grad)(w, &err);
  check(err, "grad");
  at_tensor g_sum = SHIM(at_sum)(g, &err);
  check(err, "sum");
  const double g0 = SHIM(at_item)(g_sum, &err);
  check(err, "item");
  for (at_tensor t : {x_cpu, w_cpu, x, w, y, loss, g, g_sum}) SHIM(at_free)(t);
  // Each of the 108 weights meets 2 images x 36 output pixels of ones: a gradient of 72 each.
  const double expected = 72.0 * 4 * 3 * 3 * 3;
  std::fprintf(stderr, "shim_probe: y[0] = %g (expected 13.5), sum of the weight gradient = %g (expected %g)\n",
               y_host[0], g0, expected);
  return y_host[0] == 13.5f && g0 == expected;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: shim_probe SHIM_PATH [DEVICE]\n");
    return 2;
  }
  step("dlopen");
  shim = dlopen(argv[1], RTLD_LAZY | RTLD_LOCAL);
  if (shim == nullptr) {
    std::fprintf(stderr, "shim_probe: dlopen failed: %s\n", dlerror());
    return 2;
  }
  char *err = nullptr;
  step("build info");
  char *info = SHIM(atr_build_info)(&err);
  check(err, "build info");
  std::fprintf(stderr, "%s\n", info);
  SHIM(atr_free_string)(info);
  if (!convolve_and_backward(argc > 2 ? std::atoi(argv[2]) : -1)) return 1;
  step("ok");
  return 0;
}
