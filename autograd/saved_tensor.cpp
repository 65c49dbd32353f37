#include "autograd/saved_tensor.h"

#include "autograd/autograd_meta.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"

namespace wick {

SavedTensor::SavedTensor(const Tensor& input)
    : input_(input), saved_version_(input.defined() ? input.version() : 0), was_saved_(true) {}

SavedTensor SavedTensor::output(const Tensor& output, const std::shared_ptr<Node>& owner) {
  SavedTensor s;
  const TensorImpl& impl = *output.impl();
  s.storage_ = impl.storage();
  s.sizes_ = impl.sizes();
  s.strides_ = impl.strides();
  s.offset_ = impl.storage_offset();
  s.dtype_ = impl.dtype();
  s.owner_ = owner;
  // set_history gives the output the node's next slot, unless it already did.
  s.output_nr_ = impl.grad_fn == owner ? impl.output_nr : static_cast<uint32_t>(owner->num_inputs());
  s.saved_version_ = s.storage_->version();
  s.was_saved_ = true;
  return s;
}

size_t SavedTensor::nbytes() const {
  if (input_.defined()) return input_.nbytes();
  if (!storage_) return 0;
  int64_t numel = 1;
  for (int64_t size : sizes_) numel *= size;
  return static_cast<size_t>(numel) * itemsize(dtype_);
}

Tensor SavedTensor::unpack() const {
  WICK_CHECK(!released_, Error,
             "Trying to backward through the graph a second time (or directly access saved tensors after they "
             "have already been freed). Saved intermediate values of the graph are freed when you call "
             ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph "
             "a second time or if you need to access saved tensors after calling backward.");
  if (!was_saved_ || !defined()) return Tensor();
  const bool is_output = static_cast<bool>(storage_);
  const uint32_t version = is_output ? storage_->version() : input_.version();
  if (version != saved_version_) {
    std::string origin = "a leaf tensor";
    std::shared_ptr<Node> fn = is_output ? owner_.lock() : input_.grad_fn();
    if (fn) origin = detail::str_cat("output ", is_output ? output_nr_ : input_.output_nr(), " of ", fn->name());
    WICK_THROW(Error,
               "one of the variables needed for gradient computation has been modified by an inplace operation: [",
               is_output ? dtype_ : input_.dtype(), " ", is_output ? IntArrayRef(sizes_) : input_.sizes(),
               "], which is ", origin, ", is at version ", version, "; expected version ", saved_version_,
               " instead. Hint: replace the in-place op (add_, relu_, x[...] = ...) with its out-of-place form.");
  }
  if (!is_output) return input_;
  Tensor t(make_intrusive<TensorImpl>(storage_, dtype_, sizes_, strides_, offset_));
  if (GradMode::is_enabled()) {
    // Backward is being recorded (create_graph): give the output back its grad_fn.
    if (std::shared_ptr<Node> owner = owner_.lock()) {
      t.impl()->grad_fn = std::move(owner);
      t.impl()->output_nr = output_nr_;
    }
  }
  return t;
}

void SavedTensor::reset() {
  input_ = Tensor();
  storage_.reset();
  owner_.reset();
  released_ = was_saved_;
}

}  // namespace wick
