#include "nn/activation.h"

#include "autograd/function.h"
#include "ops/dropout.h"
#include "ops/elementwise.h"
#include "ops/softmax.h"

namespace wick::nn {

namespace {

// Writes f(input) into input and returns it. When autograd records, f reads
// a copy, so the backward of f still finds the original values.
template <typename F>
Tensor apply_inplace(const Tensor& input, F f) {
  if (needs_grad(input)) return input.copy_(f(input.clone()));
  return input.copy_(f(input));
}

int64_t legacy_softmax_dim(const Tensor& input) {
  const int64_t ndim = input.dim();
  return ndim == 0 || ndim == 1 || ndim == 3 ? 0 : 1;
}

}  // namespace

Tensor ReLU::forward(const Tensor& input) { return inplace ? input.relu_() : relu(input); }

Tensor LeakyReLU::forward(const Tensor& input) {
  auto f = [this](const Tensor& x) { return leaky_relu(x, negative_slope); };
  return inplace ? apply_inplace(input, f) : f(input);
}

std::string LeakyReLU::extra_repr() const {
  return "negative_slope=" + repr_float(negative_slope) + (inplace ? ", inplace=True" : "");
}

GELU::GELU(std::string approximate) : approximate(std::move(approximate)) {
  WICK_CHECK(this->approximate == "none" || this->approximate == "tanh", ValueError,
             "GELU: approximate must be 'none' or 'tanh', got '", this->approximate, "'");
}

Tensor GELU::forward(const Tensor& input) { return gelu(input, approximate); }

Tensor SiLU::forward(const Tensor& input) {
  return inplace ? apply_inplace(input, [](const Tensor& x) { return silu(x); }) : silu(input);
}

Tensor Tanh::forward(const Tensor& input) { return tanh(input); }
Tensor Sigmoid::forward(const Tensor& input) { return sigmoid(input); }

Tensor Softmax::forward(const Tensor& input) { return softmax(input, dim.value_or(legacy_softmax_dim(input))); }
std::string Softmax::extra_repr() const { return "dim=" + (dim ? std::to_string(*dim) : std::string("None")); }

Tensor LogSoftmax::forward(const Tensor& input) {
  return log_softmax(input, dim.value_or(legacy_softmax_dim(input)));
}
std::string LogSoftmax::extra_repr() const { return "dim=" + (dim ? std::to_string(*dim) : std::string("None")); }

Dropout::Dropout(double p, bool inplace) : p(p), inplace(inplace) {
  WICK_CHECK(p >= 0 && p <= 1, ValueError, "dropout probability has to be between 0 and 1, but got ", p);
}

Tensor Dropout::forward(const Tensor& input) {
  return inplace ? dropout_(input, p, training_) : dropout(input, p, training_);
}

std::string Dropout::extra_repr() const { return "p=" + repr_float(p) + ", inplace=" + repr_bool(inplace); }

}  // namespace wick::nn
