// The element functions of wick's pointwise ops: one small struct per op,
// compiled by g++ for the CPU loops and by nvcc for the CUDA kernels, so the
// CPU tests check the very math every GPU kernel runs.
//
// Note [One definition per pointwise op]
// Each struct holds
//   - `name`: the op's name, used by dispatch errors and kernel launches;
//   - `Dtypes`: the dtypes it takes, one of Floating, FloatingOnly, Numbers,
//     IntegersAndBool or AnyDtype (Note [Which dtypes an op takes]);
//   - `operator()`: the math on one element (two for binary ops); its return
//     type is the output's element type (bool for predicates and comparisons);
//   - its parameters as members, if any (leaky_relu's slope, clamp's bounds).
// The op in ops/ that uses it (forward and derivative side by side) calls
// run_pointwise(F{...}, out, in...) (core/dispatch.h). A backend instantiates
// its kernel for every struct of UnaryFunctions / BinaryFunctions below; an
// op's number in the backend table is its position in that list, so there is
// no second table to keep in order. docs/adding-an-op.md is the recipe.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "core/special_math.h"

#ifdef __CUDACC__
#define WICK_HOST_DEVICE __host__ __device__
#else
#define WICK_HOST_DEVICE
#endif

namespace wick {

template <typename T>
inline constexpr bool kIsFloat = std::is_floating_point_v<T>;
template <typename T>
inline constexpr bool kIsBool = std::is_same_v<T, bool>;

// A list of types, and the position of one in it.
template <typename... Ts>
struct TypeList {
  static constexpr size_t size = sizeof...(Ts);
};
template <typename T, typename... Ts>
constexpr size_t index_in(TypeList<Ts...>) {
  constexpr bool hits[] = {std::is_same_v<T, Ts>...};
  for (size_t i = 0; i < sizeof...(Ts); ++i)
    if (hits[i]) return i;
  return sizeof...(Ts);
}

namespace pointwise {

// ---- which dtypes an op takes --------------------------------------------------------------------
//
// Note [Which dtypes an op takes]
// The one place an element function says which inputs it accepts; the ops
// and both backends read it, so what PyTorch refuses is refused everywhere:
//   - Floating: floats; an integer or bool input computes in the default
//     float dtype (PyTorch's exp(int), sigmoid(bool), int / int);
//   - FloatingOnly: floats; an integer or bool input is refused, as PyTorch's
//     gelu, silu, leaky_relu, hypot and logaddexp refuse them;
//   - Numbers: integers and floats, not bool (abs, floor, clamp, sub...);
//   - IntegersAndBool: the bitwise ops;
//   - Integers: integers only (gcd, lcm);
//   - AnyDtype: everything (add and mul of bools are `or` and `and`).
// A refused dtype is a NotImplementedError (a RuntimeError in Python) naming
// the op and the dtype, raised by the dispatch (core/dispatch.h). Checks that
// depend on more than the compute dtype (sub and neg of bools, relu of bools,
// clamp's bounds) stay in the op in ops/.
struct Floating {
  template <typename T>
  static constexpr bool takes = kIsFloat<T>;
};
struct FloatingOnly {
  template <typename T>
  static constexpr bool takes = kIsFloat<T>;
};
struct Numbers {  // integers and floats, not bool
  template <typename T>
  static constexpr bool takes = !kIsBool<T>;
};
struct IntegersAndBool {
  template <typename T>
  static constexpr bool takes = !kIsFloat<T>;
};
struct Integers {  // gcd, lcm
  template <typename T>
  static constexpr bool takes = !kIsFloat<T> && !kIsBool<T>;
};
struct AnyDtype {
  template <typename T>
  static constexpr bool takes = true;
};

// ---- scalar helpers both devices share -------------------------------------------------------------

// v converted to T, saturating at T's range (an absent clamp bound is +-inf).
template <typename T>
WICK_HOST_DEVICE T saturate(double v) {
  if constexpr (kIsFloat<T>) {
    return static_cast<T>(v);
  } else {
    if (!(v > static_cast<double>(std::numeric_limits<T>::lowest()))) return std::numeric_limits<T>::lowest();
    if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(v);
  }
}

// Python's a % b: the remainder takes the divisor's sign.
template <typename T>
WICK_HOST_DEVICE T python_mod(T a, T b) {
  if constexpr (kIsFloat<T>) {
    T r = std::fmod(a, b);
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
  } else if constexpr (std::is_unsigned_v<T>) {
    return a % b;
  } else {
    if (b == -1) return 0;  // INT_MIN % -1 would trap
    T r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
  }
}

// Python's a // b: rounds toward negative infinity.
//
// Note [Floor division of floats]
// floor(a / b) is wrong where a / b rounds up to a whole number (1 // 0.1 is
// 9: 0.1 is a little above 1/10, but 1 / 0.1 rounds to 10) and where b is
// infinite (-5 // inf is -1, floor(-0.0) is -0). PyTorch's div_floor_floating
// (Python's float floordiv) divides a - fmod(a, b), which is exactly a
// multiple of b, steps down one where the remainder's sign differs from b's,
// and rounds the quotient to the nearest whole number; a zero quotient takes
// the sign of a / b, and b == 0 gives the IEEE a / b.
template <typename T>
WICK_HOST_DEVICE T python_floordiv(T a, T b) {
  if constexpr (kIsFloat<T>) {
    if (b == 0) return a / b;
    const T mod = std::fmod(a, b);
    T div = (a - mod) / b;
    if (mod != 0 && (b < 0) != (mod < 0)) div -= T(1);
    if (div == 0) return std::copysign(T(0), a / b);
    T floordiv = std::floor(div);
    if (div - floordiv > T(0.5)) floordiv += T(1);
    return floordiv;
  } else if constexpr (std::is_unsigned_v<T>) {
    return a / b;
  } else {
    if (b == -1) return static_cast<T>(-static_cast<std::make_unsigned_t<T>>(a));  // INT_MIN / -1 would trap
    T q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
  }
}

// a / b rounded toward zero; for integers exact, in integer arithmetic
// (through a double, 2**62 + 1 would lose its last bits).
template <typename T>
WICK_HOST_DEVICE T trunc_div(T a, T b) {
  if constexpr (kIsFloat<T>) {
    return std::trunc(a / b);
  } else if constexpr (std::is_unsigned_v<T>) {
    return a / b;
  } else {
    if (b == -1) return static_cast<T>(-static_cast<std::make_unsigned_t<T>>(a));  // INT_MIN / -1 would trap
    return a / b;
  }
}

// v converted to the integer type T, saturating at T's range.
template <typename T>
WICK_HOST_DEVICE T saturate_int(int64_t v) {
  if constexpr (std::is_same_v<T, int64_t>) {
    return v;
  } else {
    if (v < static_cast<int64_t>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
    if (v > static_cast<int64_t>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(v);
  }
}

// base ** exp for integers, by squaring; negative powers as PyTorch: 1 ** -n
// is 1, (-1) ** -n is +-1, anything else is 0.
template <typename T>
WICK_HOST_DEVICE T int_pow(T base, T exp) {
  if constexpr (std::is_signed_v<T>) {
    if (exp < 0) return base == 1 ? 1 : (base == -1 ? ((exp & 1) ? -1 : 1) : 0);
  }
  T result = 1;
  while (exp) {
    if (exp & 1) result = static_cast<T>(result * base);
    exp >>= 1;
    base = static_cast<T>(base * base);
  }
  return result;
}

template <typename T>
WICK_HOST_DEVICE T logistic(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

// ---- unary: math in floating point ---------------------------------------------------------------

struct Exp {
  using Dtypes = Floating;
  static constexpr const char* name = "exp";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::exp(x); }
};
struct Expm1 {  // exp(x) - 1, accurate near 0
  using Dtypes = Floating;
  static constexpr const char* name = "expm1";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::expm1(x); }
};
struct Log {
  using Dtypes = Floating;
  static constexpr const char* name = "log";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::log(x); }
};
struct Log2 {
  using Dtypes = Floating;
  static constexpr const char* name = "log2";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::log2(x); }
};
struct Log10 {
  using Dtypes = Floating;
  static constexpr const char* name = "log10";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::log10(x); }
};
struct Log1p {
  using Dtypes = Floating;
  static constexpr const char* name = "log1p";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::log1p(x); }
};
struct Sqrt {
  using Dtypes = Floating;
  static constexpr const char* name = "sqrt";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::sqrt(x); }
};
struct Rsqrt {
  using Dtypes = Floating;
  static constexpr const char* name = "rsqrt";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return T(1) / std::sqrt(x); }
};
struct Reciprocal {
  using Dtypes = Floating;
  static constexpr const char* name = "reciprocal";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return T(1) / x; }
};
struct Sin {
  using Dtypes = Floating;
  static constexpr const char* name = "sin";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::sin(x); }
};
struct Cos {
  using Dtypes = Floating;
  static constexpr const char* name = "cos";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::cos(x); }
};
struct Tan {
  using Dtypes = Floating;
  static constexpr const char* name = "tan";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::tan(x); }
};
struct Asin {
  using Dtypes = Floating;
  static constexpr const char* name = "asin";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::asin(x); }
};
struct Acos {
  using Dtypes = Floating;
  static constexpr const char* name = "acos";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::acos(x); }
};
struct Atan {
  using Dtypes = Floating;
  static constexpr const char* name = "atan";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::atan(x); }
};
struct Sinh {
  using Dtypes = Floating;
  static constexpr const char* name = "sinh";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::sinh(x); }
};
struct Cosh {
  using Dtypes = Floating;
  static constexpr const char* name = "cosh";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::cosh(x); }
};
struct Tanh {
  using Dtypes = Floating;
  static constexpr const char* name = "tanh";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::tanh(x); }
};
struct Erf {
  using Dtypes = Floating;
  static constexpr const char* name = "erf";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::erf(x); }
};
struct Asinh {
  using Dtypes = Floating;
  static constexpr const char* name = "asinh";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::asinh(x); }
};
struct Acosh {
  using Dtypes = Floating;
  static constexpr const char* name = "acosh";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::acosh(x); }
};
struct Atanh {
  using Dtypes = Floating;
  static constexpr const char* name = "atanh";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::atanh(x); }
};
struct Erfc {  // 1 - erf(x), accurate where erf(x) is near 1
  using Dtypes = Floating;
  static constexpr const char* name = "erfc";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::erfc(x); }
};
struct Erfinv {
  using Dtypes = Floating;
  static constexpr const char* name = "erfinv";
  template <typename T> WICK_HOST_DEVICE T operator()(T y) const { return static_cast<T>(erfinv(static_cast<double>(y))); }

