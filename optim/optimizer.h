// Optimizers: what updates parameters from their gradients, as torch.optim.
//
//   optim::SGD opt(model.parameters(), optim::SGDOptions(0.1).momentum(0.9));
//   for (...) {
//     opt.zero_grad();
//     loss(...).backward();
//     opt.step();
//   }
//
// Parameters come in groups, each with its own options (a copy of the
// optimizer's defaults unless given). The state of a parameter (momentum
// buffer, moment estimates, step count) appears on its first step. Each step
// updates a parameter in place with one fused kernel (Backend::optimizer_step)
// that does what PyTorch 1.13's single-tensor path does with a chain of ops.
//
// state_dict() has PyTorch's layout, as an io::Value tree; parameters are
// numbered across the groups in order, and the state's keys are those numbers
// written as strings (io dicts have string keys):
//   {"state": {"0": {"step": tensor(3.), "exp_avg": ..., "exp_avg_sq": ...}, ...},
//    "param_groups": [{"lr": 0.001, "betas": [0.9, 0.999], ..., "params": [0, 1]}, ...]}
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/dispatch.h"
#include "core/tensor.h"
#include "io/value.h"

namespace wick::optim {

// The options of one parameter group (SGDOptions, AdamOptions ...).
class OptimizerOptions {
 public:
  virtual ~OptimizerOptions() = default;
  virtual std::unique_ptr<OptimizerOptions> clone() const = 0;
  virtual double get_lr() const = 0;
  virtual void set_lr(double lr) = 0;
  // The momentum OneCycleLR cycles: `momentum` (SGD, RMSprop) or beta1
  // (Adam, AdamW); nullopt for an optimizer without one.
  virtual std::optional<double> get_momentum() const { return std::nullopt; }
  virtual void set_momentum(double) {}
  // ValueError naming the first option out of its range.
  virtual void validate() const = 0;
  // The options as a state_dict param group (PyTorch's keys), and back: keys
  // present in `group` replace the current values.
  virtual io::Dict to_dict() const = 0;
  virtual void from_dict(const io::Dict& group) = 0;
};

// OptimizerOptions with clone() written once for each Derived.
template <typename Derived>
class OptimizerCloneableOptions : public OptimizerOptions {
 public:
  std::unique_ptr<OptimizerOptions> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
};

class OptimizerParamGroup {
 public:
  // A group that takes the optimizer's defaults.
  OptimizerParamGroup(std::vector<Tensor> params) : params_(std::move(params)) {}  // NOLINT: implicit, as libtorch's
  OptimizerParamGroup(std::vector<Tensor> params, const OptimizerOptions& options)
      : params_(std::move(params)), options_(options.clone()) {}
  OptimizerParamGroup(const OptimizerParamGroup& other);
  OptimizerParamGroup& operator=(const OptimizerParamGroup& other);
  OptimizerParamGroup(OptimizerParamGroup&&) = default;
  OptimizerParamGroup& operator=(OptimizerParamGroup&&) = default;

  std::vector<Tensor>& params() { return params_; }
  const std::vector<Tensor>& params() const { return params_; }
  bool has_options() const { return options_ != nullptr; }
  OptimizerOptions& options();
  const OptimizerOptions& options() const;
  void set_options(std::unique_ptr<OptimizerOptions> options) { options_ = std::move(options); }

 private:
  std::vector<Tensor> params_;
  std::unique_ptr<OptimizerOptions> options_;
};

class Optimizer {
 public:
  // What the optimizer keeps per parameter: the steps taken, and up to three
  // buffers in Backend::optimizer_step's order for the optimizer's kind.
  struct ParamState {
    int64_t step = 0;
    std::array<Tensor, 3> buffers;
  };

  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Updates every parameter that has a gradient. A closure is called first,
  // with grad mode on, to re-evaluate the loss; step returns what it returned.
  Tensor step(const std::function<Tensor()>& closure = nullptr);
  // Zeroes each parameter's gradient, or with set_to_none drops it.
  void zero_grad(bool set_to_none = false);
  // Adds a group (options: the defaults unless it has its own). ValueError
  // if it is empty or shares a parameter with another group.
  void add_param_group(const OptimizerParamGroup& group);

  std::vector<OptimizerParamGroup>& param_groups() { return param_groups_; }
  const std::vector<OptimizerParamGroup>& param_groups() const { return param_groups_; }
  const OptimizerOptions& defaults() const { return *defaults_; }
  OptimizerOptions& defaults() { return *defaults_; }
  // How many times step() ran.
  int64_t step_count() const { return step_count_; }

  io::Value state_dict() const;
  // Loads a state_dict of an optimizer of the same kind over groups of the
  // same sizes; state tensors are copied to each parameter's dtype and device.
  // ValueError when the structure does not match.
  void load_state_dict(const io::Value& state_dict);

 protected:
  Optimizer(std::vector<OptimizerParamGroup> groups, std::unique_ptr<OptimizerOptions> defaults);

  // One update of `param`, whose gradient `grad` is defined.
  virtual void update(const Tensor& param, const Tensor& grad, ParamState& state,
                      const OptimizerOptions& options) = 0;
  // A parameter's state as a state_dict entry (PyTorch's keys), and back.
  virtual io::Dict state_to_dict(const ParamState& state) const = 0;
  virtual ParamState state_from_dict(const io::Dict& entry, const Tensor& param) const = 0;

  const ParamState* find_state(const Tensor& param) const;
  ParamState& state_of(const Tensor& param) { return state_[param.impl()]; }

 private:
  std::vector<OptimizerParamGroup> param_groups_;
  std::unique_ptr<OptimizerOptions> defaults_;
  std::unordered_map<const TensorImpl*, ParamState> state_;
  int64_t step_count_ = 0;
};

namespace detail {

// One fused update through Backend::optimizer_step, after checking that grad
// and the defined state tensors match param (shape, dtype, device). Operands
// that are not contiguous are worked on through contiguous copies. Bumps the
// version counters of param and the state tensors.
void fused_step(OptimizerKind kind, const char* op, const Tensor& param, const Tensor& grad,
                const std::array<Tensor, 3>& state, const OptimizerStepArgs& args);

// Reading a state_dict: the entry `key` of `dict` into `out` when present;
// TypeError naming the key when it holds a value of another kind.
void read(const io::Dict& dict, std::string_view key, double& out);
// The number (an int or a float) a state_dict value holds; TypeError naming key otherwise.
double number(const io::Value& value, std::string_view key);
void read(const io::Dict& dict, std::string_view key, bool& out);
void read(const io::Dict& dict, std::string_view key, int64_t& out);
const io::Value* find(const io::Dict& dict, std::string_view key);
// A tensor of a state_dict entry, copied to param's shape, dtype and device;
// undefined for None or a missing key. ValueError on a shape mismatch.
Tensor read_buffer(const io::Dict& entry, std::string_view key, const Tensor& param);
// A step count stored as a tensor (Adam, Adagrad) or a number (RMSprop).
int64_t read_step(const io::Dict& entry);

}  // namespace detail

}  // namespace wick::optim
