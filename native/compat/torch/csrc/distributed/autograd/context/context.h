// compat/…/context.h — stands in for the dist-autograd header that c10d/reducer.hpp includes and
// Debian's libtorch-dev 1.13 does not ship. reducer.hpp only names two facts of it: the type of
// the context pointer it holds (a shared_ptr: its layout does not depend on the class) and the
// gradient-callback type it static_asserts against. Wheels ship the real header, which wins: this
// folder is searched after libtorch's own (native/CMakeLists.txt).
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>

namespace torch {
namespace distributed {
namespace autograd {

class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor &)>;
};
using ContextPtr = std::shared_ptr<DistAutogradContext>;

}  // namespace autograd
}  // namespace distributed
}  // namespace torch
