// The per-element math of the random kernels (Backend::random, ::dropout),
// shared by the CPU loops and the CUDA kernels.
//
// Note [Random numbers across devices]
// Element i of a fill draws from Philox counter first + i (random) or from
// word i % 4 of counter first + i / 4 (dropout), core/generator.h, and turns
// those words into its value with the functions below, which both backends
// call. They are written so that a GPU computes the very bits the CPU does:
//   - integer arithmetic, and double +, -, *, / and sqrt, which IEEE 754
//     rounds the same everywhere;
//   - no fused multiply-add: nvcc contracts a * b + c by default, so on the
//     device every product feeding a sum is __dmul_rn (never contracted; the
//     one fma left in the PTX is 1 - k * 2^-53, whose product is exact), and
//     on the host it goes through an empty asm that g++ cannot fuse across,
//     even with -march=native;
//   - no libm: a normal's log and cos are the series below, not std::log /
//     std::cos, whose last bit differs between glibc and CUDA's libdevice.
// So after the same manual_seed, rand/randn/randint/bernoulli/dropout give
// bit-identical float32 and float64 values on the CPU and on a GPU (tested in
// tests/cpp/test_creation.cpp and tests/python/test_random.py).
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "core/dispatch.h"
#include "core/generator.h"
#include "core/pointwise.h"

