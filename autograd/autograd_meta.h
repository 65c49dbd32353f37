// AutogradMeta: the autograd fields of a tensor that mostly leaves have.
// grad_fn, output_nr and requires_grad live in the TensorImpl itself (Note
// [Autograd fields] in core/tensor_impl.h); a tensor that needs none of the
// fields below pays one null pointer.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "autograd/node.h"
#include "core/tensor.h"

namespace wick {

struct AutogradMeta {
  // The gradient accumulated into a leaf (see also retained_grad).
  Tensor grad;
  // A leaf's AccumulateGrad node. Weak: the node owns the leaf, not the other
  // way round, so the leaf does not keep a graph alive.
  std::weak_ptr<Node> grad_accumulator;
  // Hooks of a leaf tensor (non-leaf hooks live on the grad_fn).
  std::vector<Node::PreHook> leaf_hooks;
  // Hooks a leaf's AccumulateGrad calls after writing .grad
  // (Tensor::register_post_accumulate_grad_hook).
  struct PostAccumulateGradHook {
    size_t handle;
    Tensor::PostAccumulateGradHook fn;
  };
  std::vector<PostAccumulateGradHook> post_accumulate_grad_hooks;
  // retain_grad() on a non-leaf: the engine's hook writes the gradient here.
  std::shared_ptr<Tensor> retained_grad;
  std::string name;
  // Guards grad_accumulator and grad (Note [Concurrent backward]).
  std::mutex mutex;
};

// Note [Concurrent backward]
// Threads may record ops on, and run backward into, the same leaf at once
// (PyTorch allows it; Hogwild-style training relies on it). Two things must
// not race: making the leaf's AccumulateGrad (gradient_edge), so that the
// graphs alive at one time share one, and writing .grad (AccumulateGrad::apply,
// together with the post-accumulate-grad hooks). Both hold the leaf's
// AutogradMeta::mutex. The AutogradMeta itself exists before any thread can
// race to make it: requires_grad_(true) makes it. Hooks on the gradient run
// outside the lock; they must be thread-safe themselves, as in PyTorch.

// The tensor's AutogradMeta, created on first use.
AutogradMeta& autograd_meta(const Tensor& t);
// The tensor's AutogradMeta or null.
inline AutogradMeta* autograd_meta_or_null(const Tensor& t) { return t.impl()->autograd.get(); }

}  // namespace wick
