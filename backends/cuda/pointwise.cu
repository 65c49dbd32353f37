// CUDA kernels of the pointwise families (unary, binary): one launch per op,
// the element function shared with the CPU backend (core/pointwise.h).
// Operands arrive in the compute dtype and out's shape; broadcast operands are
// stride-0 views, which the plan walks without copying.
#include "backends/cuda/loops.cuh"

namespace wick::cuda {

namespace {

template <typename F>
struct UnaryKernel {
  static void run(const void* f, const Tensor& out, const Tensor& in) {
    dispatch_pointwise<F>(in.dtype(), [&]<typename T>() {
      launch_unary<pointwise::UnaryResult<F, T>, T>(out, in, *static_cast<const F*>(f), F::name);
    });
  }
};
template <typename F>
struct BinaryKernel {
  static void run(const void* f, const Tensor& out, const Tensor& a, const Tensor& b) {
    WICK_CHECK(a.dtype() == b.dtype(), TypeError, F::name, ": CUDA kernel operands must share a dtype, got ",
               a.dtype(), " and ", b.dtype());
    dispatch_pointwise<F>(a.dtype(), [&]<typename T>() {
      launch_binary<pointwise::BinaryResult<F, T>, T>(out, a, b, *static_cast<const F*>(f), F::name);
    });
  }
};

}  // namespace

void unary(size_t op, const void* f, const Tensor& out, const Tensor& in) {
  static constexpr auto kKernels = pointwise_kernel_table<UnaryKernel>(pointwise::UnaryFunctions{});
  kKernels[op](f, out, in);
}

void binary(size_t op, const void* f, const Tensor& out, const Tensor& a, const Tensor& b) {
  static constexpr auto kKernels = pointwise_kernel_table<BinaryKernel>(pointwise::BinaryFunctions{});
  kKernels[op](f, out, a, b);
}

}  // namespace wick::cuda
