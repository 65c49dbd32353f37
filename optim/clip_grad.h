// Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_
// (libtorch spells them torch::nn::utils::...; so does wick).
//
//   loss.backward();
//   nn::utils::clip_grad_norm_(model.parameters(), 1.0);
//   opt.step();
#pragma once

#include <vector>

#include "core/tensor.h"

namespace wick::nn::utils {

// Scales the gradients of `parameters` in place so that their total norm (the
// norm_type-norm of all gradient entries together; inf: the largest
// magnitude) is at most max_norm: each is multiplied by
// min(1, max_norm / (total + 1e-6)). Parameters without a gradient are
// skipped. Returns the total norm before clipping. With error_if_nonfinite, a
// NaN or infinite total raises instead, leaving the gradients unchanged.
double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);
// Clamps every gradient entry of `parameters` into [-clip_value, clip_value].
void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value);

namespace detail {
// clip_grad_norm_ returning the total norm as PyTorch's Python function does:
// a 0-dim tensor on the first gradient's device (float32 0 without gradients).
Tensor clip_grad_norm(const std::vector<Tensor>& parameters, double max_norm, double norm_type,
                      bool error_if_nonfinite);
}  // namespace detail

}  // namespace wick::nn::utils
