// Indexing, joining and splitting: values on hand-checked cases (PyTorch's
// documentation examples where it has them), gradients (gradcheck on
// ordinary, non-contiguous and zero-size inputs, and second order), the
// parallel kernels against plain loops, and argument errors.
#include <functional>
#include <limits>
#include <random>
#include <string>

#include "backends/index_math.h"
#include "test_util.h"

using namespace wick;
using wick::testing::leaf;
using wick::testing::noncontiguous_leaf;

namespace {

// Tensors of these values on `d` (float64 / int64).
Tensor f64(const std::vector<double>& v, IntArrayRef sizes, Device d = kCPU) {
  return from_vector(v, sizes, TensorOptions(ScalarType::Float64).device(d));
}
Tensor i64(const std::vector<int64_t>& v, IntArrayRef sizes, Device d = kCPU) {
  return from_vector(v, sizes, TensorOptions(d));
}
std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }
std::vector<int64_t> ivalues(const Tensor& t) { return t.to_vector<int64_t>(); }
std::vector<int64_t> shape(const Tensor& t) { return t.sizes().vec(); }

// A non-contiguous int64 index with these values: the storage holds its transpose.
Tensor transposed_index(const std::vector<int64_t>& v, int64_t rows, int64_t cols, Device d = kCPU) {
  std::vector<int64_t> tv(v.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) tv[static_cast<size_t>(c * rows + r)] = v[static_cast<size_t>(r * cols + c)];
  Tensor t = i64(tv, {cols, rows}, d).t();
  EXPECT_FALSE(t.is_contiguous());
  return t;
}

bool check(const std::function<Tensor(const TensorList&)>& fn, const TensorList& inputs) {
  return gradcheck(fn, inputs);
}

// The value and gradient tests run once per device (test_util.h); the
// parallel-kernel and error-message tests stay on the CPU.
class IndexingOnDevice : public wick::testing::OnEachDevice {};
WICK_ON_EACH_DEVICE(IndexingOnDevice);

}  // namespace

// ---- cat / stack ---------------------------------------------------------------------

