// The per-element and per-row math of softmax and log_softmax, shared by the
// CPU and CUDA backends (backends/cpu/softmax.cpp, backends/cuda/softmax.cu).
#pragma once

#include <cmath>
#include <limits>

#include "core/pointwise.h"

namespace wick::softmax_math {

// Note [Online softmax statistics]
// The CUDA kernels read each row once for its max and its sum of
// exp(x - max) (Milakov & Gimelshein, "Online normalizer calculation for
// softmax", 2018): a running max m and sum s, rescaled by exp(m - x) when a
// larger x arrives; two partial states merge the same way. The CPU takes the
// max first, then the sum, and its special values are the rule here: a NaN
// never wins the max but makes the sum NaN (exp(NaN - max)); a row whose max
// is +inf or -inf has a NaN sum (exp(inf - inf), exp(-inf - -inf)). The
// online form keeps that: a new +inf max contributes NaN instead of 1; a -inf
// element contributes exp(-inf - max) = 0 for any final max but -inf, so it
// is skipped, and a row whose max stays -inf gets its NaN from total(). Thus
// the state of no elements and of only -infs (m = -inf, s = 0) is the
// identity of merge.
template <typename T>
struct SoftmaxStats {
  T max = -std::numeric_limits<T>::infinity();
  T sum = 0;

  WICK_HOST_DEVICE void add(T x) {
    constexpr T kInf = std::numeric_limits<T>::infinity();
    if (x > max) {
      // exp(x - x) is 1 but for x = +inf, where the CPU's exp(inf - inf) is NaN.
      sum = sum * std::exp(max - x) + (x == kInf ? std::numeric_limits<T>::quiet_NaN() : T(1));
      max = x;
    } else if (x != -kInf) {
      sum += std::exp(x - max);  // NaN for a NaN x
    }
  }
  WICK_HOST_DEVICE static SoftmaxStats merge(SoftmaxStats a, SoftmaxStats b) {
    if (b.empty()) return a;
    if (a.empty()) return b;
    const T m = b.max > a.max ? b.max : a.max;
    return {m, a.sum * std::exp(a.max - m) + b.sum * std::exp(b.max - m)};
  }
  WICK_HOST_DEVICE bool empty() const { return sum == 0 && max == -std::numeric_limits<T>::infinity(); }
  // The sum of exp(x - max) over a non-empty row, as the CPU's two passes give it.
  WICK_HOST_DEVICE T total() const {
    return max == -std::numeric_limits<T>::infinity() ? std::numeric_limits<T>::quiet_NaN() : sum;
  }

  template <typename F>
  WICK_HOST_DEVICE void shfl_fields(F&& f) {
    f(max);
    f(sum);
  }
};

// The outputs, from the row's max and 1 / sum (softmax) or log(sum) (log_softmax).
template <typename T>
WICK_HOST_DEVICE inline T softmax_value(T x, T max, T scale) {
  return std::exp(x - max) * scale;
}
// Note [log_softmax as (x - max) - log(sum)] in backends/cpu/softmax.cpp.
template <typename T>
WICK_HOST_DEVICE inline T log_softmax_value(T x, T max, T log_sum) {
  return (x - max) - log_sum;
}

// The backward from the forward's output y and the row's dot = sum(g * y)
// (softmax) or sum = sum(g) (log_softmax).
template <typename T>
WICK_HOST_DEVICE inline T softmax_grad(T g, T y, T dot) {
  return y * (g - dot);
}
template <typename T>
WICK_HOST_DEVICE inline T log_softmax_grad(T g, T y, T sum) {
  return g - std::exp(y) * sum;
}

}  // namespace wick::softmax_math
