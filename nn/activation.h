// Activation layers and Dropout. With inplace, the input tensor is
// overwritten by the result (which is returned), as in PyTorch.
#pragma once

#include <optional>
#include <string>

#include "nn/module.h"

namespace wick::nn {

class ReLU : public Module {
 public:
  explicit ReLU(bool inplace = false) : inplace(inplace) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override { return inplace ? "inplace=True" : ""; }
  bool inplace;
};

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double negative_slope = 0.01, bool inplace = false)
      : negative_slope(negative_slope), inplace(inplace) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  double negative_slope;
  bool inplace;
};

// approximate: "none" (exact, with erf) or "tanh".
class GELU : public Module {
 public:
  explicit GELU(std::string approximate = "none");
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override { return "approximate='" + approximate + "'"; }
  std::string approximate;
};

class SiLU : public Module {
 public:
  explicit SiLU(bool inplace = false) : inplace(inplace) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override { return inplace ? "inplace=True" : ""; }
  bool inplace;
};

class Tanh : public Module {
 public:
  Tensor forward(const Tensor& input);
};

class Sigmoid : public Module {
 public:
  Tensor forward(const Tensor& input);
};

// Without a dim, PyTorch's legacy choice: dim 0 for 0-, 1- and 3-D inputs, else 1.
class Softmax : public Module {
 public:
  explicit Softmax(std::optional<int64_t> dim = {}) : dim(dim) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  std::optional<int64_t> dim;
};

class LogSoftmax : public Module {
 public:
  explicit LogSoftmax(std::optional<int64_t> dim = {}) : dim(dim) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  std::optional<int64_t> dim;
};

// Zeroes each element with probability p in training mode (scaling the rest
// by 1 / (1 - p)); the identity in eval mode.
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5, bool inplace = false);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  double p;
  bool inplace;
};

}  // namespace wick::nn
