// Helpers shared by the C++ test suites.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "wick.h"

namespace wick::testing {

// A float64 leaf of random values in [lo, hi) that requires grad.
inline Tensor leaf(IntArrayRef sizes, double lo = -1, double hi = 1) {
  Tensor t = rand(sizes, TensorOptions(ScalarType::Float64));
  t = (t * (hi - lo) + lo).detach();
  t.requires_grad_();
  return t;
}

// The same values as `t`, laid out transposed in memory (a non-contiguous
// leaf of the same shape): the storage holds t.t() contiguously.
inline Tensor noncontiguous_leaf(IntArrayRef sizes_2d, double lo = -1, double hi = 1) {
  Tensor base = leaf({sizes_2d[1], sizes_2d[0]}, lo, hi).detach();
  Tensor t = base.t();
  t.requires_grad_();
  return t;
}

}  // namespace wick::testing

// Expects `stmt` to throw `kind` whose message contains `substr`.
#define EXPECT_THROW_WITH(stmt, kind, substr)                                              \
  do {                                                                                     \
    try {                                                                                  \
      stmt;                                                                                \
      ADD_FAILURE() << "expected " #kind " from: " #stmt;                                  \
    } catch (const kind& e) {                                                              \
      EXPECT_THAT(std::string(e.what()), ::testing::HasSubstr(substr)) << "from: " #stmt;  \
    }                                                                                      \
  } while (0)
