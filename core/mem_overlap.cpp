#include "core/mem_overlap.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace wick {

bool is_non_overlapping_and_dense(const Tensor& t) {
  if (t.is_contiguous()) return true;
  const IntArrayRef sizes = t.sizes(), strides = t.strides();
  const size_t n = sizes.size();
  if (n == 1) return sizes[0] < 2 || strides[0] == 1;
  // Dims by increasing stride (dims of size 0 or 1 last: their stride does not matter),
  // then each stride must be the product of the sizes before it.
  SmallVector<int64_t, 6> perm(n);
  std::iota(perm.begin(), perm.end(), int64_t{0});
  std::sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
    if (sizes[a] < 2) return false;
    if (sizes[b] < 2) return true;
    return strides[a] < strides[b];
  });
  int64_t require = 1;
  for (const int64_t d : perm) {
    if (sizes[d] == 1) continue;
    if (strides[d] != require) return false;
    require *= sizes[d];
  }
  return true;
}

MemOverlap has_internal_overlap(const Tensor& t) {
  if (is_non_overlapping_and_dense(t)) return MemOverlap::No;
  for (int64_t d = 0; d < t.dim(); ++d)
    if (t.strides()[d] == 0 && t.sizes()[d] > 1) return MemOverlap::Yes;
  return MemOverlap::TooHard;
}

MemOverlapStatus get_overlap_status(const Tensor& a, const Tensor& b) {
  if (a.is_same(b)) return MemOverlapStatus::Full;
  if (a.numel() == 0 || b.numel() == 0) return MemOverlapStatus::No;
  if (!is_non_overlapping_and_dense(a) || !is_non_overlapping_and_dense(b)) return MemOverlapStatus::TooHard;
  if (a.impl()->storage() != b.impl()->storage()) return MemOverlapStatus::No;
  const char* a_begin = static_cast<const char*>(a.raw_data());
  const char* a_end = a_begin + a.nbytes();
  const char* b_begin = static_cast<const char*>(b.raw_data());
  const char* b_end = b_begin + b.nbytes();
  if (a_begin == b_begin && a_end == b_end)
    return a.strides() == b.strides() ? MemOverlapStatus::Full : MemOverlapStatus::Partial;
  if (a_begin < b_end && b_begin < a_end) return MemOverlapStatus::Partial;
  return MemOverlapStatus::No;
}

void assert_no_internal_overlap(const Tensor& t, const char* op) {
  WICK_CHECK(has_internal_overlap(t) != MemOverlap::Yes, Error, op,
             ": unsupported operation: more than one element of the written-to tensor refers to a single memory "
             "location. Please clone() the tensor before performing the operation. (The written-to tensor has "
             "shape ", t.sizes(), " and strides ", t.strides(), ".)");
}

namespace {
[[noreturn]] void throw_overlap(const Tensor& out, const Tensor& in, const char* op) {
  WICK_THROW(Error, op,
             ": unsupported operation: some elements of the input tensor and the written-to tensor refer to a "
             "single memory location. Please clone() the tensor before performing the operation. (The written-to "
             "tensor has shape ", out.sizes(), ", strides ", out.strides(), " and offset ", out.storage_offset(),
             "; the input shape ", in.sizes(), ", strides ", in.strides(), " and offset ", in.storage_offset(), ".)");
}
}  // namespace

void assert_no_partial_overlap(const Tensor& out, const Tensor& in, const char* op) {
  if (get_overlap_status(out, in) == MemOverlapStatus::Partial) throw_overlap(out, in, op);
}

void assert_no_overlap(const Tensor& out, const Tensor& in, const char* op) {
  const MemOverlapStatus lap = get_overlap_status(out, in);
  if (lap == MemOverlapStatus::Partial || lap == MemOverlapStatus::Full) throw_overlap(out, in, op);
}

}  // namespace wick
