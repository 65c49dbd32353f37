#include "autograd/node.h"

#include <atomic>

#include "autograd/autograd_meta.h"
#include "autograd/grad_mode.h"
#include "autograd/saved_tensor.h"

namespace wick {

namespace {
std::atomic<uint64_t> g_sequence_nr{0};
std::atomic<size_t> g_hook_handle{0};
}  // namespace

size_t next_hook_handle() { return ++g_hook_handle; }

Node::Node() : sequence_nr_(g_sequence_nr.fetch_add(1, std::memory_order_relaxed)) {}

// Note [Iterative graph destruction]
// A graph is a chain of shared_ptrs: a node owns its next nodes through its
// edges, and the tensors it saved own their grad_fn. Letting the last
// reference to the head of a 100,000-node chain go would, naively, destroy the
// chain by recursion 100,000 frames deep and overflow the stack. Instead every
// place that drops a node reference calls release_node(): when that reference
// is the last, the node is parked on a per-thread stack, and only the
// outermost call destroys parked nodes, one at a time, in a loop. A node's
// destructor (and the destructors of the tensors it saved) drops its own
// references through release_node() too, so they are parked rather than
// destroyed inside it.
void release_node(std::shared_ptr<Node>&& node) {
  if (!node) return;
  if (node.use_count() > 1) {
    node.reset();
    return;
  }
  thread_local std::vector<std::shared_ptr<Node>> parked;
  thread_local bool draining = false;
  parked.push_back(std::move(node));
  if (draining) return;
  draining = true;
  while (!parked.empty()) {
    std::shared_ptr<Node> last = std::move(parked.back());
    parked.pop_back();
    last.reset();  // may park more nodes
  }
  draining = false;
}

AutogradMeta* new_autograd_meta() { return new AutogradMeta(); }                // core/tensor_impl.h
void AutogradMetaDeleter::operator()(AutogradMeta* meta) const { delete meta; }  // core/tensor_impl.h

Node::~Node() {
  for (Edge& e : next_edges_) release_node(std::move(e.fn));
}

uint32_t Node::add_input_metadata(const Tensor& output) {
  input_meta_.push_back({DimVector(output.sizes()), output.dtype(), output.device()});
  return static_cast<uint32_t>(input_meta_.size() - 1);
}

void Node::release_variables() {
  for_each_saved([](SavedTensor& s) { s.reset(); });
}

size_t Node::saved_bytes() const {
  size_t total = 0;
  // for_each_saved hands out mutable references; this visitor only reads.
  const_cast<Node*>(this)->for_each_saved([&total](SavedTensor& s) { total += s.nbytes(); });
  return total;
}

AccumulateGrad::AccumulateGrad(Tensor leaf) : leaf_(std::move(leaf)) { add_input_metadata(leaf_); }

}  // namespace wick
