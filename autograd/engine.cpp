// The autograd engine.
//
// backward() and grad() share one routine, run_backward():
//   1. Each root's gradient (1 for a scalar root, else the one given) goes
//      into the input buffer of the root's grad_fn.
//   2. An iterative walk from the roots counts, for every node, how many
//      edges lead into it (its dependencies).
//   3. Nodes whose dependencies are all satisfied wait in a ready queue,
//      latest-created first (so memory of deep branches is freed early). The
//      engine pops one, runs its pre-hooks, calls apply() on the summed
//      gradients in its buffer, releases its saved tensors unless
//      retain_graph (Note [Retain graph] in autograd/saved_tensor.h), checks
//      each result (Note [Gradient validation]), and adds it into the buffer of
//      the node it flows to, whose count then drops by one.
//   4. AccumulateGrad nodes at the leaves add into .grad. grad() instead
//      captures the gradients flowing into its inputs and runs only the nodes
//      on paths to them, touching no .grad. backward(inputs=) runs the same
//      subgraph and lets only the inputs' own accumulators run.
// No recursion anywhere, so a graph of any depth runs in constant stack.
#include "autograd/engine.h"

#include <algorithm>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "autograd/function.h"
#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

namespace wick::autograd {

namespace {

struct Capture {
  uint32_t input_nr;
  size_t index;
};

// Note [Gradient validation]
// A node's result for input i must look like that input did in the forward
// pass. A gradient with the wrong dtype is cast (an op may compute in a wider
// type); one whose shape only differs by broadcasting is summed down; any
// other mismatch is a bug in a backward formula or in a user's hook, reported
// with both shapes and the node's name.
Tensor validate(const Node& node, size_t i, Tensor grad, const TensorMeta& meta) {
  if (grad.sizes() != IntArrayRef(meta.sizes)) {
    const bool expandable = [&] {
      if (grad.dim() < static_cast<int64_t>(meta.sizes.size())) return false;
      const int64_t lead = grad.dim() - static_cast<int64_t>(meta.sizes.size());
      for (size_t d = 0; d < meta.sizes.size(); ++d)
        if (meta.sizes[d] != 1 && meta.sizes[d] != grad.sizes()[lead + d]) return false;
      return true;
    }();
    WICK_CHECK(expandable, Error, "Function ", node.name(), " returned an invalid gradient at index ", i,
               " - got ", grad.sizes(), " but expected shape compatible with ", IntArrayRef(meta.sizes));
    grad = sum_to(grad, meta.sizes);
  }
  WICK_CHECK(grad.device() == meta.device, Error, "Function ", node.name(), " returned an invalid gradient at index ",
             i, " - expected device ", meta.device, " but got ", grad.device());
  if (grad.dtype() != meta.dtype) grad = grad.to(meta.dtype);
  return grad;
}

void check_anomaly(const Node& node, const TensorList& grads) {
  for (size_t i = 0; i < grads.size(); ++i) {
    const Tensor& g = grads[i];
    if (!g.defined() || !g.is_floating_point()) continue;
    const bool bad = any(logical_or(isnan(g), isinf(g))).item<bool>();
    WICK_CHECK(!bad, Error, "Function '", node.name(), "' returned nan or inf values in its ", i,
               "th output. It was recorded by ",
               node.anomaly_context.empty() ? std::string("a forward op run before anomaly mode was enabled")
                                            : node.anomaly_context,
               ".");
  }
}

void accumulate_into(TensorList& buffer, uint32_t slot, Tensor&& grad) {
  Tensor& acc = buffer[slot];
  if (!acc.defined()) acc = std::move(grad);
  else acc = add(acc, grad);
}

// With `inputs`, either captures their gradients and returns them (grad()),
// or, with accumulate_inputs, lets only their accumulators write .grad
// (backward(inputs=)).
TensorList run_backward(const TensorList& roots, const TensorList& grad_roots, bool retain_graph,
                        bool create_graph, const TensorList& inputs, bool allow_unused,
                        bool accumulate_inputs = false) {
  WICK_CHECK(grad_roots.empty() || grad_roots.size() == roots.size(), ValueError, "backward: got ",
             grad_roots.size(), " gradients for ", roots.size(), " tensors");
  AutoGradMode mode(create_graph);

  std::unordered_map<Node*, TensorList> buffers;
  std::vector<std::shared_ptr<Node>> root_nodes;
  for (size_t i = 0; i < roots.size(); ++i) {
    const Tensor& root = roots[i];
    WICK_CHECK(root.defined(), ValueError, "backward: tensor ", i, " is undefined");
    Edge edge = gradient_edge(root);
    WICK_CHECK(edge.is_valid(), Error, "element ", i, " of tensors does not require grad and does not have a grad_fn");
    Tensor g;
    if (grad_roots.empty() || !grad_roots[i].defined()) {
      WICK_CHECK(root.numel() == 1, Error, "grad can be implicitly created only for scalar outputs (got a tensor of",
                 " shape ", root.sizes(), "); pass a gradient of that shape to backward()");
      g = ones_like(root);
    } else {
      g = grad_roots[i];
      WICK_CHECK(g.sizes() == root.sizes(), ValueError, "Mismatch in shape: grad_output[", i, "] has a shape of ",
                 g.sizes(), " and output[", i, "] has a shape of ", root.sizes(), ".");
      WICK_CHECK(g.device() == root.device(), ValueError, "Mismatch in device: grad_output[", i, "] is on ",
                 g.device(), " and output[", i, "] is on ", root.device(), ".");
      if (g.dtype() != root.dtype()) g = g.to(root.dtype());
    }
    TensorList& buf = buffers[edge.fn.get()];
    buf.resize(edge.fn->num_inputs());
    accumulate_into(buf, edge.input_nr, std::move(g));
    root_nodes.push_back(std::move(edge.fn));
  }

  // Dependencies: the number of edges into each node reachable from the roots.
  std::unordered_map<Node*, int> deps;
  {
    std::unordered_set<Node*> seen;
    std::vector<Node*> stack;
    for (auto& n : root_nodes)
      if (seen.insert(n.get()).second) stack.push_back(n.get());
    while (!stack.empty()) {
      Node* n = stack.back();
      stack.pop_back();
      for (const Edge& e : n->next_edges()) {
        if (!e.fn) continue;
        ++deps[e.fn.get()];
        if (seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
      }
    }
  }

  // grad(): where to capture, and which nodes lead to a capture (only those run).
  std::unordered_map<Node*, std::vector<Capture>> captures;
  std::unordered_set<Node*> leads_to_capture;
  TensorList captured(inputs.size());
  const bool capturing = !inputs.empty();
  if (capturing) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      WICK_CHECK(inputs[i].defined() && inputs[i].requires_grad(), Error, accumulate_inputs ? "backward" : "grad",
                 ": input ", i,
                 " does not require grad (One of the differentiated Tensors does not require grad)");
      // A non-leaf's .grad is filled by the retain_grad hook on its grad_fn.
      if (accumulate_inputs && !inputs[i].is_leaf()) inputs[i].retain_grad();
      Edge e = gradient_edge(inputs[i]);
      captures[e.fn.get()].push_back({e.input_nr, i});
    }
    // A node leads to a capture if one of its next nodes is captured or leads
    // to one; found by an iterative post-order walk.
    std::unordered_set<Node*> done;
    std::vector<std::pair<Node*, size_t>> stack;
    for (auto& n : root_nodes) stack.push_back({n.get(), 0});
    while (!stack.empty()) {
      auto& [n, next] = stack.back();
      if (next == 0 && done.count(n)) {
        stack.pop_back();
        continue;
      }
      if (next < n->next_edges().size()) {
        Node* child = n->next_edges()[next++].fn.get();
        if (child && !done.count(child)) stack.push_back({child, 0});
        continue;
      }
      for (const Edge& e : n->next_edges())
        if (e.fn && (captures.count(e.fn.get()) || leads_to_capture.count(e.fn.get()))) {
          leads_to_capture.insert(n);
          break;
        }
      done.insert(n);
      stack.pop_back();
    }
  }

