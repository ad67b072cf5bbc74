// pt_guard.h — the checks an untrusted .pt file passes before libtorch's unpickler sees it, and
// its tensors after: torch::pickle_load trusts the file (an empty stack SIGSEGVs, deep nesting
// overflows the C++ stack, a tensor may point anywhere), where Python's torch.load checks bounds.
// Each check throws a ShimError naming the rule; serialize.cpp runs them behind SHIM_GUARD.
#ifndef PT_GUARD_H
#define PT_GUARD_H

#include "shim_internal.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace shim::pt {

/** The deepest nesting of containers a weights pickle may have (a state dict reaches 2: the
 *  tuple of _rebuild_tensor_v2's arguments holding the tuple of sizes). */
inline constexpr size_t kMaxPickleDepth = 100;
/** The largest data.pkl read: torch.save (1.13) pickles 1,000 tensors named layerN.weight in
 *  100,138 bytes, so this leaves room for over 600,000 tensors. */
inline constexpr uint64_t kMaxPickleBytes = 64ull << 20;

/**
 * The records of a zip archive (names without the archive's top folder) and their sizes, after
 * checking that every entry is stored uncompressed (torch.save compresses nothing), lies inside
 * the file and overlaps no other: the records' total is then at most the file's size.
 */
std::map<std::string, uint64_t> stored_records(const std::vector<char> &zip);

/**
 * Simulates a protocol-2 pickle's stack before libtorch's unpickler runs it: every opcode finds
 * the values it takes above the last MARK, memo indices are dense, no container is referenced
 * twice (so the values form a tree), nesting stays within kMaxPickleDepth, no integer is
 * negative (libtorch would quietly make a negative stride contiguous), and the only globals are
 * those of a state dict (torch._utils._rebuild_tensor_v2, collections.OrderedDict and the
 * torch.<dtype>Storage classes).
 */
void scan_pickle(const char *data, size_t size);

/**
 * Checks that tensor `name` lies inside the `record_bytes` bytes its storage record holds: a
 * strided CPU tensor, storage offset, sizes and strides >= 0, and its last element
 * (offset + sum (size_i - 1) * stride_i, overflow-checked) inside the record.
 */
void check_extent(const std::string &name, const at::Tensor &t, const std::string &record,
                  uint64_t record_bytes);

}  // namespace shim::pt

#endif  // PT_GUARD_H
