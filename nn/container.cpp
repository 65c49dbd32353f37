#include "nn/container.h"

namespace wick::nn {

Tensor Sequential::forward(const Tensor& input) {
  Tensor x = input;
  for (const auto& step : steps_) x = step(x);
  return x;
}

std::shared_ptr<Module> Sequential::operator[](size_t index) const {
  WICK_CHECK(index < modules_.size(), IndexError, "Sequential: index ", index, " is out of range for ",
             modules_.size(), " modules");
  return modules_[index];
}

void ModuleList::push_back(std::shared_ptr<Module> module) {
  WICK_CHECK(module, ValueError, "ModuleList: cannot add a null module");
  register_module(std::to_string(modules_.size()), module);
  modules_.push_back(std::move(module));
}

void ModuleList::extend(const std::vector<std::shared_ptr<Module>>& modules) {
  for (const auto& m : modules) push_back(m);
}

std::shared_ptr<Module> ModuleList::operator[](int64_t index) const {
  const auto n = static_cast<int64_t>(modules_.size());
  WICK_CHECK(index >= -n && index < n, IndexError, "index ", index, " is out of range for a ModuleList of ", n,
             " modules");
  return modules_[static_cast<size_t>(index < 0 ? index + n : index)];
}

ModuleDict::ModuleDict(const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& modules) {
  for (const auto& [key, module] : modules) insert(key, module);
}

void ModuleDict::insert(const std::string& key, std::shared_ptr<Module> module) {
  WICK_CHECK(module, ValueError, "ModuleDict: cannot add a null module under '", key, "'");
  register_module(key, std::move(module));
}

std::shared_ptr<Module> ModuleDict::operator[](const std::string& key) const {
  const auto* m = named_children().find(key);
  WICK_CHECK(m, IndexError, "ModuleDict: no module named '", key, "'");
  return *m;
}

}  // namespace wick::nn
