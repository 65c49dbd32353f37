// Helpers shared by the C++ test suites.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "wick.h"

namespace wick::testing {

// A float64 leaf of random values in [lo, hi) on `device` that requires grad
// (the values drawn on the CPU, so every device gets the same ones).
inline Tensor leaf(IntArrayRef sizes, double lo = -1, double hi = 1, Device device = kCPU) {
  Tensor t = rand(sizes, TensorOptions(ScalarType::Float64));
  t = (t * (hi - lo) + lo).detach().to(device);
  t.requires_grad_();
  return t;
}

// The same values as `t`, laid out transposed in memory (a non-contiguous
// leaf of the same shape): the storage holds t.t() contiguously.
inline Tensor noncontiguous_leaf(IntArrayRef sizes_2d, double lo = -1, double hi = 1, Device device = kCPU) {
  Tensor base = leaf({sizes_2d[1], sizes_2d[0]}, lo, hi, device).detach();
  Tensor t = base.t();
  t.requires_grad_();
  return t;
}

// A suite whose tests run once per device: TEST_P(Suite, Name) in a suite
// declared as `class Suite : public wick::testing::OnEachDevice {};` and
// instantiated with WICK_ON_EACH_DEVICE(Suite). A device this machine lacks is
// skipped with the reason, so the report shows what did not run.
class OnEachDevice : public ::testing::TestWithParam<Device> {
 protected:
  void SetUp() override {
    if (device().is_cuda() && !cuda::is_available()) GTEST_SKIP() << "no CUDA device: " << cuda::unavailable_reason();
  }
  Device device() const { return GetParam(); }
};

inline std::string device_test_name(const ::testing::TestParamInfo<Device>& info) {
  return info.param.is_cpu() ? "cpu" : "cuda";
}

}  // namespace wick::testing

#define WICK_ON_EACH_DEVICE(Suite)                                                                     \
  INSTANTIATE_TEST_SUITE_P(Devices, Suite, ::testing::Values(::wick::kCPU, ::wick::Device(::wick::DeviceType::CUDA, 0)), \
                           ::wick::testing::device_test_name)

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
