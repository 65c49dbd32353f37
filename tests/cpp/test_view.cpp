// View ops: they share storage, compute the right geometry, have gradients,
// and reject bad arguments with clear messages.
#include "test_util.h"

using namespace wick;
using wick::testing::leaf;
using wick::testing::noncontiguous_leaf;

namespace {
bool shares_storage(const Tensor& a, const Tensor& b) { return a.impl()->storage() == b.impl()->storage(); }

// The suites below run once per device (test_util.h).
class ViewOnDevice : public wick::testing::OnEachDevice {};
WICK_ON_EACH_DEVICE(ViewOnDevice);
}  // namespace

TEST(View, ViewsShareStorage) {
  Tensor x = arange(24).view({2, 3, 4});
  for (const Tensor& v : TensorList{x.view({6, 4}), x.permute({2, 0, 1}), x.transpose(0, 2), x.unsqueeze(1), x.select(1, 2),
                          x.narrow(2, 1, 2), x.slice(2, 0, std::nullopt, 2), x.flatten(), x[0].t(),
                          x.expand({5, 2, 3, 4}), x.squeeze(), x.unflatten(2, {2, 2}), x.detach()}) {
    EXPECT_TRUE(shares_storage(v, x));
  }
  Tensor v = x.view({6, 4});
  v.fill_(7);
  EXPECT_EQ(x.sum().item<int64_t>(), 7 * 24);
}

// Note [Raw views]: the offset counts from the base's first element, the
// storage and version counter are shared, and nothing is recorded.
TEST(View, RawViewOffsetIsRelativeToItsBase) {
  Tensor x = arange(24, TensorOptions(ScalarType::Float32)).requires_grad_();
  Tensor row = x.view({4, 6})[1];  // storage offset 6, with history
  Tensor v = raw_view(row, {2, 2}, {3, 1}, 1);
  EXPECT_EQ(v.storage_offset(), 7);
  EXPECT_EQ(v.to_vector<float>(), (std::vector<float>{7, 8, 10, 11}));
  EXPECT_EQ(raw_view(row, {3}).to_vector<float>(), (std::vector<float>{6, 7, 8}));
  EXPECT_TRUE(shares_storage(v, x));
  EXPECT_FALSE(v.requires_grad());
  EXPECT_FALSE(v.grad_fn());
  EXPECT_FALSE(v.impl()->view_base);
  const uint32_t before = x.version();
  {
    NoGradGuard no_grad;
    v.fill_(0);
  }
  EXPECT_EQ(x.version(), before + 1);
  EXPECT_EQ(v.version(), x.version());
  EXPECT_EQ(x.detach().sum().item<float>(), 276 - 36);
}

TEST(View, GeometryAndValues) {
  Tensor x = arange(24).view({2, 3, 4});
  EXPECT_EQ(x.permute({2, 0, 1}).sizes(), IntArrayRef({4, 2, 3}));
  EXPECT_EQ(x.permute({2, 0, 1}).contiguous().to_vector<int64_t>()[1], 4);
  EXPECT_EQ(x.transpose(1, 2).strides(), IntArrayRef({12, 1, 4}));
  EXPECT_EQ(x.select(1, -1).to_vector<int64_t>(), (std::vector<int64_t>{8, 9, 10, 11, 20, 21, 22, 23}));
  EXPECT_EQ(x.slice(2, 1, std::nullopt, 2).to_vector<int64_t>(), (std::vector<int64_t>{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23}));
  EXPECT_EQ(x.slice(0, -1).sizes(), IntArrayRef({1, 3, 4}));
  EXPECT_EQ(x.slice(0, 5, 10).sizes(), IntArrayRef({0, 3, 4}));  // clamped, as in Python
  EXPECT_EQ(x.narrow(1, 1, 2).sizes(), IntArrayRef({2, 2, 4}));
  EXPECT_EQ(x.unsqueeze(-1).sizes(), IntArrayRef({2, 3, 4, 1}));
  EXPECT_EQ(x.unsqueeze(0).unsqueeze(3).squeeze().sizes(), IntArrayRef({2, 3, 4}));
  EXPECT_EQ(x.unsqueeze(0).squeeze(0).sizes(), IntArrayRef({2, 3, 4}));
  EXPECT_EQ(x.squeeze(1).sizes(), IntArrayRef({2, 3, 4}));  // size != 1: unchanged
  EXPECT_EQ(x.flatten(1).sizes(), IntArrayRef({2, 12}));
  EXPECT_EQ(x.view({-1, 8}).sizes(), IntArrayRef({3, 8}));
  EXPECT_EQ(x.expand({2, -1, -1, -1}).strides(), IntArrayRef({0, 12, 4, 1}));
  EXPECT_EQ(tensor({1.0, 2.0}).view({2, 1}).expand({2, 3}).to_vector<float>(), (std::vector<float>{1, 1, 1, 2, 2, 2}));
  EXPECT_EQ(scalar_tensor(5.0).reshape({1, 1}).sizes(), IntArrayRef({1, 1}));
  EXPECT_EQ(x.as_strided({2, 2}, {1, 4}, 1).to_vector<int64_t>(), (std::vector<int64_t>{1, 5, 2, 6}));
}

