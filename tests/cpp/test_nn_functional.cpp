// The neural-net functions: softmax, losses, dropout, linear/bilinear, pad and
// interpolate. Values against plain loops written from PyTorch's formulas,
// gradients (and second derivatives) against finite differences, grad_fn
// names as PyTorch shows them, and every error a user can hit.
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "autograd/engine.h"
#include "autograd/gradcheck.h"
#include "backends/softmax_math.h"
#include "test_util.h"

using namespace wick;
using wick::testing::leaf;
using wick::testing::noncontiguous_leaf;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const TensorOptions kF64(ScalarType::Float64);
const TensorOptions kI64(ScalarType::Int64);

void expect_values(const Tensor& got, const std::vector<double>& want, double tol, const std::string& what) {
  const std::vector<double> g = got.to_vector<double>();
  ASSERT_EQ(g.size(), want.size()) << what;
  for (size_t i = 0; i < g.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(g[i])) << what << ": element " << i << " is " << g[i] << ", expected nan";
    } else {
      EXPECT_NEAR(g[i], want[i], tol * (1 + std::fabs(want[i]))) << what << ": element " << i;
    }
  }
}

Tensor targets(std::vector<int64_t> values, IntArrayRef sizes, Device d = kCPU) { return from_vector(values, sizes).to(d); }

std::string grad_fn_name(const Tensor& t) { return t.grad_fn() ? std::string(t.grad_fn()->name()) : "None"; }

// gradcheck of the first derivative itself: f(x) = sum(d loss(x) / dx * v), with
// the backward recorded (create_graph), checks the second derivatives.
bool gradgradcheck(const std::function<Tensor(const Tensor&)>& loss, const Tensor& x0) {
  const Tensor v = rand(x0.sizes(), kF64).to(x0.device());
  return gradcheck(
      [&](const TensorList& in) {
        EnableGradGuard grad_mode;  // gradcheck evaluates its finite differences without grad mode
        const Tensor l = loss(in[0]);
        const Tensor g = autograd::grad({l}, {in[0]}, {ones_like(l)}, true, true)[0];
        return (g * v).sum();
      },
      {x0});
}

// ---- plain-loop references ------------------------------------------------------------------

// log_softmax of each row of a row-major [rows, n] buffer.
std::vector<double> ref_log_softmax_rows(const std::vector<double>& x, int64_t rows, int64_t n) {
  std::vector<double> out(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    double m = -INFINITY, s = 0;
    for (int64_t i = 0; i < n; ++i) m = std::max(m, x[r * n + i]);
    for (int64_t i = 0; i < n; ++i) s += std::exp(x[r * n + i] - m);
    for (int64_t i = 0; i < n; ++i) out[r * n + i] = x[r * n + i] - m - std::log(s);
  }
  return out;
}

// nll_loss of [N, C] log-probabilities.
double ref_nll(const std::vector<double>& logp, const std::vector<int64_t>& t, int64_t c,
               const std::vector<double>& w, Reduction r, int64_t ignore, std::vector<double>* per_row = nullptr) {
  double total = 0, weight_sum = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    double v = 0;
    if (t[i] != ignore) {
      const double wt = w.empty() ? 1.0 : w[t[i]];
      v = -wt * logp[i * c + t[i]];
      total += v;
      weight_sum += wt;
    }
    if (per_row) per_row->push_back(v);
  }
  return r == Reduction::Mean ? total / weight_sum : total;
}

}  // namespace

// ---- softmax ------------------------------------------------------------------------------------

// The value and gradient tests of each section run once per device (test_util.h):
// the random values are drawn on the CPU and copied, so every device sees the same.
class NnFunctionalSoftmaxOnDevice : public wick::testing::OnEachDevice {};
WICK_ON_EACH_DEVICE(NnFunctionalSoftmaxOnDevice);

// Note [Online softmax statistics]: the one-pass max and sum the CUDA kernels
// take, in any split of a row into parts merged in a tree, against the CPU's
// two passes, including the special values.
TEST(NnFunctionalSoftmax, OnlineStatisticsMatchTwoPasses) {
  using Stats = softmax_math::SoftmaxStats<double>;
  constexpr double inf = std::numeric_limits<double>::infinity();
  std::mt19937 gen(3);
  std::uniform_real_distribution<double> uniform(-20, 20);
  for (int trial = 0; trial < 300; ++trial) {
    const size_t n = 1 + gen() % 100;
    std::vector<double> row(n);
    for (double& x : row) x = uniform(gen);
    switch (trial % 6) {
      case 1: row[gen() % n] = -inf; break;
      case 2: row[gen() % n] = inf; break;
      case 3: row[gen() % n] = NAN; break;
      case 4: std::fill(row.begin(), row.end(), -inf); break;
      case 5: row[0] = -inf; break;
      default: break;
    }
    double max = -inf, sum = 0;  // the CPU's passes
    for (double x : row) max = x > max ? x : max;
    for (double x : row) sum += std::exp(x - max);
    for (size_t parts : {size_t{1}, size_t{3}, size_t{32}}) {
      std::vector<Stats> part(parts);
      for (size_t i = 0; i < n; ++i) part[i % parts].add(row[i]);
      for (size_t delta = 16; delta > 0; delta /= 2)
        for (size_t l = 0; l < delta && l + delta < parts; ++l) part[l] = Stats::merge(part[l], part[l + delta]);
      const Stats total = part[0];
      const std::string what = "trial " + std::to_string(trial) + ", " + std::to_string(parts) + " parts";
      if (std::isnan(sum)) {
        EXPECT_TRUE(std::isnan(total.total())) << what;
      } else {
        EXPECT_EQ(total.max, max) << what;
        EXPECT_NEAR(total.total(), sum, 1e-12 * sum) << what;
      }
    }
  }
  // The empty state is merge's identity.
  Stats one;
  one.add(2.0);
  EXPECT_EQ(Stats::merge(Stats{}, one).total(), 1.0);
  EXPECT_EQ(Stats::merge(one, Stats{}).max, 2.0);
  // The element formulas the CPU loops use.
  EXPECT_DOUBLE_EQ(softmax_math::softmax_value(1.0, 1.0, 0.25), 0.25);
  EXPECT_DOUBLE_EQ(softmax_math::log_softmax_grad(1.0, std::log(0.5), 3.0), -0.5);
}

TEST_P(NnFunctionalSoftmaxOnDevice, MatchesReferenceAlongEveryDim) {
  const Device d = device();
  manual_seed(1);
  for (ScalarType dt : {ScalarType::Float32, ScalarType::Float64}) {
    const Tensor x = (randn({2, 3, 4}, TensorOptions(dt)) * 3.0).to(d);
    for (int64_t dim = -3; dim < 3; ++dim) {
      const Tensor xd = x.to(ScalarType::Float64);
      const Tensor ref = (xd - amax(xd, {dim}, true)).exp();
      const Tensor want = ref / ref.sum({dim}, true);
      const double tol = dt == ScalarType::Float32 ? 1e-6 : 1e-13;
      EXPECT_TRUE(allclose(softmax(x, dim).to(ScalarType::Float64), want, tol, tol)) << "dim " << dim;
      EXPECT_TRUE(allclose(log_softmax(x, dim).to(ScalarType::Float64), want.log(), tol, tol)) << "dim " << dim;
      EXPECT_EQ(softmax(x, dim).dtype(), dt);
    }
  }
  // Wide inner dims take the column-block path (more than one block of 256).
  const Tensor wide = randn({3, 5, 300}, kF64).to(d);
  const Tensor e = (wide - amax(wide, {1}, true)).exp();
  EXPECT_TRUE(allclose(softmax(wide, 1), e / e.sum({1}, true), 1e-12, 1e-14));
}

