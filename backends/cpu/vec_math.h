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