TEST(View, ReshapeCopiesOnlyWhenItMust) {
  Tensor x = arange(12).view({3, 4});
  EXPECT_TRUE(shares_storage(x.reshape({4, 3}), x));
  Tensor t = x.t();
  EXPECT_FALSE(t.is_contiguous());
  Tensor r = t.reshape({12});
  EXPECT_FALSE(shares_storage(r, x));
  EXPECT_EQ(r.to_vector<int64_t>(), (std::vector<int64_t>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  EXPECT_THROW_WITH(t.view({12}), Error, "view size is not compatible");
  EXPECT_TRUE(shares_storage(t.contiguous(), r) == false);
  EXPECT_TRUE(shares_storage(x.contiguous(), x));
}

TEST(View, Errors) {
  Tensor x = zeros({2, 3});
  EXPECT_THROW_WITH(x.view({4, 2}), ValueError, "shape '[4, 2]' is invalid for input of size 6");
  EXPECT_THROW_WITH(x.view({-1, -1}), ValueError, "only one dimension can be inferred");
  EXPECT_THROW_WITH(x.permute({0}), ValueError, "len(dims) = 1");
  EXPECT_THROW_WITH(x.permute({0, 0}), ValueError, "repeated dim");
  EXPECT_THROW_WITH(x.transpose(0, 2), IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
  EXPECT_THROW_WITH(x.expand({3, 3}), ValueError, "The expanded size of the tensor (3) must match the existing size (2)");
  EXPECT_THROW_WITH(x.expand({3}), ValueError, "must be greater or equal");
  // A size of 1 expands to any size >= 0, never to a negative one (the API fuzzer's finding: expand(-7) made one).
  EXPECT_THROW_WITH(zeros({1}).expand({-7}), ValueError, "the expanded size -7 at dimension 0 is negative");
  EXPECT_EQ(zeros({1}).expand({0}).numel(), 0);
  EXPECT_THROW_WITH(x.select(0, 2), IndexError, "index 2 out of range");
  EXPECT_THROW_WITH(x.narrow(1, 2, 2), IndexError, "exceeds dimension size");
  EXPECT_THROW_WITH(x.slice(1, 0, 2, 0), ValueError, "step must be positive");
  EXPECT_THROW_WITH(x.as_strided({3, 3}, {3, 1}), IndexError, "require a storage of 9 elements");
  EXPECT_THROW_WITH(zeros({2, 3, 4}).t(), ValueError, "<= 2 dimensions");
  EXPECT_THROW_WITH(scalar_tensor(1.0).select(0, 0), IndexError, "0-dim");
  EXPECT_THROW_WITH(x.flatten(1, 0), ValueError, "cannot come after");
}

TEST_P(ViewOnDevice, Gradients) {
  manual_seed(5);
  const Device d = device();
  using F = std::function<Tensor(const Tensor&)>;
  const std::vector<std::pair<const char*, F>> cases = {
      {"view", [](const Tensor& x) { return x.view({4, 3}); }},
      {"reshape", [](const Tensor& x) { return x.reshape({-1}); }},
      {"permute", [](const Tensor& x) { return x.permute({1, 0}); }},
      {"transpose", [](const Tensor& x) { return x.transpose(0, 1); }},
      {"t", [](const Tensor& x) { return x.t(); }},
      {"unsqueeze", [](const Tensor& x) { return x.unsqueeze(1); }},
      {"squeeze", [](const Tensor& x) { return x.unsqueeze(0).squeeze(); }},
      {"squeeze_dim", [](const Tensor& x) { return x.unsqueeze(2).squeeze(2); }},
      {"expand", [](const Tensor& x) { return x.unsqueeze(0).expand({2, 3, 4}); }},
      {"flatten", [](const Tensor& x) { return x.flatten(); }},
      {"unflatten", [](const Tensor& x) { return x.unflatten(1, {2, 2}); }},
      {"narrow", [](const Tensor& x) { return x.narrow(1, 1, 2); }},
      {"slice_step", [](const Tensor& x) { return x.slice(1, 0, std::nullopt, 3); }},
      {"select", [](const Tensor& x) { return x.select(1, -1); }},
      {"clone", [](const Tensor& x) { return x.clone(); }},
      {"contiguous", [](const Tensor& x) { return x.t().contiguous(); }},
      {"view_of_view", [](const Tensor& x) { return x.t().select(0, 1).unsqueeze(0) * 2; }},
  };
  for (const auto& [name, fn_] : cases) {
    SCOPED_TRACE(name);
    const auto& fn = fn_;  // clang 14 cannot capture a structured binding
    auto f = [&](const TensorList& in) { return fn(in[0]); };
    EXPECT_TRUE(gradcheck(f, {leaf({3, 4}, -1, 1, d)}));
    if (std::string(name) != "view" && std::string(name) != "unflatten") {
      EXPECT_TRUE(gradcheck(f, {noncontiguous_leaf({3, 4}, -1, 1, d)}));
    }
  }
  auto strided = [](const TensorList& in) { return in[0].as_strided({2, 2}, {1, 4}, 1); };
  EXPECT_TRUE(gradcheck(strided, {leaf({3, 4}, -1, 1, d)}));
  auto zero = [](const TensorList& in) { return in[0].view({0, 4}).t(); };
  EXPECT_TRUE(gradcheck(zero, {leaf({0, 4}, -1, 1, d)}));
}

TEST(View, SecondOrderThroughSlices) {
  Tensor x = tensor({1.0, 2.0, 3.0}, ScalarType::Float64).requires_grad_();
  Tensor y = (x.slice(0, 1) * x.slice(0, 1) * x.slice(0, 1)).sum();  // sum of x_i^3 for i >= 1
  TensorList g = autograd::grad({y}, {x}, {}, {}, true);
  EXPECT_EQ(g[0].to_vector<double>(), (std::vector<double>{0, 12, 27}));
  TensorList gg = autograd::grad({g[0].sum()}, {x});
  EXPECT_EQ(gg[0].to_vector<double>(), (std::vector<double>{0, 12, 18}));
}

TEST_P(ViewOnDevice, InplaceWriteIntoViewGivesTheBaseItsHistory) {
  Tensor w = tensor({1.0, 2.0, 3.0}).to(device()).requires_grad_();
  Tensor x = zeros({2, 3}, TensorOptions().device(device()));
  x[1].copy_(w * 2);  // like x[1] = w * 2 in Python
  EXPECT_EQ(x.grad_fn()->name(), "CopySlices");
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{0, 0, 0, 2, 4, 6}));
  (x * x).sum().backward();  // d/dw sum((2w)^2) = 8w
  EXPECT_EQ(w.grad().to_vector<float>(), (std::vector<float>{8, 16, 24}));
}

TEST_P(ViewOnDevice, InplaceOpsOnViewsHaveCorrectGradients) {
  manual_seed(11);
  const Device d = device();
  auto narrow_mul = [](const TensorList& in) {
    Tensor y = in[0] * 1.0;
    y.narrow(1, 0, 2).mul_(in[1]);
    return y;
  };
  EXPECT_TRUE(gradcheck(narrow_mul, {leaf({2, 3}, -1, 1, d), leaf({2, 2}, -1, 1, d)}));
  auto select_relu = [](const TensorList& in) {
    Tensor y = in[0] * 1.0;
    y.select(0, 1).relu_();
    return y * y;
  };
  EXPECT_TRUE(gradcheck(select_relu, {leaf({3, 4}, -1, 1, d)}));
  auto fill_columns = [d](const TensorList& in) {
    Tensor out = zeros({3, 4}, TensorOptions(ScalarType::Float64).device(d));
    for (int64_t j = 0; j < 4; ++j) out.select(1, j).copy_(in[0] * static_cast<double>(j + 1));
    return out.t().sigmoid();
  };
  EXPECT_TRUE(gradcheck(fill_columns, {leaf({3}, -1, 1, d)}));
  // The view reads the base's new history afterwards.
  Tensor a = tensor({1.0, 2.0}).to(d).requires_grad_();
  Tensor y = a * 1;
  Tensor v = y.view({2, 1});
  v.mul_(3);
  EXPECT_EQ(v.grad_fn()->name(), "AsStridedBackward0");
  v.sum().backward();
  EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{3, 3}));
}

TEST(View, InplaceOnViewOfLeafRequiringGradIsAnError) {
  Tensor w = tensor({1.0, 2.0}).requires_grad_();
  EXPECT_THROW_WITH(w[0].mul_(2), Error, "a view of a leaf Variable that requires grad");
}