  auto later_first = [](Node* a, Node* b) { return a->sequence_nr() < b->sequence_nr(); };
  std::priority_queue<Node*, std::vector<Node*>, decltype(later_first)> ready(later_first);
  {
    std::unordered_set<Node*> queued;
    for (auto& n : root_nodes)
      if (deps[n.get()] == 0 && queued.insert(n.get()).second) ready.push(n.get());
  }

  while (!ready.empty()) {
    Node* node = ready.top();
    ready.pop();
    TensorList grads = std::move(buffers[node]);
    buffers.erase(node);
    grads.resize(node->num_inputs());

    // With inputs, a node neither captured nor leading to a capture does not run (nor do its hooks).
    const auto capture = capturing ? captures.find(node) : captures.end();
    const bool leads_on = capturing && leads_to_capture.count(node);
    if (capturing && capture == captures.end() && !leads_on) continue;

    for (Node::PreHook& hook : node->pre_hooks()) {
      Tensor& g = grads[hook.output_nr];
      if (!g.defined()) continue;
      Tensor replaced = hook.fn(g);
      if (replaced.defined()) g = std::move(replaced);
    }
    if (capturing) {
      if (capture != captures.end() && !accumulate_inputs)
        for (const Capture& c : capture->second) captured[c.index] = grads[c.input_nr];
      // Nothing past here was asked for, unless this is an input's own accumulator.
      const bool accumulates =
          accumulate_inputs && capture != captures.end() && dynamic_cast<AccumulateGrad*>(node) != nullptr;
      if (!leads_on && !accumulates) continue;
    }

    // Note [Nodes without gradients]
    // Undefined gradients mean zero. A node that received none at all (the
    // branch above it returned None, e.g. a custom Function's backward) is not
    // applied: its inputs get no gradient either. Backward formulas may then
    // assume at least one defined gradient.
    const bool any_defined = std::any_of(grads.begin(), grads.end(), [](const Tensor& g) { return g.defined(); });
    TensorList results = any_defined ? node->apply(std::move(grads)) : TensorList(node->num_outputs());
    if (!retain_graph) node->release_variables();
    WICK_CHECK(results.size() == node->num_outputs(), Error, "Function ", node->name(), " returned ",
               results.size(), " gradients, expected ", node->num_outputs());
    if (AnomalyMode::is_enabled()) check_anomaly(*node, results);

    for (size_t i = 0; i < results.size(); ++i) {
      const Edge& e = node->next_edge(i);
      if (!e.fn) continue;
      if (results[i].defined()) {
        Tensor g = validate(*node, i, std::move(results[i]), e.fn->input_metadata()[e.input_nr]);
        TensorList& buf = buffers[e.fn.get()];
        buf.resize(e.fn->num_inputs());
        accumulate_into(buf, e.input_nr, std::move(g));
      }
      if (--deps[e.fn.get()] == 0) ready.push(e.fn.get());
    }
  }

