#include "optim/sgd.h"

#include "core/error.h"
#include "ops/creation.h"

namespace wick::optim {

void SGDOptions::validate() const {
  WICK_CHECK(lr_ >= 0, ValueError, "Invalid learning rate: ", lr_);
  WICK_CHECK(momentum_ >= 0, ValueError, "Invalid momentum value: ", momentum_);
  WICK_CHECK(weight_decay_ >= 0, ValueError, "Invalid weight_decay value: ", weight_decay_);
  WICK_CHECK(!nesterov_ || (momentum_ > 0 && dampening_ == 0), ValueError,
             "Nesterov momentum requires a momentum and zero dampening");
}

io::Dict SGDOptions::to_dict() const {
  return {{"lr", lr_},           {"momentum", momentum_}, {"dampening", dampening_}, {"weight_decay", weight_decay_},
          {"nesterov", nesterov_}, {"maximize", maximize_}};
}

void SGDOptions::from_dict(const io::Dict& group) {
  detail::read(group, "lr", lr_);
  detail::read(group, "momentum", momentum_);
  detail::read(group, "dampening", dampening_);
  detail::read(group, "weight_decay", weight_decay_);
  detail::read(group, "nesterov", nesterov_);
  detail::read(group, "maximize", maximize_);
}

void sgd_step(const Tensor& param, const Tensor& grad, Tensor& momentum_buffer, const SGDOptions& options) {
  OptimizerStepArgs args;
  args.lr = options.lr();
  args.weight_decay = options.weight_decay();
  args.momentum = options.momentum();
  args.dampening = options.dampening();
  args.nesterov = options.nesterov();
  args.maximize = options.maximize();
  Tensor buffer;
  if (options.momentum() != 0) {
    buffer = momentum_buffer;
    if (!buffer.defined()) {
      buffer = empty_like(param);
      args.init_momentum = true;
    }
  }
  detail::fused_step(OptimizerKind::SGD, "sgd", param, grad, {buffer, Tensor(), Tensor()}, args);
  if (buffer.defined()) momentum_buffer = buffer;
}

SGD::SGD(std::vector<Tensor> params, const SGDOptions& defaults)
    : SGD(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, defaults) {}

SGD::SGD(std::vector<OptimizerParamGroup> groups, const SGDOptions& defaults)
    : Optimizer(std::move(groups), defaults.clone()) {}

void SGD::update(const Tensor& param, const Tensor& grad, ParamState& state, const OptimizerOptions& options) {
  sgd_step(param, grad, state.buffers[0], static_cast<const SGDOptions&>(options));
}

io::Dict SGD::state_to_dict(const ParamState& state) const {
  const Tensor& buffer = state.buffers[0];
  io::Dict entry;
  entry.emplace_back("momentum_buffer", buffer.defined() ? io::Value(buffer) : io::Value());
  return entry;
}

Optimizer::ParamState SGD::state_from_dict(const io::Dict& entry, const Tensor& param) const {
  ParamState state;
  state.buffers[0] = detail::read_buffer(entry, "momentum_buffer", param);
  return state;
}

}  // namespace wick::optim
