// pt_guard.cpp — shim::pt: an untrusted .pt file's zip layout, pickle and tensor extents, checked
// around libtorch's unpickler (see pt_guard.h).
#include "pt_guard.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <set>

namespace shim::pt {
namespace {

// ---- zip ----

/** The little-endian integer of `width` bytes at `at`, or a ShimError when the file ends first. */
uint64_t le(const std::vector<char> &b, uint64_t at, unsigned width) {
  if (at > b.size() || b.size() - at < width)
    throw ShimError("zip: expected a " + std::to_string(width) + "-byte field at byte " + std::to_string(at) +
                    ", found the end of the " + std::to_string(b.size()) + "-byte file");
  uint64_t v = 0;
  for (unsigned i = width; i-- > 0;) v = (v << 8) | static_cast<uint8_t>(b[at + i]);
  return v;
}

struct Directory {
  uint64_t count, offset, size, end;  // entries, where the central directory starts, its size, what follows it
};

struct Entry {
  std::string name;
  uint64_t local, size;  // where its local header starts, its (stored) size
};

Directory zip64_directory(const std::vector<char> &b, uint64_t eocd) {
  if (eocd < 20 || le(b, eocd - 20, 4) != 0x07064b50)
    throw ShimError("zip: expected a zip64 locator before the end record, found none");
  uint64_t at = le(b, eocd - 12, 8);
  if (le(b, at, 4) != 0x06064b50) throw ShimError("zip: expected the zip64 end record at byte " + std::to_string(at));
  return {le(b, at + 32, 8), le(b, at + 48, 8), le(b, at + 40, 8), at};
}

Directory find_directory(const std::vector<char> &b) {
  if (b.size() >= 22) {
    uint64_t lowest = b.size() > 22 + 65535 ? b.size() - 22 - 65535 : 0;
    for (uint64_t at = b.size() - 22;; at--) {
      if (le(b, at, 4) == 0x06054b50) {
        Directory d{le(b, at + 10, 2), le(b, at + 16, 4), le(b, at + 12, 4), at};
        if (d.count == 0xffff || d.offset == 0xffffffff || d.size == 0xffffffff) return zip64_directory(b, at);
        return d;
      }
      if (at == lowest) break;
    }
  }
  throw ShimError("expected a zip archive (torch.save's format), found no end-of-central-directory record");
}

/** Replaces the 0xffffffff fields of a central entry by the 64-bit values of its zip64 extra field. */
void zip64_fields(const std::vector<char> &b, uint64_t at, uint64_t extra, uint64_t *fields[3]) {
  for (uint64_t end = at + extra; at + 4 <= end;) {
    uint64_t id = le(b, at, 2), size = le(b, at + 2, 2), p = at + 4;
    if (id == 1)
      for (int i = 0; i < 3; i++)
        if (*fields[i] == 0xffffffff && p + 8 <= at + 4 + size) *fields[i] = le(b, p, 8), p += 8;
    at += 4 + size;
  }
}

Entry central_entry(const std::vector<char> &b, uint64_t at, uint64_t *next) {
  if (le(b, at, 4) != 0x02014b50)
    throw ShimError("zip: expected a central directory entry at byte " + std::to_string(at));
  uint64_t flags = le(b, at + 8, 2), method = le(b, at + 10, 2), comp = le(b, at + 20, 4), plain = le(b, at + 24, 4);
  uint64_t n = le(b, at + 28, 2), extra = le(b, at + 30, 2), comment = le(b, at + 32, 2), local = le(b, at + 42, 4);
  le(b, at + 46, static_cast<unsigned>(n));
  std::string name(b.data() + at + 46, n);
  uint64_t *fields[3] = {&plain, &comp, &local};
  zip64_fields(b, at + 46 + n, extra, fields);
  if (method != 0 || (flags & 1) != 0)
    throw ShimError("zip: record " + name + " is compressed or encrypted (method " + std::to_string(method) +
                    "): expected stored records, as torch.save writes them");
  if (comp != plain)
    throw ShimError("zip: record " + name + " claims " + std::to_string(plain) + " bytes but stores " +
                    std::to_string(comp));
  *next = at + 46 + n + extra + comment;
  return {name, local, plain};
}

/** Checks that the records lie, in file order, between the start and the central directory. */
void check_layout(const std::vector<char> &b, std::vector<Entry> entries, const Directory &d) {
  std::sort(entries.begin(), entries.end(), [](const Entry &x, const Entry &y) { return x.local < y.local; });
  uint64_t free_from = 0;
  for (const Entry &e : entries) {
    if (e.local < free_from)
      throw ShimError("zip: record " + e.name + " overlaps the record before it (at byte " +
                      std::to_string(e.local) + "): expected records that share no bytes");
    if (le(b, e.local, 4) != 0x04034b50)
      throw ShimError("zip: expected the local header of " + e.name + " at byte " + std::to_string(e.local));
    uint64_t data = e.local + 30 + le(b, e.local + 26, 2) + le(b, e.local + 28, 2);
    if (data > d.offset || e.size > d.offset - data)
      throw ShimError("zip: record " + e.name + " (" + std::to_string(e.size) + " bytes at byte " +
                      std::to_string(data) + ") reaches past the central directory at byte " + std::to_string(d.offset));
    free_from = data + e.size;
  }
}

}  // namespace

std::map<std::string, uint64_t> stored_records(const std::vector<char> &zip) {
  Directory d = find_directory(zip);
  if (d.offset > d.end || d.size > d.end - d.offset || d.count > d.size / 46)
    throw ShimError("zip: a central directory of " + std::to_string(d.count) + " entries in " +
                    std::to_string(d.size) + " bytes at byte " + std::to_string(d.offset) + " does not fit the file");
  std::vector<Entry> entries;
  std::map<std::string, uint64_t> out;
  std::set<std::string> folded;  // miniz finds a record by its name in any case
  for (uint64_t i = 0, at = d.offset; i < d.count; i++) {
    entries.push_back(central_entry(zip, at, &at));
    const std::string &name = entries.back().name;
    size_t slash = name.find('/');
    if (slash == std::string::npos) throw ShimError("zip: record " + name + " is not inside the archive's folder");
    std::string lower = name.substr(slash + 1);
    for (char &c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!folded.insert(lower).second) throw ShimError("zip: record " + name + " appears twice (names ignore case)");
    out.emplace(name.substr(slash + 1), entries.back().size);
  }
  check_layout(zip, std::move(entries), d);
  return out;
}

// ---- pickle ----

namespace {

const char *op_name(uint8_t op) {
  switch (op) {
    case 0x52: return "REDUCE";
    case 0x4a: return "BININT";
    case 0x8a: return "LONG1";
    case 0x51: return "BINPERSID";
    case 0x74: return "TUPLE";
    case 0x85: return "TUPLE1";
    case 0x86: return "TUPLE2";
    case 0x87: return "TUPLE3";
    case 0x6c: return "LIST";
    case 0x64: return "DICT";
    case 0x65: return "APPENDS";
    case 0x75: return "SETITEMS";
    case 0x73: return "SETITEM";
    case 0x71: return "BINPUT";
    case 0x72: return "LONG_BINPUT";
    case 0x68: return "BINGET";
    case 0x6a: return "LONG_BINGET";
    case 0x2e: return "STOP";
    default: return "an opcode";
  }
}

bool allowed_global(const std::string &module, const std::string &name) {
  static const std::set<std::string> storages = {"FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage",
                                                 "LongStorage",  "IntStorage",    "ShortStorage", "CharStorage",
                                                 "ByteStorage",  "BoolStorage"};
  if (module == "torch._utils") return name == "_rebuild_tensor_v2";
  if (module == "collections") return name == "OrderedDict";
  return module == "torch" && storages.count(name) > 0;
}

/** A protocol-2 pickle run on a model of the unpickler's stack: each value's nesting depth. */
class PickleScan {
 public:
  PickleScan(const uint8_t *p, size_t n) : p_(p), n_(n) {}
  void run();

