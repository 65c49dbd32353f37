// Autograd from Python: the autograd fields of Tensor, grad_fn nodes, hooks
// written in Python, backward/grad and gradcheck.
//
// backward runs without the GIL. A Python hook (Tensor.register_hook) is
// called from inside it, so the hook's C++ wrapper takes the GIL for the call,
// and holds the Python function in a GilSafeObject because the node that
// stores it may be freed anywhere. The same goes for custom Functions
// (wick.autograd.Function): their node, PyFunctionNode, calls the Python
// backward with the GIL taken.
#include <cstdio>
#include <unordered_set>

#include <pybind11/functional.h>

#include "autograd/autograd_meta.h"
#include "autograd/engine.h"
#include "autograd/function.h"
#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

// What Tensor.register_hook and Tensor.register_post_accumulate_grad_hook
// return: remove() takes the hook off again. A hook on a non-leaf lives on its
// grad_fn, which the handle does not keep alive; a hook on a leaf lives in the
// leaf, which the handle keeps.
struct RemovableHandle {
  Tensor leaf;
  std::weak_ptr<Node> node;
  size_t id = 0;

  void remove() {
    if (leaf.defined()) leaf.remove_hook(id);
    else if (auto n = node.lock())
      std::erase_if(n->pre_hooks(), [this](const Node::PreHook& h) { return h.handle == id; });
    leaf = Tensor();
    node.reset();
  }
};

// A hook written in Python, as Tensor::Hook: named (not a lambda) so that the
// cycle collector can find the function inside the std::function.
struct PythonHook {
  GilSafeObject fn;

  Tensor operator()(const Tensor& grad) const {
    py::gil_scoped_acquire gil;
    py::object result = fn.get()(grad);
    if (result.is_none()) return Tensor();
    if (!is_tensor(result)) {
      throw py::type_error(std::string("a tensor hook must return a Tensor or None, but returned an object of type ") +
                           Py_TYPE(result.ptr())->tp_name);
    }
    return result.cast<Tensor>();
  }
};

// Calls fn(tensor) with the tensor's own Python object while that lives, as
// PyTorch does: an nn.Parameter arrives as itself, and dicts keyed by it still
// match. The hook lives in the tensor, so it holds the object weakly.
struct PythonPostAccumulateGradHook {
  GilSafeObject fn;
  GilSafeObject self_ref;

  void operator()(const Tensor& tensor) const {
    py::gil_scoped_acquire gil;
    py::object obj = self_ref.get()();
    if (obj.is_none() || !obj.cast<const Tensor&>().is_same(tensor)) obj = py::cast(tensor);
    py::object result = fn.get()(obj);
    WICK_CHECK(result.is_none(), Error, "Tensor post accumulate grad hooks should return None.");
  }
};

// The `inputs` of backward(): None (every leaf), a Tensor, or a non-empty sequence of Tensors.
TensorList backward_inputs(py::handle inputs) {
  if (inputs.is_none()) return {};
  if (is_tensor(inputs)) return {inputs.cast<Tensor>()};
  if (!PyTuple_Check(inputs.ptr()) && !PyList_Check(inputs.ptr())) {
    throw py::type_error(std::string("backward(): inputs must be a Tensor or a sequence of Tensors, got ") +
                         Py_TYPE(inputs.ptr())->tp_name);
  }
  TensorList out;
  for (py::handle h : inputs) {
    if (!is_tensor(h)) {
      throw py::type_error(std::string("backward(): all inputs have to be Tensors, but got ") +
                           Py_TYPE(h.ptr())->tp_name);
    }
    out.push_back(h.cast<Tensor>());
  }
  WICK_CHECK(!out.empty(), Error, "'inputs' argument to backward() cannot be empty.");
  return out;
}

TensorList defined_or_empty(const std::vector<std::optional<Tensor>>& tensors) {
  TensorList out;
  out.reserve(tensors.size());
  for (const auto& t : tensors) out.push_back(t.value_or(Tensor()));
  return out;
}

