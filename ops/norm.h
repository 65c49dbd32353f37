// Normalization layers' functions.
#pragma once

#include "core/tensor.h"

namespace wick {

// input [N, C, *]; running_mean/var [C] (may be undefined). In training, uses
// the batch statistics and updates the running ones in place
// (running = (1 - momentum) * running + momentum * batch, unbiased variance);
// otherwise normalizes with the running statistics.
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = {}, const Tensor& bias = {}, bool training = false, double momentum = 0.1,
                  double eps = 1e-5);
// Normalizes over the last normalized_shape.size() dims.
Tensor layer_norm(const Tensor& input, IntArrayRef normalized_shape, const Tensor& weight = {},
                  const Tensor& bias = {}, double eps = 1e-5);
// input [N, C, *], C divisible by num_groups; weight/bias [C].
Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight = {}, const Tensor& bias = {},
                  double eps = 1e-5);

}  // namespace wick