  if (capturing && !allow_unused)
    for (size_t i = 0; i < inputs.size(); ++i)
      WICK_CHECK(captured[i].defined(), Error, "grad: input ", i,
                 " appears to not have been used in the graph. Set allow_unused=True if this is the desired "
                 "behavior.");
  return captured;
}

}  // namespace

void backward(const TensorList& roots, const TensorList& grad_roots, bool retain_graph, bool create_graph,
              const TensorList& inputs) {
  run_backward(roots, grad_roots, retain_graph || create_graph, create_graph, inputs, /*allow_unused=*/true,
               /*accumulate_inputs=*/true);
}

TensorList grad(const TensorList& outputs, const TensorList& inputs, const TensorList& grad_outputs,
                std::optional<bool> retain_graph, bool create_graph, bool allow_unused) {
  WICK_CHECK(!inputs.empty(), ValueError, "grad requires at least one input");
  return run_backward(outputs, grad_outputs, retain_graph.value_or(create_graph), create_graph, inputs,
                      allow_unused);
}

}  // namespace wick::autograd

namespace wick {

// Note [Accumulating into .grad]
// The first gradient a leaf receives is stored as is when nothing else holds
// it (no copy), else cloned, so that .grad never aliases a tensor the user
// or another node can still see. Later gradients are added in place, unless
// the backward is being recorded (create_graph), where .grad = .grad + g keeps
// the sum differentiable.
TensorList AccumulateGrad::apply(TensorList&& grads) {
  Tensor g = std::move(grads[0]);
  if (!g.defined()) return {};
  AutogradMeta& meta = autograd_meta(leaf_);
  for (Node::PreHook& hook : meta.leaf_hooks) {
    Tensor replaced = hook.fn(g);
    if (replaced.defined()) g = std::move(replaced);
  }
  const bool recording = GradMode::is_enabled();
  if (!meta.grad.defined()) {
    const bool sole_owner = g.impl_ptr().use_count() == 1 && g.impl()->storage().use_count() == 1 &&
                            g.is_contiguous() && !g.requires_grad();
    if (recording) meta.grad = g;
    else meta.grad = sole_owner ? g : g.detach().clone();
  } else if (recording) {
    meta.grad = add(meta.grad, g);
  } else {
    NoGradGuard no_grad;
    meta.grad.add_(g);
  }
  return {};
}

}  // namespace wick
