// Node: one recorded op of the autograd graph, the `grad_fn` of its outputs.
//
// A Node maps the gradients of its forward op's outputs to the gradients of
// its forward op's inputs (the vector-Jacobian product). Its next edges point
// at the nodes that produced those inputs (or at AccumulateGrad for leaves),
// so walking next edges from a loss's grad_fn visits the whole graph.
//
// Ops write one Node subclass each, next to their forward function in ops/
// (micrograd's locality): the subclass holds exactly what its backward needs
// as SavedTensor members, lists them in for_each_saved, and skips the
// gradients nobody asked for.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.h"

namespace wick {

class Node;
class SavedTensor;

// Where a gradient goes: input `input_nr` of node `fn`. A null fn means the
// forward input did not require grad, so nobody wants this gradient.
struct Edge {
  std::shared_ptr<Node> fn;
  uint32_t input_nr = 0;
  bool is_valid() const { return fn != nullptr; }
};

// Shape, dtype and device of one forward output, to check the gradient that
// arrives for it (Note [Gradient validation] in autograd/engine.cpp).
struct TensorMeta {
  DimVector sizes;
  ScalarType dtype = ScalarType::Float32;
  Device device;
};

// One edge per forward input, one TensorMeta per forward output: inline for
// ordinary ops, so recording one allocates just the node.
using EdgeList = SmallVector<Edge, 3>;
using TensorMetaList = SmallVector<TensorMeta, 1>;

// Visits a node's SavedTensors (Note [Saved tensor accounting]).
using SavedVisitor = std::function<void(SavedTensor&)>;

class Node : public std::enable_shared_from_this<Node> {
 public:
  Node();
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // PyTorch's name for the node, e.g. "MulBackward0".
  virtual std::string_view name() const = 0;
  // Gradients of the forward outputs in, gradients of the forward inputs out
  // (one per next edge; undefined where not needed). Undefined entries in
  // `grads` mean zero.
  virtual TensorList apply(TensorList&& grads) = 0;
  // Calls f on each SavedTensor the node keeps for its backward: a node that
  // saves tensors lists them here, once (Note [Saved tensor accounting]).
  virtual void for_each_saved(const SavedVisitor& f) { (void)f; }
  // Frees the saved tensors (called after backward unless retain_graph,
  // Note [Retain graph]); by default, each one for_each_saved lists.
  virtual void release_variables();
  // Bytes of the tensors the node keeps for its backward, 0 once released;
  // by default, those for_each_saved lists.
  virtual size_t saved_bytes() const;

  const EdgeList& next_edges() const { return next_edges_; }
  EdgeList& mutable_next_edges() { return next_edges_; }
  const Edge& next_edge(size_t i) const { return next_edges_[i]; }
  size_t num_outputs() const { return next_edges_.size(); }
  // Whether the gradient for forward input i is wanted.
  bool needs_input_grad(size_t i) const { return i < next_edges_.size() && next_edges_[i].is_valid(); }

  // One entry per forward output: the gradient arriving at slot i must match it.
  const TensorMetaList& input_metadata() const { return input_meta_; }
  uint32_t add_input_metadata(const Tensor& output);
  size_t num_inputs() const { return input_meta_.size(); }

  // Creation order; the engine runs later nodes first when several are ready.
  uint64_t sequence_nr() const { return sequence_nr_; }

  // Hooks on the gradient of forward output `output_nr` (Tensor::register_hook
  // and retain_grad on non-leaf tensors put theirs here).
  struct PreHook {
    uint32_t output_nr;
    size_t handle;
    Tensor::Hook fn;
  };
  std::vector<PreHook>& pre_hooks() { return pre_hooks_; }

  // Anomaly mode: the forward op's description, for error messages.
  std::string anomaly_context;

 protected:
  EdgeList next_edges_;
  TensorMetaList input_meta_;
  std::vector<PreHook> pre_hooks_;
  uint64_t sequence_nr_;
};

// The node that accumulates gradients into a leaf tensor's .grad.
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(Tensor leaf);
  std::string_view name() const override { return "AccumulateGrad"; }
  TensorList apply(TensorList&& grads) override;
  const Tensor& variable() const { return leaf_; }

 private:
  Tensor leaf_;
};

// Drops a strong reference to a node without recursing: see
// Note [Iterative graph destruction] in autograd/node.cpp.
void release_node(std::shared_ptr<Node>&& node);

// Returns a fresh handle for hooks.
size_t next_hook_handle();

}  // namespace wick
