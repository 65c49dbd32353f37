// What wick knows about CUDA, in every build. A build without the CUDA
// backend (-DWICK_CUDA=OFF) reports no devices; the CUDA backend defines these
// in backends/cuda/runtime.cpp.
#pragma once

#include <string>

#include "core/device.h"

namespace wick::cuda {

// True when wick has a CUDA backend and at least one GPU can be used.
bool is_available();
// The number of visible CUDA devices; 0 without a driver, a GPU or the backend.
int device_count();
// Why is_available() is false ("" when it is true), for messages and skipped tests.
std::string unavailable_reason();
// Waits for all work queued on `device`, then raises what its kernels found
// (an index out of range: IndexError, Note [Device-side index errors] in
// backends/cuda/device_error.h). Throws wick::Error for a device wick cannot use.
void synchronize(Device device);

// Whether float32 matrix products on CUDA may use TF32 tensor cores (inputs
// rounded to a 10-bit mantissa, about 1e-3 relative error, several times
// faster). Off by default, as in PyTorch (torch.backends.cuda.matmul.allow_tf32);
// process-wide, read at each product. A plain flag in every build.
void set_allow_tf32(bool allow);
bool allow_tf32();

}  // namespace wick::cuda
