#include "nn/linear.h"

#include <cmath>

#include "nn/init.h"
#include "ops/creation.h"
#include "ops/linalg.h"

namespace wick::nn {

namespace {

void check_positive(int64_t v, const char* module, const char* what) {
  WICK_CHECK(v >= 0, ValueError, module, ": ", what, " must be non-negative, got ", v);
}

}  // namespace

Linear::Linear(int64_t in_features, int64_t out_features, bool bias)
    : in_features(in_features), out_features(out_features) {
  check_positive(in_features, "Linear", "in_features");
  check_positive(out_features, "Linear", "out_features");
  weight = register_parameter("weight", wick::empty({out_features, in_features}));
  this->bias = register_parameter("bias", bias ? wick::empty({out_features}) : Tensor());
  reset_parameters();
}

void Linear::reset_parameters() {
  // kaiming_uniform_ with a = sqrt(5) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const int64_t fan_in = init::calculate_fan_in_and_fan_out(weight).first;
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

Tensor Linear::forward(const Tensor& input) { return linear(input, weight, bias); }

std::string Linear::extra_repr() const {
  return "in_features=" + std::to_string(in_features) + ", out_features=" + std::to_string(out_features) +
         ", bias=" + repr_bool(bias.defined());
}

Bilinear::Bilinear(int64_t in1_features, int64_t in2_features, int64_t out_features, bool bias)
    : in1_features(in1_features), in2_features(in2_features), out_features(out_features) {
  check_positive(in1_features, "Bilinear", "in1_features");
  check_positive(in2_features, "Bilinear", "in2_features");
  check_positive(out_features, "Bilinear", "out_features");
  weight = register_parameter("weight", wick::empty({out_features, in1_features, in2_features}));
  this->bias = register_parameter("bias", bias ? wick::empty({out_features}) : Tensor());
  reset_parameters();
}

void Bilinear::reset_parameters() {
  const double bound = in1_features > 0 ? 1.0 / std::sqrt(static_cast<double>(in1_features)) : 0.0;
  init::uniform_(weight, -bound, bound);
  if (bias.defined()) init::uniform_(bias, -bound, bound);
}

Tensor Bilinear::forward(const Tensor& input1, const Tensor& input2) {
  return bilinear(input1, input2, weight, bias);
}

std::string Bilinear::extra_repr() const {
  return "in1_features=" + std::to_string(in1_features) + ", in2_features=" + std::to_string(in2_features) +
         ", out_features=" + std::to_string(out_features) + ", bias=" + repr_bool(bias.defined());
}

std::string Flatten::extra_repr() const {
  return "start_dim=" + std::to_string(start_dim) + ", end_dim=" + std::to_string(end_dim);
}

Unflatten::Unflatten(int64_t dim, std::vector<int64_t> unflattened_size)
    : dim(dim), unflattened_size(std::move(unflattened_size)) {
  WICK_CHECK(!this->unflattened_size.empty(), ValueError, "Unflatten: unflattened_size must be non-empty");
}

std::string Unflatten::extra_repr() const {
  return "dim=" + std::to_string(dim) + ", unflattened_size=" + repr_tuple(unflattened_size);
}

}  // namespace wick::nn
