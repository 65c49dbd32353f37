// Ops that move elements without arithmetic: flip, roll, and the triangles
// tril/triu; trace, the sum of a matrix's diagonal. Each has PyTorch's node
// name and is differentiable again (its backward is the same kind of op).
#pragma once

#include "core/tensor.h"

namespace wick {

// The elements in reverse order along each of dims.
Tensor flip(const Tensor& self, IntArrayRef dims);
// The elements shifted cyclically by shifts[i] along dims[i]; with no dims, the
// flattened tensor is shifted by shifts[0] and takes its shape back.
Tensor roll(const Tensor& self, IntArrayRef shifts, IntArrayRef dims = {});
// The lower (tril) or upper (triu) triangle of each matrix of the last two
// dims, the rest zero: tril keeps column - row <= diagonal, triu >= diagonal.
Tensor tril(const Tensor& self, int64_t diagonal = 0);
Tensor triu(const Tensor& self, int64_t diagonal = 0);
// The sum of a 2-D tensor's diagonal.
Tensor trace(const Tensor& self);

}  // namespace wick
