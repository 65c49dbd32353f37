// CUDA kernels of separable resampling (padding and interpolation), with the
// semantics of backends/cpu/resample.cpp: the tensors are seen as
// [B, D, H, W], B the leading dims and up to three resampled dims (fewer are
// padded with size-1 identity axes in front).
//
// The per-axis index and weight vectors (out * taps entries each, small) are
// packed into one host buffer and uploaded per call into a temporary device
// buffer from the caching allocator, with cudaMemcpyAsync on the legacy
// stream: it copies pageable memory to a staging buffer before returning and
// does not wait for the GPU, and the buffer goes back to the cache when the
// call returns, which is safe because its next user's work is queued after
// ours on the same stream.
//
// The forward is one thread per output element, computing exactly the CPU's
// sum: for each row (k0, k1) of the outer two axes, in that order, the taps
// of the innermost axis (kernels::resample_taps), combined as acc = wr * v,
// then acc + wr * v. A plain gather (every axis one tap) moves bytes, so it
// is instantiated per element size and serves every dtype. The backward is
// one thread per grad_out element adding kernels::resample_grad_term to each
// input position it read, with atomicAdd: the order of the additions, and so
// the last bits of a sum, may differ from the CPU's.
#include <cstring>
#include <vector>

#include "backends/cuda/loops.cuh"
#include "backends/index_math.h"

namespace wick::cuda {

namespace {

struct DeviceAxis {
  int64_t in = 1, out = 1, taps = 1;
  const int64_t* index = nullptr;  // out * taps entries, on the device
  const void* weight = nullptr;    // out * taps entries of the compute dtype (ones for a one-tap axis)
};

struct DevicePlan {
  int64_t batch = 1;
  DeviceAxis axes[3];
  __host__ __device__ int64_t in_plane() const { return axes[0].in * axes[1].in * axes[2].in; }
};

// The plan of `axes` with its vectors uploaded to `buffer`, which it points into.
// `small` has the input geometry, `large` the output one (the forward's in and
// out). W is the weight type; W = void uploads no weights (a gather).
template <typename W>
DevicePlan upload_plan(const Tensor& large, const Tensor& small, const std::vector<ResampleAxis>& axes,
                       IntrusivePtr<StorageImpl>& buffer) {
  WICK_CHECK(!axes.empty() && axes.size() <= 3, ValueError, "resample: expected 1 to 3 resampled dims, got ",
             axes.size());
  DevicePlan plan;
  const int64_t lead = small.dim() - static_cast<int64_t>(axes.size());
  for (int64_t d = 0; d < lead; ++d) plan.batch *= small.size(d);
  const size_t first = 3 - axes.size();
  constexpr bool kWeights = !std::is_void_v<W>;
  using Weight = std::conditional_t<kWeights, W, double>;
  // Byte offsets of each axis's vectors in the buffer (8-byte aligned: the weights follow the indices).
  size_t index_at[3], weight_at[3], bytes = 0;
  for (size_t a = 0; a < 3; ++a) {
    DeviceAxis& ax = plan.axes[a];
    if (a >= first) {
      const ResampleAxis& r = axes[a - first];
      ax.in = small.size(r.dim);
      ax.out = large.size(r.dim);
      ax.taps = r.taps;
      WICK_CHECK(r.taps >= 1 && r.taps <= 2 && static_cast<int64_t>(r.index.size()) >= ax.out * ax.taps &&
                     (r.taps == 1 || r.weight.size() >= static_cast<size_t>(ax.out * ax.taps)),
                 ValueError, "resample: axis ", a - first, " has ", r.index.size(), " indices and ", r.weight.size(),
                 " weights for ", ax.out, " outputs of ", r.taps, " taps");
    }
    const size_t entries = static_cast<size_t>(ax.out * ax.taps);
    index_at[a] = bytes;
    bytes += entries * sizeof(int64_t);
    weight_at[a] = bytes;
    if (kWeights) bytes += (entries * sizeof(Weight) + 7) / 8 * 8;
  }
  std::vector<unsigned char> host(bytes);
  for (size_t a = 0; a < 3; ++a) {
    const DeviceAxis& ax = plan.axes[a];
    const size_t entries = static_cast<size_t>(ax.out * ax.taps);
    std::vector<int64_t> index(entries, 0);  // identity axes read position 0
    std::vector<Weight> weight(entries, Weight(1));
    if (a >= first) {
      const ResampleAxis& r = axes[a - first];
      index = r.index;
      if (r.taps > 1)
        for (size_t k = 0; k < entries; ++k) weight[k] = static_cast<Weight>(r.weight[k]);
    }
    if (entries > 0) std::memcpy(host.data() + index_at[a], index.data(), entries * sizeof(int64_t));
    if (kWeights && entries > 0) std::memcpy(host.data() + weight_at[a], weight.data(), entries * sizeof(Weight));
  }
  const Device device = small.device();
  buffer = StorageImpl::create(bytes, device);
  auto* base = static_cast<unsigned char*>(buffer->data());
  if (bytes > 0) check(cudaMemcpyAsync(base, host.data(), bytes, cudaMemcpyHostToDevice, cudaStreamLegacy),
                       "cudaMemcpyAsync");
  for (size_t a = 0; a < 3; ++a) {
    plan.axes[a].index = reinterpret_cast<const int64_t*>(base + index_at[a]);
    plan.axes[a].weight = kWeights ? base + weight_at[a] : nullptr;
  }
  return plan;
}

// The output element idx's coordinates (batch, o0, o1, o2).
__device__ inline void coordinates(const DevicePlan& p, int64_t idx, int64_t& b, int64_t& o0, int64_t& o1,
                                   int64_t& o2) {
  o2 = idx % p.axes[2].out;
  idx /= p.axes[2].out;
  o1 = idx % p.axes[1].out;
  idx /= p.axes[1].out;
  o0 = idx % p.axes[0].out;
  b = idx / p.axes[0].out;
}

// Every axis one tap: out = in at the indexed position; E a type of the element size.
template <typename E>
__global__ void gather_kernel(int64_t n, DevicePlan p, const E* x, E* y) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  const int64_t in_plane = p.in_plane();
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < n; idx += step) {
    int64_t b, o0, o1, o2;
    coordinates(p, idx, b, o0, o1, o2);
    const int64_t i0 = p.axes[0].index[o0], i1 = p.axes[1].index[o1], i2 = p.axes[2].index[o2];
    y[idx] = x[b * in_plane + (i0 * p.axes[1].in + i1) * p.axes[2].in + i2];
  }
}

