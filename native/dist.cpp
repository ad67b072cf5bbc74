// dist.cpp — atd_*: data-parallel training on PyTorch's own c10d, as DistributedDataParallel does
// it: a store (TCPStore or FileStore) for the rendezvous, a process group (Gloo for CPU tensors;
// NCCL in a CUDA build), a broadcast of the parameters from rank 0 and c10d::Reducer, DDP's C++
// core, which averages the gradients in buckets whose all-reduce overlaps the backward pass.
//
// Why the Reducer and not a home-made bucketed all-reduce: libtorch_cpu exports it with a plain C++
// constructor, it hooks the parameters' gradient accumulators itself (no Python), and it is the
// code DDP runs, so the bucket order, the division by the world size and the timeouts are DDP's.
//
// The 1.13-vs-2.x difference stays in this file: in 2.x a ProcessGroupGloo/NCCL is a c10d::Backend
// that a c10d::ProcessGroup wraps; in 1.13 it is the ProcessGroup.
#include "shim_internal.h"

#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/comm.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>
// A process group needs its library's headers, which not every libtorch ships (a PyTorch wheel
// may lack Gloo's): without them the shim still builds, and asking for that backend is an error.
#if __has_include(<gloo/algorithm.h>)
#define SHIM_GLOO 1
#define USE_C10D_GLOO 1
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#if defined(TORCH_SHIM_CUDA) && __has_include(<nccl.h>)
#define SHIM_NCCL 1
#define USE_C10D_NCCL 1
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <type_traits>

using namespace shim;

struct atd_group_s {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
  int32_t rank;
  int32_t world;
};

namespace {

// When the step's gradient buckets were launched and their all-reduces completed (steady clock,
// ns), shared with the futures' callbacks, which run on Gloo's threads.
struct CommClock {
  std::atomic<int64_t> last_launch{0};
  std::atomic<int64_t> last_done{0};
  static int64_t now() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  static void raise(std::atomic<int64_t> &slot, int64_t t) {
    int64_t seen = slot.load();
    while (t > seen && !slot.compare_exchange_weak(seen, t)) {
    }
  }
};

// DDP's default reduction (divide by the world size, then sum over the ranks: the reducer's own
// _AllReduceBySumCommHook after its division, the same float operations) as a comm hook that
// also reads the clock when each bucket is launched and when its all-reduce completes.
// (CommHookInterface itself: 1.13's libtorch_cpu does not export CppCommHookInterface's parser.)
class TimedAllReduceHook : public c10d::CommHookInterface {
 public:
  TimedAllReduceHook(const c10::intrusive_ptr<c10d::ProcessGroup> &pg, int32_t world,
                     std::shared_ptr<CommClock> clock)
      : state_(pg), world_(world), clock_(std::move(clock)) {}

  at::Tensor parseHookResult(const c10::IValue &result) override {
    return result.isTensor() ? result.toTensor() : result.toTensorVector()[0];
  }

  c10::intrusive_ptr<c10::ivalue::Future> runHook(c10d::GradBucket &bucket) override {
    CommClock::raise(clock_->last_launch, CommClock::now());
    bucket.getBufferRef().mul_(1.0 / world_);
    std::vector<at::Tensor> tensors{bucket.getBufferRef()};
    auto future = state_->allreduce(tensors)->getFuture();
    auto clock = clock_;
    future->addCallback([clock](c10::ivalue::Future &) { CommClock::raise(clock->last_done, CommClock::now()); });
    return future;
  }

 private:
  c10::intrusive_ptr<c10d::ProcessGroup> state_;
  int32_t world_;
  std::shared_ptr<CommClock> clock_;
};

}  // namespace

struct atd_reducer_s {
  std::shared_ptr<CommClock> clock;
  std::unique_ptr<c10d::Reducer> reducer;
};

