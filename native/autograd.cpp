// autograd.cpp — at_*: requires_grad, backward, gradients and their clipping.
#include "shim_internal.h"

#include <cmath>

using namespace shim;

extern "C" {

void at_set_requires_grad(at_tensor t, int32_t requires_grad, char **err) {
  SHIM_GUARD(, { deref(t, "set_requires_grad").set_requires_grad(requires_grad != 0); })
}

int32_t at_requires_grad(at_tensor t, char **err) {
  SHIM_GUARD(-1, { return deref(t, "requires_grad").requires_grad() ? 1 : 0; })
}

void at_backward(at_tensor t, char **err) { SHIM_GUARD(, { deref(t, "backward").backward(); }) }

at_tensor at_grad(at_tensor t, char **err) {
  SHIM_GUARD(nullptr, {
    const at::Tensor &g = deref(t, "grad").grad();
    if (!g.defined()) return static_cast<at_tensor>(nullptr);
    return wrap(g);
  })
}

void at_zero_grad(const at_tensor *list, int64_t n, char **err) {
  SHIM_GUARD(, {
    for (auto &t : to_list(list, n, "zero_grad")) t.mutable_grad().reset();
  })
}

at_tensor at_clip_grad_norm(const at_tensor *list, int64_t n, double max_norm, char **err) {
  SHIM_GUARD(nullptr, {
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