  // Note [erfinv]
  // C++ has no erfinv. Winitzki's closed form (2008) starts within 2e-3;
  // two Halley steps on f(x) = erf(x) - y, whose f'' = -2x f' makes the step
  // f / (f' + x f), bring it to double precision. For |y| near 1, f is
  // computed as (1 - |y|) - erfc(x): 1 - |y| is exact there and erfc keeps its
  // relative accuracy, where erf(x) - y would cancel to noise.
  WICK_HOST_DEVICE static double erfinv(double y) {
    if (!(y >= -1.0 && y <= 1.0)) return y - y + NAN;  // NaN in, or |y| > 1
    const double a = std::fabs(y);
    if (a == 1.0) return y * INFINITY;
    if (a == 0.0) return y;  // keeps -0
    constexpr double k = 0.147, two_over_pi_k = 2.0 / (3.14159265358979323846 * k);
    const double l = std::log((1.0 - a) * (1.0 + a));
    const double t = two_over_pi_k + 0.5 * l;
    double x = std::sqrt(std::sqrt(t * t - l / k) - t);
    for (int i = 0; i < 2; ++i) {
      const double f = a < 0.5 ? std::erf(x) - a : (1.0 - a) - std::erfc(x);
      const double fp = 1.1283791670955126 * std::exp(-x * x);  // 2 / sqrt(pi) e^(-x^2)
      x -= f / (fp + x * f);
    }
    return y < 0 ? -x : x;
  }
};
// Note [The gamma family]
// lgamma is the C library's. digamma and polygamma are computed in double:
//   digamma(x): the reflection psi(x) = psi(1 - x) - pi / tan(pi x) for x < 0,
//     the recurrence psi(x) = psi(x + 1) - 1/x up to x >= 10, then the
//     asymptotic series log x - 1/(2x) - sum B_2k / (2k x^2k). digamma(0) is
//     -inf and digamma at the negative integers NaN, as in PyTorch.
//   polygamma(n, x), n >= 1: (-1)^(n+1) n! zeta(n + 1, x), with the Hurwitz zeta
//     by Euler-Maclaurin summation: the first 9 terms directly, then the
//     integral, half the next term and 12 Bernoulli corrections (relative
//     error below 1e-15 for x > 0). At x = 0 and the negative integers: inf
//     for odd n, -inf for even n (PyTorch's signs at 0).
struct GammaFamily {
  static constexpr double kPi = 3.14159265358979323846;
  WICK_HOST_DEVICE static double digamma(double x) {
    if (x == 0) return std::copysign(INFINITY, -x);  // -inf at +0, inf at -0, as in PyTorch
    double result = 0;
    if (x < 0) {
      if (x == std::floor(x)) return NAN;  // the poles at negative integers
      result = -kPi / std::tan(kPi * x);
      x = 1 - x;
    }
    while (x < 10) {
      result -= 1 / x;
      x += 1;
    }
    const double z = 1 / (x * x);
    // B_2k / (2k): 1/12, -1/120, 1/252, -1/240, 1/132, -691/32760, 1/12
    const double series =
        z * (1.0 / 12 - z * (1.0 / 120 - z * (1.0 / 252 - z * (1.0 / 240 - z * (1.0 / 132 - z * (691.0 / 32760 - z / 12))))));
    return result + std::log(x) - 0.5 / x - series;
  }
  // zeta(s, q) = sum_k (q + k)^-s for s > 1.
  WICK_HOST_DEVICE static double hurwitz_zeta(double s, double q) {
    if (q <= 0 && q == std::floor(q)) return INFINITY;
    constexpr int kDirect = 9;
    // B_2j / (2j)!, j = 1..12
    constexpr double kB[12] = {1.0 / 12,
                               -1.0 / 720,
                               1.0 / 30240,
                               -1.0 / 1209600,
                               1.0 / 47900160,
                               -691.0 / 1307674368000.0,
                               1.0 / 74724249600.0,
                               -3617.0 / 10670622842880000.0,
                               43867.0 / 5109094217170944000.0,
                               -174611.0 / 802857662698291200000.0,
                               77683.0 / 14101100039391805440000.0,
                               -236364091.0 / 1693824136731743669452800000.0};
    double sum = 0;
    for (int k = 0; k < kDirect; ++k) sum += std::pow(q + k, -s);
    const double a = q + kDirect;
    sum += std::pow(a, 1 - s) / (s - 1) + 0.5 * std::pow(a, -s);
    // sum_j B_2j / (2j)! * s (s + 1) ... (s + 2j - 2) * a^(-s - 2j + 1)
    double rising = s, power = std::pow(a, -s - 1);
    for (int j = 0; j < 12; ++j) {
      sum += kB[j] * rising * power;
      rising *= (s + 2 * j + 1) * (s + 2 * j + 2);
      power /= a * a;
    }
    return sum;
  }
  WICK_HOST_DEVICE static double polygamma(int64_t n, double x) {
    if (n == 0) return digamma(x);
    if (x == -INFINITY) return NAN;
    if (x <= 0 && x == std::floor(x)) return n % 2 == 1 ? INFINITY : -INFINITY;  // the poles, signed as PyTorch's
    double factorial = 1;  // n! overflows double from n = 171 on
    for (int64_t k = 2; k <= n && factorial != INFINITY; ++k) factorial *= static_cast<double>(k);
    return (n % 2 == 1 ? 1.0 : -1.0) * factorial * hurwitz_zeta(static_cast<double>(n + 1), x);
  }
};
// torch.special's Bessel functions, erfcx, log_ndtr and ndtri (core/special_math.h): one element function
// for the family, `fn` choosing the function, so each backend builds one kernel for all fourteen.
struct Special {
  using Dtypes = Floating;
  static constexpr const char* name = "special";
  special_math::SpecialFn fn = special_math::SpecialFn::I0;
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(special_math::special(fn, static_cast<double>(x)));
  }
};
struct Lgamma {
  using Dtypes = Floating;
  static constexpr const char* name = "lgamma";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::lgamma(x); }
};
struct Digamma {
  using Dtypes = Floating;
  static constexpr const char* name = "digamma";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(GammaFamily::digamma(static_cast<double>(x)));
  }
};
struct Polygamma {
  using Dtypes = Floating;
  static constexpr const char* name = "polygamma";
  int64_t n = 1;
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(GammaFamily::polygamma(n, static_cast<double>(x)));
  }
};
struct Exp2 {
  using Dtypes = Floating;
  static constexpr const char* name = "exp2";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return std::exp2(x); }
};
struct Deg2Rad {
  using Dtypes = Floating;
  static constexpr const char* name = "deg2rad";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return x * static_cast<T>(0.017453292519943295); }
};
struct Rad2Deg {
  using Dtypes = Floating;
  static constexpr const char* name = "rad2deg";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return x * static_cast<T>(57.295779513082323); }
};
struct Sinc {  // sin(pi x) / (pi x), and 1 at 0
  using Dtypes = Floating;
  static constexpr const char* name = "sinc";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const {
    if (x == T(0)) return T(1);
    const T px = static_cast<T>(3.14159265358979323846) * x;
    return std::sin(px) / px;
  }
};
struct Frac {  // x - trunc(x): the fractional part, with x's sign
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "frac";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return x - std::trunc(x); }
};
struct Sigmoid {
  using Dtypes = Floating;
  static constexpr const char* name = "sigmoid";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return logistic(x); }
};
struct Silu {  // x * sigmoid(x)
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "silu";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return x * logistic(x); }
};
struct Gelu {  // x * Phi(x), Phi the standard normal CDF
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "gelu";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const {
    return T(0.5) * x * (T(1) + std::erf(x * T(M_SQRT1_2)));
  }
};
struct GeluTanh {  // gelu(approximate='tanh')
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "gelu";
  static constexpr double kSqrt2OverPi = M_2_SQRTPI * M_SQRT1_2, kCubic = 0.044715;
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const {
    return T(0.5) * x * (T(1) + std::tanh(T(kSqrt2OverPi) * (x + T(kCubic) * x * x * x)));
  }
};
// log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (as
// PyTorch). log1p(exp(z)) is PyTorch's formula; where exp(z) overflows (a
// threshold above ~88 for float) z + log1p(exp(-z)) is the same value.
struct Softplus {
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "softplus";
  double beta = 1, threshold = 20;
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const {
    const T z = x * T(beta);
    if (z > T(threshold)) return x;
    const T e = std::exp(z);
    return (std::isinf(e) ? z + std::log1p(std::exp(-z)) : std::log1p(e)) / T(beta);
  }
};
// log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), without overflow (PyTorch's form).
struct LogSigmoid {
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "log_sigmoid";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const {
    const T m = x < T(0) ? x : T(0);
    return m - std::log1p(std::exp(-std::fabs(x)));
  }
};
struct LeakyRelu {
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "leaky_relu";
  double negative_slope = 0.01;
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return x > T(0) ? x : x * T(negative_slope); }
};

