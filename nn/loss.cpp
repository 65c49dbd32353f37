#include "nn/loss.h"

namespace wick::nn {

// The weights are registered as buffers and read back from options, which
// hold the same tensors (Module::to converts them in place).

CrossEntropyLoss::CrossEntropyLoss(CrossEntropyLossOptions options) : options(std::move(options)) {
  WICK_CHECK(this->options.label_smoothing >= 0 && this->options.label_smoothing <= 1, ValueError,
             "label_smoothing must be between 0.0 and 1.0. Got: ", this->options.label_smoothing);
  register_buffer("weight", this->options.weight);
}

Tensor CrossEntropyLoss::forward(const Tensor& input, const Tensor& target) {
  return cross_entropy(input, target, options.weight, options.reduction, options.ignore_index,
                       options.label_smoothing);
}

NLLLoss::NLLLoss(NLLLossOptions options) : options(std::move(options)) {
  register_buffer("weight", this->options.weight);
}

Tensor NLLLoss::forward(const Tensor& input, const Tensor& target) {
  return nll_loss(input, target, options.weight, options.reduction, options.ignore_index);
}

SmoothL1Loss::SmoothL1Loss(Reduction reduction, double beta) : reduction(reduction), beta(beta) {
  WICK_CHECK(beta >= 0, ValueError, "smooth_l1_loss does not support negative values for beta (got ", beta, ")");
}

BCELoss::BCELoss(BCELossOptions options) : options(std::move(options)) {
  register_buffer("weight", this->options.weight);
}

Tensor BCELoss::forward(const Tensor& input, const Tensor& target) {
  return binary_cross_entropy(input, target, options.weight, options.reduction);
}

BCEWithLogitsLoss::BCEWithLogitsLoss(BCEWithLogitsLossOptions options) : options(std::move(options)) {
  register_buffer("weight", this->options.weight);
  register_buffer("pos_weight", this->options.pos_weight);
}

Tensor BCEWithLogitsLoss::forward(const Tensor& input, const Tensor& target) {
  return binary_cross_entropy_with_logits(input, target, options.weight, options.reduction, options.pos_weight);
}

}  // namespace wick::nn
