// The backend interface: what a device must provide for the ops in ops/ to
// run on it.
//
// A backend is one table of kernel function pointers, one per primitive
// family; the op kinds inside a family are enums (candle's design). An op in
// ops/ checks its arguments, works out the output's shape and dtype, allocates
// it, and calls `backend(device).family(...)`. Kernels receive tensors whose
// shapes already agree (broadcast inputs arrive as stride-0 views) and whose
// dtypes are already the compute dtype, so device and dtype checks live once,
// above the kernels. A null entry means the device lacks that kernel; calling
// it through kernel() raises NotImplementedError naming the op and device.
#pragma once

#include <cstdint>
#include <optional>

#include "core/tensor.h"

namespace wick {

class Generator;

enum class UnaryOp : uint8_t {
  Neg, Exp, Log, Log1p, Sqrt, Rsqrt, Abs, Sign, Sin, Cos, Tanh, Sigmoid, Relu, LeakyRelu,
  Gelu, GeluTanh, Silu, Clamp, Reciprocal, Floor, Ceil, Round, Trunc, Erf,
  LogicalNot, BitwiseNot, IsNan, IsInf,
};

// Parameters of the unary ops that take some (LeakyRelu: slope in a; Clamp:
// bounds in a and b, each optional).
struct UnaryArgs {
  double a = 0, b = 0;
  bool has_a = false, has_b = false;
};

enum class BinaryOp : uint8_t {
  Add, Sub, Mul, Div, Pow, Maximum, Minimum, Remainder, FloorDivide, Atan2,
  Eq, Ne, Lt, Le, Gt, Ge,
  LogicalAnd, LogicalOr, LogicalXor, BitwiseAnd, BitwiseOr, BitwiseXor,
};

// Comparisons and logical ops write bool; the rest write the compute dtype.
constexpr bool is_comparison_or_logical(BinaryOp op) { return op >= BinaryOp::Eq && op <= BinaryOp::LogicalXor; }

enum class ReduceOp : uint8_t { Sum, Prod, Max, Min, ArgMax, ArgMin, Any, All };

enum class RandomOp : uint8_t { Uniform, Normal, RandInt, Bernoulli };

struct Backend {
  const char* name;

  // dst = value, for every element of dst (any strides).
  void (*fill)(const Tensor& dst, Scalar value);
  // dst = src, elementwise over equal shapes, converting dtype; src may be a
  // stride-0 broadcast. Between devices, the backend of the non-CPU side runs.
  void (*copy)(const Tensor& dst, const Tensor& src);
  // out = op(in), equal shapes and dtypes except IsNan/IsInf/LogicalNot (bool out).
  void (*unary)(UnaryOp op, const Tensor& out, const Tensor& in, const UnaryArgs& args);
  // out = op(a, b); a and b share the compute dtype and out's shape.
  void (*binary)(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b);
  // out = cond ? a : b; cond is bool; a, b and out share a dtype.
  void (*where)(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b);
  // Reduces `in` over `dims` into out (keepdim shape: reduced dims have size 1).
  // Max/Min also write the position along the single reduced dim to indices
  // (int64) when it is defined; ArgMax/ArgMin write only indices.
  void (*reduce)(ReduceOp op, const Tensor& out, const Tensor& indices, const Tensor& in, IntArrayRef dims);
  // out = alpha * a @ b + beta * out, batched: a [B, n, k], b [B, k, m], out
  // [B, n, m], any strides (beta == 0 ignores out's old values, even NaN).
  void (*matmul)(const Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta);
  // out = in.index_select(dim, index) for an int64 index vector.
  void (*index_select)(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index);
  // out[..i..] = in[..index[..i..]..] along dim (index has out's shape).
  void (*gather)(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index);
  // self[..index[..i..]..] = src[..i..] (accumulate: +=) along dim.
  void (*scatter)(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, bool accumulate);
  // self.index_select(dim, index) += src (the backward of index_select and embedding).
  void (*index_add)(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
  // Fills dst with random values: Uniform [a, b), Normal (mean a, std b),
  // RandInt [a, b), Bernoulli (probability a).
  void (*random)(RandomOp op, const Tensor& dst, double a, double b, Generator& gen);
  // dst[i] = start + i * step for a contiguous 1-D dst.
  void (*arange)(const Tensor& dst, double start, double step);
};

// The backend of a device type; throws if wick was built without it.
const Backend& backend(Device device);

// The kernel `member` of the device's backend, or NotImplementedError naming op and device.
template <typename Fn>
Fn kernel(Device device, Fn Backend::*member, const char* op) {
  const Backend& b = backend(device);
  Fn fn = b.*member;
  WICK_CHECK(fn != nullptr, NotImplementedError, op, ": not implemented for device ", device,
             " (backend '", b.name, "')");
  return fn;
}

}  // namespace wick