// The MobileNetV3 activations: hardsigmoid = relu6(x + 3) / 6, hardswish = x hardsigmoid(x).
struct Hardsigmoid {
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "hardsigmoid";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const {
    const T y = x + T(3);  // NaN fails both tests and stays NaN
    return (y < T(0) ? T(0) : (y > T(6) ? T(6) : y)) / T(6);
  }
};
struct Hardswish {
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "hardswish";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return x * Hardsigmoid{}(x); }
};
// x tanh(softplus(x)) (Misra, 2019). With e = exp(x), tanh(log1p(e)) = n / (n + 2), n = e (e + 2): one exp
// instead of exp, log1p and tanh; where x > 20, tanh(softplus(x)) is 1 to the last bit of a double.
struct Mish {
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "mish";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const {
    if (x > T(20)) return x;
    const T e = std::exp(x);
    const T n = e * (e + T(2));
    return x * (n / (n + T(2)));
  }
};
// scale x where x > 0, scale alpha (exp(input_scale x) - 1) elsewhere: elu (scale 1, input_scale 1),
// celu (input_scale 1 / alpha) and selu (alpha and scale the self-normalizing constants), as PyTorch's elu.
struct Elu {
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "elu";
  double alpha = 1, scale = 1, input_scale = 1;
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const {
    if (x > T(0)) return x * T(scale);
    return std::expm1(x * T(input_scale)) * T(alpha * scale);
  }
};