// ---- custom Functions (wick.autograd.Function) ---------------------------------------------
//
// Note [Custom Function nodes]
// MyFn.apply(*args) runs MyFn.forward(ctx, *args) without grad mode and, when
// some tensor argument requires grad, records one PyFunctionNode as the
// grad_fn of the outputs. Its next edges are those of the tensor arguments, in
// order; its backward calls MyFn.backward(ctx, *grads) with the GIL taken.
// `ctx` is a Python object of the class MyFnBackward (made per Function by
// python/wick/autograd/function.py), and it is also what output.grad_fn
// returns, as in PyTorch: the node owns ctx, ctx points back at the node
// weakly. Tensors given to ctx.save_for_backward move into the node as
// SavedTensors, so they get version checks, are freed after backward unless
// retain_graph, and a saved output does not keep its own node alive.

class PyFunctionNode;

// The C++ part of a ctx object, bound as wick._C._FunctionBase.
struct FunctionState {
  std::weak_ptr<PyFunctionNode> node;
  bool recorded = false;  // a node was made (some input required grad)
};

class PyFunctionNode final : public Node {
 public:
  std::string name_;
  std::optional<GilSafeObject> ctx;
  std::vector<SavedTensor> saved;
  // For each forward argument: the index of its next edge, or -1 for a non-tensor.
  std::vector<int> edge_of_arg;
  bool materialize_grads = true;

  std::string_view name() const override { return name_; }
  void for_each_saved(const SavedVisitor& f) override {
    for (SavedTensor& s : saved) f(s);
  }

  TensorList apply(TensorList&& grads) override {
    py::gil_scoped_acquire gil;
    WICK_CHECK(ctx && !ctx->get().is_none(), Error, name_,
               ": this node's ctx was freed by Python's garbage collector (an unreachable cycle)");
    const py::object& c = ctx->get();
    py::tuple args(grads.size() + 1);
    args[0] = c;
    for (size_t i = 0; i < grads.size(); ++i) {
      if (grads[i].defined()) {
        args[i + 1] = py::cast(grads[i]);
      } else if (materialize_grads) {
        const TensorMeta& meta = input_metadata()[i];
        args[i + 1] = py::cast(zeros(meta.sizes, TensorOptions(meta.dtype).device(meta.device)));
      } else {
        args[i + 1] = py::none();
      }
    }
    py::object result = c.attr("_forward_cls").attr("backward")(*args);
    py::tuple out = PyTuple_Check(result.ptr()) ? py::reinterpret_borrow<py::tuple>(result) : py::make_tuple(result);

    // One gradient per forward argument; extra trailing Nones are allowed.
    const size_t n = edge_of_arg.size(), got = out.size();
    bool extra_are_none = true;
    for (size_t i = n; i < got; ++i) extra_are_none = extra_are_none && out[i].is_none();
    if (got < n || !extra_are_none) {
      throw py::type_error("function " + name_ + " returned an incorrect number of gradients (expected " +
                           std::to_string(n) + ", got " + std::to_string(got) + ")");
    }
    TensorList result_grads(num_outputs());
    for (size_t i = 0; i < n; ++i) {
      py::handle g = out[i];
      if (g.is_none()) continue;
      if (edge_of_arg[i] < 0) {
        throw py::type_error("function " + name_ + " returned a gradient different than None at position " +
                             std::to_string(i + 1) + ", but the corresponding forward input was not a Tensor");
      }
      if (!is_tensor(g)) {
        throw py::type_error("function " + name_ + " returned a gradient of type " + Py_TYPE(g.ptr())->tp_name +
                             " at position " + std::to_string(i + 1) + "; expected a Tensor or None");
      }
      result_grads[edge_of_arg[i]] = g.cast<Tensor>();
    }
    return result_grads;
  }
};

// The tensors of an optional tuple attribute of ctx (mark_dirty, mark_non_differentiable).
std::unordered_set<TensorImpl*> marked_tensors(const py::object& ctx, const char* attr) {
  std::unordered_set<TensorImpl*> out;
  py::object value = py::getattr(ctx, attr, py::none());
  if (value.is_none()) return out;
  for (py::handle h : value) {
    if (!is_tensor(h)) {
      throw py::type_error(std::string(attr) + ": expected Tensors, got an object of type " + Py_TYPE(h.ptr())->tp_name);
    }
    out.insert(h.cast<const Tensor&>().impl());
  }
  return out;
}