namespace {

constexpr int32_t kGloo = 0, kNccl = 1;

atd_group_s &deref_group(atd_group g, const char *what) {
  if (g == nullptr) throw ShimError(std::string(what) + ": expected a process group handle, found NULL");
  return *g;
}

[[maybe_unused]] bool is_loopback(const std::string &addr) {
  return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1";
}

template <class O, class = void>
struct has_use_libuv : std::false_type {};
template <class O>
struct has_use_libuv<O, std::void_t<decltype(std::declval<O &>().useLibUV)>> : std::true_type {};

// From 2.4 a TCPStore's server runs on libuv by default, and fails where libtorch was built without
// it (Debian's 2.14). The classic server is in every release and serves a few ranks as well; libuv
// is used only when USE_LIBUV=1 asks for it, as Debian's PyTorch does.
template <class O>
void choose_store_server(O &opts) {
  if constexpr (has_use_libuv<O>::value) {
    const char *env = std::getenv("USE_LIBUV");
    opts.useLibUV = env != nullptr && std::string(env) == "1";
  }
}

c10::intrusive_ptr<c10d::Store> make_store(const char *addr, int32_t port, const char *file,
                                           int32_t rank, int32_t world, std::chrono::milliseconds timeout) {
  if (file != nullptr && *file != '\0') {
    auto store = c10::make_intrusive<c10d::FileStore>(file, world);
    store->setTimeout(timeout);
    return store;
  }
  if (addr == nullptr || *addr == '\0') throw ShimError("store: expected MASTER_ADDR or a file, found neither");
  if (port < 1 || port > 65535) throw ShimError("store: expected a port 1..65535, found " + std::to_string(port));
  c10d::TCPStoreOptions opts;
  opts.port = static_cast<std::uint16_t>(port);
  opts.isServer = rank == 0;
  opts.numWorkers = static_cast<std::size_t>(world);
  opts.waitWorkers = true;
  opts.timeout = timeout;
  choose_store_server(opts);
  return c10::make_intrusive<c10d::TCPStore>(addr, opts);
}

#if TORCH_SHIM_VERSION_GE(2, 0)
// In 2.x a ProcessGroupGloo/NCCL is a c10d::Backend: a ProcessGroup routes the device's tensors to it.
c10::intrusive_ptr<c10d::ProcessGroup> as_group(const c10::intrusive_ptr<c10d::Store> &store, int32_t rank,
                                                int32_t world, c10::intrusive_ptr<c10d::Backend> backend,
                                                c10::DeviceType device, c10d::ProcessGroup::BackendType type) {
  auto pg = c10::make_intrusive<c10d::ProcessGroup>(store, rank, world);
  pg->setBackend(device, type, backend);
  pg->setDefaultBackend(type);
  return pg;
}
#endif

#ifdef SHIM_GLOO
// Gloo binds to the rendezvous address on loopback (the local launcher), else as Python's
// default device: GLOO_SOCKET_IFNAME's interface, or the host name's address.
std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string &addr) {
  const char *ifname = std::getenv("GLOO_SOCKET_IFNAME");
  if (ifname != nullptr && *ifname != '\0') return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  if (is_loopback(addr)) return c10d::ProcessGroupGloo::createDeviceForHostname(addr);
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

c10::intrusive_ptr<c10d::ProcessGroup> make_gloo(const c10::intrusive_ptr<c10d::Store> &store, int32_t rank,
                                                 int32_t world, const std::string &addr,
                                                 std::chrono::milliseconds timeout) {
  auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
  opts->devices.push_back(gloo_device(addr));
#if TORCH_SHIM_VERSION_GE(2, 0)
  return as_group(store, rank, world, c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world, opts),
                  c10::DeviceType::CPU, c10d::ProcessGroup::BackendType::GLOO);
#else
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world, opts);
#endif
}
#else
c10::intrusive_ptr<c10d::ProcessGroup> make_gloo(const c10::intrusive_ptr<c10d::Store> &, int32_t, int32_t,
                                                 const std::string &, std::chrono::milliseconds) {
  throw ShimError(std::string("process group: Gloo needs Gloo's headers (gloo/algorithm.h), which the "
                              "libtorch this shim was built against does not ship (") + TORCH_VERSION + ")");
}
#endif

c10::intrusive_ptr<c10d::ProcessGroup> make_nccl(const c10::intrusive_ptr<c10d::Store> &store, int32_t rank,
                                                 int32_t world, std::chrono::milliseconds timeout) {
#ifdef SHIM_NCCL
  auto opts = c10d::ProcessGroupNCCL::Options::create();
  opts->timeout = timeout;
#if TORCH_SHIM_VERSION_GE(2, 0)
  return as_group(store, rank, world, c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, world, opts),
                  c10::DeviceType::CUDA, c10d::ProcessGroup::BackendType::NCCL);
