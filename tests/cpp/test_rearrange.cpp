// flip, roll, tril, triu, diagonal and trace (ops/rearrange.h, ops/view.h):
// values against index arithmetic, gradients against float64 finite
// differences on several layouts, on each device; errors.
#include <gtest/gtest.h>

#include <functional>
#include <string_view>

#include "test_util.h"
#include "wick.h"

using namespace wick;
using wick::testing::leaf;
using wick::testing::noncontiguous_leaf;

namespace {

class RearrangeOnDevice : public wick::testing::OnEachDevice {};
WICK_ON_EACH_DEVICE(RearrangeOnDevice);

std::vector<int64_t> ints(const Tensor& t) { return t.cpu().to_vector<int64_t>(); }

}  // namespace

TEST_P(RearrangeOnDevice, Values) {
  const Tensor x = arange(6).view({2, 3}).to(device());  // [[0, 1, 2], [3, 4, 5]]
  EXPECT_EQ(ints(flip(x, {0})), (std::vector<int64_t>{3, 4, 5, 0, 1, 2}));
  EXPECT_EQ(ints(flip(x, {-1, 0})), (std::vector<int64_t>{5, 4, 3, 2, 1, 0}));
  EXPECT_EQ(ints(roll(x, {1}, {1})), (std::vector<int64_t>{2, 0, 1, 5, 3, 4}));
  EXPECT_EQ(ints(roll(x, {-1, 1}, {1, 0})), (std::vector<int64_t>{4, 5, 3, 1, 2, 0}));
  EXPECT_EQ(ints(roll(x, {2})), (std::vector<int64_t>{4, 5, 0, 1, 2, 3}));  // flattened, shape kept
  EXPECT_EQ(roll(x, {2}).sizes(), IntArrayRef({2, 3}));
  EXPECT_EQ(ints(roll(x, {7}, {1})), ints(roll(x, {1}, {1})));  // shifts wrap
  EXPECT_EQ(ints(tril(x)), (std::vector<int64_t>{0, 0, 0, 3, 4, 0}));
  EXPECT_EQ(ints(tril(x, 1)), (std::vector<int64_t>{0, 1, 0, 3, 4, 5}));
  EXPECT_EQ(ints(triu(x)), (std::vector<int64_t>{0, 1, 2, 0, 4, 5}));
  EXPECT_EQ(ints(triu(x, -1)), (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(ints(triu(x, 3)), (std::vector<int64_t>{0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(tril(ones({2, 2}, ScalarType::Bool).to(device())).dtype(), ScalarType::Bool);
  // Batched: every matrix of the last two dims.
  EXPECT_EQ(ints(tril(arange(8).view({2, 2, 2}).to(device()))), (std::vector<int64_t>{0, 0, 2, 3, 4, 0, 6, 7}));
  EXPECT_EQ(ints(diagonal(x)), (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(ints(diagonal(x, 1)), (std::vector<int64_t>{1, 5}));
  EXPECT_EQ(ints(diagonal(x, -1)), (std::vector<int64_t>{3}));
  EXPECT_EQ(diagonal(x, 3).numel(), 0);
  EXPECT_EQ(diagonal(x, -2).numel(), 0);
  const Tensor cube = arange(24).view({2, 3, 4}).to(device());
  EXPECT_EQ(diagonal(cube, 0, 1, 2).sizes(), IntArrayRef({2, 3}));
  EXPECT_EQ(ints(diagonal(cube, 0, 1, 2)), (std::vector<int64_t>{0, 5, 10, 12, 17, 22}));
  EXPECT_EQ(ints(diagonal(cube, 1, 2, 0)), (std::vector<int64_t>{12, 16, 20}));  // rows from dim 2, columns dim 0
  EXPECT_EQ(trace(x).item<int64_t>(), 4);
  EXPECT_EQ(trace(arange(9.0).view({3, 3}).to(device())).item<float>(), 12.0f);
}

// repeat and tile always make a new tensor (the API fuzzer found a 0-dim self's tile to be a stride-0 view).
TEST_P(RearrangeOnDevice, RepeatAndTileNeverAlias) {
  const Tensor scalar = tensor({3.0}, TensorOptions().device(device())).view({});
  const Tensor tiled = tile(scalar, {4});
  EXPECT_EQ(tiled.strides()[0], 1);
  tiled.fill_(1);
  EXPECT_EQ(scalar.item<double>(), 3.0);
  const Tensor m = ones({2, 3}, TensorOptions().device(device()));
  const Tensor same = repeat(m, {1, 1});
  EXPECT_NE(same.raw_data(), m.raw_data());
  same.fill_(0);
  EXPECT_EQ(m.sum().item<double>(), 6.0);
  EXPECT_THROW_WITH(repeat(m, {int64_t{1} << 62, 1}), ValueError, "make a size past int64");
}

TEST_P(RearrangeOnDevice, DiagonalIsAViewThatWritesThrough) {
  Tensor m = zeros({3, 3}).to(device());
  diagonal(m).fill_(1);
  EXPECT_EQ(m.cpu().to_vector<float>(), eye(3).to_vector<float>());
  Tensor t = arange(9.0).view({3, 3}).t().to(device());  // a transposed input
  EXPECT_EQ(diagonal(t, 1).cpu().to_vector<float>(), (std::vector<float>{3, 7}));
}

TEST_P(RearrangeOnDevice, Gradcheck) {
  manual_seed(0);
  const Device d = device();
  using Fn = std::function<Tensor(const Tensor&)>;
  const std::vector<std::pair<const char*, Fn>> cases = {
      {"flip", [](const Tensor& x) { return flip(x, {0, 1}); }},
      {"flip_last", [](const Tensor& x) { return flip(x, {-1}); }},
      {"roll", [](const Tensor& x) { return roll(x, {1, -2}, {0, 1}); }},
      {"roll_flat", [](const Tensor& x) { return roll(x, {5}); }},
      {"tril", [](const Tensor& x) { return tril(x, -1); }},
      {"triu", [](const Tensor& x) { return triu(x, 1); }},
      {"diagonal", [](const Tensor& x) { return diagonal(x, 1); }},
      {"diagonal_below", [](const Tensor& x) { return diagonal(x, -1, 1, 0); }},
      {"trace", [](const Tensor& x) { return trace(x); }},
      {"twice", [](const Tensor& x) { return mul(tril(flip(x, {1})), roll(x, {1}, {0})); }},
  };
  for (const auto& [name, fn] : cases) {
    SCOPED_TRACE(name);
    const Fn f1 = fn;
    auto f = [&](const TensorList& in) { return f1(in[0]); };
    EXPECT_TRUE(gradcheck(f, {leaf({3, 4}, -1, 1, d)}));
    EXPECT_TRUE(gradcheck(f, {noncontiguous_leaf({3, 4}, -1, 1, d)}));
    EXPECT_TRUE(gradcheck(f, {leaf({0, 3}, -1, 1, d)}));
    // Differentiable again: the gradient of <f(x), w> (built with create_graph) checked in turn,
    // where it depends on x (the ops are linear, so only through a product).
    if (std::string_view(name) != "twice") continue;
    const Tensor w = leaf({3, 3}, -1, 1, d).detach();
    auto grad_of_f = [&](const TensorList& in) {
      // gradcheck's finite differences call this without grad mode, on inputs that need none.
      EnableGradGuard enable;
      const Tensor x = in[0].requires_grad() ? in[0] : in[0].detach().requires_grad_(true);
      const Tensor y = f1(x);
      return autograd::grad({sum(mul(y, w))}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
    };
    EXPECT_TRUE(gradcheck(grad_of_f, {leaf({3, 3}, -1, 1, d)}));
  }
}

TEST(Rearrange, Errors) {
  EXPECT_THROW_WITH(flip(ones({2, 2}), {0, -2}), ValueError, "appears multiple times");
  EXPECT_THROW_WITH(flip(ones({2, 2}), {2}), IndexError, "");
  EXPECT_THROW_WITH(roll(ones({2, 2}), {1, 1}, {0}), ValueError, "shifts and dimensions must align");
  EXPECT_THROW_WITH(roll(ones({2, 2}), {}, {}), ValueError, "`shifts` required");
  EXPECT_THROW_WITH(tril(ones({3})), ValueError, "at least 2 dimensions");
  EXPECT_THROW_WITH(triu(ones({3})), ValueError, "at least 2 dimensions");
  EXPECT_THROW_WITH(diagonal(ones({2, 2}), 0, 1, -1), ValueError, "cannot be identical");
  EXPECT_THROW_WITH(diagonal(ones({2})), ValueError, "at least 2 dimensions");
  EXPECT_THROW_WITH(trace(ones({2, 2, 2})), ValueError, "expected a matrix");
  EXPECT_EQ(flip(scalar_tensor(3.0), {0}).item<float>(), 3.0f);
  EXPECT_EQ(flip(ones({2}), {}).sizes(), IntArrayRef({2}));
}

// The ops made of views, expand, copies and pointwise ops: values and float64 gradients on each device.
TEST_P(RearrangeOnDevice, ComposedOps) {
  const Device d = device();
  const Tensor x = arange(6).view({2, 3}).to(d);  // [[0, 1, 2], [3, 4, 5]]
  EXPECT_EQ(ints(repeat(x, {1, 2})), (std::vector<int64_t>{0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5}));
  EXPECT_EQ(repeat(x, {2, 1, 1}).sizes(), IntArrayRef({2, 2, 3}));
  EXPECT_EQ(tile(x, {2}).sizes(), IntArrayRef({2, 6}));
  EXPECT_EQ(ints(repeat_interleave(x, 2, 1)).at(1), 0);
  EXPECT_EQ(ints(repeat_interleave(x, from_vector<int64_t>({0, 2}, {2}).to(d), 0)),
            (std::vector<int64_t>{3, 4, 5, 3, 4, 5}));
  EXPECT_EQ(ints(repeat_interleave(from_vector<int64_t>({2, 0, 1}, {3}))), (std::vector<int64_t>{0, 0, 2}));
  EXPECT_EQ(ints(diag(x, 1)), (std::vector<int64_t>{1, 5}));
  EXPECT_EQ(ints(diag(arange(2).to(d))), (std::vector<int64_t>{0, 0, 0, 1}));
  EXPECT_EQ(diag_embed(x).sizes(), IntArrayRef({2, 3, 3}));
  EXPECT_EQ(movedim(zeros({2, 3, 4}), {0}, {2}).sizes(), IntArrayRef({3, 4, 2}));
  EXPECT_EQ(ints(rot90(x)), (std::vector<int64_t>{2, 5, 1, 4, 0, 3}));
  EXPECT_EQ(ints(diff(x, 1, 0)), (std::vector<int64_t>{3, 3, 3}));
  EXPECT_EQ(ints(block_diag({x, arange(1).to(d)})).size(), 3u * 4u);
  EXPECT_EQ(ints(cartesian_prod({arange(2).to(d), arange(2).to(d)})), (std::vector<int64_t>{0, 0, 0, 1, 1, 0, 1, 1}));
  EXPECT_EQ(meshgrid({arange(2).to(d), arange(3).to(d)}, "xy")[0].sizes(), IntArrayRef({3, 2}));
  EXPECT_EQ(hstack({x, x}).sizes(), IntArrayRef({2, 6}));
  EXPECT_EQ(vstack({arange(3).to(d), arange(3).to(d)}).sizes(), IntArrayRef({2, 3}));
  EXPECT_EQ(ints(tril_indices(2, 2)), (std::vector<int64_t>{0, 1, 1, 0, 0, 1}));
  EXPECT_EQ(ints(triu_indices(2, 3, 1)), (std::vector<int64_t>{0, 0, 1, 1, 2, 2}));

  manual_seed(0);
  using Fn = std::function<Tensor(const Tensor&)>;
  const std::vector<std::pair<const char*, Fn>> cases = {
      {"repeat", [](const Tensor& t) { return repeat(t, {2, 1, 2}); }},
      {"tile", [](const Tensor& t) { return tile(t, {3}); }},
      {"repeat_interleave", [](const Tensor& t) { return repeat_interleave(t, 2, 0); }},
      {"repeat_interleave_counts",
       [](const Tensor& t) { return repeat_interleave(t, from_vector<int64_t>({2, 0, 1, 1}, {4}).to(t.device()), 1); }},
      {"diag", [](const Tensor& t) { return diag(t, -1); }},
      {"diag_vector", [](const Tensor& t) { return diag(select(t, 0, 1), 1); }},
      {"diag_embed", [](const Tensor& t) { return diag_embed(t, -1); }},
      {"movedim", [](const Tensor& t) { return movedim(t, {0}, {1}); }},
      {"rot90", [](const Tensor& t) { return rot90(t, 3); }},
      {"diff", [](const Tensor& t) { return diff(t, 2, 1, t); }},
      {"block_diag", [](const Tensor& t) { return block_diag({t, select(t, 1, 0)}); }},
      {"cartesian_prod", [](const Tensor& t) { return cartesian_prod({select(t, 0, 0), select(t, 0, 2)}); }},
      {"lerp", [](const Tensor& t) { return lerp(t, mul(t, t), 0.75); }},
      {"lerp_tensor", [](const Tensor& t) { return lerp(t, flip(t, {0}), sigmoid(t)); }},
      {"addcmul", [](const Tensor& t) { return addcmul(t, t, exp(t), 0.5); }},
      {"addcdiv", [](const Tensor& t) { return addcdiv(t, t, add(exp(t), 1.0), -2); }},
      {"nan_to_num", [](const Tensor& t) { return nan_to_num(log(t), 0.5, 2.0, -2.0); }},
  };
  for (const auto& [name, fn] : cases) {
    SCOPED_TRACE(name);
    const Fn f1 = fn;
    auto f = [&](const TensorList& in) { return f1(in[0]); };
    EXPECT_TRUE(gradcheck(f, {leaf({3, 4}, -1, 1, d)}));
    EXPECT_TRUE(gradcheck(f, {noncontiguous_leaf({3, 4}, -1, 1, d)}));
  }
}
