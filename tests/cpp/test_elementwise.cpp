// Elementwise ops: values, type promotion, broadcasting, in-place forms,
// gradients (gradcheck on ordinary, broadcast, non-contiguous and zero-size
// inputs) and errors.
#include <cmath>
#include <functional>
#include <limits>

#include "pointwise_check.h"
#include "test_util.h"

using namespace wick;
using wick::testing::leaf;
using wick::testing::noncontiguous_leaf;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

using UnaryFn = std::function<Tensor(const Tensor&)>;
using BinaryFn = std::function<Tensor(const Tensor&, const Tensor&)>;

struct UnaryCase {
  const char* name;
  UnaryFn fn;
  double lo, hi;  // input domain
};

std::vector<UnaryCase> unary_cases() {
  return {
      {"neg", [](const Tensor& x) { return neg(x); }, -2, 2},
      {"exp", [](const Tensor& x) { return exp(x); }, -2, 2},
      {"log", [](const Tensor& x) { return log(x); }, 0.5, 3},
      {"log1p", [](const Tensor& x) { return log1p(x); }, -0.5, 3},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, 0.5, 3},
      {"rsqrt", [](const Tensor& x) { return rsqrt(x); }, 0.5, 3},
      {"abs", [](const Tensor& x) { return abs(x); }, 0.1, 2},
      {"abs_neg", [](const Tensor& x) { return abs(x); }, -2, -0.1},
      {"sin", [](const Tensor& x) { return sin(x); }, -3, 3},
      {"cos", [](const Tensor& x) { return cos(x); }, -3, 3},
      {"tanh", [](const Tensor& x) { return tanh(x); }, -2, 2},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, -4, 4},
      {"relu_pos", [](const Tensor& x) { return relu(x); }, 0.1, 2},
      {"relu_neg", [](const Tensor& x) { return relu(x); }, -2, -0.1},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.2); }, 0.1, 2},
      {"leaky_relu_neg", [](const Tensor& x) { return leaky_relu(x, 0.2); }, -2, -0.1},
      {"gelu", [](const Tensor& x) { return gelu(x); }, -3, 3},
      {"gelu_tanh", [](const Tensor& x) { return gelu(x, "tanh"); }, -3, 3},
      {"silu", [](const Tensor& x) { return silu(x); }, -3, 3},
      {"softplus", [](const Tensor& x) { return softplus(x); }, -3, 3},
      {"softplus_beta", [](const Tensor& x) { return softplus(x, 2, 3); }, -3, 3},
      {"log_sigmoid", [](const Tensor& x) { return log_sigmoid(x); }, -3, 3},
      {"hardtanh_inside", [](const Tensor& x) { return hardtanh(x, -3, 3); }, -2, 2},
      {"hardtanh_outside", [](const Tensor& x) { return hardtanh(x, -3, -2.5); }, -2, 2},
      {"clamp_inside", [](const Tensor& x) { return clamp(x, -5.0, 5.0); }, -2, 2},
      {"clamp_below", [](const Tensor& x) { return clamp(x, 3.0, std::nullopt); }, -2, 2},
      {"reciprocal", [](const Tensor& x) { return reciprocal(x); }, 0.5, 2},
      {"square", [](const Tensor& x) { return square(x); }, -2, 2},
      {"erf", [](const Tensor& x) { return erf(x); }, -2, 2},
      {"pow_scalar", [](const Tensor& x) { return pow(x, 2.5); }, 0.5, 2},
      {"scalar_pow", [](const Tensor& x) { return pow(2.0, x); }, -1, 1},
      {"floor", [](const Tensor& x) { return floor(x) * x; }, 0.1, 0.9},
      {"expm1", [](const Tensor& x) { return expm1(x); }, -2, 2},
      {"log2", [](const Tensor& x) { return log2(x); }, 0.5, 3},
      {"log10", [](const Tensor& x) { return log10(x); }, 0.5, 3},
      {"tan", [](const Tensor& x) { return tan(x); }, -1.2, 1.2},
      {"asin", [](const Tensor& x) { return asin(x); }, -0.9, 0.9},
      {"acos", [](const Tensor& x) { return acos(x); }, -0.9, 0.9},
      {"atan", [](const Tensor& x) { return atan(x); }, -3, 3},
      {"sinh", [](const Tensor& x) { return sinh(x); }, -2, 2},
      {"cosh", [](const Tensor& x) { return cosh(x); }, -2, 2},
      {"asinh", [](const Tensor& x) { return asinh(x); }, -2, 2},
      {"acosh", [](const Tensor& x) { return acosh(x); }, 1.2, 3},
      {"atanh", [](const Tensor& x) { return atanh(x); }, -0.8, 0.8},
      {"erfc", [](const Tensor& x) { return erfc(x); }, -2, 2},
      {"erfinv", [](const Tensor& x) { return erfinv(x); }, -0.9, 0.9},
      {"exp2", [](const Tensor& x) { return exp2(x); }, -2, 2},
      {"deg2rad", [](const Tensor& x) { return deg2rad(x); }, -2, 2},
      {"rad2deg", [](const Tensor& x) { return rad2deg(x); }, -2, 2},
      {"frac", [](const Tensor& x) { return frac(x); }, 0.1, 0.9},
      {"frac_negative", [](const Tensor& x) { return frac(x); }, -1.9, -1.1},
      {"sin_inplace", [](const Tensor& x) { return inplace_apply(mul(x, 1), "sin_", [](const Tensor& t) { return sin(t); }); }, -2, 2},
  };
}

struct BinaryCase {
  const char* name;
  BinaryFn fn;
  double lo, hi;
};

std::vector<BinaryCase> binary_cases() {
  return {
      {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }, -2, 2},
      {"add_alpha", [](const Tensor& a, const Tensor& b) { return add(a, b, 2.5); }, -2, 2},
      {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); }, -2, 2},
      {"sub_alpha", [](const Tensor& a, const Tensor& b) { return sub(a, b, 0.5); }, -2, 2},
      {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }, -2, 2},
      {"div", [](const Tensor& a, const Tensor& b) { return div(a, b); }, 0.5, 2},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); }, 0.5, 2},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }, -2, 2},
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }, -2, 2},
      {"atan2", [](const Tensor& a, const Tensor& b) { return atan2(a, b); }, 0.5, 2},
      {"remainder", [](const Tensor& a, const Tensor& b) { return remainder(a, b); }, 0.3, 0.9},
      {"hypot", [](const Tensor& a, const Tensor& b) { return hypot(a, b); }, -2, 2},
      {"logaddexp", [](const Tensor& a, const Tensor& b) { return logaddexp(a, b); }, -3, 3},
      {"fmod", [](const Tensor& a, const Tensor& b) { return fmod(a, b); }, 0.3, 0.9},
      {"fmod_negative", [](const Tensor& a, const Tensor& b) { return fmod(neg(a), b); }, 0.3, 0.9},
      {"where", [](const Tensor& a, const Tensor& b) { return where(gt(a, 0), a * 2, b * b); }, -2, 2},
      {"xlogy", [](const Tensor& a, const Tensor& b) { return xlogy(a, b); }, 0.3, 2},
      {"copysign", [](const Tensor& a, const Tensor& b) { return copysign(a, b); }, -2, 2},
      {"fmax", [](const Tensor& a, const Tensor& b) { return fmax(a, b); }, -2, 2},
      {"fmin", [](const Tensor& a, const Tensor& b) { return fmin(a, b); }, -2, 2},
      {"hypot_inplace", [](const Tensor& a, const Tensor& b) {
         const Tensor self = add(a, mul(b, 0));  // a non-leaf of the broadcast shape
         return inplace_apply(self, "hypot_", [&](const Tensor& t) { return hypot(t, b); });
       }, -2, 2},
  };
}

