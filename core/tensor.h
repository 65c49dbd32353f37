// Tensor: the value handle users hold. See core/tensor_impl.h for the
// Tensor / TensorImpl / StorageImpl split. `Tensor()` is undefined, as in
// PyTorch; every other Tensor points at a TensorImpl.
//
// The methods below the metadata are the op library in method form
// (x.sum(1), x.view({-1, 4})); each is defined next to its free function in
// ops/, whose headers document them.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor_impl.h"

namespace wick {

class Node;
class Tensor;
using TensorList = std::vector<Tensor>;
struct ValuesIndices;

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(IntrusivePtr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return static_cast<bool>(impl_); }
  TensorImpl* impl() const { return impl_.get(); }
  const IntrusivePtr<TensorImpl>& impl_ptr() const { return impl_; }
  // True when both handles name the same TensorImpl.
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  // ---- metadata -----------------------------------------------------------
  IntArrayRef sizes() const { return impl_->sizes(); }
  IntArrayRef shape() const { return impl_->sizes(); }
  IntArrayRef strides() const { return impl_->strides(); }
  int64_t size(int64_t dim) const;    // negative dims count from the end
  int64_t stride(int64_t dim) const;
  int64_t dim() const { return impl_->dim(); }
  int64_t numel() const { return impl_->numel(); }
  ScalarType dtype() const { return impl_->dtype(); }
  Device device() const { return impl_->device(); }
  int64_t storage_offset() const { return impl_->storage_offset(); }
  bool is_contiguous() const { return impl_->is_contiguous(); }
  bool is_floating_point() const { return wick::is_floating_point(dtype()); }
  bool is_cuda() const { return device().is_cuda(); }
  size_t element_size() const { return itemsize(dtype()); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * element_size(); }
  void* raw_data() const { return impl_->data(); }
  // Typed pointer to the first element; throws TypeError if T is not the dtype.
  template <typename T>
  T* data_ptr() const;

  // The value of a one-element tensor.
  Scalar item() const;
  template <typename T>
  T item() const {
    return item().to<T>();
  }
  // Values in row-major order, converted to T (copies from the device if needed).
  template <typename T>
  std::vector<T> to_vector() const;

  std::string str() const;  // as PyTorch prints it: tensor([1., 2.], requires_grad=True)

  // ---- autograd -----------------------------------------------------------
  bool requires_grad() const;
  const Tensor& requires_grad_(bool requires_grad = true) const;
  const Tensor& set_requires_grad(bool requires_grad) const { return requires_grad_(requires_grad); }
  bool is_leaf() const;
  // The accumulated gradient of a leaf (or of a non-leaf after retain_grad()).
  const Tensor& grad() const;
  void set_grad(const Tensor& grad) const;
  // The node that made this tensor, or null for leaves.
  const std::shared_ptr<Node>& grad_fn() const;
  uint32_t output_nr() const;
  // Runs the chain rule from this tensor back to the leaves (autograd/engine.h).
  // With create_graph, a leaf's .grad keeps a graph that holds the leaf: a
  // reference cycle, as in PyTorch. Prefer autograd::grad for higher-order
  // gradients, or reset .grad (set_grad(Tensor())) when done.
  void backward(const Tensor& gradient = {}, bool retain_graph = false, bool create_graph = false) const;
  void retain_grad() const;
  bool retains_grad() const;
  // `hook(grad)` runs when this tensor's gradient is computed; a defined
  // return value replaces the gradient. Returns a handle for remove_hook.
  using Hook = std::function<Tensor(const Tensor&)>;
  size_t register_hook(Hook hook) const;
  void remove_hook(size_t handle) const;
  // `hook(tensor)` runs each time backward has accumulated a gradient into
  // this leaf's .grad, with .grad already updated (PyTorch 2's
  // register_post_accumulate_grad_hook). Only for leaves that require grad.
  // Returns a handle for remove_hook.
  using PostAccumulateGradHook = std::function<void(const Tensor&)>;
  size_t register_post_accumulate_grad_hook(PostAccumulateGradHook hook) const;
  // The in-place modification count, shared by all views of the storage.
  uint32_t version() const { return impl_->storage()->version(); }
  // A name shown in graph exports.
  void set_name(std::string name) const;
  const std::string& name() const;

  // ---- views (ops/view.cpp) -------------------------------------------------
  Tensor view(IntArrayRef sizes) const;
  Tensor reshape(IntArrayRef sizes) const;
  Tensor permute(IntArrayRef dims) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor t() const;
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor expand(IntArrayRef sizes) const;
  Tensor expand_as(const Tensor& other) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor unflatten(int64_t dim, IntArrayRef sizes) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor slice(int64_t dim = 0, std::optional<int64_t> start = {}, std::optional<int64_t> end = {},
               int64_t step = 1) const;
  Tensor operator[](int64_t index) const;  // select(0, index)
  Tensor select(int64_t dim, int64_t index) const;
  Tensor as_strided(IntArrayRef sizes, IntArrayRef strides, std::optional<int64_t> offset = {}) const;
  Tensor contiguous() const;
  Tensor clone() const;
  Tensor detach() const;
  const Tensor& detach_() const;

  // ---- conversion and copy (ops/copy.cpp) ----------------------------------
  Tensor to(ScalarType dtype) const;
  Tensor to(Device device) const;
  Tensor to(Device device, ScalarType dtype) const;
  Tensor cpu() const { return to(kCPU); }
  Tensor cuda() const { return to(Device(DeviceType::CUDA)); }
  const Tensor& copy_(const Tensor& src) const;
  const Tensor& fill_(Scalar value) const;
  const Tensor& zero_() const;

