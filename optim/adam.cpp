#include "optim/adam.h"

#include <cmath>

#include "core/error.h"
#include "ops/creation.h"

namespace wick::optim {

template <typename Derived>
void AdamFamilyOptions<Derived>::validate() const {
  const auto [beta1, beta2] = betas_;
  WICK_CHECK(lr_ >= 0, ValueError, "Invalid learning rate: ", lr_);
  WICK_CHECK(eps_ >= 0, ValueError, "Invalid epsilon value: ", eps_);
  WICK_CHECK(beta1 >= 0 && beta1 < 1, ValueError, "Invalid beta parameter at index 0: ", beta1);
  WICK_CHECK(beta2 >= 0 && beta2 < 1, ValueError, "Invalid beta parameter at index 1: ", beta2);
  WICK_CHECK(weight_decay_ >= 0, ValueError, "Invalid weight_decay value: ", weight_decay_);
}

template <typename Derived>
io::Dict AdamFamilyOptions<Derived>::to_dict() const {
  io::Value betas(io::List{std::get<0>(betas_), std::get<1>(betas_)});
  betas.hint = io::Value::Hint::Tuple;  // a tuple in Python, as PyTorch's
  return {{"lr", lr_},
          {"betas", std::move(betas)},
          {"eps", eps_},
          {"weight_decay", weight_decay_},
          {"amsgrad", amsgrad_},
          {"maximize", maximize_}};
}

template <typename Derived>
void AdamFamilyOptions<Derived>::from_dict(const io::Dict& group) {
  detail::read(group, "lr", lr_);
  if (const io::Value* betas = detail::find(group, "betas")) {
    const io::List* pair = std::get_if<io::List>(&betas->v);
    WICK_CHECK(pair && pair->size() == 2, TypeError, "load_state_dict: expected 'betas' to be a list of two numbers");
    betas_ = {detail::number((*pair)[0], "betas"), detail::number((*pair)[1], "betas")};
  }
  detail::read(group, "eps", eps_);
  detail::read(group, "weight_decay", weight_decay_);
  detail::read(group, "amsgrad", amsgrad_);
  detail::read(group, "maximize", maximize_);
}

template class AdamFamilyOptions<AdamOptions>;
template class AdamFamilyOptions<AdamWOptions>;

namespace {

// The scalars PyTorch's single-tensor Adam computes on the host for step t.
template <typename Options>
OptimizerStepArgs adam_args(const Options& o, double step, bool decoupled) {
  const auto [beta1, beta2] = o.betas();
  OptimizerStepArgs args;
  args.lr = o.lr() / (1 - std::pow(beta1, step));
  args.bias_correction2_sqrt = std::sqrt(1 - std::pow(beta2, step));
  args.beta1 = beta1;
  args.beta2 = beta2;
  args.eps = o.eps();
  if (decoupled) args.param_scale = 1 - o.lr() * o.weight_decay();
  else args.weight_decay = o.weight_decay();
  args.amsgrad = o.amsgrad();
  args.maximize = o.maximize();
  return args;
}

template <typename Options>
void adam_like_step(OptimizerKind kind, const char* op, const Tensor& param, const Tensor& grad,
                    const Tensor& exp_avg, const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq, double step,
                    const Options& options) {
  WICK_CHECK(exp_avg.defined() && exp_avg_sq.defined(), ValueError, op, ": exp_avg and exp_avg_sq must be defined");
  WICK_CHECK(!options.amsgrad() || max_exp_avg_sq.defined(), ValueError, op,
             ": amsgrad needs a defined max_exp_avg_sq");
  WICK_CHECK(step >= 1, ValueError, op, ": step counts from 1, got ", step);
  detail::fused_step(kind, op, param, grad, {exp_avg, exp_avg_sq, options.amsgrad() ? max_exp_avg_sq : Tensor()},
                     adam_args(options, step, kind == OptimizerKind::AdamW));
}

// The state both keep, created on a parameter's first step (max_exp_avg_sq
// also when amsgrad is switched on later): exp_avg, exp_avg_sq, max_exp_avg_sq.
template <typename Options>
void update_adam_like(OptimizerKind kind, const char* op, const Tensor& param, const Tensor& grad,
                      Optimizer::ParamState& state, const Options& options) {
  auto& [exp_avg, exp_avg_sq, max_exp_avg_sq] = state.buffers;
  if (!exp_avg.defined()) {
    exp_avg = zeros_like(param);
    exp_avg_sq = zeros_like(param);
  }
  if (options.amsgrad() && !max_exp_avg_sq.defined()) max_exp_avg_sq = zeros_like(param);
  adam_like_step(kind, op, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, static_cast<double>(state.step + 1),
                 options);
  ++state.step;
}

io::Dict adam_state_to_dict(const Optimizer::ParamState& state) {
  io::Dict entry{{"step", scalar_tensor(static_cast<double>(state.step), TensorOptions(ScalarType::Float32))},
                 {"exp_avg", state.buffers[0]},
                 {"exp_avg_sq", state.buffers[1]}};
  if (state.buffers[2].defined()) entry.emplace_back("max_exp_avg_sq", state.buffers[2]);
  return entry;
}

Optimizer::ParamState adam_state_from_dict(const io::Dict& entry, const Tensor& param) {
  Optimizer::ParamState state;
  state.step = detail::read_step(entry);
  state.buffers = {detail::read_buffer(entry, "exp_avg", param), detail::read_buffer(entry, "exp_avg_sq", param),
                   detail::read_buffer(entry, "max_exp_avg_sq", param)};
  WICK_CHECK(state.buffers[0].defined() && state.buffers[1].defined(), ValueError,
             "load_state_dict: an Adam state needs 'exp_avg' and 'exp_avg_sq'");
  return state;
}

}  // namespace

void adam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
               const Tensor& max_exp_avg_sq, double step, const AdamOptions& options) {
  adam_like_step(OptimizerKind::Adam, "adam", param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, options);
}

void adamw_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                const Tensor& max_exp_avg_sq, double step, const AdamWOptions& options) {
  adam_like_step(OptimizerKind::AdamW, "adamw", param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, options);
}

Adam::Adam(std::vector<Tensor> params, const AdamOptions& defaults)
    : Adam(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, defaults) {}

Adam::Adam(std::vector<OptimizerParamGroup> groups, const AdamOptions& defaults)
    : Optimizer(std::move(groups), defaults.clone()) {}

void Adam::update(const Tensor& param, const Tensor& grad, ParamState& state, const OptimizerOptions& options) {
  update_adam_like(OptimizerKind::Adam, "adam", param, grad, state, static_cast<const AdamOptions&>(options));
}

io::Dict Adam::state_to_dict(const ParamState& state) const { return adam_state_to_dict(state); }

Optimizer::ParamState Adam::state_from_dict(const io::Dict& entry, const Tensor& param) const {
  return adam_state_from_dict(entry, param);
}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& defaults)
    : AdamW(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, defaults) {}

AdamW::AdamW(std::vector<OptimizerParamGroup> groups, const AdamWOptions& defaults)
    : Optimizer(std::move(groups), defaults.clone()) {}

void AdamW::update(const Tensor& param, const Tensor& grad, ParamState& state, const OptimizerOptions& options) {
  update_adam_like(OptimizerKind::AdamW, "adamw", param, grad, state, static_cast<const AdamWOptions&>(options));
}

io::Dict AdamW::state_to_dict(const ParamState& state) const { return adam_state_to_dict(state); }

Optimizer::ParamState AdamW::state_from_dict(const io::Dict& entry, const Tensor& param) const {
  return adam_state_from_dict(entry, param);
}

}  // namespace wick::optim
