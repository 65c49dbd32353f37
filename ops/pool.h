// Pooling over the last two dims of [N, C, H, W] or [C, H, W] inputs.
// An empty stride means stride = kernel_size, as in PyTorch.
#pragma once

#include <optional>

#include "core/tensor.h"

namespace wick {

struct ValuesIndices;

Tensor max_pool2d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride = {},
                  IntArrayRef padding = {0, 0}, IntArrayRef dilation = {1, 1}, bool ceil_mode = false);
// Values and the flat h * W + w position of each maximum in its input plane.
ValuesIndices max_pool2d_with_indices(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride = {},
                                      IntArrayRef padding = {0, 0}, IntArrayRef dilation = {1, 1},
                                      bool ceil_mode = false);
Tensor avg_pool2d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride = {},
                  IntArrayRef padding = {0, 0}, bool ceil_mode = false, bool count_include_pad = true,
                  std::optional<int64_t> divisor_override = {});
Tensor adaptive_avg_pool2d(const Tensor& input, IntArrayRef output_size);

}  // namespace wick
