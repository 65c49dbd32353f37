// Warp- and block-wide reductions for the CUDA reduction kernels (reduce.cu,
// softmax.cu, norm.cu), and a scratch buffer from the caching allocator.
//
// The combining tree depends only on the block size, so a kernel launched
// with the same sizes gives the same bits on every run (no atomics).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "backends/cuda/cuda_backend.h"
#include "backends/reduce_math.h"

namespace wick::cuda {

constexpr unsigned kFullMask = 0xffffffffu;

// __shfl_down_sync for the state types of the reductions: the arithmetic
// types (bool and uint8 widened to int) and structs of them, shuffled field
// by field through shfl_fields().
template <typename T>
__device__ inline T shfl_down(T v, int delta) {
  if constexpr (std::is_arithmetic_v<T>) {
    if constexpr (sizeof(T) < sizeof(int)) return static_cast<T>(__shfl_down_sync(kFullMask, static_cast<int>(v), delta));
    else return __shfl_down_sync(kFullMask, v, delta);
  } else {
    T r = v;
    r.shfl_fields([&](auto& field) { field = shfl_down(field, delta); });
    return r;
  }
}

template <typename T>
__device__ inline reduce_math::ArgState<T> shfl_down(reduce_math::ArgState<T> v, int delta) {
  return {shfl_down(v.value, delta), shfl_down(v.index, delta)};
}

// __shfl_sync likewise: every lane gets lane `src`'s value.
template <typename T>
__device__ inline T shfl_from(T v, int src) {
  if constexpr (std::is_arithmetic_v<T>) {
    if constexpr (sizeof(T) < sizeof(int)) return static_cast<T>(__shfl_sync(kFullMask, static_cast<int>(v), src));
    else return __shfl_sync(kFullMask, v, src);
  } else {
    T r = v;
    r.shfl_fields([&](auto& field) { field = shfl_from(field, src); });
    return r;
  }
}

// Combines the 32 lanes' values of a full warp; lane 0 gets the result.
template <typename S, typename Combine>
__device__ inline S warp_reduce(S v, Combine combine) {
  for (int delta = 16; delta > 0; delta >>= 1) v = combine(v, shfl_down(v, delta));
  return v;
}

// Combines the values of all threads of a 1-D block whose size is a multiple
// of 32 (at most 1024); thread 0 gets the result, the others an unspecified
// value. Every thread of the block must call it. Reusable in one kernel: the
// trailing barrier protects the shared slots from the next call.
template <typename S, typename Combine>
__device__ inline S block_reduce(S v, Combine combine) {
  __shared__ alignas(16) unsigned char raw[32 * sizeof(S)];
  S* partial = reinterpret_cast<S*>(raw);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  v = warp_reduce(v, combine);
  if (warps == 1) return v;
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  if (warp == 0) {
    // A lane combines what lane + delta holds only when that lane held a
    // warp's partial, so lane 0 ends with exactly the `warps` partials.
    S w = partial[lane < warps ? lane : 0];
    for (int delta = 16; delta > 0; delta >>= 1) {
      const S other = shfl_down(w, delta);
      if (lane + delta < warps) w = combine(w, other);
    }
    v = w;
  }
  __syncthreads();
  return v;
}

// Threads per block for `n` items of work per group: a power of two from 32 to `most`.
inline int block_threads(int64_t n, int most) {
  int t = 32;
  while (t < most && t < n) t *= 2;
  return t;
}

// Blocks for a grid-stride loop over `n` groups (gridDim.x stays below 2^31).
inline unsigned grid_blocks(int64_t n, int64_t per_block = 1) {
  constexpr int64_t kMaxBlocks = int64_t{1} << 20;  // beyond this, blocks loop
  const int64_t blocks = (n + per_block - 1) / per_block;
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks < kMaxBlocks ? blocks : kMaxBlocks));
}

// Scratch memory of one GPU from its caching allocator, freed at scope exit.
// Work is ordered on the device's default stream, so a later kernel that
// reuses the block runs after the ones that used it.
class DeviceBuffer {
 public:
  DeviceBuffer(Device device, size_t nbytes) : alloc_(&allocator(device)), nbytes_(nbytes) {
    ptr_ = alloc_->allocate(nbytes);
  }
  ~DeviceBuffer() { alloc_->deallocate(ptr_, nbytes_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  template <typename T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }

 private:
  Allocator* alloc_;
  size_t nbytes_;
  void* ptr_;
};

}  // namespace wick::cuda