TEST_P(NnFunctionalSoftmaxOnDevice, EdgeCases) {
  const Device d = device();
  const TensorOptions f64 = kF64.device(d);
  // Stable for large values; a 0-dim tensor is one row of one.
  expect_values(softmax(tensor({1000.0, 1000.0}, kF64).to(d), 0), {0.5, 0.5}, 1e-15, "large");
  expect_values(log_softmax(tensor({1000.0, 0.0}, kF64).to(d), 0), {0.0, -1000.0}, 1e-15, "large log");
  expect_values(softmax(scalar_tensor(3.0, f64), 0), {1.0}, 0, "0-dim");
  expect_values(log_softmax(scalar_tensor(3.0, f64), -1), {0.0}, 0, "0-dim log");
  // nan anywhere in a row, or a row of -inf, gives a row of nan (as in PyTorch).
  const double inf = INFINITY;
  const Tensor x = from_vector<double>({-inf, -inf, 1.0, kNaN, 1.0, 2.0}, {3, 2}).to(d);
  expect_values(softmax(x, 1), {kNaN, kNaN, kNaN, kNaN, 1 / (1 + std::exp(1.0)), 1 / (1 + std::exp(-1.0))}, 1e-15,
                "nan rows");
  // The same through the float kernels (eight lanes and a tail), rows and planes.
  std::vector<double> wide(2 * 11, 0.0);
  wide[3] = kNaN;       // row 0: nan
  wide[11 + 9] = -inf;  // row 1: one -inf (its probability is exactly 0)
  const Tensor xf = from_vector(wide, {2, 11}).to(ScalarType::Float32).to(d);
  const std::vector<double> yf = softmax(xf, 1).to_vector<double>();
  for (int i = 0; i < 11; ++i) EXPECT_TRUE(std::isnan(yf[i])) << i;
  for (int i = 0; i < 11; ++i) EXPECT_NEAR(yf[11 + i], i == 9 ? 0.0 : 0.1, 1e-7) << i;
  EXPECT_EQ(yf[11 + 9], 0.0);
  const std::vector<double> yc = softmax(xf.t().contiguous(), 0).to_vector<double>();  // the planes path
  for (int i = 0; i < 11; ++i) {
    EXPECT_TRUE(std::isnan(yc[2 * i]));
    EXPECT_NEAR(yc[2 * i + 1], i == 9 ? 0.0 : 0.1, 1e-7);
  }
  expect_values(log_softmax(tensor({-100.0, 0.0, -200.0}).to(d), 0), {-100.0, 0.0, -200.0}, 1e-6, "float log tails");
  EXPECT_EQ(softmax(zeros({0, 3}, TensorOptions().device(d)), 1).sizes(), IntArrayRef({0, 3}));
  EXPECT_EQ(log_softmax(zeros({3, 0}, TensorOptions().device(d)), 1).sizes(), IntArrayRef({3, 0}));
  // dtype converts first: integers need it.
  const Tensor ints = arange(6).to(d);
  EXPECT_EQ(softmax(ints, 0, ScalarType::Float64).dtype(), ScalarType::Float64);
  EXPECT_NEAR(softmax(ints, 0, ScalarType::Float64).sum().item<double>(), 1.0, 1e-15);
}

// Note [log_softmax as (x - max) - log(sum)]: x - (max + log(sum)) rounded
// log(2) to 0.6934 at 1e4 in float32, and to 0 at 1e30 (PyTorch: -0.6931472).
TEST_P(NnFunctionalSoftmaxOnDevice, LogSoftmaxOfLargeLogits) {
  const Device d = device();
  for (float big : {1e4f, 1e30f}) {
    const std::vector<float> got = log_softmax(tensor({0.0, 0.0, big, big}).to(d), 0).to_vector<float>();
    EXPECT_FLOAT_EQ(got[2], -std::log(2.0f)) << big;
    EXPECT_FLOAT_EQ(got[3], -std::log(2.0f)) << big;
    // The column-block path (a dim that is not the last).
    const std::vector<float> col = log_softmax(tensor({0.0, big, big}).view({3, 1}).to(d), 0).to_vector<float>();
    EXPECT_FLOAT_EQ(col[1], -std::log(2.0f)) << big;
  }
  Tensor x = tensor({1e30, 1e30, 1e30}).view({1, 3}).to(d).requires_grad_();
  const Tensor loss = cross_entropy(x, from_vector<int64_t>({0}, {1}).to(d));
  EXPECT_FLOAT_EQ(loss.item<float>(), std::log(3.0f));  // was 0
  loss.backward();
  const std::vector<float> g = x.grad().to_vector<float>();
  EXPECT_FLOAT_EQ(g[0], -2.0f / 3);
  EXPECT_FLOAT_EQ(g[1], 1.0f / 3);
}

TEST_P(NnFunctionalSoftmaxOnDevice, Gradients) {
  const Device d = device();
  manual_seed(2);
  for (int64_t dim : {0, 1, -1}) {
    EXPECT_TRUE(gradcheck([dim](const TensorList& in) { return softmax(in[0], dim); }, {leaf({3, 5}, -1, 1, d)}));
    EXPECT_TRUE(gradcheck([dim](const TensorList& in) { return log_softmax(in[0], dim); }, {leaf({3, 5}, -1, 1, d)}));
    EXPECT_TRUE(gradcheck([dim](const TensorList& in) { return softmax(in[0], dim); },
                          {noncontiguous_leaf({4, 3}, -1, 1, d)}));
  }
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return log_softmax(in[0], 1); }, {leaf({2, 3, 4}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return softmax(in[0], 0); }, {leaf({0, 3}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return softmax(in[0], 0); }, {leaf({}, -1, 1, d)}));
  // A non-contiguous incoming gradient (from expand) goes through the kernel too.
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return softmax(in[0], 1).sum(); }, {leaf({3, 4}, -1, 1, d)}));
  // Second derivatives through the recorded backward (Note [Softmax double backward]).
  EXPECT_TRUE(gradgradcheck([](const Tensor& x) { return (softmax(x, 1) * softmax(x, 1)).sum(); },
                            leaf({2, 4}, -1, 1, d)));
  EXPECT_TRUE(gradgradcheck([](const Tensor& x) { return (log_softmax(x, 0) * x).sum(); }, leaf({3, 2}, -1, 1, d)));
}

TEST(NnFunctionalSoftmax, GradFnNamesAndErrors) {
  const Tensor x = leaf({2, 3});
  EXPECT_EQ(grad_fn_name(softmax(x, 1)), "SoftmaxBackward0");
  EXPECT_EQ(grad_fn_name(log_softmax(x, 1)), "LogSoftmaxBackward0");
  EXPECT_THROW_WITH(softmax(arange(3), 0), TypeError, "floating point");
  EXPECT_THROW_WITH(softmax(x, 2), IndexError, "Dimension out of range");
  EXPECT_THROW_WITH(log_softmax(Tensor(), 0), ValueError, "undefined");
}

// ---- nll_loss / cross_entropy -----------------------------------------------------------------

class NnFunctionalLossOnDevice : public wick::testing::OnEachDevice {};
WICK_ON_EACH_DEVICE(NnFunctionalLossOnDevice);

TEST_P(NnFunctionalLossOnDevice, NllLossMatchesReference) {
  const Device d = device();
  manual_seed(3);
  const Tensor logp = log_softmax(randn({5, 4}, kF64).to(d), 1);
  const std::vector<int64_t> t = {0, 3, -100, 1, 3};
  const Tensor target = targets(t, {5}, d);
  const std::vector<double> w = {0.5, 2.0, 1.0, 0.25};
  const Tensor weight = from_vector(w, {4}).to(d);
  const std::vector<double> lp = logp.to_vector<double>();
  for (bool weighted : {false, true}) {
    const std::vector<double> wv = weighted ? w : std::vector<double>();
    const Tensor wt = weighted ? weight : Tensor();
    for (Reduction r : {Reduction::Mean, Reduction::Sum}) {
      expect_values(nll_loss(logp, target, wt, r), {ref_nll(lp, t, 4, wv, r, -100)}, 1e-14, "reduced");
    }
    std::vector<double> rows;
    ref_nll(lp, t, 4, wv, Reduction::Sum, -100, &rows);
    expect_values(nll_loss(logp, target, wt, Reduction::None), rows, 1e-14, "none");
  }
  // ignore_index may be any class; an unbatched input takes a 0-dim target.
  expect_values(nll_loss(logp, targets({0, 3, 2, 1, 3}, {5}, d), Tensor(), Reduction::Mean, 3),
                {ref_nll(lp, {0, 3, 2, 1, 3}, 4, {}, Reduction::Mean, 3)}, 1e-14, "ignore 3");
  expect_values(nll_loss(logp[1], scalar_tensor(int64_t{2}, TensorOptions().device(d)), Tensor(), Reduction::None),
                {-lp[4 + 2]}, 1e-14, "unbatched");
  // Spatial inputs [N, C, d1, d2] agree with the same positions laid out as rows.
  const Tensor x4 = log_softmax(randn({2, 3, 2, 2}, kF64).to(d), 1);
  const Tensor t4 = randint(0, 3, {2, 2, 2}).to(d);
  const Tensor rows4 = x4.permute({0, 2, 3, 1}).reshape({8, 3});
  for (Reduction r : {Reduction::Mean, Reduction::Sum})
    EXPECT_NEAR(nll_loss(x4, t4, weight.narrow(0, 0, 3), r).item<double>(),
                nll_loss(rows4, t4.reshape({8}), weight.narrow(0, 0, 3), r).item<double>(), 1e-14);
  EXPECT_TRUE(allclose(nll_loss(x4, t4, Tensor(), Reduction::None),
                       nll_loss(rows4, t4.reshape({8}), Tensor(), Reduction::None).view({2, 2, 2})));
  // Float32 with a transposed (non-contiguous) input.
  const Tensor xt = randn({4, 5}).to(d).t();
  const Tensor tt = randint(0, 4, {5}).to(d);
  EXPECT_NEAR(nll_loss(xt, tt).item<double>(), nll_loss(xt.contiguous(), tt).item<double>(), 1e-6);
}

