// Autograd from Python: the autograd fields of Tensor, grad_fn nodes, hooks
// written in Python, backward/grad and gradcheck.
//
// backward runs without the GIL. A Python hook (Tensor.register_hook) is
// called from inside it, so the hook's C++ wrapper takes the GIL for the call,
// and holds the Python function in a GilSafeObject because the node that
// stores it may be freed anywhere.
#include <cstdio>

#include <pybind11/functional.h>

#include "autograd/autograd_meta.h"
#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

// What Tensor.register_hook returns: remove() takes the hook off again. A
// hook on a non-leaf lives on its grad_fn, which the handle does not keep
// alive; a hook on a leaf lives in the leaf, which the handle keeps.
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

Tensor::Hook python_hook(py::function fn) {
  GilSafeObject holder(std::move(fn));
  return [holder](const Tensor& grad) -> Tensor {
    py::gil_scoped_acquire gil;
    py::object result = holder.get()(grad);
    if (result.is_none()) return Tensor();
    if (!is_tensor(result)) {
      throw py::type_error(std::string("a tensor hook must return a Tensor or None, but returned an object of type ") +
                           Py_TYPE(result.ptr())->tp_name);
    }
    return result.cast<Tensor>();
  };
}

TensorList defined_or_empty(const std::vector<std::optional<Tensor>>& tensors) {
  TensorList out;
  out.reserve(tensors.size());
  for (const auto& t : tensors) out.push_back(t.value_or(Tensor()));
  return out;
}

void init_nodes(py::module_& m) {
  py::class_<Node, std::shared_ptr<Node>>(m, "Node", "A recorded op of the autograd graph: the grad_fn of its outputs.")
      .def("name", [](const Node& n) { return std::string(n.name()); })
      .def_property_readonly(
          "next_functions",
          [](const Node& n) {
            // ((node or None, input_nr), ...) as in PyTorch.
            py::tuple out(n.next_edges().size());
            for (size_t i = 0; i < n.next_edges().size(); ++i) {
              const Edge& e = n.next_edges()[i];
              out[i] = py::make_tuple(e.fn ? py::cast(e.fn) : py::none(), e.input_nr);
            }
            return out;
          })
      .def_property_readonly("_sequence_nr", &Node::sequence_nr)
      .def("__repr__", [](py::handle self) {
        char address[32];
        std::snprintf(address, sizeof address, "%p", static_cast<void*>(self.ptr()));
        return "<" + std::string(self.cast<const Node&>().name()) + " object at " + address + ">";
      });
  py::class_<AccumulateGrad, Node, std::shared_ptr<AccumulateGrad>>(m, "AccumulateGrad")
      .def_property_readonly("variable", &AccumulateGrad::variable);
  disallow_new(m.attr("Node"));
  disallow_new(m.attr("AccumulateGrad"));

  py::class_<RemovableHandle>(m, "RemovableHandle", "Returned by Tensor.register_hook; remove() takes the hook off.")
      .def_readonly("id", &RemovableHandle::id)
      .def("remove", &RemovableHandle::remove)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](RemovableHandle& h, py::args) { h.remove(); });
  disallow_new(m.attr("RemovableHandle"));
}

void init_tensor_autograd(TensorClass& cls) {
  cls.def_property(
         "requires_grad", &Tensor::requires_grad, [](const Tensor& t, bool r) { t.requires_grad_(r); },
         "Whether autograd records ops on this tensor (settable on leaves).")
      .def("requires_grad_", inplace<bool>([](const Tensor& t, bool r) { t.requires_grad_(r); }),
           py::arg("requires_grad") = true)
      .def_property_readonly("is_leaf", &Tensor::is_leaf)
      .def_property(
          "grad",
          [](const Tensor& t) -> std::optional<Tensor> {
            const Tensor& g = t.grad();
            return g.defined() ? std::optional<Tensor>(g) : std::nullopt;
          },
          [](const Tensor& t, std::optional<Tensor> g) { t.set_grad(g.value_or(Tensor())); },
          "The gradient accumulated by backward (None until then).")
      .def_property_readonly("grad_fn", [](const Tensor& t) { return t.grad_fn(); })
      .def_property_readonly("output_nr", &Tensor::output_nr)
      .def("retain_grad", &Tensor::retain_grad)
      .def_property_readonly("retains_grad", &Tensor::retains_grad)
      .def("detach", [](const Tensor& t) { return t.detach(); })
      .def("detach_", inplace<>([](const Tensor& t) { t.detach_(); }))
      .def(
          "backward",
          [](const Tensor& t, std::optional<Tensor> gradient, std::optional<bool> retain_graph, bool create_graph,
             py::handle inputs) {
            if (!inputs.is_none()) throw py::value_error("backward(): the `inputs` argument is not supported yet");
            py::gil_scoped_release release;
            t.backward(gradient.value_or(Tensor()), retain_graph.value_or(create_graph), create_graph);
          },
          py::arg("gradient") = py::none(), py::arg("retain_graph") = py::none(), py::arg("create_graph") = false,
          py::arg("inputs") = py::none(),
          "Accumulates the gradient of this tensor into the .grad of the leaves it was computed from.")
      .def(
          "register_hook",
          [](const Tensor& t, py::function hook) {
            RemovableHandle h;
            h.id = t.register_hook(python_hook(std::move(hook)));
            if (t.grad_fn()) h.node = t.grad_fn();
            else h.leaf = t;
            return h;
          },
          py::arg("hook"),
          "hook(grad) runs when this tensor's gradient is computed; a Tensor it returns replaces the gradient.");
}

void init_functions(py::module_& m) {
  m.def(
      "_backward",
      [](const TensorList& tensors, const std::vector<std::optional<Tensor>>& grad_tensors, bool retain_graph,
         bool create_graph) {
        const TensorList grads = defined_or_empty(grad_tensors);
        py::gil_scoped_release release;
        autograd::backward(tensors, grads, retain_graph, create_graph);
      },
      py::arg("tensors"), py::arg("grad_tensors"), py::arg("retain_graph"), py::arg("create_graph"));
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
      py::arg("create_graph"), py::arg("allow_unused"));
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
      py::arg("fn"), py::arg("inputs"), py::arg("eps"), py::arg("atol"), py::arg("rtol"));
}

}  // namespace

void init_autograd(py::module_& m, TensorClass& cls) {
  init_nodes(m);
  init_tensor_autograd(cls);
  init_functions(m);
}

}  // namespace wick::python
