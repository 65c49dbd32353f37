#include "optim/rmsprop.h"

#include "core/error.h"
#include "ops/creation.h"

namespace wick::optim {

void RMSpropOptions::validate() const {
  WICK_CHECK(lr_ >= 0, ValueError, "Invalid learning rate: ", lr_);
  WICK_CHECK(eps_ >= 0, ValueError, "Invalid epsilon value: ", eps_);
  WICK_CHECK(momentum_ >= 0, ValueError, "Invalid momentum value: ", momentum_);
  WICK_CHECK(weight_decay_ >= 0, ValueError, "Invalid weight_decay value: ", weight_decay_);
  WICK_CHECK(alpha_ >= 0, ValueError, "Invalid alpha value: ", alpha_);
}

io::Dict RMSpropOptions::to_dict() const {
  return {{"lr", lr_},           {"momentum", momentum_},         {"alpha", alpha_},      {"eps", eps_},
          {"centered", centered_}, {"weight_decay", weight_decay_}, {"maximize", maximize_}};
}

void RMSpropOptions::from_dict(const io::Dict& group) {
  detail::read(group, "lr", lr_);
  detail::read(group, "momentum", momentum_);
  detail::read(group, "alpha", alpha_);
  detail::read(group, "eps", eps_);
  detail::read(group, "centered", centered_);
  detail::read(group, "weight_decay", weight_decay_);
  detail::read(group, "maximize", maximize_);
}

void rmsprop_step(const Tensor& param, const Tensor& grad, const Tensor& square_avg, const Tensor& momentum_buffer,
                  const Tensor& grad_avg, const RMSpropOptions& options) {
  const bool use_momentum = options.momentum() > 0;
  WICK_CHECK(square_avg.defined(), ValueError, "rmsprop: square_avg must be defined");
  WICK_CHECK(!use_momentum || momentum_buffer.defined(), ValueError,
             "rmsprop: momentum > 0 needs a defined momentum_buffer");
  WICK_CHECK(!options.centered() || grad_avg.defined(), ValueError, "rmsprop: centered needs a defined grad_avg");
  OptimizerStepArgs args;
  args.lr = options.lr();
  args.alpha = options.alpha();
  args.eps = options.eps();
  args.weight_decay = options.weight_decay();
  args.momentum = options.momentum();
  args.centered = options.centered();
  args.maximize = options.maximize();
  detail::fused_step(OptimizerKind::RMSprop, "rmsprop", param, grad,
                     {square_avg, use_momentum ? momentum_buffer : Tensor(), options.centered() ? grad_avg : Tensor()},
                     args);
}

RMSprop::RMSprop(std::vector<Tensor> params, const RMSpropOptions& defaults)
    : RMSprop(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, defaults) {}

RMSprop::RMSprop(std::vector<OptimizerParamGroup> groups, const RMSpropOptions& defaults)
    : Optimizer(std::move(groups), defaults.clone()) {}

void RMSprop::update(const Tensor& param, const Tensor& grad, ParamState& state, const OptimizerOptions& options) {
  const auto& o = static_cast<const RMSpropOptions&>(options);
  // Buffers appear on the first step, or when momentum / centered is switched on later.
  auto& [square_avg, momentum_buffer, grad_avg] = state.buffers;
  if (!square_avg.defined()) square_avg = zeros_like(param);
  if (o.momentum() > 0 && !momentum_buffer.defined()) momentum_buffer = zeros_like(param);
  if (o.centered() && !grad_avg.defined()) grad_avg = zeros_like(param);
  rmsprop_step(param, grad, square_avg, momentum_buffer, grad_avg, o);
  ++state.step;
}

io::Dict RMSprop::state_to_dict(const ParamState& state) const {
  // PyTorch keeps RMSprop's step as a Python int.
  io::Dict entry{{"step", state.step}, {"square_avg", state.buffers[0]}};
  if (state.buffers[1].defined()) entry.emplace_back("momentum_buffer", state.buffers[1]);
  if (state.buffers[2].defined()) entry.emplace_back("grad_avg", state.buffers[2]);
  return entry;
}

Optimizer::ParamState RMSprop::state_from_dict(const io::Dict& entry, const Tensor& param) const {
  ParamState state;
  state.step = detail::read_step(entry);
  state.buffers = {detail::read_buffer(entry, "square_avg", param),
                   detail::read_buffer(entry, "momentum_buffer", param),
                   detail::read_buffer(entry, "grad_avg", param)};
  WICK_CHECK(state.buffers[0].defined(), ValueError, "load_state_dict: an RMSprop state needs 'square_avg'");
  return state;
}

}  // namespace wick::optim
