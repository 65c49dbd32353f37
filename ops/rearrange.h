// Ops that move elements without arithmetic: flip, roll, and the triangles
// tril/triu; trace, the sum of a matrix's diagonal. Each has PyTorch's node
// name and is differentiable again (its backward is the same kind of op).
#pragma once

#include <optional>
#include <string_view>

#include "core/tensor.h"
#include "ops/creation.h"

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

// Made of views, expand and copies (their gradients are those ops'):
// self repeated repeats[i] times along dim i (repeats may have more dims than
// self, which then gains leading dims of size 1).
Tensor repeat(const Tensor& self, IntArrayRef repeats);
// repeat, with dims padded with leading 1s when shorter than self's.
Tensor tile(const Tensor& self, IntArrayRef dims);
// Each element repeated `repeats` times along dim (no dim: of the flattened tensor).
Tensor repeat_interleave(const Tensor& self, int64_t repeats, std::optional<int64_t> dim = {});
// Element i repeated repeats[i] times (repeats: int64, 1-D, or one number for all).
Tensor repeat_interleave(const Tensor& self, const Tensor& repeats, std::optional<int64_t> dim = {});
// arange(n) with element i repeated repeats[i] times: the index repeat_interleave uses.
Tensor repeat_interleave(const Tensor& repeats);
// A 1-D input on the offset diagonal of a square matrix; a 2-D input's offset diagonal (a copy).
Tensor diag(const Tensor& self, int64_t offset = 0);
// The last dim of self on the diagonals of new (dim1, dim2) planes, zeros elsewhere.
Tensor diag_embed(const Tensor& self, int64_t offset = 0, int64_t dim1 = -2, int64_t dim2 = -1);
Tensor diagflat(const Tensor& self, int64_t offset = 0);  // diag of the flattened input
// Dims `source` moved to positions `destination`, the others keeping their order (a view).
Tensor movedim(const Tensor& self, IntArrayRef source, IntArrayRef destination);
// Rotated by 90 degrees k times in the plane of dims, from the first towards the second.
Tensor rot90(const Tensor& self, int64_t k = 1, IntArrayRef dims = {0, 1});
Tensor fliplr(const Tensor& self);  // flip(self, {1}), for 2 or more dims
Tensor flipud(const Tensor& self);  // flip(self, {0}), for 1 or more dims
// The n-th forward difference along dim (prepend/append joined first); bools give !=.
Tensor diff(const Tensor& self, int64_t n = 1, int64_t dim = -1, const Tensor& prepend = {}, const Tensor& append = {});
// The tensors as block diagonal matrix (0-dim: 1x1, 1-D: a row).
Tensor block_diag(const TensorList& tensors);
// Every combination of the 1-D tensors' elements, one per row.
Tensor cartesian_prod(const TensorList& tensors);
// Each tensor (0- or 1-D) expanded over the grid of all sizes; "ij" or "xy" (first two dims swapped).
TensorList meshgrid(const TensorList& tensors, std::string_view indexing = "ij");
// Views with at least 1, 2 or 3 dims (new dims of size 1 as numpy's atleast_*d adds them).
Tensor atleast_1d(const Tensor& self);
Tensor atleast_2d(const Tensor& self);
Tensor atleast_3d(const Tensor& self);
// cat along the columns (1-D: along dim 0), rows, depth, and of columns (0-/1-D inputs as columns).
Tensor hstack(const TensorList& tensors);
Tensor vstack(const TensorList& tensors);
Tensor dstack(const TensorList& tensors);
Tensor column_stack(const TensorList& tensors);
// The [2, N] coordinates of the lower (upper) triangle of a row x col matrix, row by row.
Tensor tril_indices(int64_t row, int64_t col, int64_t offset = 0, TensorOptions options = ScalarType::Int64);
Tensor triu_indices(int64_t row, int64_t col, int64_t offset = 0, TensorOptions options = ScalarType::Int64);

}  // namespace wick
