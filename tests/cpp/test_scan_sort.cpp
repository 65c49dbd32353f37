// Scans (cumsum, cumprod, cummax, cummin, logcumsumexp) and sorts (sort,
// argsort, topk, kthvalue, median, nanmedian): values with NaNs and ties
// against PyTorch's rules, gradients against float64 finite differences and
// differentiable again, on each device; the combine steps of
// backends/scan_math.h (which the GPU's parallel scans use) checked for
// associativity; errors.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <string_view>

#include "backends/scan_math.h"
#include "test_util.h"
#include "wick.h"

using namespace wick;
using wick::testing::leaf;
using wick::testing::noncontiguous_leaf;

namespace {

class ScanSortOnDevice : public wick::testing::OnEachDevice {};
WICK_ON_EACH_DEVICE(ScanSortOnDevice);

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<int64_t> ints(const Tensor& t) { return t.cpu().to_vector<int64_t>(); }
std::vector<double> doubles(const Tensor& t) { return t.cpu().to(ScalarType::Float64).to_vector<double>(); }

// Compares element by element, NaN equal to NaN and -0.0 to 0.0.
void expect_same(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) EXPECT_TRUE(std::isnan(got[i])) << "at " << i;
    else if (std::isinf(want[i])) EXPECT_EQ(got[i], want[i]) << "at " << i;
    else EXPECT_NEAR(got[i], want[i], 1e-12 * (1 + std::abs(want[i]))) << "at " << i;
  }
}

Tensor on(const Tensor& t, Device d) { return t.to(d); }

}  // namespace

