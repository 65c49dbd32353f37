// The autograd methods of Tensor (declared in core/tensor.h): gradients,
// backward, hooks, names. They live here, with the AutogradMeta and Node
// they read, so that core includes nothing above it.
#include "core/tensor.h"

#include "autograd/autograd_meta.h"
#include "autograd/engine.h"
#include "autograd/node.h"

namespace wick {

const Tensor& Tensor::grad() const {
  static const Tensor undefined;
  const AutogradMeta* m = impl_->autograd.get();
  if (!m) return undefined;
  if (m->retained_grad) return *m->retained_grad;
  return m->grad;
}

void Tensor::set_grad(const Tensor& grad) const {
  if (grad.defined()) {
    WICK_CHECK(grad.sizes() == sizes(), ValueError, "assigned grad has shape ", grad.sizes(),
               " but the tensor has shape ", sizes());
    WICK_CHECK(grad.dtype() == dtype(), TypeError, "assigned grad has dtype ", grad.dtype(),
               " but the tensor has dtype ", dtype());
    WICK_CHECK(grad.device() == device(), ValueError, "assigned grad is on ", grad.device(),
               " but the tensor is on ", device());
  }
  AutogradMeta& m = autograd_meta(*this);
  if (m.retained_grad) *m.retained_grad = grad;
  else m.grad = grad;
}

void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
  autograd::backward({*this}, {gradient}, retain_graph, create_graph);
}

void Tensor::retain_grad() const {
  WICK_CHECK(requires_grad(), Error, "can't retain_grad on Tensor that has requires_grad=False");
  if (is_leaf()) return;  // leaves keep their .grad anyway
  AutogradMeta& m = autograd_meta(*this);
  if (m.retained_grad) return;
  m.retained_grad = std::make_shared<Tensor>();
  std::weak_ptr<Tensor> slot = m.retained_grad;
  // Runs before the grad_fn consumes the gradient: store (or add) a copy.
  impl_->grad_fn->pre_hooks().push_back({impl_->output_nr, next_hook_handle(), [slot](const Tensor& g) {
                                      if (auto s = slot.lock()) {
                                        if (!s->defined()) *s = g.detach().clone();
                                        else *s = s->detach().add(g.detach());
                                      }
                                      return Tensor();
                                    }});
}

bool Tensor::retains_grad() const {
  const AutogradMeta* m = impl_->autograd.get();
  return m && m->retained_grad;
}

size_t Tensor::register_hook(Hook hook) const {
  WICK_CHECK(requires_grad(), Error, "cannot register a hook on a tensor that doesn't require gradient");
  const size_t handle = next_hook_handle();
  if (impl_->grad_fn) impl_->grad_fn->pre_hooks().push_back({impl_->output_nr, handle, std::move(hook)});
  else autograd_meta(*this).leaf_hooks.push_back({0, handle, std::move(hook)});
  return handle;
}

void Tensor::remove_hook(size_t handle) const {
  auto drop = [handle](std::vector<Node::PreHook>& hooks) {
    std::erase_if(hooks, [handle](const Node::PreHook& h) { return h.handle == handle; });
  };
  if (AutogradMeta* m = impl_->autograd.get()) {
    drop(m->leaf_hooks);
    std::erase_if(m->post_accumulate_grad_hooks,
                  [handle](const AutogradMeta::PostAccumulateGradHook& h) { return h.handle == handle; });
  }
  if (impl_->grad_fn) drop(impl_->grad_fn->pre_hooks());
}

size_t Tensor::register_post_accumulate_grad_hook(PostAccumulateGradHook hook) const {
  WICK_CHECK(requires_grad(), Error, "cannot register a hook on a tensor that doesn't require gradient");
  WICK_CHECK(is_leaf(), Error, "post accumulate grad hooks cannot be registered on non-leaf tensors");
  const size_t handle = next_hook_handle();
  autograd_meta(*this).post_accumulate_grad_hooks.push_back({handle, std::move(hook)});
  return handle;
}

void Tensor::set_name(std::string name) const { autograd_meta(*this).name = std::move(name); }

const std::string& Tensor::name() const {
  static const std::string empty;
  const AutogradMeta* m = impl_->autograd.get();
  return m ? m->name : empty;
}

}  // namespace wick
