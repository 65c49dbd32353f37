#include "autograd/function.h"

#include "ops/reduce.h"
#include "ops/view.h"

namespace wick {

AutogradMeta& autograd_meta(const Tensor& t) {
  auto& slot = t.impl()->autograd;
  if (!slot) slot = std::make_unique<AutogradMeta>();
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
  AutogradMeta* meta = autograd_meta_or_null(t);
  if (!meta) return {};
  if (meta->grad_fn) return {meta->grad_fn, meta->output_nr};
  if (!meta->requires_grad) return {};
  std::shared_ptr<Node> acc = meta->grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t);
    meta->grad_accumulator = acc;
  }
  return {std::move(acc), 0};
}

void set_history(const Tensor& output, const std::shared_ptr<Node>& node) {
  AutogradMeta& meta = autograd_meta(output);
  meta.grad_fn = node;
  meta.output_nr = node->add_input_metadata(output);
  meta.requires_grad = false;  // implied by grad_fn
  if (AnomalyMode::is_enabled())
    node->anomaly_context = detail::str_cat("the forward op that produced a ", output.dtype(), " tensor of shape ",
                                            output.sizes());
}

void check_inplace(const Tensor& self, const char* op) {
  if (GradMode::is_enabled()) {
    if (const AutogradMeta* meta = autograd_meta_or_null(self)) {
      WICK_CHECK(!(meta->requires_grad && !meta->grad_fn), Error, op,
                 ": a leaf Variable that requires grad is being used in an in-place operation.");
      WICK_CHECK(!meta->is_view, NotImplementedError, op,
                 ": in-place modification of a view of a tensor that requires grad is not supported; "
                 "use the out-of-place op, or clone() the view first");
    }
  }
  self.impl()->storage()->bump_version();
}

Tensor sum_to(const Tensor& grad, IntArrayRef sizes) {
  if (grad.sizes() == sizes) return grad;
  const int64_t lead = grad.dim() - static_cast<int64_t>(sizes.size());
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < grad.dim(); ++d)
    if (d < lead || (sizes[d - lead] == 1 && grad.sizes()[d] != 1)) dims.push_back(d);
  Tensor reduced = dims.empty() ? grad : sum(grad, dims, /*keepdim=*/true);
  return reshape(reduced, sizes);
}

}  // namespace wick
