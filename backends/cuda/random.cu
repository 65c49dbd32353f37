// CUDA kernels of the random families (Backend::random, ::dropout): one
// thread per element (random) or per Philox counter (dropout, four elements),
// drawing from the same counters and turning them into values with the same
// functions as the CPU kernels (backends/random_math.h), so that a seed gives
// the CPU's very numbers (Note [Random numbers across devices]).
#include <algorithm>

#include "backends/cuda/loops.cuh"
#include "backends/random_math.h"
#include "core/generator.h"

namespace wick::cuda {

namespace {

template <typename T>
__global__ void random_kernel(T* out, int64_t n, RandomOp op, double a, double b, uint64_t key, uint64_t first) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step)
    out[i] = random_math::random_value<T>(op, a, b, philox4x32(key, first + static_cast<uint64_t>(i)));
}

// Thread g handles elements 4g .. 4g + 3 (fewer in the last group) from counter first + g.
template <typename T>
__global__ void dropout_kernel(T* out, T* noise, const T* in, int64_t n, int64_t groups, T scale, uint64_t threshold,
                               uint64_t key, uint64_t first) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t g = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; g < groups; g += step) {
    const auto words = philox4x32(key, first + static_cast<uint64_t>(g));
    const int64_t base = g * 4, len = n - base < 4 ? n - base : 4;
    for (int64_t k = 0; k < len; ++k) {
      const T mk = random_math::dropout_keeps(words[k], threshold) ? scale : T(0);
      noise[base + k] = mk;
      out[base + k] = in[base + k] * mk;  // out may be in: each element is read before it is written
    }
  }
}

void check_contiguous(const Tensor& t, const char* op) {
  WICK_CHECK(t.is_contiguous(), ValueError, op, ": CUDA kernel expected a contiguous tensor, got sizes ", t.sizes(),
             " strides ", t.strides());
}

void check_same_device(const Tensor& t, Device device, const char* op) {
  WICK_CHECK(t.device() == device, ValueError, op, ": expected all tensors on ", device, ", got one on ", t.device());
}

}  // namespace

void random(RandomOp op, const Tensor& dst, double a, double b, Generator& gen) {
  check_contiguous(dst, "random");
  // Counters are reserved before the dtype dispatch, as on the CPU: a refused
  // dtype then still moves the stream the same way on both devices.
  const int64_t n = dst.numel();
  const uint64_t first = gen.reserve(static_cast<uint64_t>(n));
  const uint64_t key = gen.initial_seed();
  dispatch_dtype(dst.dtype(), "random", [&]<typename T>() {
    if (n == 0) return;
    DeviceGuard guard(dst.device());
    random_kernel<T><<<blocks_for(n), kThreads>>>(static_cast<T*>(dst.raw_data()), n, op, a, b, key, first);
    check(cudaGetLastError(), "random");
  });
}

void dropout(const Tensor& out, const Tensor& noise, const Tensor& in, double p, Generator& gen) {
  const int64_t n = in.numel();
  if (n == 0) return;
  for (const Tensor* t : {&out, &noise, &in}) {
    check_contiguous(*t, "dropout");
    check_same_device(*t, in.device(), "dropout");
    WICK_CHECK(t->numel() == n && t->dtype() == in.dtype(), ValueError,
               "dropout: CUDA kernel expected tensors of one numel and dtype, got ", t->sizes(), " ", t->dtype(),
               " and ", in.sizes(), " ", in.dtype());
  }
  const int64_t groups = (n + 3) / 4;
  const uint64_t first = gen.reserve(static_cast<uint64_t>(groups));
  const uint64_t key = gen.initial_seed();
  const double keep = 1.0 - p;
  const uint64_t threshold = random_math::keep_threshold(keep);
  dispatch_floating(in.dtype(), "dropout", [&]<typename T>() {
    const T scale = static_cast<T>(1.0 / keep);
    DeviceGuard guard(in.device());
    dropout_kernel<T><<<blocks_for(groups), kThreads>>>(static_cast<T*>(out.raw_data()),
                                                         static_cast<T*>(noise.raw_data()),
                                                         static_cast<const T*>(in.raw_data()), n, groups, scale,
                                                         threshold, key, first);
    check(cudaGetLastError(), "dropout");
  });
}

}  // namespace wick::cuda
