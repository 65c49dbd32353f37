// Containers: Sequential, ModuleList, ModuleDict.
//
//   auto net = std::make_shared<nn::Sequential>(
//       std::make_shared<nn::Linear>(784, 128), std::make_shared<nn::ReLU>(),
//       std::make_shared<nn::Dropout>(0.2), std::make_shared<nn::Linear>(128, 10));
//   Tensor logits = net->forward(x);          // children named "0", "1", "2", "3"
#pragma once

#include <concepts>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/module.h"

namespace wick::nn {

// A module whose forward takes one tensor and returns one.
template <typename M>
concept TensorToTensorModule = std::derived_from<M, Module> && requires(M& m, const Tensor& x) {
  { m.forward(x) } -> std::convertible_to<Tensor>;
};

namespace detail {
template <typename M>
std::shared_ptr<M> checked_cast(const std::shared_ptr<Module>& module, const char* container, const std::string& key) {
  auto out = std::dynamic_pointer_cast<M>(module);
  WICK_CHECK(out, TypeError, container, ": element ", key, " is a ", module->type_name(), ", not the type asked for");
  return out;
}
}  // namespace detail

// Runs its children in order, each on the previous one's output.
class Sequential : public Module {
 public:
  Sequential() = default;
  template <TensorToTensorModule... Ms>
  explicit Sequential(std::shared_ptr<Ms>... modules) {
    (push_back(std::move(modules)), ...);
  }

  // Appends a child named by its position ("0", "1", ...) or by `name`.
  template <TensorToTensorModule M>
  void push_back(std::shared_ptr<M> module) {
    push_back(std::to_string(modules_.size()), std::move(module));
  }
  template <TensorToTensorModule M>
  void push_back(const std::string& name, std::shared_ptr<M> module) {
    WICK_CHECK(module, ValueError, "Sequential: cannot add a null module");
    WICK_CHECK(!named_children().contains(name), ValueError, "Sequential: a module named '", name,
               "' already exists");
    register_module(name, module);
    // The child is kept alive by modules_; the step only calls it.
    M* raw = module.get();
    steps_.push_back([raw](const Tensor& x) -> Tensor { return raw->forward(x); });
    modules_.push_back(std::move(module));
  }

  Tensor forward(const Tensor& input);
  size_t size() const { return modules_.size(); }
  bool empty() const { return modules_.empty(); }
  std::shared_ptr<Module> operator[](size_t index) const;
  template <typename M>
  std::shared_ptr<M> at(size_t index) const {
    return detail::checked_cast<M>((*this)[index], "Sequential", std::to_string(index));
  }
  auto begin() const { return modules_.begin(); }
  auto end() const { return modules_.end(); }

 private:
  std::vector<std::shared_ptr<Module>> modules_;
  std::vector<std::function<Tensor(const Tensor&)>> steps_;
};

// Holds children under their positions; forward is the user's to write.
class ModuleList : public Module {
 public:
  ModuleList() = default;
  template <typename... Ms>
  explicit ModuleList(std::shared_ptr<Ms>... modules) {
    (push_back(std::move(modules)), ...);
  }

  void push_back(std::shared_ptr<Module> module);
  void extend(const std::vector<std::shared_ptr<Module>>& modules);
  size_t size() const { return modules_.size(); }
  bool empty() const { return modules_.empty(); }
  // Negative indices count from the end, as in Python.
  std::shared_ptr<Module> operator[](int64_t index) const;
  template <typename M>
  std::shared_ptr<M> at(int64_t index) const {
    return detail::checked_cast<M>((*this)[index], "ModuleList", std::to_string(index));
  }
  auto begin() const { return modules_.begin(); }
  auto end() const { return modules_.end(); }

 private:
  std::vector<std::shared_ptr<Module>> modules_;
};

// Holds children by name, in insertion order.
class ModuleDict : public Module {
 public:
  ModuleDict() = default;
  explicit ModuleDict(const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& modules);

  // Adds a child, or replaces the one of that name (keeping its position).
  void insert(const std::string& key, std::shared_ptr<Module> module);
  bool contains(const std::string& key) const { return named_children().contains(key); }
  std::shared_ptr<Module> operator[](const std::string& key) const;
  template <typename M>
  std::shared_ptr<M> at(const std::string& key) const {
    return detail::checked_cast<M>((*this)[key], "ModuleDict", "'" + key + "'");
  }
  size_t size() const { return named_children().size(); }
  bool empty() const { return named_children().empty(); }
  std::vector<std::string> keys() const { return named_children().keys(); }
  auto begin() const { return named_children().begin(); }
  auto end() const { return named_children().end(); }
};

}  // namespace wick::nn
