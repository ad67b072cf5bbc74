// googlenet_worker.cpp — the libtorch C++ baseline: the seed's GoogLeNet, Adam and randperm batch
// order written directly against libtorch's C++ API, served over the worker protocol v1 (one JSON
// object a line on stdin/stdout; src/bench/baselines/worker_protocol.ts declares the protocol):
//
//   googlenet_worker --serve --data DIR --device cpu|cuda --threads N --batch-size B --lr LR
//                    --seed S [--tf32]
//
// It is the same computation as baselines/pytorch_baseline.py on the same libtorch: the model built
// in the order of baselines/googlenet.py after torch::manual_seed(S) (so the same init
// draws), torch.optim.Adam's single-tensor update, the inputs normalised as (x/255-0.5)/0.5 in
// float32, batches sliced from torch.randperm(N) on a CPU generator of its own seeded with S, one
// permutation per epoch, the last partial batch kept. Every C++ exception becomes an
// {"error":...} line; a bad command is answered with one and the worker keeps serving.
#include <torch/torch.h>
#include <torch/version.h>
#ifdef TORCH_SHIM_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif
#include <zlib.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "json_line.h"

namespace {

// ------------------------------------------------------------------ options ----

struct Options {
  std::string data;
  std::string device = "cpu";
  int threads = 0;
  int64_t batch = 64;
  double lr = 1e-3;
  uint64_t seed = 0;
  bool tf32 = false;
};

double parse_number(const std::string &flag, const std::string &text) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception &) {
    used = 0;
  }
  if (used != text.size() || text.empty()) {
    throw std::runtime_error(flag + ": expected a number, found \"" + text + "\"");
  }
  return v;
}

int64_t parse_count(const std::string &flag, const std::string &text, int64_t min) {
  double v = parse_number(flag, text);
  if (v != std::floor(v) || v < static_cast<double>(min)) {
    throw std::runtime_error(flag + ": expected an integer >= " + std::to_string(min) + ", found " + text);
  }
  return static_cast<int64_t>(v);
}

Options parse_options(int argc, char **argv) {
  Options o;
  bool serve = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--serve") { serve = true; continue; }
    if (a == "--tf32") { o.tf32 = true; continue; }
    if (i + 1 >= argc) throw std::runtime_error(a + ": expected a value after it, found the end of the arguments");
    std::string v = argv[++i];
    if (a == "--data") o.data = v;
    else if (a == "--device") o.device = v;
    else if (a == "--threads") o.threads = static_cast<int>(parse_count(a, v, 0));
    else if (a == "--batch-size") o.batch = parse_count(a, v, 1);
    else if (a == "--lr") o.lr = parse_number(a, v);
    else if (a == "--seed") o.seed = static_cast<uint64_t>(parse_count(a, v, 0));
    else throw std::runtime_error("expected one of --serve --data --device --threads --batch-size --lr --seed --tf32, found " + a);
  }
  if (!serve) throw std::runtime_error("expected --serve (the worker protocol is the only mode), found none");
  if (o.data.empty()) throw std::runtime_error("expected --data DIR, found none");
  if (o.device != "cpu" && o.device != "cuda") throw std::runtime_error("--device: expected cpu or cuda, found " + o.device);
  return o;
}

// --------------------------------------------------------------------- data ----

