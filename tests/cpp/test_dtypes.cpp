// Dtypes through the C++ API, as PyTorch 1.13 gives them (issue 21): add's
// alpha in the result dtype, what each op refuses (bool subtraction, integer
// activations, argmax of bools), numbers converted with PyTorch's overflow
// check, clamp's promotion and tensor bounds, round with decimals, where with
// numbers and linear with a 1-D weight. tests/python/test_correctness_dtypes.py
// compares the same with PyTorch itself.
#include <cmath>
#include <limits>

#include "autograd/gradcheck.h"
#include "test_util.h"

using namespace wick;

namespace {

Tensor bools(std::vector<bool> v) {
  Tensor t = empty({static_cast<int64_t>(v.size())}, ScalarType::Bool);
  for (size_t i = 0; i < v.size(); ++i) t.select(0, static_cast<int64_t>(i)).fill_(Scalar(static_cast<bool>(v[i])));
  return t;
}
Tensor ints(std::vector<int64_t> v, ScalarType t = ScalarType::Int64) {
  return from_vector<int64_t>(v, {static_cast<int64_t>(v.size())}).to(t);
}

}  // namespace

// Note [alpha of add and sub]: alpha is cast to the result dtype of the two tensors.
TEST(Dtypes, CanCastIsPyTorchs) {
  // Within a category anything (float64 into float32, int64 into uint8); upward anything; downward nothing.
  const ScalarType all[] = {ScalarType::Bool,    ScalarType::UInt8,    ScalarType::Int32,   ScalarType::Int64,
                            ScalarType::Float16, ScalarType::BFloat16, ScalarType::Float32, ScalarType::Float64};
  for (ScalarType from : all) {
    for (ScalarType to : all) {
      const bool expected = !(is_floating_point(from) && !is_floating_point(to)) &&
                            !(from != ScalarType::Bool && to == ScalarType::Bool);
      EXPECT_EQ(can_cast(from, to), expected) << from << " -> " << to;
    }
  }
  EXPECT_TRUE(can_cast(ScalarType::Float64, ScalarType::Float32));
  EXPECT_TRUE(can_cast(ScalarType::Int64, ScalarType::UInt8));
  EXPECT_TRUE(can_cast(ScalarType::Bool, ScalarType::Float32));
  EXPECT_FALSE(can_cast(ScalarType::Float32, ScalarType::Int64));
  EXPECT_FALSE(can_cast(ScalarType::UInt8, ScalarType::Bool));
  // Each user of it words the refusal as PyTorch does.
  const Tensor i = ints({1, 2});
  EXPECT_THROW_WITH(add_(i, from_vector<float>({0.5f, 1.5f}, {2})), Error,
                    "result type float32 can't be cast to the desired output type int64");
  EXPECT_THROW_WITH(div_(i, from_vector<float>({1.0f, 2.0f}, {2}), "trunc"), Error, "can't be cast");
  EXPECT_THROW_WITH(clamp_(i, Scalar(0.5), std::nullopt), Error, "can't be cast");
}

TEST(Dtypes, AlphaIsCastToTheResultDtype) {
  const Tensor b = bools({true, false}), c = bools({false, false});
  Tensor r = add(b, c, 2);
  EXPECT_EQ(r.dtype(), ScalarType::Bool);  // was int64 [1, 0]
  EXPECT_EQ(r.to_vector<bool>(), (std::vector<bool>{true, false}));
  EXPECT_EQ(add(b, c, 0).to_vector<bool>(), (std::vector<bool>{true, false}));
  EXPECT_EQ(add(ints({1}, ScalarType::Int32), bools({true}), 2).dtype(), ScalarType::Int32);  // was int64
  EXPECT_EQ(add(ints({1}, ScalarType::Int32), bools({true}), 2).to_vector<int32_t>(), (std::vector<int32_t>{3}));
  const Tensor bb = b.clone();
  add_(bb, c, 2);
  EXPECT_EQ(bb.to_vector<bool>(), (std::vector<bool>{true, false}));
  EXPECT_THROW_WITH(add(ints({1}), ints({2}), 2.5), TypeError, "alpha must not be a floating point number");
  EXPECT_THROW_WITH(add(tensor({1.0}), tensor({1.0}), true), TypeError, "Boolean alpha only supported");
  EXPECT_THROW_WITH(add(ints({5}, ScalarType::UInt8), ints({3}, ScalarType::UInt8), 300), Error, "overflow");
  EXPECT_EQ(add(ints({5}, ScalarType::UInt8), ints({3}, ScalarType::UInt8), -1).to_vector<uint8_t>(),
            (std::vector<uint8_t>{2}));
  EXPECT_EQ(add(tensor({1.0}), ints({2}), 2.5).to_vector<float>(), (std::vector<float>{6}));
}

