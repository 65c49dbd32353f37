// Reductions: values on hand-checked cases, dtypes, the kernel's loop orders
// (inner, outer, strided, split between threads) against float64 references,
// gradients (gradcheck on ordinary, keepdim, negative-dim, non-contiguous and
// zero-size inputs; ties and zeros; second order) and errors.
#include <cmath>
#include <functional>
#include <random>
#include <limits>
#include <vector>

#include "backends/reduce_math.h"
#include "test_util.h"

using namespace wick;
using wick::testing::leaf;
using wick::testing::noncontiguous_leaf;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

std::vector<int64_t> sizes(const Tensor& t) { return t.sizes().vec(); }

using Fn = std::function<Tensor(const Tensor&)>;

// gradcheck of a one-input function.
bool check(const Fn& fn, const Tensor& x, GradcheckOptions options = {}) {
  return gradcheck([&](const TensorList& in) { return fn(in[0]); }, {x}, options);
}

// gradcheck of the gradient of sum(fn(x) * w): checks second derivatives.
bool check_second_order(const Fn& fn, const Tensor& x) {
  const Tensor w = rand(fn(x.detach()).sizes(), TensorOptions(ScalarType::Float64).device(x.device())) + 0.5;
  return gradcheck(
      [&](const TensorList& in) {
        EnableGradGuard grad;
        const Tensor y = sum(fn(in[0]) * w);
        return autograd::grad({y}, {in[0]}, {}, {}, /*create_graph=*/true)[0];
      },
      {x});
}

// x's values as a float64 leaf.
Tensor as_leaf(const Tensor& x) { return x.to(ScalarType::Float64).detach().requires_grad_(); }

// Runs the test body with `n` threads, restoring the previous count after.
struct ThreadCount {
  int saved = get_num_threads();
  explicit ThreadCount(int n) { set_num_threads(n); }
  ~ThreadCount() { set_num_threads(saved); }
};

// x on device d (the suites below run once per device, test_util.h).
Tensor on(const Tensor& x, Device d) { return x.to(d); }

class ReduceOnDevice : public wick::testing::OnEachDevice {};
WICK_ON_EACH_DEVICE(ReduceOnDevice);

}  // namespace

// ---- sum / mean ----------------------------------------------------------------------------

TEST_P(ReduceOnDevice, SumValues) {
  const Device dev = device();
  const Tensor x = on(arange(24, ScalarType::Float32), dev).view({2, 3, 4});
  EXPECT_EQ(x.sum().item<double>(), 276);
  EXPECT_EQ(values(x.sum({0})), (std::vector<double>{12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34}));
  EXPECT_EQ(values(x.sum({-1})), (std::vector<double>{6, 22, 38, 54, 70, 86}));
  EXPECT_EQ(values(x.sum({0, 2})), (std::vector<double>{60, 92, 124}));
  EXPECT_EQ(values(x.sum({2, 0})), (std::vector<double>{60, 92, 124}));
  EXPECT_EQ(sizes(x.sum({1}, true)), (std::vector<int64_t>{2, 1, 4}));
  EXPECT_EQ(sizes(x.sum({0, -1}, true)), (std::vector<int64_t>{1, 3, 1}));
  EXPECT_EQ(x.sum({1}).dtype(), ScalarType::Float32);
  // A 0-dim tensor reduces over dim 0 / -1 to itself.
  const Tensor s = on(scalar_tensor(5.0), dev);
  EXPECT_EQ(s.sum({0}).item<double>(), 5);
  EXPECT_EQ(s.sum({-1}, true).dim(), 0);
}

TEST_P(ReduceOnDevice, SumDtypes) {
  const Device dev = device();
  const Tensor i = on(tensor({1, 2, 3}, ScalarType::Int32), dev);
  EXPECT_EQ(i.sum().dtype(), ScalarType::Int64);
  EXPECT_EQ(i.sum().item<int64_t>(), 6);
  const Tensor b = on(tensor({1, 0, 1, 1}, ScalarType::Bool), dev);
  EXPECT_EQ(b.sum().dtype(), ScalarType::Int64);
  EXPECT_EQ(b.sum().item<int64_t>(), 3);
  // Large int64 sums are exact.
  const Tensor big = on(full({1000}, int64_t{1} << 40), dev);
  EXPECT_EQ(big.sum().item<int64_t>(), int64_t{1000} << 40);
  EXPECT_EQ(on(tensor({1.5, 2.5}, ScalarType::Float64), dev).sum().dtype(), ScalarType::Float64);
}

