// The float32 math of backends/cpu/vec_math.h (Note [Vectorized float math])
// against the C library in double precision, over every 1021st float bit
// pattern and the special values, in the clone of the loop this CPU runs
// (AVX-512, AVX2 or the x86-64 baseline).
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "backends/cpu/vec_math.h"
#include "tests/cpp/test_util.h"

namespace wick::cpu {
namespace {

enum class Fn { Exp, Expm1, Log1p, Tanh, Sigmoid, Silu, Softplus, Erf, Gelu };

template <typename V>
WICK_ALWAYS_INLINE V apply(Fn fn, V x) {
  switch (fn) {
    case Fn::Exp: return exp_full_f32(x);
    case Fn::Expm1: return expm1_full_f32(x);
    case Fn::Log1p: return log1p_full_f32(x);
    case Fn::Tanh: return tanh_full_f32(x);
    case Fn::Sigmoid: return sigmoid_full_f32(x);
    case Fn::Silu: return x * sigmoid_full_f32(x);
    case Fn::Softplus: return softplus_stable_f32(x);
    case Fn::Erf: return erf_full_f32(x);
    case Fn::Gelu: return gelu_full_f32(x);
  }
  return x;
}

// y[i] = fn(x[i]) eight lanes at a time (n a multiple of 8), in the clone this CPU runs.
WICK_VECTOR_CLONES void run(Fn fn, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i + 8 <= n; i += 8) store8(y + i, apply(fn, load8(x + i)));
}

double reference(Fn fn, double x) {
  switch (fn) {
    case Fn::Exp: return std::exp(x);
    case Fn::Expm1: return std::expm1(x);
    case Fn::Log1p: return std::log1p(x);
    case Fn::Tanh: return std::tanh(x);
    case Fn::Sigmoid: return 1 / (1 + std::exp(-x));
    case Fn::Silu: return x / (1 + std::exp(-x));
    case Fn::Softplus: return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    case Fn::Erf: return std::erf(x);
    case Fn::Gelu: return x / 2 * std::erfc(-x / std::sqrt(2.0));
  }
  return 0;
}

// How far y is from the exact value, in units of the last place of the float nearest to it. Results within
// 2^-100 of 0 may instead be off by 2^-120 in absolute terms: there a factor has underflowed into the
// denormals, which hold fewer bits (silu(-92) = -92 e^-92, for one; PyTorch's formula gives 0 there).
double error_in_ulps(float y, double exact) {
  if (std::isnan(exact)) return std::isnan(y) ? 0 : INFINITY;
  const float rounded = static_cast<float>(exact);
  if (std::isinf(rounded)) return std::isinf(y) && std::signbit(y) == std::signbit(rounded) ? 0 : INFINITY;
  if (std::isnan(y)) return INFINITY;
  const double diff = std::fabs(static_cast<double>(y) - exact);
  if (std::fabs(exact) < std::ldexp(1.0, -100) && diff <= std::ldexp(1.0, -120)) return 0;
  const float a = std::fabs(rounded);
  return diff / (std::nextafter(a, INFINITY) - a);
}

// The largest error over the inputs >= lowest, in ulps.
void check(Fn fn, const char* name, double max_ulps, float lowest = -std::numeric_limits<float>::infinity()) {
  std::vector<float> x;
  for (uint64_t bits = 0; bits <= 0xffffffffu; bits += 1021) {
    const uint32_t b = static_cast<uint32_t>(bits);
    float v;
    std::memcpy(&v, &b, sizeof v);
    x.push_back(v);
  }
  const float inf = std::numeric_limits<float>::infinity();
  for (float v : {0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN(), 1e-30f, -1e-30f, 1e-45f, 88.72f,
                  88.7228f, 88.723f, -88.7236f, -103.9f, -104.0f, -17.5f, -1.0f, 9.1f, -9.1f, 0.5f, 20.0f})
    x.push_back(v);
  while (x.size() % 8) x.push_back(1.0f);
  std::vector<float> y(x.size());
  run(fn, x.data(), y.data(), static_cast<int64_t>(x.size()));
  double worst = 0;
  float worst_at = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] < lowest) continue;
    const double e = error_in_ulps(y[i], reference(fn, x[i]));
    if (e > worst) {
      worst = e;
      worst_at = x[i];
    }
  }
  EXPECT_LE(worst, max_ulps) << name << " is off by " << worst << " ulp at " << worst_at << " (clone "
                             << loop_clone_level() << ")";
}

TEST(VecMath, ExpOverTheWholeRange) { check(Fn::Exp, "exp", 1.5); }
TEST(VecMath, Expm1) { check(Fn::Expm1, "expm1", 2); }
TEST(VecMath, Log1p) { check(Fn::Log1p, "log1p", 3); }
TEST(VecMath, Tanh) { check(Fn::Tanh, "tanh", 3); }
TEST(VecMath, Sigmoid) { check(Fn::Sigmoid, "sigmoid", 3); }
TEST(VecMath, Silu) { check(Fn::Silu, "silu", 4); }
TEST(VecMath, Softplus) { check(Fn::Softplus, "softplus", 3.5); }

TEST(VecMath, Erf) { check(Fn::Erf, "erf", 3); }
TEST(VecMath, Gelu) {
  check(Fn::Gelu, "gelu", 12, -5.0f);
  check(Fn::Gelu, "gelu", 70);  // far left, where gelu is below 1e-30: see the Note
}

TEST(VecMath, SignedZerosAndSpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_TRUE(std::signbit(expm1_full_f32(-0.0f)));
  EXPECT_TRUE(std::signbit(tanh_full_f32(-0.0f)));
  EXPECT_TRUE(std::signbit(log1p_full_f32(-0.0f)));
  EXPECT_EQ(exp_full_f32(-inf), 0.0f);
  EXPECT_EQ(exp_full_f32(inf), inf);
  EXPECT_GT(exp_full_f32(-100.0f), 0.0f);  // a denormal, not 0
  EXPECT_EQ(expm1_full_f32(-inf), -1.0f);
  EXPECT_EQ(log1p_full_f32(-1.0f), -inf);
  EXPECT_TRUE(std::isnan(log1p_full_f32(-2.0f)));
  EXPECT_EQ(log1p_full_f32(inf), inf);
  EXPECT_EQ(tanh_full_f32(-inf), -1.0f);
  EXPECT_EQ(sigmoid_full_f32(-inf), 0.0f);
  EXPECT_EQ(sigmoid_full_f32(inf), 1.0f);
  EXPECT_GT(sigmoid_full_f32(-100.0f), 0.0f);
  for (float nan : {std::numeric_limits<float>::quiet_NaN()}) {
    EXPECT_TRUE(std::isnan(exp_full_f32(nan)) && std::isnan(expm1_full_f32(nan)) && std::isnan(log1p_full_f32(nan)) &&
                std::isnan(tanh_full_f32(nan)) && std::isnan(sigmoid_full_f32(nan)));
  }
}

}  // namespace
}  // namespace wick::cpu
