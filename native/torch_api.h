/*
 * torch_api.h — the whole C ABI of the shim between Deno FFI and libtorch.
 *
 * Conventions (after tch-rs's torch_api.h and TorchSharp's LibTorchSharp):
 *  - Opaque handles. An `at_tensor` owns one heap `at::Tensor`; `at_free` releases it.
 *    No C++ type crosses this boundary.
 *  - One prefix per object group: `at_` tensors and ops, `ato_` the Adam optimizer,
 *    `atg_` CUDA graphs, `ats_` serialization, `atr_` the runtime (threads, seeds, grad mode,
 *    generator state, build facts), `atgen_` CPU generators of the caller's own, `atd_`
 *    data-parallel training on c10d (process groups and DDP's gradient reducer).
 *  - Errors: every function takes `char **err` as its last parameter: a per-call error slot.
 *    On success it is left untouched; on failure it receives a malloc'd copy of libtorch's
 *    message (free it with `atr_free_string`) and the function returns its fallback value
 *    (NULL, 0 or -1). No C++ exception ever crosses `extern "C"`. The slot belongs to the
 *    caller, so errors stay correct when calls come from several threads.
 *  - Lists are passed as (pointer, length). Shapes are int64_t arrays.
 *  - Devices are ints: -1 is the CPU, k >= 0 is CUDA device k.
 *  - Dtypes are ints: 0 uint8, 1 int32, 2 int64, 3 float32, 4 float64, 5 bfloat16, 6 float16, 7 bool.
 */
#ifndef TORCH_API_H
#define TORCH_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct at_tensor_s *at_tensor;
typedef struct ato_adam_s *ato_adam;
typedef struct atg_graph_s *atg_graph;
typedef struct atgen_generator_s *atgen_generator;
typedef struct atd_group_s *atd_group;
typedef struct atd_reducer_s *atd_reducer;

/* ---- runtime ------------------------------------------------------------------------------- */

/** Frees a string returned by the shim (an error message or a JSON document). */
void atr_free_string(char *s);
/** Build facts as a malloc'd JSON object: versions, CUDA/cuDNN/MKL-DNN compiled and available,
 *  CUDA device count and names. */
char *atr_build_info(char **err);
/** Seeds every libtorch generator (CPU and CUDA), like torch.manual_seed. */
void atr_manual_seed(uint64_t seed, char **err);
/** Sets libtorch's intra-op thread count (at::set_num_threads). */
void atr_set_num_threads(int32_t n, char **err);
/** Returns libtorch's intra-op thread count. */
int32_t atr_get_num_threads(char **err);
/** Enables or disables autograd recording on the calling thread; returns the previous mode. */
int32_t atr_set_grad_enabled(int32_t enabled, char **err);
/** Handles made minus handles freed: the leak detector. */
int64_t atr_live_tensors(void);
/** Number of CUDA devices available at run time (0 without CUDA). */
int32_t atr_cuda_device_count(char **err);
/** Waits for all work on the CUDA device (no-op without CUDA). */
void atr_cuda_synchronize(int32_t device, char **err);
/** Peak bytes held by the CUDA caching allocator since the last reset (-1 without CUDA). */
int64_t atr_cuda_peak_memory(int32_t device, char **err);
/** Resets the CUDA caching allocator's peak statistics. */
void atr_cuda_reset_peak_memory(int32_t device, char **err);
/** Sets one of glibc malloc's parameters (mallopt: -1 M_TRIM_THRESHOLD, -4 M_MMAP_MAX, ...);
 *  an error when glibc refuses it. */
void atr_mallopt(int32_t param, int32_t value, char **err);
/** Installs SIGINT and SIGTERM handlers that only record the signal, so a synchronous training
 *  loop can stop at its next step boundary; a second signal exits at once with 128 + signal. */
void atr_watch_signals(char **err);
/** The first signal recorded since atr_watch_signals, or 0. */
int32_t atr_pending_signal(void);
/** Sets backend flags: cuDNN benchmark mode and TF32 for CUDA matmul and convolutions. */
void atr_set_backend_flags(int32_t cudnn_benchmark, int32_t allow_tf32, char **err);
/** Turns autocast on or off for the calling thread on a device (-1 the CPU, k >= 0 CUDA) with a
 *  dtype code (5 bfloat16; 6 float16, CUDA only); while on, the weight-cast cache is off. */
