// What wick knows about CUDA, in every build. A build without the CUDA
// backend (-DWICK_CUDA=OFF) reports no devices; the CUDA backend defines these
// in backends/cuda/runtime.cpp.
#pragma once

#include <string>

namespace wick::cuda {

// True when wick has a CUDA backend and at least one GPU can be used.
bool is_available();
// The number of visible CUDA devices; 0 without a driver, a GPU or the backend.
int device_count();
// Why is_available() is false ("" when it is true), for messages and skipped tests.
std::string unavailable_reason();

}  // namespace wick::cuda