// The suites below run once per device (test_util.h).
class ElementwiseOnDevice : public wick::testing::OnEachDevice {};
WICK_ON_EACH_DEVICE(ElementwiseOnDevice);

}  // namespace

TEST_P(ElementwiseOnDevice, UnaryGradcheckOnManyLayouts) {
  manual_seed(0);
  const Device d = device();
  for (const UnaryCase& c : unary_cases()) {
    SCOPED_TRACE(c.name);
    auto f = [&](const TensorList& in) { return c.fn(in[0]); };
    EXPECT_TRUE(gradcheck(f, {leaf({3, 4}, c.lo, c.hi, d)}));
    EXPECT_TRUE(gradcheck(f, {noncontiguous_leaf({3, 4}, c.lo, c.hi, d)}));
    // Every other column of a wider tensor: a stepped slice.
    Tensor wide = leaf({3, 8}, c.lo, c.hi, d).detach();
    Tensor stepped = wide.slice(1, 0, std::nullopt, 2);
    stepped.requires_grad_();
    EXPECT_TRUE(gradcheck(f, {stepped}));
    EXPECT_TRUE(gradcheck(f, {leaf({0, 3}, c.lo, c.hi, d)}));
    EXPECT_TRUE(gradcheck(f, {leaf({}, c.lo, c.hi, d)}));
  }
}

TEST_P(ElementwiseOnDevice, BinaryGradcheckWithBroadcasting) {
  manual_seed(1);
  const Device d = device();
  const std::vector<std::pair<DimVector, DimVector>> shapes = {
      {{3, 4}, {3, 4}}, {{3, 1}, {1, 4}}, {{2, 3, 4}, {4}}, {{4}, {2, 3, 4}}, {{}, {2, 3}}, {{0, 3}, {3}}};
  for (const BinaryCase& c : binary_cases()) {
    SCOPED_TRACE(c.name);
    auto f = [&](const TensorList& in) { return c.fn(in[0], in[1]); };
    for (const auto& [sa, sb] : shapes) {
      SCOPED_TRACE(::testing::Message() << IntArrayRef(sa) << " and " << IntArrayRef(sb));
      EXPECT_TRUE(gradcheck(f, {leaf(sa, c.lo, c.hi, d), leaf(sb, c.lo, c.hi, d)}));
    }
    EXPECT_TRUE(gradcheck(f, {noncontiguous_leaf({3, 4}, c.lo, c.hi, d), leaf({3, 4}, c.lo, c.hi, d)}));
    EXPECT_TRUE(gradcheck(f, {leaf({3, 4}, c.lo, c.hi, d), noncontiguous_leaf({3, 4}, c.lo, c.hi, d)}));
    // Only one side requires grad.
    Tensor fixed = leaf({4}, c.lo, c.hi, d).detach();
    EXPECT_TRUE(gradcheck(f, {leaf({3, 4}, c.lo, c.hi, d), fixed}));
  }
}

// gradcheck itself, on each device: a node whose backward is off by a factor
// of 2 is caught, with the node named.
TEST_P(ElementwiseOnDevice, GradcheckCatchesAWrongDerivative) {
  struct DoubledBackward final : Node {
    std::string_view name() const override { return "DoubledBackward"; }
    TensorList apply(TensorList&& grads) override { return {mul(grads[0], 2)}; }
  };
  auto identity_with_wrong_derivative = [](const TensorList& in) {
    Tensor out = in[0].detach().clone();
    if (auto node = make_node<DoubledBackward>(in[0])) set_history(out, node);
    return out;
  };
  EXPECT_THROW_WITH(gradcheck(identity_with_wrong_derivative, {leaf({3}, -1, 1, device())}), Error,
                    "grad_fn DoubledBackward");
}

TEST_P(ElementwiseOnDevice, ScalarOperands) {
  Tensor x = tensor({1.0, 2.0, 4.0}).to(device());
  EXPECT_EQ((x + 1).to_vector<float>(), (std::vector<float>{2, 3, 5}));
  EXPECT_EQ((1 - x).to_vector<float>(), (std::vector<float>{0, -1, -3}));
  EXPECT_EQ((x * 2).to_vector<float>(), (std::vector<float>{2, 4, 8}));
  EXPECT_EQ((8 / x).to_vector<float>(), (std::vector<float>{8, 4, 2}));
  EXPECT_EQ(pow(x, 2).to_vector<float>(), (std::vector<float>{1, 4, 16}));
  EXPECT_EQ(pow(2, x).to_vector<float>(), (std::vector<float>{2, 4, 16}));
}

TEST(Elementwise, TypePromotionFollowsPyTorch) {
  Tensor i64 = arange(3);
  Tensor i32 = arange(3).to(ScalarType::Int32);
  Tensor f32 = ones({3});
  Tensor f64 = ones({3}, ScalarType::Float64);
  Tensor b = ones({3}, ScalarType::Bool);
  EXPECT_EQ((i64 + 2.5).dtype(), ScalarType::Float32);            // int tensor + float number
  EXPECT_EQ((i64 + 2).dtype(), ScalarType::Int64);
  EXPECT_EQ((i32 + 2).dtype(), ScalarType::Int32);                // a number does not widen ints
  EXPECT_EQ((i32 + i64).dtype(), ScalarType::Int64);
  EXPECT_EQ((f32 + f64).dtype(), ScalarType::Float64);
  EXPECT_EQ((f32 + scalar_tensor(1.0, ScalarType::Float64)).dtype(), ScalarType::Float32);  // 0-dim ranks lower
  EXPECT_EQ((i64 + scalar_tensor(1.0, ScalarType::Float64)).dtype(), ScalarType::Float64);  // unless higher category
  EXPECT_EQ((b + b).dtype(), ScalarType::Bool);
  EXPECT_EQ((b + 1).dtype(), ScalarType::Int64);
  EXPECT_EQ((i64 / i64).dtype(), ScalarType::Float32);            // true division
  EXPECT_EQ(lt(i64, f32).dtype(), ScalarType::Bool);
  EXPECT_EQ(exp(i64).dtype(), ScalarType::Float32);
  EXPECT_EQ(abs(i64).dtype(), ScalarType::Int64);
}

