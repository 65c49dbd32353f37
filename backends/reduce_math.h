// The combine steps of the reductions, shared by the CPU and CUDA backends
// (backends/cpu/reduce.cpp, backends/cuda/reduce.cu), so that the CPU tests
// check the rules every GPU kernel applies: the identity of each op, NaN
// propagation of max/min, and the first-occurrence rule of argmax/argmin.
// Every op accumulates in the input's own dtype (the op layer has already
// converted the input to the result dtype: integer sums arrive as int64, bool
// any/all as bool).
#pragma once

#include <cstdint>
#include <limits>

#include "core/pointwise.h"

namespace wick::reduce_math {

template <typename T>
struct SumOp {
  WICK_HOST_DEVICE static T init() { return T(0); }
  WICK_HOST_DEVICE static T combine(T a, T b) { return static_cast<T>(a + b); }
};
template <typename T>
struct ProdOp {
  WICK_HOST_DEVICE static T init() { return T(1); }
  WICK_HOST_DEVICE static T combine(T a, T b) { return static_cast<T>(a * b); }
};
template <typename T>
struct MaxOp {  // NaN wins, as in PyTorch
  WICK_HOST_DEVICE static T init() {
    return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::lowest();
  }
  WICK_HOST_DEVICE static T combine(T a, T b) { return (a != a || a > b) ? a : b; }
};
template <typename T>
struct MinOp {
  WICK_HOST_DEVICE static T init() {
    return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity() : std::numeric_limits<T>::max();
  }
  WICK_HOST_DEVICE static T combine(T a, T b) { return (a != a || a < b) ? a : b; }
};
struct AnyOp {
  WICK_HOST_DEVICE static bool init() { return false; }
  WICK_HOST_DEVICE static bool combine(bool a, bool b) { return a || b; }
};
struct AllOp {
  WICK_HOST_DEVICE static bool init() { return true; }
  WICK_HOST_DEVICE static bool combine(bool a, bool b) { return a && b; }
};

// Note [Positions of max and min]
// argmax/argmin (and max/min with indices) pick the first position of the
// extreme value, and the first NaN when there is one (NaN wins, as in
// PyTorch). A scan in position order keeps its current best and replaces it
// only by a NaN or a strictly better value, and never once it holds a NaN
// (arg_replaces). A parallel reduction combines partial results over
// interleaved positions, so it orders the candidates explicitly: NaN before
// numbers, then the better value, then the smaller position (arg_combine).
// That is the minimum under a total order, hence associative and commutative,
// and any combining tree gives the scan's answer, bit for bit.

// Whether x, met after `best` in a scan, takes its place.
template <bool IsMax, typename T>
WICK_HOST_DEVICE inline bool arg_replaces(T x, T best) {
  return best == best && (x != x || (IsMax ? x > best : x < best));
}

// A candidate of a parallel arg reduction: a value and its position (-1: none yet).
template <typename T>
struct ArgState {
  T value;
  int64_t index;
};

template <bool IsMax, typename T>
WICK_HOST_DEVICE inline ArgState<T> arg_combine(ArgState<T> a, ArgState<T> b) {
  if (b.index < 0) return a;
  if (a.index < 0) return b;
  const bool a_nan = a.value != a.value, b_nan = b.value != b.value;
  bool take_b;
  if (a_nan || b_nan) take_b = a_nan ? (b_nan && b.index < a.index) : true;
  else if (a.value == b.value) take_b = b.index < a.index;
  else take_b = IsMax ? b.value > a.value : b.value < a.value;
  return take_b ? b : a;
}

}  // namespace wick::reduce_math
