// ops.cpp — at_*: the forward ops the model and the training loop use.
#include "shim_internal.h"

#include <cmath>

using namespace shim;

extern "C" {

at_tensor at_conv2d(at_tensor x, at_tensor w, at_tensor b, int64_t stride_h, int64_t stride_w,
                    int64_t pad_h, int64_t pad_w, char **err) {
  SHIM_GUARD(nullptr, {
    c10::optional<at::Tensor> bias;
    if (b != nullptr) bias = deref(b, "conv2d bias");
    return wrap(at::conv2d(deref(x, "conv2d input"), deref(w, "conv2d weight"), bias,
                           {stride_h, stride_w}, {pad_h, pad_w}));
  })
}

at_tensor at_relu(at_tensor x, char **err) { SHIM_GUARD(nullptr, { return wrap(at::relu(deref(x, "relu"))); }) }
void at_relu_(at_tensor x, char **err) { SHIM_GUARD(, { at::relu_(deref(x, "relu_")); }) }

at_tensor at_max_pool2d(at_tensor x, int64_t kernel, int64_t stride, int64_t padding,
                        int32_t ceil_mode, char **err) {
  SHIM_GUARD(nullptr, {
    return wrap(at::max_pool2d(deref(x, "max_pool2d"), {kernel, kernel}, {stride, stride},
                               {padding, padding}, {1, 1}, ceil_mode != 0));
  })
}

at_tensor at_adaptive_avg_pool2d(at_tensor x, int64_t out_h, int64_t out_w, char **err) {
  SHIM_GUARD(nullptr, { return wrap(at::adaptive_avg_pool2d(deref(x, "adaptive_avg_pool2d"), {out_h, out_w})); })
}

at_tensor at_cat(const at_tensor *list, int64_t n, int64_t dim, char **err) {
  SHIM_GUARD(nullptr, { return wrap(at::cat(to_list(list, n, "cat"), dim)); })
}

at_tensor at_view(at_tensor x, const int64_t *dims, int64_t ndim, char **err) {
  SHIM_GUARD(nullptr, { return wrap(deref(x, "view").view(to_dims(dims, ndim))); })
}

at_tensor at_flatten(at_tensor x, int64_t start, int64_t end, char **err) {
  SHIM_GUARD(nullptr, { return wrap(deref(x, "flatten").flatten(start, end)); })
}

at_tensor at_linear(at_tensor x, at_tensor w, at_tensor b, char **err) {
  SHIM_GUARD(nullptr, {
    c10::optional<at::Tensor> bias;
    if (b != nullptr) bias = deref(b, "linear bias");
    return wrap(at::linear(deref(x, "linear input"), deref(w, "linear weight"), bias));
  })
}

at_tensor at_dropout(at_tensor x, double p, int32_t train, char **err) {
  SHIM_GUARD(nullptr, {
    if (!(p >= 0.0 && p <= 1.0)) throw ShimError("dropout: expected 0 <= p <= 1, found " + std::to_string(p));
    return wrap(at::dropout(deref(x, "dropout"), p, train != 0));
  })
}

at_tensor at_cross_entropy(at_tensor logits, at_tensor target, char **err) {
  SHIM_GUARD(nullptr, {
    return wrap(at::cross_entropy_loss(deref(logits, "cross_entropy logits"),
                                       deref(target, "cross_entropy target")));
  })
}

at_tensor at_argmax(at_tensor x, int64_t dim, int32_t keepdim, char **err) {
  SHIM_GUARD(nullptr, { return wrap(at::argmax(deref(x, "argmax"), dim, keepdim != 0)); })
}

at_tensor at_sum(at_tensor x, char **err) { SHIM_GUARD(nullptr, { return wrap(deref(x, "sum").sum()); }) }
at_tensor at_mean(at_tensor x, char **err) { SHIM_GUARD(nullptr, { return wrap(deref(x, "mean").mean()); }) }
at_tensor at_add(at_tensor a, at_tensor b, char **err) {
  SHIM_GUARD(nullptr, { return wrap(at::add(deref(a, "add a"), deref(b, "add b"))); })
}
void at_add_(at_tensor a, at_tensor b, char **err) {
  SHIM_GUARD(, {
    at::NoGradGuard ng;
    deref(a, "add_ a").add_(deref(b, "add_ b"));
  })
}
void at_zero_(at_tensor t, char **err) {
  SHIM_GUARD(, {
    at::NoGradGuard ng;
    deref(t, "zero_").zero_();
  })
}
at_tensor at_mul(at_tensor a, at_tensor b, char **err) {
  SHIM_GUARD(nullptr, { return wrap(at::mul(deref(a, "mul a"), deref(b, "mul b"))); })
}

at_tensor at_count_equal(at_tensor a, at_tensor b, char **err) {
  SHIM_GUARD(nullptr, { return wrap(at::eq(deref(a, "count_equal a"), deref(b, "count_equal b")).sum()); })
}

at_tensor at_index_select(at_tensor x, int64_t dim, at_tensor index, char **err) {
  SHIM_GUARD(nullptr, { return wrap(at::index_select(deref(x, "index_select"), dim, deref(index, "index_select index"))); })
}

at_tensor at_narrow(at_tensor x, int64_t dim, int64_t start, int64_t length, char **err) {
  SHIM_GUARD(nullptr, { return wrap(deref(x, "narrow").narrow(dim, start, length)); })
}

at_tensor at_contiguous(at_tensor t, int32_t memory_format, char **err) {
  SHIM_GUARD(nullptr, { return wrap(deref(t, "contiguous").contiguous(to_memory_format(memory_format))); })
}

int32_t at_is_contiguous(at_tensor t, int32_t memory_format, char **err) {
  SHIM_GUARD(-1, { return deref(t, "is_contiguous").is_contiguous(to_memory_format(memory_format)) ? 1 : 0; })
}

double at_item(at_tensor x, char **err) {
  SHIM_GUARD(std::nan(""), { return deref(x, "item").item<double>(); })
}

}  // extern "C"