TEST(Elementwise, IntegerDivisionAndModuloArePythonic) {
  Tensor a = from_vector<int64_t>({-7, 7, -7, 7}, {4});
  Tensor b = from_vector<int64_t>({2, -2, -2, 2}, {4});
  EXPECT_EQ(floor_divide(a, b).to_vector<int64_t>(), (std::vector<int64_t>{-4, -4, 3, 3}));
  EXPECT_EQ(remainder(a, b).to_vector<int64_t>(), (std::vector<int64_t>{1, -1, -1, 1}));
  Tensor fa = a.to(ScalarType::Float64), fb = b.to(ScalarType::Float64);
  EXPECT_EQ(remainder(fa, fb).to_vector<double>(), (std::vector<double>{1, -1, -1, 1}));
  EXPECT_THROW_WITH(floor_divide(a, zeros({4}, ScalarType::Int64)), Error, "ZeroDivisionError");
  // INT64_MIN // -1 must not trap.
  Tensor m = from_vector<int64_t>({INT64_MIN}, {1});
  EXPECT_NO_THROW(floor_divide(m, -1));
  EXPECT_NO_THROW(remainder(m, -1));
}

TEST_P(ElementwiseOnDevice, IntegerDivisionIsExactInEveryRoundingMode) {
  // Through a double, (2**62 + 1) / 5 came out 922337217429372928.
  const int64_t big = (int64_t{1} << 62) + 1;
  const Tensor a = from_vector<int64_t>({big, -big, 7, -7, INT64_MIN}, {5}).to(device());
  const Tensor b = from_vector<int64_t>({5, 3, -2, 2, -1}, {5}).to(device());
  EXPECT_EQ(div(a, b, "trunc").to_vector<int64_t>(),
            (std::vector<int64_t>{big / 5, -big / 3, -3, -3, INT64_MIN}));  // INT64_MIN / -1 wraps
  EXPECT_EQ(div(a, b, "floor").to_vector<int64_t>(),
            (std::vector<int64_t>{big / 5, -big / 3 - 1, -4, -4, INT64_MIN}));
  EXPECT_EQ(div(a, b, "trunc").dtype(), ScalarType::Int64);
  EXPECT_EQ(div(a, b, std::nullopt).dtype(), ScalarType::Float32);
  // Every integer form raises for a zero divisor, as PyTorch (RuntimeError).
  const Tensor zero = from_vector<int64_t>({1, 0, 1, 1, 1}, {5}).to(device());
  EXPECT_THROW_WITH(div(a, zero, "trunc"), Error, "ZeroDivisionError");
  EXPECT_THROW_WITH(div(a, zero, "floor"), Error, "ZeroDivisionError");
  EXPECT_THROW_WITH(div(a, b, "round"), ValueError, "rounding_mode");
}

TEST_P(ElementwiseOnDevice, IntegerDivisionOfAnEmptyResultByZeroIsEmpty) {
  // A zero divisor is never used when the result is empty: no ZeroDivisionError (as PyTorch).
  const Tensor empty_rows = zeros({2, 0}, ScalarType::Int64).to(device());
  const Tensor zero = zeros({1}, ScalarType::Int64).to(device());
  EXPECT_EQ(floor_divide(empty_rows, zero).sizes(), IntArrayRef({2, 0}));
  EXPECT_EQ(remainder(empty_rows, 0).sizes(), IntArrayRef({2, 0}));
  EXPECT_EQ(fmod(empty_rows, zero).sizes(), IntArrayRef({2, 0}));
  EXPECT_EQ(div(empty_rows, zero, "trunc").sizes(), IntArrayRef({2, 0}));
  EXPECT_THROW_WITH(remainder(zeros({2}, ScalarType::Int64).to(device()), zero), Error, "ZeroDivisionError");
}

TEST_P(ElementwiseOnDevice, InPlaceComputesInThePromotedDtype) {
  // uint8 4 % int64 -6 is -2, stored as 254 (in uint8, -6 would read as 250 and give 4).
  const Tensor x = from_vector<uint8_t>({4, 0, 200}, {3}).to(device());
  remainder_(x, from_vector<int64_t>({-6, 5, -3}, {3}).to(device()));
  EXPECT_EQ(x.cpu().to_vector<uint8_t>(), (std::vector<uint8_t>{254, 0, 255}));
  // float32 += float64: rounded once from the float64 sum.
  const Tensor f = from_vector<float>({1.0f}, {1}).to(device());
  add_(f, from_vector<double>({1e-8}, {1}).to(device()));
  EXPECT_EQ(f.cpu().to_vector<float>()[0], static_cast<float>(1.0 + 1e-8));
  // A failed in-place division leaves self unchanged.
  const Tensor y = from_vector<int32_t>({5, 7}, {2}).to(device());
  EXPECT_THROW_WITH(floor_divide_(y, from_vector<int32_t>({2, 0}, {2}).to(device())), Error, "ZeroDivisionError");
  EXPECT_EQ(y.cpu().to_vector<int32_t>(), (std::vector<int32_t>{5, 7}));
}

TEST(Elementwise, BoolToANegativeIntegerPowerIsRefused) {
  // bool ** -1 is an int64 power (PyTorch counts bool as an integer here).
  const Tensor b = from_vector<bool>({true, false}, {2});
  EXPECT_THROW_WITH(pow(b, -1), ValueError, "Integers to negative integer powers");
  EXPECT_EQ(pow(b, 2).dtype(), ScalarType::Int64);
}

TEST_P(ElementwiseOnDevice, FloorDivisionOfFloatsAsPython) {
  // Note [Floor division of floats]: -5 // inf is -1, 1 // 0.1 is 9 (floor(a / b) gave -0 and 10).
  auto on = [&](std::vector<double> v) { return from_vector<double>(v, {int64_t(v.size())}).to(device()); };
  EXPECT_EQ(floor_divide(on({5, -5, 1, 1, -1, 7}), on({kInf, kInf, 0.1, 0.2, 0.1, 0.7})).to_vector<double>(),
            (std::vector<double>{0, -1, 9, 4, -10, 10}));
  const std::vector<double> zeros_ = floor_divide(on({-0.0, 0.0}), on({1, -1})).to_vector<double>();
  for (double z : zeros_) EXPECT_TRUE(z == 0 && std::signbit(z)) << z;  // -0, as a / b
  EXPECT_EQ(floor_divide(on({5, -5}), on({0, 0})).to_vector<double>(), (std::vector<double>{kInf, -kInf}));
  EXPECT_TRUE(std::isnan(floor_divide(on({kInf}), on({2})).item<double>()));
  EXPECT_EQ(div(on({5, -5}), on({kInf, kInf}), "trunc").to_vector<double>(), (std::vector<double>{0, -0.0}));
  // Rounded division has gradient 0, also where the divisor is 0.
  Tensor x = on({1, 2}).requires_grad_(), y = on({0, 1}).requires_grad_();
  div(x, y, "trunc").sum().backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 0}));
  EXPECT_EQ(y.grad().to_vector<double>(), (std::vector<double>{0, 0}));
}

