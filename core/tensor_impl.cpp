#include "core/tensor_impl.h"

#include <algorithm>

namespace wick {

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  const int64_t n = std::max<int64_t>(ndim, 1);  // a 0-dim tensor accepts dim 0 and -1
  WICK_CHECK(dim >= -n && dim < n, IndexError, op, ": Dimension out of range (expected to be in range of [", -n,
             ", ", n - 1, "], but got ", dim, ")");
  return dim < 0 ? dim + n : dim;
}

DimVector wrap_dims(IntArrayRef dims, int64_t ndim, const char* op) {
  DimVector out;
  for (int64_t d : dims) {
    const int64_t w = wrap_dim(d, ndim, op);
    WICK_CHECK(std::find(out.begin(), out.end(), w) == out.end(), ValueError, op, ": dim ", w,
               " appears multiple times in the list of dims ", dims);
    out.push_back(w);
  }
  return out;
}

DimVector contiguous_strides(IntArrayRef sizes) {
  DimVector strides(sizes.size(), 1);
  int64_t s = 1;
  for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
    strides[d] = s;
    // An empty tensor's other sizes still multiply into its strides: [0, 2**40, 2**40] has no int64 strides.
    WICK_CHECK(d == 0 || !__builtin_mul_overflow(s, std::max<int64_t>(sizes[d], 1), &s), ValueError,
               "the sizes ", sizes, " are too large: their strides overflow int64");
  }
  return strides;
}

TensorImpl::TensorImpl(IntrusivePtr<StorageImpl> storage, ScalarType dtype, IntArrayRef sizes, IntArrayRef strides,
                       int64_t offset)
    : storage_(std::move(storage)), sizes_(sizes), strides_(strides), offset_(offset), dtype_(dtype) {
  compute_numel_and_contiguity();
}

TensorImpl::~TensorImpl() { release_node(std::move(grad_fn)); }  // Note [Iterative graph destruction]

void TensorImpl::set_sizes_and_strides(IntArrayRef sizes, IntArrayRef strides, int64_t offset) {
  sizes_ = DimVector(sizes);
  strides_ = DimVector(strides);
  offset_ = offset;
  compute_numel_and_contiguity();
}

void TensorImpl::set_data(const TensorImpl& src) {
  if (&src == this) return;
  storage_ = src.storage_;
  dtype_ = src.dtype_;
  view_base.reset();  // a leaf given new data is not a view of it
  set_sizes_and_strides(src.sizes_, src.strides_, src.offset_);
}

void TensorImpl::compute_numel_and_contiguity() {
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
