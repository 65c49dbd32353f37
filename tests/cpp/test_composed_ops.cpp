// The ops composed of others: einsum, tensordot, inner, kron, cross, cdist,
// baddbmm/addbmm/addmv/addr, var_mean, nanmean, take, take_along_dim,
// index_fill, index_copy (float64 gradients against finite differences) and
// nonzero, unique, bincount, histc (values), on each device.
#include <gtest/gtest.h>

#include <functional>
#include <limits>

#include "test_util.h"
#include "wick.h"

using namespace wick;
using wick::testing::leaf;

namespace {

class ComposedOnDevice : public wick::testing::OnEachDevice {};
WICK_ON_EACH_DEVICE(ComposedOnDevice);

std::vector<int64_t> ints(const Tensor& t) { return t.cpu().to_vector<int64_t>(); }

}  // namespace

TEST_P(ComposedOnDevice, Gradcheck) {
  manual_seed(0);
  const Device d = device();
  const auto idx = [&](std::vector<int64_t> v) {
    return from_vector<int64_t>(v, {static_cast<int64_t>(v.size())}).to(d);
  };
  using Fn = std::function<Tensor(const TensorList&)>;
  struct Case {
    const char* name;
    Fn f;
    std::vector<std::vector<int64_t>> shapes;
  };
  const std::vector<Case> cases = {
      {"einsum_bmm", [](const TensorList& x) { return einsum("bij,bjk->bik", {x[0], x[1]}); }, {{2, 3, 4}, {2, 4, 2}}},
      {"einsum_diag_sum", [](const TensorList& x) { return einsum("ii,ij->j", {x[0], x[1]}); }, {{3, 3}, {3, 2}}},
      {"einsum_ellipsis", [](const TensorList& x) { return einsum("...i,i->...", {x[0], x[1]}); }, {{2, 3, 4}, {4}}},
      {"tensordot", [](const TensorList& x) { return tensordot(x[0], x[1], {0, 2}, {1, 0}); }, {{2, 3, 4}, {4, 2}}},
      {"inner", [](const TensorList& x) { return inner(x[0], x[1]); }, {{2, 3}, {4, 3}}},
      {"kron", [](const TensorList& x) { return kron(x[0], x[1]); }, {{2, 3}, {2, 2}}},
      {"cross", [](const TensorList& x) { return cross(x[0], x[1], 1); }, {{2, 3}, {2, 3}}},
      {"cdist", [](const TensorList& x) { return cdist(x[0], x[1]); }, {{3, 4}, {2, 4}}},
      {"cdist_mm", [](const TensorList& x) { return cdist(x[0], x[1]); }, {{27, 2}, {3, 2}}},
      {"cdist_p1", [](const TensorList& x) { return cdist(x[0], x[1], 3.0); }, {{3, 4}, {2, 4}}},
      {"baddbmm", [](const TensorList& x) { return baddbmm(x[0], x[1], x[2], 0.5, 2); }, {{2, 3, 2}, {2, 3, 4}, {2, 4, 2}}},
      {"addbmm", [](const TensorList& x) { return addbmm(x[0], x[1], x[2]); }, {{3, 2}, {2, 3, 4}, {2, 4, 2}}},
      {"addmv", [](const TensorList& x) { return addmv(x[0], x[1], x[2], 0, -1); }, {{3}, {3, 4}, {4}}},
      {"addr", [](const TensorList& x) { return addr(x[0], x[1], x[2], 2, 1); }, {{3, 4}, {3}, {4}}},
      {"var_mean", [](const TensorList& x) { auto [v, m] = var_mean(x[0], std::vector<int64_t>{1}); return add(v, m); }, {{3, 4}}},
      {"nanmean",
       [&](const TensorList& x) {
         const double nan = std::numeric_limits<double>::quiet_NaN();
         const Tensor holes = from_vector<double>({0, nan, 0, 0, 0, 0, nan, 0, 0, 0, 0, 0}, {3, 4}).to(d);
         return nanmean(add(x[0], holes), {0});
       },
       {{3, 4}}},
      {"take", [&](const TensorList& x) { return take(x[0], idx({0, -1, 5, 5})); }, {{3, 4}}},
      {"take_along_dim", [&](const TensorList& x) { return take_along_dim(x[0], argsort(x[0], 1), 1); }, {{3, 4}}},
      {"index_fill", [&](const TensorList& x) { return index_fill(x[0], 1, idx({0, 2}), x[1]); }, {{3, 4}, {}}},
      {"index_copy", [&](const TensorList& x) { return index_copy(x[0], 0, idx({2, 0}), x[1]); }, {{3, 4}, {2, 4}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TensorList inputs;
    for (const auto& s : c.shapes) inputs.push_back(leaf(s, -1, 1, d));
    EXPECT_TRUE(gradcheck(c.f, inputs));
  }
}

TEST_P(ComposedOnDevice, SelectionValues) {
  const Device d = device();
  const Tensor x = from_vector<int64_t>({0, 3, 1, 3, 2, 0, 2, 1, 0, 3, 1, 3}, {3, 4}).to(d);
  EXPECT_EQ(nonzero(x).sizes(), IntArrayRef({9, 2}));
  EXPECT_EQ(ints(nonzero(x)).at(0), 0);
  EXPECT_EQ(ints(nonzero(x)).at(1), 1);
  EXPECT_EQ(nonzero(zeros({0, 3}).to(d)).sizes(), IntArrayRef({0, 2}));
  EXPECT_EQ(count_nonzero(x).item<int64_t>(), 9);
  const UniqueResult u = unique(x, true, true);
  EXPECT_EQ(ints(u.values), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(ints(u.counts), (std::vector<int64_t>{3, 3, 2, 4}));
  EXPECT_EQ(ints(u.inverse), ints(x));
  const UniqueResult rows = unique(x, true, true, 0);
  EXPECT_EQ(rows.values.sizes(), IntArrayRef({2, 4}));  // rows 0 and 2 are equal
  EXPECT_EQ(ints(rows.inverse), (std::vector<int64_t>{0, 1, 0}));
  const UniqueResult runs = unique_consecutive(from_vector<int64_t>({1, 1, 2, 1}, {4}).to(d), false, true);
  EXPECT_EQ(ints(runs.values), (std::vector<int64_t>{1, 2, 1}));
  EXPECT_EQ(ints(runs.counts), (std::vector<int64_t>{2, 1, 1}));
  EXPECT_EQ(ints(bincount(from_vector<int64_t>({0, 2, 2}, {3}).to(d), {}, 4)), (std::vector<int64_t>{1, 0, 2, 0}));
  EXPECT_EQ(histc(from_vector<double>({1, 2, 1, 4}, {4}).to(d), 4, 0, 3).cpu().to_vector<double>(),
            (std::vector<double>{0, 2, 1, 0}));
  EXPECT_THROW_WITH(bincount(from_vector<int64_t>({-1}, {1})), ValueError, "non-negative");
  EXPECT_THROW_WITH(einsum("ij,jk->ik", {ones({2, 3})}), ValueError, "operands");
  EXPECT_THROW_WITH(einsum("ii->i", {ones({2, 3})}), ValueError, "repeated");
}

TEST_P(ComposedOnDevice, OrderStatisticsAndWindowsGradcheck) {
  manual_seed(0);
  const Device d = device();
  using Fn = std::function<Tensor(const TensorList&)>;
  const std::vector<std::pair<const char*, Fn>> cases = {
      {"quantile", [&](const TensorList& x) { return quantile(x[0], from_vector<double>({0.2, 0.9}, {2}).to(d), 1); }},
      {"quantile_all", [&](const TensorList& x) { return quantile(x[0], scalar_tensor(0.4).to(d)); }},
      {"quantile_midpoint",
       [&](const TensorList& x) { return quantile(x[0], scalar_tensor(0.5).to(d), 0, true, "midpoint"); }},
      {"nanquantile", [&](const TensorList& x) { return nanquantile(x[0], scalar_tensor(0.3).to(d), 1); }},
      {"mode", [](const TensorList& x) { return mode(x[0], 1).values; }},
      {"unfold", [](const TensorList& x) { return unfold(x[0], 1, 2, 1); }},
      {"unfold_gaps", [](const TensorList& x) { return unfold(x[0], 0, 1, 2); }},
      {"sinc", [](const TensorList& x) { return sinc(x[0]); }},
      {"logit", [](const TensorList& x) { return logit(sigmoid(x[0]), 0.4); }},
      {"float_power", [](const TensorList& x) { return float_power(exp(x[0]), x[0]); }},
      {"ldexp", [](const TensorList& x) { return ldexp(x[0], x[0]); }},
  };
  for (const auto& [name, f] : cases) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(gradcheck(f, {leaf({3, 4}, -1, 1, d)}));
  }
  // sinc at exactly 0, and unfold's overlapping windows (each input read by several).
  EXPECT_EQ(sinc(zeros({1}).to(d)).cpu().to_vector<float>(), std::vector<float>{1.0f});
  const Tensor x = arange(6.0).to(d).requires_grad_(true);
  sum(unfold(x, 0, 3, 1)).backward();
  EXPECT_EQ(x.grad().cpu().to_vector<float>(), (std::vector<float>{1, 2, 3, 3, 2, 1}));
  EXPECT_EQ(ints(searchsorted(from_vector<int64_t>({1, 3, 5, 7}, {4}).to(d), from_vector<int64_t>({3, 6, 9}, {3}).to(d))),
            (std::vector<int64_t>{1, 3, 4}));
  EXPECT_EQ(ints(gcd(from_vector<int64_t>({12, -9}, {2}).to(d), from_vector<int64_t>({18, 6}, {2}).to(d))),
            (std::vector<int64_t>{6, 3}));
  EXPECT_EQ(ints(mode(from_vector<int64_t>({1, 3, 2, 2, 3, 5}, {6}).to(d)).indices), std::vector<int64_t>{3});
}

// Note [The gamma family]: known values (the GPU runs the same functions), and gradients per device.
TEST(GammaFamily, KnownValues) {
  using pointwise::GammaFamily;
  const double pi = 3.14159265358979323846, euler_gamma = 0.57721566490153286, zeta3 = 1.2020569031595942;
  EXPECT_NEAR(GammaFamily::digamma(1.0), -euler_gamma, 1e-14);
  EXPECT_NEAR(GammaFamily::digamma(0.5), -euler_gamma - 2 * std::log(2.0), 1e-14);
  EXPECT_NEAR(GammaFamily::digamma(-0.5), 2 - euler_gamma - 2 * std::log(2.0), 1e-13);  // psi(1/2) + 2
  EXPECT_NEAR(GammaFamily::polygamma(1, 1.0), pi * pi / 6, 1e-14);
  EXPECT_NEAR(GammaFamily::polygamma(2, 1.0), -2 * zeta3, 1e-13);
  EXPECT_NEAR(GammaFamily::polygamma(1, 0.5), pi * pi / 2, 1e-13);
  EXPECT_NEAR(GammaFamily::polygamma(3, 1.0), pi * pi * pi * pi / 15, 1e-12);
  EXPECT_NEAR(GammaFamily::polygamma(1, 1e6), 1e-6 + 0.5e-12, 1e-18);  // ~ 1/x + 1/(2x^2)
  EXPECT_TRUE(std::isnan(GammaFamily::digamma(-3.0)));
  EXPECT_EQ(GammaFamily::digamma(0.0), -INFINITY);
  EXPECT_EQ(GammaFamily::digamma(-0.0), INFINITY);
  EXPECT_EQ(GammaFamily::polygamma(1, -2.0), INFINITY);
  EXPECT_EQ(GammaFamily::polygamma(2, 0.0), -INFINITY);
}

TEST_P(ComposedOnDevice, GammaFamilyGradcheck) {
  manual_seed(0);
  const Device d = device();
  using Fn = std::function<Tensor(const TensorList&)>;
  const std::vector<std::pair<const char*, Fn>> cases = {
      {"lgamma", [](const TensorList& x) { return lgamma(add(x[0], 2.0)); }},
      {"digamma", [](const TensorList& x) { return digamma(add(x[0], 2.0)); }},
      {"digamma_negative", [](const TensorList& x) { return digamma(sub(mul(x[0], 0.3), 1.5)); }},
      {"polygamma", [](const TensorList& x) { return polygamma(2, add(x[0], 1.5)); }},
      {"mvlgamma", [](const TensorList& x) { return mvlgamma(add(x[0], 3.0), 3); }},
  };
  for (const auto& [name, f] : cases) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(gradcheck(f, {leaf({3, 4}, -1, 1, d)}));
  }
}
