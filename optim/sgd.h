// Stochastic gradient descent, with momentum, dampening, Nesterov momentum
// and weight decay (L2), as torch.optim.SGD:
//   g = grad + weight_decay * param                  (maximize: -grad)
//   buf = g on the first step, else momentum * buf + (1 - dampening) * g
//   param -= lr * (nesterov ? g + momentum * buf : buf)    (momentum 0: lr * g)
#pragma once

#include "optim/optimizer.h"

namespace wick::optim {

class SGDOptions : public OptimizerCloneableOptions<SGDOptions> {
 public:
  explicit SGDOptions(double lr) : lr_(lr) {}

  SGDOptions& lr(double v) { lr_ = v; return *this; }
  SGDOptions& momentum(double v) { momentum_ = v; return *this; }
  SGDOptions& dampening(double v) { dampening_ = v; return *this; }
  SGDOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  SGDOptions& nesterov(bool v) { nesterov_ = v; return *this; }
  SGDOptions& maximize(bool v) { maximize_ = v; return *this; }
  double lr() const { return lr_; }
  double momentum() const { return momentum_; }
  double dampening() const { return dampening_; }
  double weight_decay() const { return weight_decay_; }
  bool nesterov() const { return nesterov_; }
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
  double momentum_ = 0, dampening_ = 0, weight_decay_ = 0;
  bool nesterov_ = false, maximize_ = false;
};

// One SGD update of `param` from `grad`, in place and fused. With momentum,
// an undefined momentum_buffer is created from this step's gradient, as on
// PyTorch's first step; without, it stays undefined.
void sgd_step(const Tensor& param, const Tensor& grad, Tensor& momentum_buffer, const SGDOptions& options);

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, const SGDOptions& defaults);
  SGD(std::vector<OptimizerParamGroup> groups, const SGDOptions& defaults);

 protected:
  void update(const Tensor& param, const Tensor& grad, ParamState& state, const OptimizerOptions& options) override;
  io::Dict state_to_dict(const ParamState& state) const override;
  ParamState state_from_dict(const io::Dict& entry, const Tensor& param) const override;
};

}  // namespace wick::optim