// ---- unary: any number ---------------------------------------------------------------------------------

struct Neg {
  using Dtypes = Numbers;
  static constexpr const char* name = "neg";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const { return static_cast<T>(-x); }
};
struct Abs {
  using Dtypes = Numbers;
  static constexpr const char* name = "abs";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_unsigned_v<T>) return x;
    else return static_cast<T>(x < T(0) ? -x : x);
  }
};
struct Sign {  // sign(bool) is the bool itself, as in PyTorch
  using Dtypes = AnyDtype;
  static constexpr const char* name = "sign";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const {
    if constexpr (kIsBool<T>) return x;
    else if constexpr (std::is_unsigned_v<T>) return static_cast<T>(x != T(0));
    else return static_cast<T>((T(0) < x) - (x < T(0)));
  }
};
struct Relu {  // NaN passes, as in PyTorch
  using Dtypes = Numbers;
  static constexpr const char* name = "relu";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_unsigned_v<T>) return x;
    else return x < T(0) ? T(0) : x;
  }
};
// min(max(x, min), max) as PyTorch: max wins where min > max; a NaN input or
// bound gives NaN. An absent bound is -inf / +inf. Integer tensors use
// min_int / max_int, exact where a double is not (2**60 + 1), saturating at
// the dtype's range.
struct Clamp {
  using Dtypes = Numbers;
  static constexpr const char* name = "clamp";
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  int64_t min_int = std::numeric_limits<int64_t>::lowest();
  int64_t max_int = std::numeric_limits<int64_t>::max();
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const {
    T lo, hi;
    if constexpr (kIsFloat<T>) lo = saturate<T>(min), hi = saturate<T>(max);
    else lo = saturate_int<T>(min_int), hi = saturate_int<T>(max_int);
    if constexpr (kIsFloat<T>) {
      if (x != x) return x;
      if (lo != lo) return lo;
      if (hi != hi) return hi;
    }
    const T r = x < lo ? lo : x;
    return r > hi ? hi : r;
  }
};
// Rounding: integers are already whole.
struct Floor {
  using Dtypes = Numbers;
  static constexpr const char* name = "floor";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const {
    if constexpr (kIsFloat<T>) return std::floor(x);
    else return x;
  }
};
struct Ceil {
  using Dtypes = Numbers;
  static constexpr const char* name = "ceil";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const {
    if constexpr (kIsFloat<T>) return std::ceil(x);
    else return x;
  }
};
struct Round {  // halves to even
  using Dtypes = Numbers;
  static constexpr const char* name = "round";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const {
    if constexpr (kIsFloat<T>) return std::nearbyint(x);
    else return x;
  }
};
// round(x, decimals=d) as PyTorch computes it: nearbyint(x * 10^d) / 10^d,
// or for d < 0 nearbyint(x / 10^-d) * 10^-d, in x's own float type.
struct RoundDecimals {
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "round";
  double scale = 1;  // 10^|d|
  bool negative = false;  // d < 0
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const {
    const T s = static_cast<T>(scale);
    return negative ? std::nearbyint(x / s) * s : std::nearbyint(x * s) / s;
  }
};
struct Trunc {
  using Dtypes = Numbers;
  static constexpr const char* name = "trunc";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const {
    if constexpr (kIsFloat<T>) return std::trunc(x);
    else return x;
  }
};

