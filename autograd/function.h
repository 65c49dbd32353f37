// The few helpers every differentiable op in ops/ uses to record itself:
//
//   Tensor exp(const Tensor& x) {
//     Tensor out = ...forward...;
//     if (auto node = make_node<ExpBackward0>(x)) {   // null unless x needs grad
//       node->result = SavedTensor::output(out, node);
//       set_history(out, node);
//     }
//     return out;
//   }
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>

#include "autograd/autograd_meta.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/saved_tensor.h"
#include "core/tensor.h"

namespace wick {

// Whether an op on these inputs must record a node: grad mode is on and at
// least one defined input requires grad.
template <typename... Ts>
bool needs_grad(const Ts&... inputs) {
  if (!GradMode::is_enabled()) return false;
  return ((inputs.defined() && inputs.requires_grad()) || ...);
}
bool needs_grad(const TensorList& inputs);

// The edge a gradient for `t` flows along: its grad_fn, its leaf's
// AccumulateGrad node, or nothing if it does not require grad.
Edge gradient_edge(const Tensor& t);

// Creates node N with one next edge per input, or returns null when no input
// needs grad (so the op records nothing and saves nothing).
template <typename N, typename... Ts>
std::shared_ptr<N> make_node(const Ts&... inputs) {
  if (!needs_grad(inputs...)) return nullptr;
  auto node = std::make_shared<N>();
  auto& edges = node->mutable_next_edges();
  edges.reserve(sizeof...(Ts));
  (edges.push_back(gradient_edge(inputs)), ...);
  return node;
}
template <typename N>
std::shared_ptr<N> make_node_list(const TensorList& inputs) {
  if (!needs_grad(inputs)) return nullptr;
  auto node = std::make_shared<N>();
  auto& edges = node->mutable_next_edges();
  edges.reserve(inputs.size());
  for (const Tensor& t : inputs) edges.push_back(gradient_edge(t));
  return node;
}

// Makes `node` the grad_fn of `output` (its next output slot).
void set_history(const Tensor& output, const std::shared_ptr<Node>& node);

// Whether an in-place op may write through a tensor whose elements share
// memory locations (Note [Overlapping in-place writes] in core/mem_overlap.h).
enum class SelfOverlap { Refuse, Allow };

// For an in-place op on `self`, the one check every write into an existing
// tensor goes through: refuses a `self` with overlapping elements (unless
// `self_overlap` allows it) and an input that overlaps `self` partially (both
// with PyTorch's messages), checks that autograd allows the write (a leaf that
// requires grad, or a view of one, may not be modified in place), then bumps
// the version counter.
void check_inplace(const Tensor& self, const char* op,
                   std::initializer_list<std::reference_wrapper<const Tensor>> inputs = {},
                   SelfOverlap self_overlap = SelfOverlap::Refuse);

// The set_history of in-place ops: makes `node` the history of `self`; when
// self is a view, of its base (Note [In-place ops on views]).
void rebase_history(const Tensor& self, const std::shared_ptr<Node>& node);

// Sums `grad` down to `sizes` over the dimensions broadcasting added or
// stretched: the backward of broadcasting.
Tensor sum_to(const Tensor& grad, IntArrayRef sizes);

}  // namespace wick