py::object function_apply(const py::object& cls, const py::args& args) {
  py::object ctx = cls.attr("_backward_cls")();
  FunctionState& state = ctx.cast<FunctionState&>();
  const size_t n = args.size();
  std::vector<int> edge_of_arg(n, -1);
  TensorList inputs;
  bool record = false;
  const bool grad_mode = GradMode::is_enabled();
  py::tuple needs_input_grad(n);
  for (size_t i = 0; i < n; ++i) {
    bool needs = false;
    if (is_tensor(args[i])) {
      edge_of_arg[i] = static_cast<int>(inputs.size());
      inputs.push_back(args[i].cast<Tensor>());
      needs = grad_mode && inputs.back().requires_grad();
    }
    needs_input_grad[i] = py::bool_(needs);
    record = record || needs;
  }
  ctx.attr("needs_input_grad") = needs_input_grad;

  py::object outputs;
  {
    AutoGradMode no_grad(false);
    outputs = cls.attr("forward")(ctx, *args);
  }
  if (!record) return outputs;

  auto node = std::make_shared<PyFunctionNode>();
  node->name_ = py::str(cls.attr("__name__")).cast<std::string>() + "Backward";
  node->edge_of_arg = std::move(edge_of_arg);
  for (const Tensor& t : inputs) node->mutable_next_edges().push_back(gradient_edge(t));
  node->materialize_grads = py::getattr(ctx, "materialize_grads", py::bool_(true)).cast<bool>();

  const std::unordered_set<TensorImpl*> dirty = marked_tensors(ctx, "dirty_tensors");
  const std::unordered_set<TensorImpl*> non_differentiable = marked_tensors(ctx, "non_differentiable");
  const bool is_tuple = PyTuple_Check(outputs.ptr());
  py::tuple outs = is_tuple ? py::reinterpret_borrow<py::tuple>(outputs) : py::make_tuple(outputs);
  py::tuple results(outs.size());
  size_t dirty_returned = 0;
  std::unordered_set<TensorImpl*> seen;
  for (size_t i = 0; i < outs.size(); ++i) {
    results[i] = outs[i];
    if (!is_tensor(outs[i])) continue;
    Tensor t = outs[i].cast<Tensor>();
    const bool is_input = std::any_of(inputs.begin(), inputs.end(), [&](const Tensor& x) { return x.is_same(t); });
    const bool differentiable = !non_differentiable.count(t.impl()) && t.is_floating_point();
    const bool repeated = !seen.insert(t.impl()).second;
    if (dirty.count(t.impl()) && !repeated) {
      // Modified in place: the input itself takes the node as its new history.
      ++dirty_returned;
      WICK_CHECK(!(t.is_leaf() && t.requires_grad()), Error,
                 "a leaf Variable that requires grad has been used in an in-place operation (marked dirty by ",
                 node->name_, ")");
      WICK_CHECK(!t.impl()->view_base, NotImplementedError, node->name_,
                 ": marking a view dirty (an in-place change through a view) is not supported");
    } else if (is_input || repeated) {
      // An input returned unchanged, or an output returned twice: an alias
      // takes this slot of the node as history, the tensor keeps its own.
      t = t.detach();
      results[i] = py::cast(t);
    }
    if (differentiable) set_history(t, node);
    else node->add_input_metadata(t);
  }
  WICK_CHECK(dirty_returned == dirty.size(), Error,
             "Some elements marked as dirty during the forward method were not returned as output. The inputs that "
             "are modified inplace must all be outputs of the Function.");

  // ctx.save_for_backward(...): outputs are saved without their grad_fn (Note [Saving outputs]).
  py::object to_save = py::getattr(ctx, "to_save", py::none());
  if (!to_save.is_none()) {
    for (py::handle h : to_save) {
      if (h.is_none()) {
        node->saved.emplace_back();
        continue;
      }
      const Tensor& t = h.cast<const Tensor&>();
      Tensor as_output;
      for (py::handle r : results)
        if (is_tensor(r) && r.cast<const Tensor&>().is_same(t) && t.grad_fn() == node) as_output = t;
      node->saved.push_back(as_output.defined() ? SavedTensor::output(as_output, node) : SavedTensor(t));
    }
  }
  // ctx must not hold tensors itself: an output there would keep its own node alive.
  for (const char* attr : {"to_save", "dirty_tensors", "non_differentiable"})
    if (py::hasattr(ctx, attr)) py::delattr(ctx, attr);

  state.node = node;
  state.recorded = true;
  node->ctx.emplace(ctx);
  return is_tuple ? py::object(results) : py::object(results[0]);
}

