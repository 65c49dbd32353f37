// The autograd engine.
//
// backward() and grad() share one routine, run_backward(), which runs one
// GraphTask through these steps:
//   1. seed_roots: each root's gradient (1 for a scalar root, else the one
//      given) goes into the input buffer of the root's grad_fn.
//   2. count_dependencies: an iterative walk from the roots counts, for every
//      node, how many edges lead into it (its dependencies).
//   3. mark_captures (grad() and backward(inputs=) only): grad() captures the
//      gradients flowing into its inputs and runs only the nodes on paths to
//      them, touching no .grad. backward(inputs=) runs the same subgraph and
//      lets only the inputs' own accumulators run.
//   4. run: nodes whose dependencies are all satisfied wait in a ready queue,
//      latest-created first (so memory of deep branches is freed early). The
//      engine pops one and run_node runs its pre-hooks, calls apply() on the
//      summed gradients in its buffer, releases its saved tensors unless
//      retain_graph (Note [Retain graph] in autograd/saved_tensor.h), checks
//      each result (Note [Gradient validation]), and adds it into the buffer
//      of the node it flows to, whose count then drops by one.
//   5. AccumulateGrad nodes at the leaves add into .grad, then call the leaf's
//      post-accumulate-grad hooks (Note [Post-accumulate-grad hooks]).
//   6. run_final_callbacks: the callbacks queue_callback() added while the
//      task ran, in order (Note [Final callbacks]).
// No recursion anywhere, so a graph of any depth runs in constant stack.
#include "autograd/engine.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "autograd/function.h"
#include "core/warning.h"

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
    grad = grad.sum_to_size(meta.sizes);
  }
  WICK_CHECK(grad.device() == meta.device, Error, "Function ", node.name(), " returned an invalid gradient at index ",
             i, " - expected device ", meta.device, " but got ", grad.device());
  if (grad.dtype() != meta.dtype) grad = grad.to(meta.dtype);
  return grad;
}

void check_anomaly(const Node& node, const TensorList& grads) {
  NoGradGuard no_grad;
  for (size_t i = 0; i < grads.size(); ++i) {
    const Tensor& g = grads[i];
    if (!g.defined() || !g.is_floating_point()) continue;
    // g - g is 0 where g is finite and NaN where it is NaN or infinite, so
    // its sum is NaN exactly when some element is not finite.
    const bool bad = std::isnan(g.sub(g).sum().item<double>());
    WICK_CHECK(!bad, Error, "Function '", node.name(), "' returned nan or inf values in its ", i,
               "th output. It was recorded by ",
               node.anomaly_context.empty() ? std::string("a forward op run before anomaly mode was enabled")
                                            : node.anomaly_context,
               ".");
  }
}

// Note [Final callbacks]
// queue_callback() (PyTorch's Variable._execution_engine.queue_callback)
// adds a function to the backward running on this thread, to be called once
// its whole graph has run and every .grad is written, before backward()
// returns; e.g. to wait for the gradient all-reduces that post-accumulate-grad
// hooks started. A callback may queue another, which runs after it. Since a
// hook or a custom Function's backward may itself call backward() or grad(),
// the running tasks form a stack per thread, and a callback goes to the
// innermost. A task that fails drops its callbacks.
class GraphTask;
thread_local std::vector<GraphTask*> running_tasks;

// One run of the engine: the state of run_backward's steps (see the top of the file).
class GraphTask {
 public:
  // With `inputs`, either captures their gradients (grad()), or, with
  // accumulate_inputs, lets only their accumulators write .grad
  // (backward(inputs=)).
  GraphTask(const TensorList& inputs, bool retain_graph, bool accumulate_inputs)
      : inputs_(inputs),
        retain_graph_(retain_graph),
        accumulate_inputs_(accumulate_inputs),
        capturing_(!inputs.empty()),
        captured_(inputs.size()) {
    running_tasks.push_back(this);
  }
  ~GraphTask() { running_tasks.pop_back(); }
  GraphTask(const GraphTask&) = delete;
  GraphTask& operator=(const GraphTask&) = delete;

  void seed_roots(const TensorList& roots, const TensorList& grad_roots);
  void count_dependencies();
  void mark_captures();
  void run();
  void run_final_callbacks();
  // The gradients grad() captured, one per input (undefined for an unused
  // one, which is an error unless allow_unused).
  TensorList captured_grads(bool allow_unused);

  void queue_callback(std::function<void()> callback) { final_callbacks_.push_back(std::move(callback)); }

 private:
  void run_node(Node& node);
  void pass_on(Node& node, TensorList&& results);
  void accumulate(const Edge& edge, Tensor&& grad);