TEST_P(ElementwiseOnDevice, AlphaAndBoundsInTheResultDtype) {
  // Note [alpha of add and sub]: b * 0.2 in float32 gave 0.30000000298.
  const Tensor a = tensor({0.1}, ScalarType::Float64).to(device());
  EXPECT_EQ(add(a, tensor({1.0}).to(device()), 0.2).item<double>(), 0.1 + 0.2);
  EXPECT_EQ(sub(a, from_vector<int64_t>({1}, {1}).to(device()), 0.2).item<double>(), 0.1 - 0.2);
  EXPECT_EQ(add(a, wrap_scalar(1.0), 0.2).item<double>(), 0.1 + 0.2);
  EXPECT_THROW_WITH(add(arange(2).to(device()), arange(2).to(device()), 0.5), Error, "alpha must not be a floating");
  const int64_t big = (int64_t{1} << 60) + 1;
  EXPECT_EQ(clamp(from_vector<int64_t>({0}, {1}).to(device()), big, std::nullopt).item<int64_t>(), big);
}

// Note [Float to integer conversion]: no undefined behaviour for values an integer cannot hold.
TEST_P(ElementwiseOnDevice, FloatsOutsideInt64BecomeInt64Min) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const Tensor x = tensor({nan, inf, -inf, 1e19, -1e19, -2.5, 3e9}, ScalarType::Float64).to(device());
  const int64_t m = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(x.to(ScalarType::Int64).to_vector<int64_t>(), (std::vector<int64_t>{m, m, m, m, m, -2, 3000000000}));
  const int32_t m32 = std::numeric_limits<int32_t>::min();
  EXPECT_EQ(x.to(ScalarType::Int32).to_vector<int32_t>(), (std::vector<int32_t>{m32, m32, m32, m32, m32, -2, m32}));
  EXPECT_EQ(x.to(ScalarType::Bool).to_vector<bool>(), (std::vector<bool>{true, true, true, true, true, true, true}));
}

TEST_P(ElementwiseOnDevice, FloatsConvertToUint8ThroughInt64) {
  // As PyTorch: -1.5 becomes 255 (a GPU's direct cast saturated it to 0), -300.2 becomes 212.
  const std::vector<uint8_t> expected{255, 212, 44, 2, 0};
  for (ScalarType t : {ScalarType::Float32, ScalarType::Float64}) {
    SCOPED_TRACE(t);
    const Tensor host = tensor({-1.5, -300.2, 300.7, 2.9, -0.5}, t);
    const Tensor x = host.to(device());
    EXPECT_EQ(x.to(ScalarType::UInt8).to_vector<uint8_t>(), expected);                // on the device
    EXPECT_EQ(x.to(kCPU, ScalarType::UInt8).to_vector<uint8_t>(), expected);          // converted before the copy out
    EXPECT_EQ(host.to(device(), ScalarType::UInt8).to_vector<uint8_t>(), expected);   // converted after the copy in
    // A stepped source takes the kernel, not the contiguous fast paths.
    EXPECT_EQ(x.slice(0, 0, std::nullopt, 2).to(ScalarType::UInt8).to_vector<uint8_t>(),
              (std::vector<uint8_t>{255, 44, 0}));
  }
}

TEST_P(ElementwiseOnDevice, SmoothActivationsHaveTheirSlopeAtZero) {
  // Note [Activations at their kinks]
  Tensor x = tensor({0.0, -800.0, 800.0}, ScalarType::Float64).to(device()).requires_grad_();
  (softplus(x) + log_sigmoid(x)).sum().backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{1, 1, 1}));  // 0.5 + 0.5, 0 + 1, 1 + 0
  EXPECT_EQ(log_sigmoid(tensor({800.0, -800.0}).to(device())).to_vector<float>(), (std::vector<float>{0, -800}));
  Tensor h = tensor({-1.0, 1.0, 0.5, 6.0}).to(device()).requires_grad_();
  hardtanh(h).sum().backward();
  EXPECT_EQ(h.grad().to_vector<float>(), (std::vector<float>{0, 0, 1, 0}));
}

