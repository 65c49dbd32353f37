// Normalization layers: BatchNorm1d/2d, LayerNorm, GroupNorm.
#pragma once

#include <optional>
#include <vector>

#include "nn/module.h"

namespace wick::nn {

struct BatchNormOptions {
  double eps = 1e-5;
  // The weight of each new batch in the running statistics; nullopt for a
  // cumulative average over all batches seen.
  std::optional<double> momentum = 0.1;
  bool affine = true;  // learnable weight (ones) and bias (zeros)
  bool track_running_stats = true;
};

// Batch normalization over the channel dim 1. Buffers running_mean (zeros),
// running_var (ones) and num_batches_tracked (int64 0) when tracking stats;
// training mode normalizes with batch statistics and updates the running
// ones, eval mode uses the running ones.
class BatchNormBase : public Module {
 public:
  Tensor forward(const Tensor& input);
  void reset_running_stats();
  void reset_parameters();
  std::string extra_repr() const override;

  int64_t num_features;
  BatchNormOptions options;
  Tensor weight, bias, running_mean, running_var, num_batches_tracked;

 protected:
  BatchNormBase(int64_t num_features, BatchNormOptions options);
  virtual void check_input_dim(const Tensor& input) const = 0;
};

// Input [N, C] or [N, C, L].
class BatchNorm1d : public BatchNormBase {
 public:
  explicit BatchNorm1d(int64_t num_features, BatchNormOptions options = {}) : BatchNormBase(num_features, options) {}

 protected:
  void check_input_dim(const Tensor& input) const override;
};

// Input [N, C, H, W].
class BatchNorm2d : public BatchNormBase {
 public:
  explicit BatchNorm2d(int64_t num_features, BatchNormOptions options = {}) : BatchNormBase(num_features, options) {}

 protected:
  void check_input_dim(const Tensor& input) const override;
};

// Normalizes over the last normalized_shape.size() dims; weight and bias
// (ones, zeros) of normalized_shape when elementwise_affine.
class LayerNorm : public Module {
 public:
  explicit LayerNorm(IntArrayRef normalized_shape, double eps = 1e-5, bool elementwise_affine = true);
  Tensor forward(const Tensor& input);
  void reset_parameters();
  std::string extra_repr() const override;

  std::vector<int64_t> normalized_shape;
  double eps;
  bool elementwise_affine;
  Tensor weight, bias;
};

// Normalizes each of num_groups groups of channels; weight and bias [num_channels].
class GroupNorm : public Module {
 public:
  GroupNorm(int64_t num_groups, int64_t num_channels, double eps = 1e-5, bool affine = true);
  Tensor forward(const Tensor& input);
  void reset_parameters();
  std::string extra_repr() const override;

  int64_t num_groups, num_channels;
  double eps;
  bool affine;
  Tensor weight, bias;
};

}  // namespace wick::nn
