// CPU kernels of the elementwise families: fill, copy, unary, binary, where,
// arange and random.
#include <cmath>
#include <limits>
#include <type_traits>

#include "backends/cpu/cpu_backend.h"
#include "backends/scalar_math.h"
#include "backends/cpu/loops.h"
#include "core/generator.h"

namespace wick::cpu {

namespace {

template <typename T>
constexpr bool kIsFloat = std::is_floating_point_v<T>;
template <typename T>
constexpr bool kIsBool = std::is_same_v<T, bool>;

using scalar::int_pow;
using scalar::python_floordiv;
using scalar::python_mod;

template <typename T>
T gelu_exact(T x) {
  return static_cast<T>(0.5) * x * (1 + std::erf(x * static_cast<T>(M_SQRT1_2)));
}
template <typename T>
T gelu_tanh(T x) {
  const T k = static_cast<T>(M_2_SQRTPI * M_SQRT1_2);  // sqrt(2/pi)
  return static_cast<T>(0.5) * x * (1 + std::tanh(k * (x + static_cast<T>(0.044715) * x * x * x)));
}
template <typename T>
T sigmoid(T x) {
  return 1 / (1 + std::exp(-x));
}

[[noreturn]] void unsupported(const char* family, int op, ScalarType t) {
  WICK_THROW(NotImplementedError, "cpu ", family, " kernel ", op, " does not support dtype ", t);
}

template <typename T>
void unary_typed(UnaryOp op, const Tensor& out, const Tensor& in, const UnaryArgs& args) {
  auto run = [&](auto f) { unary_loop<T, T>(out, in, f); };
  if constexpr (kIsFloat<T>) {
    switch (op) {
      case UnaryOp::Exp: return run([](T x) { return std::exp(x); });
      case UnaryOp::Log: return run([](T x) { return std::log(x); });
      case UnaryOp::Log1p: return run([](T x) { return std::log1p(x); });
      case UnaryOp::Sqrt: return run([](T x) { return std::sqrt(x); });
      case UnaryOp::Rsqrt: return run([](T x) { return 1 / std::sqrt(x); });
      case UnaryOp::Sin: return run([](T x) { return std::sin(x); });
      case UnaryOp::Cos: return run([](T x) { return std::cos(x); });
      case UnaryOp::Tanh: return run([](T x) { return std::tanh(x); });
      case UnaryOp::Sigmoid: return run([](T x) { return sigmoid(x); });
      case UnaryOp::Gelu: return run([](T x) { return gelu_exact(x); });
      case UnaryOp::GeluTanh: return run([](T x) { return gelu_tanh(x); });
      case UnaryOp::Silu: return run([](T x) { return x * sigmoid(x); });
      case UnaryOp::Reciprocal: return run([](T x) { return 1 / x; });
      case UnaryOp::Erf: return run([](T x) { return std::erf(x); });
      case UnaryOp::Floor: return run([](T x) { return std::floor(x); });
      case UnaryOp::Ceil: return run([](T x) { return std::ceil(x); });
      case UnaryOp::Round: return run([](T x) { return std::nearbyint(x); });  // half to even
      case UnaryOp::Trunc: return run([](T x) { return std::trunc(x); });
      case UnaryOp::LeakyRelu: {
        const T slope = static_cast<T>(args.a);
        return run([slope](T x) { return x > 0 ? x : x * slope; });
      }
      default: break;
    }
  }
  if constexpr (!kIsBool<T>) {
    switch (op) {
      case UnaryOp::Neg: return run([](T x) { return static_cast<T>(-x); });
      case UnaryOp::Abs: return run([](T x) {
        if constexpr (std::is_unsigned_v<T>) return x;
        else return static_cast<T>(x < 0 ? -x : x);
      });
      case UnaryOp::Sign: return run([](T x) { return static_cast<T>((T(0) < x) - (x < T(0))); });
      // NaN passes through relu and clamp, as in PyTorch.
      case UnaryOp::Relu: return run([](T x) { return x < 0 ? T(0) : x; });
      case UnaryOp::Clamp: {
        const T lo = args.has_a ? static_cast<T>(args.a) : std::numeric_limits<T>::lowest();
        const T hi = args.has_b ? static_cast<T>(args.b) : std::numeric_limits<T>::max();
        return run([lo, hi](T x) { return x < lo ? lo : (x > hi ? hi : x); });
      }
      case UnaryOp::Floor:
      case UnaryOp::Ceil:
      case UnaryOp::Round:
      case UnaryOp::Trunc: return run([](T x) { return x; });
      default: break;
    }
  }
  if constexpr (!kIsFloat<T>) {
    if (op == UnaryOp::BitwiseNot) {
      if constexpr (kIsBool<T>) return run([](T x) { return !x; });
      else return run([](T x) { return static_cast<T>(~x); });
    }
  }
  unsupported("unary", static_cast<int>(op), out.dtype());
}

template <typename T>
void binary_typed(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  auto run = [&](auto f) { binary_loop<T, T, T>(out, a, b, f); };
  auto cmp = [&](auto f) { binary_loop<bool, T, T>(out, a, b, f); };
  switch (op) {
    case BinaryOp::Eq: return cmp([](T x, T y) { return x == y; });
    case BinaryOp::Ne: return cmp([](T x, T y) { return x != y; });
    case BinaryOp::Lt: return cmp([](T x, T y) { return x < y; });
    case BinaryOp::Le: return cmp([](T x, T y) { return x <= y; });
    case BinaryOp::Gt: return cmp([](T x, T y) { return x > y; });
    case BinaryOp::Ge: return cmp([](T x, T y) { return x >= y; });
    case BinaryOp::LogicalAnd: return cmp([](T x, T y) { return x != T(0) && y != T(0); });
    case BinaryOp::LogicalOr: return cmp([](T x, T y) { return x != T(0) || y != T(0); });
    case BinaryOp::LogicalXor: return cmp([](T x, T y) { return (x != T(0)) != (y != T(0)); });
    default: break;
  }
  if constexpr (kIsBool<T>) {
    switch (op) {
      case BinaryOp::Add:
      case BinaryOp::BitwiseOr:
      case BinaryOp::Maximum: return run([](T x, T y) { return x || y; });
      case BinaryOp::Mul:
      case BinaryOp::BitwiseAnd:
      case BinaryOp::Minimum: return run([](T x, T y) { return x && y; });
      case BinaryOp::BitwiseXor: return run([](T x, T y) { return x != y; });
      default: break;
    }
  } else {
    switch (op) {
      case BinaryOp::Add: return run([](T x, T y) { return static_cast<T>(x + y); });
      case BinaryOp::Sub: return run([](T x, T y) { return static_cast<T>(x - y); });
      case BinaryOp::Mul: return run([](T x, T y) { return static_cast<T>(x * y); });
      case BinaryOp::Div: return run([](T x, T y) { return static_cast<T>(x / y); });
      // NaN propagates through maximum/minimum, as in PyTorch.
      case BinaryOp::Maximum: return run([](T x, T y) { return (x != x || x > y) ? x : y; });
      case BinaryOp::Minimum: return run([](T x, T y) { return (x != x || x < y) ? x : y; });
      case BinaryOp::Remainder: return run([](T x, T y) { return python_mod(x, y); });
      case BinaryOp::FloorDivide: return run([](T x, T y) { return python_floordiv(x, y); });
      case BinaryOp::Pow:
        if constexpr (kIsFloat<T>) return run([](T x, T y) { return std::pow(x, y); });
        else return run([](T x, T y) { return int_pow(x, y); });
      case BinaryOp::Atan2:
        if constexpr (kIsFloat<T>) return run([](T x, T y) { return std::atan2(x, y); });
        break;
      case BinaryOp::ThresholdBackward: return run([](T g, T y) { return y <= T(0) ? T(0) : g; });
      case BinaryOp::BitwiseAnd:
        if constexpr (!kIsFloat<T>) return run([](T x, T y) { return static_cast<T>(x & y); });
        break;
      case BinaryOp::BitwiseOr:
        if constexpr (!kIsFloat<T>) return run([](T x, T y) { return static_cast<T>(x | y); });
        break;
      case BinaryOp::BitwiseXor:
        if constexpr (!kIsFloat<T>) return run([](T x, T y) { return static_cast<T>(x ^ y); });
        break;
      default: break;
    }
  }
  unsupported("binary", static_cast<int>(op), a.dtype());
}

}  // namespace

void fill(const Tensor& dst, Scalar value) {
  dispatch_dtype(dst.dtype(), "fill", [&]<typename T>() {
    const T v = value.to<T>();
    StridedLoop<1> loop({&dst});
    loop.run([v](char** p, const int64_t* s, int64_t n) {
      if (s[0] == sizeof(T)) {
        T* o = reinterpret_cast<T*>(p[0]);
        for (int64_t i = 0; i < n; ++i) o[i] = v;
      } else {
        for (int64_t i = 0; i < n; ++i) *reinterpret_cast<T*>(p[0] + i * s[0]) = v;
      }
    });
  });
}

void copy(const Tensor& dst, const Tensor& src) {
  dispatch_dtype(dst.dtype(), "copy", [&]<typename D>() {
    dispatch_dtype(src.dtype(), "copy", [&]<typename S>() {
      unary_loop<D, S>(dst, src, [](S x) {
        if constexpr (std::is_same_v<D, bool>) return x != S(0);
        else return static_cast<D>(x);
      });
    });
  });
}

void unary(UnaryOp op, const Tensor& out, const Tensor& in, const UnaryArgs& args) {
  switch (op) {
    case UnaryOp::IsNan:
      return dispatch_dtype(in.dtype(), "isnan", [&]<typename T>() {
        unary_loop<bool, T>(out, in, [](T x) { return x != x; });
      });
    case UnaryOp::IsInf:
      return dispatch_dtype(in.dtype(), "isinf", [&]<typename T>() {
        unary_loop<bool, T>(out, in, [](T x) {
          if constexpr (kIsFloat<T>) return std::isinf(x);
          else return false;
        });
      });
    case UnaryOp::LogicalNot:
      return dispatch_dtype(in.dtype(), "logical_not", [&]<typename T>() {
        unary_loop<bool, T>(out, in, [](T x) { return x == T(0); });
      });
    default:
      return dispatch_dtype(in.dtype(), "unary", [&]<typename T>() { unary_typed<T>(op, out, in, args); });
  }
}

void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  dispatch_dtype(a.dtype(), "binary", [&]<typename T>() { binary_typed<T>(op, out, a, b); });
}

