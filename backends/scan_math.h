// The steps of the scans (cumsum, cumprod, cummax, cummin, logcumsumexp) and
// the order of the sorts (sort, topk, kthvalue, median), shared by the CPU and
// CUDA backends (backends/cpu/scan_sort.cpp, backends/cuda/scan_sort.cu), so
// that the CPU tests check the rules every GPU kernel applies.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "core/dispatch.h"
#include "core/pointwise.h"

namespace wick::scan_math {

// A running state of a scan: the value so far and, for cummax/cummin, the
// position it came from.
template <typename T>
struct ScanState {
  T value;
  int64_t index;
};

// Note [Scans as associative combines]
// Each scan is `combine(earlier, later)` of two states, associative and with
// an identity (the state before the first element), so the CPU runs it left
// to right from identity() and a GPU block may run it as a parallel prefix:
//   Sum, Prod: value arithmetic (floating rounding differs with the tree, as in PyTorch).
//   LogSumExp: log(exp(a) + exp(b)) as max + log1p(exp(min - max)); two -inf
//     give -inf, an inf gives inf, a NaN gives NaN.
//   Max/Min: PyTorch's cummax rule: the later element takes over when it is
//     NaN or when neither is NaN and it is at least as large (>=: ties move
//     the position forward). Under the total order "NaN above all numbers,
//     then value, then position" that is the maximum of the two, hence
//     associative.
template <typename T>
struct ScanSum {
  WICK_HOST_DEVICE static ScanState<T> identity() { return {T(0), -1}; }
  WICK_HOST_DEVICE static ScanState<T> combine(ScanState<T> a, ScanState<T> b) {
    return {static_cast<T>(a.value + b.value), b.index};
  }
};
template <typename T>
struct ScanProd {
  WICK_HOST_DEVICE static ScanState<T> identity() { return {T(1), -1}; }
  WICK_HOST_DEVICE static ScanState<T> combine(ScanState<T> a, ScanState<T> b) {
    return {static_cast<T>(a.value * b.value), b.index};
  }
};
template <typename T>
struct ScanLogSumExp {
  WICK_HOST_DEVICE static ScanState<T> identity() { return {-std::numeric_limits<T>::infinity(), -1}; }
  WICK_HOST_DEVICE static ScanState<T> combine(ScanState<T> a, ScanState<T> b) {
    const T x = a.value, y = b.value;
    if (x != x || y != y) return {x != x ? x : y, b.index};
    const T hi = x > y ? x : y, lo = x > y ? y : x;
    // Both -inf (nothing yet) or an inf: the extreme is the answer (inf - inf would be NaN).
    if (lo == -std::numeric_limits<T>::infinity() || hi == std::numeric_limits<T>::infinity()) return {hi, b.index};
    return {static_cast<T>(hi + std::log1p(std::exp(lo - hi))), b.index};
  }
};
template <bool IsMax, typename T>
struct ScanExtreme {
  // Below (above) every element, so the first one always takes over.
  WICK_HOST_DEVICE static ScanState<T> identity() {
    if constexpr (std::numeric_limits<T>::has_infinity)
      return {IsMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity(), -1};
    else
      return {IsMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max(), -1};
  }
  WICK_HOST_DEVICE static ScanState<T> combine(ScanState<T> a, ScanState<T> b) {
    const bool a_nan = a.value != a.value, b_nan = b.value != b.value;
    const bool take_b = b_nan || (!a_nan && (IsMax ? b.value >= a.value : b.value <= a.value));
    return take_b ? b : a;
  }
};

// Calls f.template operator()<T, Combine>() for op's combine step on dtype t
// (cumsum and cumprod: any dtype the op layer sends, logcumsumexp: floats).
template <typename F>
void dispatch_scan(ScanOp op, ScalarType t, F&& f) {
  switch (op) {
    case ScanOp::Sum:
      return dispatch_dtype(t, "cumsum", [&]<typename T>() { f.template operator()<T, ScanSum<T>>(); });
    case ScanOp::Prod:
      return dispatch_dtype(t, "cumprod", [&]<typename T>() { f.template operator()<T, ScanProd<T>>(); });
    case ScanOp::Max:
      return dispatch_dtype(t, "cummax", [&]<typename T>() { f.template operator()<T, ScanExtreme<true, T>>(); });
    case ScanOp::Min:
      return dispatch_dtype(t, "cummin", [&]<typename T>() { f.template operator()<T, ScanExtreme<false, T>>(); });
    case ScanOp::LogSumExp:
      return dispatch_floating(t, "logcumsumexp", [&]<typename T>() { f.template operator()<T, ScanLogSumExp<T>>(); });
  }
}

// Note [Sort order]
// sort, topk, kthvalue and median order elements as PyTorch does: ascending
// puts NaNs after every number (all NaNs alike), descending before them;
// -0.0 and 0.0 are equal. Equal elements keep their original order (a stable
// sort), which makes the order total once positions break ties: the kernels
// may use any sort, partial or parallel, and still agree bit for bit.
template <typename T>
WICK_HOST_DEVICE inline bool sort_before(T a, int64_t ia, T b, int64_t ib, bool descending) {
  const bool a_nan = a != a, b_nan = b != b;
  if (a_nan || b_nan) {
    if (a_nan && b_nan) return ia < ib;
    return descending ? a_nan : b_nan;  // NaN is the largest
  }
  if (a == b) return ia < ib;
  return descending ? a > b : a < b;
}

}  // namespace wick::scan_math
