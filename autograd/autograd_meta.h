// AutogradMeta: the autograd fields of a tensor. Only tensors that require
// grad, have a grad_fn, or hold a .grad carry one; the rest pay one null
// pointer.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "autograd/node.h"
#include "core/tensor.h"

namespace wick {

struct AutogradMeta {
  ~AutogradMeta();

  // Set by the user on leaves; implied for non-leaves by grad_fn.
  bool requires_grad = false;
  // The gradient accumulated into a leaf (see also retained_grad).
  Tensor grad;
  // The node that made this tensor (null for leaves) and which of its outputs
  // this tensor is.
  std::shared_ptr<Node> grad_fn;
  uint32_t output_nr = 0;
  // A leaf's AccumulateGrad node. Weak: the node owns the leaf, not the other
  // way round, so the leaf does not keep a graph alive.
  std::weak_ptr<Node> grad_accumulator;
  // Hooks of a leaf tensor (non-leaf hooks live on the grad_fn).
  std::vector<Node::PreHook> leaf_hooks;
  // retain_grad() on a non-leaf: the engine's hook writes the gradient here.
  std::shared_ptr<Tensor> retained_grad;
  std::string name;
};

// The tensor's AutogradMeta, created on first use.
AutogradMeta& autograd_meta(const Tensor& t);
// The tensor's AutogradMeta or null.
inline AutogradMeta* autograd_meta_or_null(const Tensor& t) { return t.impl()->autograd.get(); }

}  // namespace wick