TEST_P(ElementwiseOnDevice, ComparisonsAndLogic) {
  Tensor a = tensor({1.0, 2.0, 3.0}).to(device());
  Tensor b = tensor({3.0, 2.0, 1.0}).to(device());
  EXPECT_EQ(eq(a, b).to_vector<bool>(), (std::vector<bool>{false, true, false}));
  EXPECT_EQ(ne(a, b).to_vector<bool>(), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(lt(a, b).to_vector<bool>(), (std::vector<bool>{true, false, false}));
  EXPECT_EQ(le(a, b).to_vector<bool>(), (std::vector<bool>{true, true, false}));
  EXPECT_EQ(gt(a, 1.5).to_vector<bool>(), (std::vector<bool>{false, true, true}));
  EXPECT_EQ(ge(a, 2).to_vector<bool>(), (std::vector<bool>{false, true, true}));
  Tensor p = gt(a, 1.5), q = lt(a, 2.5);
  EXPECT_EQ(logical_and(p, q).to_vector<bool>(), (std::vector<bool>{false, true, false}));
  EXPECT_EQ(logical_or(p, q).to_vector<bool>(), (std::vector<bool>{true, true, true}));
  EXPECT_EQ(logical_xor(p, q).to_vector<bool>(), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(logical_not(p).to_vector<bool>(), (std::vector<bool>{true, false, false}));
  EXPECT_EQ(bitwise_and(p, q).to_vector<bool>(), (std::vector<bool>{false, true, false}));
  EXPECT_EQ(bitwise_not(from_vector<int64_t>({0, 5}, {2}).to(device())).to_vector<int64_t>(),
            (std::vector<int64_t>{-1, -6}));
  EXPECT_THROW_WITH(bitwise_and(a, b), TypeError, "bitwise");
  EXPECT_THROW_WITH(sub(p, q), TypeError, "logical_xor");
  EXPECT_THROW_WITH(neg(p), TypeError, "logical_not");
}

TEST_P(ElementwiseOnDevice, NanAndInfSemantics) {
  Tensor x = tensor({NAN, 1.0, -INFINITY}).to(device());
  EXPECT_EQ(isnan(x).to_vector<bool>(), (std::vector<bool>{true, false, false}));
  EXPECT_EQ(isinf(x).to_vector<bool>(), (std::vector<bool>{false, false, true}));
  EXPECT_TRUE(std::isnan(relu(x).to_vector<float>()[0]));
  EXPECT_TRUE(std::isnan(maximum(x, zeros({3}, TensorOptions().device(device()))).to_vector<float>()[0]));
  EXPECT_TRUE(std::isnan(clamp(x, 0.0, 1.0).to_vector<float>()[0]));
}

TEST(Elementwise, UnaryValues) {
  Tensor x = tensor({-1.5, 0.0, 2.0});
  EXPECT_EQ(relu(x).to_vector<float>(), (std::vector<float>{0, 0, 2}));
  EXPECT_EQ(sign(x).to_vector<float>(), (std::vector<float>{-1, 0, 1}));
  EXPECT_EQ(abs(x).to_vector<float>(), (std::vector<float>{1.5, 0, 2}));
  EXPECT_EQ(clamp(x, -1.0, 1.0).to_vector<float>(), (std::vector<float>{-1, 0, 1}));
  EXPECT_EQ(leaky_relu(x, 0.1).to_vector<float>(), (std::vector<float>{-0.15f, 0, 2}));
  EXPECT_EQ(round(tensor({0.5, 1.5, 2.5, -0.5})).to_vector<float>(), (std::vector<float>{0, 2, 2, -0}));
  EXPECT_NEAR(gelu(tensor({1.0})).item<double>(), 0.8413447, 1e-6);
  EXPECT_NEAR(gelu(tensor({1.0}), "tanh").item<double>(), 0.8411920, 1e-6);
  EXPECT_NEAR(silu(tensor({1.0})).item<double>(), 0.7310586, 1e-6);
  EXPECT_THROW_WITH(gelu(x, "fast"), ValueError, "approximate");
  EXPECT_THROW_WITH(clamp(x, std::nullopt, std::nullopt), ValueError, "at least one");
}

// The new element functions' values against the C library, including where
// the naive formula would overflow (hypot, logaddexp) or lose digits (expm1).
TEST(Elementwise, MoreUnaryAndBinaryValues) {
  Tensor x = tensor({-0.5, 0.0, 0.5}, ScalarType::Float64);
  const std::vector<double> v = x.to_vector<double>();
  auto each = [&](double (*f)(double)) {
    std::vector<double> r;
    for (double e : v) r.push_back(f(e));
    return r;
  };
  EXPECT_EQ(expm1(x).to_vector<double>(), each(std::expm1));
  EXPECT_EQ(tan(x).to_vector<double>(), each(std::tan));
  EXPECT_EQ(asin(x).to_vector<double>(), each(std::asin));
  EXPECT_EQ(acos(x).to_vector<double>(), each(std::acos));
  EXPECT_EQ(atan(x).to_vector<double>(), each(std::atan));
  EXPECT_EQ(sinh(x).to_vector<double>(), each(std::sinh));
  EXPECT_EQ(cosh(x).to_vector<double>(), each(std::cosh));
  EXPECT_EQ(log2(tensor({0.25, 1.0, 1024.0})).to_vector<float>(), (std::vector<float>{-2, 0, 10}));
  EXPECT_EQ(log10(tensor({0.001, 1.0, 1000.0}, ScalarType::Float64)).to_vector<double>(), (std::vector<double>{-3, 0, 3}));
  EXPECT_EQ(expm1(tensor({1e-10}, ScalarType::Float64)).item<double>(), std::expm1(1e-10));  // exp(x) - 1 would give 1.00000008e-10
  EXPECT_EQ(log2(from_vector<int64_t>({8}, {1})).dtype(), ScalarType::Float32);             // integers compute in float
  EXPECT_EQ(hypot(tensor({3e30}), tensor({4e30})).item<float>(), 5e30f);          // 9e60 overflows float32
  EXPECT_NEAR(logaddexp(tensor({1000.0}), tensor({1000.0})).item<double>(), 1000 + std::log(2.0), 1e-3);
  EXPECT_EQ(logaddexp(tensor({-INFINITY}), tensor({-INFINITY})).item<float>(), -INFINITY);
  EXPECT_TRUE(std::isnan(logaddexp(tensor({NAN}), tensor({1.0})).item<float>()));
  EXPECT_EQ(fmod(from_vector<int64_t>({-7, 7}, {2}), wrap_scalar(3)).to_vector<int64_t>(), (std::vector<int64_t>{-1, 1}));
  EXPECT_EQ(fmod(tensor({-7.5, 7.5}), wrap_scalar(-2)).to_vector<float>(), (std::vector<float>{-1.5, 1.5}));
  EXPECT_THROW_WITH(fmod(from_vector<int64_t>({1}, {1}), wrap_scalar(0)), Error, "ZeroDivisionError");
  EXPECT_THROW_WITH(hypot(ones({2, 2}), ones({3})), ValueError, "[2, 2] and [3]");
}

// Every element function of core/pointwise.h, run by the device's backend on
// every dtype it takes, gives what the function gives called on the host:
// exactly on the CPU, except float32 transcendentals, which the CPU computes
// with its own vectorized math (Note [Vectorized float math]: within 3 ulp);
// within a few ulp on a GPU (its math library differs).
TEST_P(ElementwiseOnDevice, EveryPointwiseFunctionMatchesItsElementMath) {
  if (device().is_cpu()) wick::testing::check_every_pointwise_function(device(), 4e-7, 0);
  else wick::testing::check_every_pointwise_function(device(), 1e-6, 1e-14);
}

// clamp as PyTorch: max wins where min > max, one-sided bounds keep
// infinities, a NaN bound gives NaN, integer bounds are converted as PyTorch
// converts numbers (Note [Checked scalar conversion]: -3 is 253 for uint8,
// 300 an error).
TEST_P(ElementwiseOnDevice, ClampSemantics) {
  auto on = [&](const Tensor& t) { return t.to(device()); };
  EXPECT_EQ(clamp(on(tensor({0.0, 1.0, 2.0})), 1.5, 0.5).to_vector<float>(), (std::vector<float>{0.5, 0.5, 0.5}));
  EXPECT_EQ(clamp(on(tensor({INFINITY, -INFINITY})), 0.0, std::nullopt).to_vector<float>(),
            (std::vector<float>{INFINITY, 0}));
  EXPECT_EQ(clamp(on(tensor({INFINITY, -INFINITY})), std::nullopt, 0.0).to_vector<float>(),
            (std::vector<float>{0, -INFINITY}));
  EXPECT_TRUE(std::isnan(clamp(on(tensor({1.0})), NAN, std::nullopt).item<float>()));
  EXPECT_TRUE(std::isnan(clamp(on(tensor({1.0})), std::nullopt, NAN).item<float>()));
  const Tensor big = on(from_vector<int64_t>({INT64_MIN, 0, INT64_MAX}, {3}));
  EXPECT_EQ(clamp(big, int64_t{-5}, std::nullopt).to_vector<int64_t>(), (std::vector<int64_t>{-5, 0, INT64_MAX}));
  EXPECT_EQ(clamp(big, std::nullopt, int64_t{5}).to_vector<int64_t>(), (std::vector<int64_t>{INT64_MIN, 0, 5}));
  Tensor u = on(from_vector<int64_t>({0, 200}, {2}).to(ScalarType::UInt8));
  EXPECT_EQ(clamp(u, int64_t{-3}, std::nullopt).to(ScalarType::Int64).to_vector<int64_t>(),
            (std::vector<int64_t>{253, 253}));
  EXPECT_EQ(clamp(u, std::nullopt, int64_t{-56}).to(ScalarType::Int64).to_vector<int64_t>(),
            (std::vector<int64_t>{0, 200}));
  EXPECT_THROW_WITH(clamp(u, std::nullopt, int64_t{300}), Error, "overflow");
}

TEST(Elementwise, BroadcastErrorNamesShapes) {
  EXPECT_THROW_WITH(ones({2, 3}) + ones({4}), ValueError, "[2, 3] and [4]");
  EXPECT_THROW_WITH(ones({2, 3}) * ones({3, 2}), ValueError, "must match the size");
}

TEST(Elementwise, InplaceForms) {
  Tensor x = tensor({1.0, 2.0});
  x.add_(tensor({1.0, 1.0}), 2).mul_(3);
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{9, 12}));
  x += 1;
  x -= tensor({1.0, 2.0});
  x /= 3;
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{3, 11.0f / 3}));
  Tensor m = ones({2, 3});
  m.add_(tensor({1.0, 2.0, 3.0}));  // broadcast the other operand
  EXPECT_EQ(m.to_vector<float>(), (std::vector<float>{2, 3, 4, 2, 3, 4}));
  EXPECT_THROW_WITH(ones({3}).add_(ones({2, 3})), ValueError, "doesn't match the broadcast shape");
  Tensor i = arange(3);
  EXPECT_THROW_WITH(i.add_(1.5), Error, "can't be cast");  // RuntimeError, as in PyTorch
  EXPECT_THROW_WITH(exp_(i), Error, "can't be cast");
  Tensor v = tensor({-1.0, 1.0});
  v.relu_();
  EXPECT_EQ(v.to_vector<float>(), (std::vector<float>{0, 1}));
  // An operand that overlaps the output partially is refused, as in PyTorch
  // (Note [Overlapping in-place writes]); one whose overlap is too hard to
  // decide (expanded) is read whole before the write.
  Tensor s = tensor({1.0, 2.0, 3.0, 4.0}).view({2, 2});
  EXPECT_THROW_WITH(s.add_(s.t()), Error, "some elements of the input tensor and the written-to tensor");
  EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{1, 2, 3, 4}));
  Tensor r = tensor({1.0, 2.0, 3.0});
  r.add_(r.narrow(0, 0, 1).expand({3}));
  EXPECT_EQ(r.to_vector<float>(), (std::vector<float>{2, 3, 4}));
}