std::shared_ptr<PyFunctionNode> live_node(const FunctionState& s) {
  auto node = s.node.lock();
  WICK_CHECK(node, Error, "the autograd graph of this Function has been freed");
  return node;
}

// A node as Python sees it: a custom Function's node is its ctx object.
py::object node_object(const std::shared_ptr<Node>& node) {
  if (auto* fn = dynamic_cast<PyFunctionNode*>(node.get()); fn && fn->ctx) return fn->ctx->get();
  return node ? py::cast(node) : py::none();
}

py::tuple next_functions(const Node& n) {
  // ((node or None, input_nr), ...) as in PyTorch.
  py::tuple out(n.next_edges().size());
  for (size_t i = 0; i < n.next_edges().size(); ++i) {
    const Edge& e = n.next_edges()[i];
    out[i] = py::make_tuple(node_object(e.fn), e.input_nr);
  }
  return out;
}

}  // namespace

// ---- Python's cycle collector --------------------------------------------------------------
//
// Note [Python's cycle collector]
// A Python hook that uses its own tensor, or a custom Function's ctx that keeps
// its output, makes a cycle through C++: tensor object -> TensorImpl -> hook
// or node -> Python function -> tensor object. Python's collector sees only
// the references it is shown, so Tensor objects and Node objects show it the
// Python objects they own through C++ (tp_traverse) and give them up when the
// collector breaks a cycle (tp_clear), as PyTorch's tensors do.
//
// The rule that keeps this sound: a Python object reached through C++ is
// shown only when the path to it is owned by the one object being traversed.
// A TensorImpl counts only when that object's Tensor is its only reference,
// its grad_fn only when the TensorImpl is the node's only owner, and a hook's
// function only when one holder has it. Were a shared path shown, the
// collector would count a reference that other owners keep, and could free
// live objects. What is walked: a leaf's hooks and post-accumulate-grad hooks,
// the grad_fn's hooks and a custom Function's ctx, and an AccumulateGrad's
// leaf. A cycle through a shared path (a node with several outputs alive, a
// graph still held elsewhere) is freed once that sharing ends, or never if the
// sharing is part of the cycle; PyTorch walks no further either.
//
// tp_clear takes the Python objects out of the hooks and nodes it reached
// (they hold None afterwards) and leaves the tensor itself intact. What it
// reached is unreachable garbage, so no backward will call those hooks again.
//
// A limit, shared with PyTorch's traversal: the counts are read while other
// threads may run C++ without the GIL, and the collector traverses each
// object twice (once to subtract the references it is shown, once to mark
// what is reachable). Should another thread take a second reference to a
// TensorImpl or node between the two passes (recording an op on the tensor,
// or making its AccumulateGrad, in a GIL-free call), the first pass shows a
// hook's function and the second does not, and the collector takes that live
// function for garbage and clears it. Recording ops from other threads on
// tensors that carry Python hooks while a collection runs is the case to
// avoid. The fix is one decision per object per collection (cached, and
// dropped from a gc.callbacks "stop" hook); it is not built yet.