// ---- unary: bits, and predicates (bool results) ------------------------------------------------------

struct BitwiseNot {
  using Dtypes = IntegersAndBool;
  static constexpr const char* name = "bitwise_not";
  template <typename T> WICK_HOST_DEVICE T operator()(T x) const {
    if constexpr (kIsBool<T>) return !x;
    else return static_cast<T>(~x);
  }
};
struct LogicalNot {
  using Dtypes = AnyDtype;
  static constexpr const char* name = "logical_not";
  template <typename T> WICK_HOST_DEVICE bool operator()(T x) const { return x == T(0); }
};
struct IsNan {
  using Dtypes = AnyDtype;
  static constexpr const char* name = "isnan";
  template <typename T> WICK_HOST_DEVICE bool operator()(T x) const { return x != x; }
};
struct IsInf {
  using Dtypes = AnyDtype;
  static constexpr const char* name = "isinf";
  template <typename T> WICK_HOST_DEVICE bool operator()(T x) const {
    if constexpr (kIsFloat<T>) return std::isinf(x);
    else return false;
  }
};

// ---- binary: arithmetic --------------------------------------------------------------------------------
// bool operands: add is `or`, mul is `and` (PyTorch's results for bool tensors).

struct Add {
  using Dtypes = AnyDtype;
  static constexpr const char* name = "add";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const {
    if constexpr (kIsBool<T>) return x || y;
    else return static_cast<T>(x + y);
  }
};
struct Sub {
  using Dtypes = Numbers;
  static constexpr const char* name = "sub";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const { return static_cast<T>(x - y); }
};
struct Mul {
  using Dtypes = AnyDtype;
  static constexpr const char* name = "mul";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const {
    if constexpr (kIsBool<T>) return x && y;
    else return static_cast<T>(x * y);
  }
};
struct Div {  // true division: integers divide as floats
  using Dtypes = Floating;
  static constexpr const char* name = "div";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const { return x / y; }
};
struct Remainder {  // Python's %, the sign of the divisor
  using Dtypes = Numbers;
  static constexpr const char* name = "remainder";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const { return python_mod(x, y); }
};
struct Fmod {  // C's fmod, the sign of the dividend
  using Dtypes = Numbers;
  static constexpr const char* name = "fmod";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const {
    if constexpr (kIsFloat<T>) return std::fmod(x, y);
    else if constexpr (std::is_signed_v<T>) return y == -1 ? T(0) : static_cast<T>(x % y);  // INT_MIN % -1 traps
    else return static_cast<T>(x % y);
  }
};
struct FloorDivide {  // Python's //
  using Dtypes = Numbers;
  static constexpr const char* name = "floor_divide";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const { return python_floordiv(x, y); }
};
struct TruncDivide {  // div(rounding_mode='trunc')
  using Dtypes = Numbers;
  static constexpr const char* name = "div_trunc";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const { return trunc_div(x, y); }
};
struct Pow {
  using Dtypes = Numbers;
  static constexpr const char* name = "pow";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const {
    if constexpr (kIsFloat<T>) return std::pow(x, y);
    else return int_pow(x, y);
  }
};
struct Atan2 {
  using Dtypes = Floating;
  static constexpr const char* name = "atan2";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const { return std::atan2(x, y); }
};
struct Hypot {  // sqrt(x^2 + y^2) without overflow
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "hypot";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const { return std::hypot(x, y); }
};
struct LogAddExp {  // log(exp(x) + exp(y)), shifted by the larger so nothing overflows
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "logaddexp";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const {
    const T m = x > y ? x : y;
    if (std::isinf(m) && x == y) return x;  // both -inf or both +inf
    return m + std::log1p(std::exp(-std::fabs(x - y)));
  }
};
struct Xlogy {  // x * log(y), and 0 where x is 0 (unless y is NaN)
  using Dtypes = Floating;
  static constexpr const char* name = "xlogy";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const {
    if (y != y) return y;
    return x == T(0) ? T(0) : x * std::log(y);
  }
};
struct Copysign {  // |x| with the sign of y
  using Dtypes = Floating;
  static constexpr const char* name = "copysign";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const { return std::copysign(x, y); }
};
// The greatest common divisor (non-negative; gcd(0, 0) = 0) and the least common multiple (|a / g * b|),
// in unsigned arithmetic: |INT64_MIN| and INT64_MIN % -1 would overflow (a trap) in signed arithmetic;
// results past T's range wrap, as in PyTorch.
template <typename T>
WICK_HOST_DEVICE std::make_unsigned_t<T> magnitude(T v) {
  using U = std::make_unsigned_t<T>;
  if constexpr (std::is_signed_v<T>) return v < T(0) ? static_cast<U>(U(0) - static_cast<U>(v)) : static_cast<U>(v);
  else return static_cast<U>(v);
}
template <typename T>
WICK_HOST_DEVICE std::make_unsigned_t<T> gcd_of(T x, T y) {
  auto a = magnitude(x), b = magnitude(y);
  while (b != 0) {
    const auto r = static_cast<decltype(a)>(a % b);
    a = b;
    b = r;
  }
  return a;
}
struct Gcd {
  using Dtypes = Integers;
  static constexpr const char* name = "gcd";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const { return static_cast<T>(gcd_of(x, y)); }
};
struct Lcm {
  using Dtypes = Integers;
  static constexpr const char* name = "lcm";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const {
    const auto g = gcd_of(x, y);
    if (g == 0) return T(0);
    return static_cast<T>(static_cast<decltype(g)>(magnitude(x) / g * magnitude(y)));
  }
};
// fmax/fmin ignore a NaN: the other element wins (NaN only when both are).
struct Fmax {
  using Dtypes = AnyDtype;
  static constexpr const char* name = "fmax";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const {
    if constexpr (kIsFloat<T>) return std::fmax(x, y);
    else if constexpr (kIsBool<T>) return x || y;
    else return x > y ? x : y;
  }
};
struct Fmin {
  using Dtypes = AnyDtype;
  static constexpr const char* name = "fmin";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const {
    if constexpr (kIsFloat<T>) return std::fmin(x, y);
    else if constexpr (kIsBool<T>) return x && y;
    else return x < y ? x : y;
  }
};
struct Heaviside {  // 0 below 0, y at 0, 1 above (a NaN x gives 0, as in PyTorch)
  using Dtypes = AnyDtype;
  static constexpr const char* name = "heaviside";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const {
    if constexpr (kIsBool<T>) return x || y;
    else return x == T(0) ? y : static_cast<T>(x > T(0));
  }
};
// NaN propagates through maximum/minimum, as in PyTorch.
struct Maximum {
  using Dtypes = AnyDtype;
  static constexpr const char* name = "maximum";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const {
    if constexpr (kIsBool<T>) return x || y;
    else return (x != x || x > y) ? x : y;
  }
};
struct Minimum {
  using Dtypes = AnyDtype;
  static constexpr const char* name = "minimum";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const {
    if constexpr (kIsBool<T>) return x && y;
    else return (x != x || x < y) ? x : y;
  }
};
// relu's backward in one pass: the gradient g where relu's output y is
// positive, else 0 (PyTorch's threshold_backward at threshold 0).
struct ReluGrad {
  using Dtypes = Numbers;
  static constexpr const char* name = "threshold_backward";
  template <typename T> WICK_HOST_DEVICE T operator()(T g, T y) const { return y <= T(0) ? T(0) : g; }
};

