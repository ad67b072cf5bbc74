// generator.cpp — atgen_*: a CPU generator of the caller's own, apart from libtorch's default one,
// as Python's torch.Generator(): the data order's randperm draws from it, so that model
// initialisation and dropout (the default generator) draw exactly what PyTorch's draw.
#include "shim_internal.h"

#include <ATen/CPUGeneratorImpl.h>

#include <mutex>

using namespace shim;

struct atgen_generator_s {
  at::Generator gen;
};

namespace {

at::Generator &deref_gen(atgen_generator g, const char *what) {
  if (g == nullptr) throw ShimError(std::string(what) + ": expected a generator handle, found NULL");
  return g->gen;
}

}  // namespace

extern "C" {

atgen_generator atgen_new(uint64_t seed, char **err) {
  SHIM_GUARD(nullptr, {
    // As torch.Generator().manual_seed(seed): a fresh CPU generator, then seeded.
    auto *g = new atgen_generator_s{at::make_generator<at::CPUGeneratorImpl>()};
    std::lock_guard<std::mutex> lock(g->gen.mutex());
    g->gen.set_current_seed(seed);
    return g;
  })
}

at_tensor atgen_randperm(atgen_generator g, int64_t n, char **err) {
  SHIM_GUARD(nullptr, {
    auto &gen = deref_gen(g, "randperm");
    if (n < 0) throw ShimError("randperm: expected n >= 0, found " + std::to_string(n));
    // at::randperm takes the generator's lock itself.
    return wrap(at::randperm(n, gen, at::TensorOptions().dtype(at::kLong)));
  })
}

at_tensor atgen_state(atgen_generator g, char **err) {
  SHIM_GUARD(nullptr, {
    auto &gen = deref_gen(g, "generator_state");
    std::lock_guard<std::mutex> lock(gen.mutex());
    return wrap(gen.get_state());
  })
}

void atgen_set_state(atgen_generator g, at_tensor state, char **err) {
  SHIM_GUARD(, {
    auto &gen = deref_gen(g, "set_generator_state");
    const at::Tensor &s = deref(state, "set_generator_state");
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(s);
  })
}

void atgen_free(atgen_generator g) { delete g; }

}  // extern "C"