  const TensorList& inputs_;
  const bool retain_graph_;
  const bool accumulate_inputs_;
  const bool capturing_;

  std::vector<std::shared_ptr<Node>> root_nodes_;
  // The gradients that arrived so far at each node that has not run yet, one slot per input.
  std::unordered_map<Node*, TensorList> buffers_;
  // The number of edges into each node reachable from the roots whose source has not run yet.
  std::unordered_map<Node*, int> deps_;
  // grad() / backward(inputs=): where to capture, and which nodes lead to a capture (only those run).
  std::unordered_map<Node*, std::vector<Capture>> captures_;
  std::unordered_set<Node*> leads_to_capture_;
  TensorList captured_;
  // Nodes whose dependencies are all satisfied, latest-created first.
  struct LaterFirst {
    bool operator()(const Node* a, const Node* b) const { return a->sequence_nr() < b->sequence_nr(); }
  };
  std::priority_queue<Node*, std::vector<Node*>, LaterFirst> ready_;
  std::vector<std::function<void()>> final_callbacks_;
};

// Step 1: each root's gradient goes into the input buffer of the root's grad_fn.
void GraphTask::seed_roots(const TensorList& roots, const TensorList& grad_roots) {
  WICK_CHECK(grad_roots.empty() || grad_roots.size() == roots.size(), ValueError, "backward: got ",
             grad_roots.size(), " gradients for ", roots.size(), " tensors");
  for (size_t i = 0; i < roots.size(); ++i) {
    const Tensor& root = roots[i];
    WICK_CHECK(root.defined(), ValueError, "backward: tensor ", i, " is undefined");
    Edge edge = gradient_edge(root);
    WICK_CHECK(edge.is_valid(), Error, "element ", i, " of tensors does not require grad and does not have a grad_fn");
    Tensor g;
    if (grad_roots.empty() || !grad_roots[i].defined()) {
      WICK_CHECK(root.numel() == 1, Error, "grad can be implicitly created only for scalar outputs (got a tensor of",
                 " shape ", root.sizes(), "); pass a gradient of that shape to backward()");
      g = root.new_ones(root.sizes());
    } else {
      g = grad_roots[i];
      WICK_CHECK(g.sizes() == root.sizes(), ValueError, "Mismatch in shape: grad_output[", i, "] has a shape of ",
                 g.sizes(), " and output[", i, "] has a shape of ", root.sizes(), ".");
      WICK_CHECK(g.device() == root.device(), ValueError, "Mismatch in device: grad_output[", i, "] is on ",
                 g.device(), " and output[", i, "] is on ", root.device(), ".");
      if (g.dtype() != root.dtype()) g = g.to(root.dtype());
    }
    accumulate(edge, std::move(g));
    root_nodes_.push_back(std::move(edge.fn));
  }
}

// Step 2: the number of edges into each node reachable from the roots.
void GraphTask::count_dependencies() {
  std::unordered_set<Node*> seen;
  std::vector<Node*> stack;
  for (auto& n : root_nodes_)
    if (seen.insert(n.get()).second) stack.push_back(n.get());
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const Edge& e : n->next_edges()) {
      if (!e.fn) continue;
      ++deps_[e.fn.get()];
      if (seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
    }
  }
}

// Step 3 (with inputs): where each input's gradient arrives, and which nodes lead there.
void GraphTask::mark_captures() {
  if (!capturing_) return;
  for (size_t i = 0; i < inputs_.size(); ++i) {
    WICK_CHECK(inputs_[i].defined() && inputs_[i].requires_grad(), Error, accumulate_inputs_ ? "backward" : "grad",
               ": input ", i, " does not require grad (One of the differentiated Tensors does not require grad)");
    // A non-leaf's .grad is filled by the retain_grad hook on its grad_fn.
    if (accumulate_inputs_ && !inputs_[i].is_leaf()) inputs_[i].retain_grad();
    Edge e = gradient_edge(inputs_[i]);
    captures_[e.fn.get()].push_back({e.input_nr, i});
  }
  // A node leads to a capture if one of its next nodes is captured or leads
  // to one; found by an iterative post-order walk.
  std::unordered_set<Node*> done;
  std::vector<std::pair<Node*, size_t>> stack;
  for (auto& n : root_nodes_) stack.push_back({n.get(), 0});
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
      if (e.fn && (captures_.count(e.fn.get()) || leads_to_capture_.count(e.fn.get()))) {
        leads_to_capture_.insert(n);
        break;
      }
    done.insert(n);
    stack.pop_back();
  }
}

