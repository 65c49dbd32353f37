// Memory overlap between tensors, for the ops that write into one
// (Note [Overlapping in-place writes]).
#pragma once

#include "core/tensor.h"

namespace wick {

// Note [Overlapping in-place writes]
// An in-place op (add_, copy_, exp_, scatter_...) reads and writes the same
// memory element by element. That is only well defined when
//   - no two elements of the written-to tensor share a memory location (an
//     expanded tensor, stride 0 over a size > 1, would have one location
//     updated once per element that refers to it: [[1, 2]].expand(3, 2).mul_(2)
//     would multiply by 8), and
//   - each input either is the written-to tensor element for element (a.add_(a))
//     or shares none of its memory (a[1:].add_(a[:-1]) would read values the
//     same op has already overwritten, in an order the kernel chooses).
// As in PyTorch (ATen/MemoryOverlap.h), both are decided cheaply and
// conservatively: a layout that is a permutation of a contiguous one is known
// not to overlap itself, one with a stride-0 dim of size > 1 is known to, and
// anything else is "too hard" and allowed. Two dense tensors over one storage
// overlap fully when they cover the same bytes with the same strides,
// partially when their byte ranges intersect otherwise; anything not dense is
// too hard. The in-place ops refuse a known self-overlap and a known partial
// overlap with PyTorch's messages (check_inplace in autograd/function.h runs
// both); a "too hard" input that shares memory with the output is read from a
// copy (binary_forward), which gives the value of the op on the inputs as they
// were before the write. fill_, zero_ and masked_fill_ write one value per
// location, so PyTorch allows them on expanded tensors, and so does wick.
enum class MemOverlap { No, Yes, TooHard };
enum class MemOverlapStatus { Full, Partial, No, TooHard };

// True when the elements are laid out as a permutation of a contiguous tensor
// (every location is referred to once and the locations fill a block).
bool is_non_overlapping_and_dense(const Tensor& t);
// Whether two elements of `t` refer to one memory location.
MemOverlap has_internal_overlap(const Tensor& t);
// How the memory of `a` and `b` overlaps.
MemOverlapStatus get_overlap_status(const Tensor& a, const Tensor& b);

// RuntimeError when `t` has internal overlap (MemOverlap::Yes); `op` names the op.
void assert_no_internal_overlap(const Tensor& t, const char* op);
// RuntimeError when `out` and `in` overlap partially.
void assert_no_partial_overlap(const Tensor& out, const Tensor& in, const char* op);
// RuntimeError when `out` and `in` overlap at all (fully or partially): for ops
// such as scatter_ whose inputs are not read element for element with the output.
void assert_no_overlap(const Tensor& out, const Tensor& in, const char* op);

}  // namespace wick