  // ---- creation (ops/creation.cpp) ------------------------------------------
  // A tensor of ones of this tensor's dtype and device.
  Tensor new_ones(IntArrayRef sizes) const;

  // ---- elementwise (ops/unary.cpp, ops/binary.cpp) -------------------------
  Tensor add(const Tensor& other, Scalar alpha = 1) const;
  Tensor sub(const Tensor& other, Scalar alpha = 1) const;
  Tensor mul(const Tensor& other) const;
  Tensor div(const Tensor& other) const;
  Tensor pow(const Tensor& exponent) const;
  Tensor pow(Scalar exponent) const;
  const Tensor& add_(const Tensor& other, Scalar alpha = 1) const;
  const Tensor& sub_(const Tensor& other, Scalar alpha = 1) const;
  const Tensor& mul_(const Tensor& other) const;
  const Tensor& div_(const Tensor& other) const;
  const Tensor& add_(Scalar other) const;
  const Tensor& mul_(Scalar other) const;
  Tensor neg() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor log1p() const;
  Tensor sqrt() const;
  Tensor rsqrt() const;
  Tensor abs() const;
  Tensor sign() const;
  Tensor sin() const;
  Tensor cos() const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor relu() const;
  const Tensor& relu_() const;
  Tensor clamp(std::optional<Scalar> min, std::optional<Scalar> max) const;
  const Tensor& clamp_(std::optional<Scalar> min, std::optional<Scalar> max) const;
  Tensor eq(const Tensor& other) const;
  Tensor ne(const Tensor& other) const;
  Tensor lt(const Tensor& other) const;
  Tensor le(const Tensor& other) const;
  Tensor gt(const Tensor& other) const;
  Tensor ge(const Tensor& other) const;
  Tensor masked_fill(const Tensor& mask, Scalar value) const;
  const Tensor& masked_fill_(const Tensor& mask, Scalar value) const;

  // ---- reductions (ops/reduce.cpp) -----------------------------------------
  Tensor sum() const;
  Tensor sum(IntArrayRef dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(IntArrayRef dims, bool keepdim = false) const;
  Tensor prod() const;
  Tensor prod(int64_t dim, bool keepdim = false) const;
  Tensor max() const;
  ValuesIndices max(int64_t dim, bool keepdim = false) const;
  Tensor min() const;
  ValuesIndices min(int64_t dim, bool keepdim = false) const;
  Tensor argmax(std::optional<int64_t> dim = {}, bool keepdim = false) const;
  Tensor argmin(std::optional<int64_t> dim = {}, bool keepdim = false) const;
  Tensor var(std::optional<std::vector<int64_t>> dims = {}, double correction = 1, bool keepdim = false) const;
  Tensor std(std::optional<std::vector<int64_t>> dims = {}, double correction = 1, bool keepdim = false) const;
  Tensor logsumexp(IntArrayRef dims, bool keepdim = false) const;
  Tensor norm(double p = 2) const;
  // Sums over the dimensions broadcasting to this shape added or stretched:
  // the inverse of expand(sizes).
  Tensor sum_to_size(IntArrayRef sizes) const;

  // ---- linear algebra (ops/linalg.cpp) --------------------------------------
  Tensor matmul(const Tensor& other) const;
  Tensor mm(const Tensor& other) const;
  Tensor bmm(const Tensor& other) const;

  // ---- indexing (ops/indexing.cpp) ------------------------------------------
  Tensor index_select(int64_t dim, const Tensor& index) const;
  Tensor gather(int64_t dim, const Tensor& index) const;
  Tensor scatter(int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const;
  std::vector<Tensor> split(int64_t split_size, int64_t dim = 0) const;
  std::vector<Tensor> chunk(int64_t chunks, int64_t dim = 0) const;

 private:
  IntrusivePtr<TensorImpl> impl_;
};

// Results of max/min along a dimension.
struct ValuesIndices {
  Tensor values;
  Tensor indices;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// Note [Raw views]
// raw_view(base, sizes, strides, offset) reads base's storage as another
// geometry: a new TensorImpl over the same StorageImpl (so it shares base's
// data and version counter, as every view does) whose first element lies
// `offset` elements past base's first element. The offset is relative to
// base.storage_offset(), unlike PyTorch's as_strided, which takes an absolute
// storage offset: the callers describe their views in terms of the tensor they
// hold (a step, a sample, a column block), so most pass nothing, and none can
// forget the offset of a base that is itself a view.
//
// For internal use only (ops and kernels building operands): the view records
// no autograd history (no grad_fn, no view_base, requires_grad false), and
// nothing is checked; the caller keeps it inside the storage. The user-facing
// views are the ops of ops/view.h. The short form reads base from its first
// element as a contiguous tensor of `sizes`.
Tensor raw_view(const Tensor& base, IntArrayRef sizes, IntArrayRef strides, int64_t offset = 0);
Tensor raw_view(const Tensor& base, IntArrayRef sizes);

template <typename T>
T* Tensor::data_ptr() const {
  WICK_CHECK(dtype() == dtype_of<T>(), TypeError, "data_ptr: tensor has dtype ", dtype(),
             " but the pointer asked for is of dtype ", dtype_of<T>());
  return static_cast<T*>(raw_data());
}

}  // namespace wick