template <typename T, int Taps2>
__global__ void resample_kernel(int64_t n, DevicePlan p, const T* x, T* y) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  const int64_t in_plane = p.in_plane();
  const DeviceAxis &a0 = p.axes[0], &a1 = p.axes[1], &a2 = p.axes[2];
  const T* w0 = static_cast<const T*>(a0.weight);
  const T* w1 = static_cast<const T*>(a1.weight);
  const T* w2 = static_cast<const T*>(a2.weight);
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < n; idx += step) {
    int64_t b, o0, o1, o2;
    coordinates(p, idx, b, o0, o1, o2);
    const T* src = x + b * in_plane;
    T acc = 0;
    bool first = true;
    for (int64_t k0 = 0; k0 < a0.taps; ++k0) {
      for (int64_t k1 = 0; k1 < a1.taps; ++k1) {
        const int64_t i0 = a0.index[o0 * a0.taps + k0], i1 = a1.index[o1 * a1.taps + k1];
        const T wr = w0[o0 * a0.taps + k0] * w1[o1 * a1.taps + k1];
        const T v = kernels::resample_taps<Taps2>(src + (i0 * a1.in + i1) * a2.in, a2.index, w2, o2);
        acc = first ? wr * v : acc + wr * v;
        first = false;
      }
    }
    y[idx] = acc;
  }
}

template <typename T>
__global__ void resample_backward_kernel(int64_t n, DevicePlan p, const T* g, T* gx) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  const int64_t in_plane = p.in_plane();
  const DeviceAxis &a0 = p.axes[0], &a1 = p.axes[1], &a2 = p.axes[2];
  const T* w0 = static_cast<const T*>(a0.weight);
  const T* w1 = static_cast<const T*>(a1.weight);
  const T* w2 = static_cast<const T*>(a2.weight);
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < n; idx += step) {
    int64_t b, o0, o1, o2;
    coordinates(p, idx, b, o0, o1, o2);
    const T go = g[idx];
    T* dst = gx + b * in_plane;
    for (int64_t k0 = 0; k0 < a0.taps; ++k0) {
      for (int64_t k1 = 0; k1 < a1.taps; ++k1) {
        const int64_t i0 = a0.index[o0 * a0.taps + k0], i1 = a1.index[o1 * a1.taps + k1];
        const T wr = w0[o0 * a0.taps + k0] * w1[o1 * a1.taps + k1];
        T* row = dst + (i0 * a1.in + i1) * a2.in;
        for (int64_t k2 = 0; k2 < a2.taps; ++k2) {
          const int64_t e = o2 * a2.taps + k2;
          atomicAdd(row + a2.index[e], kernels::resample_grad_term(wr, w2[e], go));
        }
      }
    }
  }
}