// Step 4: the ready queue, latest-created node first, until no node is ready.
void GraphTask::run() {
  std::unordered_set<Node*> queued;
  for (auto& n : root_nodes_)
    if (deps_[n.get()] == 0 && queued.insert(n.get()).second) ready_.push(n.get());
  while (!ready_.empty()) {
    Node* node = ready_.top();
    ready_.pop();
    run_node(*node);
  }
}

// One node of the ready queue: pre-hooks, capture, apply, release, then its results passed on.
void GraphTask::run_node(Node& node) {
  TensorList grads = std::move(buffers_[&node]);
  buffers_.erase(&node);
  grads.resize(node.num_inputs());

  // With inputs, a node neither captured nor leading to a capture does not run (nor do its hooks).
  const auto capture = capturing_ ? captures_.find(&node) : captures_.end();
  const bool leads_on = capturing_ && leads_to_capture_.count(&node);
  if (capturing_ && capture == captures_.end() && !leads_on) return;

  for (Node::PreHook& hook : node.pre_hooks()) {
    Tensor& g = grads[hook.output_nr];
    if (!g.defined()) continue;
    Tensor replaced = hook.fn(g);
    if (replaced.defined()) g = std::move(replaced);
  }
  if (capturing_) {
    if (capture != captures_.end() && !accumulate_inputs_)
      for (const Capture& c : capture->second) captured_[c.index] = grads[c.input_nr];
    // Nothing past here was asked for, unless this is an input's own accumulator.
    const bool accumulates =
        accumulate_inputs_ && capture != captures_.end() && dynamic_cast<AccumulateGrad*>(&node) != nullptr;
    if (!leads_on && !accumulates) return;
  }

  // Note [Nodes without gradients]
  // Undefined gradients mean zero. A node that received none at all (the
  // branch above it returned None, e.g. a custom Function's backward) is not
  // applied: its inputs get no gradient either. Backward formulas may then
  // assume at least one defined gradient.
  const bool any_defined = std::any_of(grads.begin(), grads.end(), [](const Tensor& g) { return g.defined(); });
  TensorList results = any_defined ? node.apply(std::move(grads)) : TensorList(node.num_outputs());
  if (!retain_graph_) node.release_variables();
  WICK_CHECK(results.size() == node.num_outputs(), Error, "Function ", node.name(), " returned ", results.size(),
             " gradients, expected ", node.num_outputs());
  if (AnomalyMode::is_enabled()) check_anomaly(node, results);
  pass_on(node, std::move(results));
}

// Each (validated) result into the buffer of the node it flows to; a node
// whose last dependency this was becomes ready.
void GraphTask::pass_on(Node& node, TensorList&& results) {
  for (size_t i = 0; i < results.size(); ++i) {
    const Edge& e = node.next_edge(i);
    if (!e.fn) continue;
    if (results[i].defined()) accumulate(e, validate(node, i, std::move(results[i]), e.fn->input_metadata()[e.input_nr]));
    if (--deps_[e.fn.get()] == 0) ready_.push(e.fn.get());
  }
}

// Adds a gradient into the input buffer slot the edge names.
void GraphTask::accumulate(const Edge& edge, Tensor&& grad) {
  TensorList& buffer = buffers_[edge.fn.get()];
  buffer.resize(edge.fn->num_inputs());
  Tensor& acc = buffer[edge.input_nr];
  if (!acc.defined()) acc = std::move(grad);
  else acc = acc.add(grad);
}

// Step 6: the callbacks queued while the task ran, including those they queue.
void GraphTask::run_final_callbacks() {
  for (size_t i = 0; i < final_callbacks_.size(); ++i) {
    // Moved out first: the call may queue another, growing the vector.
    std::function<void()> callback = std::move(final_callbacks_[i]);
    callback();
  }
  final_callbacks_.clear();
}

TensorList GraphTask::captured_grads(bool allow_unused) {
  if (capturing_ && !allow_unused)
    for (size_t i = 0; i < inputs_.size(); ++i)
      WICK_CHECK(captured_[i].defined(), Error, "grad: input ", i,
                 " appears to not have been used in the graph. Set allow_unused=True if this is the desired "
                 "behavior.");
  return std::move(captured_);
}

TensorList run_backward(const TensorList& roots, const TensorList& grad_roots, bool retain_graph,
                        bool create_graph, const TensorList& inputs, bool allow_unused,
                        bool accumulate_inputs = false) {
  AutoGradMode mode(create_graph);
  GraphTask task(inputs, retain_graph, accumulate_inputs);
  task.seed_roots(roots, grad_roots);
  task.count_dependencies();
  task.mark_captures();
  task.run();
  task.run_final_callbacks();
  return task.captured_grads(allow_unused);
}

}  // namespace