TEST_P(ReduceOnDevice, SumAndMeanOfEmpty) {
  const Device dev = device();
  EXPECT_EQ(on(zeros({0}), dev).sum().item<double>(), 0);
  EXPECT_EQ(values(on(zeros({0, 3}), dev).sum({0})), (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(sizes(on(zeros({0, 3}), dev).sum({1})), (std::vector<int64_t>{0}));
  EXPECT_TRUE(std::isnan(on(zeros({0}), dev).mean().item<double>()));
  EXPECT_EQ(sizes(on(zeros({2, 0}), dev).mean({1}, true)), (std::vector<int64_t>{2, 1}));
}

TEST_P(ReduceOnDevice, MeanValuesAndDtype) {
  const Device dev = device();
  const Tensor x = on(tensor({1, 2, 3, 4, 5, 6}), dev).view({2, 3});
  EXPECT_DOUBLE_EQ(x.mean().item<double>(), 3.5);
  EXPECT_EQ(values(x.mean({0})), (std::vector<double>{2.5, 3.5, 4.5}));
  EXPECT_EQ(values(x.mean({-1}, true)), (std::vector<double>{2, 5}));
  EXPECT_THROW_WITH(on(arange(4), dev).mean(), TypeError, "int64");
}

TEST_P(ReduceOnDevice, SumOfTenMillionOnesIsExact) {
  const Device dev = device();
  const Tensor x = on(ones({10000000}, ScalarType::Float32), dev);
  EXPECT_EQ(x.sum().item<float>(), 1e7f);
  EXPECT_EQ(x.view({1000, 10000}).sum().item<float>(), 1e7f);
  EXPECT_EQ(x.view({10000, 1000}).t().sum().item<float>(), 1e7f);  // strided runs
  EXPECT_FLOAT_EQ(x.mean().item<float>(), 1.0f);
}

// Sum of rows [r0, r1) x cols [c0, c1) (every step-th) of a row-major [*, n]
// matrix of values, in float64.
double block_sum(const std::vector<double>& v, int64_t n, int64_t r0, int64_t r1, int64_t c0, int64_t c1,
                 int64_t step = 1) {
  double s = 0;
  for (int64_t r = r0; r < r1; ++r)
    for (int64_t c = c0; c < c1; c += step) s += v[static_cast<size_t>(r * n + c)];
  return s;
}

TEST_P(ReduceOnDevice, ParallelSumMatchesFloat64Reference) {
  const Device dev = device();
  // One output: its elements are split between the threads.
  ThreadCount threads(2);
  const Tensor x = on(rand({3000001}, ScalarType::Float32), dev);
  const std::vector<double> v = values(x);
  const double ref = block_sum(v, 1, 0, 3000001, 0, 1);
  EXPECT_NEAR(x.sum().item<double>(), ref, 1e-6 * ref);
  // Split points fall inside the strided runs of a transposed matrix.
  const Tensor m = x.narrow(0, 0, 3000000).view({1000, 3000});
  const double ref_m = block_sum(v, 3000, 0, 1000, 0, 3000);
  EXPECT_NEAR(m.t().sum().item<double>(), ref_m, 1e-6 * ref_m);
  EXPECT_NEAR(m.t().slice(0, 1, 3000, 2).sum().item<double>(), block_sum(v, 3000, 0, 1000, 1, 3000, 2), 1e-6 * ref_m);
  // Many outputs: split over outputs.
  const std::vector<double> per_row = values(m.sum({1}));
  for (int64_t r : {0, 517, 999}) EXPECT_NEAR(per_row[static_cast<size_t>(r)], block_sum(v, 3000, r, r + 1, 0, 3000), 1e-3);
  // Fewer outputs than threads: each output is split.
  ThreadCount more(4);
  const Tensor two = x.narrow(0, 0, 3000000).view({2, 1500000});
  const std::vector<double> got = values(two.sum({1}));
  for (int64_t r = 0; r < 2; ++r) {
    const double want = block_sum(v, 1500000, r, r + 1, 0, 1500000);
    EXPECT_NEAR(got[static_cast<size_t>(r)], want, 1e-6 * want);
  }
  EXPECT_EQ(values(amax(two, {1})), values(amax(two.contiguous().view({2, 1500000}).t(), {0})));
  EXPECT_TRUE(equal(all(gt(two, -1), 1), on(ones({2}, ScalarType::Bool), dev)));
}

TEST_P(ReduceOnDevice, OuterOrderMatchesReference) {
  const Device dev = device();
  // A contiguous [R, K] reduced over dim 0 takes the kernel's outer order.
  ThreadCount threads(2);
  const int64_t R = 200003, K = 7;
  const Tensor x = on(rand({R, K}, ScalarType::Float32), dev);
  const std::vector<double> v = values(x);
  const std::vector<double> got = values(x.sum({0}));
  for (int64_t k = 0; k < K; ++k) EXPECT_NEAR(got[static_cast<size_t>(k)], block_sum(v, K, 0, R, k, k + 1), 2e-6 * R);
  // Wide and short: many column tiles, several threads.
  const Tensor w = on(rand({300, 5000}, ScalarType::Float64), dev);
  const Tensor ref = w.t().contiguous().sum({1});  // inner order on the same values
  EXPECT_TRUE(allclose(w.sum({0}), ref, 1e-12, 1e-12));
  EXPECT_TRUE(allclose(w.sum({0}, true).view({5000}), ref, 1e-12, 1e-12));
  // A transposed [K, R] reduced over its last dim is the same layout.
  EXPECT_TRUE(allclose(w.t().sum({1}), ref, 1e-12, 1e-12));
  // Max/min/prod in the outer order.
  const Tensor m = on(tensor({1, 9, 3, 7, 5, 2}), dev).view({3, 2});
  EXPECT_EQ(values(amax(m, {0})), (std::vector<double>{5, 9}));
  EXPECT_EQ(values(amin(m, {0})), (std::vector<double>{1, 2}));
  EXPECT_EQ(values(m.prod(0)), (std::vector<double>{15, 126}));
}

TEST_P(ReduceOnDevice, StridedOrderMatchesReference) {
  const Device dev = device();
  // A transposed 3-D input reduced over a strided dim: runs of stride 60 and 3000.
  const Tensor p = on(rand({4, 50, 60}, ScalarType::Float64), dev);
  const std::vector<double> v = values(p);
  const Tensor x = p.transpose(0, 2);  // [60, 50, 4], strides [1, 60, 3000]
  const std::vector<double> over_1 = values(x.sum({1}));
  const std::vector<double> over_2 = values(x.sum({2}));
  for (int64_t i = 0; i < 60; ++i) {
    for (int64_t k = 0; k < 4; ++k) {
      double want = 0;
      for (int64_t j = 0; j < 50; ++j) want += v[static_cast<size_t>(k * 3000 + j * 60 + i)];
      EXPECT_NEAR(over_1[static_cast<size_t>(i * 4 + k)], want, 1e-12);
    }
    for (int64_t j = 0; j < 50; ++j) {
      double want = 0;
      for (int64_t k = 0; k < 4; ++k) want += v[static_cast<size_t>(k * 3000 + j * 60 + i)];
      EXPECT_NEAR(over_2[static_cast<size_t>(i * 50 + j)], want, 1e-12);
    }
  }
  EXPECT_TRUE(allclose(amax(x, {1}), amax(x.contiguous(), {1}), 0, 0));
  EXPECT_TRUE(equal(x.max(1).indices, x.contiguous().max(1).indices));
  EXPECT_TRUE(allclose(x.prod(2), x.contiguous().prod(2)));
  // A stepped slice: the kept dim is not contiguous either.
  const Tensor base = on(rand({500, 600}, ScalarType::Float64), dev);
  const Tensor s = base.slice(1, 0, 600, 2);  // [500, 300], strides [600, 2]
  EXPECT_TRUE(allclose(s.sum({0}), s.contiguous().sum({0}), 1e-12, 1e-12));
  EXPECT_TRUE(allclose(s.t().sum({1}), s.contiguous().sum({0}), 1e-12, 1e-12));
  // Non-adjacent reduced dims of a permuted tensor.
  const Tensor q = p.permute({1, 0, 2});  // [50, 4, 60]
  EXPECT_TRUE(allclose(q.sum({0, 2}), q.contiguous().sum({0, 2})));
  EXPECT_TRUE(allclose(q.sum({1, 2}), p.sum({0, 2})));
  EXPECT_TRUE(allclose(amin(q, {0, 2}), amin(q.contiguous(), {0, 2}), 0, 0));
}

TEST_P(ReduceOnDevice, SumGradients) {
  const Device d = device();
  EXPECT_TRUE(check([](const Tensor& x) { return x.sum(); }, leaf({3, 4}, -1, 1, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.sum({1}); }, leaf({3, 4}, -1, 1, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.sum({0, -1}, true); }, leaf({2, 3, 4}, -1, 1, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.sum({0}); }, noncontiguous_leaf({3, 4}, -1, 1, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.mean({-1}); }, noncontiguous_leaf({3, 4}, -1, 1, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.mean({1}, true); }, leaf({2, 3, 2}, -1, 1, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.sum({1}); }, leaf({0, 3}, -1, 1, d)));
  Tensor x = leaf({2, 3}, -1, 1, d);
  x.sum().backward();
  EXPECT_EQ(values(x.grad()), std::vector<double>(6, 1.0));
  EXPECT_EQ(x.sum({1}).grad_fn()->name(), "SumBackward1");
  EXPECT_EQ(x.mean().grad_fn()->name(), "MeanBackward0");
}

TEST(Reduce, BadDims) {
  const Tensor x = zeros({2, 3});
  EXPECT_THROW_WITH(x.sum({2}), IndexError, "[-2, 1]");
  EXPECT_THROW_WITH(x.sum({-3}), IndexError, "but got -3");
  EXPECT_THROW_WITH(x.sum({0, -2}), ValueError, "dim 0 appears multiple times");
  EXPECT_THROW_WITH(x.mean({5}), IndexError, "[-2, 1]");
  EXPECT_THROW_WITH(x.prod(2), IndexError, "[-2, 1]");
  EXPECT_THROW_WITH(x.max(-3), IndexError, "[-2, 1]");
  EXPECT_THROW_WITH(amax(x, {3}), IndexError, "[-2, 1]");
  EXPECT_THROW_WITH(x.argmax(2), IndexError, "[-2, 1]");
  EXPECT_THROW_WITH(x.var(std::vector<int64_t>{2}), IndexError, "[-2, 1]");
  EXPECT_THROW_WITH(x.logsumexp({2}), IndexError, "[-2, 1]");
  EXPECT_THROW_WITH(norm(x, 2, std::vector<int64_t>{-3}), IndexError, "[-2, 1]");
  EXPECT_THROW_WITH(any(x, 2), IndexError, "[-2, 1]");
  EXPECT_THROW_WITH(all(x, -3), IndexError, "[-2, 1]");
  EXPECT_THROW_WITH(scalar_tensor(1.0).sum({1}), IndexError, "[-1, 0]");
  EXPECT_THROW_WITH(sum(Tensor()), ValueError, "undefined");
}

// ---- prod ------------------------------------------------------------------------------------

TEST_P(ReduceOnDevice, ProdValues) {
  const Device dev = device();
  const Tensor x = on(tensor({1, 2, 3, 4, 5, 6}), dev).view({2, 3});
  EXPECT_EQ(x.prod().item<double>(), 720);
  EXPECT_EQ(values(x.prod(0)), (std::vector<double>{4, 10, 18}));
  EXPECT_EQ(values(x.prod(-1)), (std::vector<double>{6, 120}));
  EXPECT_EQ(sizes(x.prod(1, true)), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(values(x.t().prod(1)), (std::vector<double>{4, 10, 18}));
  EXPECT_EQ(x.prod().dtype(), ScalarType::Float32);
  const Tensor i = on(tensor({2, 3, 7}, ScalarType::Int32), dev);
  EXPECT_EQ(i.prod().dtype(), ScalarType::Int64);
  EXPECT_EQ(i.prod().item<int64_t>(), 42);
  EXPECT_EQ(on(tensor({1, 1, 0}, ScalarType::Bool), dev).prod().item<int64_t>(), 0);
  // The product of nothing is 1.
  EXPECT_EQ(on(zeros({0}), dev).prod().item<double>(), 1);
  EXPECT_EQ(values(on(zeros({0, 2}), dev).prod(0)), (std::vector<double>{1, 1}));
  EXPECT_EQ(sizes(on(zeros({0, 2}), dev).prod(1)), (std::vector<int64_t>{0}));
}

TEST_P(ReduceOnDevice, ProdGradients) {
  const Device d = device();
  EXPECT_TRUE(check([](const Tensor& x) { return x.prod(); }, leaf({2, 3}, 0.5, 1.5, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.prod(1); }, leaf({3, 4}, -1.5, 1.5, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.prod(-2, true); }, leaf({3, 4, 2}, 0.5, 1.5, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.prod(0); }, noncontiguous_leaf({3, 4}, 0.5, 1.5, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.prod(); }, noncontiguous_leaf({2, 3}, 0.5, 1.5, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.prod(0); }, leaf({0, 3}, -1, 1, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.prod(); }, leaf({0}, -1, 1, d)));
  const Tensor x = leaf({2, 3}, -1, 1, d);
  EXPECT_EQ(x.prod().grad_fn()->name(), "ProdBackward0");
  EXPECT_EQ(x.prod(1).grad_fn()->name(), "ProdBackward1");
}

TEST_P(ReduceOnDevice, ProdGradientWithZeros) {
  const Device d = device();
  // One zero: the gradient at the zero is the product of the others, 0 elsewhere.
  Tensor one = tensor({2, 0, 3, 4}, ScalarType::Float64).to(d).requires_grad_();
  one.prod().backward();
  EXPECT_EQ(values(one.grad()), (std::vector<double>{0, 24, 0, 0}));
  // Two zeros: all zero.
  Tensor two = tensor({2, 0, 3, 0}, ScalarType::Float64).to(d).requires_grad_();
  two.prod().backward();
  EXPECT_EQ(values(two.grad()), (std::vector<double>{0, 0, 0, 0}));
  // Along a dim, rows with no, one and two zeros.
  Tensor rows = tensor({1, 2, 3, 4, 0, 5, 0, 6, 0}, ScalarType::Float64).view({3, 3}).detach().requires_grad_();
  rows.prod(1).sum().backward();
  EXPECT_EQ(values(rows.grad()), (std::vector<double>{6, 3, 2, 0, 20, 0, 0, 0, 0}));
  // Along dim 0 with keepdim, on a transposed view.
  Tensor cols = tensor({1, 2, 3, 4, 0, 5, 0, 6, 0}, ScalarType::Float64).view({3, 3}).detach().requires_grad_();
  cols.t().prod(0, true).sum().backward();
  EXPECT_EQ(values(cols.grad()), (std::vector<double>{6, 3, 2, 0, 20, 0, 0, 0, 0}));
  // gradcheck through a zero (finite differences of a multilinear function are exact).
  EXPECT_TRUE(check([](const Tensor& x) { return x.prod(); }, as_leaf(tensor({1.5, 0, -2, 0.5}))));
  EXPECT_TRUE(check([](const Tensor& x) { return x.prod(1); }, as_leaf(tensor({1, 0, 3, 0, 0, 2, 4, 5, 6}).view({3, 3}))));
  EXPECT_TRUE(check([](const Tensor& x) { return x.prod(0, true); }, as_leaf(tensor({1, 0, 3, 0, 0, 2}).view({2, 3}))));
}

TEST_P(ReduceOnDevice, ProdSecondOrder) {
  const Device d = device();
  EXPECT_TRUE(check_second_order([](const Tensor& x) { return x.prod(); }, leaf({4}, 0.5, 1.5, d)));
  EXPECT_TRUE(check_second_order([](const Tensor& x) { return x.prod(1); }, leaf({2, 3}, 0.5, 1.5, d)));
  // With one zero: d2/dxi dxj at the zero i is the product of the rest.
  EXPECT_TRUE(check_second_order([](const Tensor& x) { return x.prod(); }, as_leaf(tensor({1.5, 0, -2, 0.5}))));
  EXPECT_TRUE(check_second_order([](const Tensor& x) { return x.prod(-1); },
                                 as_leaf(tensor({1.5, 0, -2, 0.5, 2, 3}).view({2, 3}))));
}

// ---- max / min / amax / amin -------------------------------------------------------------------

TEST_P(ReduceOnDevice, MaxMinAll) {
  const Device dev = device();
  const Tensor x = on(tensor({3, -1, 7, 2, 7, -5}), dev).view({2, 3});
  EXPECT_EQ(x.max().item<double>(), 7);
  EXPECT_EQ(x.min().item<double>(), -5);
  EXPECT_EQ(x.max().dim(), 0);
  EXPECT_EQ(x.t().max().item<double>(), 7);
  const Tensor i = on(tensor({4, -9, 2}, ScalarType::Int64), dev);
  EXPECT_EQ(i.max().dtype(), ScalarType::Int64);
  EXPECT_EQ(i.min().item<int64_t>(), -9);
  EXPECT_EQ(on(tensor({0, 1, 0}, ScalarType::Bool), dev).max().item<bool>(), true);
  // NaN wins, as in PyTorch.
  EXPECT_TRUE(std::isnan(on(tensor({1, NAN, 3}), dev).max().item<double>()));
  EXPECT_TRUE(std::isnan(on(tensor({1, NAN, 3}), dev).min().item<double>()));
  EXPECT_TRUE(std::isnan(amax(on(rand({100}).masked_fill(eq(arange(100), 57), NAN), dev), {0}).item<double>()));
  EXPECT_EQ(on(tensor({-kInf, -kInf}), dev).max().item<double>(), -kInf);
  EXPECT_EQ(on(scalar_tensor(2.5), dev).max().item<double>(), 2.5);
}

TEST_P(ReduceOnDevice, MaxMinGradientsSplitTies) {
  const Device d = device();
  Tensor x = tensor({1, 3, 3, 2}, ScalarType::Float64).to(d).requires_grad_();
  Tensor y = x.max();
  EXPECT_EQ(y.grad_fn()->name(), "MaxBackward1");
  y.backward();
  EXPECT_EQ(values(x.grad()), (std::vector<double>{0, 0.5, 0.5, 0}));
  Tensor z = tensor({1, 1, 1, 2}, ScalarType::Float64).to(d).requires_grad_();
  z.min().backward();
  EXPECT_EQ(z.min().grad_fn()->name(), "MinBackward1");
  EXPECT_EQ(values(z.grad()), (std::vector<double>{1.0 / 3, 1.0 / 3, 1.0 / 3, 0}));
  EXPECT_TRUE(check([](const Tensor& x) { return x.max(); }, leaf({3, 4}, -1, 1, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.min(); }, noncontiguous_leaf({3, 4}, -1, 1, d)));
}

TEST_P(ReduceOnDevice, MaxMinAlongDim) {
  const Device dev = device();
  const Tensor x = on(tensor({3, 9, 9, 1, 4, 0, 4, 8}), dev).view({2, 4});
  ValuesIndices m = x.max(1);
  EXPECT_EQ(values(m.values), (std::vector<double>{9, 8}));
  EXPECT_EQ(m.indices.dtype(), ScalarType::Int64);
  EXPECT_EQ(m.indices.to_vector<int64_t>(), (std::vector<int64_t>{1, 3}));  // first of the ties
  ValuesIndices n = x.min(-1, true);
  EXPECT_EQ(sizes(n.values), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(values(n.values), (std::vector<double>{1, 0}));
  EXPECT_EQ(n.indices.to_vector<int64_t>(), (std::vector<int64_t>{3, 1}));
  ValuesIndices c = x.max(0);
  EXPECT_EQ(values(c.values), (std::vector<double>{4, 9, 9, 8}));
  EXPECT_EQ(c.indices.to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 0, 1}));
  ValuesIndices t = x.t().min(0);  // strided
  EXPECT_EQ(values(t.values), (std::vector<double>{1, 0}));
  EXPECT_EQ(t.indices.to_vector<int64_t>(), (std::vector<int64_t>{3, 1}));
  ValuesIndices s = on(scalar_tensor(4.0), dev).max(0);
  EXPECT_EQ(s.values.item<double>(), 4);
  EXPECT_EQ(s.indices.item<int64_t>(), 0);
  ValuesIndices nan = on(tensor({1, NAN, 5, NAN}), dev).max(0);
  EXPECT_TRUE(std::isnan(nan.values.item<double>()));
  EXPECT_EQ(nan.indices.item<int64_t>(), 1);
  // An empty kept dim gives an empty result.
  EXPECT_EQ(sizes(on(zeros({0, 3}), dev).max(1).values), (std::vector<int64_t>{0}));
  EXPECT_EQ(sizes(on(zeros({0, 3}), dev).max(1, true).indices), (std::vector<int64_t>{0, 1}));
}

TEST_P(ReduceOnDevice, MaxMinAlongDimGradientGoesToIndex) {
  const Device d = device();
  Tensor x = tensor({3, 9, 9, 1, 4, 0, 4, 8}, ScalarType::Float64).view({2, 4}).detach().requires_grad_();
  ValuesIndices m = x.max(1);
  EXPECT_EQ(m.values.grad_fn()->name(), "MaxBackward0");
  EXPECT_FALSE(m.indices.requires_grad());
  (m.values * tensor({10, 20}, ScalarType::Float64)).sum().backward();
  EXPECT_EQ(values(x.grad()), (std::vector<double>{0, 10, 0, 0, 0, 0, 0, 20}));
  EXPECT_EQ(x.min(0).values.grad_fn()->name(), "MinBackward0");
  EXPECT_TRUE(check([](const Tensor& x) { return x.max(1).values; }, leaf({3, 4}, -1, 1, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.min(0, true).values; }, leaf({3, 4}, -1, 1, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.max(-2).values; }, leaf({2, 3, 4}, -1, 1, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.min(1).values; }, noncontiguous_leaf({3, 4}, -1, 1, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.max(0).values; }, as_leaf(scalar_tensor(1.5))));
  EXPECT_TRUE(check([](const Tensor& x) { return x.max(1).values; }, leaf({0, 3}, -1, 1, d)));
}

TEST_P(ReduceOnDevice, AmaxAmin) {
  const Device dev = device();
  const Tensor x = on(tensor({1, 5, 2, 5, 0, 3, 7, 1, 2, 2, 6, 4}), dev).view({2, 3, 2});
  EXPECT_EQ(values(amax(x, {0, 2})), (std::vector<double>{7, 5, 6}));
  EXPECT_EQ(values(amin(x, {-1})), (std::vector<double>{1, 2, 0, 1, 2, 4}));
  EXPECT_EQ(sizes(amax(x, {1}, true)), (std::vector<int64_t>{2, 1, 2}));
  EXPECT_EQ(amax(x, {}).item<double>(), 7);  // no dims: all
  EXPECT_EQ(amin(x.permute({2, 0, 1}), {}).item<double>(), 0);
  EXPECT_EQ(amax(on(tensor({1, 2}, ScalarType::Int32), dev), {0}).dtype(), ScalarType::Int32);
  // Ties share the gradient.
  Tensor y = on(tensor({1, 5, 5, 5, 2, 2}, ScalarType::Float64), dev).view({2, 3}).detach().requires_grad_();
  Tensor a = amax(y, {1});
  EXPECT_EQ(a.grad_fn()->name(), "AmaxBackward0");
  a.sum().backward();
  EXPECT_EQ(values(y.grad()), (std::vector<double>{0, 0.5, 0.5, 1, 0, 0}));
  Tensor z = on(tensor({1, 5, 5, 5, 2, 2}, ScalarType::Float64), dev).view({2, 3}).detach().requires_grad_();
  amin(z, {0, 1}).backward();
  EXPECT_EQ(amin(z, {0}).grad_fn()->name(), "AminBackward0");
  EXPECT_EQ(values(z.grad()), (std::vector<double>{1, 0, 0, 0, 0, 0}));
  EXPECT_TRUE(check([](const Tensor& x) { return amax(x, {0, 2}); }, leaf({2, 3, 4})));
  EXPECT_TRUE(check([](const Tensor& x) { return amin(x, {-1}, true); }, leaf({3, 4})));
  EXPECT_TRUE(check([](const Tensor& x) { return amax(x, {1}); }, noncontiguous_leaf({3, 4})));
  EXPECT_TRUE(check([](const Tensor& x) { return amax(x, {0}); }, leaf({2, 0})));
}

TEST_P(ReduceOnDevice, MaxMinOfEmptyIsAnError) {
  const Device dev = device();
  EXPECT_THROW_WITH(on(zeros({0}), dev).max(), Error, "max(): Expected reduction dim to be specified for input.numel() == 0");
  EXPECT_THROW_WITH(on(zeros({2, 0}), dev).min(), Error, "[2, 0]");
  EXPECT_THROW_WITH(on(zeros({0, 3}), dev).max(0), IndexError, "max(): Expected reduction dim 0 to have non-zero size");
  EXPECT_THROW_WITH(on(zeros({3, 0}), dev).min(-1), IndexError, "Expected reduction dim 1 to have non-zero size");
  EXPECT_THROW_WITH(amax(on(zeros({0}), dev), {}), Error,
                    "cannot perform reduction function amax on tensor with no elements because the operation does "
                    "not have an identity");
  EXPECT_THROW_WITH(amin(on(zeros({2, 0}), dev), {1}), IndexError, "amin(): Expected reduction dim 1 to have non-zero size");
  EXPECT_THROW_WITH(on(zeros({0}), dev).argmax(), Error, "argmax(): Expected reduction dim to be specified");
  EXPECT_THROW_WITH(on(zeros({0, 2}), dev).argmin(0), IndexError, "argmin(): Expected reduction dim 0 to have non-zero size");
}

// ---- argmax / argmin -----------------------------------------------------------------------------

TEST_P(ReduceOnDevice, ArgmaxArgmin) {
  const Device dev = device();
  const Tensor x = on(tensor({3, 9, 9, 1, 4, 0, 4, 8}), dev).view({2, 4});
  const Tensor a = x.argmax();
  EXPECT_EQ(a.dtype(), ScalarType::Int64);
  EXPECT_EQ(a.dim(), 0);
  EXPECT_EQ(a.item<int64_t>(), 1);
  EXPECT_EQ(x.argmin().item<int64_t>(), 5);
  EXPECT_EQ(sizes(x.argmax(std::nullopt, true)), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(x.argmax(1).to_vector<int64_t>(), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(x.argmin(0).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 1, 0}));
  EXPECT_EQ(sizes(x.argmin(-1, true)), (std::vector<int64_t>{2, 1}));
  // Flattened positions count in the logical (row-major) order of a view.
  const Tensor t = x.t();  // [[3, 4], [9, 0], [9, 4], [1, 8]]
  EXPECT_EQ(t.argmax().item<int64_t>(), 2);
  EXPECT_EQ(t.argmin().item<int64_t>(), 3);
  EXPECT_EQ(t.argmax(1).to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 0, 1}));
  EXPECT_EQ(on(tensor({5, 2, 8}, ScalarType::Int32), dev).argmax().item<int64_t>(), 2);
  EXPECT_EQ(on(tensor({1, NAN, 3}), dev).argmin().item<int64_t>(), 1);
  EXPECT_EQ(on(scalar_tensor(1.0), dev).argmax().item<int64_t>(), 0);
  EXPECT_EQ(on(scalar_tensor(1.0), dev).argmax(0, true).dim(), 0);
  // Large input.
  Tensor big = on(zeros({100000}), dev);
  big.narrow(0, 77777, 1).fill_(1);
  EXPECT_EQ(big.argmax().item<int64_t>(), 77777);
  // Not differentiable.
  const Tensor l = leaf({3});
  EXPECT_FALSE(l.argmax().requires_grad());
}

