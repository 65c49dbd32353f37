// Indexing, joining and splitting.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/tensor.h"

namespace wick {

// Joins tensors of equal shape except along dim (empty 1-D tensors are skipped, as in PyTorch).
Tensor cat(const TensorList& tensors, int64_t dim = 0);
// Joins tensors of equal shape along a new dim.
Tensor stack(const TensorList& tensors, int64_t dim = 0);
// Views of consecutive pieces of split_size along dim (the last may be smaller).
TensorList split(const Tensor& self, int64_t split_size, int64_t dim = 0);
TensorList split_with_sizes(const Tensor& self, IntArrayRef sizes, int64_t dim = 0);
// `chunks` pieces as equal as possible (fewer if the dim is too short).
TensorList chunk(const Tensor& self, int64_t chunks, int64_t dim = 0);
// numpy's array_split: `sections` views as equal as possible (the first n % sections one longer),
// or the views between the given indices along dim.
TensorList tensor_split(const Tensor& self, int64_t sections, int64_t dim = 0);
TensorList tensor_split(const Tensor& self, IntArrayRef indices, int64_t dim = 0);
// Views of the tensors expanded to their common broadcast shape.
TensorList broadcast_tensors(const TensorList& tensors);
TensorList unbind(const Tensor& self, int64_t dim = 0);

// Entries of self at positions `index` (a 1-D int64/int32 tensor) along dim.
Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index);
// out[i][j] = self[index[i][j]][j] for dim 0 (and so on): index has out's shape.
Tensor gather(const Tensor& self, int64_t dim, const Tensor& index);
// The gradient of gather (and of the ops that pick elements by position:
// sort, topk, kthvalue, cummax...): g added into zeros of self_sizes at the
// positions `index` (g's shape) along dim.
Tensor gather_backward(const Tensor& g, IntArrayRef self_sizes, int64_t dim, const Tensor& index);
// A copy of self with self[index[i][j]][j] = src[i][j] for dim 0 (and so on).
// reduce "add" or "multiply" combines each src value with what self holds
// there (+=, *=) instead; the gradient of "multiply" is not implemented (as in
// PyTorch), "add"'s is scatter_add's.
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
               std::optional<std::string_view> reduce = std::nullopt);
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, Scalar value,
               std::optional<std::string_view> reduce = std::nullopt);
// The same with += (repeated indices add up).
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
const Tensor& scatter_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                       std::optional<std::string_view> reduce = std::nullopt);
const Tensor& scatter_(const Tensor& self, int64_t dim, const Tensor& index, Scalar value,
                       std::optional<std::string_view> reduce = std::nullopt);
const Tensor& scatter_add_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
// A copy of self with self.index_select(dim, index) += alpha * src.
Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, Scalar alpha = 1);
// The elements of self where mask is true, as a 1-D tensor.
Tensor masked_select(const Tensor& self, const Tensor& mask);
// The coordinates of the nonzero elements, one row each ([n, self.dim()], int64, row-major order).
Tensor nonzero(const Tensor& self);
// The number of nonzero elements over dims (none: all).
Tensor count_nonzero(const Tensor& self, IntArrayRef dims = {});
// The elements at positions `index` of the flattened self (negative: from the end), in index's shape.
Tensor take(const Tensor& self, const Tensor& index);
// gather along dim with self and indices broadcast in the other dims; no dim: of the flattened self.
Tensor take_along_dim(const Tensor& self, const Tensor& indices, std::optional<int64_t> dim = {});
// A copy of self with the slices at index along dim set to value (a number or a 0-dim tensor).
Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& value);
Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, Scalar value);
// A copy of self with slice index[i] along dim replaced by source's slice i.
Tensor index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source);
// Classes as one-hot rows: [..] int64 -> [.., num_classes] int64 (-1: max + 1).
Tensor one_hot(const Tensor& indices, int64_t num_classes = -1);
// Rows of weight [num, dim] at `indices` (any shape) -> [*indices.shape, dim];
// rows at padding_idx get no gradient.
Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx = -1);

}  // namespace wick