TEST_P(NnFunctionalLossOnDevice, NllLossWithNoSpatialPositions) {
  // An input [N, C, 0] made the CPU kernel divide by its 0 positions (SIGFPE).
  const Tensor x = zeros({4, 3, 0}, kF64.device(device()));
  const Tensor t = zeros({4, 0}, TensorOptions(ScalarType::Int64).device(device()));
  EXPECT_TRUE(std::isnan(nll_loss(x, t).item<double>()));  // the mean of nothing, as PyTorch
  EXPECT_EQ(nll_loss(x, t, Tensor(), Reduction::Sum).item<double>(), 0.0);
  EXPECT_EQ(nll_loss(x, t, Tensor(), Reduction::None).sizes(), IntArrayRef({4, 0}));
}

TEST_P(NnFunctionalLossOnDevice, NllLossEdgeCases) {
  const Device d = device();
  const Tensor x = log_softmax(randn({3, 4}, kF64).to(d), 1);
  const Tensor all_ignored = targets({-100, -100, -100}, {3}, d);
  EXPECT_TRUE(std::isnan(nll_loss(x, all_ignored).item<double>()));  // 0 / 0, as in PyTorch
  EXPECT_EQ(nll_loss(x, all_ignored, Tensor(), Reduction::Sum).item<double>(), 0.0);
  expect_values(nll_loss(x, all_ignored, Tensor(), Reduction::None), {0, 0, 0}, 0, "none");
  // An empty batch: nan mean, zero sum, empty per-element losses; gradients of the right shape.
  const Tensor empty_x = leaf({0, 4}, -1, 1, d);
  const Tensor empty_t = zeros({0}, kI64.device(d));
  EXPECT_TRUE(std::isnan(nll_loss(empty_x, empty_t).item<double>()));
  EXPECT_EQ(nll_loss(empty_x, empty_t, Tensor(), Reduction::Sum).item<double>(), 0.0);
  EXPECT_EQ(nll_loss(empty_x, empty_t, Tensor(), Reduction::None).sizes(), IntArrayRef({0}));
  nll_loss(empty_x, empty_t, Tensor(), Reduction::Sum).backward();
  EXPECT_EQ(empty_x.grad().sizes(), IntArrayRef({0, 4}));
  // The gradient of ignored targets is zero, and of the rest -w / total weight.
  const Tensor xl = leaf({3, 4}, -1, 1, d);
  nll_loss(xl, targets({1, -100, 2}, {3}, d), from_vector<double>({1, 2, 3, 4}, {4}).to(d)).backward();
  expect_values(xl.grad(), {0, -0.4, 0, 0, 0, 0, 0, 0, 0, 0, -0.6, 0}, 1e-15, "grad");
}

TEST_P(NnFunctionalLossOnDevice, NllLossGradients) {
  const Device d = device();
  manual_seed(4);
  const Tensor weight = (rand({4}, kF64) + 0.5).to(d);
  const Tensor t = targets({0, 3, -100, 1, 2}, {5}, d);
  const Tensor t0 = scalar_tensor(int64_t{1}, TensorOptions().device(d));
  for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum}) {
    for (const Tensor& w : {Tensor(), weight}) {
      EXPECT_TRUE(gradcheck([&](const TensorList& in) { return nll_loss(in[0], t, w, r); }, {leaf({5, 4}, -1, 1, d)}));
      const Tensor t_ignore3 = targets({0, 3, 2, 1, 3}, {5}, d);
      EXPECT_TRUE(gradcheck([&](const TensorList& in) { return nll_loss(in[0], t_ignore3, w, r, 3); },
                            {noncontiguous_leaf({5, 4}, -1, 1, d)}));
    }
    const Tensor t3 = randint(0, 4, {2, 3, 2}).to(d);
    EXPECT_TRUE(gradcheck([&](const TensorList& in) { return nll_loss(in[0], t3, weight, r); },
                          {leaf({2, 4, 3, 2}, -1, 1, d)}));
    EXPECT_TRUE(gradcheck([&](const TensorList& in) { return nll_loss(in[0], t0, weight, r); }, {leaf({4}, -1, 1, d)}));
  }
  // Second derivatives: nll_loss's backward is recorded and differentiable in its gradient.
  EXPECT_TRUE(gradgradcheck([&](const Tensor& x) { return nll_loss(x * x, t, weight); }, leaf({5, 4}, -1, 1, d)));
}

TEST(NnFunctionalLoss, NllLossGradFnNames) {
  const Tensor x = leaf({3, 4});
  EXPECT_EQ(grad_fn_name(nll_loss(x, targets({0, 1, 2}, {3}))), "NllLossBackward0");
  EXPECT_EQ(grad_fn_name(nll_loss(leaf({2, 3, 4}), zeros({2, 4}, kI64))), "NllLoss2DBackward0");
  const Tensor loss = cross_entropy(x, targets({0, 1, 2}, {3}));
  EXPECT_EQ(grad_fn_name(loss), "NllLossBackward0");
  EXPECT_EQ(loss.grad_fn()->next_edge(0).fn->name(), "LogSoftmaxBackward0");
  // With create_graph the gradient is itself differentiable.
  EXPECT_TRUE(autograd::grad({loss}, {x}, {}, true, true)[0].requires_grad());
}

TEST(NnFunctionalLoss, NllLossErrors) {
  const Tensor x = randn({3, 4});
  EXPECT_THROW_WITH(nll_loss(x, targets({0, 1, 5}, {3})), IndexError, "Target 5 is out of bounds");
  EXPECT_THROW_WITH(nll_loss(x, targets({0, -1, 2}, {3})), IndexError, "Target -1 is out of bounds");
  EXPECT_THROW_WITH(nll_loss(x, targets({0, 1}, {2})), ValueError, "Expected input batch_size (3)");
  EXPECT_THROW_WITH(nll_loss(x, zeros({3}, ScalarType::Int32)), TypeError, "int64");
  EXPECT_THROW_WITH(nll_loss(x, zeros({3})), TypeError, "int64");
  EXPECT_THROW_WITH(nll_loss(x, targets({0, 1, 2}, {3}), ones({3})), ValueError, "for all 4 classes");
  EXPECT_THROW_WITH(nll_loss(x, targets({0, 1, 2}, {3}), ones({4}, kF64)), TypeError, "weight of dtype float32");
  EXPECT_THROW_WITH(nll_loss(scalar_tensor(1.0), scalar_tensor(int64_t{0})), ValueError, "Expected 1 or more");
  EXPECT_THROW_WITH(nll_loss(randn({4}), targets({1}, {1})), ValueError, "0-dim target");
  EXPECT_THROW_WITH(nll_loss(randn({2, 3, 5}), zeros({2, 4}, kI64)), ValueError, "expected target of shape");
  EXPECT_THROW_WITH(nll_loss(arange(12).view({3, 4}), targets({0, 1, 2}, {3})), TypeError, "floating point");
  EXPECT_THROW_WITH(nll_loss(x, targets({0, 1, 2}, {3}), ones({4}, TensorOptions().requires_grad())), Error,
                    "not differentiable with respect to argument 'weight'");
  {
    NoGradGuard no_grad;  // allowed without grad mode, as in PyTorch
    EXPECT_NO_THROW(nll_loss(x, targets({0, 1, 2}, {3}), ones({4}, TensorOptions().requires_grad())));
  }
  EXPECT_THROW_WITH(reduction_from_string("avg"), ValueError, "avg is not a valid value for reduction");
}

