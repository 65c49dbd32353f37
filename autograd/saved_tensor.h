// SavedTensor: a tensor a node keeps for its backward.
//
// Note [Version counter]
// Every storage counts the in-place writes made to it (all views share the
// count). A SavedTensor remembers the count at save time; if it differs when
// backward unpacks the tensor, the values the derivative needs are gone, and
// unpack() raises an error naming the node instead of returning a wrong
// gradient.
//
// Note [Saving outputs]
// A node that saves its own output (exp, tanh, relu...) must not hold that
// tensor's handle: the output's grad_fn is the node itself, so the pair would
// keep each other alive forever. It keeps the output's storage and geometry
// (sizes, strides, offset, dtype, inline: no allocation in the forward) and a
// weak pointer to itself; unpack() builds a tensor from them, and re-attaches
// the grad_fn when the backward is itself being recorded (create_graph).
//
// Note [Retain graph]
// After a node runs in a backward without retain_graph, the engine calls its
// release_variables(), which resets its SavedTensors: the memory of the
// forward's intermediate values comes back as soon as backward no longer needs
// it. Unpacking a released tensor raises PyTorch's error about a second
// backward through the graph.
//
// Note [Saved tensor accounting]
// Each node that saves tensors names its SavedTensor members once, in
// for_each_saved() (autograd/node.h). Node's default release_variables() resets
// them and its saved_bytes() (shown by the graph export, autograd/graph_dot.h)
// sums them, so the list that frees the memory is the list that counts it. A
// node that keeps plain tensors too (the fused RNN nodes) overrides both.
#pragma once

#include <memory>

#include "core/tensor.h"

namespace wick {

class SavedTensor {
 public:
  SavedTensor() = default;
  // Saves an input of the forward op.
  explicit SavedTensor(const Tensor& input);
  // Saves an output of the forward op whose grad_fn is `owner` (Note [Saving outputs]).
  static SavedTensor output(const Tensor& output, const std::shared_ptr<Node>& owner);

  // The saved tensor; throws if it was released or modified in place since.
  Tensor unpack() const;
  void reset();
  bool defined() const { return input_.defined() || storage_; }
  // Bytes of the saved tensor's elements; 0 when empty or released.
  size_t nbytes() const;

 private:
  Tensor input_;  // a saved input, as is
  // A saved output: its view of its storage, and its node and slot.
  IntrusivePtr<StorageImpl> storage_;
  DimVector sizes_, strides_;
  int64_t offset_ = 0;
  ScalarType dtype_ = ScalarType::Float32;
  std::weak_ptr<Node> owner_;
  uint32_t output_nr_ = 0;

  uint32_t saved_version_ = 0;
  bool was_saved_ = false;
  bool released_ = false;
};

}  // namespace wick