void check_contiguous(const Tensor& a, const Tensor& b, const char* op) {
  WICK_CHECK(a.is_contiguous() && b.is_contiguous(), ValueError, op, ": CUDA kernel expected contiguous tensors");
  WICK_CHECK(a.device() == b.device(), ValueError, op, ": expected both tensors on ", a.device(), ", got one on ",
             b.device());
  check_dtype(b, a.dtype(), op);
}

}  // namespace

void resample(const Tensor& out, const Tensor& in, const std::vector<ResampleAxis>& axes) {
  check_contiguous(out, in, "resample");
  const int64_t n = out.numel();
  if (n == 0) return;
  bool gather = true;
  for (const ResampleAxis& a : axes) gather = gather && a.taps == 1;
  DeviceGuard guard(out.device());
  IntrusivePtr<StorageImpl> buffer;  // holds the uploaded vectors until the kernel is queued
  if (gather) {
    dispatch_dtype(in.dtype(), "resample", [&]<typename>() {});  // refuses the dtypes the CPU kernel refuses
    const DevicePlan p = upload_plan<void>(out, in, axes, buffer);
    switch (out.element_size()) {
      case 1:
        gather_kernel<uint8_t><<<blocks_for(n), kThreads>>>(n, p, static_cast<const uint8_t*>(in.raw_data()),
                                                            static_cast<uint8_t*>(out.raw_data()));
        break;
      case 2:
        gather_kernel<uint16_t><<<blocks_for(n), kThreads>>>(n, p, static_cast<const uint16_t*>(in.raw_data()),
                                                             static_cast<uint16_t*>(out.raw_data()));
        break;
      case 4:
        gather_kernel<uint32_t><<<blocks_for(n), kThreads>>>(n, p, static_cast<const uint32_t*>(in.raw_data()),
                                                             static_cast<uint32_t*>(out.raw_data()));
        break;
      case 8:
        gather_kernel<uint64_t><<<blocks_for(n), kThreads>>>(n, p, static_cast<const uint64_t*>(in.raw_data()),
                                                             static_cast<uint64_t*>(out.raw_data()));
        break;
      default: WICK_THROW(NotImplementedError, "resample: no CUDA kernel for elements of ", out.element_size(),
                          " bytes");
    }
  } else {
    dispatch_floating(in.dtype(), "resample", [&]<typename T>() {
      const DevicePlan p = upload_plan<T>(out, in, axes, buffer);
      const T* x = static_cast<const T*>(in.raw_data());
      T* y = static_cast<T*>(out.raw_data());
      if (p.axes[2].taps == 1) resample_kernel<T, 1><<<blocks_for(n), kThreads>>>(n, p, x, y);
      else resample_kernel<T, 2><<<blocks_for(n), kThreads>>>(n, p, x, y);
    });
  }
  check(cudaGetLastError(), "resample");
}

void resample_backward(const Tensor& grad_in, const Tensor& grad_out, const std::vector<ResampleAxis>& axes) {
  check_contiguous(grad_in, grad_out, "resample_backward");
  if (grad_in.numel() == 0) return;
  DeviceGuard guard(grad_in.device());
  check(cudaMemset(grad_in.raw_data(), 0, grad_in.nbytes()), "cudaMemset");
  const int64_t n = grad_out.numel();
  if (n == 0) return;
  dispatch_floating(grad_in.dtype(), "resample_backward", [&]<typename T>() {
    IntrusivePtr<StorageImpl> buffer;
    const DevicePlan p = upload_plan<T>(grad_out, grad_in, axes, buffer);
    resample_backward_kernel<T><<<blocks_for(n), kThreads>>>(n, p, static_cast<const T*>(grad_out.raw_data()),
                                                             static_cast<T*>(grad_in.raw_data()));
    check(cudaGetLastError(), "resample_backward");
  });
}

}  // namespace wick::cuda