#else
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, world, opts);
#endif
#else
  throw ShimError(std::string("process group: NCCL needs a CUDA build of the shim with NCCL's header "
                              "(nccl.h); this one was built without, against libtorch ") + TORCH_VERSION);
#endif
}

// c10d::Reducer's constructor as DDP calls it, with no unused parameters, no gradient views and the
// default first bucket. Its arguments changed across releases: 1.13 to 2.6 take the per-bucket size
// limits third; later ones drop them and add skip_all_reduce_unused_params and use_python_reducer,
// then a per-bucket cap list (2.11). Each form is tried by its signature (R keeps the forms not
// taken from being compiled).
template <class R = c10d::Reducer>
std::unique_ptr<R> make_reducer(std::vector<at::Tensor> params, std::vector<std::vector<size_t>> indices,
                                std::vector<size_t> limits, c10::intrusive_ptr<c10d::ProcessGroup> pg,
                                std::vector<bool> sparse, int64_t bucket_bytes) {
  using Tensors = std::vector<at::Tensor>;
  using Indices = std::vector<std::vector<size_t>>;
  using Group = c10::intrusive_ptr<c10d::ProcessGroup>;
  using Names = std::unordered_map<size_t, std::string>;
  const int64_t first = c10d::kDefaultFirstBucketBytes;
  if constexpr (std::is_constructible_v<R, Tensors, Indices, std::vector<size_t>, Group, std::vector<bool>,
                                        int64_t, bool, bool, Names, int64_t>) {
    return std::make_unique<R>(std::move(params), std::move(indices), std::move(limits), std::move(pg),
                               std::move(sparse), bucket_bytes, false, false, Names{}, first);
  } else if constexpr (std::is_constructible_v<R, Tensors, Indices, Group, std::vector<bool>, int64_t, bool,
                                               bool, Names, int64_t, bool, bool, std::vector<int64_t>>) {
    return std::make_unique<R>(std::move(params), std::move(indices), std::move(pg), std::move(sparse),
                               bucket_bytes, false, false, Names{}, first, false, false, std::vector<int64_t>{});
  } else if constexpr (std::is_constructible_v<R, Tensors, Indices, Group, std::vector<bool>, int64_t, bool,
                                               bool, Names, int64_t, bool, bool>) {
    return std::make_unique<R>(std::move(params), std::move(indices), std::move(pg), std::move(sparse),
                               bucket_bytes, false, false, Names{}, first, false, false);
  } else {
    static_assert(sizeof(R) == 0, "c10d::Reducer: a constructor this shim does not know (see make_reducer)");
  }
}

void wait(const c10::intrusive_ptr<c10d::Work> &work) {
  work->wait();
}

}  // namespace