// Note [create_graph cycles]
// backward(create_graph=True) writes into a leaf's .grad a gradient whose graph
// often saves the leaf itself (x.grad of (x * x).sum() is 2 * x): leaf ->
// .grad -> grad_fn -> leaf, a cycle of C++ references that no collector sees.
// It lives until the user sets .grad to None. PyTorch has the same cycle and
// warns once; so does wick. autograd::grad returns its gradients instead of
// storing them, so it makes no cycle.
void backward(const TensorList& roots, const TensorList& grad_roots, bool retain_graph, bool create_graph,
              const TensorList& inputs) {
  if (create_graph) {
    static std::once_flag once;
    std::call_once(once, [] {
      warn("Using backward() with create_graph=True will create a reference cycle between the parameter and its "
           "gradient which can cause a memory leak (Note [create_graph cycles]). Use wick.autograd.grad to make the "
           "graph instead, or set the parameters' .grad to None after use to break the cycle.");
    });
  }
  run_backward(roots, grad_roots, retain_graph || create_graph, create_graph, inputs, /*allow_unused=*/true,
               /*accumulate_inputs=*/true);
}

TensorList grad(const TensorList& outputs, const TensorList& inputs, const TensorList& grad_outputs,
                std::optional<bool> retain_graph, bool create_graph, bool allow_unused) {
  WICK_CHECK(!inputs.empty(), ValueError, "grad requires at least one input");
  return run_backward(outputs, grad_outputs, retain_graph.value_or(create_graph), create_graph, inputs,
                      allow_unused);
}

void queue_callback(std::function<void()> callback) {
  WICK_CHECK(!running_tasks.empty(), Error, "Final callbacks can only be installed during backward pass.");
  WICK_CHECK(static_cast<bool>(callback), ValueError, "queue_callback: the callback is empty");
  running_tasks.back()->queue_callback(std::move(callback));
}

}  // namespace wick::autograd

namespace wick {

// Note [Accumulating into .grad]
// The first gradient a leaf receives is stored as is when nothing else holds
// it (no copy), else cloned, so that .grad never aliases a tensor the user
// or another node can still see. That holds for a recorded backward
// (create_graph) too, whose clone keeps the history: storing g itself there
// once let a later backward add in place into the user's grad_outputs, or into
// a broadcast gradient (x.sum()'s is one element expanded: stride 0), which
// gave every element the sum of all (now refused: Note [Overlapping in-place
// writes] in core/mem_overlap.h). Later gradients are added in place, unless
// the backward is being recorded, where .grad = .grad + g keeps the sum
// differentiable.
//
// Note [Post-accumulate-grad hooks]
// Tensor::register_post_accumulate_grad_hook's hooks run here, right after
// .grad is written, while the rest of the graph may still be running: data-
// parallel training starts each parameter's gradient all-reduce from one.
// The engine has summed every gradient reaching the leaf in this backward
// before this node runs, so a hook runs once per backward and sees the final
// .grad. A copy of the list is called, so that a hook may remove itself.
TensorList AccumulateGrad::apply(TensorList&& grads) {
  Tensor g = std::move(grads[0]);
  if (!g.defined()) return {};
  AutogradMeta& meta = autograd_meta(leaf_);
  for (Node::PreHook& hook : meta.leaf_hooks) {
    Tensor replaced = hook.fn(g);
    if (replaced.defined()) g = std::move(replaced);
  }
  const bool recording = GradMode::is_enabled();
  std::lock_guard<std::mutex> lock(meta.mutex);  // Note [Concurrent backward] in autograd/autograd_meta.h
  if (!meta.grad.defined()) {
    const bool sole_owner = g.impl_ptr().use_count() == 1 && g.impl()->storage().use_count() == 1 &&
                            g.is_contiguous() && !g.requires_grad();
    if (recording) meta.grad = sole_owner ? g : g.clone();
    else meta.grad = sole_owner ? g : g.detach().clone();
  } else if (recording) {
    meta.grad = meta.grad.add(g);
  } else {
    NoGradGuard no_grad;
    meta.grad.add_(g);
  }
  if (!meta.post_accumulate_grad_hooks.empty()) {
    const std::vector<AutogradMeta::PostAccumulateGradHook> hooks = meta.post_accumulate_grad_hooks;
    for (const auto& hook : hooks) hook.fn(leaf_);
  }
  return {};
}

}  // namespace wick