TEST(Dtypes, BoolSubtractionAndNegationAreErrors) {
  const Tensor b = bools({true, false});
  EXPECT_THROW_WITH(sub(b, b), TypeError, "with two bool tensors");
  EXPECT_THROW_WITH(sub(b, 1), TypeError, "with a bool tensor");  // was int64 [0, -1]
  EXPECT_THROW_WITH(sub(1, b), TypeError, "with a bool tensor");
  EXPECT_THROW_WITH(sub(tensor({1.0}), wrap_scalar(true)), TypeError, "with a bool tensor");
  EXPECT_THROW_WITH(sub(b, b, 2), TypeError, "with two bool tensors");
  EXPECT_THROW_WITH(sub_(b.clone(), b), TypeError, "with two bool tensors");
  EXPECT_THROW_WITH(neg_(b.clone()), TypeError, "Negation");  // was a NotImplementedError naming neg
  EXPECT_THROW_WITH(relu(b), TypeError, "Boolean inputs not supported for relu");
  EXPECT_THROW_WITH(relu_(b.clone()), TypeError, "Boolean inputs not supported for relu");
}

// Note [Which dtypes an op takes]: Floating ops compute integers as floats, FloatingOnly ops refuse them.
TEST(Dtypes, FloatingOnlyFunctionsRefuseIntegers) {
  const Tensor i = ints({1, -2}), b = bools({true, false});
  EXPECT_EQ(sigmoid(i).dtype(), ScalarType::Float32);
  EXPECT_EQ(tanh(b).dtype(), ScalarType::Float32);
  EXPECT_EQ(atan2(i, i).dtype(), ScalarType::Float32);
  for (const Tensor& x : {i, b}) {
    EXPECT_THROW_WITH(gelu(x), NotImplementedError, "gelu");  // were float32
    EXPECT_THROW_WITH(silu(x), NotImplementedError, "silu");
    EXPECT_THROW_WITH(leaky_relu(x), NotImplementedError, "leaky_relu");
    EXPECT_THROW_WITH(hypot(x, x), NotImplementedError, "hypot");
    EXPECT_THROW_WITH(logaddexp(x, x), NotImplementedError, "logaddexp");
    EXPECT_THROW_WITH(round(x, 1), NotImplementedError, "round");
  }
  EXPECT_THROW(wick::abs(b), NotImplementedError);
  EXPECT_THROW(wick::ceil(b), NotImplementedError);
  EXPECT_THROW(wick::floor(b), NotImplementedError);
  EXPECT_THROW(wick::trunc(b), NotImplementedError);
}

TEST(Dtypes, SignOfBoolAndArgmaxOfBool) {
  const Tensor b = bools({true, false});
  EXPECT_EQ(sign(b).dtype(), ScalarType::Bool);  // was a TypeError
  EXPECT_EQ(sign(b).to_vector<bool>(), (std::vector<bool>{true, false}));
  EXPECT_THROW_WITH(argmax(b), NotImplementedError, "argmax");  // was 0
  EXPECT_THROW_WITH(argmin(b, 0), NotImplementedError, "argmin");
  EXPECT_EQ(max(b).item<bool>(), true);  // max and min do take bools
}

// Note [Checked scalar conversion]
TEST(Dtypes, NumbersAreConvertedWithPyTorchsOverflowCheck) {
  EXPECT_EQ(checked_convert(-1, ScalarType::UInt8, "t").to<int64_t>(), 255);
  EXPECT_EQ(checked_convert(-255, ScalarType::UInt8, "t").to<int64_t>(), 1);
  EXPECT_THROW_WITH(checked_convert(-256, ScalarType::UInt8, "t"), Error, "cannot be converted to type uint8");
  EXPECT_THROW_WITH(checked_convert(256, ScalarType::UInt8, "t"), Error, "without overflow");
  EXPECT_THROW_WITH(checked_convert(-0.5, ScalarType::UInt8, "t"), Error, "without overflow");
  EXPECT_THROW_WITH(checked_convert(int64_t{1} << 40, ScalarType::Int32, "t"), Error, "int32");
  EXPECT_THROW_WITH(checked_convert(NAN, ScalarType::Int64, "t"), Error, "int64");
  EXPECT_THROW_WITH(checked_convert(INFINITY, ScalarType::Int32, "t"), Error, "int32");
  EXPECT_THROW_WITH(checked_convert(9223372036854775808.0, ScalarType::Int64, "t"), Error, "int64");
  EXPECT_EQ(checked_convert(2.7, ScalarType::Int32, "t").to<int64_t>(), 2);
  EXPECT_THROW_WITH(checked_convert(1e39, ScalarType::Float32, "t"), Error, "float32");
  EXPECT_THROW_WITH(checked_convert(70000, ScalarType::Float16, "t"), Error, "float16");
  EXPECT_TRUE(std::isinf(checked_convert(INFINITY, ScalarType::Float32, "t").to_double()));
  EXPECT_TRUE(std::isnan(checked_convert(NAN, ScalarType::Float32, "t").to_double()));
  EXPECT_EQ(checked_convert(1e300, ScalarType::Float64, "t").to_double(), 1e300);
  EXPECT_TRUE(checked_convert(2, ScalarType::Bool, "t").to<bool>());
  EXPECT_FALSE(checked_convert(0.0, ScalarType::Bool, "t").to<bool>());
  EXPECT_THROW_WITH(full({1}, 300, ScalarType::UInt8), Error, "full");  // was [44]
  EXPECT_EQ(full({1}, -1, ScalarType::UInt8).to_vector<uint8_t>(), (std::vector<uint8_t>{255}));
  EXPECT_THROW_WITH(pow(ints({1}, ScalarType::UInt8), 300), Error, "overflow");
}

