// The index mapping of im2col/col2im along one axis, shared by the CPU and
// CUDA kernels (backends/cpu/conv.cpp, backends/cuda/conv_pool.cu), so that
// the CPU tests check the arithmetic every GPU kernel runs.
//
// Output position o at kernel tap t reads input position
// o * stride - pad + t * dilation (conv_input_pos). im2col runs that forward;
// the gather form of col2im (each input element sums the column entries read
// from it, without atomics) runs it backward: conv_output_pos gives, for an
// input position and a tap, the one output position that read it, if any.
#pragma once

#include <cstdint>

#include "core/pointwise.h"

namespace wick {

// ceil(a / b) for b > 0 and any sign of a.
WICK_HOST_DEVICE inline int64_t conv_div_ceil(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

// The input position that output position o reads at tap t (may be in the padding).
WICK_HOST_DEVICE inline int64_t conv_input_pos(int64_t o, int64_t t, int64_t stride, int64_t pad, int64_t dilation) {
  return o * stride - pad + t * dilation;
}

// The output position o < out with conv_input_pos(o, t, ...) == i, or -1 when none exists.
WICK_HOST_DEVICE inline int64_t conv_output_pos(int64_t i, int64_t t, int64_t stride, int64_t pad, int64_t dilation,
                                                int64_t out) {
  const int64_t s = i + pad - t * dilation;  // == o * stride
  if (s < 0 || s % stride != 0) return -1;
  const int64_t o = s / stride;
  return o < out ? o : -1;
}

// The output positions [lo, hi) at tap offset `offset` (t * dilation) whose
// input position o * stride - pad + offset lies inside [0, in).
struct ConvValidRange {
  int64_t lo, hi;
};
WICK_HOST_DEVICE inline int64_t conv_clamp(int64_t v, int64_t lo, int64_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}
WICK_HOST_DEVICE inline ConvValidRange conv_valid_range(int64_t offset, int64_t pad, int64_t stride, int64_t in,
                                                        int64_t out) {
  const int64_t lo = conv_clamp(conv_div_ceil(pad - offset, stride), 0, out);
  const int64_t hi = conv_clamp(conv_div_ceil(in + pad - offset, stride), lo, out);
  return {lo, hi};
}

}  // namespace wick