void atr_set_autocast(int32_t device, int32_t enabled, int32_t dtype, char **err);
/** Starts libtorch's (legacy) profiler on the calling thread; atr_profile_stop writes its trace,
 *  chrome://tracing JSON, to `path` (opened now). One profile at a time. */
void atr_profile_start(const char *path, char **err);
/** Stops the profile atr_profile_start began and writes its trace. */
void atr_profile_stop(char **err);

/* ---- tensors: creation, host transfer, queries --------------------------------------------- */

/** Copies `nbytes` of host memory into a new CPU tensor of the given shape and dtype
 *  (one copy; nbytes must equal numel * element size). */
at_tensor at_from_host(const void *data, size_t nbytes, const int64_t *dims, int64_t ndim,
                       int32_t dtype, char **err);
/** Copies a tensor's elements (moved to the CPU, made contiguous) into `out`; `nbytes` must equal
 *  numel * element size. */
void at_to_host(at_tensor t, void *out, size_t nbytes, char **err);
/** A new tensor of zeros. */
at_tensor at_zeros(const int64_t *dims, int64_t ndim, int32_t dtype, int32_t device, char **err);
/** A new uninitialised tensor. */
at_tensor at_empty(const int64_t *dims, int64_t ndim, int32_t dtype, int32_t device, char **err);
/** A new scalar (0-dim) float32 tensor. */
at_tensor at_scalar(double value, int32_t dtype, int32_t device, char **err);
/** Fills t in place from U(lo, hi) using libtorch's default generator (no autograd). */
void at_uniform_(at_tensor t, double lo, double hi, char **err);
/** Copies src into dst in place (no autograd); shapes must match. */
void at_copy_(at_tensor dst, at_tensor src, char **err);
/** A deep copy. */
at_tensor at_clone(at_tensor t, char **err);
/** A tensor that shares storage but is cut from the autograd graph. */
at_tensor at_detach(at_tensor t, char **err);
/** Moves or converts: device (-1 cpu, k cuda:k) and dtype (-1 keeps it). */
at_tensor at_to(at_tensor t, int32_t device, int32_t dtype, char **err);
/** Number of dimensions, or -1 on error. */
int64_t at_dim(at_tensor t, char **err);
/** Writes up to `cap` sizes into `out`; returns the number of dimensions. */
int64_t at_shape(at_tensor t, int64_t *out, int64_t cap, char **err);
/** Dtype code (see header comment). */
int32_t at_dtype(at_tensor t, char **err);
/** Device code (-1 cpu, k cuda:k). */
int32_t at_device(at_tensor t, char **err);
/** Number of elements. */
int64_t at_numel(at_tensor t, char **err);
/** Releases a handle. Freeing NULL is a no-op. */
void at_free(at_tensor t);

/* ---- ops ----------------------------------------------------------------------------------- */

/** 2-D convolution; bias may be NULL. */
at_tensor at_conv2d(at_tensor x, at_tensor w, at_tensor b, int64_t stride_h, int64_t stride_w,
                    int64_t pad_h, int64_t pad_w, char **err);
/** max(x, 0). */
at_tensor at_relu(at_tensor x, char **err);
/** max(x, 0) in place. */
void at_relu_(at_tensor x, char **err);
/** 2-D max pooling with square kernel, stride and padding. */
at_tensor at_max_pool2d(at_tensor x, int64_t kernel, int64_t stride, int64_t padding,
                        int32_t ceil_mode, char **err);