// The backward of the fused activations in one pass: g f'(x), with PyTorch's
// choice at the kinks (ops/unary.cpp composes the same from ops when the
// backward must itself be differentiable).
struct HardsigmoidGrad {  // 1/6 strictly inside (-3, 3)
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "hardsigmoid_backward";
  template <typename T> WICK_HOST_DEVICE T operator()(T g, T x) const {
    return x > T(-3) && x < T(3) ? g / T(6) : T(0);
  }
};
struct HardswishGrad {  // 0 below -3, x / 3 + 1/2 on [-3, 3], 1 above
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "hardswish_backward";
  template <typename T> WICK_HOST_DEVICE T operator()(T g, T x) const {
    if (x < T(-3)) return T(0);
    return x <= T(3) ? g * (x / T(3) + T(0.5)) : g;
  }
};
struct MishGrad {  // tanh(sp(x)) + x sigmoid(x) (1 - tanh(sp(x))^2), with one exp as Mish
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "mish_backward";
  template <typename T> WICK_HOST_DEVICE T operator()(T g, T x) const {
    if (x > T(20)) return g;
    const T e = std::exp(x);
    const T n = e * (e + T(2));
    const T t = n / (n + T(2));
    return g * (t + x * (e / (T(1) + e)) * (T(1) - t * t));
  }
};
struct EluGrad {  // scale alpha input_scale exp(input_scale x) where x <= 0 (0 included), else scale (NaN too)
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "elu_backward";
  double alpha = 1, scale = 1, input_scale = 1;
  template <typename T> WICK_HOST_DEVICE T operator()(T g, T x) const {
    if (x <= T(0)) return g * (std::exp(x * T(input_scale)) * T(alpha * scale * input_scale));
    return g * T(scale);
  }
};