TEST_P(IndexingOnDevice, CatValues) {
  const Device d = device();
  Tensor a = f64({1, 2, 3, 4, 5, 6}, {2, 3}, d);
  Tensor b = f64({7, 8, 9}, {1, 3}, d);
  Tensor r = cat({a, b});
  EXPECT_EQ(shape(r), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(values(r), (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  Tensor c = f64({10, 20}, {2, 1}, d);
  EXPECT_EQ(values(cat({a, c}, -1)), (std::vector<double>{1, 2, 3, 10, 4, 5, 6, 20}));
  // Non-contiguous inputs and a zero-size piece.
  Tensor at = f64({1, 4, 2, 5, 3, 6}, {3, 2}, d).t();
  EXPECT_EQ(values(cat({at, zeros({2, 0}, TensorOptions(ScalarType::Float64).device(d)), c}, 1)),
            (std::vector<double>{1, 2, 3, 10, 4, 5, 6, 20}));
  // Stepped views.
  Tensor s = arange(10).to(d).slice(0, 1, std::nullopt, 3);  // 1 4 7
  EXPECT_EQ(ivalues(cat({s, s.slice(0, 0, std::nullopt, 2)})), (std::vector<int64_t>{1, 4, 7, 1, 7}));
}

TEST_P(IndexingOnDevice, CatTypePromotionAndLegacyEmpty) {
  const Device d = device();
  Tensor i = i64({1, 2}, {2}, d);
  Tensor f = tensor({0.5}, TensorOptions(d));
  Tensor r = cat({i, f});
  EXPECT_EQ(r.dtype(), ScalarType::Float32);
  EXPECT_EQ(values(r), (std::vector<double>{1, 2, 0.5}));
  Tensor i32 = from_vector(std::vector<int32_t>{3}, {1}, TensorOptions(d));
  EXPECT_EQ(cat({i32, i}).dtype(), ScalarType::Int64);
  EXPECT_EQ(cat({i, f64({1}, {1}, d)}).dtype(), ScalarType::Float64);
  Tensor b = from_vector(std::vector<bool>{true}, {1}, TensorOptions(d));
  EXPECT_EQ(cat({b, b}).dtype(), ScalarType::Bool);
  // A legacy empty 1-D tensor is skipped whatever the others' shapes (its dtype still counts).
  Tensor m = f64({1, 2, 3, 4}, {2, 2}, d);
  Tensor e = empty({0}, TensorOptions(ScalarType::Float32).device(d));
  Tensor m32 = m.to(ScalarType::Float32);
  Tensor r2 = cat({e, m32, e, m32}, 1);
  EXPECT_EQ(shape(r2), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(values(r2), (std::vector<double>{1, 2, 1, 2, 3, 4, 3, 4}));
  EXPECT_EQ(shape(cat({e, e})), (std::vector<int64_t>{0}));
  EXPECT_EQ(cat({empty({0}, TensorOptions(ScalarType::Int64).device(d)), f64({1}, {1}, d)}).dtype(), ScalarType::Float64);
}

TEST_P(IndexingOnDevice, Stack) {
  const Device d = device();
  Tensor a = f64({1, 2, 3}, {3}, d), b = f64({4, 5, 6}, {3}, d);
  EXPECT_EQ(shape(stack({a, b})), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(values(stack({a, b})), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(values(stack({a, b}, 1)), (std::vector<double>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(values(stack({a, b}, -1)), (std::vector<double>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(shape(stack({scalar_tensor(1, TensorOptions(d)), scalar_tensor(2, TensorOptions(d)),
                         scalar_tensor(3, TensorOptions(d))})),
            (std::vector<int64_t>{3}));
  EXPECT_EQ(shape(stack({empty({0}, TensorOptions(d)), empty({0}, TensorOptions(d))}, 1)), (std::vector<int64_t>{0, 2}));
}

TEST_P(IndexingOnDevice, CatGradients) {
  const Device d = device();
  Tensor a = leaf({2, 3}, -1, 1, d), b = leaf({2, 2}, -1, 1, d), c = noncontiguous_leaf({2, 4}, -1, 1, d);
  EXPECT_TRUE(check([](const TensorList& x) { return cat({x[0], x[1], x[2]}, 1); }, {a, b, c}));
  EXPECT_TRUE(check([](const TensorList& x) { return cat({x[0].t(), x[1].slice(1, 0, std::nullopt, 2).t()}, 0); },
                    {a, b}));
  // Zero-size and legacy-empty inputs; an input that does not require grad.
  Tensor z = leaf({2, 0}, -1, 1, d), e = leaf({0}, -1, 1, d);
  EXPECT_TRUE(check([](const TensorList& x) { return cat({x[3], x[0], x[1], x[2]}, 1); },
                    {a, z, f64({1, 2}, {2, 1}, d), e}));
  Tensor out = cat({a, e}, 1);
  EXPECT_EQ(out.grad_fn()->name(), "CatBackward0");
  out.sum().backward();
  EXPECT_EQ(shape(e.grad()), (std::vector<int64_t>{0}));
  // Promotion: the float32 input gets a float32 gradient.
  Tensor f = rand({2}).to(d).requires_grad_();
  Tensor g = leaf({2}, -1, 1, d);
  (cat({f, g}) * f64({1, 2, 3, 4}, {4}, d)).sum().backward();
  EXPECT_EQ(f.grad().dtype(), ScalarType::Float32);
  EXPECT_EQ(values(f.grad()), (std::vector<double>{1, 2}));
  EXPECT_EQ(values(g.grad()), (std::vector<double>{3, 4}));
  // stack
  EXPECT_TRUE(check([](const TensorList& x) { return stack({x[0], x[1].t()}, 1); },
                    {leaf({3, 2}, -1, 1, d), noncontiguous_leaf({2, 3}, -1, 1, d)}));
  EXPECT_TRUE(check([](const TensorList& x) { return stack({x[0], x[1]}, 0); },
                    {leaf({0, 3}, -1, 1, d), leaf({0, 3}, -1, 1, d)}));
}

TEST(IndexingCat, Errors) {
  Tensor a = zeros({2, 3}), b = zeros({2, 4});
  EXPECT_THROW_WITH(cat({a, b}, 0), ValueError,
                    "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for tensor "
                    "number 1 in the list");
  EXPECT_THROW_WITH(cat({a, b}, 0), ValueError, "[2, 3]");
  EXPECT_THROW_WITH(cat({a, b}, 0), ValueError, "[2, 4]");
  EXPECT_THROW_WITH(cat({a, zeros({3, 4}), zeros({2, 2})}, 1), ValueError,
                    "Expected size 2 but got size 3 for tensor number 1");
  EXPECT_THROW_WITH(cat({a, zeros({2, 3, 1})}), ValueError, "Tensors must have same number of dimensions: got 2 and 3");
  EXPECT_THROW_WITH(cat({}), ValueError, "non-empty list");
  EXPECT_THROW_WITH(cat({a, scalar_tensor(1)}), ValueError, "zero-dimensional tensor (at position 1)");
  EXPECT_THROW_WITH(cat({a, a}, 2), IndexError, "Dimension out of range");
  EXPECT_THROW_WITH(cat({a, Tensor()}), ValueError, "tensor number 1");
  EXPECT_THROW_WITH(stack({}), ValueError, "non-empty TensorList");
  EXPECT_THROW_WITH(stack({a, b}), ValueError, "stack expects each tensor to be equal size, but got [2, 3] at entry 0 "
                                               "and [2, 4] at entry 1");
  EXPECT_THROW_WITH(stack({a, a}, 3), IndexError, "Dimension out of range");
}

// ---- split / chunk / unbind ----------------------------------------------------------------

TEST_P(IndexingOnDevice, SplitPiecesAreViews) {
  const Device d = device();
  Tensor x = arange(10).to(d).view({5, 2});
  TensorList p = x.split(2);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(shape(p[2]), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(ivalues(p[1]), (std::vector<int64_t>{4, 5, 6, 7}));
  for (const Tensor& t : p) EXPECT_EQ(t.impl()->storage(), x.impl()->storage());
  p[2].fill_(-1);
  EXPECT_EQ(ivalues(x)[9], -1);

  TensorList q = split(x, 1, 1);
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(ivalues(q[1]), (std::vector<int64_t>{1, 3, 5, 7, -1}));
  EXPECT_EQ(split(x, 7).size(), 1u);  // one piece holds the whole dim

  TensorList w = split_with_sizes(x, {1, 0, 4});
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(shape(w[1]), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(ivalues(w[0]), (std::vector<int64_t>{0, 1}));

  // chunk: pieces of ceil(n / chunks), so possibly fewer than asked for.
  auto sizes_of = [](const TensorList& l, int64_t dim) {
    std::vector<int64_t> s;
    for (const Tensor& t : l) s.push_back(t.size(dim));
    return s;
  };
  EXPECT_EQ(sizes_of(arange(5).to(d).chunk(3), 0), (std::vector<int64_t>{2, 2, 1}));
  EXPECT_EQ(sizes_of(arange(6).to(d).chunk(4), 0), (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(sizes_of(arange(2).to(d).chunk(5), 0), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(sizes_of(zeros({3, 0}, TensorOptions(d)).chunk(3, 1), 1), (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(sizes_of(zeros({0}, TensorOptions(d)).split(0), 0), (std::vector<int64_t>{0}));
  EXPECT_EQ(sizes_of(zeros({0}, TensorOptions(d)).split(3), 0), (std::vector<int64_t>{0}));
  EXPECT_EQ(ivalues(x.chunk(2, 1)[0]), (std::vector<int64_t>{0, 2, 4, 6, -1}));

  TensorList u = unbind(x, 1);
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(shape(u[0]), (std::vector<int64_t>{5}));
  EXPECT_EQ(ivalues(u[0]), (std::vector<int64_t>{0, 2, 4, 6, -1}));
  EXPECT_EQ(unbind(zeros({0, 3}, TensorOptions(d))).size(), 0u);
}

TEST_P(IndexingOnDevice, SplitGradients) {
  const Device d = device();
  // Joins the pieces back along dim, each scaled by its position (so a mixed-up piece shows).
  auto recombine = [](const TensorList& p, int64_t dim = 0) {
    TensorList scaled;
    for (size_t i = 0; i < p.size(); ++i) scaled.push_back(p[i] * static_cast<double>(i + 1));
    return cat(scaled, dim);
  };
  for (const Tensor& x : {leaf({5, 3}, -1, 1, d), noncontiguous_leaf({5, 3}, -1, 1, d)}) {
    EXPECT_TRUE(check([&](const TensorList& v) { return recombine(v[0].split(2)); }, {x}));
    EXPECT_TRUE(check([&](const TensorList& v) { return recombine(v[0].chunk(2, 1), 1); }, {x}));
    EXPECT_TRUE(check([&](const TensorList& v) { return recombine(split_with_sizes(v[0], {3, 0, 2})); }, {x}));
    EXPECT_TRUE(check([&](const TensorList& v) { return stack(unbind(v[0], 1)) * 2; }, {x}));
  }
  EXPECT_TRUE(check([&](const TensorList& v) { return recombine(v[0].split(2)); }, {leaf({0, 3}, -1, 1, d)}));
  EXPECT_TRUE(check([&](const TensorList& v) { return recombine(v[0].chunk(3, 1), 1); }, {leaf({4, 0}, -1, 1, d)}));
}

TEST(IndexingSplit, Errors) {
  Tensor x = zeros({4, 3});
  EXPECT_THROW_WITH(x.chunk(0), ValueError, "chunk expects `chunks` to be greater than 0, got: 0");
  EXPECT_THROW_WITH(x.chunk(-2), ValueError, "[4, 3]");
  EXPECT_THROW_WITH(x.split(-1), ValueError, "split expects split_size be non-negative, but got split_size=-1");
  EXPECT_THROW_WITH(x.split(0), ValueError, "split_size can only be 0 if dimension size is 0, but got dimension size "
                                            "of 4 (tensor of shape [4, 3]");
  EXPECT_THROW_WITH(split_with_sizes(x, {1, 2}), ValueError,
                    "split_with_sizes expects split_sizes to sum exactly to 4 (input tensor's size at dimension 0), "
                    "but got split_sizes=[1, 2]");
  EXPECT_THROW_WITH(split_with_sizes(x, {5, -1}), ValueError, "non-negative entries");
  EXPECT_THROW_WITH(scalar_tensor(1).split(1), ValueError, "at least a 1-dimensional tensor");
  EXPECT_THROW_WITH(scalar_tensor(1).chunk(1), ValueError, "at least a 1-dimensional tensor");
  EXPECT_THROW_WITH(unbind(scalar_tensor(1)), IndexError, "tensor has no dimensions");
  EXPECT_THROW_WITH(x.split(1, 2), IndexError, "Dimension out of range");
}

// ---- index_select / index_add ----------------------------------------------------------------

TEST_P(IndexingOnDevice, IndexSelectValues) {
  const Device d = device();
  Tensor x = f64({1, 2, 3, 4, 5, 6, 7, 8, 9}, {3, 3}, d);
  EXPECT_EQ(values(x.index_select(0, i64({2, 0, 2}, {3}, d))), (std::vector<double>{7, 8, 9, 1, 2, 3, 7, 8, 9}));
  EXPECT_EQ(values(x.index_select(1, i64({1, 1}, {2}, d))), (std::vector<double>{2, 2, 5, 5, 8, 8}));
  EXPECT_EQ(values(x.index_select(-1, from_vector(std::vector<int32_t>{2}, {1}, TensorOptions(d)))),
            (std::vector<double>{3, 6, 9}));
  // Transposed self, stepped index, 0-dim index, empty index.
  EXPECT_EQ(values(x.t().index_select(0, i64({0, 9, 2, 9}, {4}, d).slice(0, 0, std::nullopt, 2))),
            (std::vector<double>{1, 4, 7, 3, 6, 9}));
  Tensor r = x.index_select(1, i64({1}, {}, d));
  EXPECT_EQ(shape(r), (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(values(r), (std::vector<double>{2, 5, 8}));
  EXPECT_EQ(shape(x.index_select(0, i64({}, {0}, d))), (std::vector<int64_t>{0, 3}));
  Tensor s = scalar_tensor(5.0, TensorOptions(d));
  EXPECT_EQ(shape(s.index_select(0, i64({0}, {1}, d))), (std::vector<int64_t>{}));
  // Other dtypes.
  EXPECT_EQ(ivalues(arange(6).to(d).view({2, 3}).index_select(1, i64({2, 0}, {2}, d))),
            (std::vector<int64_t>{2, 0, 5, 3}));
  Tensor b = from_vector(std::vector<bool>{true, false, false}, {3}, TensorOptions(d));
  EXPECT_EQ(b.index_select(0, i64({1, 0}, {2}, d)).to_vector<bool>(), (std::vector<bool>{false, true}));
}

TEST_P(IndexingOnDevice, IndexAddValues) {
  const Device d = device();
  const TensorOptions f64_on_d = TensorOptions(ScalarType::Float64).device(d);
  // PyTorch's documentation example.
  Tensor x = ones({5, 3}, f64_on_d);
  Tensor t = f64({1, 2, 3, 4, 5, 6, 7, 8, 9}, {3, 3}, d);
  EXPECT_EQ(values(index_add(x, 0, i64({0, 4, 2}, {3}, d), t)),
            (std::vector<double>{2, 3, 4, 1, 1, 1, 8, 9, 10, 1, 1, 1, 5, 6, 7}));
  EXPECT_EQ(values(x), std::vector<double>(15, 1.0));  // out of place
  // Repeated indices accumulate, along either dim, with a transposed source.
  EXPECT_EQ(values(index_add(zeros({2, 3}, f64_on_d), 0, i64({1, 1, 1}, {3}, d), t)),
            (std::vector<double>{0, 0, 0, 12, 15, 18}));
  EXPECT_EQ(values(index_add(zeros({3, 2}, f64_on_d), 1, i64({0, 0, 1}, {3}, d), t.t())),
            (std::vector<double>{5, 7, 7, 8, 9, 9}));
  EXPECT_EQ(ivalues(index_add(zeros({3}, TensorOptions(ScalarType::Int64).device(d)), 0, i64({2, 2}, {2}, d),
                              i64({5, 6}, {2}, d))),
            (std::vector<int64_t>{0, 0, 11}));
}

TEST_P(IndexingOnDevice, IndexSelectGradients) {
  const Device d = device();
  Tensor idx = i64({2, 0, 2, 1}, {4}, d);
  for (const Tensor& x : {leaf({3, 4}, -1, 1, d), noncontiguous_leaf({3, 4}, -1, 1, d)}) {
    Tensor out = x.index_select(0, idx);
    EXPECT_EQ(out.grad_fn()->name(), "IndexSelectBackward0");
    EXPECT_TRUE(check([&](const TensorList& v) { return v[0].index_select(0, idx); }, {x}));
    EXPECT_TRUE(check([&](const TensorList& v) { return v[0].index_select(1, idx.slice(0, 0, std::nullopt, 2)); }, {x}));
    EXPECT_TRUE(check(
        [&](const TensorList& v) { return v[0].slice(1, 1, std::nullopt, 2).index_select(1, i64({1, 1, 0}, {3}, d)); },
        {x}));
  }
  EXPECT_TRUE(check([&](const TensorList& v) { return v[0].index_select(0, i64({}, {0}, d)); }, {leaf({3, 2}, -1, 1, d)}));
  EXPECT_TRUE(check([&](const TensorList& v) { return v[0].index_select(1, i64({0}, {1}, d)); }, {leaf({0, 2}, -1, 1, d)}));
  // Repeated indices: the gradient adds up.
  Tensor x = leaf({3}, -1, 1, d);
  x.index_select(0, i64({1, 1, 1, 0}, {4}, d)).sum().backward();
  EXPECT_EQ(values(x.grad()), (std::vector<double>{1, 3, 0}));

  // index_add, with respect to both inputs.
  Tensor src = leaf({4, 2}, -1, 1, d);
  EXPECT_TRUE(check([&](const TensorList& v) { return index_add(v[0], 0, idx, v[1]); }, {leaf({3, 2}, -1, 1, d), src}));
  EXPECT_TRUE(check([&](const TensorList& v) { return index_add(v[0], 1, idx, v[1].t()); },
                    {noncontiguous_leaf({2, 3}, -1, 1, d), src}));
  EXPECT_TRUE(check([&](const TensorList& v) { return index_add(v[0], 0, i64({}, {0}, d), v[1]); },
                    {leaf({3, 2}, -1, 1, d), leaf({0, 2}, -1, 1, d)}));
  EXPECT_EQ(index_add(leaf({3, 2}, -1, 1, d), 0, idx, src).grad_fn()->name(), "IndexAddBackward0");
}

// ---- gather ------------------------------------------------------------------------------------

TEST_P(IndexingOnDevice, GatherValues) {
  const Device d = device();
  // PyTorch's documentation example.
  Tensor t = f64({1, 2, 3, 4}, {2, 2}, d);
  EXPECT_EQ(values(t.gather(1, i64({0, 0, 1, 0}, {2, 2}, d))), (std::vector<double>{1, 1, 4, 3}));
  EXPECT_EQ(values(t.gather(0, i64({1, 0, 0, 0}, {2, 2}, d))), (std::vector<double>{3, 2, 1, 2}));
  // The index may be smaller than self off dim, and larger along it.
  Tensor x = f64({1, 2, 3, 4, 5, 6, 7, 8, 9}, {3, 3}, d);
  Tensor r = x.gather(0, i64({2, 1, 0, 0, 0, 2, 1, 1}, {4, 2}, d));
  EXPECT_EQ(shape(r), (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(values(r), (std::vector<double>{7, 5, 1, 2, 1, 8, 4, 5}));
  // Non-contiguous self and index.
  EXPECT_EQ(values(x.t().gather(1, transposed_index({0, 2, 1, 1, 2, 0}, 2, 3, d))),
            (std::vector<double>{1, 7, 4, 5, 8, 2}));
  EXPECT_EQ(values(x.gather(-1, i64({0, 2, 1}, {3, 1}, d))), (std::vector<double>{1, 6, 8}));
  // int32 index, integer data, 0-dim and empty.
  EXPECT_EQ(ivalues(arange(4).to(d).gather(0, from_vector(std::vector<int32_t>{3, 3, 0}, {3}, TensorOptions(d)))),
            (std::vector<int64_t>{3, 3, 0}));
  EXPECT_EQ(values(scalar_tensor(2.5, TensorOptions(d)).gather(0, i64({0}, {}, d))), (std::vector<double>{2.5}));
  EXPECT_EQ(shape(x.gather(1, i64({}, {3, 0}, d))), (std::vector<int64_t>{3, 0}));
}

TEST_P(IndexingOnDevice, GatherGradients) {
  const Device d = device();
  Tensor idx = i64({2, 0, 1, 1, 0, 0}, {2, 3}, d);
  for (const Tensor& x : {leaf({3, 3}, -1, 1, d), noncontiguous_leaf({3, 3}, -1, 1, d)}) {
    EXPECT_EQ(x.gather(0, idx).grad_fn()->name(), "GatherBackward0");
    EXPECT_TRUE(check([&](const TensorList& v) { return v[0].gather(0, idx); }, {x}));
    EXPECT_TRUE(check([&](const TensorList& v) { return v[0].gather(1, idx); }, {x}));
    EXPECT_TRUE(
        check([&](const TensorList& v) { return v[0].t().gather(1, transposed_index({0, 2, 1, 1, 2, 2}, 3, 2, d)); },
              {x}));
    EXPECT_TRUE(check([&](const TensorList& v) { return v[0].slice(1, 0, std::nullopt, 2).gather(1, idx.t().slice(1, 1, 2)); },
                      {x}));
  }
  EXPECT_TRUE(check([&](const TensorList& v) { return v[0].gather(0, i64({}, {0, 2}, d)); }, {leaf({3, 2}, -1, 1, d)}));
  EXPECT_TRUE(check([&](const TensorList& v) { return v[0].gather(1, i64({}, {0, 2}, d)); }, {leaf({0, 2}, -1, 1, d)}));
  // Repeated indices: the gradient adds up.
  Tensor x = leaf({2, 3}, -1, 1, d);
  x.gather(1, i64({2, 2, 2, 0, 1, 0}, {2, 3}, d)).sum().backward();
  EXPECT_EQ(values(x.grad()), (std::vector<double>{0, 0, 3, 2, 1, 0}));
}

// ---- scatter / scatter_add -----------------------------------------------------------------------

TEST_P(IndexingOnDevice, ScatterReduce) {
  const Device d = device();
  const TensorOptions f64_on_d = TensorOptions(ScalarType::Float64).device(d);
  const Tensor idx = i64({0, 0, 2}, {3}, d);
  const Tensor src = from_vector(std::vector<double>{1, 2, 3}, {3}, f64_on_d);
  // PyTorch 1.13's values: repeated positions combine, untouched ones keep self's value.
  EXPECT_EQ(values(scatter(full({3}, 2.0, f64_on_d), 0, idx, src, "add")), (std::vector<double>{5, 2, 5}));
  EXPECT_EQ(values(scatter(full({3}, 2.0, f64_on_d), 0, idx, src, "multiply")), (std::vector<double>{4, 2, 6}));
  EXPECT_EQ(values(scatter(full({3}, 2.0, f64_on_d), 0, idx, 5.0, "add")), (std::vector<double>{12, 2, 7}));
  EXPECT_EQ(values(scatter(full({3}, 2.0, f64_on_d), 0, idx, 5.0, "multiply")), (std::vector<double>{50, 2, 10}));
  Tensor y = full({3}, 2.0, f64_on_d);
  EXPECT_TRUE(scatter_(y, 0, idx, src, "multiply").is_same(y));
  EXPECT_EQ(values(y), (std::vector<double>{4, 2, 6}));
  EXPECT_THROW_WITH(scatter(y, 0, idx, src, "mean"), ValueError, "reduce argument must be either add or multiply");
}

TEST_P(IndexingOnDevice, ScatterValues) {
  const Device d = device();
  const TensorOptions f64_on_d = TensorOptions(ScalarType::Float64).device(d);
  // PyTorch's documentation examples.
  Tensor src = arange(1, 11).view({2, 5}).to(ScalarType::Float64).to(d);
  Tensor z = zeros({3, 5}, f64_on_d);
  EXPECT_EQ(values(z.scatter(0, i64({0, 1, 2, 0}, {1, 4}, d), src)),
            (std::vector<double>{1, 0, 0, 4, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0}));
  EXPECT_EQ(values(z.scatter(1, i64({0, 1, 2, 0, 1, 4}, {2, 3}, d), src)),
            (std::vector<double>{1, 2, 3, 0, 0, 6, 7, 0, 0, 8, 0, 0, 0, 0, 0}));
  EXPECT_EQ(values(z), std::vector<double>(15, 0.0));  // out of place
  Tensor w = zeros({2, 4}, f64_on_d);
  EXPECT_EQ(values(scatter(w, 1, i64({2, 3}, {2, 1}, d), 1.25)), (std::vector<double>{0, 0, 1.25, 0, 0, 0, 0, 1.25}));
  // In place, with a transposed self and a transposed index.
  Tensor y = zeros({5, 3}, f64_on_d).t();
  EXPECT_TRUE(scatter_(y, 0, transposed_index({0, 1, 2, 0, 1, 2, 0, 1}, 2, 4, d), src).is_same(y));
  EXPECT_EQ(values(y), (std::vector<double>{1, 0, 8, 4, 0, 6, 2, 0, 9, 0, 0, 7, 3, 0, 0}));
  // Integer data, int32 index.
  EXPECT_EQ(ivalues(scatter(zeros({4}, TensorOptions(ScalarType::Int64).device(d)), 0,
                            from_vector(std::vector<int32_t>{3, 0}, {2}, TensorOptions(d)), i64({5, 6}, {2}, d))),
            (std::vector<int64_t>{6, 0, 0, 5}));
}

// Which of several writes to one element survives is a CPU guarantee (as in
// PyTorch, a GPU gives no order), so this stays on the CPU.
TEST(IndexingScatter, RepeatedIndexLastWriteWinsOnTheCpu) {
  // Repeated indices: the last write along dim wins (deterministically on the CPU).
  EXPECT_EQ(values(scatter(zeros({3}, TensorOptions(ScalarType::Float64)), 0, i64({1, 1, 1}, {3}), f64({7, 8, 9}, {3}))),
            (std::vector<double>{0, 9, 0}));
}

TEST_P(IndexingOnDevice, ScatterAddValues) {
  const Device d = device();
  const TensorOptions f64_on_d = TensorOptions(ScalarType::Float64).device(d);
  Tensor ones25 = ones({2, 5}, f64_on_d);
  Tensor z = zeros({3, 5}, f64_on_d);
  EXPECT_EQ(values(z.scatter_add(0, i64({0, 1, 2, 0, 0}, {1, 5}, d), ones25)),
            (std::vector<double>{1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(values(z.scatter_add(0, i64({0, 1, 2, 0, 0, 0, 1, 2, 2, 2}, {2, 5}, d), ones25)),
            (std::vector<double>{2, 0, 0, 1, 1, 0, 2, 0, 0, 0, 0, 0, 2, 1, 1}));
  // Repeated indices along the walked dim accumulate.
  EXPECT_EQ(values(scatter_add(zeros({3}, f64_on_d), 0, i64({0, 0, 1, 0}, {4}, d), f64({1, 2, 3, 4}, {4}, d))),
            (std::vector<double>{7, 3, 0}));
  Tensor acc = f64({1, 1, 1, 1}, {2, 2}, d);
  scatter_add_(acc, 1, i64({1, 1, 0, 0}, {2, 2}, d), f64({1, 2, 3, 4}, {2, 2}, d));
  EXPECT_EQ(values(acc), (std::vector<double>{1, 4, 8, 1}));
  EXPECT_EQ(ivalues(scatter_add(zeros({2}, TensorOptions(ScalarType::Int64).device(d)), 0, i64({1, 1, 1}, {3}, d),
                                i64({1, 2, 3}, {3}, d))),
            (std::vector<int64_t>{0, 6}));
}

TEST_P(IndexingOnDevice, ScatterGradients) {
  const Device d = device();
  // Distinct indices along dim, so scatter's derivative is well defined.
  Tensor idx = i64({2, 0, 1, 1, 2, 0}, {2, 3}, d);
  Tensor idx_t = transposed_index({1, 0, 0, 2, 2, 1}, 2, 3, d);
  for (const Tensor& self : {leaf({3, 3}, -1, 1, d), noncontiguous_leaf({3, 3}, -1, 1, d)}) {
    Tensor src = leaf({2, 3}, -1, 1, d), big = noncontiguous_leaf({3, 4}, -1, 1, d);
    EXPECT_EQ(scatter(self, 0, idx, src).grad_fn()->name(), "ScatterBackward0");
    EXPECT_TRUE(check([&](const TensorList& v) { return scatter(v[0], 0, idx, v[1]); }, {self, src}));
    EXPECT_TRUE(check([&](const TensorList& v) { return scatter(v[0], 0, idx_t, v[1]); }, {self, big}));  // src larger
    EXPECT_TRUE(check([&](const TensorList& v) { return scatter(v[0].t(), 1, idx.slice(0, 1), v[1].t()); },
                      {self, big}));
    EXPECT_TRUE(check([&](const TensorList& v) { return scatter(v[0], 1, idx, -2.0); }, {self}));
    EXPECT_EQ(scatter(self, 1, idx, 3.0).grad_fn()->name(), "ScatterBackward1");
    // scatter_add: repeated indices are fine.
    Tensor dup = i64({0, 0, 2, 0, 2, 2}, {2, 3}, d);
    EXPECT_EQ(scatter_add(self, 0, dup, src).grad_fn()->name(), "ScatterAddBackward0");
    EXPECT_TRUE(check([&](const TensorList& v) { return scatter_add(v[0], 0, dup, v[1]); }, {self, src}));
    EXPECT_TRUE(check([&](const TensorList& v) { return scatter_add(v[0], 1, dup, v[1]); }, {self, big}));
    // In-place forms on a non-leaf.
    EXPECT_TRUE(check([&](const TensorList& v) { return scatter_(v[0] * 1.0, 0, idx, v[1]); }, {self, src}));
    EXPECT_TRUE(check([&](const TensorList& v) { return scatter_add_(v[0] * 1.0, 1, dup, v[1]); }, {self, big}));
  }
  // In place on a view of a non-leaf: the base's gradient sees the op.
  Tensor rows = i64({2, 0, 2, 1}, {2, 2}, d);
  EXPECT_TRUE(check(
      [&](const TensorList& v) {
        Tensor base = v[0] * 1.0;
        scatter_add_(base.narrow(1, 1, 2), 0, rows, v[1]);
        return base;
      },
      {leaf({3, 4}, -1, 1, d), leaf({2, 2}, -1, 1, d)}));
  EXPECT_TRUE(check(
      [&](const TensorList& v) {
        Tensor base = v[0] * 1.0;
        scatter_(base.t().narrow(0, 1, 2), 1, i64({0, 2, 1, 0}, {2, 2}, d), v[1]);
        return base;
      },
      {leaf({3, 4}, -1, 1, d), leaf({2, 2}, -1, 1, d)}));
  Tensor e = leaf({0, 3}, -1, 1, d);
  EXPECT_TRUE(check([&](const TensorList& v) { return scatter(v[0], 0, i64({}, {0, 3}, d), v[1]); },
                    {leaf({2, 3}, -1, 1, d), e}));
  EXPECT_TRUE(check([&](const TensorList& v) { return scatter(v[0], 1, i64({}, {0, 2}, d), 4.0); }, {e}));
  EXPECT_TRUE(check([&](const TensorList& v) { return scatter_add(v[0], 1, i64({}, {0, 2}, d), v[1]); },
                    {e, leaf({0, 2}, -1, 1, d)}));
  // The overwritten element of self gets no gradient; src's repeated index sends grad to each use.
  Tensor s = leaf({3}, -1, 1, d), x = leaf({2}, -1, 1, d);
  scatter(s, 0, i64({2, 0}, {2}, d), x).sum().backward();
  EXPECT_EQ(values(s.grad()), (std::vector<double>{0, 1, 0}));
  EXPECT_EQ(values(x.grad()), (std::vector<double>{1, 1}));
}

// ---- masked_select / one_hot / embedding ------------------------------------------------------------

TEST_P(IndexingOnDevice, MaskedSelectValuesAndGradients) {
  const Device d = device();
  Tensor x = f64({1, 2, 3, 4}, {2, 2}, d);
  Tensor m = from_vector(std::vector<bool>{true, false, false, true}, {2, 2}, TensorOptions(d));
  EXPECT_EQ(values(masked_select(x, m)), (std::vector<double>{1, 4}));
  Tensor row = from_vector(std::vector<bool>{true, false}, {2}, TensorOptions(d));
  EXPECT_EQ(values(masked_select(x, row)), (std::vector<double>{1, 3}));
  EXPECT_EQ(values(masked_select(x.t(), m)), (std::vector<double>{1, 4}));
  EXPECT_EQ(shape(masked_select(x, zeros({2, 2}, TensorOptions(ScalarType::Bool).device(d)))), (std::vector<int64_t>{0}));
  // self broadcast against a larger mask.
  Tensor m3 = from_vector(std::vector<bool>{true, true, false, true, false, false, true, true}, {2, 2, 2}, TensorOptions(d));
  EXPECT_EQ(values(masked_select(x, m3)), (std::vector<double>{1, 2, 4, 3, 4}));

  Tensor a = leaf({2, 2}, -1, 1, d);
  EXPECT_EQ(masked_select(a, m).grad_fn()->name(), "MaskedSelectBackward0");
  EXPECT_TRUE(check([&](const TensorList& v) { return masked_select(v[0], m); }, {a}));
  EXPECT_TRUE(check([&](const TensorList& v) { return masked_select(v[0], m3); }, {noncontiguous_leaf({2, 2}, -1, 1, d)}));
  EXPECT_TRUE(check([&](const TensorList& v) { return masked_select(v[0], row.unsqueeze(1)); }, {leaf({2, 3}, -1, 1, d)}));
  EXPECT_TRUE(check(
      [&](const TensorList& v) { return masked_select(v[0], ones({0, 2}, TensorOptions(ScalarType::Bool).device(d))); },
      {leaf({2}, -1, 1, d)}));
  // Broadcast self: gradient sums over the stretched elements.
  Tensor b = leaf({2}, -1, 1, d);
  masked_select(b, m3).sum().backward();
  EXPECT_EQ(values(b.grad()), (std::vector<double>{2, 3}));
}

TEST_P(IndexingOnDevice, OneHotValues) {
  const Device d = device();
  Tensor r = one_hot(i64({0, 2, 1}, {3}, d));
  EXPECT_EQ(r.dtype(), ScalarType::Int64);
  EXPECT_EQ(shape(r), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(ivalues(r), (std::vector<int64_t>{1, 0, 0, 0, 0, 1, 0, 1, 0}));
  EXPECT_EQ(ivalues(one_hot(i64({1, 3}, {2, 1}, d), 5)), (std::vector<int64_t>{0, 1, 0, 0, 0, 0, 0, 0, 1, 0}));
  EXPECT_EQ(shape(one_hot(i64({1, 3}, {2, 1}, d), 5)), (std::vector<int64_t>{2, 1, 5}));
  EXPECT_EQ(ivalues(one_hot(from_vector(std::vector<int32_t>{1}, {}, TensorOptions(d)))), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(shape(one_hot(i64({}, {0}, d), 4)), (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(ivalues(one_hot(i64({2, 0}, {2}, d).slice(0, 0, std::nullopt, 1))), (std::vector<int64_t>{0, 0, 1, 1, 0, 0}));
}

TEST_P(IndexingOnDevice, EmbeddingValuesAndGradients) {
  const Device d = device();
  Tensor w = f64({0, 1, 10, 11, 20, 21, 30, 31}, {4, 2}, d);
  Tensor idx = i64({3, 0, 3, 1, 2, 0}, {2, 3}, d);
  Tensor r = embedding(w, idx);
  EXPECT_EQ(shape(r), (std::vector<int64_t>{2, 3, 2}));
  EXPECT_EQ(values(r), (std::vector<double>{30, 31, 0, 1, 30, 31, 10, 11, 20, 21, 0, 1}));
  EXPECT_EQ(values(embedding(w.t().contiguous().t(), idx.t())), values(embedding(w, idx.t().contiguous())));
  EXPECT_EQ(shape(embedding(w, i64({2}, {}, d))), (std::vector<int64_t>{2}));
  EXPECT_EQ(shape(embedding(w, i64({}, {0, 5}, d))), (std::vector<int64_t>{0, 5, 2}));

  // Repeated indices accumulate; the padding row gets no gradient.
  Tensor weight = leaf({4, 2}, -1, 1, d);
  Tensor out = embedding(weight, idx, 0);
  EXPECT_EQ(out.grad_fn()->name(), "EmbeddingBackward0");
  out.backward(ones_like(out));
  EXPECT_EQ(values(weight.grad()), (std::vector<double>{0, 0, 1, 1, 1, 1, 2, 2}));
  Tensor weight2 = leaf({4, 2}, -1, 1, d);
  embedding(weight2, idx).backward(ones({2, 3, 2}, TensorOptions(ScalarType::Float64).device(d)));
  EXPECT_EQ(values(weight2.grad()), (std::vector<double>{2, 2, 1, 1, 1, 1, 2, 2}));

  EXPECT_TRUE(check([&](const TensorList& v) { return embedding(v[0], idx); }, {leaf({4, 2}, -1, 1, d)}));
  // A used padding row's gradient is zero by design (not the true derivative),
  // so gradcheck runs with a padding row the index does not use.
  Tensor no_pad = transposed_index({0, 1, 2, 2, 1, 0}, 2, 3, d);
  EXPECT_TRUE(check([&](const TensorList& v) { return embedding(v[0], no_pad, 3); }, {noncontiguous_leaf({4, 3}, -1, 1, d)}));
  EXPECT_TRUE(check([&](const TensorList& v) { return embedding(v[0], i64({}, {0}, d)); }, {leaf({4, 2}, -1, 1, d)}));
  EXPECT_TRUE(check([&](const TensorList& v) { return embedding(v[0], idx, 1); }, {leaf({4, 0}, -1, 1, d)}));
}

// ---- higher order ----------------------------------------------------------------------------------------

TEST_P(IndexingOnDevice, HigherOrderGatherAndIndexSelect) {
  const Device d = device();
  Tensor idx = i64({2, 0, 2, 1, 1, 0}, {2, 3}, d);
  // d/dx of sum(gather(x^3)) is 3x^2 at the gathered positions (counted with
  // multiplicity); gradcheck of that first derivative checks the second.
  auto first_grad = [&](const TensorList& v) {
    EnableGradGuard grad_mode;
    Tensor y = (v[0] * v[0] * v[0]).gather(0, idx);
    return autograd::grad({(y * v[1]).sum()}, {v[0]}, {}, {}, /*create_graph=*/true)[0];
  };
  Tensor x = leaf({3, 3}, -1, 1, d), w = leaf({2, 3}, -1, 1, d);
  EXPECT_TRUE(check(first_grad, {x, w}));
  Tensor g = first_grad({x, w});
  // Hand check of one entry: x[2][0] is gathered once (out[0][0]).
  EXPECT_NEAR(values(g)[6], 3 * values(x)[6] * values(x)[6] * values(w)[0], 1e-12);

  auto through_select = [&](const TensorList& v) {
    EnableGradGuard grad_mode;
    Tensor y = v[0].index_select(1, i64({1, 1, 0}, {3}, d)).pow(2.0);
    return autograd::grad({y.sum()}, {v[0]}, {}, {}, /*create_graph=*/true)[0] * v[0];
  };
  EXPECT_TRUE(check(through_select, {noncontiguous_leaf({2, 3}, -1, 1, d)}));

  // Second derivative through the gradient of embedding / scatter_add / masked_select.
  auto through_embedding = [&](const TensorList& v) {
    EnableGradGuard grad_mode;
    Tensor y = embedding(v[0], idx, 2).pow(2.0).sum();
    return autograd::grad({y}, {v[0]}, {}, {}, true)[0];
  };
  EXPECT_TRUE(check(through_embedding, {leaf({3, 2}, -1, 1, d)}));
  auto through_scatter_add = [&](const TensorList& v) {
    EnableGradGuard grad_mode;
    Tensor y = scatter_add(v[0], 1, idx, v[1].pow(2.0)).sum();
    return autograd::grad({y}, {v[1]}, {}, {}, true)[0];
  };
  EXPECT_TRUE(check(through_scatter_add, {leaf({3, 3}, -1, 1, d), leaf({2, 3}, -1, 1, d)}));
}

// ---- the parallel kernels against plain loops -------------------------------------------------------------

TEST(IndexingKernels, LargeMatchesLoops) {
  std::mt19937 rng(7);
  const int64_t R = 300, C = 257;
  Tensor x = randn({R, C}, TensorOptions(ScalarType::Float64));
  const std::vector<double> xv = values(x);
  std::vector<int64_t> iv(static_cast<size_t>(R * C));
  for (auto& v : iv) v = static_cast<int64_t>(rng() % static_cast<uint32_t>(R));
  Tensor idx = i64(iv, {R, C});

  // gather along dim 0 (rows across outer blocks) and dim 1 (rows along dim).
  const std::vector<double> g0 = values(x.gather(0, idx));
  const std::vector<int64_t> iv1 = ivalues(remainder(idx, scalar_tensor(C)).contiguous());
  const std::vector<double> g1 = values(x.gather(1, i64(iv1, {R, C})));
  for (int64_t r = 0; r < R; ++r)
    for (int64_t c = 0; c < C; ++c) {
      const size_t k = static_cast<size_t>(r * C + c);
      ASSERT_EQ(g0[k], xv[static_cast<size_t>(iv[k] * C + c)]);
      ASSERT_EQ(g1[k], xv[static_cast<size_t>(r * C + iv1[k])]);
    }

  // scatter_add with heavy repetition along both dims, against a serial loop.
  Tensor src = randn({R, C}, TensorOptions(ScalarType::Float64));
  const std::vector<double> sv = values(src);
  std::vector<double> want0(static_cast<size_t>(R * C), 0.0), want1(want0);
  for (int64_t r = 0; r < R; ++r)
    for (int64_t c = 0; c < C; ++c) {
      const size_t k = static_cast<size_t>(r * C + c);
      want0[static_cast<size_t>(iv[k] * C + c)] += sv[k];
      want1[static_cast<size_t>(r * C + iv1[k])] += sv[k];
    }
  const Tensor z = zeros({R, C}, TensorOptions(ScalarType::Float64));
  EXPECT_EQ(values(scatter_add(z, 0, idx, src)), want0);
  EXPECT_EQ(values(scatter_add(z, 1, i64(iv1, {R, C}), src)), want1);
  // The same on a transposed layout.
  EXPECT_EQ(values(scatter_add(z.t().contiguous().t(), 0, idx.t().contiguous().t(), src.t().contiguous().t())), want0);

  // index_add (embedding backward) and index_select with a long 1-D index.
  const int64_t N = 50000;
  std::vector<int64_t> rows(static_cast<size_t>(N));
  for (auto& v : rows) v = static_cast<int64_t>(rng() % 7);
  Tensor ridx = i64(rows, {N});
  Tensor small = randn({7, 3}, TensorOptions(ScalarType::Float64));
  Tensor picked = small.index_select(0, ridx);
  const std::vector<double> smv = values(small), pv = values(picked);
  for (int64_t i = 0; i < N; ++i)
    for (int64_t c = 0; c < 3; ++c)
      ASSERT_EQ(pv[static_cast<size_t>(i * 3 + c)], smv[static_cast<size_t>(rows[static_cast<size_t>(i)] * 3 + c)]);
  std::vector<double> acc(21, 0.0);
  for (int64_t i = 0; i < N; ++i)
    for (int64_t c = 0; c < 3; ++c) acc[static_cast<size_t>(rows[static_cast<size_t>(i)] * 3 + c)] += pv[static_cast<size_t>(i * 3 + c)];
  const std::vector<double> got = values(index_add(zeros({7, 3}, TensorOptions(ScalarType::Float64)), 0, ridx, picked));
  for (size_t k = 0; k < acc.size(); ++k) EXPECT_DOUBLE_EQ(got[k], acc[k]);

  // A long 1-D gather (the dim itself is split between threads).
  Tensor line = arange(N);
  Tensor perm = randperm(N);
  EXPECT_EQ(ivalues(line.gather(0, perm)), ivalues(perm));
  EXPECT_EQ(ivalues(line.index_select(0, perm)), ivalues(perm));
  // cat of large pieces.
  Tensor big = cat({x, src}, 1);
  EXPECT_EQ(values(big.narrow(1, C, C)), sv);
}

// ---- errors ------------------------------------------------------------------------------------------------

TEST(IndexingErrors, OutOfRangeIndices) {
  Tensor x = zeros({3, 4});
  EXPECT_THROW_WITH(x.gather(0, i64({5, 0}, {1, 2})), IndexError,
                    "index 5 is out of bounds for dimension 0 with size 3");
  EXPECT_THROW_WITH(x.gather(1, i64({-1, 0}, {1, 2})), IndexError,
                    "index -1 is out of bounds for dimension 1 with size 4");
  EXPECT_THROW_WITH(x.index_select(0, i64({0, 3}, {2})), IndexError,
                    "index_select: index 3 is out of bounds for dimension 0 with size 3");
  EXPECT_THROW_WITH(x.index_select(1, i64({-2}, {1})), IndexError, "index -2 is out of bounds");
  EXPECT_THROW_WITH(x.scatter(0, i64({3}, {1, 1}), ones({1, 1})), IndexError,
                    "index 3 is out of bounds for dimension 0 with size 3");
  EXPECT_THROW_WITH(scatter(x, 1, i64({-4}, {1, 1}), 1.0), IndexError, "index -4 is out of bounds");
  EXPECT_THROW_WITH(x.scatter_add(1, i64({0, 4}, {1, 2}), ones({1, 2})), IndexError, "index 4 is out of bounds");
  EXPECT_THROW_WITH(index_add(x, 0, i64({0, 9}, {2}), ones({2, 4})), IndexError, "index 9 is out of bounds");
  EXPECT_THROW_WITH(embedding(x, i64({1, 3}, {2})), IndexError, "index 3 is out of bounds for dimension 0 with size 3");
  EXPECT_THROW_WITH(scalar_tensor(1.0).gather(0, i64({1}, {1})), IndexError, "index 1 is out of bounds");
  // Nothing was written by a rejected in-place scatter.
  Tensor y = zeros({3});
  EXPECT_THROW(scatter_(y, 0, i64({0, 7}, {2}), ones({2})), IndexError);
  EXPECT_EQ(values(y), std::vector<double>(3, 0.0));
}

// On a GPU the kernel finds the bad index and the error is raised at the next
// synchronization (Note [Device-side index errors]); on the CPU at the op.
// Either way by the time the result reaches the host, with the message the
// CPU gives, and only once.
TEST_P(IndexingOnDevice, OutOfRangeIndicesRaiseByTheNextSynchronization) {
  const Device d = GetParam();
  Tensor x = zeros({3, 4}, TensorOptions(d));
  auto expect_index_error = [&](const std::function<Tensor()>& op, const std::string& message) {
    EXPECT_THROW_WITH(op().to(kCPU), IndexError, message);
    EXPECT_EQ(values(ones({2}, TensorOptions(d))), (std::vector<double>{1, 1}));  // reported once
  };
  expect_index_error([&] { return x.index_select(0, i64({0, 3}, {2}, d)); },
                     "index_select: index 3 is out of bounds for dimension 0 with size 3");
  expect_index_error([&] { return x.index_select(1, i64({-2}, {1}, d)); },
                     "index -2 is out of bounds for dimension 1 with size 4");
  expect_index_error([&] { return x.gather(0, i64({5, 0}, {1, 2}, d)); },
                     "gather: index 5 is out of bounds for dimension 0 with size 3");
  expect_index_error([&] { return x.scatter(0, i64({3}, {1, 1}, d), ones({1, 1}, TensorOptions(d))); },
                     "scatter: index 3 is out of bounds for dimension 0 with size 3");
  expect_index_error([&] { return x.scatter_add(1, i64({0, 4}, {1, 2}, d), ones({1, 2}, TensorOptions(d))); },
                     "index 4 is out of bounds for dimension 1 with size 4");
  expect_index_error([&] { return index_add(x, 0, i64({0, 9}, {2}, d), ones({2, 4}, TensorOptions(d))); },
                     "index_add: index 9 is out of bounds for dimension 0 with size 3");
  expect_index_error([&] { return embedding(x, i64({1, 3}, {2}, d)); },
                     "index 3 is out of bounds for dimension 0 with size 3");
  // Good indices after the errors: nothing pending.
  EXPECT_EQ(values(x.index_select(0, i64({2}, {1}, d))), std::vector<double>(4, 0.0));
}

// The index rule and the scatter combinations of backends/index_math.h, which
// both backends run, at their edges.
TEST(IndexMath, BoundsAndScatterCombine) {
  EXPECT_TRUE(kernels::index_in_bounds(0, 1));
  EXPECT_TRUE(kernels::index_in_bounds(4, 5));
  EXPECT_FALSE(kernels::index_in_bounds(5, 5));
  EXPECT_FALSE(kernels::index_in_bounds(-1, 5));
  EXPECT_FALSE(kernels::index_in_bounds(std::numeric_limits<int64_t>::min(), 5));
  EXPECT_FALSE(kernels::index_in_bounds(0, 0));
  EXPECT_EQ((kernels::scatter_combine<ScatterReduce::Add, uint8_t>(250, 10)), 4);  // wraps
  EXPECT_EQ((kernels::scatter_combine<ScatterReduce::Multiply, uint8_t>(16, 16)), 0);
  EXPECT_EQ((kernels::scatter_combine<ScatterReduce::Add, bool>(false, true)), true);
  EXPECT_EQ((kernels::scatter_combine<ScatterReduce::Multiply, bool>(true, false)), false);
  EXPECT_EQ((kernels::scatter_combine<ScatterReduce::None, double>(3.0, -1.5)), -1.5);
  EXPECT_EQ(kernels::arange_value<float>(0.0, 0.1, 3), static_cast<float>(0.0 + 3.0 * 0.1));
}

TEST(IndexingErrors, IndexDtype) {
  Tensor x = zeros({3, 4});
  Tensor fidx = zeros({1, 2});
  EXPECT_THROW_WITH(x.gather(0, fidx), TypeError, "gather: Expected dtype int64 (or int32) for index, but got an "
                                                  "index of dtype float32 and shape [1, 2]");
  EXPECT_THROW_WITH(x.index_select(0, zeros({2})), TypeError, "float32");
  EXPECT_THROW_WITH(x.scatter(0, zeros({1, 1}, TensorOptions(ScalarType::Bool)), ones({1, 1})), TypeError, "bool");
  EXPECT_THROW_WITH(index_add(x, 0, zeros({1}, TensorOptions(ScalarType::UInt8)), ones({1, 4})), TypeError, "uint8");
  EXPECT_THROW_WITH(embedding(x, zeros({2})), TypeError, "float32");
  EXPECT_THROW_WITH(one_hot(zeros({2})), TypeError, "one_hot is only applicable to index tensors");
}

TEST(IndexingErrors, ShapesAndDims) {
  Tensor x = zeros({3, 4});
  EXPECT_THROW_WITH(x.gather(0, i64({0}, {1})), ValueError,
                    "Index tensor must have the same number of dimensions as input tensor, but got index of shape [1] "
                    "and input of shape [3, 4]");
  EXPECT_THROW_WITH(x.gather(0, i64(std::vector<int64_t>(10, 0), {2, 5})), ValueError,
                    "gather(): Size does not match at dimension 1 expected index [2, 5] to be no larger than self "
                    "[3, 4] apart from dimension 0");
  EXPECT_THROW_WITH(x.gather(2, i64({0}, {1, 1})), IndexError, "Dimension out of range");
  EXPECT_THROW_WITH(x.scatter(0, i64({0}, {1}), ones({1})), ValueError,
                    "Index tensor must have the same number of dimensions as self tensor");
  EXPECT_THROW_WITH(x.scatter(0, i64({0, 0}, {1, 2}), ones({1})), ValueError,
                    "Index tensor must have the same number of dimensions as src tensor");
  EXPECT_THROW_WITH(x.scatter(0, i64({0, 0, 0}, {1, 3}), ones({1, 2})), ValueError,
                    "Expected index [1, 3] to be no larger than self [3, 4] apart from dimension 0 and to be no larger "
                    "than src [1, 2]");
  EXPECT_THROW_WITH(x.scatter(1, i64(std::vector<int64_t>(5, 0), {5, 1}), ones({5, 1})), ValueError,
                    "Expected index [5, 1] to be no larger than self [3, 4]");
  EXPECT_THROW_WITH(x.scatter(0, i64({0}, {1, 1}), ones({1, 1}, TensorOptions(ScalarType::Float64))), TypeError,
                    "Expected self.dtype to be equal to src.dtype, but got float32 and float64");
  EXPECT_THROW_WITH(x.index_select(0, i64({0, 0}, {1, 2})), ValueError,
                    "Index is supposed to be a vector, but got an index of shape [1, 2]");
  EXPECT_THROW_WITH(scalar_tensor(1.0).index_select(0, i64({0, 0}, {2})), IndexError, "can have only 1 value, got 2");
  EXPECT_THROW_WITH(index_add(x, 0, i64({0, 1}, {2}), ones({3, 4})), ValueError,
                    "Number of indices (2) should be equal to source.size(dim) (3)");
  EXPECT_THROW_WITH(index_add(x, 0, i64({0, 1}, {2}), ones({2, 5})), ValueError,
                    "source of shape [2, 5] and self of shape [3, 4] must match in every dimension but 0");
  EXPECT_THROW_WITH(index_add(x, 0, i64({0, 1}, {2}), ones({2, 4, 1})), ValueError, "same number of dimensions");
  EXPECT_THROW_WITH(index_add(x, 0, i64({0}, {1}), ones({1, 4}, TensorOptions(ScalarType::Float64))), TypeError,
                    "must have the same scalar type");
  EXPECT_THROW_WITH(masked_select(x, zeros({3, 4})), TypeError, "expected BoolTensor for mask");
  EXPECT_THROW_WITH(masked_select(x, zeros({2, 4}, TensorOptions(ScalarType::Bool))), ValueError, "[2, 4]");
  EXPECT_THROW_WITH(one_hot(i64({0, -1}, {2})), ValueError, "Class values must be non-negative, but got -1");
  EXPECT_THROW_WITH(one_hot(i64({0, 3}, {2}), 3), ValueError,
                    "Class values must be smaller than num_classes (3), but got 3");
  EXPECT_THROW_WITH(one_hot(i64({}, {0})), ValueError, "Can not infer total number of classes from empty tensor");
  EXPECT_THROW_WITH(one_hot(i64({0}, {1}), -2), ValueError, "num_classes");
  EXPECT_THROW_WITH(embedding(zeros({3}), i64({0}, {1})), ValueError, "'weight' must be 2-D, but got weight of shape [3]");
  EXPECT_THROW_WITH(embedding(x, i64({0}, {1}), 3), ValueError, "padding_idx must be within num_embeddings (3)");
}

TEST(IndexingErrors, InPlace) {
  Tensor a = leaf({3});
  EXPECT_THROW_WITH(scatter_(a, 0, i64({0}, {1}), leaf({1})), Error, "leaf Variable that requires grad");
  EXPECT_THROW_WITH(scatter_add_(zeros({1}).expand({3}), 0, i64({0}, {1}), ones({1})), Error,
                    "more than one element of the written-to tensor");
  // An index or source that shares memory with the target is refused, as in
  // PyTorch (Note [Overlapping in-place writes]); one whose overlap is too
  // hard to decide (expanded) is read before the write.
  Tensor t = i64({1, 0, 2}, {3});
  EXPECT_THROW_WITH(scatter_(t, 0, t, t), Error, "some elements of the input tensor and the written-to tensor");
  EXPECT_THROW_WITH(scatter_(t, 0, i64({1, 0}, {2}), t.narrow(0, 1, 2)), Error, "some elements of the input tensor");
  EXPECT_EQ(ivalues(t), (std::vector<int64_t>{1, 0, 2}));
  scatter_(t, 0, i64({1, 0, 2}, {3}), t.narrow(0, 0, 1).expand({3}));
  EXPECT_EQ(ivalues(t), (std::vector<int64_t>{1, 1, 1}));
}
