// Adagrad (Duchi et al.), as torch.optim.Adagrad:
//   g = grad + weight_decay * param          (maximize: -grad)
//   clr = lr / (1 + (t - 1) * lr_decay);  sum += g^2;  param -= clr g / (sqrt(sum) + eps)
// The accumulator starts at initial_accumulator_value.
#pragma once

#include "optim/optimizer.h"

namespace wick::optim {

class AdagradOptions : public OptimizerCloneableOptions<AdagradOptions> {
 public:
  explicit AdagradOptions(double lr = 1e-2) : lr_(lr) {}

  AdagradOptions& lr(double v) { lr_ = v; return *this; }
  AdagradOptions& lr_decay(double v) { lr_decay_ = v; return *this; }
  AdagradOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  AdagradOptions& initial_accumulator_value(double v) { initial_accumulator_value_ = v; return *this; }
  AdagradOptions& eps(double v) { eps_ = v; return *this; }
  AdagradOptions& maximize(bool v) { maximize_ = v; return *this; }
  double lr() const { return lr_; }
  double lr_decay() const { return lr_decay_; }
  double weight_decay() const { return weight_decay_; }
  double initial_accumulator_value() const { return initial_accumulator_value_; }
  double eps() const { return eps_; }
  bool maximize() const { return maximize_; }

  double get_lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  void validate() const override;
  io::Dict to_dict() const override;
  void from_dict(const io::Dict& group) override;

 private:
  double lr_;
  double lr_decay_ = 0, weight_decay_ = 0, initial_accumulator_value_ = 0, eps_ = 1e-10;
  bool maximize_ = false;
};

// One Adagrad update of `param`, in place and fused, as the `step`-th (from 1).
void adagrad_step(const Tensor& param, const Tensor& grad, const Tensor& sum, double step,
                  const AdagradOptions& options);

class Adagrad : public Optimizer {
 public:
  // As in PyTorch, every parameter's state (step 0, the accumulator) exists from the start.
  Adagrad(std::vector<Tensor> params, const AdagradOptions& defaults = AdagradOptions());
  Adagrad(std::vector<OptimizerParamGroup> groups, const AdagradOptions& defaults = AdagradOptions());

 protected:
  void update(const Tensor& param, const Tensor& grad, ParamState& state, const OptimizerOptions& options) override;
  io::Dict state_to_dict(const ParamState& state) const override;
  ParamState state_from_dict(const io::Dict& entry, const Tensor& param) const override;
};

}  // namespace wick::optim