// The backward of silu, gelu (both forms), softplus and log_sigmoid as one element function each, g the
// incoming gradient: what their nodes run when the backward need not be differentiable (ops/unary.cpp).
struct SiluGrad {  // d/dx x s(x) = s (1 + x (1 - s)), s = sigmoid(x)
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "silu_backward";
  template <typename T> WICK_HOST_DEVICE T operator()(T g, T x) const {
    const T s = logistic(x);
    return g * (s * (T(1) + x * (T(1) - s)));
  }
};
struct GeluGrad {  // d/dx x Phi(x) = Phi(x) + x phi(x); Phi(x) = erfc(-x / sqrt 2) / 2, exact in both tails
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "gelu_backward";
  template <typename T> WICK_HOST_DEVICE T operator()(T g, T x) const {
    const T cdf = T(0.5) * std::erfc(-x * T(M_SQRT1_2));
    const T pdf = std::exp(T(-0.5) * x * x) * T(0.5 * M_2_SQRTPI * M_SQRT1_2);
    return g * (cdf + x * pdf);
  }
};
struct GeluTanhGrad {  // the derivative of GeluTanh's formula
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "gelu_backward";
  template <typename T> WICK_HOST_DEVICE T operator()(T g, T x) const {
    const T k = T(GeluTanh::kSqrt2OverPi), c = T(GeluTanh::kCubic);
    const T x2 = x * x;
    const T th = std::tanh(k * (x + c * x2 * x));
    const T left = T(0.5) * (T(1) + th);
    const T right = T(0.5) * x * (T(1) - th * th) * k * (T(1) + T(3) * c * x2);
    return g * (left + right);
  }
};
struct SoftplusGrad {  // sigmoid(beta x), and 1 where beta x > threshold (Softplus is x there)
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "softplus_backward";
  double beta = 1, threshold = 20;
  template <typename T> WICK_HOST_DEVICE T operator()(T g, T x) const {
    const T z = x * T(beta);
    return z > T(threshold) ? g : g * logistic(z);
  }
};
struct LogSigmoidGrad {  // d/dx log(sigmoid(x)) = sigmoid(-x)
  using Dtypes = FloatingOnly;
  static constexpr const char* name = "log_sigmoid_backward";
  template <typename T> WICK_HOST_DEVICE T operator()(T g, T x) const { return g * logistic(-x); }
};

// ---- binary: comparisons and logic (bool results), bits ----------------------------------------------

struct Eq {
  using Dtypes = AnyDtype;
  static constexpr const char* name = "eq";
  template <typename T> WICK_HOST_DEVICE bool operator()(T x, T y) const { return x == y; }
};
struct Ne {
  using Dtypes = AnyDtype;
  static constexpr const char* name = "ne";
  template <typename T> WICK_HOST_DEVICE bool operator()(T x, T y) const { return x != y; }
};
struct Lt {
  using Dtypes = AnyDtype;
  static constexpr const char* name = "lt";
  template <typename T> WICK_HOST_DEVICE bool operator()(T x, T y) const { return x < y; }
};
struct Le {
  using Dtypes = AnyDtype;
  static constexpr const char* name = "le";
  template <typename T> WICK_HOST_DEVICE bool operator()(T x, T y) const { return x <= y; }
};
struct Gt {
  using Dtypes = AnyDtype;
  static constexpr const char* name = "gt";
  template <typename T> WICK_HOST_DEVICE bool operator()(T x, T y) const { return x > y; }
};
struct Ge {
  using Dtypes = AnyDtype;
  static constexpr const char* name = "ge";
  template <typename T> WICK_HOST_DEVICE bool operator()(T x, T y) const { return x >= y; }
};
struct LogicalAnd {
  using Dtypes = AnyDtype;
  static constexpr const char* name = "logical_and";
  template <typename T> WICK_HOST_DEVICE bool operator()(T x, T y) const { return x != T(0) && y != T(0); }
};
struct LogicalOr {
  using Dtypes = AnyDtype;
  static constexpr const char* name = "logical_or";
  template <typename T> WICK_HOST_DEVICE bool operator()(T x, T y) const { return x != T(0) || y != T(0); }
};
struct LogicalXor {
  using Dtypes = AnyDtype;
  static constexpr const char* name = "logical_xor";
  template <typename T> WICK_HOST_DEVICE bool operator()(T x, T y) const { return (x != T(0)) != (y != T(0)); }
};
struct BitwiseAnd {
  using Dtypes = IntegersAndBool;
  static constexpr const char* name = "bitwise_and";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const { return static_cast<T>(x & y); }
};
struct BitwiseOr {
  using Dtypes = IntegersAndBool;
  static constexpr const char* name = "bitwise_or";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const { return static_cast<T>(x | y); }
};
struct BitwiseXor {
  using Dtypes = IntegersAndBool;
  static constexpr const char* name = "bitwise_xor";
  template <typename T> WICK_HOST_DEVICE T operator()(T x, T y) const { return static_cast<T>(x ^ y); }
};