/** Adaptive average pooling to out_h x out_w. */
at_tensor at_adaptive_avg_pool2d(at_tensor x, int64_t out_h, int64_t out_w, char **err);
/** Concatenates n tensors along dim. */
at_tensor at_cat(const at_tensor *list, int64_t n, int64_t dim, char **err);
/** A view with a new shape (one dimension may be -1). */
at_tensor at_view(at_tensor x, const int64_t *dims, int64_t ndim, char **err);
/** Flattens dimensions start..end (inclusive). */
at_tensor at_flatten(at_tensor x, int64_t start, int64_t end, char **err);
/** x @ w^T + b; bias may be NULL. */
at_tensor at_linear(at_tensor x, at_tensor w, at_tensor b, char **err);
/** Dropout with probability p; identity unless train is non-zero. */
at_tensor at_dropout(at_tensor x, double p, int32_t train, char **err);
/** Mean cross-entropy of logits (N x C) against int64 class indices (N). */
at_tensor at_cross_entropy(at_tensor logits, at_tensor target, char **err);
/** Index of the maximum along dim. */
at_tensor at_argmax(at_tensor x, int64_t dim, int32_t keepdim, char **err);
/** Sum of all elements. */
at_tensor at_sum(at_tensor x, char **err);
/** Mean of all elements. */
at_tensor at_mean(at_tensor x, char **err);
/** Elementwise a + b (broadcasting). */
at_tensor at_add(at_tensor a, at_tensor b, char **err);
/** a += b in place (no autograd). */
void at_add_(at_tensor a, at_tensor b, char **err);
/** Zeroes t in place (no autograd). */
void at_zero_(at_tensor t, char **err);
/** Elementwise a * b (broadcasting). */
at_tensor at_mul(at_tensor a, at_tensor b, char **err);
/** Number of positions where a == b, as an int64 scalar tensor. */
at_tensor at_count_equal(at_tensor a, at_tensor b, char **err);
/** Rows of x picked by an int64 index along dim (gathers a batch on x's device). */
at_tensor at_index_select(at_tensor x, int64_t dim, at_tensor index, char **err);
/** A slice [start, start + length) along dim (a view). */
at_tensor at_narrow(at_tensor x, int64_t dim, int64_t start, int64_t length, char **err);
/** t in a memory format (0 contiguous, 1 channels_last; the same storage when it already is). */
at_tensor at_contiguous(at_tensor t, int32_t memory_format, char **err);
/** Whether t is contiguous in a memory format (1/0). */
int32_t at_is_contiguous(at_tensor t, int32_t memory_format, char **err);
/** The value of a one-element tensor as a double. */
double at_item(at_tensor x, char **err);

/** The branches of a concat block applied to x and concatenated on dim 1 (an Inception block).
 *  program: ops of 4 int64 each, [code, a, b, c]: 1 conv2d (stride a, padding b; takes the next
 *  two weights, weight and bias), 2 relu_, 3 max_pool2d (kernel a, stride b, padding c), 0 ends
 *  a branch. concurrent != 0 runs branch 0 on the calling thread and the others on libtorch's
 *  inter-op pool at once, with the caller's grad mode and autocast; autograd records the same
 *  graph either way. */
at_tensor at_branches(at_tensor x, const int64_t *program, int64_t program_len, const at_tensor *weights,
                      int64_t n_weights, int32_t concurrent, char **err);
/** Sets the size of libtorch's inter-op pool (before its first use; an error after). */
void atr_set_interop_threads(int32_t n, char **err);
/** The size of libtorch's inter-op pool. */
int32_t atr_get_interop_threads(char **err);

/* ---- autograd ------------------------------------------------------------------------------ */

/** Sets requires_grad on a leaf tensor. */
void at_set_requires_grad(at_tensor t, int32_t requires_grad, char **err);
/** Whether t requires grad (1/0). */
int32_t at_requires_grad(at_tensor t, char **err);
/** Backpropagates from a scalar tensor. */
void at_backward(at_tensor t, char **err);
/** The accumulated gradient of t, or NULL (and no error) when it has none. */
at_tensor at_grad(at_tensor t, char **err);
/** Drops the gradients of n tensors (set to None, as zero_grad(set_to_none=True)). */
void at_zero_grad(const at_tensor *list, int64_t n, char **err);
/** Scales the gradients of n tensors so that their joint L2 norm is at most max_norm, as
 *  torch.nn.utils.clip_grad_norm_; returns the norm before clipping as a 0-dim tensor on the
 *  parameters' device (no host round trip, so it can be captured in a CUDA graph). */
