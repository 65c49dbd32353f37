// The elementwise launcher shared by the CUDA kernel families: one thread per
// element (grid-stride), operand offsets from an ElementwisePlan, and the
// element function as a functor with a __device__ call operator.
#pragma once

#include <algorithm>
#include <array>
#include <type_traits>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cuda_utils.h"
#include "backends/cuda/elementwise_plan.h"
#include "core/pointwise.h"

namespace wick::cuda {

// The launch shape of the one-thread-per-element kernels of every family:
// blocks of kThreads, at most 2^20 of them (beyond that the threads loop,
// grid-stride).
constexpr int kThreads = 256;
inline unsigned blocks_for(int64_t n) {
  constexpr int64_t kMaxBlocks = int64_t{1} << 20;
  return static_cast<unsigned>(std::min((n + kThreads - 1) / kThreads, kMaxBlocks));
}

template <int N>
struct Pointers {
  char* p[N];
};

template <int N, typename F>
__global__ void elementwise_kernel(int64_t n, ElementwisePlan<N> plan, Pointers<N> ptrs, F f) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[N];
    plan.offsets(i, off);
    f(ptrs, off);
  }
}

// Runs f on every element of ts (ts[0] is the output; all on one GPU, of one shape).
template <int N, typename F>
void launch_elementwise(const std::array<const Tensor*, N>& ts, const F& f, const char* op) {
  const int64_t n = ts[0]->numel();
  if (n == 0) return;
  const Device device = ts[0]->device();
  for (int k = 0; k < N; ++k)
    WICK_CHECK(ts[k]->device() == device, ValueError, op, ": expected all tensors on ", device, ", got one on ",
               ts[k]->device());
  const ElementwisePlan<N> plan = make_plan<N>(ts, op);
  Pointers<N> ptrs;
  for (int k = 0; k < N; ++k) ptrs.p[k] = static_cast<char*>(ts[k]->raw_data());
  DeviceGuard guard(device);
  elementwise_kernel<N><<<blocks_for(n), kThreads>>>(n, plan, ptrs, f);
  check(cudaGetLastError(), op);
}

// Element functions as operand adapters: out = f(in...).
template <typename Out, typename In, typename F>
struct UnaryAdapter {
  F f;
  __device__ void operator()(const Pointers<2>& p, const int64_t (&off)[2]) const {
    *reinterpret_cast<Out*>(p.p[0] + off[0]) = f(*reinterpret_cast<const In*>(p.p[1] + off[1]));
  }
};

// The kernels reinterpret bytes: a dtype mismatch would read or write out of bounds.
inline void check_dtype(const Tensor& t, ScalarType expected, const char* op) {
  WICK_CHECK(t.dtype() == expected, TypeError, op, ": CUDA kernel expected a ", expected, " tensor, got ", t.dtype());
}

template <typename Out, typename In, typename F>
void launch_unary(const Tensor& out, const Tensor& in, F f, const char* op) {
  check_dtype(out, dtype_of<Out>(), op);
  check_dtype(in, dtype_of<In>(), op);
  launch_elementwise<2>({&out, &in}, UnaryAdapter<Out, In, F>{f}, op);
}

template <typename Out, typename In, typename F>
struct BinaryAdapter {
  F f;
  __device__ void operator()(const Pointers<3>& p, const int64_t (&off)[3]) const {
    *reinterpret_cast<Out*>(p.p[0] + off[0]) =
        f(*reinterpret_cast<const In*>(p.p[1] + off[1]), *reinterpret_cast<const In*>(p.p[2] + off[2]));
  }
};

template <typename Out, typename In, typename F>
void launch_binary(const Tensor& out, const Tensor& a, const Tensor& b, F f, const char* op) {
  check_dtype(out, dtype_of<Out>(), op);
  check_dtype(a, dtype_of<In>(), op);
  check_dtype(b, dtype_of<In>(), op);
  launch_elementwise<3>({&out, &a, &b}, BinaryAdapter<Out, In, F>{f}, op);
}

}  // namespace wick::cuda