// torch.special's functions of two arguments (core/special_math.h): the orthogonal polynomials at x of
// degree n, the Hurwitz zeta function zeta(x, q) (GammaFamily's, with cephes's domain: nan for x < 1, inf at
// x = 1 and at non-positive integer q, nan for other negative q unless x is an integer), and the
// regularized incomplete gamma functions gammainc(a, x) and gammaincc(a, x).
struct SpecialBinary {
  enum Fn : uint8_t { Polynomial, Zeta, Gammainc, Gammaincc };
  using Dtypes = Floating;
  static constexpr const char* name = "special";
  Fn fn = Polynomial;
  special_math::Polynomial family = special_math::Polynomial::ChebyshevT;
  template <typename T> WICK_HOST_DEVICE T operator()(T a, T b) const {
    const double x = static_cast<double>(a), y = static_cast<double>(b);
    switch (fn) {
      case Polynomial: return static_cast<T>(special_math::polynomial(family, x, y));
      case Zeta: return static_cast<T>(zeta(x, y));
      case Gammainc: return static_cast<T>(special_math::incomplete_gamma(x, y, false));
      case Gammaincc: return static_cast<T>(special_math::incomplete_gamma(x, y, true));
    }
    return static_cast<T>(NAN);
  }
  WICK_HOST_DEVICE static double zeta(double x, double q) {
    if (std::isnan(x) || std::isnan(q)) return NAN;
    if (x == 1) return INFINITY;
    if (x < 1) return NAN;
    if (q <= 0) {
      if (q == std::floor(q)) return INFINITY;
      if (x != std::floor(x)) return NAN;  // q^-x is not real
    }
    if (std::isinf(q)) return 0;
    return GammaFamily::hurwitz_zeta(x, q);
  }
};

// ---- the lists the backends instantiate (order is free: positions are derived) -----------------------

using UnaryFunctions =
    TypeList<Exp, Expm1, Log, Log2, Log10, Log1p, Sqrt, Rsqrt, Reciprocal, Sin, Cos, Tan, Asin, Acos, Atan, Sinh,
             Cosh, Tanh, Erf, Sigmoid, Silu, Gelu, GeluTanh, LeakyRelu, Neg, Abs, Sign, Relu, Clamp, Floor, Ceil,
             Round, RoundDecimals, Trunc, BitwiseNot, LogicalNot, IsNan, IsInf, Softplus, LogSigmoid, Asinh, Acosh,
             Atanh, Erfc, Erfinv, Exp2, Deg2Rad, Rad2Deg, Frac, Sinc, Lgamma, Digamma, Polygamma, Special,
             Hardsigmoid, Hardswish, Mish, Elu>;
using BinaryFunctions =
    TypeList<Add, Sub, Mul, Div, Remainder, Fmod, FloorDivide, Pow, Atan2, Hypot, LogAddExp, Maximum, Minimum,
             ReluGrad, Eq, Ne, Lt, Le, Gt, Ge, LogicalAnd, LogicalOr, LogicalXor, BitwiseAnd, BitwiseOr, BitwiseXor,
             TruncDivide, Xlogy, Copysign, Fmax, Fmin, Heaviside, Gcd, Lcm, SpecialBinary, HardsigmoidGrad,
             HardswishGrad, MishGrad, EluGrad, SiluGrad, GeluGrad, GeluTanhGrad, SoftplusGrad, LogSigmoidGrad>;

// Whether F takes elements of type T.
template <typename F, typename T>
inline constexpr bool kTakes = F::Dtypes::template takes<T>;
// Whether F computes an integer or bool input in the default float dtype.
template <typename F>
inline constexpr bool kIntegersComputeAsFloat = std::is_same_v<typename F::Dtypes, Floating>;

// F's number in the backend tables.
template <typename F>
inline constexpr size_t kUnaryIndex = index_in<F>(UnaryFunctions{});
template <typename F>
inline constexpr size_t kBinaryIndex = index_in<F>(BinaryFunctions{});

// The element type F writes for inputs of type T.
template <typename F, typename T>
using UnaryResult = decltype(std::declval<const F&>()(std::declval<T>()));
template <typename F, typename T>
using BinaryResult = decltype(std::declval<const F&>()(std::declval<T>(), std::declval<T>()));

}  // namespace pointwise
}  // namespace wick