TEST_P(NnFunctionalLossOnDevice, CrossEntropyLabelSmoothing) {
  const Device d = device();
  // PyTorch 1.13: (1 - eps) * nll + eps / C * smooth, smooth = sum_c -w_c log p_c (0 where
  // ignored), whose mean divides by the same total weight as nll's.
  manual_seed(5);
  const int64_t n = 4, c = 3;
  const Tensor x = randn({n, c}, kF64).to(d);
  const std::vector<int64_t> t = {2, -100, 0, 1};
  const Tensor target = targets(t, {n}, d);
  const std::vector<double> w = {0.5, 1.5, 2.0};
  const std::vector<double> lp = ref_log_softmax_rows(x.to_vector<double>(), n, c);
  const double eps = 0.2;
  for (bool weighted : {false, true}) {
    std::vector<double> smooth(n, 0.0), nll_rows;
    double smooth_sum = 0, weight_sum = 0;
    ref_nll(lp, t, c, weighted ? w : std::vector<double>(), Reduction::Sum, -100, &nll_rows);
    for (int64_t i = 0; i < n; ++i) {
      if (t[i] == -100) continue;
      for (int64_t k = 0; k < c; ++k) smooth[i] -= (weighted ? w[k] : 1.0) * lp[i * c + k];
      smooth_sum += smooth[i];
      weight_sum += weighted ? w[t[i]] : 1.0;
    }
    double nll_sum = 0;
    std::vector<double> none(n);
    for (int64_t i = 0; i < n; ++i) {
      nll_sum += nll_rows[i];
      none[i] = (1 - eps) * nll_rows[i] + eps / c * smooth[i];
    }
    const Tensor wt = weighted ? from_vector(w, {c}).to(d) : Tensor();
    expect_values(cross_entropy(x, target, wt, Reduction::None, -100, eps), none, 1e-13, "none");
    expect_values(cross_entropy(x, target, wt, Reduction::Sum, -100, eps),
                  {(1 - eps) * nll_sum + eps / c * smooth_sum}, 1e-13, "sum");
    expect_values(cross_entropy(x, target, wt, Reduction::Mean, -100, eps),
                  {((1 - eps) * nll_sum + eps / c * smooth_sum) / weight_sum}, 1e-13, "mean");
    for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum})
      EXPECT_TRUE(gradcheck([&](const TensorList& in) { return cross_entropy(in[0], target, wt, r, -100, eps); },
                            {leaf({n, c}, -1, 1, d)}));
  }
  // Unbatched, spatial, and all ignored.
  const Tensor t0 = scalar_tensor(int64_t{1}, TensorOptions().device(d));
  EXPECT_TRUE(gradcheck(
      [&](const TensorList& in) { return cross_entropy(in[0], t0, Tensor(), Reduction::Mean, -100, 0.3); },
      {leaf({3}, -1, 1, d)}));
  const Tensor t3 = randint(0, 3, {2, 2}).to(d);
  EXPECT_TRUE(gradcheck([&](const TensorList& in) { return cross_entropy(in[0], t3, Tensor(), Reduction::Mean, -100, 0.1); },
                        {leaf({2, 3, 2}, -1, 1, d)}));
  EXPECT_TRUE(std::isnan(cross_entropy(x, targets({-100, -100, -100, -100}, {n}, d), Tensor(), Reduction::Mean, -100, 0.2)
                             .item<double>()));
  EXPECT_EQ(grad_fn_name(cross_entropy(leaf({2, 3}, -1, 1, d), targets({0, 1}, {2}, d), Tensor(), Reduction::Mean, -100, 0.1)),
            "AddBackward0");
}

TEST_P(NnFunctionalLossOnDevice, CrossEntropyProbabilities) {
  const Device d = device();
  manual_seed(6);
  const int64_t n = 3, c = 4;
  const Tensor x = randn({n, c}, kF64).to(d);
  const Tensor p = softmax(randn({n, c}, kF64).to(d), 1);
  const std::vector<double> lp = ref_log_softmax_rows(x.to_vector<double>(), n, c);
  const std::vector<double> pv = p.to_vector<double>();
  const std::vector<double> w = {1.0, 0.5, 2.0, 1.5};
  for (double eps : {0.0, 0.25}) {
    for (bool weighted : {false, true}) {
      std::vector<double> rows(n, 0.0);
      double total = 0;
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t k = 0; k < c; ++k)
          rows[i] -= (weighted ? w[k] : 1.0) * lp[i * c + k] * (pv[i * c + k] * (1 - eps) + eps / c);
        total += rows[i];
      }
      const Tensor wt = weighted ? from_vector(w, {c}).to(d) : Tensor();
      expect_values(cross_entropy(x, p, wt, Reduction::None, -100, eps), rows, 1e-13, "none");
      expect_values(cross_entropy(x, p, wt, Reduction::Sum, -100, eps), {total}, 1e-13, "sum");
      expect_values(cross_entropy(x, p, wt, Reduction::Mean, -100, eps), {total / n}, 1e-13, "mean");
      for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum})
        EXPECT_TRUE(gradcheck([&](const TensorList& in) { return cross_entropy(in[0], in[1], wt, r, -100, eps); },
                              {leaf({n, c}, -1, 1, d), leaf({n, c}, 0, 1, d)}));
    }
  }
  // Unbatched and spatial; an empty batch has a nan mean.
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return cross_entropy(in[0], in[1]); },
                        {leaf({4}, -1, 1, d), leaf({4}, 0, 1, d)}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return cross_entropy(in[0], in[1]); },
                        {leaf({2, 3, 2}, -1, 1, d), leaf({2, 3, 2}, 0, 1, d)}));
  const TensorOptions on_d = TensorOptions().device(d);
  EXPECT_TRUE(std::isnan(cross_entropy(zeros({0, 4}, on_d), zeros({0, 4}, on_d)).item<double>()));
  EXPECT_EQ(grad_fn_name(cross_entropy(leaf({2, 3}, -1, 1, d), rand({2, 3}, kF64).to(d))), "DivBackward0");
  EXPECT_EQ(grad_fn_name(cross_entropy(leaf({2, 3}, -1, 1, d), rand({2, 3}, kF64).to(d), Tensor(), Reduction::Sum)),
            "NegBackward0");
}

TEST(NnFunctionalLoss, CrossEntropyErrors) {
  const Tensor x = randn({3, 4});
  EXPECT_THROW_WITH(cross_entropy(x, targets({0, 1, 2}, {3}), Tensor(), Reduction::Mean, -100, 1.5), ValueError,
                    "label_smoothing must be between 0.0 and 1.0");
  EXPECT_THROW_WITH(cross_entropy(x, rand({3, 4}), Tensor(), Reduction::Mean, -100, 1.5), ValueError,
                    "label_smoothing must be between 0.0 and 1.0");
  EXPECT_THROW_WITH(cross_entropy(x, rand({3, 4}), Tensor(), Reduction::Mean, 1), ValueError,
                    "ignore_index is not supported for floating point target");
  EXPECT_THROW_WITH(cross_entropy(x, zeros({3, 4}, kI64)), TypeError, "Expected floating point type for target");
  EXPECT_THROW_WITH(cross_entropy(x, rand({3, 4}), ones({3})), ValueError, "for all 4 classes");
  EXPECT_THROW_WITH(cross_entropy(x, targets({0, 9, 2}, {3})), IndexError, "Target 9 is out of bounds");
  EXPECT_THROW_WITH(cross_entropy(x, targets({0, 9, 2}, {3}), Tensor(), Reduction::Mean, -100, 0.1), IndexError,
                    "Target 9 is out of bounds");
  EXPECT_THROW_WITH(cross_entropy(x, targets({0, 1}, {2})), ValueError, "batch_size");
}

// ---- regression losses -----------------------------------------------------------------------------

TEST_P(NnFunctionalLossOnDevice, RegressionLossValues) {
  const Device d = device();
  const Tensor x = from_vector<double>({0.0, 1.0, -2.0, 0.25}, {2, 2}).to(d);
  const Tensor y = from_vector<double>({0.5, -1.0, -2.0, 2.0}, {2, 2}).to(d);
  // d = [-0.5, 2, 0, -1.75]
  expect_values(mse_loss(x, y, Reduction::None), {0.25, 4, 0, 3.0625}, 1e-15, "mse none");
  expect_values(mse_loss(x, y), {7.3125 / 4}, 1e-15, "mse mean");
  expect_values(mse_loss(x, y, Reduction::Sum), {7.3125}, 1e-15, "mse sum");
  expect_values(l1_loss(x, y, Reduction::None), {0.5, 2, 0, 1.75}, 1e-15, "l1 none");
  expect_values(l1_loss(x, y), {4.25 / 4}, 1e-15, "l1 mean");
  // smooth_l1 with beta 1: 0.5 d^2 below 1, |d| - 0.5 above.
  expect_values(smooth_l1_loss(x, y, Reduction::None), {0.125, 1.5, 0, 1.25}, 1e-15, "smooth none");
  expect_values(smooth_l1_loss(x, y, Reduction::None, 2.0), {0.0625, 1.0, 0, 0.765625}, 1e-15, "beta 2");
  expect_values(smooth_l1_loss(x, y, Reduction::None, 0.0), {0.5, 2, 0, 1.75}, 1e-15, "beta 0 is l1");
  // Broadcasting target, mixed dtypes promote, an empty mean is nan.
  expect_values(mse_loss(x, from_vector<double>({1.0, 0.0}, {2}).to(d), Reduction::None), {1, 1, 9, 0.0625}, 1e-15,
                "broadcast");
  EXPECT_EQ(mse_loss(x.to(ScalarType::Float32), y).dtype(), ScalarType::Float64);
  const TensorOptions on_d = TensorOptions().device(d);
  EXPECT_TRUE(std::isnan(mse_loss(zeros({0, 2}, on_d), zeros({0, 2}, on_d)).item<double>()));
  EXPECT_EQ(l1_loss(zeros({0, 2}, on_d), zeros({0, 2}, on_d), Reduction::Sum).item<double>(), 0.0);
}

