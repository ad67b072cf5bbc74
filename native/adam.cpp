// adam.cpp — ato_*: Adam as torch.optim.Adam computes it (single-tensor, foreach and fused), and
// optionally over fp32 masters whose low-precision copies the model computes with (bf16-pure).
#include "shim_internal.h"

#include <cmath>
#include <memory>

using namespace shim;

struct ato_adam_s {
  std::vector<at::Tensor> params, exp_avg, exp_avg_sq;
  double lr, beta1, beta2, eps, weight_decay;
  int32_t impl = 0;   // 0 single-tensor loop, 1 multi-tensor (_foreach_*), 2 fused (_fused_adam_)
  int64_t step = 0;   // steps taken with host-side bias corrections (capturable=False)
  at::Tensor step_t;  // CUDA (impl 0/1): steps taken with the bias corrections computed on the
                      // device, so that a captured CUDA graph stays correct on every replay
                      // (capturable=True); 0 until the first step taken under capture
  bool device_steps = false;  // since the first captured step, every step takes the device path
  int64_t device_base = 0;    // host steps before it: the device path's step is step_t + this
  std::vector<at::Tensor> fused_steps;  // one float32 step tensor per parameter, as _fused_adam_ wants
  // bf16-pure (ato_adam_attach_copies): one copy per parameter, which the model computes with and
  // which holds the gradients; params are then the fp32 masters, refreshed into the copies.
  std::vector<at::Tensor> copies;
};

namespace {
ato_adam_s &adam_ref(ato_adam opt, const char *what) {
  if (opt == nullptr) throw ShimError(std::string(what) + ": expected an optimizer handle, found NULL");
  return *opt;
}

// The parameters that have a gradient, with their gradients (L2 decay folded in) and moments.
struct AdamLists {
  std::vector<at::Tensor> params, grads, exp_avg, exp_avg_sq, steps, copies;
};

AdamLists adam_lists(ato_adam_s &o, bool fold_decay) {
  AdamLists l;
  for (size_t i = 0; i < o.params.size(); i++) {
    at::Tensor &p = o.params[i];
    // With copies, the gradient is the copy's, widened to the master's dtype (one kernel).
    const at::Tensor &holder = o.copies.empty() ? p : o.copies[i];
    if (!holder.grad().defined()) continue;
    at::Tensor g = o.copies.empty() ? holder.grad() : holder.grad().to(p.scalar_type());
    if (fold_decay && o.weight_decay != 0) g = g.add(p, o.weight_decay);
    l.params.push_back(p);
    l.grads.push_back(g);
    l.exp_avg.push_back(o.exp_avg[i]);
    l.exp_avg_sq.push_back(o.exp_avg_sq[i]);
    if (!o.fused_steps.empty()) l.steps.push_back(o.fused_steps[i]);
    if (!o.copies.empty()) l.copies.push_back(o.copies[i]);
  }
  return l;
}

// Narrows the updated masters into their copies (libtorch 1.13 has no _foreach_copy_: one
// copy_ per parameter, which casts and keeps the copy's layout).
void refresh_copies(AdamLists &l) {
  for (size_t i = 0; i < l.copies.size(); i++) l.copies[i].copy_(l.params[i]);
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
    if (!l.copies.empty()) l.copies[i].copy_(l.params[i]);  // while the master is in cache
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
  refresh_copies(l);
}

// torch.optim.Adam(capturable=True): bias corrections from the device step counter, in the
// order of PyTorch 2.x's _single_tensor_adam / _multi_tensor_adam.
void adam_capturable(ato_adam_s &o) {
  const double b1 = o.beta1, b2 = o.beta2;
  o.step_t.add_(1);
  // The host steps before the first capture enter as a constant of the captured kernels.
  at::Tensor t = o.device_base == 0 ? o.step_t : o.step_t + static_cast<double>(o.device_base);
  at::Tensor bc1 = 1 - at::pow(b1, t);
  at::Tensor bc2 = 1 - at::pow(b2, t);
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
    refresh_copies(l);
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
  refresh_copies(l);
}

// torch.optim.Adam(fused=True): one fused multi-tensor kernel, step counts read on the device.
void adam_fused(ato_adam_s &o) {
  AdamLists l = adam_lists(o, false);
  if (l.params.empty()) return;
  at::_foreach_add_(l.steps, 1);
  at::_fused_adam_(l.params, l.grads, l.exp_avg, l.exp_avg_sq, {}, l.steps, o.lr, o.beta1, o.beta2,
                   o.weight_decay, o.eps, /*amsgrad=*/false, /*maximize=*/false);
  refresh_copies(l);
}

}  // namespace