namespace {

// f(GilSafeObject&) for each Python object `node` owns; a nonzero result stops the walk.
template <typename F>
int for_each_owned_object(Node& node, F&& f);

template <typename F>
int for_each_owned_object(const Tensor& t, F&& f) {
  if (!t.defined() || t.impl_ptr().use_count() != 1) return 0;
  TensorImpl* impl = t.impl();
  if (AutogradMeta* meta = impl->autograd.get()) {
    for (Node::PreHook& hook : meta->leaf_hooks)
      if (auto* py = hook.fn.target<PythonHook>())
        if (int r = f(py->fn)) return r;
    for (AutogradMeta::PostAccumulateGradHook& hook : meta->post_accumulate_grad_hooks)
      if (auto* py = hook.fn.target<PythonPostAccumulateGradHook>())
        if (int r = f(py->fn)) return r;
  }
  if (impl->grad_fn && impl->grad_fn.use_count() == 1) return for_each_owned_object(*impl->grad_fn, f);
  return 0;
}

template <typename F>
int for_each_owned_object(Node& node, F&& f) {
  for (Node::PreHook& hook : node.pre_hooks())
    if (auto* py = hook.fn.target<PythonHook>())
      if (int r = f(py->fn)) return r;
  if (auto* fn = dynamic_cast<PyFunctionNode*>(&node); fn && fn->ctx)
    if (int r = f(*fn->ctx)) return r;
  if (auto* acc = dynamic_cast<AccumulateGrad*>(&node)) return for_each_owned_object(acc->variable(), f);
  return 0;
}

// What tp_traverse and tp_clear do for a root (a Tensor, or a Node its object solely owns).
template <typename Root>
int traverse_owned(Root& root, visitproc visit, void* arg) {
  return for_each_owned_object(root, [&](GilSafeObject& o) { return o.sole() ? visit(o.sole(), arg) : 0; });
}
template <typename Root>
void clear_owned(Root& root) {
  std::vector<py::object> dropped;  // released after the walk: their deaths may run arbitrary code
  for_each_owned_object(root, [&](GilSafeObject& o) {
    if (o.sole()) dropped.push_back(o.take());
    return 0;
  });
}

// The C++ value inside a pybind11 instance, or null before it was constructed.
template <typename T>
T* held_value(PyObject* self) {
  auto* inst = reinterpret_cast<py::detail::instance*>(self);
  py::detail::value_and_holder vh = inst->get_value_and_holder(nullptr, false);
  return vh && vh.holder_constructed() ? static_cast<T*>(vh.value_ptr()) : nullptr;
}

// The __dict__ of a bound class with py::dynamic_attr (Tensor, _FunctionBase),
// visited once. pybind11 2.10's traverse visits it, and on Python 3.11 the
// traverse of a Python subclass (nn.Parameter, a Function's ctx class) visits
// the same managed dict before calling it. Visited twice, the dict looks
// referenced from outside the cycle and nothing hanging off it is ever freed
// (a Parameter kept in its own attribute, a ctx that keeps its output). So
// `own`, the bound class's traverse, visits it only when it is the instance's
// own traverse. The type is always visited: a heap type's instances own it,
// and a subclass's traverse leaves that visit to its base's.
int visit_dict_once(PyObject* self, traverseproc own, visitproc visit, void* arg) {
  if (Py_TYPE(self)->tp_traverse == own) {
    PyObject** dict = _PyObject_GetDictPtr(self);
    if (dict) Py_VISIT(*dict);
  }
  Py_VISIT(Py_TYPE(self));
  return 0;
}

int function_base_traverse(PyObject* self, visitproc visit, void* arg) {
  return visit_dict_once(self, function_base_traverse, visit, arg);
}

void visit_ctx_dict_once(PyHeapTypeObject* heap_type) { heap_type->ht_type.tp_traverse = function_base_traverse; }

int tensor_traverse(PyObject* self, visitproc visit, void* arg) {
  if (int r = visit_dict_once(self, tensor_traverse, visit, arg)) return r;
  const Tensor* t = held_value<Tensor>(self);
  return t ? traverse_owned(*t, visit, arg) : 0;
}

inquiry base_tensor_clear = nullptr;  // pybind11's: clears the __dict__

int tensor_clear(PyObject* self) {
  if (const Tensor* t = held_value<Tensor>(self)) clear_owned(*t);
  return base_tensor_clear ? base_tensor_clear(self) : 0;
}

// A Node object holds a std::shared_ptr (to an AccumulateGrad for that class);
// the node is walked when that object is its only owner.
PyTypeObject* accumulate_grad_type = nullptr;

Node* solely_held_node(PyObject* self) {
  Node* node = accumulate_grad_type && PyObject_TypeCheck(self, accumulate_grad_type)
                   ? static_cast<Node*>(held_value<AccumulateGrad>(self))
                   : held_value<Node>(self);
  return node && node->weak_from_this().use_count() == 1 ? node : nullptr;
}

int node_traverse(PyObject* self, visitproc visit, void* arg) {
  Py_VISIT(Py_TYPE(self));  // a heap type's instances own a reference to it
  Node* node = solely_held_node(self);
  return node ? traverse_owned(*node, visit, arg) : 0;
}

int node_clear(PyObject* self) {
  if (Node* node = solely_held_node(self)) clear_owned(*node);
  return 0;
}

void collect_node_cycles(PyHeapTypeObject* heap_type) {
  PyTypeObject* type = &heap_type->ht_type;
  type->tp_flags |= Py_TPFLAGS_HAVE_GC;
  type->tp_traverse = node_traverse;
  type->tp_clear = node_clear;
}

}  // namespace

