// CUDA fill and copy. copy also moves data between the host and a GPU and
// between two GPUs: one cudaMemcpy when both sides are contiguous and of one
// dtype, otherwise a contiguous staging buffer on the side that needs it, with
// dtype conversion and strides done by the elementwise kernel on the GPU (or
// by the CPU copy kernel on the host).
#include <cstring>

#include "backends/convert_math.h"
#include "backends/cuda/device_error.h"
#include "backends/cuda/loops.cuh"
#include "core/dispatch.h"

namespace wick::cuda {

namespace {

template <typename T>
struct FillAdapter {
  T value;
  __device__ void operator()(const Pointers<1>& p, const int64_t (&off)[1]) const {
    *reinterpret_cast<T*>(p.p[0] + off[0]) = value;
  }
};

// Note [Float to integer conversion] (backends/convert_math.h): the CPU's rule.
template <typename D, typename S>
struct Convert {
  __device__ D operator()(S x) const { return kernels::convert_value<D>(x); }
};

// dst = src (converting dtype) for two tensors on one GPU.
void copy_on_device(const Tensor& dst, const Tensor& src) {
  if (dst.dtype() == src.dtype() && dst.is_contiguous() && src.is_contiguous()) {
    DeviceGuard guard(dst.device());
    check(cudaMemcpy(dst.raw_data(), src.raw_data(), dst.nbytes(), cudaMemcpyDeviceToDevice), "cudaMemcpy");
    return;
  }
  dispatch_dtype(dst.dtype(), "copy", [&]<typename D>() {
    dispatch_dtype(src.dtype(), "copy",
                        [&]<typename S>() { launch_unary<D, S>(dst, src, Convert<D, S>{}, "copy"); });
  });
}

// A contiguous staging tensor of like's shape, made from core's types (a
// backend does not call the ops above it).
Tensor empty_on(const Tensor& like, ScalarType dtype, Device device) {
  auto storage = StorageImpl::create(static_cast<size_t>(like.numel()) * itemsize(dtype), device);
  return Tensor(make_intrusive<TensorImpl>(std::move(storage), dtype, like.sizes(), contiguous_strides(like.sizes()), 0));
}

// src as a contiguous tensor of dtype `dtype` on its own device (src itself when it already is).
Tensor dense(const Tensor& src, ScalarType dtype) {
  if (src.is_contiguous() && src.dtype() == dtype) return src;
  Tensor out = empty_on(src, dtype, src.device());
  if (src.device().is_cpu()) wick::backend(kCPU).copy(out, src);
  else copy_on_device(out, src);
  return out;
}

void copy_host_to_device(const Tensor& dst, const Tensor& src) {
  const Tensor host = dense(src, src.dtype());  // the CPU side converts no dtype: the GPU does it faster
  const Tensor staged =
      dst.is_contiguous() && dst.dtype() == src.dtype() ? dst : empty_on(dst, src.dtype(), dst.device());
  {
    DeviceGuard guard(dst.device());
    check(cudaMemcpy(staged.raw_data(), host.raw_data(), host.nbytes(), cudaMemcpyHostToDevice), "cudaMemcpy");
  }
  if (!staged.is_same(dst)) copy_on_device(dst, staged);
}

void copy_device_to_host(const Tensor& dst, const Tensor& src) {
  const Tensor device = dense(src, dst.dtype());
  const Tensor host = dst.is_contiguous() ? dst : empty_on(dst, dst.dtype(), kCPU);
  {
    DeviceGuard guard(src.device());
    check(cudaMemcpy(host.raw_data(), device.raw_data(), device.nbytes(), cudaMemcpyDeviceToHost), "cudaMemcpy");
  }
  // The copy waited for the device: raise what its kernels found (Note [Device-side index errors]).
  check_device_errors(src.device());
  if (!host.is_same(dst)) wick::backend(kCPU).copy(dst, host);
}

void copy_between_devices(const Tensor& dst, const Tensor& src) {
  const Tensor from = dense(src, dst.dtype());
  const Tensor to = dst.is_contiguous() ? dst : empty_on(dst, dst.dtype(), dst.device());
  check(cudaMemcpyPeer(to.raw_data(), dst.device().index, from.raw_data(), src.device().index, from.nbytes()),
        "cudaMemcpyPeer");
  if (!to.is_same(dst)) copy_on_device(dst, to);
}

}  // namespace

void fill(const Tensor& dst, Scalar value) {
  if (dst.numel() == 0) return;
  dispatch_dtype(dst.dtype(), "fill", [&]<typename T>() {
    const T v = value.to<T>();
    unsigned char bytes[sizeof(T)];
    std::memcpy(bytes, &v, sizeof(T));
    const bool all_zero = std::all_of(bytes, bytes + sizeof(T), [](unsigned char b) { return b == 0; });
    if (all_zero && dst.is_contiguous()) {
      DeviceGuard guard(dst.device());
      check(cudaMemset(dst.raw_data(), 0, dst.nbytes()), "cudaMemset");
      return;
    }
    launch_elementwise<1>({&dst}, FillAdapter<T>{v}, "fill");
  });
}

void copy(const Tensor& dst, const Tensor& src) {
  WICK_CHECK(dst.sizes() == src.sizes(), ValueError, "copy: CUDA kernel operands must share one shape, got ",
             dst.sizes(), " and ", src.sizes());
  if (dst.numel() == 0) return;
  const Device to = dst.device(), from = src.device();
  if (to == from) return copy_on_device(dst, src);
  if (to.is_cuda() && from.is_cuda()) return copy_between_devices(dst, src);
  if (to.is_cuda()) return copy_host_to_device(dst, src);
  return copy_device_to_host(dst, src);
}

}  // namespace wick::cuda
