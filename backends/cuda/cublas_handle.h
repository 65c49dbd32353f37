// The per-device cuBLAS handle that the cuBLAS callers share (blas.cu's
// matmuls, solver.cu's triangular solves), and cuBLAS's status check. Host
// code only; both are defined in blas.cu.
#pragma once

#include <cublas_v2.h>

#include "core/device.h"

namespace wick::cuda {

// The cuBLAS handle of `device`, created on first use and kept for the
// process, on the legacy default stream where wick's kernels run. Its state
// never changes after creation (default pointer mode: alpha and beta on the
// host), so threads may share it; a caller must not change it either.
cublasHandle_t cublas_handle(Device device);

// Throws wick::Error for a failed cuBLAS call, naming the call.
void check_cublas(cublasStatus_t status, const char* call);

}  // namespace wick::cuda
