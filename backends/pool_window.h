// The windows of 2-D pooling along one axis, shared by the CPU and CUDA
// kernels (backends/cpu/pool.cpp, backends/cuda/conv_pool.cu), so that the
// CPU tests check the window arithmetic every GPU kernel runs.
//
// The forward maps an output position to its window; the gather form of the
// backward (each input element sums the gradients of the windows holding it,
// without atomics) maps an input position to the output positions whose
// windows hold it: pool_windows_holding is the exact inverse of pool_span
// (tests/cpp/test_conv.cpp checks it against pool_span by brute force).
#pragma once

#include <cstdint>

#include "core/dispatch.h"
#include "core/pointwise.h"

namespace wick {

// One axis of a window: its in-bounds [begin, end) and, for averages, the
// divisor's share along this axis.
struct PoolSpan {
  int64_t begin, end, padded;  // padded: the window length counting padding (clipped to input + pad)
};

// ceil(a / b) for b > 0 and any sign of a.
WICK_HOST_DEVICE inline int64_t pool_div_ceil(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

// The window of output position o along an axis of `in` inputs and `out` outputs.
// Max: from the first in-bounds position of o * stride - pad + t * dilation
// (t < kernel) to the last one's end, stepping by the dilation; Avg: the
// kernel clipped to the input; AdaptiveAvg: [floor(o in / out), ceil((o + 1) in / out)).
WICK_HOST_DEVICE inline PoolSpan pool_span(PoolOp op, int64_t in, int64_t out, int64_t o, int64_t kernel,
                                           int64_t stride, int64_t pad, int64_t dilation) {
  if (op == PoolOp::AdaptiveAvg) {
    const int64_t b = (o * in) / out, e = ((o + 1) * in + out - 1) / out;
    return {b, e, e - b};
  }
  const int64_t start = o * stride - pad;
  if (op == PoolOp::Max) {
    const int64_t e = start + (kernel - 1) * dilation + 1 < in ? start + (kernel - 1) * dilation + 1 : in;
    // The first tap at or past 0: start + ceil(-start / dilation) * dilation.
    const int64_t b = start < 0 ? start + pool_div_ceil(-start, dilation) * dilation : start;
    return {b, e, 0};
  }
  const int64_t e = start + kernel < in + pad ? start + kernel : in + pad;
  return {start > 0 ? start : 0, e < in ? e : in, e - start};
}

// What an average window's sum is divided by.
WICK_HOST_DEVICE inline int64_t pool_divisor(PoolOp op, const PoolArgs& a, const PoolSpan& h, const PoolSpan& w) {
  if (op == PoolOp::AdaptiveAvg) return h.padded * w.padded;
  if (a.divisor_override > 0) return a.divisor_override;
  if (a.count_include_pad) return h.padded * w.padded;
  return (h.end - h.begin) * (w.end - w.begin);
}

// The output positions [begin, end) along an axis whose Avg or AdaptiveAvg
// window holds input position i (0 <= i < in); an empty range when none does.
// Avg: o * stride - pad <= i < o * stride - pad + kernel (the clip to
// in + pad never cuts off an input position). AdaptiveAvg:
// floor(o in / out) <= i  <=>  o < (i + 1) out / in, and
// ceil((o + 1) in / out) > i  <=>  o >= floor(i out / in).
struct PoolRange {
  int64_t begin, end;
};
WICK_HOST_DEVICE inline PoolRange pool_windows_holding(PoolOp op, int64_t i, int64_t in, int64_t out, int64_t kernel,
                                                       int64_t stride, int64_t pad) {
  int64_t b, e;
  if (op == PoolOp::AdaptiveAvg) {
    b = (i * out) / in;
    e = pool_div_ceil((i + 1) * out, in);
  } else {
    b = pool_div_ceil(i + pad - kernel + 1, stride);
    e = (i + pad) / stride + 1;  // i + pad >= 0
  }
  b = b > 0 ? b : 0;
  e = e < out ? e : out;
  return {b, e > b ? e : b};
}

}  // namespace wick
