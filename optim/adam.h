// Adam (Kingma & Ba) and AdamW (Loshchilov & Hutter), as torch.optim.Adam/AdamW:
//   g = grad (+ weight_decay * param for Adam; AdamW instead param *= 1 - lr * weight_decay)
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;  vmax = max(vmax, v) (amsgrad)
//   param -= lr / (1 - beta1^t) * m / (sqrt(amsgrad ? vmax : v) / sqrt(1 - beta2^t) + eps)
#pragma once

#include <tuple>

#include "optim/optimizer.h"

namespace wick::optim {

// The options Adam and AdamW share; Derived is the concrete options type,
// which the setters return so that calls chain.
template <typename Derived>
class AdamFamilyOptions : public OptimizerCloneableOptions<Derived> {
 public:
  Derived& lr(double v) { lr_ = v; return self(); }
  Derived& betas(std::tuple<double, double> v) { betas_ = v; return self(); }
  Derived& eps(double v) { eps_ = v; return self(); }
  Derived& weight_decay(double v) { weight_decay_ = v; return self(); }
  Derived& amsgrad(bool v) { amsgrad_ = v; return self(); }
  Derived& maximize(bool v) { maximize_ = v; return self(); }
  double lr() const { return lr_; }
  const std::tuple<double, double>& betas() const { return betas_; }
  double eps() const { return eps_; }
  double weight_decay() const { return weight_decay_; }
  bool amsgrad() const { return amsgrad_; }
  bool maximize() const { return maximize_; }

  double get_lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  // OneCycleLR cycles beta1.
  std::optional<double> get_momentum() const override { return std::get<0>(betas_); }
  void set_momentum(double m) override { std::get<0>(betas_) = m; }
  void validate() const override;
  io::Dict to_dict() const override;
  void from_dict(const io::Dict& group) override;

 protected:
  AdamFamilyOptions(double lr, double weight_decay) : lr_(lr), weight_decay_(weight_decay) {}

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
  double lr_;
  std::tuple<double, double> betas_{0.9, 0.999};
  double eps_ = 1e-8;
  double weight_decay_;
  bool amsgrad_ = false, maximize_ = false;
};

class AdamOptions : public AdamFamilyOptions<AdamOptions> {
 public:
  explicit AdamOptions(double lr = 1e-3) : AdamFamilyOptions(lr, 0) {}
};

class AdamWOptions : public AdamFamilyOptions<AdamWOptions> {
 public:
  explicit AdamWOptions(double lr = 1e-3) : AdamFamilyOptions(lr, 1e-2) {}
};

// One Adam / AdamW update of `param`, in place and fused, as the `step`-th
// (counting from 1). max_exp_avg_sq is used, and must be defined, with amsgrad.
void adam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
               const Tensor& max_exp_avg_sq, double step, const AdamOptions& options);
void adamw_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                const Tensor& max_exp_avg_sq, double step, const AdamWOptions& options);

class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, const AdamOptions& defaults = AdamOptions());
  Adam(std::vector<OptimizerParamGroup> groups, const AdamOptions& defaults = AdamOptions());

 protected:
  void update(const Tensor& param, const Tensor& grad, ParamState& state, const OptimizerOptions& options) override;
  io::Dict state_to_dict(const ParamState& state) const override;
  ParamState state_from_dict(const io::Dict& entry, const Tensor& param) const override;
};

class AdamW : public Optimizer {
 public:
  AdamW(std::vector<Tensor> params, const AdamWOptions& defaults = AdamWOptions());
  AdamW(std::vector<OptimizerParamGroup> groups, const AdamWOptions& defaults = AdamWOptions());

 protected:
  void update(const Tensor& param, const Tensor& grad, ParamState& state, const OptimizerOptions& options) override;
  io::Dict state_to_dict(const ParamState& state) const override;
  ParamState state_from_dict(const io::Dict& entry, const Tensor& param) const override;
};

}  // namespace wick::optim
