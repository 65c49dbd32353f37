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
//
// Note [Saved tensor accounting]
// A node's saved_bytes() (shown by the graph export, autograd/graph_dot.h)
// sums the tensors its SavedTensor members hold, without code in each node:
// make_node opens a SavedTensorCollector on its thread while it constructs
// the node, every SavedTensor default-constructed meanwhile reports its
// address, and those inside the new node object become that node's tracked
// members (as offsets, up to Node::kMaxTrackedSaved). Members live as long as
// the node, so reading them later is safe; whatever is assigned to them
// afterwards (and released by release_variables) is what gets counted. A node
// made without make_node, or keeping tensors in containers, tracks nothing
// and may override saved_bytes().
#pragma once

#include <array>
#include <memory>

#include "core/tensor.h"

namespace wick {

class SavedTensor {
 public:
  SavedTensor();
  // Saves an input of the forward op.
  explicit SavedTensor(const Tensor& input);
  // Saves an output of the forward op whose grad_fn is `owner` (Note [Saving outputs]).
  static SavedTensor output(const Tensor& output, const std::shared_ptr<Node>& owner);

  // The saved tensor; throws if it was released or modified in place since.
  Tensor unpack() const;
  void reset();
  bool defined() const { return data_.defined(); }
  // Bytes of the saved tensor's elements; 0 when empty or released.
  size_t nbytes() const { return data_.defined() ? data_.nbytes() : 0; }

 private:
  Tensor data_;
  std::weak_ptr<Node> owner_;  // set for outputs only
  uint32_t output_nr_ = 0;
  uint32_t saved_version_ = 0;
  bool is_output_ = false;
  bool was_saved_ = false;
  bool released_ = false;
};

namespace detail {

// Collects the SavedTensors default-constructed on this thread during its
// lifetime (Note [Saved tensor accounting]). Collectors nest.
class SavedTensorCollector {
 public:
  SavedTensorCollector();
  ~SavedTensorCollector();
  SavedTensorCollector(const SavedTensorCollector&) = delete;
  SavedTensorCollector& operator=(const SavedTensorCollector&) = delete;

  // The innermost collector of this thread, or null.
  static SavedTensorCollector* current();
  void note(const SavedTensor* saved) {
    if (count_ < found_.size()) found_[count_++] = saved;
  }
  // Tracks, on `node`, the collected SavedTensors inside [object, object + object_size).
  void attach(Node& node, const void* object, size_t object_size) const;

 private:
  std::array<const SavedTensor*, 16> found_{};
  size_t count_ = 0;
  SavedTensorCollector* previous_;
};

}  // namespace detail

}  // namespace wick
