/**
 * The shim's symbol table: one entry per function of native/torch_api.h, with each parameter's
 * C type beside it. Every function takes `char **err` last (a per-call error slot, passed as an
 * 8-byte buffer).
 *
 * @module
 */

/** Deno FFI declarations of native/torch_api.h. */
export const symbols = {
  // ---- runtime
  atr_free_string: { parameters: ["pointer"], result: "void" }, // (char *s)
  atr_build_info: { parameters: ["buffer"], result: "pointer" }, // (char **err) -> char *
  atr_manual_seed: { parameters: ["u64", "buffer"], result: "void" }, // (uint64_t seed, char **err)
  atr_set_num_threads: { parameters: ["i32", "buffer"], result: "void" }, // (int32_t n, char **err)
  atr_get_num_threads: { parameters: ["buffer"], result: "i32" }, // (char **err)
  atr_mallopt: { parameters: ["i32", "i32", "buffer"], result: "void" }, // (int32_t param, int32_t value, char **err)
  atr_set_interop_threads: { parameters: ["i32", "buffer"], result: "void" }, // (int32_t n, char **err)
  atr_get_interop_threads: { parameters: ["buffer"], result: "i32" }, // (char **err)
  atr_set_grad_enabled: { parameters: ["i32", "buffer"], result: "i32" }, // (int32_t on, char **err)
  atr_live_tensors: { parameters: [], result: "i64" }, // (void)
  atr_cuda_device_count: { parameters: ["buffer"], result: "i32" }, // (char **err)
  atr_cuda_synchronize: { parameters: ["i32", "buffer"], result: "void" }, // (int32_t dev, char **err)
  atr_cuda_peak_memory: { parameters: ["i32", "buffer"], result: "i64" }, // (int32_t dev, char **err)
  atr_cuda_reset_peak_memory: { parameters: ["i32", "buffer"], result: "void" }, // (int32_t dev, char **err)
  atr_watch_signals: { parameters: ["buffer"], result: "void" }, // (char **err)
  atr_pending_signal: { parameters: [], result: "i32" }, // (void)
  atr_set_backend_flags: { parameters: ["i32", "i32", "buffer"], result: "void" }, // (int32_t cudnn_benchmark, int32_t allow_tf32, char **err)
  atr_set_autocast: { parameters: ["i32", "i32", "i32", "buffer"], result: "void" }, // (int32_t device, int32_t enabled, int32_t dtype, char **err)
  atr_profile_start: { parameters: ["buffer", "buffer"], result: "void" }, // (const char *path, char **err)
  atr_profile_stop: { parameters: ["buffer"], result: "void" }, // (char **err)

  // ---- tensors
  at_from_host: {
    parameters: ["buffer", "usize", "buffer", "i64", "i32", "buffer"],
    result: "pointer",
  }, // (const void *data, size_t nbytes, const int64_t *dims, int64_t ndim, int32_t dtype, char **err)
  at_to_host: { parameters: ["pointer", "buffer", "usize", "buffer"], result: "void" }, // (at_tensor t, void *out, size_t nbytes, char **err)
  at_zeros: { parameters: ["buffer", "i64", "i32", "i32", "buffer"], result: "pointer" }, // (const int64_t *dims, int64_t ndim, int32_t dtype, int32_t device, char **err)
  at_empty: { parameters: ["buffer", "i64", "i32", "i32", "buffer"], result: "pointer" }, // (const int64_t *dims, int64_t ndim, int32_t dtype, int32_t device, char **err)
  at_scalar: { parameters: ["f64", "i32", "i32", "buffer"], result: "pointer" }, // (double value, int32_t dtype, int32_t device, char **err)
  at_uniform_: { parameters: ["pointer", "f64", "f64", "buffer"], result: "void" }, // (at_tensor t, double lo, double hi, char **err)
  at_copy_: { parameters: ["pointer", "pointer", "buffer"], result: "void" }, // (at_tensor dst, at_tensor src, char **err)
  at_clone: { parameters: ["pointer", "buffer"], result: "pointer" }, // (at_tensor t, char **err)
  at_detach: { parameters: ["pointer", "buffer"], result: "pointer" }, // (at_tensor t, char **err)
  at_to: { parameters: ["pointer", "i32", "i32", "buffer"], result: "pointer" }, // (at_tensor t, int32_t device, int32_t dtype, char **err)
  at_dim: { parameters: ["pointer", "buffer"], result: "i64" }, // (at_tensor t, char **err)
  at_shape: { parameters: ["pointer", "buffer", "i64", "buffer"], result: "i64" }, // (at_tensor t, int64_t *out, int64_t cap, char **err)
  at_dtype: { parameters: ["pointer", "buffer"], result: "i32" }, // (at_tensor t, char **err)
  at_device: { parameters: ["pointer", "buffer"], result: "i32" }, // (at_tensor t, char **err)
  at_numel: { parameters: ["pointer", "buffer"], result: "i64" }, // (at_tensor t, char **err)
  at_free: { parameters: ["pointer"], result: "void" }, // (at_tensor t)

  // ---- ops
  at_conv2d: {
    parameters: ["pointer", "pointer", "pointer", "i64", "i64", "i64", "i64", "buffer"],
    result: "pointer",
  }, // (at_tensor x, at_tensor w, at_tensor b /* nullable */, int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w, char **err)
  at_relu: { parameters: ["pointer", "buffer"], result: "pointer" }, // (at_tensor x, char **err)
  at_relu_: { parameters: ["pointer", "buffer"], result: "void" }, // (at_tensor x, char **err)
  at_max_pool2d: {
    parameters: ["pointer", "i64", "i64", "i64", "i32", "buffer"],
    result: "pointer",
  }, // (at_tensor x, int64_t kernel, int64_t stride, int64_t padding, int32_t ceil_mode, char **err)
  at_adaptive_avg_pool2d: { parameters: ["pointer", "i64", "i64", "buffer"], result: "pointer" }, // (at_tensor x, int64_t out_h, int64_t out_w, char **err)
  at_cat: { parameters: ["buffer", "i64", "i64", "buffer"], result: "pointer" }, // (const at_tensor *list, int64_t n, int64_t dim, char **err)
  at_branches: {
    parameters: ["pointer", "buffer", "i64", "buffer", "i64", "i32", "buffer"],
    result: "pointer",
  }, // (at_tensor x, const int64_t *program, int64_t program_len, const at_tensor *weights, int64_t n_weights, int32_t concurrent, char **err)
  at_view: { parameters: ["pointer", "buffer", "i64", "buffer"], result: "pointer" }, // (at_tensor x, const int64_t *dims, int64_t ndim, char **err)
  at_flatten: { parameters: ["pointer", "i64", "i64", "buffer"], result: "pointer" }, // (at_tensor x, int64_t start, int64_t end, char **err)
  at_linear: { parameters: ["pointer", "pointer", "pointer", "buffer"], result: "pointer" }, // (at_tensor x, at_tensor w, at_tensor b /* nullable */, char **err)
  at_dropout: { parameters: ["pointer", "f64", "i32", "buffer"], result: "pointer" }, // (at_tensor x, double p, int32_t train, char **err)
  at_cross_entropy: { parameters: ["pointer", "pointer", "buffer"], result: "pointer" }, // (at_tensor logits, at_tensor target, char **err)
  at_argmax: { parameters: ["pointer", "i64", "i32", "buffer"], result: "pointer" }, // (at_tensor x, int64_t dim, int32_t keepdim, char **err)
  at_sum: { parameters: ["pointer", "buffer"], result: "pointer" }, // (at_tensor x, char **err)
  at_mean: { parameters: ["pointer", "buffer"], result: "pointer" }, // (at_tensor x, char **err)
  at_add: { parameters: ["pointer", "pointer", "buffer"], result: "pointer" }, // (at_tensor a, at_tensor b, char **err)
  at_add_: { parameters: ["pointer", "pointer", "buffer"], result: "void" }, // (at_tensor a, at_tensor b, char **err)
  at_zero_: { parameters: ["pointer", "buffer"], result: "void" }, // (at_tensor t, char **err)
  at_mul: { parameters: ["pointer", "pointer", "buffer"], result: "pointer" }, // (at_tensor a, at_tensor b, char **err)
  at_count_equal: { parameters: ["pointer", "pointer", "buffer"], result: "pointer" }, // (at_tensor a, at_tensor b, char **err)
  at_index_select: { parameters: ["pointer", "i64", "pointer", "buffer"], result: "pointer" }, // (at_tensor x, int64_t dim, at_tensor index, char **err)
  at_narrow: { parameters: ["pointer", "i64", "i64", "i64", "buffer"], result: "pointer" }, // (at_tensor x, int64_t dim, int64_t start, int64_t length, char **err)
  at_contiguous: { parameters: ["pointer", "i32", "buffer"], result: "pointer" }, // (at_tensor t, int32_t memory_format, char **err)
  at_is_contiguous: { parameters: ["pointer", "i32", "buffer"], result: "i32" }, // (at_tensor t, int32_t memory_format, char **err)
  at_item: { parameters: ["pointer", "buffer"], result: "f64" }, // (at_tensor x, char **err) -> double

  // ---- autograd
  at_set_requires_grad: { parameters: ["pointer", "i32", "buffer"], result: "void" }, // (at_tensor t, int32_t requires_grad, char **err)
  at_requires_grad: { parameters: ["pointer", "buffer"], result: "i32" }, // (at_tensor t, char **err)
  at_backward: { parameters: ["pointer", "buffer"], result: "void" }, // (at_tensor t, char **err)
  at_grad: { parameters: ["pointer", "buffer"], result: "pointer" }, // (at_tensor t, char **err) -> nullable
  at_zero_grad: { parameters: ["buffer", "i64", "buffer"], result: "void" }, // (const at_tensor *list, int64_t n, char **err)
  at_clip_grad_norm: { parameters: ["buffer", "i64", "f64", "buffer"], result: "pointer" }, // (const at_tensor *list, int64_t n, double max_norm, char **err) -> at_tensor

  // ---- Adam
  ato_adam_new: {
    parameters: ["buffer", "i64", "f64", "f64", "f64", "f64", "f64", "i32", "buffer"],
    result: "pointer",
  }, // (const at_tensor *params, int64_t n, double lr, double beta1, double beta2, double eps, double weight_decay, int32_t impl, char **err)
  ato_adam_step: { parameters: ["pointer", "buffer"], result: "void" }, // (ato_adam opt, char **err)
  ato_adam_impl: { parameters: ["pointer", "buffer"], result: "i32" }, // (ato_adam opt, char **err)
  ato_adam_zero_grad: { parameters: ["pointer", "buffer"], result: "void" }, // (ato_adam opt, char **err)
  ato_adam_step_count: { parameters: ["pointer", "buffer"], result: "i64" }, // (ato_adam opt, char **err)
  ato_adam_set_step_count: { parameters: ["pointer", "i64", "buffer"], result: "void" }, // (ato_adam opt, int64_t step, char **err)
  ato_adam_state: { parameters: ["pointer", "i64", "i32", "buffer"], result: "pointer" }, // (ato_adam opt, int64_t i, int32_t which, char **err)
  ato_adam_set_lr: { parameters: ["pointer", "f64", "buffer"], result: "void" }, // (ato_adam opt, double lr, char **err)
  ato_adam_attach_copies: { parameters: ["pointer", "buffer", "i64", "buffer"], result: "void" }, // (ato_adam opt, const at_tensor *copies, int64_t n, char **err)
  ato_adam_refresh_copies: { parameters: ["pointer", "buffer"], result: "void" }, // (ato_adam opt, char **err)
  ato_adam_free: { parameters: ["pointer"], result: "void" }, // (ato_adam opt)

  // ---- serialization and generator state
  ats_save_pt: { parameters: ["buffer", "buffer", "buffer", "i64", "buffer"], result: "void" }, // (const char *path, const char *const *names, const at_tensor *tensors, int64_t n, char **err)
  ats_load_pt: { parameters: ["buffer", "buffer"], result: "pointer" }, // (const char *path, char **err) -> ats_dict
  ats_dict_size: { parameters: ["pointer", "buffer"], result: "i64" }, // (ats_dict d, char **err)
  ats_dict_name: { parameters: ["pointer", "i64", "buffer"], result: "pointer" }, // (ats_dict d, int64_t i, char **err) -> const char *
  ats_dict_tensor: { parameters: ["pointer", "i64", "buffer"], result: "pointer" }, // (ats_dict d, int64_t i, char **err)
  ats_dict_free: { parameters: ["pointer"], result: "void" }, // (ats_dict d)
  atr_rng_state: { parameters: ["buffer"], result: "pointer" }, // (char **err) -> at_tensor
  atr_set_rng_state: { parameters: ["pointer", "buffer"], result: "void" }, // (at_tensor state, char **err)

  // ---- generators of the caller's own
  atgen_new: { parameters: ["u64", "buffer"], result: "pointer" }, // (uint64_t seed, char **err) -> atgen_generator
  atgen_randperm: { parameters: ["pointer", "i64", "buffer"], result: "pointer" }, // (atgen_generator g, int64_t n, char **err) -> at_tensor
  atgen_state: { parameters: ["pointer", "buffer"], result: "pointer" }, // (atgen_generator g, char **err) -> at_tensor
  atgen_set_state: { parameters: ["pointer", "pointer", "buffer"], result: "void" }, // (atgen_generator g, at_tensor state, char **err)
  atgen_free: { parameters: ["pointer"], result: "void" }, // (atgen_generator g)

  // ---- data-parallel training on c10d
  atd_new: {
    parameters: ["buffer", "i32", "buffer", "i32", "i32", "i32", "i64", "buffer"],
    result: "pointer",
  }, // (const char *addr, int32_t port, const char *file /* nullable */, int32_t rank, int32_t world, int32_t backend, int64_t timeout_ms, char **err) -> atd_group
  atd_broadcast: { parameters: ["pointer", "buffer", "i64", "i32", "buffer"], result: "void" }, // (atd_group g, const at_tensor *list, int64_t n, int32_t root, char **err)
  atd_allreduce: { parameters: ["pointer", "pointer", "i32", "buffer"], result: "void" }, // (atd_group g, at_tensor t, int32_t average, char **err)
  atd_barrier: { parameters: ["pointer", "buffer"], result: "void" }, // (atd_group g, char **err)
  atd_rank: { parameters: ["pointer", "buffer"], result: "i32" }, // (atd_group g, char **err)
  atd_world_size: { parameters: ["pointer", "buffer"], result: "i32" }, // (atd_group g, char **err)
  atd_free: { parameters: ["pointer"], result: "void" }, // (atd_group g)
  atd_reducer_new: { parameters: ["pointer", "buffer", "i64", "i64", "buffer"], result: "pointer" }, // (atd_group g, const at_tensor *params, int64_t n, int64_t bucket_bytes, char **err) -> atd_reducer
  atd_reducer_prepare: { parameters: ["pointer", "buffer"], result: "void" }, // (atd_reducer r, char **err)
  atd_reducer_wait_ns: { parameters: ["pointer", "buffer"], result: "i64" }, // (atd_reducer r, char **err) -> int64_t
  atd_reducer_free: { parameters: ["pointer"], result: "void" }, // (atd_reducer r)

  // ---- CUDA graphs
  atg_supported: { parameters: [], result: "i32" }, // (void)
  atg_new: { parameters: ["buffer"], result: "pointer" }, // (char **err)
  atg_stream_enter: { parameters: ["pointer", "buffer"], result: "void" }, // (atg_graph g, char **err)
  atg_stream_exit: { parameters: ["pointer", "buffer"], result: "void" }, // (atg_graph g, char **err)
  atg_capture_begin: { parameters: ["pointer", "buffer"], result: "void" }, // (atg_graph g, char **err)
  atg_capture_end: { parameters: ["pointer", "buffer"], result: "void" }, // (atg_graph g, char **err)
  atg_replay: { parameters: ["pointer", "buffer"], result: "void" }, // (atg_graph g, char **err)
  atg_free: { parameters: ["pointer"], result: "void" }, // (atg_graph g)
} as const satisfies Deno.ForeignLibraryInterface;
