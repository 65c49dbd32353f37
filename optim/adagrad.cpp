#include "optim/adagrad.h"

#include "core/error.h"
#include "ops/creation.h"

namespace wick::optim {

void AdagradOptions::validate() const {
  WICK_CHECK(lr_ >= 0, ValueError, "Invalid learning rate: ", lr_);
  WICK_CHECK(lr_decay_ >= 0, ValueError, "Invalid lr_decay value: ", lr_decay_);
  WICK_CHECK(weight_decay_ >= 0, ValueError, "Invalid weight_decay value: ", weight_decay_);
  WICK_CHECK(initial_accumulator_value_ >= 0, ValueError, "Invalid initial_accumulator_value value: ",
             initial_accumulator_value_);
  WICK_CHECK(eps_ >= 0, ValueError, "Invalid epsilon value: ", eps_);
}

io::Dict AdagradOptions::to_dict() const {
  return {{"lr", lr_},
          {"lr_decay", lr_decay_},
          {"eps", eps_},
          {"weight_decay", weight_decay_},
          {"initial_accumulator_value", initial_accumulator_value_},
          {"maximize", maximize_}};
}

void AdagradOptions::from_dict(const io::Dict& group) {
  detail::read(group, "lr", lr_);
  detail::read(group, "lr_decay", lr_decay_);
  detail::read(group, "eps", eps_);
  detail::read(group, "weight_decay", weight_decay_);
  detail::read(group, "initial_accumulator_value", initial_accumulator_value_);
  detail::read(group, "maximize", maximize_);
}

void adagrad_step(const Tensor& param, const Tensor& grad, const Tensor& sum, double step,
                  const AdagradOptions& options) {
  WICK_CHECK(sum.defined(), ValueError, "adagrad: the accumulator `sum` must be defined");
  WICK_CHECK(step >= 1, ValueError, "adagrad: step counts from 1, got ", step);
  OptimizerStepArgs args;
  args.lr = options.lr() / (1 + (step - 1) * options.lr_decay());
  args.weight_decay = options.weight_decay();
  args.eps = options.eps();
  args.maximize = options.maximize();
  detail::fused_step(OptimizerKind::Adagrad, "adagrad", param, grad, {sum, Tensor(), Tensor()}, args);
}

Adagrad::Adagrad(std::vector<Tensor> params, const AdagradOptions& defaults)
    : Adagrad(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, defaults) {}

Adagrad::Adagrad(std::vector<OptimizerParamGroup> groups, const AdagradOptions& defaults)
    : Optimizer(std::move(groups), defaults.clone()) {
  for (const OptimizerParamGroup& group : param_groups()) {
    const double init = static_cast<const AdagradOptions&>(group.options()).initial_accumulator_value();
    for (const Tensor& p : group.params()) {
      ParamState& state = state_of(p);
      if (!state.buffers[0].defined()) state.buffers[0] = full_like(p, init);
    }
  }
}

void Adagrad::update(const Tensor& param, const Tensor& grad, ParamState& state, const OptimizerOptions& options) {
  const auto& o = static_cast<const AdagradOptions&>(options);
  // A group added after construction gets its state on its first step.
  if (!state.buffers[0].defined()) state.buffers[0] = full_like(param, o.initial_accumulator_value());
  adagrad_step(param, grad, state.buffers[0], static_cast<double>(state.step + 1), o);
  ++state.step;
}

io::Dict Adagrad::state_to_dict(const ParamState& state) const {
  return {{"step", scalar_tensor(static_cast<double>(state.step), TensorOptions(ScalarType::Float32))},
          {"sum", state.buffers[0]}};
}

Optimizer::ParamState Adagrad::state_from_dict(const io::Dict& entry, const Tensor& param) const {
  ParamState state;
  state.step = detail::read_step(entry);
  state.buffers[0] = detail::read_buffer(entry, "sum", param);
  WICK_CHECK(state.buffers[0].defined(), ValueError, "load_state_dict: an Adagrad state needs 'sum'");
  return state;
}

}  // namespace wick::optim