// Note [clamp's dtype and bounds]
TEST(Dtypes, ClampPromotesWithItsBounds) {
  const Tensor a = arange(5);
  Tensor r = clamp(a, Scalar(1.5), std::nullopt);  // was a TypeError
  EXPECT_EQ(r.dtype(), ScalarType::Float32);
  EXPECT_EQ(r.to_vector<float>(), (std::vector<float>{1.5, 1.5, 2, 3, 4}));
  EXPECT_EQ(clamp(a, 1, 3).dtype(), ScalarType::Int64);
  EXPECT_EQ(clamp(bools({true, false}), 0, 1).dtype(), ScalarType::Int64);
  EXPECT_THROW(clamp(bools({true, false}), true, std::nullopt), NotImplementedError);
  EXPECT_THROW_WITH(clamp_(a.clone(), Scalar(1.5), std::nullopt), Error, "can't be cast");  // RuntimeError, as in PyTorch
  EXPECT_THROW_WITH(clamp(ints({1}, ScalarType::UInt8), std::nullopt, 300), Error, "overflow");
  EXPECT_EQ(clamp(ints({1, 2}, ScalarType::UInt8), -1, std::nullopt).to_vector<uint8_t>(),
            (std::vector<uint8_t>{255, 255}));
  const Tensor x = tensor({1.0, 2.0});
  clamp_(x, Scalar(1.5), std::nullopt);
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{1.5, 2}));
}

TEST(Dtypes, ClampWithTensorBounds) {
  const Tensor x = tensor({1.0, 5.0, -3.0, 2.0});
  const Tensor lo = tensor({0.0, 0.0, 0.0, 3.0}), hi = tensor({2.0, 4.0, 1.0, 1.0});
  EXPECT_EQ(clamp(x, lo, hi).to_vector<float>(), (std::vector<float>{1, 4, 0, 1}));  // min > max: max
  EXPECT_EQ(clamp(x, lo, Tensor()).to_vector<float>(), (std::vector<float>{1, 5, 0, 3}));
  EXPECT_EQ(clamp(x, Tensor(), hi).to_vector<float>(), (std::vector<float>{1, 4, -3, 1}));
  EXPECT_EQ(clamp(x, lo.to(ScalarType::Float64), Tensor()).dtype(), ScalarType::Float64);
  EXPECT_EQ(clamp(arange(4), lo, Tensor()).dtype(), ScalarType::Float32);
  EXPECT_EQ(clamp(x.reshape({4, 1}), lo, hi).sizes(), IntArrayRef({4, 4}));
  EXPECT_TRUE(std::isnan(clamp(x, full({4}, NAN), hi).to_vector<float>()[0]));
  EXPECT_THROW_WITH(clamp(x, lo.narrow(0, 0, 3), Tensor()), ValueError, "[4] and [3]");
  EXPECT_THROW_WITH(clamp(x, Tensor(), Tensor()), ValueError, "at least one");
  EXPECT_THROW(clamp(bools({true}), bools({false}), Tensor()), NotImplementedError);
  const Tensor y = x.clone();
  clamp_(y, lo, hi);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1, 4, 0, 1}));
  EXPECT_THROW_WITH(clamp_(x.clone(), lo.reshape({4, 1}), Tensor()), ValueError, "broadcast shape");
  EXPECT_THROW_WITH(clamp_(arange(4), lo, Tensor()), Error, "can't be cast");

  // Gradients to all three (ClampBackward0), and their own finite differences.
  const Tensor xl = x.to(ScalarType::Float64).requires_grad_(), ll = lo.to(ScalarType::Float64).requires_grad_(),
               hl = hi.to(ScalarType::Float64).requires_grad_();
  Tensor out = clamp(xl, ll, hl);
  EXPECT_EQ(out.grad_fn()->name(), "ClampBackward0");
  mul(out, tensor({1.0, 2.0, 3.0, 4.0}, ScalarType::Float64)).sum().backward();
  EXPECT_EQ(xl.grad().to_vector<double>(), (std::vector<double>{1, 0, 0, 0}));
  EXPECT_EQ(ll.grad().to_vector<double>(), (std::vector<double>{0, 0, 3, 0}));
  EXPECT_EQ(hl.grad().to_vector<double>(), (std::vector<double>{0, 2, 0, 4}));
  const Tensor a = tensor({0.3, 5.0, -3.0, 0.7}, ScalarType::Float64).requires_grad_();
  const Tensor b = tensor({0.0, 0.5}, ScalarType::Float64).reshape({2, 1}).requires_grad_();
  const Tensor c = tensor({1.0, 4.0, 1.0, 0.6}, ScalarType::Float64).requires_grad_();
  EXPECT_TRUE(gradcheck([](const TensorList& t) { return clamp(t[0], t[1], t[2]); }, {a, b, c}));
}