TEST_P(NnFunctionalLossOnDevice, RegressionLossGradients) {
  const Device d = device();
  manual_seed(7);
  for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum}) {
    EXPECT_TRUE(gradcheck([r](const TensorList& in) { return mse_loss(in[0], in[1], r); },
                          {leaf({3, 4}, -1, 1, d), leaf({3, 4}, -1, 1, d)}));
    EXPECT_TRUE(gradcheck([r](const TensorList& in) { return l1_loss(in[0], in[1], r); },
                          {leaf({3, 4}, -1, 1, d), noncontiguous_leaf({3, 4}, -1, 1, d)}));
    for (double beta : {1.0, 0.3, 0.0})
      EXPECT_TRUE(gradcheck([r, beta](const TensorList& in) { return smooth_l1_loss(in[0], in[1], r, beta); },
                            {leaf({3, 4}, -2, 2, d), leaf({3, 4}, -2, 2, d)}));
    // A broadcast target's gradient is summed over the broadcast dims.
    EXPECT_TRUE(gradcheck([r](const TensorList& in) { return mse_loss(in[0], in[1], r); },
                          {leaf({3, 4}, -1, 1, d), leaf({4}, -1, 1, d)}));
    EXPECT_TRUE(gradcheck([r](const TensorList& in) { return smooth_l1_loss(in[0], in[1], r); },
                          {leaf({0, 4}, -1, 1, d), leaf({0, 4}, -1, 1, d)}));
  }
  EXPECT_TRUE(gradgradcheck([](const Tensor& x) { return mse_loss(x * x, ones_like(x)); }, leaf({2, 3}, -1, 1, d)));
  EXPECT_TRUE(gradgradcheck([](const Tensor& x) { return smooth_l1_loss(x * x, ones_like(x), Reduction::Sum, 0.5); },
                            leaf({2, 3}, -1, 1, d)));
  // beta = 0 is the L1 loss: slope 0 where input == target (d / 0 gave nan there).
  Tensor xs = tensor({1.0, 2.0, 3.0}, kF64).to(d).requires_grad_();
  smooth_l1_loss(xs, tensor({1.0, 1.0, 4.0}, kF64).to(d), Reduction::Sum, 0.0).backward();
  EXPECT_EQ(xs.grad().to_vector<double>(), (std::vector<double>{0, 1, -1}));
  const Tensor a = leaf({2}, -1, 1, d), b = leaf({2}, -1, 1, d);
  EXPECT_EQ(grad_fn_name(mse_loss(a, b)), "MseLossBackward0");
  EXPECT_EQ(grad_fn_name(mse_loss(a, b, Reduction::None)), "MseLossBackward0");
  EXPECT_EQ(grad_fn_name(smooth_l1_loss(a, b)), "SmoothL1LossBackward0");
  EXPECT_EQ(grad_fn_name(l1_loss(a, b)), "MeanBackward0");
  EXPECT_EQ(grad_fn_name(l1_loss(a, b, Reduction::Sum)), "SumBackward0");
  EXPECT_EQ(grad_fn_name(l1_loss(a, b, Reduction::None)), "AbsBackward0");
}

TEST(NnFunctionalLoss, RegressionLossErrors) {
  EXPECT_THROW_WITH(mse_loss(randn({3, 4}), randn({5})), ValueError, "[3, 4]");
  EXPECT_THROW_WITH(mse_loss(arange(4), arange(4)), TypeError, "floating point");
  EXPECT_THROW_WITH(l1_loss(arange(4), arange(4)), TypeError, "floating point");
  EXPECT_THROW_WITH(smooth_l1_loss(randn({2}), randn({2}), Reduction::Mean, -1.0), ValueError,
                    "does not support negative values for beta");
  EXPECT_THROW_WITH(mse_loss(Tensor(), randn({2})), ValueError, "undefined");
}

// ---- binary cross entropy -----------------------------------------------------------------------

TEST_P(NnFunctionalLossOnDevice, BinaryCrossEntropy) {
  const Device d = device();
  const Tensor x = from_vector<double>({0.2, 0.9, 0.0, 1.0}, {4}).to(d);
  const Tensor y = from_vector<double>({0.0, 1.0, 1.0, 0.0}, {4}).to(d);
  // log terms are clamped at -100: a confident wrong answer costs 100.
  expect_values(binary_cross_entropy(x, y, Tensor(), Reduction::None), {-std::log(0.8), -std::log(0.9), 100, 100},
                1e-14, "none");
  const Tensor w = from_vector<double>({1.0, 2.0, 0.5, 0.0}, {4}).to(d);
  expect_values(binary_cross_entropy(x, y, w, Reduction::Sum), {-std::log(0.8) - 2 * std::log(0.9) + 50}, 1e-13,
                "weighted");
  manual_seed(8);
  for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum}) {
    EXPECT_TRUE(gradcheck([r](const TensorList& in) { return binary_cross_entropy(in[0], in[1], Tensor(), r); },
                          {leaf({3, 4}, 0.05, 0.95, d), leaf({3, 4}, 0, 1, d)}));
    const Tensor weight = rand({4}, kF64).to(d);  // broadcasts over the rows
    EXPECT_TRUE(gradcheck([r, weight](const TensorList& in) { return binary_cross_entropy(in[0], in[1], weight, r); },
                          {noncontiguous_leaf({3, 4}, 0.05, 0.95, d), leaf({3, 4}, 0, 1, d)}));
  }
  EXPECT_EQ(grad_fn_name(binary_cross_entropy(leaf({2}, 0.1, 0.9, d), rand({2}, kF64).to(d))),
            "BinaryCrossEntropyBackward0");
  const TensorOptions on_d = TensorOptions().device(d);
  EXPECT_TRUE(std::isnan(binary_cross_entropy(zeros({0}, on_d), zeros({0}, on_d)).item<double>()));
}

TEST(NnFunctionalLoss, BinaryCrossEntropyErrors) {
  EXPECT_THROW_WITH(binary_cross_entropy(from_vector<double>({1.5}, {1}), zeros({1}, kF64)), Error,
                    "between 0 and 1");
  EXPECT_THROW_WITH(binary_cross_entropy(from_vector<double>({kNaN}, {1}), zeros({1}, kF64)), Error,
                    "between 0 and 1");
  EXPECT_THROW_WITH(binary_cross_entropy(rand({3, 4}), rand({4})), ValueError, "different to the input size");
  EXPECT_THROW_WITH(binary_cross_entropy(rand({3}), rand({3}, kF64)), TypeError, "float32");
  EXPECT_THROW_WITH(binary_cross_entropy(rand({3}), rand({3}), rand({3}, TensorOptions().requires_grad())), Error,
                    "not differentiable with respect to argument 'weight'");
}

TEST_P(NnFunctionalLossOnDevice, BinaryCrossEntropyWithLogits) {
  const Device d = device();
  const Tensor x = from_vector<double>({0.5, -1.0, 100.0, -100.0}, {4}).to(d);
  const Tensor y = from_vector<double>({1.0, 0.25, 0.0, 1.0}, {4}).to(d);
  auto softplus = [](double v) { return std::max(v, 0.0) + std::log1p(std::exp(-std::fabs(v))); };
  const std::vector<double> xs = x.to_vector<double>(), ys = y.to_vector<double>();
  std::vector<double> plain, pos;
  const std::vector<double> pw = {2.0, 0.5, 3.0, 1.5};
  for (size_t i = 0; i < 4; ++i) {
    plain.push_back((1 - ys[i]) * xs[i] + softplus(-xs[i]));  // no overflow at |x| = 100
    pos.push_back((1 - ys[i]) * xs[i] + ((pw[i] - 1) * ys[i] + 1) * softplus(-xs[i]));
  }
  expect_values(binary_cross_entropy_with_logits(x, y, Tensor(), Reduction::None), plain, 1e-14, "none");
  expect_values(binary_cross_entropy_with_logits(x, y, Tensor(), Reduction::None, from_vector(pw, {4}).to(d)), pos,
                1e-14, "pos_weight");
  manual_seed(9);
  const Tensor weight = rand({4}, kF64).to(d), pos_weight = (rand({4}, kF64) + 0.5).to(d);
  for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum}) {
    for (bool with_pos : {false, true}) {
      const Tensor pwt = with_pos ? pos_weight : Tensor();
      EXPECT_TRUE(gradcheck(
          [&](const TensorList& in) { return binary_cross_entropy_with_logits(in[0], in[1], weight, r, pwt); },
          {leaf({3, 4}, -3, 3, d), leaf({3, 4}, 0, 1, d)}));
    }
  }
  const Tensor target = rand({2, 4}, kF64).to(d);
  EXPECT_TRUE(gradgradcheck(
      [&](const Tensor& v) { return binary_cross_entropy_with_logits(v, target, weight, Reduction::Mean, pos_weight); },
      leaf({2, 4}, -1, 1, d)));
  EXPECT_EQ(grad_fn_name(binary_cross_entropy_with_logits(leaf({2}, -1, 1, d), rand({2}, kF64).to(d))),
            "BinaryCrossEntropyWithLogitsBackward0");
  EXPECT_EQ(binary_cross_entropy_with_logits(randn({2}).to(d), rand({2}, kF64).to(d)).dtype(), ScalarType::Float64);
}

