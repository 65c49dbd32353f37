// Vector math for CPU loops: eight floats as one value (GCC's vector
// extension, compiled to whatever SIMD the target has: two SSE registers on
// the x86-64 baseline, one AVX register in an AVX2 clone), and a branch-free
// exp that works on a float or on eight at once. GCC does not vectorize
// loops calling glibc's expf, nor float reductions or selects (under the
// default -ftrapping-math), so the hot loops of softmax write them with f32x8.
//
// WICK_VECTOR_CLONES compiles a function for AVX-512 (x86-64-v4) and for
// AVX2 + FMA (x86-64-v3) next to the baseline; the loader picks one for the
// CPU at hand (GCC function multiversioning). On an AMD EPYC (Zen 4) the
// AVX-512 clone made a 1M-float sum 12% faster and softmax a little (median of
// three runs of 5 x 200 calls, one thread). The helpers such a function calls must be inlined into
// it (WICK_ALWAYS_INLINE) to be compiled for both.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define WICK_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define WICK_VECTOR_CLONES
#endif

namespace wick::cpu {
// The clone of the WICK_VECTOR_CLONES functions that GCC's loader picks here.
inline const char* loop_clone_level() {
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
  return __builtin_cpu_supports("x86-64-v4")   ? "x86-64-v4"
         : __builtin_cpu_supports("x86-64-v3") ? "x86-64-v3"
                                               : "x86-64";
#else
  return "default";
#endif
}
}  // namespace wick::cpu

#define WICK_ALWAYS_INLINE inline __attribute__((always_inline))

// f32x8 values cross only always-inline helpers, never a real call, so the
// note that passing them without AVX differs from the AVX ABI is moot here.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace wick::cpu {

typedef float f32x8 __attribute__((vector_size(32)));
typedef uint32_t u32x8 __attribute__((vector_size(32)));