TEST(Elementwise, InplaceWritesIntoOverlappingMemoryAreRefused) {
  // [[1, 2]] expanded to 3 rows: one location per column, written once per row.
  Tensor e = tensor({1.0, 2.0}).view({1, 2}).expand({3, 2});
  EXPECT_THROW_WITH(e.mul_(2), Error, "more than one element of the written-to tensor");
  EXPECT_THROW_WITH(e.add_(tensor({1.0, 1.0})), Error, "more than one element of the written-to tensor");
  EXPECT_THROW_WITH(exp_(e), Error, "more than one element of the written-to tensor");
  EXPECT_THROW_WITH(e.copy_(ones({3, 2})), Error, "more than one element of the written-to tensor");
  EXPECT_EQ(e.contiguous().to_vector<float>(), (std::vector<float>{1, 2, 1, 2, 1, 2}));
  e.fill_(3);  // one value per location: allowed, as in PyTorch
  EXPECT_EQ(e.contiguous().to_vector<float>(), (std::vector<float>{3, 3, 3, 3, 3, 3}));
  Tensor a = arange(5.0);
  EXPECT_THROW_WITH(a.narrow(0, 1, 4).add_(a.narrow(0, 0, 4)), Error, "some elements of the input tensor");
  EXPECT_THROW_WITH(a.narrow(0, 1, 4).copy_(a.narrow(0, 0, 4)), Error, "some elements of the input tensor");
  a.narrow(0, 0, 2).add_(a.narrow(0, 3, 2));  // disjoint
  a.add_(a);                                   // the same elements
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{6, 10, 4, 6, 8}));
}

TEST(Elementwise, InplaceFormsKeepSelf) {
  // pow_ with a tensor exponent writes into self (a view's base sees it) and keeps self's dtype.
  Tensor t = tensor({1.0, 2.0, 3.0});
  const Tensor v = t.narrow(0, 0, 2);
  pow_(t, tensor({2.0, 2.0, 2.0}).to(ScalarType::Float64));
  EXPECT_EQ(t.dtype(), ScalarType::Float32);
  EXPECT_EQ(v.to_vector<float>(), (std::vector<float>{1, 4}));
  EXPECT_THROW_WITH(pow_(arange(3), tensor({2.0, 2.0, 2.0})), Error,
                    "result type float32 can't be cast to the desired output type int64");
  // div_ with a rounding mode; integers divide exactly.
  Tensor i = from_vector(std::vector<int64_t>{7, -7, (int64_t{1} << 40) + 3}, {3});
  div_(i, wrap_scalar(2), "trunc");
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{3, -3, (int64_t{1} << 39) + 1}));
  div_(i, wrap_scalar(2), "floor");
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{1, -2, int64_t{1} << 38}));
  EXPECT_THROW_WITH(div_(i, wrap_scalar(2), "round"), ValueError, "rounding_mode");
  Tensor m = from_vector(std::vector<int64_t>{5, 7}, {2});
  remainder_(m, wrap_scalar(3));
  bitwise_xor_(m, wrap_scalar(1));
  EXPECT_EQ(m.to_vector<int64_t>(), (std::vector<int64_t>{3, 0}));
  // An integer tensor copied from a float one that requires grad stays out of autograd.
  Tensor n = zeros({2}, TensorOptions(ScalarType::Int64));
  n.copy_(tensor({1.0, 2.0}).requires_grad_());
  EXPECT_FALSE(n.requires_grad());
  EXPECT_EQ(n.grad_fn(), nullptr);
  // Numbers the dtype cannot hold (Note [Checked scalar conversion]).
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_THROW_WITH(n.fill_(-inf), Error, "value cannot be converted to type int64_t without overflow");
  EXPECT_THROW_WITH(n.masked_fill_(ones({2}, TensorOptions(ScalarType::Bool)), std::nan("")), Error,
                    "without overflow");
  EXPECT_THROW_WITH(zeros({2}, TensorOptions(ScalarType::UInt8)).fill_(300), Error, "uint8_t");
  zeros({2}, TensorOptions(ScalarType::UInt8)).fill_(-1);  // wraps, as in PyTorch
  ones({2}).fill_(inf);
}

