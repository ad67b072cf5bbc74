// profile.cpp — atr_profile_*: libtorch's own profiler around a stretch of calls, written as a
// chrome://tracing JSON file (`deno task bench --profile FILE`). libtorch 1.13's C++ API offers
// the legacy profiler's RecordProfile for this (torch/csrc/autograd/profiler_legacy.h): it
// records every op on the calling thread while it lives and writes the trace when it ends.
#include "shim_internal.h"

#include <torch/csrc/autograd/profiler_legacy.h>

#include <fstream>
#include <memory>

using namespace shim;

namespace {

struct Session {
  std::ofstream file;
  std::unique_ptr<torch::autograd::profiler::RecordProfile> record;
};

std::unique_ptr<Session> g_session;

}  // namespace

extern "C" {

void atr_profile_start(const char *path, char **err) {
  SHIM_GUARD(, {
    if (path == nullptr) throw ShimError("atr_profile_start: expected a file path, found NULL");
    if (g_session) throw ShimError("atr_profile_start: expected no profile running, found one");
    auto s = std::make_unique<Session>();
    s->file.open(path);
    if (!s->file) throw ShimError(std::string("atr_profile_start: cannot open ") + path + " for writing");
    s->record = std::make_unique<torch::autograd::profiler::RecordProfile>(s->file);
    g_session = std::move(s);
  })
}

void atr_profile_stop(char **err) {
  SHIM_GUARD(, {
    if (!g_session) throw ShimError("atr_profile_stop: expected a running profile, found none");
    std::unique_ptr<Session> s = std::move(g_session);
    s->record.reset();  // disables the profiler and writes the trace
    s->file.close();
    if (s->file.fail()) throw ShimError("atr_profile_stop: writing the trace failed");
  })
}

}  // extern "C"
