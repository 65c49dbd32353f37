// The worked examples of the documents wick was born from (../shared/seeds).
#include <gtest/gtest.h>

#include "wick.h"

using namespace wick;

// seeds 001: e = (a + b) * (b + 1) at a = 2, b = 1.
TEST(Seeds, ChainRuleThroughSharedInput) {
  Tensor a = tensor({2.0}).requires_grad_();
  Tensor b = tensor({1.0}).requires_grad_();
  Tensor c = a + b;
  Tensor d = b + 1;
  Tensor e = c * d;
  c.retain_grad();
  d.retain_grad();
  e.retain_grad();
  e.backward();
  EXPECT_DOUBLE_EQ(a.grad().item<double>(), 2.0);
  EXPECT_DOUBLE_EQ(b.grad().item<double>(), 5.0);
  EXPECT_DOUBLE_EQ(c.grad().item<double>(), 2.0);
  EXPECT_DOUBLE_EQ(d.grad().item<double>(), 3.0);
  EXPECT_DOUBLE_EQ(e.grad().item<double>(), 1.0);
  EXPECT_EQ(e.grad_fn()->name(), "MulBackward0");
  EXPECT_EQ(c.grad_fn()->name(), "AddBackward0");
}

// seeds 000 / 002: f(x) = x^2 + 2x - 5 has gradient 8 at x = 3.
TEST(Seeds, PolynomialGradient) {
  Tensor x = tensor({3.0}).requires_grad_();
  Tensor f = x.pow(2) + x * 2 - 5;
  f.backward();
  EXPECT_DOUBLE_EQ(x.grad().item<double>(), 8.0);
}

// seeds 002: grad of mean(x^2) is 2x/n, and accumulates on a second backward.
TEST(Seeds, MeanOfSquaresAccumulates) {
  Tensor x = tensor({1.0, 2.0, 3.0, 4.0}).requires_grad_();
  Tensor y = (x * x).mean();
  y.backward({}, /*retain_graph=*/true);
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{0.5f, 1.0f, 1.5f, 2.0f}));
  y.backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{1.0f, 2.0f, 3.0f, 4.0f}));
  x.grad().zero_();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{0, 0, 0, 0}));
}