// Note [Positions of max and min] (backends/reduce_math.h): the GPU combines
// partial (value, position) candidates over interleaved positions in a tree;
// any such tree must give the CPU scan's answer.
template <bool IsMax>
void expect_arg_combine_matches_scan(const std::vector<double>& v, int lanes) {
  using reduce_math::ArgState;
  double best = v[0];
  int64_t at = 0;
  for (size_t i = 1; i < v.size() && best == best; ++i)
    if (reduce_math::arg_replaces<IsMax>(v[i], best)) {
      best = v[i];
      at = static_cast<int64_t>(i);
    }
  // Each lane scans positions lane, lane + lanes, ... as a GPU thread does,
  // then lanes combine pairwise with halving strides (a warp's tree).
  std::vector<ArgState<double>> lane(static_cast<size_t>(lanes), ArgState<double>{0, -1});
  for (size_t i = 0; i < v.size(); ++i) {
    auto& s = lane[i % static_cast<size_t>(lanes)];
    s = reduce_math::arg_combine<IsMax>(s, ArgState<double>{v[i], static_cast<int64_t>(i)});
  }
  for (int delta = lanes / 2; delta > 0; delta /= 2)
    for (int l = 0; l < delta; ++l) lane[l] = reduce_math::arg_combine<IsMax>(lane[l], lane[l + delta]);
  EXPECT_EQ(lane[0].index, at);
  if (best == best) EXPECT_EQ(lane[0].value, best);
  else EXPECT_TRUE(std::isnan(lane[0].value));
  // And in the other order (the combine is commutative).
  EXPECT_EQ(reduce_math::arg_combine<IsMax>(lane[1 % lanes], lane[0]).index, at);
}