TEST(Elementwise, InplaceGradients) {
  for (auto op : {0, 1, 2, 3}) {
    SCOPED_TRACE(op);
    auto f = [op](const TensorList& in) {
      Tensor y = in[0] * 1.0;  // a non-leaf to modify
      switch (op) {
        case 0: y.add_(in[1], 2); break;
        case 1: y.mul_(in[1]); break;
        case 2: y.div_(in[1]); break;
        default: y.sub_(in[1]); break;
      }
      return y;
    };
    EXPECT_TRUE(gradcheck(f, {leaf({2, 3}, 0.5, 2), leaf({3}, 0.5, 2)}));
  }
  auto g = [](const TensorList& in) {
    Tensor y = in[0] * 1.0;
    y.clamp_(-0.5, 0.5);
    sigmoid_(y);
    return y;
  };
  EXPECT_TRUE(gradcheck(g, {leaf({5})}));
}

TEST(Elementwise, WhereAndMaskedFill) {
  Tensor c = tensor({1.0, 0.0, 1.0}).to(ScalarType::Bool);
  Tensor a = tensor({1.0, 2.0, 3.0});
  EXPECT_EQ(where(c, a, zeros({1})).to_vector<float>(), (std::vector<float>{1, 0, 3}));
  EXPECT_EQ(masked_fill(a, c, -1.0).to_vector<float>(), (std::vector<float>{-1, 2, -1}));
  EXPECT_THROW_WITH(where(a, a, a), TypeError, "boolean");
  EXPECT_THROW_WITH(masked_fill(a, a, 1), TypeError, "boolean masks");
  auto f = [&](const TensorList& in) { return masked_fill(in[0], c, 0.5); };
  EXPECT_TRUE(gradcheck(f, {leaf({2, 3})}));
  Tensor y = a * 1;
  y.masked_fill_(c, 7);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{7, 2, 7}));
}

TEST(Elementwise, LargeTensorsUseAllThreadsAndMatchSerial) {
  manual_seed(3);
  Tensor a = randn({1000, 300}), b = randn({300});
  Tensor y = a * b + 1;  // parallel path, with a broadcast row
  std::vector<float> av = a.to_vector<float>(), bv = b.to_vector<float>(), yv = y.to_vector<float>();
  for (size_t i = 0; i < av.size(); i += 997) EXPECT_FLOAT_EQ(yv[i], av[i] * bv[i % 300] + 1);
  Tensor t = a.t() * 2;  // strided parallel path
  EXPECT_TRUE(allclose(t.t(), a * 2));
}

TEST(Elementwise, DeviceStrings) {
  if (!cuda::is_available()) EXPECT_THROW_WITH(ones({2}, Device("cuda")), Error, "cuda:0");
  EXPECT_EQ(Device("cuda:1").str(), "cuda:1");
  EXPECT_THROW_WITH(Device("tpu"), ValueError, "device type");
  EXPECT_THROW_WITH(Device("cuda:x"), ValueError, "Invalid device string");
  EXPECT_THROW_WITH(Device("cpu:1"), ValueError, "only index 0");
}

TEST(Elementwise, PrintsLikePyTorch) {
  EXPECT_EQ(tensor({1.0, 2.0}).str(), "tensor([1., 2.])");
  EXPECT_EQ(tensor({1.5, -2.25}).str(), "tensor([ 1.5000, -2.2500])");
  EXPECT_EQ(arange(3).str(), "tensor([0, 1, 2])");
  EXPECT_EQ(tensor({1.0}).requires_grad_().str(), "tensor([1.], requires_grad=True)");
  Tensor y = tensor({1.0}).requires_grad_() + 1;
  EXPECT_EQ(y.str(), "tensor([2.], grad_fn=<AddBackward0>)");
  EXPECT_EQ(tensor({1.0}, ScalarType::Float64).str(), "tensor([1.], dtype=wick.float64)");
  EXPECT_EQ(arange(4).view({2, 2}).str(), "tensor([[0, 1],\n        [2, 3]])");
  EXPECT_EQ(zeros({0}).str(), "tensor([])");
  EXPECT_EQ(arange(0).str(), "tensor([], dtype=wick.int64)");
  EXPECT_EQ(zeros({0, 3}).str(), "tensor([], size=(0, 3))");
  EXPECT_EQ(scalar_tensor(3.0).str(), "tensor(3.)");
  EXPECT_EQ(gt(arange(2), 0).str(), "tensor([False,  True])");
  EXPECT_EQ(tensor({1.0, 2000.0}).str(), "tensor([1.0000e+00, 2.0000e+03])");  // whole, but a ratio past 1000
}

// A long tensor prints its edges, reading only them: an expanded view of 2**62 elements prints at once
// (it used to format every element, and the API fuzzer's 2**62 one never finished).
TEST(Elementwise, PrintsOnlyTheEdgesItShows) {
  EXPECT_EQ(expand(tensor({7.0}), {int64_t{1} << 62}).str(), "tensor([7., 7., 7.,  ..., 7., 7., 7.])");
  EXPECT_EQ(arange(2000).view({40, 50}).str(),
            "tensor([[   0,    1,    2,  ...,   47,   48,   49],\n"
            "        [  50,   51,   52,  ...,   97,   98,   99],\n"
            "        [ 100,  101,  102,  ...,  147,  148,  149],\n"
            "        ...,\n"
            "        [1850, 1851, 1852,  ..., 1897, 1898, 1899],\n"
            "        [1900, 1901, 1902,  ..., 1947, 1948, 1949],\n"
            "        [1950, 1951, 1952,  ..., 1997, 1998, 1999]])");
}