extern "C" {

atd_group atd_new(const char *addr, int32_t port, const char *file, int32_t rank, int32_t world,
                  int32_t backend, int64_t timeout_ms, char **err) {
  SHIM_GUARD(nullptr, {
    if (world < 1) throw ShimError("process group: expected a world size >= 1, found " + std::to_string(world));
    if (rank < 0 || rank >= world)
      throw ShimError("process group: expected a rank 0.." + std::to_string(world - 1) + " (world size " +
                      std::to_string(world) + "), found " + std::to_string(rank));
    if (timeout_ms < 1) throw ShimError("process group: expected a timeout >= 1 ms, found " + std::to_string(timeout_ms));
    if (backend != kGloo && backend != kNccl)
      throw ShimError("process group: expected backend 0 (gloo) or 1 (nccl), found " + std::to_string(backend));
    const std::chrono::milliseconds timeout(timeout_ms);
    auto store = make_store(addr, port, file, rank, world, timeout);
    const std::string host = addr == nullptr ? "127.0.0.1" : addr;
    auto pg = backend == kGloo ? make_gloo(store, rank, world, host, timeout) : make_nccl(store, rank, world, timeout);
    return new atd_group_s{store, pg, rank, world};
  })
}

void atd_broadcast(atd_group g, const at_tensor *list, int64_t n, int32_t root, char **err) {
  SHIM_GUARD(, {
    auto &grp = deref_group(g, "broadcast");
    auto tensors = to_list(list, n, "broadcast");
    if (tensors.empty()) return;
    at::NoGradGuard no_grad;
    // One flat buffer, as DDP's _sync_module_states coalesces; then copied back in place.
    std::vector<at::Tensor> flat_parts;
    flat_parts.reserve(tensors.size());
    for (auto &t : tensors) flat_parts.push_back(t.detach().reshape({-1}));
    std::vector<at::Tensor> flat{at::cat(flat_parts)};
    wait(grp.pg->broadcast(flat, c10d::BroadcastOptions{root}));
    int64_t offset = 0;
    for (auto &t : tensors) {
      const int64_t k = t.numel();
      t.detach().copy_(flat[0].narrow(0, offset, k).view(t.sizes()));
      offset += k;
    }
  })
}

void atd_allreduce(atd_group g, at_tensor t, int32_t average, char **err) {
  SHIM_GUARD(, {
    auto &grp = deref_group(g, "allreduce");
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> one{deref(t, "allreduce").detach()};
    wait(grp.pg->allreduce(one));
    if (average != 0) one[0].div_(grp.world);
  })
}

void atd_barrier(atd_group g, char **err) {
  SHIM_GUARD(, { wait(deref_group(g, "barrier").pg->barrier()); })
}

int32_t atd_rank(atd_group g, char **err) { SHIM_GUARD(-1, { return deref_group(g, "rank").rank; }) }

int32_t atd_world_size(atd_group g, char **err) {
  SHIM_GUARD(-1, { return deref_group(g, "world_size").world; })
}

void atd_free(atd_group g) {
  try {
    delete g;
  } catch (...) {
  }
}

atd_reducer atd_reducer_new(atd_group g, const at_tensor *params, int64_t n, int64_t bucket_bytes, char **err) {
  SHIM_GUARD(nullptr, {
    auto &grp = deref_group(g, "reducer");
    auto tensors = to_list(params, n, "reducer");
    if (tensors.empty()) throw ShimError("reducer: expected at least one parameter, found none");
    if (bucket_bytes < 1) throw ShimError("reducer: expected bucket bytes >= 1, found " + std::to_string(bucket_bytes));
    for (size_t i = 0; i < tensors.size(); i++)
      if (!tensors[i].requires_grad())
        throw ShimError("reducer: expected parameters that require grad, found parameter " + std::to_string(i) +
                        " without");
    // As DistributedDataParallel.__init__: a small first bucket, the rest capped at bucket_bytes,
    // bucket order reversed (gradients arrive last-layer first).
    const std::vector<bool> sparse(tensors.size(), false);
    auto [indices, limits] = c10d::compute_bucket_assignment_by_size(
        tensors, {static_cast<size_t>(c10d::kDefaultFirstBucketBytes), static_cast<size_t>(bucket_bytes)}, sparse);
    std::reverse(indices.begin(), indices.end());
    std::reverse(limits.begin(), limits.end());
    auto reducer = make_reducer(std::move(tensors), std::move(indices), std::move(limits), grp.pg, sparse,
                                bucket_bytes);
    auto clock = std::make_shared<CommClock>();
    reducer->register_comm_hook(std::make_unique<TimedAllReduceHook>(grp.pg, grp.world, clock));
    return new atd_reducer_s{clock, std::move(reducer)};
  })
}

void atd_reducer_prepare(atd_reducer r, char **err) {
  SHIM_GUARD(, {
    if (r == nullptr) throw ShimError("reducer_prepare: expected a reducer handle, found NULL");
    // As DDP's forward: rebuild the buckets in gradient order once (after the first backward),
    // then arm the autograd hooks for the coming backward.
    r->clock->last_launch = 0;
    r->clock->last_done = 0;
    r->reducer->rebuild_buckets();
    r->reducer->prepare_for_forward();
    r->reducer->prepare_for_backward({});
  })
}

int64_t atd_reducer_wait_ns(atd_reducer r, char **err) {
  SHIM_GUARD(-1, {
    if (r == nullptr) throw ShimError("reducer_wait_ns: expected a reducer handle, found NULL");
    const int64_t launch = r->clock->last_launch.load(), done = r->clock->last_done.load();
    if (launch == 0 || done == 0) return int64_t{-1};
    return std::max<int64_t>(0, done - launch);
  })
}

void atd_reducer_free(atd_reducer r) {
  // ~Reducer is noexcept(false): nothing may cross extern "C".
  try {
    delete r;
  } catch (...) {
  }
}

}  // extern "C"
