// Per-element math of the indexing, nll_loss, resample and arange kernels,
// shared by the CPU backend and the CUDA kernels (WICK_HOST_DEVICE), so the
// CPU tests check the arithmetic the GPU runs. Only the loops differ: the CPU
// walks rows, a GPU thread takes one element.
#pragma once

#include <cstdint>
#include <type_traits>

#include "core/dispatch.h"
#include "core/pointwise.h"

namespace wick::kernels {

// The rule every index kernel applies to an index value: it must lie in
// [0, size). Negative values are not wrapped (the ops layer passes them as
// they are, and PyTorch's gather/scatter/index_select reject them too). One
// unsigned comparison covers both ends.
WICK_HOST_DEVICE inline bool index_in_bounds(int64_t index, int64_t size) {
  return static_cast<uint64_t>(index) < static_cast<uint64_t>(size);
}

// What a scatter leaves at a target that held `dst` when `v` arrives: v
// (None), dst + v (Add; "or" for bool) or dst * v (Multiply; "and" for bool),
// in T's own arithmetic (uint8 wraps).
template <ScatterReduce reduce, typename T>
WICK_HOST_DEVICE inline T scatter_combine(T dst, T v) {
  if constexpr (reduce == ScatterReduce::None) return v;
  else if constexpr (reduce == ScatterReduce::Add && std::is_same_v<T, bool>) return dst || v;
  else if constexpr (reduce == ScatterReduce::Add) return static_cast<T>(dst + v);
  else if constexpr (std::is_same_v<T, bool>) return dst && v;
  else return static_cast<T>(dst * v);
}

// nll_loss: the loss term of one position whose target has weight wt and
// whose input at the target class is x, and its gradient for the incoming
// gradient g and the reduction's scale (1, or 1 / total_weight for a mean).
template <typename T>
WICK_HOST_DEVICE inline T nll_term(T wt, T x) {
  return -wt * x;
}
template <typename T>
WICK_HOST_DEVICE inline T nll_grad_term(T wt, T g, T scale) {
  return -wt * g * scale;
}

// resample, along the innermost resampled dim: sum_k wk[o * Taps + k] *
// s[index[o * Taps + k]], accumulated in k order from 0.
template <int Taps, typename T>
WICK_HOST_DEVICE inline T resample_taps(const T* s, const int64_t* index, const T* wk, int64_t o) {
  T v = 0;
  for (int k = 0; k < Taps; ++k) v += wk[o * Taps + k] * s[index[o * Taps + k]];
  return v;
}
// The forward combines the rows of the outer resampled dims (weight wr each,
// r counting from 0) as acc = wr * v for r = 0, else acc + wr * v; the
// backward adds this to each input position a tap of weight wk read from:
template <typename T>
WICK_HOST_DEVICE inline T resample_grad_term(T wr, T wk, T g) {
  return wr * (wk * g);
}

// arange's element i. On the GPU the product and the sum are rounded
// separately (nvcc would fuse them into an fma, which g++ without -mfma
// does not), so both backends produce the same bits. A uint8 value goes
// through int64 and wraps (arange(-2, 2, dtype=uint8) is 254, 255, 0, 1, as
// in PyTorch): a direct cast of a negative double is undefined, and a GPU
// saturates it to 0 where x86 wraps.
template <typename T>
WICK_HOST_DEVICE inline T arange_value(double start, double step, int64_t i) {
#ifdef __CUDA_ARCH__
  const double v = __dadd_rn(start, __dmul_rn(static_cast<double>(i), step));
#else
  const double v = start + static_cast<double>(i) * step;
#endif
  if constexpr (std::is_same_v<T, uint8_t>) return static_cast<T>(static_cast<int64_t>(v));
  else return static_cast<T>(v);
}

}  // namespace wick::kernels
