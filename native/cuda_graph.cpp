// cuda_graph.cpp — atg_*: CUDA graphs (compiled only into a CUDA build; cuda_graph_cpu.cpp answers
// the same calls in a CPU-only one).
//
// The recipe of torch.cuda.graphs (whole-network capture): warm up on a side stream, capture on
// that side stream into the graph's private memory pool, replay on the current stream. Tensors
// made during capture may be released afterwards: their memory stays with the graph's pool, which
// only this graph's replays write to.
#include "shim_internal.h"

#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>
#include <torch/torch.h>

#include <memory>
#include <optional>

using namespace shim;

struct atg_graph_s {
  at::cuda::CUDAGraph graph;
  std::optional<c10::cuda::CUDAStream> side;
  std::optional<c10::cuda::CUDAStreamGuard> guard;
  bool capturing = false;
  bool captured = false;
};

bool shim::stream_capturing() {
  if (!torch::cuda::is_available()) return false;
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(c10::cuda::getCurrentCUDAStream().stream(), &status) != cudaSuccess)
    throw ShimError("stream_capturing: cudaStreamIsCapturing failed");
  return status == cudaStreamCaptureStatusActive;
}

namespace {
atg_graph_s &graph_ref(atg_graph g, const char *what) {
  if (g == nullptr) throw ShimError(std::string(what) + ": expected a graph handle, found NULL");
  return *g;
}

// Runs f; if it throws, the side stream stops being current before the error travels on.
template <class F>
void leaving_stream_on_error(atg_graph_s &gr, F f) {
  try {
    f();
  } catch (...) {
    gr.guard.reset();
    throw;
  }
}
}  // namespace

extern "C" {

int32_t atg_supported(void) { return 1; }

atg_graph atg_new(char **err) {
  SHIM_GUARD(nullptr, {
    if (!torch::cuda::is_available()) throw ShimError("cuda graph: no CUDA device is available");
    auto g = std::make_unique<atg_graph_s>();
    g->side.emplace(c10::cuda::getStreamFromPool());
    return g.release();
  })
}

void atg_stream_enter(atg_graph g, char **err) {
  SHIM_GUARD(, {
    atg_graph_s &gr = graph_ref(g, "stream_enter");
    if (gr.guard.has_value()) throw ShimError("stream_enter: the graph's side stream is already current");
    torch::cuda::synchronize();
    gr.guard.emplace(*gr.side);
  })
}

void atg_stream_exit(atg_graph g, char **err) {
  SHIM_GUARD(, {
    atg_graph_s &gr = graph_ref(g, "stream_exit");
    if (!gr.guard.has_value() || gr.capturing)
      throw ShimError("stream_exit: expected the side stream entered by stream_enter, found none");
    torch::cuda::synchronize();
    gr.guard.reset();
  })
}

void atg_capture_begin(atg_graph g, char **err) {
  SHIM_GUARD(, {
    atg_graph_s &gr = graph_ref(g, "capture_begin");
    if (gr.captured || gr.capturing) throw ShimError("capture_begin: expected a new graph, found one already captured");
    if (gr.guard.has_value()) throw ShimError("capture_begin: leave the warm-up stream (stream_exit) first");
    torch::cuda::synchronize();
    gr.guard.emplace(*gr.side);
    leaving_stream_on_error(gr, [&] { gr.graph.capture_begin(); });
    gr.capturing = true;
  })
}

void atg_capture_end(atg_graph g, char **err) {
  SHIM_GUARD(, {
    atg_graph_s &gr = graph_ref(g, "capture_end");
    if (!gr.capturing) throw ShimError("capture_end: expected a capture in progress, found none");
    gr.capturing = false;
    leaving_stream_on_error(gr, [&] { gr.graph.capture_end(); });
    gr.guard.reset();
    gr.captured = true;
  })
}

void atg_replay(atg_graph g, char **err) {
  SHIM_GUARD(, {
    atg_graph_s &gr = graph_ref(g, "replay");
    if (!gr.captured) throw ShimError("replay: expected a captured graph, found none (capture first)");
    gr.graph.replay();
  })
}

void atg_free(atg_graph g) { delete g; }

}  // extern "C"
