// Moving data: copy_ between any dtypes and devices, and to(dtype/device).
#pragma once

#include "core/tensor.h"

namespace wick {

// Copies src into dst (broadcasting src to dst's shape), converting dtype and
// device; differentiable with respect to both.
const Tensor& copy_(const Tensor& dst, const Tensor& src);
// `self` in another dtype and/or on another device; returns self when nothing changes.
Tensor to(const Tensor& self, Device device, ScalarType dtype, bool copy = false);
const Tensor& fill_(const Tensor& self, Scalar value);
const Tensor& zero_(const Tensor& self);

}  // namespace wick