extern "C" {

ato_adam ato_adam_new(const at_tensor *params, int64_t n, double lr, double beta1, double beta2,
                      double eps, double weight_decay, int32_t impl, char **err) {
  SHIM_GUARD(nullptr, {
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
  SHIM_GUARD(, {
    ato_adam_s &o = adam_ref(opt, "adam_step");
    at::NoGradGuard ng;
    // As torch.optim.Adam: host-side bias corrections (capturable=False, one kernel per op)
    // for eager steps; device-side ones (capturable=True) from the first step taken while a CUDA
    // graph captures, because the replays advance the step on the device from then on.
    if (o.step_t.defined() && !o.device_steps && stream_capturing()) {
      o.device_steps = true;
      o.device_base = o.step;
    }
    if (o.device_steps) return adam_capturable(o);
    o.step += 1;
    if (o.impl == 2) adam_fused(o);
    else if (o.impl == 1) adam_foreach_host(o);
    else adam_single_host(o);
  })
}

int32_t ato_adam_impl(ato_adam opt, char **err) {
  SHIM_GUARD(-1, { return adam_ref(opt, "adam_impl").impl; })
}

void ato_adam_zero_grad(ato_adam opt, char **err) {
  SHIM_GUARD(, {
    adam_ref(opt, "adam_zero_grad");
    for (auto &p : opt->params) p.mutable_grad().reset();
    for (auto &c : opt->copies) c.mutable_grad().reset();
  })
}

void ato_adam_attach_copies(ato_adam opt, const at_tensor *copies, int64_t n, char **err) {
  SHIM_GUARD(, {
    ato_adam_s &o = adam_ref(opt, "adam_attach_copies");
    std::vector<at::Tensor> list = to_list(copies, n, "adam copies");
    if (list.size() != o.params.size())
      throw ShimError("adam_attach_copies: expected " + std::to_string(o.params.size()) +
                      " copies (one per parameter), found " + std::to_string(list.size()));
    for (size_t i = 0; i < list.size(); i++) {
      const at::Tensor &c = list[i], &p = o.params[i];
      if (c.sizes() != p.sizes() || c.device() != p.device())
        throw ShimError("adam_attach_copies: copy " + std::to_string(i) + ": expected shape " +
                        c10::str(p.sizes()) + " on " + p.device().str() + ", found " + c10::str(c.sizes()) +
                        " on " + c.device().str());
      if (!c.is_floating_point())
        throw ShimError("adam_attach_copies: copy " + std::to_string(i) +
                        ": expected a floating-point dtype, found " + std::string(c10::toString(c.scalar_type())));
    }
    o.copies = std::move(list);
    ato_adam_refresh_copies(opt, err);
  })
}

void ato_adam_refresh_copies(ato_adam opt, char **err) {
  SHIM_GUARD(, {
    ato_adam_s &o = adam_ref(opt, "adam_refresh_copies");
    at::NoGradGuard ng;
    for (size_t i = 0; i < o.copies.size(); i++) o.copies[i].copy_(o.params[i]);
  })
}

int64_t ato_adam_step_count(ato_adam opt, char **err) {
  SHIM_GUARD(-1, {
    ato_adam_s &o = adam_ref(opt, "adam_step_count");
    // A replayed CUDA graph advances the device counters without calling ato_adam_step.
    if (!o.fused_steps.empty()) return static_cast<int64_t>(o.fused_steps[0].item<double>());
    if (o.device_steps) return o.device_base + static_cast<int64_t>(o.step_t.item<double>());
    return o.step;
  })
}

void ato_adam_set_step_count(ato_adam opt, int64_t step, char **err) {
  SHIM_GUARD(, {
    ato_adam_s &o = adam_ref(opt, "adam_set_step_count");
    if (step < 0) throw ShimError("adam_set_step_count: expected step >= 0, found " + std::to_string(step));
    at::NoGradGuard ng;
    if (o.device_steps) o.step_t.fill_(static_cast<double>(step - o.device_base));
    else o.step = step;
    for (auto &t : o.fused_steps) t.fill_(static_cast<double>(step));
  })
}

at_tensor ato_adam_state(ato_adam opt, int64_t i, int32_t which, char **err) {
  SHIM_GUARD(nullptr, {
    adam_ref(opt, "adam_state");
    if (i < 0 || i >= static_cast<int64_t>(opt->params.size()))
      throw ShimError("adam_state: expected a parameter index in 0.." + std::to_string(opt->params.size() - 1) +
                      ", found " + std::to_string(i));
    if (which != 0 && which != 1) throw ShimError("adam_state: expected which 0 or 1, found " + std::to_string(which));
    return wrap(which == 0 ? opt->exp_avg[i] : opt->exp_avg_sq[i]);
  })
}

void ato_adam_set_lr(ato_adam opt, double lr, char **err) {
  SHIM_GUARD(, {
    adam_ref(opt, "adam_set_lr");
    if (!(lr > 0.0) || !std::isfinite(lr)) throw ShimError("adam: expected lr > 0, found " + std::to_string(lr));
    opt->lr = lr;
  })
}

void ato_adam_free(ato_adam opt) { delete opt; }

}  // extern "C"
