/**
 * The shim's symbol table: one entry per function of native/torch_api.h, whose declarations (with
 * each parameter's C type and its doc) are the one source; tests/native_misuse.test.ts holds the two
 * against each other. Every function takes `char **err` last (a per-call error slot, passed as an
 * 8-byte buffer).
 *
 * @module
 */

/** Deno FFI declarations of native/torch_api.h. */
export const symbols = {
  // ---- runtime
  atr_free_string: { parameters: ["pointer"], result: "void" },
  atr_build_info: { parameters: ["buffer"], result: "pointer" },
  atr_manual_seed: { parameters: ["u64", "buffer"], result: "void" },
  atr_set_num_threads: { parameters: ["i32", "buffer"], result: "void" },
  atr_get_num_threads: { parameters: ["buffer"], result: "i32" },
  atr_mallopt: { parameters: ["i32", "i32", "buffer"], result: "void" },
  atr_set_interop_threads: { parameters: ["i32", "buffer"], result: "void" },
  atr_get_interop_threads: { parameters: ["buffer"], result: "i32" },
  atr_set_grad_enabled: { parameters: ["i32", "buffer"], result: "i32" },
  atr_live_tensors: { parameters: [], result: "i64" },
  atr_cuda_device_count: { parameters: ["buffer"], result: "i32" },
  atr_cuda_synchronize: { parameters: ["i32", "buffer"], result: "void" },
  atr_cuda_peak_memory: { parameters: ["i32", "buffer"], result: "i64" },
  atr_cuda_reset_peak_memory: { parameters: ["i32", "buffer"], result: "void" },
  atr_watch_signals: { parameters: ["buffer"], result: "void" },
  atr_pending_signal: { parameters: [], result: "i32" },
  atr_set_backend_flags: { parameters: ["i32", "i32", "buffer"], result: "void" },
  atr_set_autocast: { parameters: ["i32", "i32", "i32", "buffer"], result: "void" },
  atr_profile_start: { parameters: ["buffer", "buffer"], result: "void" },
  atr_profile_stop: { parameters: ["buffer"], result: "void" },

  // ---- tensors
  at_from_host: {
    parameters: ["buffer", "usize", "buffer", "i64", "i32", "buffer"],
    result: "pointer",
  },
  at_to_host: { parameters: ["pointer", "buffer", "usize", "buffer"], result: "void" },
  at_zeros: { parameters: ["buffer", "i64", "i32", "i32", "buffer"], result: "pointer" },
  at_empty: { parameters: ["buffer", "i64", "i32", "i32", "buffer"], result: "pointer" },
  at_scalar: { parameters: ["f64", "i32", "i32", "buffer"], result: "pointer" },
  at_uniform_: { parameters: ["pointer", "f64", "f64", "buffer"], result: "void" },
  at_copy_: { parameters: ["pointer", "pointer", "buffer"], result: "void" },
  at_clone: { parameters: ["pointer", "buffer"], result: "pointer" },
  at_detach: { parameters: ["pointer", "buffer"], result: "pointer" },
  at_to: { parameters: ["pointer", "i32", "i32", "buffer"], result: "pointer" },
  at_dim: { parameters: ["pointer", "buffer"], result: "i64" },
  at_shape: { parameters: ["pointer", "buffer", "i64", "buffer"], result: "i64" },
  at_dtype: { parameters: ["pointer", "buffer"], result: "i32" },
  at_device: { parameters: ["pointer", "buffer"], result: "i32" },
  at_numel: { parameters: ["pointer", "buffer"], result: "i64" },
  at_free: { parameters: ["pointer"], result: "void" },

  // ---- ops
  at_conv2d: {
    parameters: ["pointer", "pointer", "pointer", "i64", "i64", "i64", "i64", "buffer"],
    result: "pointer",
  },
  at_relu: { parameters: ["pointer", "buffer"], result: "pointer" },
  at_relu_: { parameters: ["pointer", "buffer"], result: "void" },
  at_max_pool2d: {
    parameters: ["pointer", "i64", "i64", "i64", "i32", "buffer"],
    result: "pointer",
  },
  at_adaptive_avg_pool2d: { parameters: ["pointer", "i64", "i64", "buffer"], result: "pointer" },
  at_cat: { parameters: ["buffer", "i64", "i64", "buffer"], result: "pointer" },
  at_branches: {
    parameters: ["pointer", "buffer", "i64", "buffer", "i64", "i32", "buffer"],
    result: "pointer",
  },
  at_view: { parameters: ["pointer", "buffer", "i64", "buffer"], result: "pointer" },
  at_flatten: { parameters: ["pointer", "i64", "i64", "buffer"], result: "pointer" },
  at_linear: { parameters: ["pointer", "pointer", "pointer", "buffer"], result: "pointer" },
  at_dropout: { parameters: ["pointer", "f64", "i32", "buffer"], result: "pointer" },
  at_cross_entropy: { parameters: ["pointer", "pointer", "buffer"], result: "pointer" },
  at_argmax: { parameters: ["pointer", "i64", "i32", "buffer"], result: "pointer" },
  at_sum: { parameters: ["pointer", "buffer"], result: "pointer" },
  at_mean: { parameters: ["pointer", "buffer"], result: "pointer" },
  at_add: { parameters: ["pointer", "pointer", "buffer"], result: "pointer" },
  at_add_: { parameters: ["pointer", "pointer", "buffer"], result: "void" },
  at_zero_: { parameters: ["pointer", "buffer"], result: "void" },
  at_mul: { parameters: ["pointer", "pointer", "buffer"], result: "pointer" },
  at_count_equal: { parameters: ["pointer", "pointer", "buffer"], result: "pointer" },
  at_index_select: { parameters: ["pointer", "i64", "pointer", "buffer"], result: "pointer" },
  at_narrow: { parameters: ["pointer", "i64", "i64", "i64", "buffer"], result: "pointer" },
  at_contiguous: { parameters: ["pointer", "i32", "buffer"], result: "pointer" },
  at_is_contiguous: { parameters: ["pointer", "i32", "buffer"], result: "i32" },
  at_item: { parameters: ["pointer", "buffer"], result: "f64" },

  // ---- autograd
  at_set_requires_grad: { parameters: ["pointer", "i32", "buffer"], result: "void" },
  at_requires_grad: { parameters: ["pointer", "buffer"], result: "i32" },
  at_backward: { parameters: ["pointer", "buffer"], result: "void" },
  at_grad: { parameters: ["pointer", "buffer"], result: "pointer" },
  at_zero_grad: { parameters: ["buffer", "i64", "buffer"], result: "void" },
  at_clip_grad_norm: { parameters: ["buffer", "i64", "f64", "buffer"], result: "pointer" },

  // ---- Adam
  ato_adam_new: {
    parameters: ["buffer", "i64", "f64", "f64", "f64", "f64", "f64", "i32", "buffer"],
    result: "pointer",
  },
  ato_adam_step: { parameters: ["pointer", "buffer"], result: "void" },
  ato_adam_impl: { parameters: ["pointer", "buffer"], result: "i32" },
  ato_adam_zero_grad: { parameters: ["pointer", "buffer"], result: "void" },
  ato_adam_step_count: { parameters: ["pointer", "buffer"], result: "i64" },
  ato_adam_set_step_count: { parameters: ["pointer", "i64", "buffer"], result: "void" },
  ato_adam_state: { parameters: ["pointer", "i64", "i32", "buffer"], result: "pointer" },
  ato_adam_set_lr: { parameters: ["pointer", "f64", "buffer"], result: "void" },
  ato_adam_attach_copies: { parameters: ["pointer", "buffer", "i64", "buffer"], result: "void" },
  ato_adam_refresh_copies: { parameters: ["pointer", "buffer"], result: "void" },
  ato_adam_free: { parameters: ["pointer"], result: "void" },

  // ---- serialization and generator state
  ats_save_pt: { parameters: ["buffer", "buffer", "buffer", "i64", "buffer"], result: "void" },
  ats_load_pt: { parameters: ["buffer", "buffer"], result: "pointer" },
  ats_dict_size: { parameters: ["pointer", "buffer"], result: "i64" },
  ats_dict_name: { parameters: ["pointer", "i64", "buffer"], result: "pointer" },
  ats_dict_tensor: { parameters: ["pointer", "i64", "buffer"], result: "pointer" },
  ats_dict_free: { parameters: ["pointer"], result: "void" },
  atr_rng_state: { parameters: ["buffer"], result: "pointer" },
  atr_set_rng_state: { parameters: ["pointer", "buffer"], result: "void" },

  // ---- generators of the caller's own
  atgen_new: { parameters: ["u64", "buffer"], result: "pointer" },
  atgen_randperm: { parameters: ["pointer", "i64", "buffer"], result: "pointer" },
  atgen_state: { parameters: ["pointer", "buffer"], result: "pointer" },
  atgen_set_state: { parameters: ["pointer", "pointer", "buffer"], result: "void" },
  atgen_free: { parameters: ["pointer"], result: "void" },

  // ---- data-parallel training on c10d
  atd_new: {
    parameters: ["buffer", "i32", "buffer", "i32", "i32", "i32", "i64", "buffer"],
    result: "pointer",
  },
  atd_broadcast: { parameters: ["pointer", "buffer", "i64", "i32", "buffer"], result: "void" },
  atd_allreduce: { parameters: ["pointer", "pointer", "i32", "buffer"], result: "void" },
  atd_barrier: { parameters: ["pointer", "buffer"], result: "void" },
  atd_rank: { parameters: ["pointer", "buffer"], result: "i32" },
  atd_world_size: { parameters: ["pointer", "buffer"], result: "i32" },
  atd_free: { parameters: ["pointer"], result: "void" },
  atd_reducer_new: { parameters: ["pointer", "buffer", "i64", "i64", "buffer"], result: "pointer" },
  atd_reducer_prepare: { parameters: ["pointer", "buffer"], result: "void" },
  atd_reducer_wait_ns: { parameters: ["pointer", "buffer"], result: "i64" },
  atd_reducer_free: { parameters: ["pointer"], result: "void" },

  // ---- CUDA graphs
  atg_supported: { parameters: [], result: "i32" },
  atg_new: { parameters: ["buffer"], result: "pointer" },
  atg_stream_enter: { parameters: ["pointer", "buffer"], result: "void" },
  atg_stream_exit: { parameters: ["pointer", "buffer"], result: "void" },
  atg_capture_begin: { parameters: ["pointer", "buffer"], result: "void" },
  atg_capture_end: { parameters: ["pointer", "buffer"], result: "void" },
  atg_replay: { parameters: ["pointer", "buffer"], result: "void" },
  atg_free: { parameters: ["pointer"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;
