// TensorImpl: the object behind a Tensor handle.
//
//   Tensor      a cheap value handle (one pointer); copying it bumps a count.
//   TensorImpl  how to read a storage as an n-d array: sizes, strides (in
//               elements), offset, dtype; plus the autograd fields (Note
//               [Autograd fields]).
//   StorageImpl the bytes, on one device, shared by every view.
//
// A view (transpose, slice, expand...) is a new TensorImpl over the same
// StorageImpl with other sizes/strides/offset: no bytes are copied.
#pragma once

#include <memory>

#include "core/scalar_type.h"
#include "core/small_vector.h"
#include "core/storage.h"

namespace wick {

// Resolves a negative dim against `ndim` dims; IndexError if out of range.
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op = "dim");
// Each of dims wrapped (wrap_dim), in order; ValueError when one appears twice.
DimVector wrap_dims(IntArrayRef dims, int64_t ndim, const char* op);
// Strides of a contiguous (row-major) tensor of these sizes.
DimVector contiguous_strides(IntArrayRef sizes);

class Node;           // autograd/node.h
struct AutogradMeta;  // autograd/autograd_meta.h

// core owns a tensor's autograd fields but does not know their types: these
// two are declared here and defined by autograd/ (autograd/node.cpp), the
// layer that defines Node and AutogradMeta, so that core includes nothing
// above it (as with the Tensor methods that run ops, defined in ops/).
//
// Drops a node reference without deep recursion (Note [Iterative graph
// destruction] in autograd/node.cpp).
void release_node(std::shared_ptr<Node>&& node);
// A new, empty AutogradMeta (requires_grad_ gives every leaf one up front:
// Note [Concurrent backward] in autograd/autograd_meta.h).
AutogradMeta* new_autograd_meta();
// Deletes an AutogradMeta.
struct AutogradMetaDeleter {
  void operator()(AutogradMeta* meta) const;
};

class TensorImpl final : public RefCounted {
 public:
  TensorImpl(IntrusivePtr<StorageImpl> storage, ScalarType dtype, IntArrayRef sizes, IntArrayRef strides,
             int64_t offset);
  ~TensorImpl() override;

  const DimVector& sizes() const { return sizes_; }
  const DimVector& strides() const { return strides_; }
  int64_t dim() const { return static_cast<int64_t>(sizes_.size()); }
  int64_t numel() const { return numel_; }
  int64_t storage_offset() const { return offset_; }
  ScalarType dtype() const { return dtype_; }
  Device device() const { return storage_->device(); }
  bool is_contiguous() const { return contiguous_; }
  const IntrusivePtr<StorageImpl>& storage() const { return storage_; }
  void* data() const {
    return static_cast<char*>(storage_->data()) + offset_ * static_cast<int64_t>(itemsize(dtype_));
  }

  // Restrides in place (used by the in-place view ops such as squeeze_).
  void set_sizes_and_strides(IntArrayRef sizes, IntArrayRef strides, int64_t offset);
  // Makes this tensor read src's data (storage, dtype, sizes, strides,
  // offset), keeping its own autograd fields: PyTorch's `x.data = y`, and
  // what nn::Module::to() does to each parameter, so that every handle to
  // the parameter sees the converted tensor.
  void set_data(const TensorImpl& src);

  // A number the user wrote (x + 2): it takes part in type promotion only by
  // its category, as in PyTorch (int tensor + 2.5 -> float32, not float64).
  bool is_wrapped_number = false;

  // For a tensor made by a view op (view, slice, transpose...): the tensor it
  // is a view of, itself never a view. In-place ops on a view use it to give
  // the base their history (Note [In-place ops on views] in autograd/function.cpp).
  IntrusivePtr<TensorImpl> view_base;

  // Note [Autograd fields]
  // Every recorded op gives its output a grad_fn, so the fields that say which
  // node made a tensor live here, in the TensorImpl, and recording an op
  // allocates nothing but the output and the node. The fields mostly leaves
  // have (.grad, hooks, the AccumulateGrad node, retained grad, name) live in
  // an AutogradMeta (autograd/autograd_meta.h) made on first use.
  //
  // The node that made this tensor (null for leaves) and which of its
  // outputs this tensor is.
  std::shared_ptr<Node> grad_fn;
  uint32_t output_nr = 0;
  // Set by the user on leaves; implied for non-leaves by grad_fn.
  bool requires_grad = false;
  // Null for tensors that never needed one.
  std::unique_ptr<AutogradMeta, AutogradMetaDeleter> autograd;

 private:
  // Sets numel_ and contiguous_ from sizes_ and strides_ (after each change of geometry).
  void compute_numel_and_contiguity();

  IntrusivePtr<StorageImpl> storage_;
  DimVector sizes_;
  DimVector strides_;
  int64_t offset_;
  int64_t numel_ = 1;
  ScalarType dtype_;
  bool contiguous_ = true;
};

}  // namespace wick
