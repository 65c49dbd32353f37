// CUDA binary kernels, with the CPU backend's semantics (backends/cpu/elementwise.cpp).
// Operands arrive in the compute dtype and out's shape; broadcast operands are
// stride-0 views, which the plan walks without copying.
#include <iterator>

#include "backends/cuda/loops.cuh"
#include "backends/scalar_math.h"

namespace wick::cuda {

namespace {

const char* binary_name(BinaryOp op) {
  static constexpr const char* kNames[] = {
      "add", "sub", "mul", "div", "pow", "maximum", "minimum", "remainder", "floor_divide", "atan2",
      "threshold_backward",
      "eq",  "ne",  "lt",  "le",  "gt",  "ge",      "logical_and", "logical_or", "logical_xor",
      "bitwise_and", "bitwise_or", "bitwise_xor"};
  static_assert(std::size(kNames) == static_cast<size_t>(BinaryOp::BitwiseXor) + 1);
  return kNames[static_cast<size_t>(op)];
}

using scalar::int_pow;
using scalar::python_floordiv;
using scalar::python_mod;

// The element function of `Op` on T; comparisons and logical ops return bool.
template <BinaryOp Op, typename T>
struct BinaryFn {
  __device__ auto operator()(T x, T y) const {
    if constexpr (Op == BinaryOp::Eq) return x == y;
    else if constexpr (Op == BinaryOp::Ne) return x != y;
    else if constexpr (Op == BinaryOp::Lt) return x < y;
    else if constexpr (Op == BinaryOp::Le) return x <= y;
    else if constexpr (Op == BinaryOp::Gt) return x > y;
    else if constexpr (Op == BinaryOp::Ge) return x >= y;
    else if constexpr (Op == BinaryOp::LogicalAnd) return x != T(0) && y != T(0);
    else if constexpr (Op == BinaryOp::LogicalOr) return x != T(0) || y != T(0);
    else if constexpr (Op == BinaryOp::LogicalXor) return (x != T(0)) != (y != T(0));
    else if constexpr (kIsBool<T>) {
      if constexpr (Op == BinaryOp::Add || Op == BinaryOp::BitwiseOr || Op == BinaryOp::Maximum) return x || y;
      else if constexpr (Op == BinaryOp::Mul || Op == BinaryOp::BitwiseAnd || Op == BinaryOp::Minimum) return x && y;
      else if constexpr (Op == BinaryOp::BitwiseXor) return x != y;
      else static_assert(Op != Op, "no bool kernel");
    } else {
      if constexpr (Op == BinaryOp::Add) return static_cast<T>(x + y);
      else if constexpr (Op == BinaryOp::Sub) return static_cast<T>(x - y);
      else if constexpr (Op == BinaryOp::Mul) return static_cast<T>(x * y);
      else if constexpr (Op == BinaryOp::Div) return static_cast<T>(x / y);
      // NaN propagates through maximum/minimum, as in PyTorch.
      else if constexpr (Op == BinaryOp::Maximum) return (x != x || x > y) ? x : y;
      else if constexpr (Op == BinaryOp::Minimum) return (x != x || x < y) ? x : y;
      else if constexpr (Op == BinaryOp::Remainder) return python_mod(x, y);
      else if constexpr (Op == BinaryOp::FloorDivide) return python_floordiv(x, y);
      else if constexpr (Op == BinaryOp::Pow) {
        if constexpr (kIsFloat<T>) return pow(x, y);
        else return int_pow(x, y);
      } else if constexpr (Op == BinaryOp::Atan2) return atan2(x, y);
      else if constexpr (Op == BinaryOp::ThresholdBackward) return y <= T(0) ? T(0) : x;
      else if constexpr (Op == BinaryOp::BitwiseAnd) return static_cast<T>(x & y);
      else if constexpr (Op == BinaryOp::BitwiseOr) return static_cast<T>(x | y);
      else if constexpr (Op == BinaryOp::BitwiseXor) return static_cast<T>(x ^ y);
      else static_assert(Op != Op, "unknown binary op");
    }
  }
};

// Which (op, dtype) pairs have a kernel: the CPU backend's set.
template <BinaryOp Op, typename T>
constexpr bool binary_supported() {
  if constexpr (is_comparison_or_logical(Op)) return true;
  else if constexpr (kIsBool<T>)
    return Op == BinaryOp::Add || Op == BinaryOp::Mul || Op == BinaryOp::Maximum || Op == BinaryOp::Minimum ||
           Op == BinaryOp::BitwiseAnd || Op == BinaryOp::BitwiseOr || Op == BinaryOp::BitwiseXor;
  else if constexpr (kIsFloat<T>) return Op < BinaryOp::Eq;  // arithmetic, no bitwise
  else return Op != BinaryOp::Atan2;
}

template <BinaryOp Op, typename T>
void run(const Tensor& out, const Tensor& a, const Tensor& b) {
  if constexpr (binary_supported<Op, T>()) {
    using Out = std::conditional_t<is_comparison_or_logical(Op), bool, T>;
    launch_binary<Out, T>(out, a, b, BinaryFn<Op, T>{}, binary_name(Op));
  } else {
    WICK_THROW(NotImplementedError, binary_name(Op), ": no CUDA kernel for dtype ", a.dtype());
  }
}

}  // namespace

void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  WICK_CHECK(a.dtype() == b.dtype(), TypeError, binary_name(op), ": CUDA kernel operands must share a dtype, got ",
             a.dtype(), " and ", b.dtype());
  dispatch_dtype(a.dtype(), binary_name(op), [&]<typename T>() {
    switch (op) {
      case BinaryOp::Add: return run<BinaryOp::Add, T>(out, a, b);
      case BinaryOp::Sub: return run<BinaryOp::Sub, T>(out, a, b);
      case BinaryOp::Mul: return run<BinaryOp::Mul, T>(out, a, b);
      case BinaryOp::Div: return run<BinaryOp::Div, T>(out, a, b);
      case BinaryOp::Pow: return run<BinaryOp::Pow, T>(out, a, b);
      case BinaryOp::Maximum: return run<BinaryOp::Maximum, T>(out, a, b);
      case BinaryOp::Minimum: return run<BinaryOp::Minimum, T>(out, a, b);
      case BinaryOp::Remainder: return run<BinaryOp::Remainder, T>(out, a, b);
      case BinaryOp::FloorDivide: return run<BinaryOp::FloorDivide, T>(out, a, b);
      case BinaryOp::Atan2: return run<BinaryOp::Atan2, T>(out, a, b);
      case BinaryOp::ThresholdBackward: return run<BinaryOp::ThresholdBackward, T>(out, a, b);
      case BinaryOp::Eq: return run<BinaryOp::Eq, T>(out, a, b);
      case BinaryOp::Ne: return run<BinaryOp::Ne, T>(out, a, b);
      case BinaryOp::Lt: return run<BinaryOp::Lt, T>(out, a, b);
      case BinaryOp::Le: return run<BinaryOp::Le, T>(out, a, b);
      case BinaryOp::Gt: return run<BinaryOp::Gt, T>(out, a, b);
      case BinaryOp::Ge: return run<BinaryOp::Ge, T>(out, a, b);
      case BinaryOp::LogicalAnd: return run<BinaryOp::LogicalAnd, T>(out, a, b);
      case BinaryOp::LogicalOr: return run<BinaryOp::LogicalOr, T>(out, a, b);
      case BinaryOp::LogicalXor: return run<BinaryOp::LogicalXor, T>(out, a, b);
      case BinaryOp::BitwiseAnd: return run<BinaryOp::BitwiseAnd, T>(out, a, b);
      case BinaryOp::BitwiseOr: return run<BinaryOp::BitwiseOr, T>(out, a, b);
      case BinaryOp::BitwiseXor: return run<BinaryOp::BitwiseXor, T>(out, a, b);
    }
    WICK_THROW(NotImplementedError, "binary op ", static_cast<int>(op), ": no CUDA kernel");
  });
}

}  // namespace wick::cuda