 private:
  const uint8_t *p_;
  size_t n_, at_ = 0, op_at_ = 0;
  uint8_t op_ = 0;
  std::vector<size_t> stack_, marks_, memo_;  // depths (0: a leaf), MARK positions, memoised depths

  [[noreturn]] void fail(const std::string &what) const {
    throw ShimError("data.pkl: " + std::string(op_name(op_)) + " (0x" + hex(op_) + ") at byte " +
                    std::to_string(op_at_) + ": " + what + " (a malformed or hostile pickle)");
  }
  static std::string hex(uint8_t v) {
    const char *digits = "0123456789abcdef";
    return std::string{digits[v >> 4], digits[v & 15]};
  }
  uint64_t arg(size_t width) {
    if (n_ - at_ < width) fail("expected " + std::to_string(width) + " more bytes, found the end of the pickle");
    uint64_t v = 0;
    for (size_t i = width; i-- > 0;) v = (v << 8) | p_[at_ + i];
    at_ += width;
    return v;
  }
  void skip(uint64_t n) {
    if (n > n_ - at_) fail("expected " + std::to_string(n) + " more bytes, found the end of the pickle");
    at_ += n;
  }
  std::string line() {
    const void *nl = std::memchr(p_ + at_, '\n', n_ - at_);
    if (nl == nullptr) fail("expected a line ending in \\n, found the end of the pickle");
    size_t len = static_cast<const uint8_t *>(nl) - (p_ + at_);
    std::string s(reinterpret_cast<const char *>(p_ + at_), len);
    at_ += len + 1;
    return s;
  }
  /** A signed little-endian integer of `width` bytes (BININT, LONG1), refused when negative. */
  void integer(uint64_t width) {
    size_t start = at_;
    skip(width);
    if (width == 0 || (p_[start + width - 1] & 0x80) == 0) return push(0);
    int64_t v = -1;
    for (size_t i = std::min<uint64_t>(width, 8); i-- > 0;) v = static_cast<int64_t>((static_cast<uint64_t>(v) << 8) | p_[start + i]);
    fail("a negative integer (" + (width <= 8 ? std::to_string(v) : std::to_string(width) + " bytes") +
         "): a state dict's storage sizes, offsets, sizes and strides are never negative");
  }
  void push(size_t depth) {
    if (depth > kMaxPickleDepth)
      fail("containers nested deeper than " + std::to_string(kMaxPickleDepth) + " levels");
    stack_.push_back(depth);
  }
  size_t pop(size_t k);
  size_t pop_mark(bool pairs);
  void fill(size_t depth);
  void global();
  void memo_put(uint64_t id);
  void memo_get(uint64_t id);
  bool leaf();
  void build();
  bool step();
};

/** Pops k values above the last MARK; the deepest of them. */
size_t PickleScan::pop(size_t k) {
  size_t floor = marks_.empty() ? 0 : marks_.back();
  if (stack_.size() - floor < k)
    fail("expected " + std::to_string(k) + " values on the stack above the last MARK, found " +
         std::to_string(stack_.size() - floor));
  size_t deepest = 0;
  for (size_t i = 0; i < k; i++) deepest = std::max(deepest, stack_.back()), stack_.pop_back();
  return deepest;
}

/** Pops the values above the last MARK (key-value pairs when `pairs`) and the MARK. */
size_t PickleScan::pop_mark(bool pairs) {
  if (marks_.empty()) fail("expected a MARK before it, found none");
  size_t count = stack_.size() - marks_.back();
  if (pairs && count % 2 != 0) fail("expected key-value pairs above the MARK, found " + std::to_string(count) + " values");
  size_t deepest = pop(count);
  marks_.pop_back();
  return deepest;
}

/** Puts values of nesting `depth` into the container on top of the stack (APPENDS, SETITEM(S)). */
void PickleScan::fill(size_t depth) {
  size_t floor = marks_.empty() ? 0 : marks_.back();
  if (stack_.size() <= floor) fail("expected a container to fill below the values, found none");
  if (depth + 1 > kMaxPickleDepth)
    fail("containers nested deeper than " + std::to_string(kMaxPickleDepth) + " levels");
  stack_.back() = std::max(stack_.back(), depth + 1);
}

void PickleScan::global() {
  std::string module = line(), name = line();
  if (!allowed_global(module, name))
    fail("global " + module + "." + name + " is not allowed: weights hold tensors only (expected "
         "torch._utils._rebuild_tensor_v2, collections.OrderedDict or a torch.<dtype>Storage)");
  push(0);
}

void PickleScan::memo_put(uint64_t id) {
  if (stack_.empty()) fail("expected a value on the stack to memoise, found none");
  if (id > memo_.size())
    fail("memo index " + std::to_string(id) + " skips past the " + std::to_string(memo_.size()) + " entries stored");
  if (id == memo_.size()) memo_.push_back(stack_.back());
  else memo_[id] = stack_.back();
}

void PickleScan::memo_get(uint64_t id) {
  if (id >= memo_.size())
    fail("memo index " + std::to_string(id) + " is past the " + std::to_string(memo_.size()) + " entries stored");
  if (memo_[id] > 0) fail("memo entry " + std::to_string(id) + " is a container: weights share no containers");
  push(0);
}

/** The opcodes that push one value read from their argument; false for any other. */
bool PickleScan::leaf() {
  switch (op_) {
    case 0x7d: case 0x5d: case 0x29: push(1); return true;  // EMPTY_DICT, EMPTY_LIST, EMPTY_TUPLE
    case 0x88: case 0x89: case 0x4e: push(0); return true;  // NEWTRUE, NEWFALSE, NONE
    case 0x4b: skip(1); push(0); return true;               // BININT1
    case 0x4d: skip(2); push(0); return true;               // BININT2
    case 0x4a: integer(4); return true;                     // BININT
    case 0x47: skip(8); push(0); return true;               // BINFLOAT
    case 0x8a: integer(arg(1)); return true;                // LONG1
    case 0x58: skip(arg(4)); push(0); return true;          // BINUNICODE
    default: return false;
  }
}

/** The opcodes that take values from the stack. */
void PickleScan::build() {
  switch (op_) {
    case 0x74: case 0x6c: push(1 + pop_mark(false)); return;  // TUPLE, LIST
    case 0x64: push(1 + pop_mark(true)); return;              // DICT
    case 0x85: case 0x86: case 0x87: push(1 + pop(op_ - 0x84)); return;  // TUPLE1..3
    case 0x65: fill(pop_mark(false)); return;                 // APPENDS
    case 0x75: fill(pop_mark(true)); return;                  // SETITEMS
    case 0x73: fill(pop(2)); return;                          // SETITEM
    case 0x52: pop(2); push(0); return;  // REDUCE: the allowed globals make a tensor or None
    case 0x51: pop(1); push(0); return;  // BINPERSID: a storage
    default: fail("unsupported opcode: expected one of those torch.save writes");
  }
}

/** Runs one opcode; false at STOP. */
bool PickleScan::step() {
  op_at_ = at_;
  op_ = 0;
  op_ = static_cast<uint8_t>(arg(1));
  switch (op_) {
    case 0x2e: return false;                              // STOP
    case 0x28: marks_.push_back(stack_.size()); return true;  // MARK
    case 0x63: global(); return true;                     // GLOBAL
    case 0x71: memo_put(arg(1)); return true;
    case 0x72: memo_put(arg(4)); return true;
    case 0x68: memo_get(arg(1)); return true;
    case 0x6a: memo_get(arg(4)); return true;
    default:
      if (!leaf()) build();
      return true;
  }
}

void PickleScan::run() {
  if (n_ < 2 || p_[0] != 0x80 || p_[1] != 2)
    throw ShimError("data.pkl: expected a protocol-2 pickle (torch.save's), found other bytes");
  at_ = 2;
  while (step()) {
  }
  if (stack_.size() != 1) fail("expected one value on the stack at STOP, found " + std::to_string(stack_.size()));
}

}  // namespace

void scan_pickle(const char *data, size_t size) { PickleScan(reinterpret_cast<const uint8_t *>(data), size).run(); }

// ---- tensors ----

namespace {
std::string dims(at::IntArrayRef v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); i++) s += (i > 0 ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}
}  // namespace