// The new elementwise functions at their edges, against the C library in float64.
TEST(Elementwise, InverseHyperbolicErfcErfinvAndFriendsAtTheirEdges) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const Tensor x = from_vector<double>({-3.0, -0.5, 0.0, 0.25, 2.0}, {5});
  auto expect_each = [&](const Tensor& got, double (*f)(double)) {
    const std::vector<double> v = got.to_vector<double>(), in = x.to_vector<double>();
    for (size_t i = 0; i < in.size(); ++i) EXPECT_DOUBLE_EQ(v[i], f(in[i])) << "at " << in[i];
  };
  expect_each(asinh(x), [](double v) { return std::asinh(v); });
  expect_each(erfc(x), [](double v) { return std::erfc(v); });
  expect_each(exp2(x), [](double v) { return std::exp2(v); });
  expect_each(frac(x), [](double v) { return v - std::trunc(v); });
  EXPECT_TRUE(std::isnan(acosh(tensor({0.5})).item<float>()));
  EXPECT_EQ(atanh(tensor({1.0, -1.0})).to_vector<float>(), (std::vector<float>{INFINITY, -INFINITY}));
  // erfinv inverts erf to double precision, also where erf is near +-1 (Note
  // [erfinv]): checked in the well-conditioned form, erf(x) = y near 0 and
  // erfc(|x|) = 1 - |y| near +-1 (x itself is ill-conditioned there).
  for (double y : {-0.999999999999, -0.9999, -0.7, -1e-9, 0.0, 1e-300, 0.25, 0.49, 0.5, 0.8, 0.999, 1 - 1e-10,
                   1 - 0x1p-53}) {
    const double x = erfinv(from_vector<double>({y}, {1})).item<double>();
    if (std::fabs(y) < 0.5) {
      EXPECT_NEAR(std::erf(x), y, 4e-16 * std::max(std::fabs(y), 1e-300)) << "erfinv(" << y << ")";
    } else {
      // A few ulp of x move erfc(x) by 2x ulp(x) relative: up to 1e-12 here.
      EXPECT_NEAR(std::erfc(std::fabs(x)) / (1 - std::fabs(y)), 1.0, 1e-12) << "erfinv(" << y << ")";
      EXPECT_EQ(std::signbit(x), std::signbit(y));
    }
  }
  const std::vector<double> e = erfinv(from_vector<double>({1.0, -1.0, 1.5, nan, -0.0}, {5})).to_vector<double>();
  EXPECT_EQ(e[0], inf);
  EXPECT_EQ(e[1], -inf);
  EXPECT_TRUE(std::isnan(e[2]) && std::isnan(e[3]));
  EXPECT_TRUE(e[4] == 0.0 && std::signbit(e[4]));
  // The largest float below 1: erfc(3.8325069) = 1 - y within 3e-7 (PyTorch 1.13's 3.8325372 is off by 2.4e-4).
  EXPECT_NEAR(erfinv(tensor({0.99999994f})).item<float>(), 3.8325069f, 1e-6f);
  EXPECT_EQ(deg2rad(tensor({180.0})).item<float>(), static_cast<float>(M_PI));
  EXPECT_EQ(rad2deg(arange(2)).dtype(), ScalarType::Float32);  // integers convert as floats
  EXPECT_THROW_WITH(frac(arange(2)), NotImplementedError, "frac");
}

TEST(Elementwise, XlogyCopysignFmaxFminHeavisideAtTheirEdges) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor a = from_vector<double>({0.0, 0.0, 2.0, 0.0}, {4}), b = from_vector<double>({0.0, nan, 3.0, -1.0}, {4});
  const std::vector<double> xl = xlogy(a, b).to_vector<double>();
  EXPECT_EQ(xl[0], 0.0);
  EXPECT_TRUE(std::isnan(xl[1]));
  EXPECT_DOUBLE_EQ(xl[2], 2.0 * std::log(3.0));
  EXPECT_EQ(xl[3], 0.0);  // 0 * log(-1) is 0, as in PyTorch
  const std::vector<float> cs = copysign(tensor({1.0, -2.0, 3.0}), tensor({-0.0, 3.0, -1.0})).to_vector<float>();
  EXPECT_EQ(cs, (std::vector<float>{-1, 2, -3}));
  const Tensor p = tensor({1.0, NAN, NAN, -1.0}), q = tensor({NAN, 2.0, NAN, -1.0});
  const std::vector<float> mx = fmax(p, q).to_vector<float>(), mn = fmin(p, q).to_vector<float>();
  EXPECT_EQ(mx[0], 1.0f);
  EXPECT_EQ(mx[1], 2.0f);
  EXPECT_TRUE(std::isnan(mx[2]));
  EXPECT_EQ(mn[0], 1.0f);
  EXPECT_EQ(mn[3], -1.0f);
  EXPECT_EQ(fmax(arange(3), from_vector<int64_t>({1, 1, 1}, {3})).to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 2}));
  EXPECT_EQ(heaviside(tensor({-2.0, 0.0, 3.0, NAN}), tensor({0.5})).to_vector<float>(),
            (std::vector<float>{0.0f, 0.5f, 1.0f, 0.0f}));
  EXPECT_THROW_WITH(heaviside(tensor({1.0}), arange(1)), TypeError, "different dtypes");
  Tensor hv = tensor({1.0}).requires_grad_();
  EXPECT_THROW_WITH(heaviside(hv, tensor({0.5})).sum().backward(), NotImplementedError, "derivative for 'heaviside'");
  // The gradient of fmax goes to the number where the other is NaN, and to a on a tie.
  Tensor u = tensor({1.0, NAN, 2.0}).requires_grad_(), w = tensor({NAN, 3.0, 2.0}).requires_grad_();
  fmax(u, w).sum().backward();
  EXPECT_EQ(u.grad().to_vector<float>(), (std::vector<float>{1, 0, 1}));
  EXPECT_EQ(w.grad().to_vector<float>(), (std::vector<float>{0, 1, 0}));
}

TEST(Elementwise, InplaceFormsThroughCopyKeepAutogradAndDtypeRules) {
  // Note [In-place forms through copy_]: the node of f reads a copy, so the gradient is f's at the old value.
  Tensor x = tensor({0.5, 1.0, 2.0}).requires_grad_();
  Tensor y = mul(x, 1);
  inplace_apply(y, "asinh_", [](const Tensor& t) { return asinh(t); });
  y.sum().backward();
  const std::vector<float> g = x.grad().to_vector<float>();
  for (size_t i = 0; i < g.size(); ++i) {
    const double v = std::vector<double>{0.5, 1.0, 2.0}[i];
    EXPECT_NEAR(g[i], 1.0 / std::sqrt(v * v + 1), 1e-6);
  }
  // Through a view: the base gets the op's history.
  Tensor base = zeros({2, 3}).requires_grad_();
  Tensor z = add(base, 1);
  Tensor row = z.select(0, 1);
  inplace_apply(row, "exp2_", [](const Tensor& t) { return exp2(t); });
  z.sum().backward();
  const std::vector<float> gb = base.grad().to_vector<float>();
  for (size_t i = 0; i < gb.size(); ++i) EXPECT_NEAR(gb[i], i < 3 ? 1.0 : 2 * M_LN2, 1e-6) << i;  // d 2^z / dz at z = 1
  EXPECT_THROW_WITH(inplace_apply(arange(3), "asin_", [](const Tensor& t) { return asin(t); }), TypeError,
                    "can't be cast to the desired output type");
  EXPECT_THROW_WITH(inplace_apply(ones({3}), "hypot_", [](const Tensor& t) { return hypot(t, ones({2, 3})); }),
                    ValueError, "doesn't match the broadcast shape");
  Tensor leaf_x = ones({2}).requires_grad_();
  EXPECT_THROW_WITH(inplace_apply(leaf_x, "sin_", [](const Tensor& t) { return sin(t); }), Error,
                    "leaf Variable that requires grad");
}