TEST(ReduceMath, ArgCombineMatchesScan) {
  std::mt19937 gen(7);
  for (int trial = 0; trial < 200; ++trial) {
    const size_t n = 1 + gen() % 300;
    std::vector<double> v(n);
    for (double& x : v) x = static_cast<double>(gen() % 5);  // many ties
    if (trial % 3 == 1) v[gen() % n] = NAN;
    if (trial % 3 == 2) {
      v[gen() % n] = NAN;
      v[gen() % n] = NAN;
      v[gen() % n] = -kInf;
    }
    if (trial % 5 == 0) v[gen() % n] = kInf;
    for (int lanes : {1, 2, 8, 32}) {
      expect_arg_combine_matches_scan<true>(v, lanes);
      expect_arg_combine_matches_scan<false>(v, lanes);
    }
  }
  // Signed zeros tie: the first wins, with its own sign.
  const auto r = reduce_math::arg_combine<true, double>({0.0, 3}, {-0.0, 1});
  EXPECT_EQ(r.index, 1);
  EXPECT_TRUE(std::signbit(r.value));
}

// ---- var / std ---------------------------------------------------------------------------------

TEST_P(ReduceOnDevice, VarStdValues) {
  const Device dev = device();
  const Tensor x = on(tensor({1, 2, 3, 4}, ScalarType::Float64), dev);
  EXPECT_DOUBLE_EQ(x.var().item<double>(), 5.0 / 3);
  EXPECT_DOUBLE_EQ(x.var({}, 0).item<double>(), 1.25);
  EXPECT_DOUBLE_EQ(x.std().item<double>(), std::sqrt(5.0 / 3));
  EXPECT_DOUBLE_EQ(wick::std(x, std::nullopt, 0).item<double>(), std::sqrt(1.25));
  const Tensor m = on(tensor({1, 2, 3, 5, 7, 9}, ScalarType::Float64), dev).view({2, 3});
  EXPECT_EQ(values(m.var(std::vector<int64_t>{1})), (std::vector<double>{1, 4}));
  EXPECT_EQ(values(m.var(std::vector<int64_t>{-2}, 0)), (std::vector<double>{4, 6.25, 9}));
  EXPECT_EQ(sizes(m.std(std::vector<int64_t>{1}, 1, true)), (std::vector<int64_t>{2, 1}));
  EXPECT_TRUE(allclose(m.t().var(std::vector<int64_t>{0}), on(tensor({1, 4}, ScalarType::Float64), dev)));
  EXPECT_DOUBLE_EQ(m.var(std::vector<int64_t>{0, 1}).item<double>(), m.var().item<double>());
  EXPECT_EQ(on(tensor({1, 2}), dev).var().dtype(), ScalarType::Float32);
  // Large offset: the two-pass formula keeps the variance accurate.
  const Tensor shifted = on(tensor({1e8 + 1, 1e8 + 2, 1e8 + 3}, ScalarType::Float64), dev);
  EXPECT_NEAR(shifted.var().item<double>(), 1.0, 1e-6);
}

