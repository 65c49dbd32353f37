// CUDA where and arange, with the CPU backend's semantics
// (backends/cpu/elementwise.cpp).
//
// where only moves bytes, so it is instantiated per element size (4 kernels
// serve every dtype); arange computes its values with the CPU's formula
// (kernels::arange_value in backends/index_math.h), rounded the same way.
#include "backends/cuda/loops.cuh"
#include "backends/index_math.h"

namespace wick::cuda {

namespace {

// out = cond ? a : b, for E a type of the element size.
template <typename E>
struct WhereAdapter {
  __device__ void operator()(const Pointers<4>& p, const int64_t (&off)[4]) const {
    *reinterpret_cast<E*>(p.p[0] + off[0]) = *reinterpret_cast<const bool*>(p.p[1] + off[1])
                                                 ? *reinterpret_cast<const E*>(p.p[2] + off[2])
                                                 : *reinterpret_cast<const E*>(p.p[3] + off[3]);
  }
};

template <typename T>
__global__ void arange_kernel(int64_t n, T* out, double start, double step) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    out[i] = kernels::arange_value<T>(start, step, i);
}

}  // namespace

void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_dtype(cond, ScalarType::Bool, "where");
  check_dtype(a, out.dtype(), "where");
  check_dtype(b, out.dtype(), "where");
  dispatch_dtype(out.dtype(), "where", [&]<typename>() {});  // refuses the dtypes the CPU kernel refuses
  switch (out.element_size()) {
    case 1: return launch_elementwise<4>({&out, &cond, &a, &b}, WhereAdapter<uint8_t>{}, "where");
    case 2: return launch_elementwise<4>({&out, &cond, &a, &b}, WhereAdapter<uint16_t>{}, "where");
    case 4: return launch_elementwise<4>({&out, &cond, &a, &b}, WhereAdapter<uint32_t>{}, "where");
    case 8: return launch_elementwise<4>({&out, &cond, &a, &b}, WhereAdapter<uint64_t>{}, "where");
    default: WICK_THROW(NotImplementedError, "where: no CUDA kernel for elements of ", out.element_size(), " bytes");
  }
}

void arange(const Tensor& dst, double start, double step) {
  WICK_CHECK(dst.is_contiguous(), ValueError, "arange: CUDA kernel expected a contiguous tensor, got shape ",
             dst.sizes(), " and strides ", dst.strides());
  const int64_t n = dst.numel();
  if (n == 0) return;
  DeviceGuard guard(dst.device());
  dispatch_dtype(dst.dtype(), "arange", [&]<typename T>() {
    arange_kernel<T><<<blocks_for(n), kThreads>>>(n, static_cast<T*>(dst.raw_data()), start, step);
  });
  check(cudaGetLastError(), "arange");
}

}  // namespace wick::cuda