namespace wick::random_math {

// a * b and a + b, each rounded once (Note [Random numbers across devices]).
WICK_HOST_DEVICE inline double mul_rn(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dmul_rn(a, b);
#else
  double p = a * b;
  // The product passes through an empty asm, so g++ cannot fuse it into the
  // sum that follows, whatever -march or -ffp-contract a build uses.
#if defined(__GNUC__) && defined(__x86_64__)
  asm("" : "+x"(p));
#elif defined(__GNUC__) && defined(__aarch64__)
  asm("" : "+w"(p));
#endif
  return p;
#endif
}
WICK_HOST_DEVICE inline double add_rn(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}

// A uniform double in [0, 1) from 53 random bits.
WICK_HOST_DEVICE inline double uniform01(uint32_t hi, uint32_t lo) {
  const uint64_t bits = (static_cast<uint64_t>(hi) << 21) ^ (lo >> 11);
  return static_cast<double>(bits & ((uint64_t{1} << 53) - 1)) * 0x1.0p-53;
}

// log(x) for x in (0, 1] (a normal, positive double), to a few ulp: x = m 2^e with
// m in [sqrt(1/2), sqrt(2)), log(m) = 2 atanh(s) with s = (m - 1) / (m + 1),
// |s| < 0.172, whose odd series 2 (s + s^3/3 + ... + s^23/23) is exact to
// double precision; e ln 2 with ln 2 in two parts (the first has trailing
// zeros, so e * kLn2Hi is exact).
WICK_HOST_DEVICE inline double log_unit(double x) {
  // x = m 2^e with m in [0.5, 1), from the bits (std::frexp is a libm call on the host).
  uint64_t bits;
#ifdef __CUDA_ARCH__
  bits = static_cast<uint64_t>(__double_as_longlong(x));
#else
  std::memcpy(&bits, &x, sizeof bits);
#endif
  int e = static_cast<int>((bits >> 52) & 0x7ff) - 1022;
  bits = (bits & ((uint64_t{1} << 52) - 1)) | (uint64_t{1022} << 52);
  double m;
#ifdef __CUDA_ARCH__
  m = __longlong_as_double(static_cast<long long>(bits));
#else
  std::memcpy(&m, &bits, sizeof m);
#endif
  if (m < 0.70710678118654752440) {
    m = m * 2;
    e -= 1;
  }
  const double s = (m - 1) / (m + 1);  // m - 1 is exact
  const double z = mul_rn(s, s);
  double p = 1.0 / 23;
  p = add_rn(mul_rn(p, z), 1.0 / 21);
  p = add_rn(mul_rn(p, z), 1.0 / 19);
  p = add_rn(mul_rn(p, z), 1.0 / 17);
  p = add_rn(mul_rn(p, z), 1.0 / 15);
  p = add_rn(mul_rn(p, z), 1.0 / 13);
  p = add_rn(mul_rn(p, z), 1.0 / 11);
  p = add_rn(mul_rn(p, z), 1.0 / 9);
  p = add_rn(mul_rn(p, z), 1.0 / 7);
  p = add_rn(mul_rn(p, z), 1.0 / 5);
  p = add_rn(mul_rn(p, z), 1.0 / 3);
  const double two_s = 2 * s;
  const double log_m = add_rn(two_s, mul_rn(mul_rn(two_s, z), p));
  constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;
  const double de = static_cast<double>(e);
  return add_rn(mul_rn(de, kLn2Hi), add_rn(mul_rn(de, kLn2Lo), log_m));
}

// cos(2 pi t) for t in [0, 1), to a few ulp: t = (q + r) / 4 with q an
// integer and |r| <= 1/2 (exact: t is a multiple of 2^-53), x = r pi / 2,
// |x| <= pi / 4, and cos(x + q pi / 2) from the Taylor series of cos x or
// sin x (terms to x^16 / x^17, below double precision on that range).
WICK_HOST_DEVICE inline double cos_turns(double t) {
  const double t4 = t * 4;  // exact
  int q = static_cast<int>(t4);  // floor: t4 >= 0
  double r = t4 - q;  // exact
  if (r > 0.5) {
    r = r - 1;
    q = q + 1;
  }
  q &= 3;
  const double x = mul_rn(r, 1.57079632679489661923);
  const double y = mul_rn(x, x);
  // One Horner loop for both series, its coefficients picked by q's parity
  // (selects, not a branch that random q would mispredict).
  const bool odd = (q & 1) != 0;
  double c = odd ? 1.0 / 355687428096000.0 : -1.0 / 20922789888000.0;  // 1/17!, -1/16!
  c = add_rn(mul_rn(c, y), odd ? -1.0 / 1307674368000.0 : 1.0 / 87178291200.0);
  c = add_rn(mul_rn(c, y), odd ? 1.0 / 6227020800.0 : -1.0 / 479001600.0);
  c = add_rn(mul_rn(c, y), odd ? -1.0 / 39916800.0 : 1.0 / 3628800.0);
  c = add_rn(mul_rn(c, y), odd ? 1.0 / 362880.0 : -1.0 / 40320.0);
  c = add_rn(mul_rn(c, y), odd ? -1.0 / 5040.0 : 1.0 / 720.0);
  c = add_rn(mul_rn(c, y), odd ? 1.0 / 120.0 : -1.0 / 24.0);
  c = add_rn(mul_rn(c, y), odd ? -1.0 / 6.0 : 0.5);
  const double sin_x = add_rn(x, mul_rn(mul_rn(x, y), c));  // x - x^3/6 + ...
  const double cos_x = add_rn(1.0, -mul_rn(c, y));         // 1 - y/2 + y^2/24 - ...
  const double v = odd ? sin_x : cos_x;
  // cos(x + q pi / 2): cos x, -sin x, -cos x, sin x.
  return (q == 1 || q == 2) ? -v : v;
}

// A double drawn for an element of type T. uint8 goes through int64 and
// wraps (-1.2 becomes 255) on both devices: a direct cast of a negative
// double is undefined, and a GPU saturates it to 0 where x86 wraps.
template <typename T>
WICK_HOST_DEVICE inline T from_double(double v) {
  if constexpr (std::is_same_v<T, uint8_t>) return static_cast<T>(static_cast<int64_t>(v));
  else return static_cast<T>(v);
}

// The value of one element of Backend::random from its Philox words r:
// Uniform [a, b), Normal (mean a, std b; Box-Muller), RandInt [a, b),
// Bernoulli (probability a).
template <typename T>
WICK_HOST_DEVICE inline T random_value(RandomOp op, double a, double b, const std::array<uint32_t, 4>& r) {
  switch (op) {
    case RandomOp::Uniform: {
      T v = from_double<T>(add_rn(a, mul_rn(b - a, uniform01(r[0], r[1]))));
      if constexpr (kIsFloat<T>) {
        if (v >= static_cast<T>(b)) v = std::nextafter(static_cast<T>(b), static_cast<T>(a));  // rounding
      }
      return v;
    }
    case RandomOp::Normal: {
      const double u1 = 1.0 - uniform01(r[0], r[1]), u2 = uniform01(r[2], r[3]);
      const double radius = std::sqrt(-2.0 * log_unit(u1));
      return from_double<T>(add_rn(a, mul_rn(mul_rn(b, radius), cos_turns(u2))));
    }
    case RandomOp::RandInt: {
      const uint64_t range = static_cast<uint64_t>(b - a);
      const uint64_t bits = (static_cast<uint64_t>(r[0]) << 32) | r[1];
      return static_cast<T>(static_cast<int64_t>(a) + static_cast<int64_t>(bits % range));
    }
    case RandomOp::Bernoulli: return static_cast<T>(uniform01(r[0], r[1]) < a);
  }
  return T(0);
}

// Dropout: element i reads word i % 4 of Philox counter first + i / 4 and is
// kept when that word is below keep_threshold(1 - p).
inline uint64_t keep_threshold(double keep) { return static_cast<uint64_t>(std::ldexp(keep, 32)); }
WICK_HOST_DEVICE inline bool dropout_keeps(uint32_t word, uint64_t threshold) { return word < threshold; }

}  // namespace wick::random_math
