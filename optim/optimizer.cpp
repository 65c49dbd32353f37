#include "optim/optimizer.h"

#include <charconv>
#include <cmath>
#include <string>
#include <typeinfo>
#include <unordered_set>

#include "autograd/grad_mode.h"
#include "core/error.h"
#include "ops/copy.h"
#include "ops/creation.h"

namespace wick::optim {

// ---- OptimizerParamGroup ------------------------------------------------------------------

OptimizerParamGroup::OptimizerParamGroup(const OptimizerParamGroup& other)
    : params_(other.params_), options_(other.options_ ? other.options_->clone() : nullptr) {}

OptimizerParamGroup& OptimizerParamGroup::operator=(const OptimizerParamGroup& other) {
  if (this != &other) {
    params_ = other.params_;
    options_ = other.options_ ? other.options_->clone() : nullptr;
  }
  return *this;
}

OptimizerOptions& OptimizerParamGroup::options() {
  WICK_CHECK(options_ != nullptr, Error, "OptimizerParamGroup: this group has no options yet (it takes the "
                                         "optimizer's defaults when added to one)");
  return *options_;
}

const OptimizerOptions& OptimizerParamGroup::options() const {
  WICK_CHECK(options_ != nullptr, Error, "OptimizerParamGroup: this group has no options yet (it takes the "
                                         "optimizer's defaults when added to one)");
  return *options_;
}

// ---- Optimizer ---------------------------------------------------------------------------

Optimizer::Optimizer(std::vector<OptimizerParamGroup> groups, std::unique_ptr<OptimizerOptions> defaults)
    : defaults_(std::move(defaults)) {
  defaults_->validate();
  WICK_CHECK(!groups.empty(), ValueError, "optimizer got an empty parameter list");
  for (const OptimizerParamGroup& group : groups) add_param_group(group);
}

void Optimizer::add_param_group(const OptimizerParamGroup& group) {
  WICK_CHECK(!group.params().empty(), ValueError, "optimizer got an empty parameter list");
  OptimizerParamGroup added(group.params(), group.has_options() ? group.options() : *defaults_);
  const OptimizerOptions& options = added.options();
  WICK_CHECK(typeid(options) == typeid(*defaults_), TypeError,
             "add_param_group: the group's options are of another optimizer than this one's");
  options.validate();
  std::unordered_set<const TensorImpl*> existing;
  for (const OptimizerParamGroup& g : param_groups_)
    for (const Tensor& p : g.params()) existing.insert(p.impl());
  for (const Tensor& p : added.params()) {
    WICK_CHECK(p.defined(), ValueError, "optimizer can only optimize defined tensors");
    WICK_CHECK(p.is_leaf() || p.retains_grad(), ValueError, "can't optimize a non-leaf Tensor");
    WICK_CHECK(p.is_floating_point(), TypeError, "optimizer can only optimize floating point tensors, got ",
               p.dtype());
    WICK_CHECK(!existing.contains(p.impl()), ValueError, "some parameters appear in more than one parameter group");
  }
  param_groups_.push_back(std::move(added));
}

Tensor Optimizer::step(const std::function<Tensor()>& closure) {
  Tensor loss;
  if (closure) {
    EnableGradGuard enable;
    loss = closure();
  }
  NoGradGuard no_grad;
  for (OptimizerParamGroup& group : param_groups_) {
    for (const Tensor& p : group.params()) {
      const Tensor& grad = p.grad();
      if (grad.defined()) update(p, grad, state_[p.impl()], group.options());
    }
  }
  ++step_count_;
  return loss;
}

void Optimizer::zero_grad(bool set_to_none) {
  NoGradGuard no_grad;
  for (OptimizerParamGroup& group : param_groups_) {
    for (const Tensor& p : group.params()) {
      const Tensor grad = p.grad();
      if (!grad.defined()) continue;
      if (set_to_none) {
        p.set_grad(Tensor());
        continue;
      }
      if (grad.grad_fn()) grad.detach_();
      else grad.requires_grad_(false);
      grad.zero_();
    }
  }
}

const Optimizer::ParamState* Optimizer::find_state(const Tensor& param) const {
  auto it = state_.find(param.impl());
  return it == state_.end() ? nullptr : &it->second;
}

io::Value Optimizer::state_dict() const {
  // Parameters are numbered by position across the groups (a parameter listed
  // twice in one group keeps its first number), as PyTorch does.
  std::unordered_map<const TensorImpl*, int64_t> index;
  int64_t position = 0;
  io::List groups;
  for (const OptimizerParamGroup& group : param_groups_) {
    io::Dict packed = group.options().to_dict();
    io::List ids;
    for (const Tensor& p : group.params()) {
      auto it = index.try_emplace(p.impl(), position++).first;
      ids.emplace_back(it->second);
    }
    packed.emplace_back("params", std::move(ids));
    groups.emplace_back(std::move(packed));
  }
  io::Dict state;
  std::unordered_set<const TensorImpl*> written;
  for (const OptimizerParamGroup& group : param_groups_) {
    for (const Tensor& p : group.params()) {
      const ParamState* s = find_state(p);
      if (s && written.insert(p.impl()).second)
        state.emplace_back(std::to_string(index.at(p.impl())), state_to_dict(*s));
    }
  }
  // Python's wick.load gives the state back with int keys, as PyTorch has them.
  io::Value state_value(std::move(state));
  state_value.hint = io::Value::Hint::IntKeys;
  return io::Dict{{"state", std::move(state_value)}, {"param_groups", std::move(groups)}};
}

namespace {

template <typename T>
const T& expect(const io::Value* v, const char* what, const char* expected) {
  WICK_CHECK(v != nullptr, ValueError, "load_state_dict: the state dict has no ", what);
  const T* p = std::get_if<T>(&v->v);
  WICK_CHECK(p != nullptr, TypeError, "load_state_dict: expected ", what, " to be a ", expected, ", got ",
             io::kind_name(*v));
  return *p;
}

}  // namespace

void Optimizer::load_state_dict(const io::Value& state_dict) {
  const io::Dict& top = expect<io::Dict>(&state_dict, "the state dict", "dict");
  const io::Dict& saved_state = expect<io::Dict>(detail::find(top, "state"), "'state'", "dict");
  const io::List& saved_groups = expect<io::List>(detail::find(top, "param_groups"), "'param_groups'", "list");
  WICK_CHECK(saved_groups.size() == param_groups_.size(), ValueError,
             "loaded state dict has a different number of parameter groups (", saved_groups.size(),
             ") than the optimizer (", param_groups_.size(), ")");

  // Everything is read before anything changes, so a bad state dict leaves the optimizer as it was.
  std::unordered_map<int64_t, Tensor> id_map;
  std::vector<std::unique_ptr<OptimizerOptions>> options;
  for (size_t i = 0; i < saved_groups.size(); ++i) {
    const io::Dict& saved = expect<io::Dict>(&saved_groups[i], "a parameter group", "dict");
    const io::List& ids = expect<io::List>(detail::find(saved, "params"), "a group's 'params'", "list");
    const std::vector<Tensor>& params = param_groups_[i].params();
    WICK_CHECK(ids.size() == params.size(), ValueError,
               "loaded state dict contains a parameter group that doesn't match the size of optimizer's group (",
               ids.size(), " parameters saved, ", params.size(), " in group ", i, ")");
    for (size_t k = 0; k < ids.size(); ++k)
      id_map.try_emplace(expect<int64_t>(&ids[k], "a parameter id", "int"), params[k]);
    options.push_back(param_groups_[i].options().clone());
    options.back()->from_dict(saved);
    options.back()->validate();
  }
  std::unordered_map<const TensorImpl*, ParamState> state;
  for (const auto& [key, entry] : saved_state) {
    int64_t id = -1;
    const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
    WICK_CHECK(ec == std::errc() && end == key.data() + key.size(), ValueError,
               "load_state_dict: a key of 'state' is not a parameter number: '", key, "'");
    auto it = id_map.find(id);
    WICK_CHECK(it != id_map.end(), ValueError, "load_state_dict: 'state' has an entry for parameter ", id,
               ", which no parameter group lists");
    const Tensor& param = it->second;
    state[param.impl()] = state_from_dict(expect<io::Dict>(&entry, "a parameter's state", "dict"), param);
  }
  for (size_t i = 0; i < options.size(); ++i) param_groups_[i].set_options(std::move(options[i]));
  state_ = std::move(state);
}

// ---- detail --------------------------------------------------------------------------

namespace detail {

namespace {
void check_operand(const char* op, const char* what, const Tensor& t, const Tensor& param) {
  WICK_CHECK(t.sizes() == param.sizes(), ValueError, op, ": ", what, " has shape ", t.sizes(),
             " but the parameter has shape ", param.sizes());
  WICK_CHECK(t.dtype() == param.dtype(), TypeError, op, ": ", what, " has dtype ", t.dtype(),
             " but the parameter has dtype ", param.dtype());
  WICK_CHECK(t.device() == param.device(), ValueError, op, ": ", what, " is on ", t.device(),
             " but the parameter is on ", param.device());
}
}  // namespace

void fused_step(OptimizerKind kind, const char* op, const Tensor& param, const Tensor& grad,
                const std::array<Tensor, 3>& state, const OptimizerStepArgs& args) {
  WICK_CHECK(param.defined() && grad.defined(), ValueError, op, ": the parameter and its gradient must be defined");
  WICK_CHECK(param.is_floating_point(), TypeError, op, ": expected a floating point parameter, got ", param.dtype());
  check_operand(op, "the gradient", grad, param);
  for (const Tensor& s : state)
    if (s.defined()) check_operand(op, "a state tensor", s, param);
  auto kernel_fn = kernel(param.device(), &Backend::optimizer_step, op);
  WICK_CHECK(!param.impl()->storage()->read_only(), Error, op, ": the parameter of shape ", param.sizes(),
             " is over read-only memory (a read-only NumPy array or buffer) and cannot be updated; clone() it first");
  NoGradGuard no_grad;
  // The kernel reads and writes contiguous memory; other layouts go through copies.
  const Tensor p = param.contiguous(), g = grad.contiguous();
  std::array<Tensor, 3> s;
  for (size_t i = 0; i < state.size(); ++i)
    if (state[i].defined()) s[i] = state[i].contiguous();
  kernel_fn(kind, p, g, s, args);
  auto copy_back = [&](const Tensor& dst, const Tensor& src) {
    if (!src.is_same(dst)) kernel(dst.device(), &Backend::copy, op)(dst, src);
    dst.impl()->storage()->bump_version();
  };
  copy_back(param, p);
  for (size_t i = 0; i < state.size(); ++i)
    if (state[i].defined()) copy_back(state[i], s[i]);
}

const io::Value* find(const io::Dict& dict, std::string_view key) {
  for (const auto& [k, v] : dict)
    if (k == key) return &v;
  return nullptr;
}

double number(const io::Value& value, std::string_view key) {
  if (const double* d = std::get_if<double>(&value.v)) return *d;
  if (const int64_t* i = std::get_if<int64_t>(&value.v)) return static_cast<double>(*i);
  WICK_THROW(TypeError, "load_state_dict: expected '", key, "' to be a number, got ", io::kind_name(value));
}

void read(const io::Dict& dict, std::string_view key, double& out) {
  if (const io::Value* v = find(dict, key)) out = number(*v, key);
}

void read(const io::Dict& dict, std::string_view key, bool& out) {
  const io::Value* v = find(dict, key);
  if (!v) return;
  const bool* b = std::get_if<bool>(&v->v);
  WICK_CHECK(b != nullptr, TypeError, "load_state_dict: expected '", key, "' to be a bool, got ", io::kind_name(*v));
  out = *b;
}

void read(const io::Dict& dict, std::string_view key, int64_t& out) {
  const io::Value* v = find(dict, key);
  if (!v) return;
  const int64_t* i = std::get_if<int64_t>(&v->v);
  WICK_CHECK(i != nullptr, TypeError, "load_state_dict: expected '", key, "' to be an int, got ", io::kind_name(*v));
  out = *i;
}

Tensor read_buffer(const io::Dict& entry, std::string_view key, const Tensor& param) {
  const io::Value* v = find(entry, key);
  if (!v || v->is_none()) return Tensor();
  const Tensor* t = std::get_if<Tensor>(&v->v);
  WICK_CHECK(t != nullptr && t->defined(), TypeError, "load_state_dict: expected '", key, "' to be a tensor, got ",
             io::kind_name(*v));
  WICK_CHECK(t->sizes() == param.sizes(), ValueError, "load_state_dict: '", key, "' has shape ", t->sizes(),
             " but its parameter has shape ", param.sizes());
  NoGradGuard no_grad;
  Tensor out = empty_like(param);
  out.copy_(*t);
  return out;
}

int64_t read_step(const io::Dict& entry) {
  const io::Value* v = find(entry, "step");
  WICK_CHECK(v != nullptr, ValueError, "load_state_dict: a parameter's state has no 'step'");
  double step = 0;
  if (const Tensor* t = std::get_if<Tensor>(&v->v)) {
    WICK_CHECK(t->defined() && t->numel() == 1, ValueError, "load_state_dict: 'step' must be a one-element tensor");
    step = t->item<double>();
  } else {
    step = number(*v, "step");
  }
  WICK_CHECK(std::isfinite(step) && step >= 0 && step < 9.0e15 && std::floor(step) == step, ValueError,
             "load_state_dict: 'step' must be a non-negative whole number, got ", step);
  return static_cast<int64_t>(step);
}

}  // namespace detail

}  // namespace wick::optim