TEST(Dtypes, RoundWithDecimals) {
  const Tensor x = tensor({1.2345, -2.5, 1234.5678});
  EXPECT_EQ(round(x, 2).to_vector<float>(), (std::vector<float>{1.23f, -2.5f, 1234.57f}));
  EXPECT_EQ(round(x, -2).to_vector<float>(), (std::vector<float>{0, -0.0f, 1200}));
  EXPECT_EQ(round(tensor({2.5}), 0).item<float>(), 2);  // halves to even
  EXPECT_TRUE(std::isnan(round(tensor({2.5}, ScalarType::Float64), 400).item<double>()));  // 10^400 is inf
  const Tensor y = x.clone();
  round_(y, 1);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1.2f, -2.5f, 1234.6f}));
  const Tensor g = tensor({1.25}).requires_grad_();
  Tensor r = round(g, 1);
  EXPECT_EQ(r.grad_fn()->name(), "RoundBackward1");
  r.sum().backward();
  EXPECT_EQ(g.grad().item<float>(), 0);
}

TEST(Dtypes, WhereWithNumbers) {
  const Tensor c = bools({true, false});
  EXPECT_EQ(where(c, 1.5, 2).dtype(), ScalarType::Float32);
  EXPECT_EQ(where(c, 1, 2).dtype(), ScalarType::Int64);
  EXPECT_EQ(where(c, true, false).dtype(), ScalarType::Bool);
  EXPECT_EQ(where(c, 1.5, ints({1, 2}, ScalarType::Int32)).to_vector<float>(), (std::vector<float>{1.5, 2}));
  EXPECT_EQ(where(c, ints({1, 2}, ScalarType::UInt8), -1).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 255}));
  EXPECT_THROW_WITH(where(c, ints({1, 2}, ScalarType::UInt8), 300), Error, "overflow");
  EXPECT_EQ(where(ints({1, 0}, ScalarType::UInt8), tensor({1.0, 2.0}), 0.0).to_vector<float>(),
            (std::vector<float>{1, 0}));
  EXPECT_THROW_WITH(where(ints({1, 0}), tensor({1.0, 2.0}), 0.0), TypeError, "boolean");
}

// Note [linear with a 1-D weight]
TEST(Dtypes, LinearWithAOneDimensionalWeight) {
  const Tensor x = tensor({1.0, 1.0, 1.0, 1.0, 0.0, 2.0}).reshape({2, 3}), w = tensor({1.0, 2.0, 3.0});
  EXPECT_EQ(linear(x, w).to_vector<float>(), (std::vector<float>{6, 7}));  // was a ValueError
  EXPECT_EQ(linear(x, w, scalar_tensor(0.5)).to_vector<float>(), (std::vector<float>{6.5, 7.5}));
  EXPECT_EQ(linear(x.select(0, 1), w).dim(), 0);
  EXPECT_EQ(linear(x.select(0, 1), w, scalar_tensor(1.0)).item<float>(), 8);
  EXPECT_THROW_WITH(linear(x, w, ones({3})), ValueError, "broadcast");
  EXPECT_THROW_WITH(linear(x, ones({2})), ValueError, "in_features");
  const Tensor xl = x.to(ScalarType::Float64).requires_grad_(), wl = w.to(ScalarType::Float64).requires_grad_();
  EXPECT_TRUE(gradcheck([](const TensorList& t) { return linear(t[0], t[1], t[2]); },
                                  {xl, wl, scalar_tensor(0.5, ScalarType::Float64).requires_grad_()}));
}
