#include "core/tensor_impl.h"

#include "autograd/autograd_meta.h"
#include "autograd/node.h"

namespace wick {

TensorImpl::TensorImpl(IntrusivePtr<StorageImpl> storage, ScalarType dtype, IntArrayRef sizes, IntArrayRef strides,
                       int64_t offset)
    : storage_(std::move(storage)), sizes_(sizes), strides_(strides), offset_(offset), dtype_(dtype) {
  refresh();
}

TensorImpl::~TensorImpl() { release_node(std::move(grad_fn)); }  // Note [Iterative graph destruction]

void TensorImpl::set_sizes_and_strides(IntArrayRef sizes, IntArrayRef strides, int64_t offset) {
  sizes_ = DimVector(sizes);
  strides_ = DimVector(strides);
  offset_ = offset;
  refresh();
}

void TensorImpl::set_data(const TensorImpl& src) {
  if (&src == this) return;
  storage_ = src.storage_;
  dtype_ = src.dtype_;
  view_base.reset();  // a leaf given new data is not a view of it
  set_sizes_and_strides(src.sizes_, src.strides_, src.offset_);
}

void TensorImpl::refresh() {
  numel_ = 1;
  for (int64_t s : sizes_) numel_ *= s;
  // Row-major contiguous, ignoring the strides of size-1 dims (as PyTorch does).
  contiguous_ = true;
  int64_t expected = 1;
  for (int64_t d = dim() - 1; d >= 0; --d) {
    if (sizes_[d] == 1) continue;
    if (strides_[d] != expected) {
      contiguous_ = numel_ == 0;
      break;
    }
    expected *= sizes_[d];
  }
}

}  // namespace wick