TEST_P(ReduceOnDevice, VarCorrectionAtLeastCount) {
  const Device dev = device();
  EXPECT_TRUE(std::isnan(on(tensor({3.0}), dev).var().item<double>()));  // 0 / 0
  EXPECT_EQ(on(tensor({1.0, 3.0}), dev).var({}, 2).item<double>(), kInf);
  EXPECT_EQ(on(tensor({1.0, 3.0}), dev).var({}, 5).item<double>(), kInf);
  EXPECT_TRUE(std::isnan(on(tensor({2.0, 2.0}), dev).var({}, 2).item<double>()));
  EXPECT_TRUE(std::isnan(on(zeros({0}), dev).var().item<double>()));
  EXPECT_EQ(values(on(tensor({1, 2, 3, 5, 7, 9}), dev).view({2, 3}).std(std::vector<int64_t>{1}, 3)),
            (std::vector<double>{kInf, kInf}));
}

TEST_P(ReduceOnDevice, VarStdGradients) {
  const Device d = device();
  EXPECT_TRUE(check([](const Tensor& x) { return x.var(); }, leaf({3, 4}, -1, 1, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.var(std::vector<int64_t>{1}, 0); }, leaf({3, 4}, -1, 1, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.std(std::vector<int64_t>{-1}, 1, true); }, leaf({3, 4}, -1, 1, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.std(std::vector<int64_t>{0, 2}); }, leaf({2, 3, 4}, -1, 1, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.var(std::vector<int64_t>{0}); }, noncontiguous_leaf({3, 4}, -1, 1, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.std(std::vector<int64_t>{1}); }, leaf({0, 3}, -1, 1, d)));
  EXPECT_TRUE(check_second_order([](const Tensor& x) { return x.var(std::vector<int64_t>{1}); }, leaf({2, 3}, -1, 1, d)));
}