TEST(NnFunctionalLoss, BinaryCrossEntropyWithLogitsErrors) {
  EXPECT_THROW_WITH(binary_cross_entropy_with_logits(randn({3, 4}), rand({4})), ValueError,
                    "must be the same as input size");
  EXPECT_THROW_WITH(binary_cross_entropy_with_logits(randn({2}), rand({2}), Tensor(), Reduction::Mean,
                                                     rand({2}, TensorOptions().requires_grad())),
                    Error, "argument 'pos_weight'");
}

// ---- dropout ----------------------------------------------------------------------------------------

TEST(NnFunctionalDropout, MaskAndScale) {
  manual_seed(10);
  const Tensor x = rand({200, 100}, kF64) + 1.0;  // no zeros of its own
  for (double p : {0.2, 0.5, 0.9}) {
    const Tensor y = dropout(x, p);
    const std::vector<double> xv = x.to_vector<double>(), yv = y.to_vector<double>();
    int64_t dropped = 0;
    for (size_t i = 0; i < xv.size(); ++i) {
      if (yv[i] == 0) {
        ++dropped;
      } else {
        EXPECT_NEAR(yv[i], xv[i] / (1 - p), 1e-12);
      }
    }
    // 20000 draws: the dropped fraction is within 4 standard deviations of p.
    const double sd = std::sqrt(p * (1 - p) / 20000.0);
    EXPECT_NEAR(static_cast<double>(dropped) / 20000.0, p, 4 * sd) << "p " << p;
  }
  // The same seed gives the same mask; the draws advance the generator.
  manual_seed(11);
  const Tensor a = dropout(x, 0.5);
  const Tensor b = dropout(x, 0.5);
  manual_seed(11);
  EXPECT_TRUE(equal(dropout(x, 0.5), a));
  EXPECT_FALSE(equal(a, b));
}

// Dropout's gradients are read against the mask the same call drew (from the
// default generator of the device), so they run per device; the mask's
// statistics and seeding (MaskAndScale) stay on the CPU, and that a GPU draws
// the CPU's very mask is CreationOnDevice.RandomValuesAreTheCpusBitForBit.
class NnFunctionalDropoutOnDevice : public wick::testing::OnEachDevice {};
WICK_ON_EACH_DEVICE(NnFunctionalDropoutOnDevice);