void collect_tensor_cycles(PyHeapTypeObject* heap_type) {
  PyTypeObject* type = &heap_type->ht_type;
  base_tensor_clear = type->tp_clear;
  type->tp_flags |= Py_TPFLAGS_HAVE_GC;
  type->tp_traverse = tensor_traverse;
  type->tp_clear = tensor_clear;
}

namespace {

void init_custom_functions(py::module_& m) {
  py::class_<FunctionState>(m, "_FunctionBase", py::dynamic_attr(), py::custom_type_setup(visit_ctx_dict_once),
                            "The C++ part of a custom Function's ctx (see wick.autograd.Function).")
      .def(py::init<>())
      .def_property_readonly(
          "saved_tensors",
          [](py::handle self) -> py::object {
            const FunctionState& s = self.cast<const FunctionState&>();
            if (!s.recorded) return py::tuple(py::getattr(self, "to_save", py::tuple()));
            auto node = live_node(s);
            py::tuple out(node->saved.size());
            for (size_t i = 0; i < node->saved.size(); ++i) {
              Tensor t = node->saved[i].unpack();
              out[i] = t.defined() ? py::cast(t) : py::none();
            }
            return out;
          },
          "The tensors given to save_for_backward, checked to be unmodified since.")
      .def("name", [](const FunctionState& s) { return std::string(live_node(s)->name()); })
      .def_property_readonly("next_functions", [](const FunctionState& s) { return next_functions(*live_node(s)); })
      .def_property_readonly("_sequence_nr", [](const FunctionState& s) { return live_node(s)->sequence_nr(); });
  m.def("_function_apply", &function_apply, py::arg("cls"),
        "Runs cls.forward(ctx, *args) and records its backward (see wick.autograd.Function.apply).");
}

void init_nodes(py::module_& m) {
  py::class_<Node, std::shared_ptr<Node>>(m, "Node", py::custom_type_setup(collect_node_cycles),
                                         "A recorded op of the autograd graph: the grad_fn of its outputs.")
      .def(
          "name", [](const Node& n) { return std::string(n.name()); },
          "name() -> str\n\nPyTorch's name for the node, e.g. 'MulBackward0' or 'AccumulateGrad'.")
      .def_property_readonly("next_functions", &next_functions,
                             "((node or None, input_nr), ...): where this node's gradients flow, one per input.")
      .def_property_readonly("_sequence_nr", method(&Node::sequence_nr))
      .def("__repr__", [](py::handle self) {
        char address[32];
        std::snprintf(address, sizeof address, "%p", static_cast<void*>(self.ptr()));
        return "<" + std::string(self.cast<const Node&>().name()) + " object at " + address + ">";
      });
  py::class_<AccumulateGrad, Node, std::shared_ptr<AccumulateGrad>> accumulate_grad(m, "AccumulateGrad");
  accumulate_grad
      .def_property_readonly("variable", method(&AccumulateGrad::variable), "The leaf tensor whose .grad this node fills.");
  disallow_new(m.attr("Node"));
  disallow_new(m.attr("AccumulateGrad"));
  accumulate_grad_type = reinterpret_cast<PyTypeObject*>(accumulate_grad.ptr());

  py::class_<RemovableHandle>(m, "RemovableHandle",
                              "Returned by Tensor.register_hook and Tensor.register_post_accumulate_grad_hook; "
                              "remove() takes the hook off.")
      .def_readonly("id", &RemovableHandle::id)
      .def("remove", method(&RemovableHandle::remove), "remove() -> None\n\nTakes the hook off (a second call does nothing).")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](RemovableHandle& h, py::args) { h.remove(); });
  disallow_new(m.attr("RemovableHandle"));
}