// Note [var and std in double]: float32 input accumulates in float64, and
// std's square root comes before the result is rounded to float32.
TEST(Reduce, VarStdOfFloat32AccumulateInDouble) {
  const Tensor huge = tensor({1e30, -1e30, 1e30, -1e30});  // squares of 1e30 overflow float32
  const double f = static_cast<float>(1e30);
  EXPECT_FLOAT_EQ(huge.std().item<float>(), static_cast<float>(f * std::sqrt(4.0 / 3)));
  EXPECT_EQ(huge.var().item<float>(), kInf);  // 1.33e60 is beyond float32 (PyTorch too)
  EXPECT_EQ(huge.std().dtype(), ScalarType::Float32);
  // Near-equal values far from 0: float32 sums of squared deviations lost their low bits.
  const Tensor rows = (arange(1000, TensorOptions(ScalarType::Float32)) * 1e-3 + 1e5).view({10, 100});
  const Tensor exact = rows.to(ScalarType::Float64).var(std::vector<int64_t>{1});
  EXPECT_TRUE(allclose(rows.var(std::vector<int64_t>{1}).to(ScalarType::Float64), exact, 1e-6, 0));
}

TEST_P(ReduceOnDevice, StdGradientIsZeroWhereStdIsZero) {
  // g / (2 std) * (x - mean) was inf * 0 = nan; PyTorch masks it to 0.
  Tensor x = tensor({1, 1, 1, 2, 3, 4}, ScalarType::Float64).view({2, 3}).to(device()).requires_grad_();
  x.std(std::vector<int64_t>{1}).sum().backward();
  const std::vector<double> g = x.grad().to_vector<double>();
  EXPECT_EQ(std::vector<double>(g.begin(), g.begin() + 3), (std::vector<double>{0, 0, 0}));
  EXPECT_NEAR(g[3], -0.5, 1e-15);
  EXPECT_EQ(x.std().grad_fn()->name(), "StdBackward0");
  EXPECT_EQ(x.var().grad_fn()->name(), "VarBackward0");
}

TEST(Reduce, VarStdNeedFloatingInput) {
  EXPECT_THROW_WITH(arange(4).var(), TypeError, "std and var only support floating point");
  EXPECT_THROW_WITH(arange(4).std(), TypeError, "int64");
}

// ---- logsumexp -----------------------------------------------------------------------------------