void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  dispatch_dtype(out.dtype(), "where", [&]<typename T>() {
    ternary_loop<T, bool, T, T>(out, cond, a, b, [](bool c, T x, T y) { return c ? x : y; });
  });
}

void arange(const Tensor& dst, double start, double step) {
  dispatch_dtype(dst.dtype(), "arange", [&]<typename T>() {
    T* o = dst.data_ptr<T>();
    parallel_for(dst.numel(), kParallelGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) o[i] = static_cast<T>(start + static_cast<double>(i) * step);
    });
  });
}

namespace {
// A uniform double in [0, 1) from 53 random bits.
inline double uniform01(uint32_t hi, uint32_t lo) {
  const uint64_t bits = (static_cast<uint64_t>(hi) << 21) ^ (lo >> 11);
  return static_cast<double>(bits & ((uint64_t{1} << 53) - 1)) * 0x1.0p-53;
}
}  // namespace

void random(RandomOp op, const Tensor& dst, double a, double b, Generator& gen) {
  // Element i draws from Philox counter first + i (see core/generator.h), so
  // the values do not depend on how the loop is split across threads.
  const uint64_t first = gen.reserve(static_cast<uint64_t>(dst.numel()));
  const uint64_t key = gen.initial_seed();
  dispatch_dtype(dst.dtype(), "random", [&]<typename T>() {
    T* o = dst.data_ptr<T>();  // ops/creation.cpp passes contiguous tensors
    parallel_for(dst.numel(), kParallelGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const auto r = philox4x32(key, first + static_cast<uint64_t>(i));
        switch (op) {
          case RandomOp::Uniform: {
            T v = static_cast<T>(a + (b - a) * uniform01(r[0], r[1]));
            if constexpr (kIsFloat<T>) {
              if (v >= static_cast<T>(b)) v = std::nextafter(static_cast<T>(b), static_cast<T>(a));  // rounding
            }
            o[i] = v;
            break;
          }
          case RandomOp::Normal: {  // Box-Muller
            const double u1 = 1.0 - uniform01(r[0], r[1]), u2 = uniform01(r[2], r[3]);
            o[i] = static_cast<T>(a + b * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2));
            break;
          }
          case RandomOp::RandInt: {
            const uint64_t range = static_cast<uint64_t>(b - a);
            const uint64_t bits = (static_cast<uint64_t>(r[0]) << 32) | r[1];
            o[i] = static_cast<T>(static_cast<int64_t>(a) + static_cast<int64_t>(bits % range));
            break;
          }
          case RandomOp::Bernoulli: o[i] = static_cast<T>(uniform01(r[0], r[1]) < a); break;
        }
      }
    });
  });
}

}  // namespace wick::cpu
