// serialize.cpp — ats_*: torch.save-compatible dicts of tensors; atr_* generator state.
#include "pt_guard.h"
#include "shim_internal.h"

#include <ATen/CPUGeneratorImpl.h>
#include <caffe2/serialize/in_memory_adapter.h>
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/import_read.h>
#include <torch/csrc/jit/serialization/pickler.h>
#include <torch/csrc/jit/serialization/storage_context.h>
#include <torch/serialize.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>

using namespace shim;

struct ats_dict_s {
  std::vector<std::string> names;
  std::vector<at::Tensor> tensors;
};

namespace {
// torch.save's zip container with an untagged pickle. torch::pickle_save tags typed containers
// with torch.jit._pickle.restore_type_tag, a global that torch.load's weights_only mode (the
// default from PyTorch 2.6) refuses; without the tag the dict loads as a plain dict, as
// torch.load(path) with its defaults reads it.
std::vector<char> pickle_untagged(const c10::IValue &value) {
  std::vector<char> pickle;
  torch::jit::Pickler pickler([&](const char *buf, size_t size) { pickle.insert(pickle.end(), buf, buf + size); },
                              /*tensor_table=*/nullptr, /*type_renamer=*/nullptr, /*memoized_class_types=*/nullptr,
                              /*get_tensor_id=*/nullptr, /*tag_aggregates=*/false);
  pickler.protocol();
  pickler.pushIValue(value);
  pickler.stop();
  std::vector<char> bytes;
  caffe2::serialize::PyTorchStreamWriter writer([&](const void *data, size_t size) -> size_t {
    const char *p = static_cast<const char *>(data);
    bytes.insert(bytes.end(), p, p + size);
    return size;
  });
  torch::jit::writeArchiveAndTensors("data", pickle.data(), pickle.size(), pickler.tensorData(), writer);
  writer.writeEndOfFile();
  return bytes;
}

std::vector<char> read_file(const char *path) {
  std::FILE *f = std::fopen(path, "rb");
  if (f == nullptr) throw ShimError(std::string("load_pt: cannot open ") + path + ": " + std::strerror(errno));
  struct stat st {};
  bool regular = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
  std::vector<char> bytes(regular ? static_cast<size_t>(st.st_size) : 0);
  size_t got = regular ? std::fread(bytes.data(), 1, bytes.size(), f) : 0;
  std::fclose(f);
  if (!regular) throw ShimError(std::string("load_pt: expected a regular file, found another kind at ") + path);
  if (got != bytes.size()) throw ShimError(std::string("load_pt: cannot read ") + path);
  return bytes;
}

/** An unpickled .pt file and, for each storage read from a record, that record's name and size. */
struct Unpickled {
  c10::IValue value;
  std::map<const c10::StorageImpl *, std::pair<std::string, uint64_t>> records;
};

// torch::pickle_load with pt_guard.h's checks before it: the zip's layout and the pickle. Tensors
// land on the CPU whatever location the file names, and each record is read once (the storage
// context shares a storage among the tensors that name it), so the file's size bounds the memory.
Unpickled unpickle_checked(const std::vector<char> &bytes) {
  std::map<std::string, uint64_t> records = pt::stored_records(bytes);
  auto pickle = records.find("data.pkl");
  if (pickle == records.end()) throw ShimError("expected a data.pkl record (torch.save's format), found none");
  if (pickle->second > pt::kMaxPickleBytes)
    throw ShimError("data.pkl holds " + std::to_string(pickle->second) + " bytes, more than the " +
                    std::to_string(pt::kMaxPickleBytes) + " a weights pickle may have");
  caffe2::serialize::PyTorchStreamReader reader(
      std::make_shared<caffe2::serialize::MemoryReadAdapter>(bytes.data(), static_cast<off_t>(bytes.size())));
  {
    auto record = reader.getRecord("data.pkl");
    pt::scan_pickle(static_cast<const char *>(std::get<0>(record).get()), std::get<1>(record));
  }
  auto context = std::make_shared<torch::jit::DeserializationStorageContext>();
  Unpickled out;
  out.value = torch::jit::readArchiveAndTensors("data", "", "", {}, {}, at::Device(at::kCPU), reader,
                                                torch::jit::Unpickler::defaultTypeParser, context);
  for (const auto &[name, size] : records)
    if (name.rfind("data/", 0) == 0 && context->hasStorage(name.substr(5)))
      out.records[context->getStorage(name.substr(5)).unsafeGetStorageImpl()] = {name, size};
  return out;
}
}  // namespace

