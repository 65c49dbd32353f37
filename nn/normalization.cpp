#include "nn/normalization.h"

#include "autograd/grad_mode.h"
#include "nn/init.h"
#include "ops/creation.h"
#include "ops/norm.h"

namespace wick::nn {

BatchNormBase::BatchNormBase(int64_t num_features, BatchNormOptions options)
    : num_features(num_features), options(options) {
  WICK_CHECK(num_features > 0, ValueError, "BatchNorm: num_features must be positive, got ", num_features);
  weight = register_parameter("weight", options.affine ? wick::empty({num_features}) : Tensor());
  bias = register_parameter("bias", options.affine ? wick::empty({num_features}) : Tensor());
  if (options.track_running_stats) {
    running_mean = register_buffer("running_mean", zeros({num_features}));
    running_var = register_buffer("running_var", ones({num_features}));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, ScalarType::Int64));
  } else {
    register_buffer("running_mean", Tensor());
    register_buffer("running_var", Tensor());
    register_buffer("num_batches_tracked", Tensor());
  }
  reset_parameters();
}

void BatchNormBase::reset_running_stats() {
  if (!options.track_running_stats) return;
  NoGradGuard no_grad;
  running_mean.zero_();
  running_var.fill_(1);
  num_batches_tracked.zero_();
}

void BatchNormBase::reset_parameters() {
  reset_running_stats();
  if (options.affine) {
    init::ones_(weight);
    init::zeros_(bias);
  }
}

Tensor BatchNormBase::forward(const Tensor& input) {
  check_input_dim(input);
  double average_factor = options.momentum.value_or(0.0);
  if (training_ && options.track_running_stats) {
    num_batches_tracked.add_(1);
    // Without a momentum, a cumulative average: batch k weighs 1/k.
    if (!options.momentum) average_factor = 1.0 / num_batches_tracked.item<double>();
  }
  // Eval mode still uses batch statistics when there are no running ones.
  const bool use_batch_stats = training_ || !running_mean.defined();
  const bool pass_running = !training_ || options.track_running_stats;
  return batch_norm(input, pass_running ? running_mean : Tensor(), pass_running ? running_var : Tensor(), weight,
                    bias, use_batch_stats, average_factor, options.eps);
}

std::string BatchNormBase::extra_repr() const {
  return std::to_string(num_features) + ", eps=" + repr_float(options.eps) +
         ", momentum=" + (options.momentum ? repr_float(*options.momentum) : "None") +
         ", affine=" + repr_bool(options.affine) + ", track_running_stats=" + repr_bool(options.track_running_stats);
}

void BatchNorm1d::check_input_dim(const Tensor& input) const {
  WICK_CHECK(input.dim() == 2 || input.dim() == 3, ValueError, "expected 2D or 3D input (got ", input.dim(),
             "D input)");
}

void BatchNorm2d::check_input_dim(const Tensor& input) const {
  WICK_CHECK(input.dim() == 4, ValueError, "expected 4D input (got ", input.dim(), "D input)");
}

LayerNorm::LayerNorm(IntArrayRef normalized_shape, double eps, bool elementwise_affine)
    : normalized_shape(normalized_shape.vec()), eps(eps), elementwise_affine(elementwise_affine) {
  weight = register_parameter("weight", elementwise_affine ? wick::empty(this->normalized_shape) : Tensor());
  bias = register_parameter("bias", elementwise_affine ? wick::empty(this->normalized_shape) : Tensor());
  reset_parameters();
}

void LayerNorm::reset_parameters() {
  if (!elementwise_affine) return;
  init::ones_(weight);
  init::zeros_(bias);
}

Tensor LayerNorm::forward(const Tensor& input) { return layer_norm(input, normalized_shape, weight, bias, eps); }

std::string LayerNorm::extra_repr() const {
  return repr_tuple(normalized_shape) + ", eps=" + repr_float(eps) +
         ", elementwise_affine=" + repr_bool(elementwise_affine);
}

GroupNorm::GroupNorm(int64_t num_groups, int64_t num_channels, double eps, bool affine)
    : num_groups(num_groups), num_channels(num_channels), eps(eps), affine(affine) {
  WICK_CHECK(num_groups > 0, ValueError, "GroupNorm: num_groups must be positive, got ", num_groups);
  WICK_CHECK(num_channels % num_groups == 0, ValueError, "num_channels must be divisible by num_groups (",
             num_channels, " % ", num_groups, " != 0)");
  weight = register_parameter("weight", affine ? wick::empty({num_channels}) : Tensor());
  bias = register_parameter("bias", affine ? wick::empty({num_channels}) : Tensor());
  reset_parameters();
}

void GroupNorm::reset_parameters() {
  if (!affine) return;
  init::ones_(weight);
  init::zeros_(bias);
}

Tensor GroupNorm::forward(const Tensor& input) { return group_norm(input, num_groups, weight, bias, eps); }

std::string GroupNorm::extra_repr() const {
  return std::to_string(num_groups) + ", " + std::to_string(num_channels) + ", eps=" + repr_float(eps) +
         ", affine=" + repr_bool(affine);
}

}  // namespace wick::nn
