// softmax and log_softmax along one dim (numerically stable: the max is
// subtracted first). `dtype` casts the input before the op, as in PyTorch.
#pragma once

#include <optional>

#include "core/tensor.h"

namespace wick {

Tensor softmax(const Tensor& x, int64_t dim, std::optional<ScalarType> dtype = {});
Tensor log_softmax(const Tensor& x, int64_t dim, std::optional<ScalarType> dtype = {});

}  // namespace wick
