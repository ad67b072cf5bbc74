// tensor.cpp — at_*: tensor creation, host transfer, queries and release.
#include "shim_internal.h"

using namespace shim;

extern "C" {

at_tensor at_from_host(const void *data, size_t nbytes, const int64_t *dims, int64_t ndim,
                       int32_t dtype, char **err) {
  SHIM_GUARD(nullptr, {
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
  SHIM_GUARD(, {
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
  SHIM_GUARD(nullptr, {
    return wrap(at::zeros(to_dims(dims, ndim),
                          to_options(dtype, device)));
  })
}

at_tensor at_empty(const int64_t *dims, int64_t ndim, int32_t dtype, int32_t device, char **err) {
  SHIM_GUARD(nullptr, {
    return wrap(at::empty(to_dims(dims, ndim),
                          to_options(dtype, device)));
  })
}

at_tensor at_scalar(double value, int32_t dtype, int32_t device, char **err) {
  SHIM_GUARD(nullptr, {
    return wrap(at::scalar_tensor(value, to_options(dtype, device)));
  })
}

void at_uniform_(at_tensor t, double lo, double hi, char **err) {
  SHIM_GUARD(, {
    at::NoGradGuard ng;
    deref(t, "uniform_").uniform_(lo, hi);
  })
}

void at_copy_(at_tensor dst, at_tensor src, char **err) {
  SHIM_GUARD(, {
    at::Tensor &d = deref(dst, "copy_ dst");
    at::Tensor &s = deref(src, "copy_ src");
    if (!d.sizes().equals(s.sizes()))
      throw ShimError("copy_: expected source shape " + c10::str(d.sizes()) + ", found " + c10::str(s.sizes()));
    at::NoGradGuard ng;
    d.copy_(s);
  })
}

at_tensor at_clone(at_tensor t, char **err) { SHIM_GUARD(nullptr, { return wrap(deref(t, "clone").clone()); }) }
at_tensor at_detach(at_tensor t, char **err) { SHIM_GUARD(nullptr, { return wrap(deref(t, "detach").detach()); }) }

at_tensor at_to(at_tensor t, int32_t device, int32_t dtype, char **err) {
  SHIM_GUARD(nullptr, {
    at::Tensor &x = deref(t, "to");
    auto st = dtype < 0 ? x.scalar_type() : to_dtype(dtype);
    return wrap(x.to(to_device(device), st));
  })
}

int64_t at_dim(at_tensor t, char **err) { SHIM_GUARD(-1, { return deref(t, "dim").dim(); }) }

int64_t at_shape(at_tensor t, int64_t *out, int64_t cap, char **err) {
  SHIM_GUARD(-1, {
    at::Tensor &x = deref(t, "shape");
    int64_t d = x.dim();
    for (int64_t i = 0; i < d && i < cap; i++) out[i] = x.size(i);
    return d;
  })
}

int32_t at_dtype(at_tensor t, char **err) { SHIM_GUARD(-1, { return from_dtype(deref(t, "dtype").scalar_type()); }) }

int32_t at_device(at_tensor t, char **err) {
  SHIM_GUARD(-2, {
    auto dev = deref(t, "device").device();
    return dev.is_cuda() ? static_cast<int32_t>(dev.index()) : -1;
  })
}

int64_t at_numel(at_tensor t, char **err) { SHIM_GUARD(-1, { return deref(t, "numel").numel(); }) }

void at_free(at_tensor t) {
  if (t == nullptr) return;
  delete reinterpret_cast<at::Tensor *>(t);
  g_live.fetch_sub(1, std::memory_order_relaxed);
}

}  // extern "C"
