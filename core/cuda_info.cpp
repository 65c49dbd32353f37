#include "core/cuda_info.h"

#include <atomic>

#include "core/error.h"

namespace wick::cuda {

namespace {
std::atomic<bool> tf32_allowed{false};
}  // namespace

void set_allow_tf32(bool allow) { tf32_allowed.store(allow, std::memory_order_relaxed); }
bool allow_tf32() { return tf32_allowed.load(std::memory_order_relaxed); }

}  // namespace wick::cuda

#ifndef WICK_WITH_CUDA

namespace wick::cuda {

bool is_available() { return false; }
int device_count() { return 0; }
std::string unavailable_reason() {
  return "this build of wick has no CUDA backend (rebuild with -DWICK_CUDA=ON on a machine with the CUDA toolkit)";
}
void synchronize(Device device) {
  WICK_CHECK(device.is_cuda(), ValueError, "expected a CUDA device, got ", device);
  WICK_THROW(Error, "device ", device, " is not available: ", unavailable_reason());
}

}  // namespace wick::cuda

#endif
