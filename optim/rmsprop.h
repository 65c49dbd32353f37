// RMSprop (Hinton), as torch.optim.RMSprop:
//   g = grad + weight_decay * param                       (maximize: -grad)
//   sq = alpha sq + (1 - alpha) g^2;  ga = alpha ga + (1 - alpha) g  (centered)
//   avg = sqrt(centered ? sq - ga^2 : sq) + eps
//   momentum > 0: buf = momentum buf + g / avg, param -= lr buf;  else param -= lr g / avg
#pragma once

#include "optim/optimizer.h"

namespace wick::optim {

class RMSpropOptions : public OptimizerCloneableOptions<RMSpropOptions> {
 public:
  explicit RMSpropOptions(double lr = 1e-2) : lr_(lr) {}

  RMSpropOptions& lr(double v) { lr_ = v; return *this; }
  RMSpropOptions& alpha(double v) { alpha_ = v; return *this; }
  RMSpropOptions& eps(double v) { eps_ = v; return *this; }
  RMSpropOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  RMSpropOptions& momentum(double v) { momentum_ = v; return *this; }
  RMSpropOptions& centered(bool v) { centered_ = v; return *this; }
  RMSpropOptions& maximize(bool v) { maximize_ = v; return *this; }
  double lr() const { return lr_; }
  double alpha() const { return alpha_; }
  double eps() const { return eps_; }
  double weight_decay() const { return weight_decay_; }
  double momentum() const { return momentum_; }
  bool centered() const { return centered_; }
  bool maximize() const { return maximize_; }

  double get_lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  std::optional<double> get_momentum() const override { return momentum_; }
  void set_momentum(double m) override { momentum_ = m; }
  void validate() const override;
  io::Dict to_dict() const override;
  void from_dict(const io::Dict& group) override;

 private:
  double lr_;
  double alpha_ = 0.99, eps_ = 1e-8, weight_decay_ = 0, momentum_ = 0;
  bool centered_ = false, maximize_ = false;
};

// One RMSprop update of `param`, in place and fused. momentum_buffer is used
// (and must be defined) when momentum > 0, grad_avg when centered.
void rmsprop_step(const Tensor& param, const Tensor& grad, const Tensor& square_avg, const Tensor& momentum_buffer,
                  const Tensor& grad_avg, const RMSpropOptions& options);

class RMSprop : public Optimizer {
 public:
  RMSprop(std::vector<Tensor> params, const RMSpropOptions& defaults = RMSpropOptions());
  RMSprop(std::vector<OptimizerParamGroup> groups, const RMSpropOptions& defaults = RMSpropOptions());

 protected:
  void update(const Tensor& param, const Tensor& grad, ParamState& state, const OptimizerOptions& options) override;
  io::Dict state_to_dict(const ParamState& state) const override;
  ParamState state_from_dict(const io::Dict& entry, const Tensor& param) const override;
};

}  // namespace wick::optim
