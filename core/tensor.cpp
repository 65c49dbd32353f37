#include "core/tensor.h"

namespace wick {

// The Tensor methods core itself can answer. The others are defined by the
// layer that provides them: the op methods next to their ops (ops/*.cpp;
// item, to_vector and printing in ops/tensor_methods.cpp) and the autograd
// methods in autograd/tensor_methods.cpp.

int64_t Tensor::size(int64_t d) const { return sizes()[wrap_dim(d, dim(), "size")]; }
int64_t Tensor::stride(int64_t d) const { return strides()[wrap_dim(d, dim(), "stride")]; }

bool Tensor::requires_grad() const { return impl_->requires_grad || impl_->grad_fn; }

const Tensor& Tensor::requires_grad_(bool requires_grad) const {
  if (impl_->grad_fn) {
    WICK_CHECK(requires_grad, Error,
               "you can only change requires_grad flags of leaf variables. If you want to use a computed variable "
               "in a subgraph that doesn't require differentiation use var_no_grad = var.detach().");
    return *this;
  }
  WICK_CHECK(!requires_grad || is_floating_point(), Error,
             "only Tensors of floating point dtype can require gradients (got ", dtype(), ")");
  impl_->requires_grad = requires_grad;
  if (requires_grad && !impl_->autograd) impl_->autograd.reset(new_autograd_meta());
  return *this;
}

bool Tensor::is_leaf() const { return !impl_->grad_fn; }

const std::shared_ptr<Node>& Tensor::grad_fn() const { return impl_->grad_fn; }

uint32_t Tensor::output_nr() const { return impl_->output_nr; }

// Note [Raw views] in core/tensor.h.
Tensor raw_view(const Tensor& base, IntArrayRef sizes, IntArrayRef strides, int64_t offset) {
  return Tensor(make_intrusive<TensorImpl>(base.impl()->storage(), base.dtype(), sizes, strides,
                                           base.storage_offset() + offset));
}

Tensor raw_view(const Tensor& base, IntArrayRef sizes) { return raw_view(base, sizes, contiguous_strides(sizes)); }

}  // namespace wick
