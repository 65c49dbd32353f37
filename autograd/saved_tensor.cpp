#include "autograd/saved_tensor.h"

#include "autograd/autograd_meta.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"

namespace wick {

namespace {
// A new TensorImpl over the same storage, without autograd fields.
Tensor shallow_copy(const Tensor& t) {
  const TensorImpl& src = *t.impl();
  return Tensor(make_intrusive<TensorImpl>(src.storage(), src.dtype(), src.sizes(), src.strides(),
                                           src.storage_offset()));
}
}  // namespace

namespace detail {
namespace {
thread_local SavedTensorCollector* t_collector = nullptr;
}  // namespace

SavedTensorCollector::SavedTensorCollector() : previous_(t_collector) { t_collector = this; }
SavedTensorCollector::~SavedTensorCollector() { t_collector = previous_; }
SavedTensorCollector* SavedTensorCollector::current() { return t_collector; }

void SavedTensorCollector::attach(Node& node, const void* object, size_t object_size) const {
  for (size_t i = 0; i < count_; ++i) node.track_saved(found_[i], object, object_size);
}
}  // namespace detail

SavedTensor::SavedTensor() {
  if (detail::SavedTensorCollector* c = detail::SavedTensorCollector::current()) c->note(this);
}

SavedTensor::SavedTensor(const Tensor& input)
    : data_(input), saved_version_(input.defined() ? input.version() : 0), was_saved_(true) {}

SavedTensor SavedTensor::output(const Tensor& output, const std::shared_ptr<Node>& owner) {
  SavedTensor s;
  s.data_ = shallow_copy(output);
  s.owner_ = owner;
  s.output_nr_ = static_cast<uint32_t>(owner->num_inputs());  // set_history gives it this slot next
  if (const AutogradMeta* meta = autograd_meta_or_null(output); meta && meta->grad_fn == owner)
    s.output_nr_ = meta->output_nr;
  s.saved_version_ = output.version();
  s.is_output_ = true;
  s.was_saved_ = true;
  return s;
}

Tensor SavedTensor::unpack() const {
  WICK_CHECK(!released_, Error,
             "Trying to backward through the graph a second time (or directly access saved tensors after they "
             "have already been freed). Saved intermediate values of the graph are freed when you call "
             ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph "
             "a second time or if you need to access saved tensors after calling backward.");
  if (!was_saved_ || !data_.defined()) return data_;
  if (data_.version() != saved_version_) {
    std::string origin = "a leaf tensor";
    std::shared_ptr<Node> fn = is_output_ ? owner_.lock() : data_.grad_fn();
    if (fn) origin = detail::str_cat("output ", is_output_ ? output_nr_ : data_.output_nr(), " of ", fn->name());
    WICK_THROW(Error,
               "one of the variables needed for gradient computation has been modified by an inplace operation: [",
               data_.dtype(), " ", data_.sizes(), "], which is ", origin, ", is at version ", data_.version(),
               "; expected version ", saved_version_,
               " instead. Hint: replace the in-place op (add_, relu_, x[...] = ...) with its out-of-place form.");
  }
  if (is_output_ && GradMode::is_enabled()) {
    // Backward is being recorded (create_graph): give the output back its grad_fn.
    if (std::shared_ptr<Node> owner = owner_.lock()) {
      Tensor t = shallow_copy(data_);
      AutogradMeta& meta = autograd_meta(t);
      meta.grad_fn = std::move(owner);
      meta.output_nr = output_nr_;
      return t;
    }
  }
  return data_;
}

void SavedTensor::reset() {
  data_ = Tensor();
  owner_.reset();
  released_ = was_saved_;
}

}  // namespace wick