void init_tensor_autograd(TensorClass& cls) {
  cls.def_property(
         "requires_grad", method(&Tensor::requires_grad), [](const Tensor& t, bool r) { t.requires_grad_(r); },
         "Whether autograd records ops on this tensor (settable on leaves).")
      .def("requires_grad_", inplace<bool>([](const Tensor& t, bool r) { t.requires_grad_(r); }),
           py::arg("requires_grad") = true,
           "requires_grad_(requires_grad=True) -> Tensor\n\n"
           "Sets requires_grad of this leaf in place (only floating point tensors can require grad);\n"
           "returns the tensor.\n\n"
           "Example::\n\n"
           "    >>> w = wick.randn(3, 2).requires_grad_()")
      .def_property_readonly("is_leaf", method(&Tensor::is_leaf),
                             "True for tensors no recorded op made: those made by the user, and every tensor that "
                             "does not require grad.")
      .def_property(
          "grad",
          [](const Tensor& t) -> std::optional<Tensor> {
            const Tensor& g = t.grad();
            return g.defined() ? std::optional<Tensor>(g) : std::nullopt;
          },
          [](const Tensor& t, std::optional<Tensor> g) { t.set_grad(g.value_or(Tensor())); },
          "The gradient accumulated by backward (None until then).")
      .def_property_readonly(
          "grad_fn", [](const Tensor& t) { return node_object(t.grad_fn()); },
          "The node that made this tensor (its backward), or None for leaves and tensors made without grad.")
      .def_property_readonly("output_nr", method(&Tensor::output_nr), "Which output of its grad_fn this tensor is.")
      .def("retain_grad", method(&Tensor::retain_grad),
           "retain_grad() -> None\n\n"
           "Makes backward keep this non-leaf tensor's gradient in .grad (leaves always keep theirs).")
      .def_property_readonly("retains_grad", method(&Tensor::retains_grad), "True after retain_grad() on a non-leaf.")
      .def(
          "detach", [](const Tensor& t) { return t.detach(); },
          "detach() -> Tensor\n\n"
          "A tensor sharing this one's data but cut from the graph: it does not require grad, and\n"
          "nothing computed from it flows back here.")
      .def("detach_", inplace<>([](const Tensor& t) { t.detach_(); }),
           "detach_() -> Tensor\n\nCuts this tensor from the graph in place, making it a leaf; returns it.")
      .def(
          "backward",
          [](const Tensor& t, std::optional<Tensor> gradient, std::optional<bool> retain_graph, bool create_graph,
             py::handle inputs) {
            const TensorList only = backward_inputs(inputs);
            py::gil_scoped_release release;
            autograd::backward({t}, {gradient.value_or(Tensor())}, retain_graph.value_or(create_graph), create_graph,
                               only);
          },
          py::arg("gradient") = py::none(), py::arg("retain_graph") = py::none(), py::arg("create_graph") = false,
          py::arg("inputs") = py::none(),
          "backward(gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None\n\n"
          "Runs the chain rule from this tensor back through the graph that made it and adds the\n"
          "gradients into the .grad of the leaves (accumulating: zero them between steps).\n\n"
          "Args:\n"
          "    gradient (Tensor, optional): the gradient of this tensor, of its shape (the vector of a\n"
          "        vector-Jacobian product); may be omitted for a one-element tensor (then 1).\n"
          "    retain_graph (bool, optional): keep the saved tensors for another backward through this\n"
          "        graph (default: create_graph). Without it, a second backward raises an error.\n"
          "    create_graph (bool): record the backward, so that the gradients are differentiable.\n"
          "    inputs (Tensor or sequence of Tensors, optional): accumulate only into these tensors'\n"
          "        .grad (a non-leaf among them is made to retain its grad).\n\n"
          "Example::\n\n"
          "    >>> x = wick.tensor([3.0], requires_grad=True)\n"
          "    >>> (x ** 2 + 2 * x - 5).backward()\n"
          "    >>> x.grad\n"
          "    tensor([8.])")
      .def(
          "register_hook",
          [](const Tensor& t, py::function hook) {
            RemovableHandle h;
            h.id = t.register_hook(PythonHook{GilSafeObject(std::move(hook))});
            if (t.grad_fn()) h.node = t.grad_fn();
            else h.leaf = t;
            return h;
          },
          py::arg("hook"),
          "register_hook(hook) -> RemovableHandle\n\n"
          "hook(grad) runs each time this tensor's gradient is computed; a Tensor it returns replaces\n"
          "the gradient (None keeps it). handle.remove() takes the hook off.\n\n"
          "Example::\n\n"
          "    >>> x = wick.tensor([1.0, 2.0], requires_grad=True)\n"
          "    >>> h = x.register_hook(lambda g: g * 2)   # doubles the gradient reaching x\n"
          "    >>> (x * 3).sum().backward()\n"
          "    >>> x.grad\n"
          "    tensor([6., 6.])\n"
          "    >>> h.remove()")
      .def(
          "register_post_accumulate_grad_hook",
          [](py::object self, py::function hook) {
            const Tensor& t = self.cast<const Tensor&>();
            RemovableHandle h;
            h.id = t.register_post_accumulate_grad_hook(PythonPostAccumulateGradHook{
                GilSafeObject(std::move(hook)), GilSafeObject(py::module_::import("weakref").attr("ref")(self))});
            h.leaf = t;
            return h;
          },
          py::arg("hook"),
          "register_post_accumulate_grad_hook(hook) -> RemovableHandle\n\n"
          "hook(tensor) runs each time backward has accumulated a gradient into this leaf tensor's\n"
          ".grad, right after .grad was written (while the rest of the backward may still run), with\n"
          "this tensor as its argument; it must return None. Only leaf tensors that require grad take\n"
          "one. handle.remove() takes the hook off. As in PyTorch 2.x.\n\n"
          "Example::\n\n"
          "    >>> w = wick.tensor([1.0, 2.0], requires_grad=True)\n"
          "    >>> seen = []\n"
          "    >>> h = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))\n"
          "    >>> (w * w).sum().backward()\n"
          "    >>> seen\n"
          "    [[2.0, 4.0]]\n"
          "    >>> h.remove()");
}