at_tensor at_clip_grad_norm(const at_tensor *list, int64_t n, double max_norm, char **err);

/* ---- Adam ---------------------------------------------------------------------------------- */

/** An Adam optimizer over n parameters, equal to torch.optim.Adam (bias correction, no amsgrad);
 *  weight_decay is L2 added to the gradient, as torch.optim.Adam does. impl picks the kernels:
 *  0 one parameter at a time, 1 multi-tensor (_foreach_*), 2 fused (_fused_adam_: CUDA, or the
 *  CPU from libtorch 2.4). Eager steps compute the bias corrections on the host, as
 *  torch.optim.Adam(capturable=False); from the first step taken while a CUDA graph captures, the
 *  step count lives on the device and so do they (capturable=True), so that replays stay exact. */
ato_adam ato_adam_new(const at_tensor *params, int64_t n, double lr, double beta1, double beta2,
                      double eps, double weight_decay, int32_t impl, char **err);
/** One update of every parameter that has a gradient. */
void ato_adam_step(ato_adam opt, char **err);
/** The impl code the optimizer was made with. */
int32_t ato_adam_impl(ato_adam opt, char **err);
/** Drops every parameter's gradient. */
void ato_adam_zero_grad(ato_adam opt, char **err);
/** Steps taken so far (read from the device on CUDA, where graph replays advance it). */
int64_t ato_adam_step_count(ato_adam opt, char **err);
/** Sets the step counter (when restoring a checkpoint). */
void ato_adam_set_step_count(ato_adam opt, int64_t step, char **err);
/** A handle to parameter i's state: which 0 is exp_avg, 1 is exp_avg_sq (shares storage). */
at_tensor ato_adam_state(ato_adam opt, int64_t i, int32_t which, char **err);
/** Changes the learning rate. */
void ato_adam_set_lr(ato_adam opt, double lr, char **err);
/** Makes the n parameters fp32 masters of n low-precision copies (bf16-pure): the model computes
 *  with the copies, which hold the gradients; each step widens a copy's gradient, updates its
 *  master and narrows the master back into the copy; zero_grad drops the copies' gradients. The
 *  copies must match the parameters in shape and device; they are refreshed at once. */
void ato_adam_attach_copies(ato_adam opt, const at_tensor *copies, int64_t n, char **err);
/** Narrows every master into its copy again (after the masters were loaded or restored). */
void ato_adam_refresh_copies(ato_adam opt, char **err);
/** Releases the optimizer (the parameters stay alive while their own handles do). */
void ato_adam_free(ato_adam opt);

/* ---- serialization and generator state ----------------------------------------------------- */

typedef struct ats_dict_s *ats_dict;

/** Writes n named tensors (moved to the CPU, detached) as a dict in torch.save's format
 *  (an untagged pickle in its zip container), which torch.load reads with its defaults, weights_only
 *  included. */
void ats_save_pt(const char *path, const char *const *names, const at_tensor *tensors, int64_t n,
                 char **err);
/** Reads a dict[str, Tensor] written by torch.save in Python or by ats_save_pt. */
ats_dict ats_load_pt(const char *path, char **err);
/** Number of entries. */
int64_t ats_dict_size(ats_dict d, char **err);
/** Name of entry i (owned by the dict; valid until ats_dict_free). */
const char *ats_dict_name(ats_dict d, int64_t i, char **err);
/** A new handle to the tensor of entry i. */
at_tensor ats_dict_tensor(ats_dict d, int64_t i, char **err);
/** Releases the dict. */
void ats_dict_free(ats_dict d);
/** The CPU generator's state as a uint8 tensor (dropout draws from it). */
at_tensor atr_rng_state(char **err);
/** Restores the CPU generator's state from atr_rng_state's tensor. */
void atr_set_rng_state(at_tensor state, char **err);

/* ---- generators of the caller's own -------------------------------------------------------- */

