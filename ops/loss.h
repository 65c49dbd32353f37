// Loss functions, with PyTorch's arguments, defaults and shapes.
//
// Inputs are [N, C] or [N, C, d1, d2, ...] (or [C] unbatched) for the
// classification losses, any matching shapes for the regression losses.
#pragma once

#include <optional>
#include <string_view>

#include "core/reduction.h"
#include "core/tensor.h"

namespace wick {

// Reduction (None, Mean, Sum): core/reduction.h.
// "none" | "mean" | "sum"; ValueError for anything else.
Reduction reduction_from_string(std::string_view s);

// target: class indices (int64, shape input.shape without the C dim) or, for
// cross_entropy only, class probabilities (input's shape and dtype).
// weight: a [C] rescaling of each class. Targets equal to ignore_index add
// nothing and do not count in the mean.
Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                Reduction reduction = Reduction::Mean, int64_t ignore_index = -100);
Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                     Reduction reduction = Reduction::Mean, int64_t ignore_index = -100,
                     double label_smoothing = 0.0);
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
                      double beta = 1.0);
// input: probabilities in [0, 1]; log terms are clamped at -100 as in PyTorch.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                            Reduction reduction = Reduction::Mean);
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                                        Reduction reduction = Reduction::Mean, const Tensor& pos_weight = {});

}  // namespace wick
