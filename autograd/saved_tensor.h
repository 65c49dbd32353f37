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
// keep each other alive forever. It keeps a shallow copy without autograd
// fields and a weak pointer to itself, and re-attaches the grad_fn on unpack
// when the backward is itself being recorded (create_graph).
//
// Note [Retain graph]
// After a node runs in a backward without retain_graph, the engine calls its
// release_variables(), which resets its SavedTensors: the memory of the
// forward's intermediate values comes back as soon as backward no longer needs
// it. Unpacking a released tensor raises PyTorch's error about a second
// backward through the graph.
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
  bool defined() const { return data_.defined(); }

 private:
  Tensor data_;
  std::weak_ptr<Node> owner_;  // set for outputs only
  uint32_t output_nr_ = 0;
  uint32_t saved_version_ = 0;
  bool is_output_ = false;
  bool was_saved_ = false;
  bool released_ = false;
};

}  // namespace wick
