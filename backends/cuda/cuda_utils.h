// Checked CUDA runtime calls and the current-device guard. Host code only.
#pragma once

#include <cuda_runtime_api.h>

#include <source_location>

#include "core/device.h"

namespace wick::cuda {

[[noreturn]] void throw_cuda_error(cudaError_t err, const char* call, std::source_location where);

// Throws wick::Error for a failed CUDA call, with cudaGetErrorString, the call
// and the source line it was made from:  check(cudaMalloc(&p, n), "cudaMalloc");
inline void check(cudaError_t err, const char* call, std::source_location where = std::source_location::current()) {
  if (err != cudaSuccess) [[unlikely]]
    throw_cuda_error(err, call, where);
}

// Makes `device` the calling thread's current CUDA device (cudaSetDevice) for
// the guard's lifetime, then restores the previous one.
class DeviceGuard {
 public:
  explicit DeviceGuard(Device device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = -1;  // -1: the device was already current
};

}  // namespace wick::cuda