void check_extent(const std::string &name, const at::Tensor &t, const std::string &record, uint64_t record_bytes) {
  const std::string where = name + ": ";
  if (t.layout() != at::kStrided || t.is_quantized() || !t.device().is_cpu())
    throw ShimError(where + "expected a dense CPU tensor, found " + t.toString());
  uint64_t storage_bytes = t.storage().nbytes();
  std::string rec = record.empty() ? "no record" : "record " + record;
  if (storage_bytes > record_bytes)
    throw ShimError(where + "its storage claims " + std::to_string(storage_bytes) + " bytes, " + rec + " holds " +
                    std::to_string(record_bytes));
  int64_t last = t.storage_offset();
  if (last < 0) throw ShimError(where + "storage offset " + std::to_string(last) + " is negative");
  at::IntArrayRef size = t.sizes(), stride = t.strides();
  bool empty = false;
  for (size_t d = 0; d < size.size(); d++) {
    if (size[d] < 0 || stride[d] < 0)
      throw ShimError(where + "expected sizes and strides >= 0, found size " + dims(size) + ", stride " + dims(stride));
    empty = empty || size[d] == 0;
  }
  if (empty) return;
  const std::string layout =
      " (offset " + std::to_string(last) + ", size " + dims(size) + ", stride " + dims(stride) + ")";
  uint64_t end = 0;
  for (size_t d = 0; d < size.size(); d++) {
    int64_t step = 0;
    if (__builtin_mul_overflow(size[d] - 1, stride[d], &step) || __builtin_add_overflow(last, step, &last))
      throw ShimError(where + "its last element's index overflows int64" + layout);
  }
  if (__builtin_mul_overflow(static_cast<uint64_t>(last) + 1, static_cast<uint64_t>(t.element_size()), &end) ||
      end > storage_bytes)
    throw ShimError(where + "its last element (index " + std::to_string(last) + ") ends past the " +
                    std::to_string(storage_bytes) + " bytes of its storage (" + rec + ")" + layout);
}

}  // namespace shim::pt