/** A new CPU generator seeded with `seed`, as torch.Generator().manual_seed(seed); apart from
 *  libtorch's default generator (model initialisation and dropout do not draw from it). */
atgen_generator atgen_new(uint64_t seed, char **err);
/** A random permutation of 0..n-1 as an int64 CPU tensor, as torch.randperm(n, generator=g). */
at_tensor atgen_randperm(atgen_generator g, int64_t n, char **err);
/** The generator's state as a uint8 CPU tensor (g.get_state()). */
at_tensor atgen_state(atgen_generator g, char **err);
/** Restores the generator's state from atgen_state's tensor (g.set_state(state)). */
void atgen_set_state(atgen_generator g, at_tensor state, char **err);
/** Releases the generator. Freeing NULL is a no-op. */
void atgen_free(atgen_generator g);

/* ---- data-parallel training on c10d ------------------------------------------------------- */

/** Joins a process group of `world` ranks as `rank`: the rendezvous store is a FileStore at
 *  `file` when it is non-NULL and non-empty, else a TCPStore at addr:port that rank 0 serves; the
 *  backend is 0 Gloo (CPU tensors) or 1 NCCL (CUDA builds). Every store wait and collective
 *  fails with c10d's message after timeout_ms. */
atd_group atd_new(const char *addr, int32_t port, const char *file, int32_t rank, int32_t world,
                  int32_t backend, int64_t timeout_ms, char **err);
/** Overwrites the tensors on every rank with rank `root`'s values (one coalesced broadcast). */
void atd_broadcast(atd_group g, const at_tensor *list, int64_t n, int32_t root, char **err);
/** Sums t in place over the ranks; divides by the world size when `average` is non-zero. */
void atd_allreduce(atd_group g, at_tensor t, int32_t average, char **err);
/** Waits until every rank has reached the barrier. */
void atd_barrier(atd_group g, char **err);
/** This process's rank. */
int32_t atd_rank(atd_group g, char **err);
/** The number of ranks. */
int32_t atd_world_size(atd_group g, char **err);
/** Leaves the process group (shutdown). Freeing NULL is a no-op. */
void atd_free(atd_group g);
/** c10d::Reducer over the parameters, as DistributedDataParallel builds it (first bucket 1 MiB,
 *  the others `bucket_bytes`): their gradients are averaged over the ranks during backward. */
atd_reducer atd_reducer_new(atd_group g, const at_tensor *params, int64_t n, int64_t bucket_bytes,
                            char **err);
/** Arms the reducer for the next backward (DDP's forward does this each iteration). */
void atd_reducer_prepare(atd_reducer r, char **err);
/** The last backward's exposed all-reduce wait in ns: from the launch of its last gradient bucket
 *  (backward's last gradient is ready) to the completion of its last all-reduce, 0 when the
 *  all-reduces finished first; -1 when no backward ran since the last prepare. */
int64_t atd_reducer_wait_ns(atd_reducer r, char **err);
/** Releases the reducer. Freeing NULL is a no-op. */
void atd_reducer_free(atd_reducer r);

/* ---- CUDA graphs --------------------------------------------------------------------------- */

/* A CPU-only build has every atg_ symbol: atg_supported answers 0 and the others an error. */

/** Whether this build can capture CUDA graphs (1/0). */
int32_t atg_supported(void);
/** A new, empty CUDA graph with its own side stream. */
atg_graph atg_new(char **err);
/** Makes the graph's side stream current for the calling thread (after a device sync), for the
 *  warm-up steps that precede a capture. */
void atg_stream_enter(atg_graph g, char **err);
/** Restores the previous stream (after a device sync). */
void atg_stream_exit(atg_graph g, char **err);
/** Syncs the device, makes the side stream current and starts capturing the work queued on it. */
void atg_capture_begin(atg_graph g, char **err);
/** Ends the capture, instantiates the graph and restores the previous stream. */
void atg_capture_end(atg_graph g, char **err);
/** Replays the captured work on the current stream. */
void atg_replay(atg_graph g, char **err);
/** Releases the graph. */
void atg_free(atg_graph g);

#ifdef __cplusplus
}
#endif

#endif /* TORCH_API_H */
