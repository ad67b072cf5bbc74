// branches.cpp — at_branches: the branches of a concat block (an Inception block) applied to one
// input and concatenated on the channel axis, one after another or concurrently on libtorch's
// inter-op pool. Autograd records each branch as it would eagerly, so backward is the same graph.
#include "shim_internal.h"

#include <ATen/Parallel.h>
#include <ATen/ThreadLocalState.h>

#include <exception>
#include <future>

using namespace shim;

namespace {

constexpr int64_t kOpWidth = 4;  // every op is [code, a, b, c]

struct Op {
  int64_t code, a, b, c;
  size_t weight;  // conv: index of its weight (its bias follows)
};

using Branch = std::vector<Op>;

// Splits the program into branches and checks every op and the weight count.
std::vector<Branch> parse_program(const int64_t *program, int64_t len, size_t weights) {
  if (len <= 0 || program == nullptr || len % kOpWidth != 0)
    throw ShimError("branches: expected a program of [code, a, b, c] ops, found " + std::to_string(len) +
                    " numbers");
  std::vector<Branch> out(1);
  size_t w = 0;
  for (int64_t i = 0; i < len; i += kOpWidth) {
    Op op{program[i], program[i + 1], program[i + 2], program[i + 3], w};
    if (op.code == 0) {
      if (out.back().empty()) throw ShimError("branches: expected ops in every branch, found an empty one");
      if (i + kOpWidth < len) out.emplace_back();
      continue;
    }
    if (op.code < 1 || op.code > 3)
      throw ShimError("branches: expected op codes 0 (end) 1 (conv) 2 (relu_) 3 (max_pool2d), found " +
                      std::to_string(op.code));
    if (op.code == 1) w += 2;
    out.back().push_back(op);
  }
  if (out.back().empty()) throw ShimError("branches: expected the program to end with code 0");
  if (w != weights)
    throw ShimError("branches: expected " + std::to_string(w) + " weights (weight and bias per conv), found " +
                    std::to_string(weights));
  return out;
}

at::Tensor run_branch(const at::Tensor &x, const Branch &ops, const std::vector<at::Tensor> &w) {
  at::Tensor h = x;
  for (const Op &op : ops) {
    if (op.code == 1) h = at::conv2d(h, w[op.weight], w[op.weight + 1], {op.a, op.a}, {op.b, op.b});
    else if (op.code == 2) h = at::relu_(h);
    else h = at::max_pool2d(h, {op.a, op.a}, {op.b, op.b}, {op.c, op.c});
  }
  return h;
}

// Branch 0 on the calling thread, the others on the inter-op pool, each with the caller's
// thread-local state (grad mode, autocast, ...); the first error is rethrown once all are done.
std::vector<at::Tensor> run_concurrently(const at::Tensor &x, const std::vector<Branch> &branches,
                                         const std::vector<at::Tensor> &w) {
  const size_t n = branches.size();
  std::vector<at::Tensor> outs(n);
  std::vector<std::exception_ptr> errors(n);
  std::vector<std::promise<void>> done(n);
  const at::ThreadLocalState state;
  auto task = [&](size_t i) {
    try {
      at::ThreadLocalStateGuard guard(state);
      outs[i] = run_branch(x, branches[i], w);
    } catch (...) {
      errors[i] = std::current_exception();
    }
    done[i].set_value();
  };
  for (size_t i = 1; i < n; i++) at::launch([&task, i] { task(i); });
  task(0);
  for (size_t i = 0; i < n; i++) done[i].get_future().wait();
  for (auto &e : errors)
    if (e) std::rethrow_exception(e);
  return outs;
}

}  // namespace

extern "C" {

at_tensor at_branches(at_tensor x, const int64_t *program, int64_t program_len, const at_tensor *weights,
                      int64_t n_weights, int32_t concurrent, char **err) {
  SHIM_GUARD(nullptr, {
    const at::Tensor &input = deref(x, "branches input");
    std::vector<at::Tensor> w = to_list(weights, n_weights, "branches weights");
    std::vector<Branch> branches = parse_program(program, program_len, w.size());
    std::vector<at::Tensor> outs;
    if (concurrent != 0 && branches.size() > 1) {
      outs = run_concurrently(input, branches, w);
    } else {
      for (const Branch &b : branches) outs.push_back(run_branch(input, b, w));
    }
    return wrap(at::cat(outs, 1));
  })
}

void atr_set_interop_threads(int32_t n, char **err) {
  SHIM_GUARD(, {
    if (n < 1) throw ShimError("set_interop_threads: expected n >= 1, found " + std::to_string(n));
    at::set_num_interop_threads(n);
  })
}

int32_t atr_get_interop_threads(char **err) { SHIM_GUARD(-1, { return at::get_num_interop_threads(); }) }

}  // extern "C"