TEST_P(NnFunctionalDropoutOnDevice, EdgeCasesAndGradients) {
  const Device d = device();
  const Tensor x = leaf({3, 4}, -1, 1, d);
  EXPECT_TRUE(dropout(x, 0.0).is_same(x));
  EXPECT_TRUE(dropout(x, 0.5, false).is_same(x));
  EXPECT_TRUE(dropout(zeros({0, 3}, TensorOptions().device(d)), 0.5).numel() == 0);
  const Tensor all = dropout(x, 1.0);
  EXPECT_EQ(all.abs().sum().item<double>(), 0.0);
  EXPECT_EQ(grad_fn_name(all), "MulBackward0");
  EXPECT_EQ(grad_fn_name(dropout(x, 0.3)), "MulBackward0");
  // The gradient is the mask, scaled.
  manual_seed(12);
  const Tensor y = dropout(x, 0.4);
  y.sum().backward();
  const std::vector<double> g = x.grad().to_vector<double>(), yv = y.to_vector<double>();
  for (size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], yv[i] == 0 ? 0.0 : 1 / 0.6, 1e-15);
  // gradcheck with the seed fixed inside, on a non-contiguous input too.
  auto f = [](const TensorList& in) {
    manual_seed(13);
    return dropout(in[0], 0.3);
  };
  EXPECT_TRUE(gradcheck(f, {leaf({4, 5}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck(f, {noncontiguous_leaf({4, 5}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return dropout(in[0], 1.0); }, {leaf({2, 3}, -1, 1, d)}));
}

TEST_P(NnFunctionalDropoutOnDevice, InPlace) {
  const Device d = device();
  manual_seed(14);
  const Tensor x = leaf({6, 5}, -1, 1, d);
  const Tensor h = x * 2.0;  // a non-leaf may change in place
  const Tensor before = h.detach().clone();
  dropout_(h, 0.5);
  EXPECT_EQ(grad_fn_name(h), "MulBackward0");
  h.sum().backward();
  const std::vector<double> hv = h.to_vector<double>(), bv = before.to_vector<double>(), g = x.grad().to_vector<double>();
  for (size_t i = 0; i < hv.size(); ++i) {
    EXPECT_TRUE(hv[i] == 0 || std::fabs(hv[i] - 2 * bv[i]) < 1e-12);
    EXPECT_NEAR(g[i], hv[i] == 0 ? 0.0 : 4.0, 1e-12);
  }
  // A non-contiguous tensor, in place.
  const Tensor base = (rand({4, 6}, kF64) + 1.0).to(d);
  const Tensor view = base.t();
  dropout_(view, 0.5);
  const std::vector<double> vv = base.to_vector<double>();
  int zeros_seen = 0;
  for (double v : vv) zeros_seen += v == 0;
  EXPECT_GT(zeros_seen, 0);
}

TEST(NnFunctionalDropout, Errors) {
  EXPECT_THROW_WITH(dropout_(leaf({2}), 0.5), Error, "leaf Variable that requires grad");
  EXPECT_THROW_WITH(dropout(randn({2}), 1.5), ValueError, "dropout probability has to be between 0 and 1, but got 1.5");
  EXPECT_THROW_WITH(dropout(randn({2}), -0.1), ValueError, "between 0 and 1");
  EXPECT_THROW_WITH(dropout_(randn({2}), 2.0), ValueError, "between 0 and 1");
  EXPECT_THROW_WITH(dropout(arange(4), 0.5), TypeError, "floating point");
}

// ---- linear / bilinear -------------------------------------------------------------------------------

class NnFunctionalLinearOnDevice : public wick::testing::OnEachDevice {};
WICK_ON_EACH_DEVICE(NnFunctionalLinearOnDevice);

TEST_P(NnFunctionalLinearOnDevice, ValuesAndGradFn) {
  const Device d = device();
  manual_seed(15);
  const Tensor x = leaf({3, 4}, -1, 1, d), w = leaf({5, 4}, -1, 1, d), b = leaf({5}, -1, 1, d);
  EXPECT_TRUE(allclose(linear(x, w, b), matmul(x, w.t()) + b));
  EXPECT_EQ(grad_fn_name(linear(x, w, b)), "AddmmBackward0");
  EXPECT_EQ(grad_fn_name(linear(x, w)), "MmBackward0");
  EXPECT_EQ(grad_fn_name(linear(leaf({2, 3, 4}, -1, 1, d), w, b)), "ViewBackward0");
  EXPECT_EQ(linear(leaf({2, 3, 4}, -1, 1, d), w, b).sizes(), IntArrayRef({2, 3, 5}));
  EXPECT_EQ(linear(leaf({4}, -1, 1, d), w, b).sizes(), IntArrayRef({5}));
  auto f = [](const TensorList& in) { return linear(in[0], in[1], in[2]); };
  EXPECT_TRUE(gradcheck(f, {leaf({3, 4}, -1, 1, d), leaf({5, 4}, -1, 1, d), leaf({5}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck(f, {leaf({4}, -1, 1, d), leaf({5, 4}, -1, 1, d), leaf({5}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck(f, {leaf({2, 3, 4}, -1, 1, d), leaf({5, 4}, -1, 1, d), leaf({5}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck(f, {leaf({2, 2, 3, 4}, -1, 1, d), noncontiguous_leaf({5, 4}, -1, 1, d), leaf({5}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return linear(in[0].transpose(0, 1), in[1], in[2]); },
                        {leaf({3, 2, 4}, -1, 1, d), leaf({5, 4}, -1, 1, d), leaf({5}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return linear(in[0], in[1]); },
                        {leaf({0, 4}, -1, 1, d), leaf({5, 4}, -1, 1, d)}));
}

TEST(NnFunctionalLinear, Errors) {
  EXPECT_THROW_WITH(linear(randn({3, 4}), randn({5, 3})), ValueError, "in_features = 3");
  EXPECT_THROW_WITH(linear(randn({3, 4}), randn({5, 4}), randn({4})), ValueError, "bias of shape [5]");
  // A 1-D weight is taken, as PyTorch documents it (Note [linear with a 1-D weight]; Dtypes.LinearWith...).
  EXPECT_THROW_WITH(linear(randn({3, 4}), randn({2, 5, 4})), ValueError, "weight must be a matrix");
  EXPECT_THROW_WITH(linear(randn({3, 4}), randn({5})), ValueError, "in_features = 5");
}

TEST_P(NnFunctionalLinearOnDevice, Bilinear) {
  const Device d = device();
  manual_seed(16);
  const Tensor x1 = randn({3, 2}, kF64).to(d), x2 = randn({3, 4}, kF64).to(d), w = randn({5, 2, 4}, kF64).to(d),
               b = randn({5}, kF64).to(d);
  const Tensor y = bilinear(x1, x2, w, b);
  const std::vector<double> a = x1.to_vector<double>(), c = x2.to_vector<double>(), wv = w.to_vector<double>(),
                            bv = b.to_vector<double>();
  std::vector<double> want;
  for (int n = 0; n < 3; ++n)
    for (int o = 0; o < 5; ++o) {
      double acc = bv[o];
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 4; ++j) acc += a[n * 2 + i] * wv[(o * 2 + i) * 4 + j] * c[n * 4 + j];
      want.push_back(acc);
    }
  expect_values(y, want, 1e-13, "bilinear");
  auto f = [](const TensorList& in) { return bilinear(in[0], in[1], in[2], in[3]); };
  EXPECT_TRUE(gradcheck(f, {leaf({3, 2}, -1, 1, d), leaf({3, 4}, -1, 1, d), leaf({5, 2, 4}, -1, 1, d), leaf({5}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck(
      f, {leaf({2, 3, 2}, -1, 1, d), leaf({2, 3, 4}, -1, 1, d), leaf({5, 2, 4}, -1, 1, d), leaf({5}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return bilinear(in[0], in[1], in[2]); },
                        {noncontiguous_leaf({3, 2}, -1, 1, d), leaf({3, 4}, -1, 1, d), leaf({1, 2, 4}, -1, 1, d)}));
}

TEST(NnFunctionalLinear, BilinearErrors) {
  EXPECT_THROW_WITH(bilinear(randn({3, 2}), randn({4, 4}), randn({5, 2, 4})), ValueError, "batch dimensions");
  EXPECT_THROW_WITH(bilinear(randn({3, 2}), randn({3, 3}), randn({5, 2, 4})), ValueError, "input2 size");
  EXPECT_THROW_WITH(bilinear(randn({3, 2}), randn({3, 4}), randn({5, 2})), ValueError, "weight must be");
}

// ---- pad ---------------------------------------------------------------------------------------------

class NnFunctionalPadOnDevice : public wick::testing::OnEachDevice {};
WICK_ON_EACH_DEVICE(NnFunctionalPadOnDevice);

TEST_P(NnFunctionalPadOnDevice, ModesMatchTheirDefinitions) {
  const Device d = device();
  const Tensor x = arange(4.0).to(ScalarType::Float64).view({1, 1, 4}).to(d);  // [0, 1, 2, 3]
  expect_values(pad(x, {2, 1}, "reflect"), {2, 1, 0, 1, 2, 3, 2}, 0, "reflect");
  expect_values(pad(x, {2, 1}, "replicate"), {0, 0, 0, 1, 2, 3, 3}, 0, "replicate");
  expect_values(pad(x, {2, 1}, "circular"), {2, 3, 0, 1, 2, 3, 0}, 0, "circular");
  expect_values(pad(x, {2, 1}, "constant", 9.0), {9, 9, 0, 1, 2, 3, 9}, 0, "constant");
  expect_values(pad(x, {4, 0}, "circular"), {0, 1, 2, 3, 0, 1, 2, 3}, 0, "circular full wrap");
  // Circular padding crops first and wraps around what is left, as PyTorch does.
  expect_values(pad(x, {3, -1}, "circular"), {0, 1, 2, 0, 1, 2}, 0, "circular crop then wrap");
  expect_values(pad(x, {-1, 2}, "circular"), {1, 2, 3, 1, 2}, 0, "circular crop left");
  // Negative amounts crop, in every mode.
  expect_values(pad(x, {-1, 2}, "reflect"), {1, 2, 3, 2, 1}, 0, "reflect crop");
  expect_values(pad(x, {-1, -2}, "replicate"), {1}, 0, "replicate crop");
  expect_values(pad(x, {1, -3}, "constant"), {0, 0}, 0, "constant crop");
  expect_values(pad(x, {-2, -2}, "constant"), {}, 0, "constant to empty");
  // Two dims, integers for the constant and circular modes.
  const Tensor m = arange(6).view({2, 3}).to(d);
  expect_values(pad(m, {1, 0, 0, 1}, "constant", 2.5), {2, 0, 1, 2, 2, 3, 4, 5, 2, 2, 2, 2}, 0, "2-D constant int");
  EXPECT_EQ(pad(m, {1, 0, 0, 1}).dtype(), ScalarType::Int64);
  const Tensor img = arange(6.0).to(ScalarType::Float64).view({1, 2, 3}).to(d);
  expect_values(pad(img, {1, 1, 1, 0}, "reflect"), {4, 3, 4, 5, 4, 1, 0, 1, 2, 1, 4, 3, 4, 5, 4}, 0, "2-D reflect");
  expect_values(pad(img.view({1, 1, 2, 3}), {0, 1, 1, 1}, "replicate"), {0, 1, 2, 2, 0, 1, 2, 2, 3, 4, 5, 5, 3, 4, 5, 5},
                0, "2-D replicate");
  const TensorOptions on_d = TensorOptions().device(d);
  EXPECT_EQ(pad(zeros({2, 1, 3, 4, 5}, on_d), {1, 1, 2, 2, 0, 1}, "reflect").sizes(), IntArrayRef({2, 1, 4, 8, 7}));
  EXPECT_EQ(pad(zeros({0, 3, 4}, on_d), {1, 1}, "reflect").sizes(), IntArrayRef({0, 3, 6}));
}

TEST_P(NnFunctionalPadOnDevice, GradientsAndNames) {
  const Device d = device();
  manual_seed(17);
  const std::vector<std::pair<std::string, DimVector>> cases = {
      {"constant", {1, 2}}, {"constant", {-1, 2, 1, 0}}, {"reflect", {2, 1}}, {"reflect", {1, -1, 2, 1}},
      {"replicate", {2, 3, 0, 1}}, {"circular", {3, -1}}, {"circular", {1, 2, 2, 0}}};
  for (const auto& [mode, amounts] : cases) {
    const std::string m = mode;
    const DimVector p = amounts;
    auto f = [m, p](const TensorList& in) { return pad(in[0], p, m); };
    EXPECT_TRUE(gradcheck(f, {leaf({2, 3, 4}, -1, 1, d)})) << mode;
    EXPECT_TRUE(gradcheck([m, p](const TensorList& in) { return pad(in[0].transpose(1, 2), p, m); },
                          {leaf({2, 4, 3}, -1, 1, d)}))
        << mode;
    EXPECT_TRUE(gradgradcheck([m, p](const Tensor& x) { return (pad(x, p, m) * pad(x, p, m)).sum(); },
                              leaf({1, 3, 3}, -1, 1, d)))
        << mode;
  }
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return pad(in[0], {1, 1, 1, 1, 1, 1}, "replicate"); },
                        {leaf({1, 2, 3, 3, 2}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return pad(in[0], {1, 1, 1, 1, 1, 1}, "constant", 3.0); },
                        {leaf({2, 2, 2}, -1, 1, d)}));
  const Tensor x = leaf({2, 3, 4}, -1, 1, d);
  EXPECT_EQ(grad_fn_name(pad(x, {1, 1})), "ConstantPadNdBackward0");
  EXPECT_EQ(grad_fn_name(pad(x, {1, 1}, "reflect")), "ReflectionPad1DBackward0");
  EXPECT_EQ(grad_fn_name(pad(x, {1, 1, 1, 1}, "replicate")), "ReplicationPad2DBackward0");
  EXPECT_EQ(grad_fn_name(pad(x.unsqueeze(0), {1, 1, 1, 1, 1, 1}, "reflect")), "ReflectionPad3DBackward0");
  const Tensor y = pad(x, {1, 1}, "reflect");
  const Tensor g = autograd::grad({(y * y).sum()}, {x}, {}, true, true)[0];
  EXPECT_EQ(grad_fn_name(g), "ReflectionPad1DBackwardBackward0");
}

TEST(NnFunctionalPad, Errors) {
  const Tensor x = randn({2, 3, 4});
  EXPECT_THROW_WITH(pad(x, {1, 1, 1}), ValueError, "Padding length must be divisible by 2");
  EXPECT_THROW_WITH(pad(x, {1, 1, 1, 1, 1, 1, 1, 1}), ValueError, "Padding length too large");
  EXPECT_THROW_WITH(pad(x, {1, 1}, "foo"), NotImplementedError, "Unrecognised padding mode foo");
  EXPECT_THROW_WITH(pad(x, {4, 0}, "reflect"), ValueError, "Padding size should be less than");
  EXPECT_THROW_WITH(pad(x, {5, 0}, "circular"), ValueError, "wrapping around more than once");
  EXPECT_THROW_WITH(pad(x, {-4, 2}, "circular"), ValueError, "crops away every element");
  EXPECT_THROW_WITH(pad(x, {1, 1}, "replicate", 3.0), ValueError, "doesn't take in value argument");
  EXPECT_THROW_WITH(pad(x[0][0], {1, 1}, "reflect"), NotImplementedError, "2D to 5D");
  EXPECT_THROW_WITH(pad(x, {1, 1, 1, 1, 1, 1}, "reflect"), NotImplementedError, "2D to 5D");
  EXPECT_THROW_WITH(pad(x, {-3, -2}), ValueError, "negative size");
  EXPECT_THROW_WITH(pad(x, {-3, -2}, "replicate"), ValueError, "negative size");
  EXPECT_THROW_WITH(pad(zeros({2, 3, 0}), {1, 1}, "replicate"), ValueError, "non-empty dim 2");
}

// ---- interpolate ---------------------------------------------------------------------------------------

class NnFunctionalInterpolateOnDevice : public wick::testing::OnEachDevice {};
WICK_ON_EACH_DEVICE(NnFunctionalInterpolateOnDevice);

TEST_P(NnFunctionalInterpolateOnDevice, NearestValues) {
  const Device d = device();
  const Tensor x = from_vector<double>({0, 1, 2}, {1, 1, 3}).to(d);
  // PyTorch's legacy nearest: floor(o * in / out), with exact copies for x1 and x2.
  expect_values(interpolate(x, std::vector<int64_t>{5}, std::nullopt), {0, 0, 1, 1, 2}, 0, "size 5");
  expect_values(interpolate(x, std::vector<int64_t>{6}, std::nullopt), {0, 0, 1, 1, 2, 2}, 0, "double");
  expect_values(interpolate(x, std::vector<int64_t>{2}, std::nullopt), {0, 1}, 0, "down");
  // With a scale factor the index uses 1 / scale (here 1 / 2.5 = 0.4): 7 outputs.
  expect_values(interpolate(x, std::nullopt, std::vector<double>{2.5}), {0, 0, 0, 1, 1, 2, 2}, 0, "scale 2.5");
  expect_values(interpolate(x, std::vector<int64_t>{5}, std::nullopt, "nearest-exact"), {0, 0, 1, 2, 2}, 0, "exact");
  const Tensor img = arange(4.0).to(ScalarType::Float64).view({1, 1, 2, 2}).to(d);
  expect_values(interpolate(img, std::nullopt, std::vector<double>{2.0}),
                {0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3}, 0, "2-D x2");
  const TensorOptions on_d = TensorOptions().device(d);
  EXPECT_EQ(interpolate(zeros({2, 3, 4, 5, 6}, on_d), std::vector<int64_t>{3, 4, 5}, std::nullopt).sizes(),
            IntArrayRef({2, 3, 3, 4, 5}));
  EXPECT_EQ(interpolate(zeros({0, 3, 4, 5}, on_d), std::vector<int64_t>{6}, std::nullopt).sizes(),
            IntArrayRef({0, 3, 6, 6}));
  EXPECT_EQ(interpolate(zeros({1, 1, 4, 5}, on_d), std::nullopt, std::vector<double>{1.5, 0.7}).sizes(),
            IntArrayRef({1, 1, 6, 3}));
}

TEST_P(NnFunctionalInterpolateOnDevice, LinearValues) {
  const Device d = device();
  const Tensor x = from_vector<double>({0, 1}, {1, 1, 2}).to(d);
  expect_values(interpolate(x, std::vector<int64_t>{4}, std::nullopt, "linear"), {0, 0.25, 0.75, 1}, 1e-15, "half px");
  expect_values(interpolate(x, std::vector<int64_t>{3}, std::nullopt, "linear", true), {0, 0.5, 1}, 1e-15, "corners");
  expect_values(interpolate(x, std::vector<int64_t>{1}, std::nullopt, "linear", true), {0}, 0, "corners to one");
  const Tensor img = from_vector<double>({0, 1, 2, 3}, {1, 1, 2, 2}).to(d);
  // Bilinear is separable: rows [0, 1] and [2, 3] each upsampled, then blended.
  expect_values(interpolate(img, std::vector<int64_t>{3, 3}, std::nullopt, "bilinear", true),
                {0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3}, 1e-15, "bilinear corners");
  const Tensor vol = from_vector<double>({0, 1, 2, 3, 4, 5, 6, 7}, {1, 1, 2, 2, 2}).to(d);
  expect_values(interpolate(vol, std::vector<int64_t>{1, 1, 1}, std::nullopt, "trilinear", true), {0}, 0, "tri");
  expect_values(interpolate(vol, std::nullopt, std::vector<double>{1.0}, "trilinear"),
                vol.to_vector<double>(), 0, "identity");
  // float32 computes its weights in float, as PyTorch.
  EXPECT_EQ(interpolate(img.to(ScalarType::Float32), std::vector<int64_t>{5, 3}, std::nullopt, "bilinear").dtype(),
            ScalarType::Float32);
}

TEST_P(NnFunctionalInterpolateOnDevice, GradientsAndNames) {
  const Device d = device();
  manual_seed(18);
  struct Case {
    std::string mode;
    DimVector in;
    std::vector<int64_t> size;
    std::optional<bool> align;
  };
  const std::vector<Case> cases = {{"nearest", {2, 2, 3}, {5}, {}},
                                   {"nearest", {1, 2, 3, 2}, {2, 5}, {}},
                                   {"nearest-exact", {1, 1, 2, 3}, {3, 2}, {}},
                                   {"nearest", {1, 1, 2, 2, 3}, {3, 3, 2}, {}},
                                   {"linear", {2, 1, 3}, {7}, false},
                                   {"linear", {2, 1, 4}, {3}, true},
                                   {"bilinear", {1, 2, 3, 3}, {4, 5}, false},
                                   {"bilinear", {1, 1, 3, 2}, {2, 4}, true},
                                   {"trilinear", {1, 1, 2, 3, 2}, {3, 2, 4}, false}};
  for (const Case& c : cases) {
    auto f = [c](const TensorList& in) { return interpolate(in[0], c.size, std::nullopt, c.mode, c.align); };
    EXPECT_TRUE(gradcheck(f, {leaf(c.in, -1, 1, d)})) << c.mode;
    EXPECT_TRUE(gradgradcheck([f](const Tensor& x) { return (f({x}) * f({x})).sum(); }, leaf(c.in, -1, 1, d))) << c.mode;
  }
  // Non-contiguous input, scale factors.
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) { return interpolate(in[0].transpose(2, 3), std::nullopt, std::vector<double>{1.7}, "bilinear"); },
      {leaf({1, 2, 3, 2}, -1, 1, d)}));
  const Tensor x = leaf({1, 1, 2, 2}, -1, 1, d);
  EXPECT_EQ(grad_fn_name(interpolate(x, std::vector<int64_t>{4}, std::nullopt)), "UpsampleNearest2DBackward1");
  EXPECT_EQ(grad_fn_name(interpolate(x, std::vector<int64_t>{4}, std::nullopt, "bilinear")), "UpsampleBilinear2DBackward1");
  EXPECT_EQ(grad_fn_name(interpolate(leaf({1, 1, 2}, -1, 1, d), std::vector<int64_t>{4}, std::nullopt, "linear")),
            "UpsampleLinear1DBackward1");
}

TEST(NnFunctionalInterpolate, Errors) {
  const Tensor x = randn({2, 3, 4, 5});
  const std::vector<int64_t> size = {6, 7};
  EXPECT_THROW_WITH(interpolate(x, size, std::vector<double>{2.0}), ValueError, "only one of size or scale_factor");
  EXPECT_THROW_WITH(interpolate(x, std::nullopt, std::nullopt), ValueError, "either size or scale_factor");
  EXPECT_THROW_WITH(interpolate(x, size, std::nullopt, "nearest", true), ValueError, "align_corners option");
  EXPECT_THROW_WITH(interpolate(x, std::vector<int64_t>{6, 7, 8}, std::nullopt), ValueError,
                    "same number of spatial dimensions");
  EXPECT_THROW_WITH(interpolate(x, std::vector<int64_t>{0, 7}, std::nullopt), ValueError, "greater than 0");
  EXPECT_THROW_WITH(interpolate(x, std::nullopt, std::vector<double>{0.1}), ValueError, "greater than 0");
  EXPECT_THROW_WITH(interpolate(randn({2, 3, 5}), std::vector<int64_t>{7}, std::nullopt, "bilinear"),
                    NotImplementedError, "Got 3D input, but bilinear mode needs 4D input");
  EXPECT_THROW_WITH(interpolate(x, size, std::nullopt, "bicubic"), NotImplementedError, "bicubic");
  EXPECT_THROW_WITH(interpolate(x, size, std::nullopt, "foo"), NotImplementedError, "unknown mode");
  EXPECT_THROW_WITH(interpolate(randn({3, 4}), size, std::nullopt), NotImplementedError, "Only 3D, 4D and 5D");
  EXPECT_THROW_WITH(interpolate(zeros({1, 1, 2, 2}, kI64), size, std::nullopt), TypeError, "floating point");
  EXPECT_THROW_WITH(interpolate(x, size, std::nullopt, "nearest", std::nullopt, true), ValueError,
                    "recompute_scale_factor is not meaningful");
}