TEST_P(ScanSortOnDevice, ScanValues) {
  const Device d = device();
  const Tensor x = on(from_vector<double>({1, 3, 3, kNaN, 5, kNaN, 2}, {7}), d);
  // PyTorch's cummax: ties move the position forward; a NaN stays, and a later NaN takes its place.
  const ValuesIndices mx = cummax(x, 0);
  expect_same(doubles(mx.values), {1, 3, 3, kNaN, kNaN, kNaN, kNaN});
  EXPECT_EQ(ints(mx.indices), (std::vector<int64_t>{0, 1, 2, 3, 3, 5, 5}));
  const ValuesIndices mn = cummin(on(from_vector<double>({2, 1, 1, 0, 0}, {5}), d), 0);
  EXPECT_EQ(ints(mn.indices), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  expect_same(doubles(logcumsumexp(on(from_vector<double>({-kInf, -kInf, 1, kInf, kNaN, 1}, {6}), d), 0)),
              {-kInf, -kInf, 1, kInf, kNaN, kNaN});
  expect_same(doubles(logcumsumexp(on(from_vector<double>({0, 0, 1000}, {3}), d), 0)), {0, std::log(2.0), 1000});
  // Along a middle dim, and integers accumulating in int64.
  const Tensor m = arange(24).view({2, 3, 4}).to(d);
  EXPECT_EQ(cumsum(m, 1).dtype(), ScalarType::Int64);
  EXPECT_EQ(ints(cumsum(m, 1)).at(4 + 1), 1 + 5);
  EXPECT_EQ(ints(cumsum(m, 1)).at(8 + 3), 3 + 7 + 11);
  EXPECT_EQ(ints(cumprod(arange(1, 6).to(d), 0)), (std::vector<int64_t>{1, 2, 6, 24, 120}));
  EXPECT_EQ(cumsum(ones({3}, ScalarType::Bool).to(d), 0).dtype(), ScalarType::Int64);
  EXPECT_EQ(cumsum(ones({3}, ScalarType::Int32).to(d), 0, ScalarType::Float64).dtype(), ScalarType::Float64);
  // Long rows (several GPU tiles) and one long row (the GPU's device-wide scan).
  const Tensor longrow = ones({3, 1000}, ScalarType::Float64).to(d);
  EXPECT_EQ(doubles(cumsum(longrow, 1)).back(), 1000.0);
  const Tensor single = ones({70000}, ScalarType::Int64).to(d);
  EXPECT_EQ(ints(cumsum(single, 0)).back(), 70000);
  EXPECT_EQ(ints(cummax(arange(70000).to(d), 0).indices).back(), 69999);
  // Zero-size and 0-dim.
  EXPECT_EQ(cumsum(zeros({0, 3}).to(d), 1).sizes(), IntArrayRef({0, 3}));
  EXPECT_EQ(cumsum(scalar_tensor(2.0).to(d), -1).item<float>(), 2.0f);
}

TEST_P(ScanSortOnDevice, SortValues) {
  const Device d = device();
  const Tensor x = on(from_vector<double>({3, kNaN, 1, kNaN, -0.0, 0.0}, {6}), d);
  const ValuesIndices up = sort(x);
  expect_same(doubles(up.values), {0, 0, 1, 3, kNaN, kNaN});
  EXPECT_EQ(ints(up.indices), (std::vector<int64_t>{4, 5, 2, 0, 1, 3}));  // stable: -0.0 == 0.0 keep order
  const ValuesIndices down = sort(x, 0, true);
  EXPECT_EQ(ints(down.indices), (std::vector<int64_t>{1, 3, 0, 2, 4, 5}));
  const Tensor t = on(from_vector<double>({1, 5, 3, 5}, {4}), d);
  EXPECT_EQ(ints(topk(t, 2).indices), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(ints(topk(t, 3, 0, false).indices), (std::vector<int64_t>{0, 2, 1}));
  EXPECT_EQ(topk(t, 0).values.numel(), 0);
  EXPECT_EQ(kthvalue(t, 2).values.item<double>(), 3.0);
  EXPECT_EQ(kthvalue(t, 2).indices.item<int64_t>(), 2);
  const Tensor with_nan = on(from_vector<double>({1, 5, 3, 5, kNaN}, {5}), d);
  EXPECT_TRUE(std::isnan(median(with_nan, 0).values.item<double>()));
  EXPECT_EQ(median(with_nan, 0).indices.item<int64_t>(), 4);
  EXPECT_EQ(nanmedian(with_nan, 0).values.item<double>(), 3.0);
  EXPECT_EQ(nanmedian(with_nan, 0).indices.item<int64_t>(), 2);
  EXPECT_TRUE(std::isnan(nanmedian(on(full({3}, kNaN, ScalarType::Float64), d)).item<double>()));
  EXPECT_EQ(median(on(from_vector<double>({1, 1, 3, 1}, {4}), d), 0).indices.item<int64_t>(), 1);
  // Rows along every dim of a 3-D tensor, and integers.
  const Tensor cube = arange(24).view({2, 3, 4}).to(d);
  EXPECT_EQ(ints(sort(cube, 1, true).indices).at(0), 2);
  EXPECT_EQ(ints(argsort(flip(cube, {2}), 2)).at(0), 3);
  EXPECT_EQ(ints(median(cube, 2).values), (std::vector<int64_t>{1, 5, 9, 13, 17, 21}));
  EXPECT_EQ(median(cube, 1, true).values.sizes(), IntArrayRef({2, 1, 4}));
  EXPECT_EQ(median(cube).item<int64_t>(), 11);
  // A long row that needs many comparisons: ascending output.
  const Tensor big = randperm(5000).to(d);
  EXPECT_EQ(ints(sort(big).values), ints(arange(5000)));
  EXPECT_EQ(sort(zeros({0, 3}).to(d), 0).values.sizes(), IntArrayRef({0, 3}));
  EXPECT_EQ(sort(scalar_tensor(2.0).to(d)).indices.item<int64_t>(), 0);
}

TEST_P(ScanSortOnDevice, Gradcheck) {
  manual_seed(0);
  const Device d = device();
  using Fn = std::function<Tensor(const Tensor&)>;
  const std::vector<std::pair<const char*, Fn>> cases = {
      {"cumsum", [](const Tensor& x) { return cumsum(x, 1); }},
      {"cumsum0", [](const Tensor& x) { return cumsum(x, 0); }},
      {"cumprod", [](const Tensor& x) { return cumprod(x, 1); }},
      {"cummax", [](const Tensor& x) { return cummax(x, 0).values; }},
      {"cummin", [](const Tensor& x) { return cummin(x, 1).values; }},
      {"logcumsumexp", [](const Tensor& x) { return logcumsumexp(x, 1); }},
      {"sort", [](const Tensor& x) { return sort(x, 1, true).values; }},
      {"topk", [](const Tensor& x) { return topk(x, 2, 0).values; }},
      {"kthvalue", [](const Tensor& x) { return kthvalue(x, 2, 1).values; }},
      {"median_dim", [](const Tensor& x) { return median(x, 0).values; }},
      {"nanmedian_dim", [](const Tensor& x) { return nanmedian(x, 1, true).values; }},
      {"median", [](const Tensor& x) { return median(x); }},
  };
  for (const auto& [name, fn] : cases) {
    SCOPED_TRACE(name);
    const Fn f1 = fn;
    auto f = [&](const TensorList& in) { return f1(in[0]); };
    EXPECT_TRUE(gradcheck(f, {leaf({3, 4}, -1, 1, d)}));
    EXPECT_TRUE(gradcheck(f, {noncontiguous_leaf({3, 4}, -1, 1, d)}));
    const std::string_view n = name;
    const bool picks_an_element = n.find("median") != n.npos || n == "kthvalue" || n == "topk";
    if (!picks_an_element) {
      EXPECT_TRUE(gradcheck(f, {leaf({0, 3}, -1, 1, d)}));
    }
    // Differentiable again: the gradient of <f(x)^2, 1> with create_graph, checked in turn.
    auto grad_of_f = [&](const TensorList& in) {
      EnableGradGuard enable;
      const Tensor x = in[0].requires_grad() ? in[0] : in[0].detach().requires_grad_(true);
      const Tensor y = f1(x);
      return autograd::grad({sum(mul(y, y))}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
    };
    EXPECT_TRUE(gradcheck(grad_of_f, {leaf({3, 4}, -1, 1, d)}));
  }
}

TEST_P(ScanSortOnDevice, CumprodGradientWithZeros) {
  // Note [cumprod's gradient with zeros]: one zero, two zeros, a zero first and last.
  const Device d = device();
  for (const std::vector<double>& v : {std::vector<double>{2, 0, 3, 4}, {0.5, 0, 3, 0, 2}, {0, 2, 3}, {2, 3, 0}}) {
    const int64_t n = static_cast<int64_t>(v.size());
    const Tensor x = from_vector<double>(v, {n}).to(d).requires_grad_(true);
    auto f = [](const TensorList& in) { return cumprod(in[0], 0); };
    EXPECT_TRUE(gradcheck(f, {x}));
    auto grad_of_f = [&](const TensorList& in) {
      EnableGradGuard enable;
      const Tensor t = in[0].requires_grad() ? in[0] : in[0].detach().requires_grad_(true);
      const Tensor y = cumprod(t, 0);
      return autograd::grad({sum(mul(y, y))}, {t}, {}, std::nullopt, /*create_graph=*/true)[0];
    };
    EXPECT_TRUE(gradcheck(grad_of_f, {x}));
  }
}

// The GPU's block scan combines states in a tree; the combines must be
// associative for it to agree with the CPU's left-to-right scan.
TEST(ScanMath, CombinesAreAssociative) {
  using scan_math::ScanExtreme;
  using scan_math::ScanLogSumExp;
  using scan_math::ScanState;
  std::mt19937 gen(0);
  std::uniform_int_distribution<int> pick(0, 5);
  const double values[] = {1.0, 2.0, 2.0, kNaN, -kInf, kInf};
  for (int trial = 0; trial < 2000; ++trial) {
    ScanState<double> s[3];
    for (int i = 0; i < 3; ++i) s[i] = {values[pick(gen)], i};
    const auto left_max = ScanExtreme<true, double>::combine(ScanExtreme<true, double>::combine(s[0], s[1]), s[2]);
    const auto right_max = ScanExtreme<true, double>::combine(s[0], ScanExtreme<true, double>::combine(s[1], s[2]));
    EXPECT_EQ(left_max.index, right_max.index);
    const auto left_min = ScanExtreme<false, double>::combine(ScanExtreme<false, double>::combine(s[0], s[1]), s[2]);
    const auto right_min = ScanExtreme<false, double>::combine(s[0], ScanExtreme<false, double>::combine(s[1], s[2]));
    EXPECT_EQ(left_min.index, right_min.index);
    const double l = ScanLogSumExp<double>::combine(ScanLogSumExp<double>::combine(s[0], s[1]), s[2]).value;
    const double r = ScanLogSumExp<double>::combine(s[0], ScanLogSumExp<double>::combine(s[1], s[2])).value;
    if (std::isnan(l) || std::isinf(l)) EXPECT_TRUE(std::isnan(l) ? std::isnan(r) : l == r);
    else EXPECT_NEAR(l, r, 1e-12 * (1 + std::abs(l)));
  }
  // Identities: combining with identity() on the left changes nothing.
  EXPECT_EQ((ScanExtreme<true, bool>::combine(ScanExtreme<true, bool>::identity(), {false, 4}).index), 4);
  EXPECT_EQ((ScanExtreme<false, int64_t>::combine(ScanExtreme<false, int64_t>::identity(), {INT64_MAX, 2}).index), 2);
  EXPECT_EQ((ScanLogSumExp<float>::combine(ScanLogSumExp<float>::identity(), {-INFINITY, 0}).value), -INFINITY);
}

TEST(ScanSort, Errors) {
  EXPECT_THROW_WITH(cumsum(ones({2, 2}), 2), IndexError, "");
  EXPECT_THROW_WITH(logcumsumexp(arange(3), 0), TypeError, "floating point");
  EXPECT_THROW_WITH(topk(ones({2, 3}), 4), IndexError, "k (4) out of range");
  EXPECT_THROW_WITH(kthvalue(ones({2, 3}), 0), IndexError, "out of range");
  EXPECT_THROW_WITH(median(ones({0})), IndexError, "empty");
  EXPECT_THROW_WITH(median(ones({2, 0}), 1), IndexError, "empty dimension");
  EXPECT_THROW_WITH(sort(ones({2}), 1), IndexError, "");
}