// The bytes of DIR/name, or of DIR/name.gz inflated (zlib's gzread reads both).
std::vector<uint8_t> read_maybe_gz(const std::string &dir, const std::string &name) {
  for (const std::string &file : {dir + "/" + name, dir + "/" + name + ".gz"}) {
    if (!std::ifstream(file).good()) continue;
    gzFile f = gzopen(file.c_str(), "rb");
    if (f == nullptr) throw std::runtime_error(file + ": cannot open");
    std::vector<uint8_t> out;
    uint8_t buf[1 << 16];
    int n;
    while ((n = gzread(f, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
    gzclose(f);
    if (n < 0) throw std::runtime_error(file + ": read failed (corrupt gzip?)");
    return out;
  }
  throw std::runtime_error("expected " + name + " or " + name + ".gz in " + dir + ", found neither");
}

// An IDX file of unsigned bytes as a uint8 tensor of its shape.
torch::Tensor load_idx(const std::string &dir, const std::string &name) {
  std::vector<uint8_t> raw = read_maybe_gz(dir, name);
  if (raw.size() < 4 || raw[0] != 0 || raw[1] != 0) throw std::runtime_error(name + ": expected an IDX file, found another header");
  if (raw[2] != 0x08) throw std::runtime_error(name + ": expected IDX element type 0x08 (ubyte), found " + std::to_string(raw[2]));
  size_t ndim = raw[3], off = 4 + 4 * ndim;
  if (raw.size() < off) throw std::runtime_error(name + ": truncated header");
  std::vector<int64_t> dims;
  int64_t count = 1;
  for (size_t d = 0; d < ndim; d++) {
    const uint8_t *p = &raw[4 + 4 * d];
    dims.push_back((int64_t(p[0]) << 24) | (int64_t(p[1]) << 16) | (int64_t(p[2]) << 8) | int64_t(p[3]));
    count *= dims.back();
  }
  if (static_cast<int64_t>(raw.size() - off) < count) {
    throw std::runtime_error(name + ": expected " + std::to_string(count) + " elements, found " + std::to_string(raw.size() - off) + " bytes");
  }
  return torch::from_blob(raw.data() + off, dims, torch::kUInt8).clone();
}

struct TrainSet {
  torch::Tensor x, y;  // float32 [N,1,28,28] normalised, int64 [N]
};

TrainSet load_train(const Options &o, torch::Device device) {
  torch::Tensor x = load_idx(o.data, "train-images-idx3-ubyte");
  torch::Tensor y = load_idx(o.data, "train-labels-idx1-ubyte");
  if (x.dim() != 3 || y.dim() != 1 || x.size(0) != y.size(0)) {
    throw std::runtime_error("train: expected images [N,H,W] and labels [N], found " + std::to_string(x.dim()) + "-d images and " + std::to_string(y.size(0)) + " labels");
  }
  // ToTensor + Normalize((0.5,), (0.5,)), in float32 as PyTorch computes it.
  x = x.to(torch::kFloat32).div_(255.0).sub_(0.5).div_(0.5).unsqueeze(1).contiguous();
  return {x.to(device), y.to(torch::kInt64).to(device)};
}

// -------------------------------------------------------------------- model ----

// Inception module of baselines/googlenet.py (ReLU only inside branch2 and branch3).
struct InceptionImpl : torch::nn::Module {
  torch::nn::Conv2d b1{nullptr}, b2a{nullptr}, b2b{nullptr}, b3a{nullptr}, b3b{nullptr}, b4{nullptr};

  InceptionImpl(int64_t in, int64_t o1, int64_t r3, int64_t o3, int64_t r5, int64_t o5, int64_t pool) {
    using torch::nn::Conv2dOptions;
    b1 = register_module("branch1", torch::nn::Conv2d(Conv2dOptions(in, o1, 1)));
    b2a = register_module("branch2_0", torch::nn::Conv2d(Conv2dOptions(in, r3, 1)));
    b2b = register_module("branch2_2", torch::nn::Conv2d(Conv2dOptions(r3, o3, 3).padding(1)));
    b3a = register_module("branch3_0", torch::nn::Conv2d(Conv2dOptions(in, r5, 1)));
    b3b = register_module("branch3_2", torch::nn::Conv2d(Conv2dOptions(r5, o5, 5).padding(2)));
    b4 = register_module("branch4_1", torch::nn::Conv2d(Conv2dOptions(in, pool, 1)));
  }

  torch::Tensor forward(const torch::Tensor &x) {
    torch::Tensor y1 = b1(x);
    torch::Tensor y2 = b2b(b2a(x).relu_());
    torch::Tensor y3 = b3b(b3a(x).relu_());
    torch::Tensor y4 = b4(torch::max_pool2d(x, 3, 1, 1));
    return torch::cat({y1, y2, y3, y4}, 1);
  }
};
TORCH_MODULE(Inception);

torch::Tensor maxpool_s2(const torch::Tensor &x) { return torch::max_pool2d(x, 3, 2, 1); }

// The seed's GoogLeNet; modules are made in the reference's order, so the init draws match.
struct GoogLeNetImpl : torch::nn::Module {
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  std::vector<Inception> blocks;
  torch::nn::Linear fc{nullptr};

  GoogLeNetImpl() {
    using torch::nn::Conv2dOptions;
    conv1 = register_module("conv1", torch::nn::Conv2d(Conv2dOptions(1, 64, 7).stride(2).padding(3)));
    conv2 = register_module("conv2", torch::nn::Conv2d(Conv2dOptions(64, 64, 1)));
    conv3 = register_module("conv3", torch::nn::Conv2d(Conv2dOptions(64, 192, 3).padding(1)));
    const std::vector<std::pair<const char *, std::array<int64_t, 7>>> spec = {
        {"inception3a", {192, 64, 96, 128, 16, 32, 32}},    {"inception3b", {256, 128, 128, 192, 32, 96, 64}},
        {"inception4a", {480, 192, 96, 208, 16, 48, 64}},   {"inception4b", {512, 160, 112, 224, 24, 64, 64}},
        {"inception4c", {512, 128, 128, 256, 24, 64, 64}},  {"inception4d", {512, 112, 144, 288, 32, 64, 64}},
        {"inception4e", {528, 256, 160, 320, 32, 128, 128}}, {"inception5a", {832, 256, 160, 320, 32, 128, 128}},
        {"inception5b", {832, 384, 192, 384, 48, 128, 128}},
    };
    for (const auto &[name, c] : spec) {
      blocks.push_back(register_module(name, Inception(c[0], c[1], c[2], c[3], c[4], c[5], c[6])));
    }
    fc = register_module("fc", torch::nn::Linear(1024, 10));
  }

  torch::Tensor forward(torch::Tensor x) {
    x = maxpool_s2(conv1(x));
    x = maxpool_s2(conv3(conv2(x)));
    x = blocks[0](x);
    x = maxpool_s2(blocks[1](x));
    for (size_t i = 2; i <= 6; i++) x = blocks[i](x);
    x = maxpool_s2(x);
    x = blocks[8](blocks[7](x));
    x = torch::adaptive_avg_pool2d(x, {1, 1});
    x = x.view({x.size(0), -1});
    x = torch::dropout(x, 0.4, is_training());
    return fc(x);
  }
};
TORCH_MODULE(GoogLeNet);

// --------------------------------------------------------------------- Adam ----

// torch.optim.Adam's single-tensor update of the same release (betas 0.9/0.999, eps 1e-8, no
// weight decay): bias corrections on the host; from 2.0 the first moment by lerp_.
struct Adam {
  std::vector<torch::Tensor> params, m, v;
  double lr;
  int64_t step = 0;

  Adam(std::vector<torch::Tensor> ps, double lr_) : params(std::move(ps)), lr(lr_) {
    for (auto &p : params) {
      m.push_back(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      v.push_back(torch::zeros_like(p, torch::MemoryFormat::Preserve));
    }
  }

  void zero_grad() {
    for (auto &p : params) {
      if (p.grad().defined()) p.mutable_grad().zero_();
    }
  }

  void update() {
    torch::NoGradGuard no_grad;
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    step++;
    const double bc1 = 1 - std::pow(b1, static_cast<double>(step));
    const double bc2_sqrt = std::sqrt(1 - std::pow(b2, static_cast<double>(step)));
    for (size_t i = 0; i < params.size(); i++) {
      const torch::Tensor &g = params[i].grad();
      if (!g.defined()) continue;
#if TORCH_VERSION_MAJOR >= 2
      m[i].lerp_(g, 1 - b1);
#else
      m[i].mul_(b1).add_(g, 1 - b1);
#endif
      v[i].mul_(b2).addcmul_(g, g, 1 - b2);
      torch::Tensor denom = (v[i].sqrt() / bc2_sqrt).add_(eps);
      params[i].addcdiv_(m[i], denom, -(lr / bc1));
    }
  }
};

// ------------------------------------------------------------------ trainer ----

struct Trainer {
  torch::Device device;
  TrainSet data;
  int64_t batch;
  GoogLeNet model;
  Adam adam;
  torch::Generator order;
  torch::Tensor perm;
  int64_t next = 0;  // the next batch's start in perm

  Trainer(const Options &o, torch::Device dev, TrainSet set)
      : device(dev), data(std::move(set)), batch(o.batch), model(seeded_model(o.seed, dev)),
        adam(model->parameters(), o.lr), order(torch::make_generator<at::CPUGeneratorImpl>(o.seed)) {
    model->train();
  }

  static GoogLeNet seeded_model(uint64_t seed, torch::Device dev) {
    torch::manual_seed(seed);  // also seeds CUDA (dropout masks)
    GoogLeNet m;
    m->to(dev);
    return m;
  }

  void sync() const {
    if (device.is_cuda()) torch::cuda::synchronize();
  }

  // The next batch's indices: a slice of this epoch's permutation, a new one when it ends.
  torch::Tensor next_indices() {
    const int64_t n = data.x.size(0);
    if (!perm.defined() || next >= n) {
      perm = torch::randperm(n, order, torch::TensorOptions().dtype(torch::kInt64)).to(device);
      next = 0;
    }
    torch::Tensor idx = perm.slice(0, next, std::min(next + batch, n));
    next += batch;
    return idx;
  }

  // One training step (batch gather included, as the Python baseline times it); its loss.
  float step(const torch::Tensor &idx) {
    torch::Tensor x = data.x.index_select(0, idx);
    torch::Tensor y = data.y.index_select(0, idx);
    adam.zero_grad();
    torch::Tensor loss = torch::cross_entropy_loss(model->forward(x), y);
    loss.backward();
    adam.update();
    return loss.item<float>();
  }
};

// ---------------------------------------------------------------- protocol ----

std::string device_name(torch::Device device) {
#ifdef TORCH_SHIM_CUDA
  if (device.is_cuda()) return at::cuda::getCurrentDeviceProperties()->name;
#endif
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      size_t start = line.find_first_not_of(" \t", colon + 1);
      if (colon != std::string::npos && start != std::string::npos) return line.substr(start);
    }
  }
  return "unknown";
}

void reply(const std::string &line) {
  std::cout << line << '\n' << std::flush;
}

// An {"error":...} line with libtorch's message, without the C++ backtrace c10::Error appends.
std::string error_line(const std::exception &e) {
  const auto *c10_error = dynamic_cast<const c10::Error *>(&e);
  return "{\"error\":" + json_line::quote(c10_error ? c10_error->what_without_backtrace() : e.what()) + "}";
}

std::string run_steps(Trainer &t, int64_t k) {
  std::vector<double> ms, losses;
  for (int64_t i = 0; i < k; i++) {
    torch::Tensor idx = t.next_indices();
    t.sync();
    auto t0 = std::chrono::steady_clock::now();
    float loss = t.step(idx);
    t.sync();
    auto t1 = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    losses.push_back(static_cast<double>(loss));
  }
  return "{\"stepMs\":" + json_line::numbers(ms) + ",\"losses\":" + json_line::numbers(losses) + "}";
}

// The reply to one command line; throws on a bad command (the caller answers {"error":...}).
std::string answer(Trainer &t, const std::string &line, bool &quit) {
  json_line::Object cmd = json_line::parse_object(line);
  auto op = cmd.find("op");
  if (op == cmd.end() || !op->second.is_string) {
    throw std::runtime_error("expected {\"op\":\"steps\",\"n\":K} or {\"op\":\"quit\"}, found " + line);
  }
  if (op->second.text == "quit") {
    quit = true;
    return "{\"bye\":true}";
  }
  if (op->second.text != "steps") throw std::runtime_error("expected op \"steps\" or \"quit\", found \"" + op->second.text + "\"");
  auto n = cmd.find("n");
  if (n == cmd.end() || n->second.is_string || n->second.number < 1 || n->second.number != std::floor(n->second.number)) {
    throw std::runtime_error("steps: expected \"n\" an integer >= 1, found " + (n == cmd.end() ? std::string("none") : n->second.text));
  }
  return run_steps(t, static_cast<int64_t>(n->second.number));
}

void serve(Trainer &t) {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    bool quit = false;
    try {
      reply(answer(t, line, quit));
    } catch (const std::exception &e) {
      reply(error_line(e));
    }
    if (quit) return;
  }
}

int run(int argc, char **argv) {
  Options o = parse_options(argc, argv);
  torch::Device device(o.device == "cuda" ? torch::kCUDA : torch::kCPU);
  if (device.is_cuda() && !torch::cuda::is_available()) {
    throw std::runtime_error("--device cuda: expected a CUDA device, found none (torch::cuda::is_available() is false)");
  }
  if (o.threads > 0) torch::set_num_threads(o.threads);
  at::globalContext().setAllowTF32CuBLAS(o.tf32);
  at::globalContext().setAllowTF32CuDNN(o.tf32);
  Trainer trainer(o, device, load_train(o, device));
  reply(std::string("{\"ready\":true,\"implementation\":\"libtorch\",\"version\":") + json_line::quote(TORCH_VERSION) +
        ",\"deviceName\":" + json_line::quote(device_name(device)) + ",\"threads\":" + std::to_string(at::get_num_threads()) + "}");
  serve(trainer);
  return 0;
}

int main_guarded(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception &e) {
    reply(error_line(e));
  } catch (...) {
    reply("{\"error\":\"an unknown C++ exception\"}");
  }
  return 1;
}

}  // namespace

int main(int argc, char **argv) { return main_guarded(argc, argv); }
