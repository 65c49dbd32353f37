// Scans along one dim: cumsum, cumprod, cummax, cummin, logcumsumexp. Each
// output element combines the input elements at and before its position; the
// kernels are the backends' `scan` (backends/scan_math.h).
#pragma once

#include <optional>

#include "core/tensor.h"

namespace wick {

// Running sum and product. Integer and bool inputs accumulate in int64, as in
// PyTorch, unless dtype names another (the input is converted to it first).
Tensor cumsum(const Tensor& self, int64_t dim, std::optional<ScalarType> dtype = {});
Tensor cumprod(const Tensor& self, int64_t dim, std::optional<ScalarType> dtype = {});
// Running maximum and minimum with the position each came from (on ties the
// later position; a NaN, once met, stays).
ValuesIndices cummax(const Tensor& self, int64_t dim);
ValuesIndices cummin(const Tensor& self, int64_t dim);
// log(cumsum(exp(x))) without overflow; floating inputs.
Tensor logcumsumexp(const Tensor& self, int64_t dim);

}  // namespace wick
