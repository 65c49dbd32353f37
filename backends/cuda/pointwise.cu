// CUDA kernels of the pointwise families (unary, binary): one launch per op,
// the element function shared with the CPU backend (core/pointwise.h).
// Operands arrive in the compute dtype and out's shape; broadcast operands are
// stride-0 views, which the plan walks without copying.
#include "backends/cuda/loops.cuh"

namespace wick::cuda {

namespace {

template <typename F>
void unary_kernel(const void* fn, const Tensor& out, const Tensor& in) {
  const F& f = *static_cast<const F*>(fn);
  dispatch_dtype(in.dtype(), F::name, [&]<typename T>() {
    if constexpr (pointwise::kTakes<F, T>) launch_unary<pointwise::UnaryResult<F, T>, T>(out, in, f, F::name);
    else WICK_THROW(NotImplementedError, F::name, ": no CUDA kernel for dtype ", in.dtype());
  });
}

template <typename F>
void binary_kernel(const void* fn, const Tensor& out, const Tensor& a, const Tensor& b) {
  const F& f = *static_cast<const F*>(fn);
  WICK_CHECK(a.dtype() == b.dtype(), TypeError, F::name, ": CUDA kernel operands must share a dtype, got ", a.dtype(),
             " and ", b.dtype());
  dispatch_dtype(a.dtype(), F::name, [&]<typename T>() {
    if constexpr (pointwise::kTakes<F, T>) launch_binary<pointwise::BinaryResult<F, T>, T>(out, a, b, f, F::name);
    else WICK_THROW(NotImplementedError, F::name, ": no CUDA kernel for dtype ", a.dtype());
  });
}

// One kernel per entry of the lists, in their order.
template <typename... Fs>
void run_unary(TypeList<Fs...>, size_t op, const void* f, const Tensor& out, const Tensor& in) {
  static constexpr void (*kKernels[])(const void*, const Tensor&, const Tensor&) = {&unary_kernel<Fs>...};
  kKernels[op](f, out, in);
}
template <typename... Fs>
void run_binary(TypeList<Fs...>, size_t op, const void* f, const Tensor& out, const Tensor& a, const Tensor& b) {
  static constexpr void (*kKernels[])(const void*, const Tensor&, const Tensor&, const Tensor&) = {
      &binary_kernel<Fs>...};
  kKernels[op](f, out, a, b);
}

}  // namespace

void unary(size_t op, const void* f, const Tensor& out, const Tensor& in) {
  run_unary(pointwise::UnaryFunctions{}, op, f, out, in);
}

void binary(size_t op, const void* f, const Tensor& out, const Tensor& a, const Tensor& b) {
  run_binary(pointwise::BinaryFunctions{}, op, f, out, a, b);
}

}  // namespace wick::cuda