extern "C" {

void ats_save_pt(const char *path, const char *const *names, const at_tensor *tensors, int64_t n,
                 char **err) {
  SHIM_GUARD(, {
    if (path == nullptr) throw ShimError("save_pt: expected a path, found NULL");
    if (n > 0 && names == nullptr) throw ShimError("save_pt: expected a names pointer, found NULL");
    auto list = to_list(tensors, n, "save_pt");
    c10::Dict<std::string, at::Tensor> dict;
    for (int64_t i = 0; i < n; i++) {
      if (names[i] == nullptr) throw ShimError("save_pt: expected a name, found NULL at " + std::to_string(i));
      dict.insert(names[i], list[i].detach().to(at::kCPU).contiguous());
    }
    std::vector<char> bytes = pickle_untagged(c10::IValue(dict));
    std::FILE *f = std::fopen(path, "wb");
    if (f == nullptr) throw ShimError(std::string("save_pt: cannot open ") + path + " for writing: " + std::strerror(errno));
    size_t wrote = std::fwrite(bytes.data(), 1, bytes.size(), f);
    int closed = std::fclose(f);
    if (wrote != bytes.size() || closed != 0) throw ShimError(std::string("save_pt: short write to ") + path);
  })
}

ats_dict ats_load_pt(const char *path, char **err) {
  SHIM_GUARD(nullptr, {
    if (path == nullptr) throw ShimError("load_pt: expected a path, found NULL");
    std::vector<char> bytes = read_file(path);
    const std::string hint = std::string("load_pt: expected a plain dict[str, Tensor] in ") + path +
                             " (save an OrderedDict state_dict as torch.save(dict(model.state_dict()), path))";
    Unpickled u;
    try {
      u = unpickle_checked(bytes);
    } catch (const c10::Error &e) {
      std::string msg = torch_message(e);
      if (msg.find("GenericDict") != std::string::npos) throw ShimError(hint + ": " + msg);
      throw ShimError(std::string("load_pt: ") + path + ": " + msg);
    } catch (const ShimError &e) {
      throw ShimError(std::string("load_pt: ") + path + ": " + e.what());
    }
    if (!u.value.isGenericDict()) throw ShimError(hint + ", found " + u.value.tagKind());
    auto d = std::make_unique<ats_dict_s>();
    try {
      for (const auto &item : u.value.toGenericDict()) {
        if (!item.key().isString() || !item.value().isTensor()) throw ShimError(hint + ", found a non str -> Tensor entry");
        const at::Tensor &t = item.value().toTensor();
        auto record = u.records.find(t.storage().unsafeGetStorageImpl());
        bool known = record != u.records.end();
        pt::check_extent(item.key().toStringRef(), t, known ? record->second.first : "", known ? record->second.second : 0);
        d->names.push_back(item.key().toStringRef());
        d->tensors.push_back(t);
      }
    } catch (const c10::Error &e) {
      throw ShimError(hint + ": " + torch_message(e));
    } catch (const ShimError &e) {
      if (std::string(e.what()).rfind(hint, 0) == 0) throw;
      throw ShimError(std::string("load_pt: ") + path + ": " + e.what());
    }
    return d.release();
  })
}

int64_t ats_dict_size(ats_dict d, char **err) {
  SHIM_GUARD(-1, {
    if (d == nullptr) throw ShimError("dict_size: expected a dict handle, found NULL");
    return static_cast<int64_t>(d->names.size());
  })
}

const char *ats_dict_name(ats_dict d, int64_t i, char **err) {
  SHIM_GUARD(nullptr, {
    if (d == nullptr) throw ShimError("dict_name: expected a dict handle, found NULL");
    if (i < 0 || i >= static_cast<int64_t>(d->names.size())) throw ShimError("dict_name: index out of range: " + std::to_string(i));
    return d->names[static_cast<size_t>(i)].c_str();
  })
}

at_tensor ats_dict_tensor(ats_dict d, int64_t i, char **err) {
  SHIM_GUARD(nullptr, {
    if (d == nullptr) throw ShimError("dict_tensor: expected a dict handle, found NULL");
    if (i < 0 || i >= static_cast<int64_t>(d->tensors.size())) throw ShimError("dict_tensor: index out of range: " + std::to_string(i));
    return wrap(d->tensors[static_cast<size_t>(i)]);
  })
}

void ats_dict_free(ats_dict d) { delete d; }

at_tensor atr_rng_state(char **err) {
  SHIM_GUARD(nullptr, {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    return wrap(gen.get_state());
  })
}

void atr_set_rng_state(at_tensor state, char **err) {
  SHIM_GUARD(, {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(deref(state, "set_rng_state"));
  })
}

}  // extern "C"