WICK_ALWAYS_INLINE f32x8 load8(const float* p) {
  f32x8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
WICK_ALWAYS_INLINE void store8(float* p, f32x8 v) { std::memcpy(p, &v, sizeof v); }

// v in every lane of F (float or f32x8).
template <typename F>
WICK_ALWAYS_INLINE F splat(float v) {
  if constexpr (std::is_same_v<F, float>) return v;
  else return F{} + v;
}

// The eight lanes combined by op (max, +), in a fixed order.
template <typename Op>
WICK_ALWAYS_INLINE float fold8(f32x8 v, Op op) {
  float r = v[0];
  for (int k = 1; k < 8; ++k) r = op(r, v[k]);
  return r;
}

// e^x within 2 ulp of std::exp on [-87, 88]; 0 below -87 (e^x is then under
// FLT_MIN), +inf above 88, nan for nan. F is float or f32x8 (lane by lane).
// exp(x) = 2^n * exp(r) with n = round(x / ln 2) and |r| <= ln 2 / 2; exp(r)
// is Cephes' polynomial and 2^n is built in the exponent bits.
template <typename F>
WICK_ALWAYS_INLINE F exp_f32(F x) {
  using U = std::conditional_t<std::is_same_v<F, float>, uint32_t, u32x8>;
  const F lo = splat<F>(-87.0f), hi = splat<F>(88.0f);
  F xc = x < lo ? lo : x;  // nan passes through both
  xc = xc > hi ? hi : xc;
  // Adding 1.5 * 2^23 rounds to an integer, which then sits in the low mantissa bits.
  const F magic = splat<F>(12582912.0f);
  const F shifted = xc * 1.44269504088896341f + magic;
  const F n = shifted - magic;
  F r = xc - n * 0.693359375f;  // xc - n ln 2, with ln 2 in two parts
  r = r + n * 2.12194440e-4f;
  F p = splat<F>(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const U biased = std::bit_cast<U>(shifted) - std::bit_cast<U>(magic) + 127u;
  F y = p * std::bit_cast<F>(U(biased << 23));
  y = x < lo ? splat<F>(0.0f) : y;
  return x > hi ? splat<F>(__builtin_inff()) : y;
}

}  // namespace wick::cpu

// ---- full-range elementwise math ----------------------------------------------------------------------
// Note [Vectorized float math]
// The float32 element loops of exp, expm1, log1p, tanh, sigmoid, silu, elu
// (celu, selu), softplus, logsigmoid, erf and gelu (both forms) run these
// instead of glibc's scalar functions (backends/cpu/elementwise.cpp), eight
// lanes at a time in the AVX2 and AVX-512 clones. Unlike exp_f32 above (made
// for softmax, whose inputs are <= 0), they hold over the whole float range:
// exp gives denormals down to -104 and finite values up to ln(FLT_MAX), expm1
// and tanh keep their relative accuracy near 0, -0 stays -0, inf and nan come
// out as from the C library. Accuracy against the double-precision library,
// over every 1021st float (tests/cpp/test_vec_math.cpp): within 1.5 ulp (exp),
// 2 (expm1), 3 (log1p, tanh, sigmoid, erf); gelu within 12 ulp above x = -5,
// where it is -1.4e-6 (x^2 / 2 rounded once feeds e^-x^2/2 in its left tail;
// PyTorch's 1 + erf(x / sqrt 2) keeps no digit at all beyond x = -5.5). The
// tail of a row and strided rows go through the same eight-lane code, so a
// result does not depend on the tensor's layout.

namespace wick::cpu {

typedef int32_t i32x8 __attribute__((vector_size(32)));

template <typename F>
using int_lanes = std::conditional_t<std::is_same_v<F, float>, int32_t, i32x8>;

template <typename F>
WICK_ALWAYS_INLINE int_lanes<F> bits_of(F x) { return std::bit_cast<int_lanes<F>>(x); }
template <typename F>
WICK_ALWAYS_INLINE F float_of(int_lanes<F> i) { return std::bit_cast<F>(i); }

template <typename F>
WICK_ALWAYS_INLINE F abs_f32(F x) { return float_of<F>(bits_of(x) & 0x7fffffff); }
// |magnitude| with the sign of sign (magnitude must be >= 0 or nan).
template <typename F>
WICK_ALWAYS_INLINE F with_sign_of(F magnitude, F sign) {
  return float_of<F>(bits_of(magnitude) | (bits_of(sign) & int32_t(0x80000000u)));
}
// 2^n for integer lanes n in [-126, 127].
template <typename F>
WICK_ALWAYS_INLINE F pow2i(int_lanes<F> n) { return float_of<F>((n + 127) << 23); }

// exp(r) - 1 for |r| <= 0.8: Taylor to r^9 (the first term left out is below
// 2^-26 of the result there).
template <typename F>
WICK_ALWAYS_INLINE F expm1_taylor(F r) {
  F p = splat<F>(1.0f / 362880);
  p = p * r + 1.0f / 40320;
  p = p * r + 1.0f / 5040;
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  return p * r * r + r;
}

// n = round(x / ln 2) (as a float and as an integer) and r = x - n ln 2, for |x| < 2^21.
template <typename F>
WICK_ALWAYS_INLINE void reduce_ln2(F x, F& n, int_lanes<F>& ni, F& r) {
  const F magic = splat<F>(12582912.0f);  // 1.5 * 2^23: adding it rounds to an integer in the low bits
  const F shifted = x * 1.44269504088896341f + magic;
  n = shifted - magic;
  ni = bits_of(shifted) - bits_of(magic);
  r = x - n * 0.693359375f;  // ln 2 in two parts: the first exact times any n here
  r = r + n * 2.12194440e-4f;
}

// e^x over the whole float range (Note [Vectorized float math]).
template <typename F>
WICK_ALWAYS_INLINE F exp_full_f32(F x) {
  F xc = x < splat<F>(-104.0f) ? splat<F>(-104.0f) : x;  // e^-104 rounds to 0; nan passes both
  xc = xc > splat<F>(88.8f) ? splat<F>(88.8f) : xc;
  F n, r;
  int_lanes<F> ni;
  reduce_ln2(xc, n, ni, r);
  const F p = expm1_taylor(r) + 1.0f;
  // 2^n in two factors, each a normal float for n in [-150, 128]: denormal results round once, at the end.
  const int_lanes<F> n1 = ni >> 1;
  const F y = p * pow2i<F>(n1) * pow2i<F>(ni - n1);
  return x > splat<F>(88.72283935546875f) ? splat<F>(__builtin_inff()) : y;
}

// e^x - 1, accurate near 0.
template <typename F>
WICK_ALWAYS_INLINE F expm1_full_f32(F x) {
  F xc = x < splat<F>(-17.5f) ? splat<F>(-17.5f) : x;  // below, e^x - 1 rounds to -1
  xc = xc > splat<F>(88.8f) ? splat<F>(88.8f) : xc;
  F n, r;
  int_lanes<F> ni;
  reduce_ln2(xc, n, ni, r);
  n = n > splat<F>(127.0f) ? splat<F>(127.0f) : n;  // 2^n stays finite; r, at most ~0.8, absorbs the rest
  ni = ni > 127 ? int_lanes<F>{} + 127 : ni;
  r = xc - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  const F two = pow2i<F>(ni);
  F y = expm1_taylor(r) * two + (two - 1.0f);  // 2^n (e^r - 1) + (2^n - 1): no cancellation for any n
  y = x < splat<F>(-17.5f) ? splat<F>(-1.0f) : y;
  y = x > splat<F>(88.72283935546875f) ? splat<F>(__builtin_inff()) : y;
  return x == splat<F>(0.0f) ? x : y;  // -0 stays -0
}

// log(u) for normal u > 0 (Cephes' logf polynomial on [sqrt(1/2), sqrt(2))).
template <typename F>
WICK_ALWAYS_INLINE F log_normal_f32(F u) {
  const int_lanes<F> bits = bits_of(u);
  int_lanes<F> e = ((bits >> 23) & 0xff) - 127;
  F m = float_of<F>((bits & 0x007fffff) | 0x3f800000);  // in [1, 2)
  const auto big = m > splat<F>(1.41421356f);
  m = big ? m * 0.5f : m;
  e = e + (big ? int_lanes<F>{} + 1 : int_lanes<F>{});
  F ef;
  if constexpr (std::is_same_v<F, float>) ef = static_cast<float>(e);
  else ef = __builtin_convertvector(e, f32x8);
  const F f = m - 1.0f;
  const F z = f * f;
  F p = splat<F>(7.0376836292e-2f);
  p = p * f - 1.1514610310e-1f;
  p = p * f + 1.1676998740e-1f;
  p = p * f - 1.2420140846e-1f;
  p = p * f + 1.4249322787e-1f;
  p = p * f - 1.6668057665e-1f;
  p = p * f + 2.0000714765e-1f;
  p = p * f - 2.4999993993e-1f;
  p = p * f + 3.3333331174e-1f;
  F y = p * f * z - ef * 2.12194440e-4f - 0.5f * z;
  return f + y + ef * 0.693359375f;
}

// log(1 + x), accurate near 0: log(u) x / (u - 1) with u = 1 + x rounded
// (the rounding error of u cancels in the quotient; Goldberg's form).
template <typename F>
WICK_ALWAYS_INLINE F log1p_full_f32(F x) {
  const F u = x + 1.0f;
  const F safe = u > splat<F>(1.17549435e-38f) ? u : splat<F>(1.0f);  // keep the log's input normal
  F y = log_normal_f32(safe) * (x / (u - 1.0f));
  y = u == splat<F>(1.0f) ? x : y;  // also -0 and tiny x
  y = x == splat<F>(__builtin_inff()) ? x : y;
  y = u == splat<F>(0.0f) ? splat<F>(-__builtin_inff()) : y;
  return x < splat<F>(-1.0f) ? splat<F>(__builtin_nanf("")) : y;
}

// tanh(x) = expm1(2|x|) / (expm1(2|x|) + 2), signed; 1 beyond |x| = 9.1, where it rounds to 1.
template <typename F>
WICK_ALWAYS_INLINE F tanh_full_f32(F x) {
  const F a = abs_f32(x);
  const F e = expm1_full_f32(a + a);
  F t = e / (e + 2.0f);
  t = a > splat<F>(9.1f) ? splat<F>(1.0f) : t;
  return with_sign_of(t, x);
}

// 1 / (1 + e^-x), as e^x / (1 + e^x) for x < 0 (down to the denormals there): 0 and 1 at the ends.
template <typename F>
WICK_ALWAYS_INLINE F sigmoid_full_f32(F x) {
  const F e = exp_full_f32(-abs_f32(x));
  const F s = 1.0f / (1.0f + e);
  return x < splat<F>(0.0f) ? e * s : s;
}

// log(1 + e^z) = max(z, 0) + log1p(e^-|z|), which overflows nowhere.
template <typename F>
WICK_ALWAYS_INLINE F softplus_stable_f32(F z) {
  const F m = z > splat<F>(0.0f) ? z : splat<F>(0.0f);
  return m + log1p_full_f32(exp_full_f32(-abs_f32(z)));
}

// erf(x) = x P(x^2) for |x| < 0.921875. P fits erf(x) / x to 4e-10 (least squares on Chebyshev nodes, in double).
template <typename F>
WICK_ALWAYS_INLINE F erf_small_f32(F x) {
  const F t = x * x;
  F p = splat<F>(8.365006094391758e-05f);
  p = p * t - 8.141391988108463e-04f;
  p = p * t + 5.200905220562803e-03f;
  p = p * t - 2.685934136212974e-02f;
  p = p * t + 1.1283694336735646e-01f;
  p = p * t - 3.7612633648378707e-01f;
  p = p * t + 1.12837916662676f;
  return x * p;
}

// erfc(x) for x >= 0.921875: e^-x^2 g(1/x) / x, g fitting x e^(x^2) erfc(x) to 2e-8 on [0.921875, 10] as a
// polynomial in 1/x - 0.59237 (centred, so that its float evaluation stays within 1e-7); 0 beyond 10.05.
// x2 is x^2, which gelu passes rounded once (from x^2 / 2) rather than twice.
template <typename F>
WICK_ALWAYS_INLINE F erfc_tail_f32(F x, F x2) {
  const F u = 1.0f / x;
  const F s = u - 0.5923728813559322f;
  F g = splat<F>(0.06938938221292183f);
  g = g * s - 0.01705456721701116f;
  g = g * s - 0.08173974137574375f;
  g = g * s + 0.07758742212876975f;
  g = g * s - 0.03489985112180054f;
  g = g * s - 0.005287954221604632f;
  g = g * s + 0.05070834673786219f;
  g = g * s - 0.08612498378354073f;
  g = g * s + 0.08282758410147033f;
  g = g * s - 0.008870623525003802f;
  g = g * s - 0.17125984672862216f;
  g = g * s + 0.49511916996003696f;
  const F y = exp_full_f32(-x2) * g * u;
  return x > splat<F>(10.05f) ? splat<F>(0.0f) : y;
}

template <typename F>
WICK_ALWAYS_INLINE F erf_full_f32(F x) {
  const F a = abs_f32(x);
  const F r = a < splat<F>(0.921875f) ? erf_small_f32(a) : 1.0f - erfc_tail_f32(a, a * a);
  return with_sign_of(r, x);
}

// 1 + erf(x / sqrt 2) = 2 Phi(x), Phi the standard normal CDF, taken as erfc(-x / sqrt 2) for x < 0: no
// cancellation in the left tail, where PyTorch's formula keeps few digits. x^2 / 2 is rounded once (not
// (x / sqrt 2)^2, twice) where it feeds e^-x^2/2.
template <typename F>
WICK_ALWAYS_INLINE F two_phi_f32(F x) {
  const F z = x * 0.7071067811865476f;
  const F a = abs_f32(z);
  const auto small = a < splat<F>(0.921875f);
  const F e = erf_small_f32(a);
  const F tail = erfc_tail_f32(a, 0.5f * (x * x));
  const F positive = small ? 1.0f + e : 2.0f - tail;
  const F negative = small ? 1.0f - e : tail;
  return z < splat<F>(0.0f) ? negative : positive;
}

// gelu(x) = x Phi(x).
template <typename F>
WICK_ALWAYS_INLINE F gelu_full_f32(F x) {
  return 0.5f * x * two_phi_f32(x);
}

}  // namespace wick::cpu
