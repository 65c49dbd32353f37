// nn::Module: the base of every layer and model, as torch.nn.Module.
//
//   struct Net : nn::Module {
//     std::shared_ptr<nn::Linear> fc1, fc2;
//     Net() {
//       fc1 = register_module("fc1", std::make_shared<nn::Linear>(784, 128));
//       fc2 = register_module("fc2", std::make_shared<nn::Linear>(128, 10));
//     }
//     Tensor forward(const Tensor& x) { return fc2->forward(relu(fc1->forward(x))); }
//   };
//   auto net = std::make_shared<Net>();
//   net->named_parameters();   // fc1.weight, fc1.bias, fc2.weight, fc2.bias
//   std::cout << *net;          // Net(\n  (fc1): Linear(in_features=784, ...
//
// A module owns named parameters (leaves that require grad), buffers
// (state such as BatchNorm's running mean) and child modules; names join
// with dots as in PyTorch, so state_dict() keys mean the same thing in both.
// Modules are shared: hold them in std::shared_ptr (modules() and
// named_modules() need the root to be owned by one).
//
// forward() is not virtual: each module declares the forward its inputs need
// (Linear takes a tensor, Bilinear two, LSTM a tensor and a state).
// Sequential calls the single-tensor forward of what it holds.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/tensor.h"
#include "nn/ordered_dict.h"

namespace wick::nn {

using StateDict = OrderedDict<Tensor>;

// What load_state_dict found: keys the module has that the state lacked,
// and keys the state has that the module does not.
struct LoadStateDictResult {
  std::vector<std::string> missing_keys;
  std::vector<std::string> unexpected_keys;
};

class Module : public std::enable_shared_from_this<Module> {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // ---- registration --------------------------------------------------------------------------
  // Registers `tensor` (undefined: a parameter slot left empty, like
  // PyTorch's bias=None) and sets its requires_grad. Registering a name again
  // replaces the parameter. Returns the tensor, for `weight = register_parameter(...)`.
  Tensor register_parameter(const std::string& name, Tensor tensor, bool requires_grad = true);
  // Buffers are module state that is not trained. Non-persistent buffers are
  // left out of state_dict().
  Tensor register_buffer(const std::string& name, Tensor tensor, bool persistent = true);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }

  // ---- traversal -----------------------------------------------------------------------------
  // Each tensor once, even if shared by two modules (tied weights), in
  // registration order, depth first. Names are dotted paths: "0.weight".
  std::vector<Tensor> parameters(bool recurse = true) const;
  OrderedDict<Tensor> named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  OrderedDict<Tensor> named_buffers(bool recurse = true) const;
  std::vector<std::shared_ptr<Module>> children() const;
  const OrderedDict<std::shared_ptr<Module>>& named_children() const { return children_; }
  // This module first (named ""), then every descendant once.
  std::vector<std::shared_ptr<Module>> modules();
  OrderedDict<std::shared_ptr<Module>> named_modules(const std::string& prefix = "");

  // ---- mode and state ------------------------------------------------------------------------
  // Sets the training flag of this module and all below it (Dropout and
  // BatchNorm behave differently in eval mode).
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  // Resets the gradients of all parameters: to undefined (set_to_none) or to zeros.
  void zero_grad(bool set_to_none = true);
  // Converts every parameter and buffer in place (each keeps its identity,
  // so optimizers holding them see the change). A dtype applies to floating
  // point tensors only, as in PyTorch.
  void to(Device device);
  void to(ScalarType dtype);
  void to(Device device, ScalarType dtype);
  // fn(child) for every descendant, children before parents, then fn(*this).
  void apply(const std::function<void(Module&)>& fn);

  // Parameters and persistent buffers by dotted name, detached from the graph
  // but sharing memory with the module.
  StateDict state_dict() const;
  // Copies the values of `state` into the module's tensors. Shape mismatches
  // always raise; with `strict`, missing and unexpected keys raise too.
  LoadStateDictResult load_state_dict(const StateDict& state, bool strict = true);

  // ---- printing ------------------------------------------------------------------------------
  // The class name: "Linear", or the name of a user's subclass.
  std::string type_name() const;
  // What goes inside the parentheses, as PyTorch's extra_repr.
  virtual std::string extra_repr() const { return {}; }
  // The tree as PyTorch prints it.
  std::string str() const;

 protected:
  bool training_ = true;

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  enum class Member { Parameter, Buffer, Module };
  void check_new_name(const std::string& name, Member kind) const;
  // Calls fn(path, module) for this module and each descendant, along every
  // path (a module registered twice is visited twice, as PyTorch's state_dict does).
  void visit(const std::string& prefix, const std::function<void(const std::string&, const Module&)>& fn) const;
  void convert(std::optional<Device> device, std::optional<ScalarType> dtype);

  OrderedDict<Tensor> parameters_;
  OrderedDict<Tensor> buffers_;
  std::unordered_set<std::string> non_persistent_;
  OrderedDict<std::shared_ptr<Module>> children_;
};

std::ostream& operator<<(std::ostream& os, const Module& module);

// Python's spelling of values, for extra_repr(): 1e-05, 0.1, 1.0, True, (3, 3), (3,).
std::string repr_float(double v);
std::string repr_bool(bool v);
std::string repr_tuple(IntArrayRef v);

}  // namespace wick::nn
