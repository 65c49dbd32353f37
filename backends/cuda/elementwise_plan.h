// How an elementwise CUDA kernel walks its operands: the shared shape with
// mergeable dims merged, and each operand's byte strides. Built on the host
// from tensors of one shape (inputs may be stride-0 broadcasts), passed to the
// kernel by value. Plain C++, so that the layout logic is tested on machines
// without a GPU (tests/cpp/test_cuda.cpp).
#pragma once

#include <array>
#include <cstdint>

#include "core/tensor.h"

namespace wick::cuda {

constexpr int kMaxDims = 25;  // after merging, as PyTorch's MAX_DIMS

template <int N>
struct ElementwisePlan {
  int ndim = 1;
  int64_t sizes[kMaxDims] = {};       // innermost dim first
  int64_t strides[N][kMaxDims] = {};  // bytes, per operand

  // The byte offsets of row-major element i in each operand. constexpr makes
  // it a device function too (nvcc --expt-relaxed-constexpr).
  constexpr void offsets(int64_t i, int64_t (&off)[N]) const {
    if (ndim == 1) {  // contiguous, a broadcast scalar, or a 1-D stepped view
      for (int k = 0; k < N; ++k) off[k] = i * strides[k][0];
      return;
    }
    for (int k = 0; k < N; ++k) off[k] = 0;
    for (int d = 0; d < ndim; ++d) {
      const int64_t next = i / sizes[d];
      const int64_t idx = i - next * sizes[d];
      i = next;
      for (int k = 0; k < N; ++k) off[k] += idx * strides[k][d];
    }
  }
};

// The plan for operands of one shape (ts[0]'s). Dims of size 1 are dropped and
// a dim merges into the next inner one when every operand steps through both
// as one, so contiguous and broadcast-scalar operands become one linear dim.
template <int N>
ElementwisePlan<N> make_plan(const std::array<const Tensor*, N>& ts, const char* op) {
  const IntArrayRef shape = ts[0]->sizes();
  for (int k = 1; k < N; ++k)
    WICK_CHECK(ts[k]->sizes() == shape, ValueError, op, ": CUDA kernel operands must share one shape, got ", shape,
               " and ", ts[k]->sizes());
  ElementwisePlan<N> plan;
  auto byte_stride = [&](int k, int64_t d) {
    return ts[k]->strides()[static_cast<size_t>(d)] * static_cast<int64_t>(ts[k]->element_size());
  };
  int n = 0;  // dims placed so far
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    const int64_t size = shape[static_cast<size_t>(d)];
    if (size == 1) continue;
    bool merges = n > 0;
    for (int k = 0; k < N && merges; ++k) merges = byte_stride(k, d) == plan.strides[k][n - 1] * plan.sizes[n - 1];
    if (merges) {
      plan.sizes[n - 1] *= size;
      continue;
    }
    WICK_CHECK(n < kMaxDims, NotImplementedError, op, ": CUDA kernels take at most ", kMaxDims,
               " dimensions that cannot be merged, got a tensor of shape ", shape, " and strides ", ts[0]->strides());
    plan.sizes[n] = size;
    for (int k = 0; k < N; ++k) plan.strides[k][n] = byte_stride(k, d);
    ++n;
  }
  if (n == 0) {  // one element
    plan.sizes[0] = 1;
    n = 1;
  }
  plan.ndim = n;
  return plan;
}

}  // namespace wick::cuda
