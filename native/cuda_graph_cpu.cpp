// cuda_graph_cpu.cpp — atg_* in a CPU-only build: the symbols of torch_api.h exist, and each call
// that takes an error slot answers with an error saying why (cuda_graph.cpp is the CUDA unit).
#include "shim_internal.h"

using namespace shim;

bool shim::stream_capturing() { return false; }

namespace {
[[noreturn]] void no_cuda_graphs() {
  throw ShimError(std::string("CUDA graphs need a CUDA build of the shim; this one was built against a "
                              "CPU-only libtorch ") +
                  TORCH_VERSION);
}
}  // namespace

extern "C" {

int32_t atg_supported(void) { return 0; }
atg_graph atg_new(char **err) { SHIM_GUARD(nullptr, { no_cuda_graphs(); }) }
void atg_stream_enter(atg_graph g, char **err) { SHIM_GUARD(, { no_cuda_graphs(); }) }
void atg_stream_exit(atg_graph g, char **err) { SHIM_GUARD(, { no_cuda_graphs(); }) }
void atg_capture_begin(atg_graph g, char **err) { SHIM_GUARD(, { no_cuda_graphs(); }) }
void atg_capture_end(atg_graph g, char **err) { SHIM_GUARD(, { no_cuda_graphs(); }) }
void atg_replay(atg_graph g, char **err) { SHIM_GUARD(, { no_cuda_graphs(); }) }
// No graph can exist in this build; freeing the NULL (or any) handle is a no-op.
void atg_free(atg_graph g) {}

}  // extern "C"
