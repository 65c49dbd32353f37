// Views: tensors that share their input's storage with other sizes, strides
// or offset. Each has a backward that maps the view's gradient back to the
// input's shape. reshape/flatten/contiguous copy only when they must.
#pragma once

#include <functional>
#include <optional>

#include "core/tensor.h"

namespace wick {

// wrap_dim and contiguous_strides: core/tensor_impl.h.
// Fills in a -1 entry of a view/reshape shape; ValueError if numel disagrees.
DimVector infer_size(IntArrayRef shape, int64_t numel, const char* op);

Tensor view(const Tensor& self, IntArrayRef sizes);
Tensor reshape(const Tensor& self, IntArrayRef sizes);
Tensor permute(const Tensor& self, IntArrayRef dims);
Tensor transpose(const Tensor& self, int64_t dim0, int64_t dim1);
Tensor t(const Tensor& self);  // 0-, 1- or 2-D only
Tensor squeeze(const Tensor& self);
Tensor squeeze(const Tensor& self, int64_t dim);
Tensor unsqueeze(const Tensor& self, int64_t dim);
Tensor expand(const Tensor& self, IntArrayRef sizes);  // -1 keeps a size
Tensor flatten(const Tensor& self, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor unflatten(const Tensor& self, int64_t dim, IntArrayRef sizes);
Tensor narrow(const Tensor& self, int64_t dim, int64_t start, int64_t length);
// Every window of `size` elements along dim, `step` apart, as a view: dim counts the windows and a
// new last dim walks each (windows may overlap; their gradients add up).
Tensor unfold(const Tensor& self, int64_t dim, int64_t size, int64_t step);
// Python's self[start:end:step] along dim (step > 0; bounds clamped as in Python).
Tensor slice(const Tensor& self, int64_t dim = 0, std::optional<int64_t> start = {}, std::optional<int64_t> end = {},
             int64_t step = 1);
Tensor select(const Tensor& self, int64_t dim, int64_t index);
// The diagonal of each (dim1, dim2) plane as a view (last dim), `offset` above
// (> 0) or below (< 0) the main one; empty when the offset passes the plane.
Tensor diagonal(const Tensor& self, int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1);
Tensor as_strided(const Tensor& self, IntArrayRef sizes, IntArrayRef strides, std::optional<int64_t> offset = {});
// Note [In-place view ops]
// squeeze_, unsqueeze_, t_, transpose_ and as_strided_ give self the geometry (sizes, strides, storage
// offset) of what the out-of-place view op returns for it: self stays the same object over the same storage.
// When autograd records (grad mode on and self requires grad), self takes the view's node as its grad_fn,
// so gradients go through the view's backward into self's earlier history, as PyTorch's in-place views do.
// As every in-place op, it refuses a leaf that requires grad (and a view of one) and bumps the version.
// self's own view_base stays: its geometry still describes the same storage.
const Tensor& inplace_view(const Tensor& self, const char* op, const std::function<Tensor(const Tensor&)>& view_op);
// x.set_(source): x reads source's storage with source's geometry; given sizes (strides: contiguous when
// empty) and an absolute storage offset, with that geometry, which must lie inside the storage (PyTorch
// would grow the shared storage; wick refuses with an IndexError). dtype and device must match. x keeps its
// autograd fields. PyTorch has no derivative for set_, so where autograd would record it (grad mode on, x or
// source requiring grad) it is a NotImplementedError at once: run it under no_grad().
const Tensor& set_(const Tensor& self, const Tensor& source);
const Tensor& set_(const Tensor& self, const Tensor& source, int64_t storage_offset, IntArrayRef sizes,
                   IntArrayRef strides);
// x.set_(): x becomes an empty tensor (shape [0]) with a storage of its own.
const Tensor& set_(const Tensor& self);
// Whether self reads the same storage with the same geometry (offset, sizes, strides) as other.
bool is_set_to(const Tensor& self, const Tensor& other);
Tensor contiguous(const Tensor& self);
Tensor clone(const Tensor& self);
// The same data, cut from the graph: requires_grad false, no grad_fn.
Tensor detach(const Tensor& self);

}  // namespace wick