void init_functions(py::module_& m) {
  m.def(
      "_backward",
      [](const TensorList& tensors, const std::vector<std::optional<Tensor>>& grad_tensors, bool retain_graph,
         bool create_graph, py::handle inputs) {
        const TensorList grads = defined_or_empty(grad_tensors);
        const TensorList only = backward_inputs(inputs);
        py::gil_scoped_release release;
        autograd::backward(tensors, grads, retain_graph, create_graph, only);
      },
      py::arg("tensors"), py::arg("grad_tensors"), py::arg("retain_graph"), py::arg("create_graph"),
      py::arg("inputs") = py::none(), "The engine behind wick.autograd.backward.");
  m.def(
      "_grad",
      [](const TensorList& outputs, const TensorList& inputs, const std::vector<std::optional<Tensor>>& grad_outputs,
         std::optional<bool> retain_graph, bool create_graph, bool allow_unused) {
        const TensorList grads = defined_or_empty(grad_outputs);
        const TensorList result = without_gil(
            [&] { return autograd::grad(outputs, inputs, grads, retain_graph, create_graph, allow_unused); });
        py::tuple out(result.size());
        for (size_t i = 0; i < result.size(); ++i) out[i] = result[i].defined() ? py::cast(result[i]) : py::none();
        return out;
      },
      py::arg("outputs"), py::arg("inputs"), py::arg("grad_outputs"), py::arg("retain_graph"),
      py::arg("create_graph"), py::arg("allow_unused"), "The engine behind wick.autograd.grad.");
  m.def(
      "_queue_callback",
      [](py::function callback) {
        GilSafeObject holder(std::move(callback));
        autograd::queue_callback([holder] {
          py::gil_scoped_acquire gil;
          holder.get()();
        });
      },
      py::arg("callback"),
      "The engine behind wick.autograd.Variable._execution_engine.queue_callback: callback() runs\n"
      "once the backward running on this thread has finished.");
  // fn(list of tensors) -> tensor; Python's gradcheck (wick/autograd/gradcheck.py) adapts the user's function.
  m.def(
      "_gradcheck",
      [](const std::function<Tensor(const TensorList&)>& fn, const TensorList& inputs, double eps, double atol,
         double rtol) {
        GradcheckOptions options;
        options.eps = eps;
        options.atol = atol;
        options.rtol = rtol;
        return gradcheck(fn, inputs, options);
      },
      py::arg("fn"), py::arg("inputs"), py::arg("eps"), py::arg("atol"), py::arg("rtol"),
      "The comparison behind wick.autograd.gradcheck.");
}

}  // namespace

void init_autograd(py::module_& m, TensorClass& cls) {
  init_nodes(m);
  init_custom_functions(m);
  init_tensor_autograd(cls);
  init_functions(m);
}

}  // namespace wick::python