TEST(Reduce, LogsumexpValues) {
  const Tensor x = tensor({0, 1, 2, -1, 0.5, 3}, ScalarType::Float64).view({2, 3});
  const std::vector<double> v = values(x);
  const std::vector<double> rows = values(x.logsumexp({1}));
  for (int r = 0; r < 2; ++r) {
    const double want = std::log(std::exp(v[3 * r]) + std::exp(v[3 * r + 1]) + std::exp(v[3 * r + 2]));
    EXPECT_NEAR(rows[static_cast<size_t>(r)], want, 1e-12);
  }
  EXPECT_NEAR(x.logsumexp({0, 1}).item<double>(), std::log(values(x.exp().sum())[0]), 1e-12);
  EXPECT_EQ(sizes(x.logsumexp({0}, true)), (std::vector<int64_t>{1, 3}));
  EXPECT_TRUE(allclose(x.t().logsumexp({-2}), x.logsumexp({1})));
  // Stable for large values, where exp overflows.
  const Tensor big = tensor({1000, 1000, -1000});
  EXPECT_NEAR(big.logsumexp({0}).item<double>(), 1000 + std::log(2.0), 1e-3);
  EXPECT_NEAR(tensor({-1000, -1000}).logsumexp({0}).item<double>(), -1000 + std::log(2.0), 1e-3);
  // Rows of -inf give -inf, not nan; +inf gives +inf.
  const Tensor masked = tensor({-kInf, -kInf, 0, -kInf, kInf, 1}).view({3, 2});
  const std::vector<double> m = values(masked.logsumexp({1}));
  EXPECT_EQ(m[0], -kInf);
  EXPECT_DOUBLE_EQ(m[1], 0);
  EXPECT_EQ(m[2], kInf);
  // Integers compute in the default float dtype; the sum of nothing is 0.
  EXPECT_EQ(arange(3).logsumexp({0}).dtype(), ScalarType::Float32);
  EXPECT_EQ(zeros({0}).logsumexp({0}).item<double>(), -kInf);
  EXPECT_EQ(values(zeros({2, 0}).logsumexp({1})), (std::vector<double>{-kInf, -kInf}));
}

TEST_P(ReduceOnDevice, LogsumexpGradients) {
  const Device d = device();
  // The gradient is the softmax over the reduced dims.
  Tensor x = tensor({0, 1, 2}, ScalarType::Float64).to(d).requires_grad_();
  Tensor y = x.logsumexp({0});
  EXPECT_EQ(y.grad_fn()->name(), "LogsumexpBackward0");
  y.backward();
  const double z = 1 + std::exp(1.0) + std::exp(2.0);
  const std::vector<double> g = values(x.grad());
  EXPECT_NEAR(g[0], 1 / z, 1e-12);
  EXPECT_NEAR(g[2], std::exp(2.0) / z, 1e-12);
  // A row of -inf gets a zero gradient; a partly masked row, the softmax.
  Tensor masked = tensor({-kInf, -kInf, -kInf, 0}, ScalarType::Float64).view({2, 2}).to(d).detach().requires_grad_();
  masked.logsumexp({1}).sum().backward();
  EXPECT_EQ(values(masked.grad()), (std::vector<double>{0, 0, 0, 1}));
  EXPECT_TRUE(check([](const Tensor& x) { return x.logsumexp({1}); }, leaf({3, 4}, -1, 1, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.logsumexp({0, -1}, true); }, leaf({2, 3, 4}, -1, 1, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.logsumexp({0}); }, noncontiguous_leaf({3, 4}, -1, 1, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.logsumexp({1}); }, leaf({0, 3}, -1, 1, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return x.logsumexp({0}); }, as_leaf(tensor({500, 501, 499}).to(d))));
  EXPECT_TRUE(check_second_order([](const Tensor& x) { return x.logsumexp({1}); }, leaf({2, 3}, -1, 1, d)));
}

// ---- norm ----------------------------------------------------------------------------------------

