// CUDA unary kernels, with the CPU backend's semantics (backends/cpu/elementwise.cpp).
#include <iterator>
#include <limits>

#include "backends/cuda/loops.cuh"

namespace wick::cuda {

namespace {

const char* unary_name(UnaryOp op) {
  static constexpr const char* kNames[] = {
      "neg",        "exp",   "log",        "log1p", "sqrt",  "rsqrt", "abs",         "sign",
      "sin",        "cos",   "tanh",       "sigmoid", "relu", "leaky_relu", "gelu", "gelu(tanh)",
      "silu",       "clamp", "reciprocal", "floor", "ceil",  "round", "trunc",       "erf",
      "logical_not", "bitwise_not", "isnan", "isinf"};
  static_assert(std::size(kNames) == static_cast<size_t>(UnaryOp::IsInf) + 1);
  return kNames[static_cast<size_t>(op)];
}

// The element function of `Op` on T; `a`, `b` hold LeakyRelu's slope or Clamp's bounds.
template <UnaryOp Op, typename T>
struct UnaryFn {
  T a{}, b{};
  __device__ T operator()(T x) const {
    if constexpr (Op == UnaryOp::Exp) return exp(x);
    else if constexpr (Op == UnaryOp::Log) return log(x);
    else if constexpr (Op == UnaryOp::Log1p) return log1p(x);
    else if constexpr (Op == UnaryOp::Sqrt) return sqrt(x);
    else if constexpr (Op == UnaryOp::Rsqrt) return T(1) / sqrt(x);
    else if constexpr (Op == UnaryOp::Sin) return sin(x);
    else if constexpr (Op == UnaryOp::Cos) return cos(x);
    else if constexpr (Op == UnaryOp::Tanh) return tanh(x);
    else if constexpr (Op == UnaryOp::Sigmoid) return T(1) / (T(1) + exp(-x));
    else if constexpr (Op == UnaryOp::Gelu) return T(0.5) * x * (T(1) + erf(x * T(M_SQRT1_2)));
    else if constexpr (Op == UnaryOp::GeluTanh) {
      const T k = T(M_2_SQRTPI * M_SQRT1_2);  // sqrt(2/pi)
      return T(0.5) * x * (T(1) + tanh(k * (x + T(0.044715) * x * x * x)));
    } else if constexpr (Op == UnaryOp::Silu) return x * (T(1) / (T(1) + exp(-x)));
    else if constexpr (Op == UnaryOp::Reciprocal) return T(1) / x;
    else if constexpr (Op == UnaryOp::Erf) return erf(x);
    else if constexpr (Op == UnaryOp::LeakyRelu) return x > T(0) ? x : x * a;
    else if constexpr (Op == UnaryOp::Neg) return static_cast<T>(-x);
    else if constexpr (Op == UnaryOp::Abs) {
      if constexpr (std::is_unsigned_v<T>) return x;
      else return static_cast<T>(x < T(0) ? -x : x);
    } else if constexpr (Op == UnaryOp::Sign) {
      if constexpr (std::is_unsigned_v<T>) return static_cast<T>(x != T(0));
      else return static_cast<T>((T(0) < x) - (x < T(0)));
    } else if constexpr (Op == UnaryOp::Relu) {
      if constexpr (std::is_unsigned_v<T>) return x;
      else return x < T(0) ? T(0) : x;  // NaN passes, as in PyTorch
    } else if constexpr (Op == UnaryOp::Clamp) return x < a ? a : (x > b ? b : x);
    else if constexpr (Op == UnaryOp::Floor) {
      if constexpr (kIsFloat<T>) return floor(x);
      else return x;
    } else if constexpr (Op == UnaryOp::Ceil) {
      if constexpr (kIsFloat<T>) return ceil(x);
      else return x;
    } else if constexpr (Op == UnaryOp::Round) {
      if constexpr (kIsFloat<T>) return nearbyint(x);  // half to even
      else return x;
    } else if constexpr (Op == UnaryOp::Trunc) {
      if constexpr (kIsFloat<T>) return trunc(x);
      else return x;
    } else if constexpr (Op == UnaryOp::BitwiseNot) {
      if constexpr (kIsBool<T>) return !x;
      else return static_cast<T>(~x);
    } else {
      static_assert(Op != Op, "not a same-dtype unary op");
    }
  }
};

// Which (op, dtype) pairs have a kernel: the CPU backend's set.
template <UnaryOp Op, typename T>
constexpr bool unary_supported() {
  switch (Op) {
    case UnaryOp::Exp: case UnaryOp::Log: case UnaryOp::Log1p: case UnaryOp::Sqrt: case UnaryOp::Rsqrt:
    case UnaryOp::Sin: case UnaryOp::Cos: case UnaryOp::Tanh: case UnaryOp::Sigmoid: case UnaryOp::Gelu:
    case UnaryOp::GeluTanh: case UnaryOp::Silu: case UnaryOp::Reciprocal: case UnaryOp::Erf:
    case UnaryOp::LeakyRelu:
      return kIsFloat<T>;
    case UnaryOp::Neg: case UnaryOp::Abs: case UnaryOp::Sign: case UnaryOp::Relu: case UnaryOp::Clamp:
    case UnaryOp::Floor: case UnaryOp::Ceil: case UnaryOp::Round: case UnaryOp::Trunc:
      return !kIsBool<T>;
    case UnaryOp::BitwiseNot:
      return !kIsFloat<T>;
    default:
      return false;
  }
}

template <UnaryOp Op, typename T>
void run(const Tensor& out, const Tensor& in, const UnaryArgs& args) {
  if constexpr (unary_supported<Op, T>()) {
    UnaryFn<Op, T> f;
    if constexpr (Op == UnaryOp::LeakyRelu) f.a = static_cast<T>(args.a);
    if constexpr (Op == UnaryOp::Clamp) {
      f.a = args.has_a ? static_cast<T>(args.a) : std::numeric_limits<T>::lowest();
      f.b = args.has_b ? static_cast<T>(args.b) : std::numeric_limits<T>::max();
    }
    launch_unary<T, T>(out, in, f, unary_name(Op));
  } else {
    WICK_THROW(NotImplementedError, unary_name(Op), ": no CUDA kernel for dtype ", in.dtype());
  }
}

struct IsNanFn {
  template <typename T>
  __device__ bool operator()(T x) const { return x != x; }
};
struct IsInfFn {
  template <typename T>
  __device__ bool operator()(T x) const {
    if constexpr (kIsFloat<T>) return isinf(x);
    else return false;
  }
};
struct LogicalNotFn {
  template <typename T>
  __device__ bool operator()(T x) const { return x == T(0); }
};

}  // namespace

void unary(UnaryOp op, const Tensor& out, const Tensor& in, const UnaryArgs& args) {
  dispatch_dtype(in.dtype(), unary_name(op), [&]<typename T>() {
    switch (op) {
      case UnaryOp::IsNan: return launch_unary<bool, T>(out, in, IsNanFn{}, "isnan");
      case UnaryOp::IsInf: return launch_unary<bool, T>(out, in, IsInfFn{}, "isinf");
      case UnaryOp::LogicalNot: return launch_unary<bool, T>(out, in, LogicalNotFn{}, "logical_not");
      case UnaryOp::Neg: return run<UnaryOp::Neg, T>(out, in, args);
      case UnaryOp::Exp: return run<UnaryOp::Exp, T>(out, in, args);
      case UnaryOp::Log: return run<UnaryOp::Log, T>(out, in, args);
      case UnaryOp::Log1p: return run<UnaryOp::Log1p, T>(out, in, args);
      case UnaryOp::Sqrt: return run<UnaryOp::Sqrt, T>(out, in, args);
      case UnaryOp::Rsqrt: return run<UnaryOp::Rsqrt, T>(out, in, args);
      case UnaryOp::Abs: return run<UnaryOp::Abs, T>(out, in, args);
      case UnaryOp::Sign: return run<UnaryOp::Sign, T>(out, in, args);
      case UnaryOp::Sin: return run<UnaryOp::Sin, T>(out, in, args);
      case UnaryOp::Cos: return run<UnaryOp::Cos, T>(out, in, args);
      case UnaryOp::Tanh: return run<UnaryOp::Tanh, T>(out, in, args);
      case UnaryOp::Sigmoid: return run<UnaryOp::Sigmoid, T>(out, in, args);
      case UnaryOp::Relu: return run<UnaryOp::Relu, T>(out, in, args);
      case UnaryOp::LeakyRelu: return run<UnaryOp::LeakyRelu, T>(out, in, args);
      case UnaryOp::Gelu: return run<UnaryOp::Gelu, T>(out, in, args);
      case UnaryOp::GeluTanh: return run<UnaryOp::GeluTanh, T>(out, in, args);
      case UnaryOp::Silu: return run<UnaryOp::Silu, T>(out, in, args);
      case UnaryOp::Clamp: return run<UnaryOp::Clamp, T>(out, in, args);
      case UnaryOp::Reciprocal: return run<UnaryOp::Reciprocal, T>(out, in, args);
      case UnaryOp::Floor: return run<UnaryOp::Floor, T>(out, in, args);
      case UnaryOp::Ceil: return run<UnaryOp::Ceil, T>(out, in, args);
      case UnaryOp::Round: return run<UnaryOp::Round, T>(out, in, args);
      case UnaryOp::Trunc: return run<UnaryOp::Trunc, T>(out, in, args);
      case UnaryOp::Erf: return run<UnaryOp::Erf, T>(out, in, args);
      case UnaryOp::BitwiseNot: return run<UnaryOp::BitwiseNot, T>(out, in, args);
    }
    WICK_THROW(NotImplementedError, "unary op ", static_cast<int>(op), ": no CUDA kernel");
  });
}

}  // namespace wick::cuda
