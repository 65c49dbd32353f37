#include "autograd/function.h"

#include "core/mem_overlap.h"

namespace wick {

AutogradMeta& autograd_meta(const Tensor& t) {
  auto& slot = t.impl()->autograd;
  if (!slot) slot.reset(new AutogradMeta());
  return *slot;
}

bool needs_grad(const TensorList& inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

Edge gradient_edge(const Tensor& t) {
  if (!t.defined()) return {};
  const TensorImpl* impl = t.impl();
  if (impl->grad_fn) return {impl->grad_fn, impl->output_nr};
  if (!impl->requires_grad) return {};
  AutogradMeta& meta = autograd_meta(t);
  std::lock_guard<std::mutex> lock(meta.mutex);  // Note [Concurrent backward]
  std::shared_ptr<Node> acc = meta.grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t);
    meta.grad_accumulator = acc;
  }
  return {std::move(acc), 0};
}

void set_history(const Tensor& output, const std::shared_ptr<Node>& node) {
  TensorImpl* impl = output.impl();
  impl->grad_fn = node;
  impl->output_nr = node->add_input_metadata(output);
  impl->requires_grad = false;  // implied by grad_fn
  if (AnomalyMode::is_enabled())
    node->anomaly_context = detail::str_cat("the forward op that produced a ", output.dtype(), " tensor of shape ",
                                            output.sizes());
}

namespace {
bool is_leaf_requiring_grad(const TensorImpl* t) {
  return t->requires_grad && !t->grad_fn;
}
}  // namespace

void check_inplace(const Tensor& self, const char* op,
                   std::initializer_list<std::reference_wrapper<const Tensor>> inputs, SelfOverlap self_overlap) {
  WICK_CHECK(!self.impl()->storage()->read_only(), Error, op, ": the tensor of shape ", self.sizes(),
             " is over read-only memory (a read-only NumPy array or buffer) and cannot be written in place; "
             "clone() it first");
  if (self_overlap == SelfOverlap::Refuse) assert_no_internal_overlap(self, op);
  for (const Tensor& input : inputs)
    if (input.defined()) assert_no_partial_overlap(self, input, op);
  if (GradMode::is_enabled()) {
    WICK_CHECK(!is_leaf_requiring_grad(self.impl()), Error, op,
               ": a leaf Variable that requires grad is being used in an in-place operation.");
    const TensorImpl* base = self.impl()->view_base.get();
    WICK_CHECK(!(base && is_leaf_requiring_grad(base)), Error, op,
               ": a view of a leaf Variable that requires grad is being used in an in-place operation.");
  }
  self.impl()->storage()->bump_version();
}

// Note [In-place ops on views]
// `out[:, i] = h` or `x.narrow(0, 1, 2).mul_(w)` change the base tensor
// through a view. The base's history must then include the op, or gradients
// would silently miss it. As in PyTorch, the base gets a CopySlices node:
// given the gradient of the new base, it passes it through unchanged outside
// the view's region, and inside it runs the in-place op's own node on that
// region, whose gradient for its `self` goes back into the region and whose
// other gradients go to the op's other inputs. The view itself becomes a
// fresh as_strided view of the base's new history.
struct CopySlices final : Node {
  std::shared_ptr<Node> fn;  // the in-place op's node
  DimVector sizes, strides;  // the view, relative to the (contiguous) base
  int64_t offset = 0;
  std::string_view name() const override { return "CopySlices"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    TensorList out(next_edges_.size());
    Tensor result = g.contiguous().clone();
    Tensor region = result.as_strided(sizes, strides, offset);
    TensorList inner = fn->apply({region.clone()});
    for (size_t i = 1; i < out.size() && i < inner.size(); ++i) out[i] = inner[i];
    if (!inner.empty() && inner[0].defined()) region.copy_(inner[0]);
    else region.zero_();
    out[0] = result;
    return out;
  }
  void release_variables() override { fn->release_variables(); }
  size_t saved_bytes() const override { return fn->saved_bytes(); }
};

void rebase_history(const Tensor& self, const std::shared_ptr<Node>& node) {
  const IntrusivePtr<TensorImpl>& base_impl = self.impl()->view_base;
  if (!base_impl) return set_history(self, node);
  Tensor base(base_impl);
  WICK_CHECK(base.is_contiguous(), NotImplementedError, node->name(),
             ": an in-place op on a view needs a contiguous base to record its gradient (base sizes ", base.sizes(),
             ", strides ", base.strides(), ")");
  auto copy_slices = std::make_shared<CopySlices>();
  copy_slices->fn = node;
  copy_slices->sizes = DimVector(self.sizes());
  copy_slices->strides = DimVector(self.strides());
  copy_slices->offset = self.storage_offset() - base.storage_offset();
  auto& edges = copy_slices->mutable_next_edges();
  edges.push_back(gradient_edge(base));
  for (size_t i = 1; i < node->next_edges().size(); ++i) edges.push_back(node->next_edge(i));
  set_history(base, copy_slices);
  // The view now reads the base's new history.
  Tensor fresh = base.as_strided(self.sizes(), self.strides(), self.storage_offset());
  TensorImpl* impl = self.impl();
  impl->grad_fn = fresh.grad_fn();
  impl->output_nr = 0;
  impl->requires_grad = false;
}

Tensor sum_to(const Tensor& grad, IntArrayRef sizes) {
  if (grad.sizes() == sizes) return grad;
  const int64_t lead = grad.dim() - static_cast<int64_t>(sizes.size());
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < grad.dim(); ++d)
    if (d < lead || (sizes[d - lead] == 1 && grad.sizes()[d] != 1)) dims.push_back(d);
  Tensor reduced = dims.empty() ? grad : grad.sum(dims, /*keepdim=*/true);
  return reduced.reshape(sizes);
}

}  // namespace wick