TEST_P(ReduceOnDevice, NormValues) {
  const Device dev = device();
  const Tensor x = on(tensor({3, -4, 0, 1, 2, -2}, ScalarType::Float64), dev).view({2, 3});
  EXPECT_DOUBLE_EQ(x.norm().item<double>(), std::sqrt(34.0));
  EXPECT_EQ(values(norm(x, 2, std::vector<int64_t>{1})), (std::vector<double>{5, 3}));
  EXPECT_EQ(values(norm(x, 1, std::vector<int64_t>{-1})), (std::vector<double>{7, 5}));
  EXPECT_EQ(values(norm(x, kInf, std::vector<int64_t>{0})), (std::vector<double>{3, 4, 2}));
  EXPECT_EQ(values(norm(x, -kInf, std::vector<int64_t>{1})), (std::vector<double>{0, 1}));
  EXPECT_EQ(values(norm(x, 0, std::vector<int64_t>{1})), (std::vector<double>{2, 3}));
  EXPECT_NEAR(x.norm(3).item<double>(), std::cbrt(27 + 64 + 1 + 8 + 8.0), 1e-12);
  EXPECT_NEAR(norm(x, 0.5, std::vector<int64_t>{1}).to_vector<double>()[1],
              std::pow(1 + 2 * std::sqrt(2.0), 2), 1e-12);
  EXPECT_EQ(sizes(norm(x, 2, std::vector<int64_t>{1}, true)), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(sizes(norm(x, 2, std::nullopt, true)), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(values(norm(x.t(), 2, std::vector<int64_t>{0})), (std::vector<double>{5, 3}));
  EXPECT_EQ(on(tensor({3, 4}), dev).norm().dtype(), ScalarType::Float32);
  EXPECT_EQ(on(zeros({0}), dev).norm().item<double>(), 0);
  EXPECT_EQ(on(zeros({0}), dev).norm(1).item<double>(), 0);
}

TEST_P(ReduceOnDevice, NormGradientAtZeroIsZero) {
  const Device d = device();
  Tensor x = zeros({3}, ScalarType::Float64).to(d).requires_grad_();
  Tensor n = x.norm();
  EXPECT_EQ(n.grad_fn()->name(), "NormBackward0");
  n.backward();
  EXPECT_EQ(values(x.grad()), (std::vector<double>{0, 0, 0}));
  // One zero row among others, over a dim.
  Tensor y = tensor({0, 0, 3, 4}, ScalarType::Float64).view({2, 2}).to(d).detach().requires_grad_();
  Tensor r = norm(y, 2, std::vector<int64_t>{1});
  EXPECT_EQ(r.grad_fn()->name(), "NormBackward1");
  r.sum().backward();
  EXPECT_TRUE(allclose(y.grad().cpu(), tensor({0, 0, 0.6, 0.8}, ScalarType::Float64).view({2, 2}), 1e-15, 0));
  for (double p : {3.0, 1.5, 0.5}) {
    Tensor z = zeros({2}, ScalarType::Float64).to(d).requires_grad_();
    z.norm(p).backward();
    EXPECT_EQ(values(z.grad()), (std::vector<double>{0, 0})) << "p = " << p;
  }
  // Second order at the zero vector stays finite.
  Tensor w = zeros({2}, ScalarType::Float64).to(d).requires_grad_();
  TensorList g = autograd::grad({w.norm()}, {w}, {}, {}, true);
  TensorList gg = autograd::grad({g[0].sum()}, {w});
  for (double v : values(gg[0])) EXPECT_FALSE(std::isnan(v));
}

TEST_P(ReduceOnDevice, NormGradients) {
  const Device d = device();
  for (double p : {2.0, 1.0, 3.0, 1.5, 0.5, kInf, -kInf}) {
    EXPECT_TRUE(check([p](const Tensor& x) { return x.norm(p); }, leaf({3, 4}, 0.2, 1.5, d))) << "p = " << p;
    EXPECT_TRUE(check([p](const Tensor& x) { return norm(x, p, std::vector<int64_t>{1}); }, leaf({3, 4}, -1.5, -0.2, d)))
        << "p = " << p;
    EXPECT_TRUE(check([p](const Tensor& x) { return norm(x, p, std::vector<int64_t>{0, -1}, true); },
                      noncontiguous_leaf({3, 4}, 0.2, 1.5, d)))
        << "p = " << p;
  }
  EXPECT_TRUE(check([](const Tensor& x) { return norm(x, 2, std::vector<int64_t>{1}); }, leaf({0, 3}, -1, 1, d)));
  EXPECT_TRUE(check([](const Tensor& x) { return norm(x, 0, std::vector<int64_t>{1}); }, leaf({2, 3}, -1, 1, d)));
  // The max-abs norm splits the gradient among ties, with their signs.
  Tensor t = tensor({2, -2, 1}, ScalarType::Float64).to(d).requires_grad_();
  t.norm(kInf).backward();
  EXPECT_EQ(values(t.grad()), (std::vector<double>{0.5, -0.5, 0}));
  EXPECT_TRUE(check_second_order([](const Tensor& x) { return norm(x, 2, std::vector<int64_t>{1}); }, leaf({2, 3}, -1, 1, d)));
  EXPECT_TRUE(check_second_order([](const Tensor& x) { return x.norm(3); }, leaf({4}, 0.2, 1.5, d)));
}

TEST(Reduce, NormErrors) {
  EXPECT_THROW_WITH(arange(4).norm(), TypeError, "Expected a floating point tensor as input, got int64");
  EXPECT_THROW_WITH(zeros({0}).norm(kInf), Error, "cannot compute the inf norm on an empty tensor");
  EXPECT_THROW_WITH(norm(zeros({2, 0}), -kInf, std::vector<int64_t>{1}), Error, "[2, 0]");
  EXPECT_THROW_WITH(zeros({2}).norm(NAN), ValueError, "nan");
  EXPECT_EQ(sizes(norm(zeros({2, 0}), kInf, std::vector<int64_t>{0})), (std::vector<int64_t>{0}));
}

// ---- any / all -----------------------------------------------------------------------------------

TEST_P(ReduceOnDevice, AnyAll) {
  const Device dev = device();
  const Tensor x = on(tensor({1, 0, 1, 1, 1, 1}, ScalarType::Bool), dev).view({2, 3});
  EXPECT_TRUE(any(x).item<bool>());
  EXPECT_FALSE(all(x).item<bool>());
  EXPECT_EQ(any(x, 1).dtype(), ScalarType::Bool);
  EXPECT_EQ(all(x, 1).to_vector<bool>(), (std::vector<bool>{false, true}));
  EXPECT_EQ(all(x, 0).to_vector<bool>(), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(any(x, -1, true).to_vector<bool>(), (std::vector<bool>{true, true}));
  EXPECT_EQ(sizes(any(x, -1, true)), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(all(x.t(), 1).to_vector<bool>(), (std::vector<bool>{true, false, true}));
  // Numbers: nonzero is true (NaN too).
  const Tensor f = on(tensor({0, 0.5, 0, 0, NAN, 0}), dev).view({3, 2});
  EXPECT_EQ(any(f, 1).to_vector<bool>(), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(all(f, 0).to_vector<bool>(), (std::vector<bool>{false, false}));
  EXPECT_FALSE(any(on(zeros({4}, ScalarType::Int64), dev)).item<bool>());
  EXPECT_TRUE(all(on(tensor({3, -1}, ScalarType::Int32), dev)).item<bool>());
  // Empty: any is false, all is true.
  EXPECT_FALSE(any(on(zeros({0}), dev)).item<bool>());
  EXPECT_TRUE(all(on(zeros({0}), dev)).item<bool>());
  EXPECT_EQ(all(on(zeros({0, 2}), dev), 0).to_vector<bool>(), (std::vector<bool>{true, true}));
  EXPECT_EQ(sizes(any(on(zeros({0, 2}), dev), 1)), (std::vector<int64_t>{0}));
  // Large, parallel: one true element is found.
  Tensor big = on(zeros({1000000}, ScalarType::Bool), dev);
  EXPECT_FALSE(any(big).item<bool>());
  big.narrow(0, 999999, 1).fill_(true);
  EXPECT_TRUE(any(big).item<bool>());
  EXPECT_FALSE(all(big).item<bool>());
  EXPECT_TRUE(all(on(ones({1000000}, ScalarType::Bool), dev)).item<bool>());
}

// ---- methods -----------------------------------------------------------------------------------------

TEST(Reduce, MethodsMatchFunctions) {
  const Tensor x = tensor({0.5, 2, 1.5, 3, 0.25, 4}).view({2, 3});
  EXPECT_TRUE(equal(x.prod(1), prod(x, 1)));
  EXPECT_TRUE(equal(x.max(), wick::max(x)));
  EXPECT_TRUE(equal(x.min(0).indices, wick::min(x, 0).indices));
  EXPECT_TRUE(equal(x.argmin(), argmin(x)));
  EXPECT_TRUE(equal(x.std(), wick::std(x)));
  EXPECT_TRUE(equal(x.logsumexp({1}), logsumexp(x, {1})));
  EXPECT_TRUE(equal(x.norm(1), norm(x, 1)));
}

TEST(Reduce, SumToSizeUndoesBroadcasting) {
  Tensor x = arange(24, TensorOptions(ScalarType::Float64)).view({2, 3, 4});
  EXPECT_EQ(x.sum_to_size({3, 1}).sizes(), IntArrayRef({3, 1}));
  EXPECT_EQ(x.sum_to_size({3, 1}).to_vector<double>(), (std::vector<double>{60, 92, 124}));
  EXPECT_EQ(x.sum_to_size({1, 4}).to_vector<double>(), (std::vector<double>{60, 66, 72, 78}));
  EXPECT_TRUE(x.sum_to_size({2, 3, 4}).is_same(x));
  EXPECT_EQ(x.sum_to_size({}).item<double>(), 276);
  EXPECT_THROW_WITH(x.sum_to_size({2, 4}), Error, "is not expandable to size");
  EXPECT_THROW_WITH(x.sum_to_size({1, 2, 3, 4}), Error, "is not expandable to size");
}
