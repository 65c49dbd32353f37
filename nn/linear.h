// Linear maps and shape adapters: Identity, Linear, Bilinear, Flatten, Unflatten.
#pragma once

#include <vector>

#include "nn/module.h"

namespace wick::nn {

// Returns its input.
class Identity : public Module {
 public:
  Tensor forward(const Tensor& input) { return input; }
};

// y = x W^T + b, weight [out_features, in_features], bias [out_features].
// Initialised as PyTorch: W ~ kaiming_uniform(a = sqrt(5)), b ~ U(-1/sqrt(in), 1/sqrt(in)).
class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& input);
  void reset_parameters();
  std::string extra_repr() const override;

  int64_t in_features, out_features;
  Tensor weight, bias;
};

// y[.., o] = x1 W[o] x2 + b[o], weight [out, in1, in2], bias [out]; both
// initialised U(-1/sqrt(in1), 1/sqrt(in1)).
class Bilinear : public Module {
 public:
  Bilinear(int64_t in1_features, int64_t in2_features, int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& input1, const Tensor& input2);
  void reset_parameters();
  std::string extra_repr() const override;

  int64_t in1_features, in2_features, out_features;
  Tensor weight, bias;
};

// Flattens dims start_dim..end_dim into one.
class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1) : start_dim(start_dim), end_dim(end_dim) {}
  Tensor forward(const Tensor& input) { return input.flatten(start_dim, end_dim); }
  std::string extra_repr() const override;

  int64_t start_dim, end_dim;
};

// Splits dim `dim` into unflattened_size.
class Unflatten : public Module {
 public:
  Unflatten(int64_t dim, std::vector<int64_t> unflattened_size);
  Tensor forward(const Tensor& input) { return input.unflatten(dim, unflattened_size); }
  std::string extra_repr() const override;

  int64_t dim;
  std::vector<int64_t> unflattened_size;
};

}  // namespace wick::nn
