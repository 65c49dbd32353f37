// Dropout: in training, zeroes each element with probability p (drawn from
// the global generator, so manual_seed makes it reproducible) and scales the
// rest by 1 / (1 - p); outside training, the identity.
#pragma once

#include "core/tensor.h"

namespace wick {

Tensor dropout(const Tensor& x, double p = 0.5, bool training = true);
const Tensor& dropout_(const Tensor& x, double p = 0.5, bool training = true);

}  // namespace wick
