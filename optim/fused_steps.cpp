#include "optim/fused_steps.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "autograd/grad_mode.h"
#include "optim/optimizer.h"

namespace wick::optim {

namespace {

void check_state(const char* op, const Tensor& t, const char* name) {
  WICK_CHECK(t.defined(), ValueError, op, ": the state tensor `", name, "` must be defined");
}

void check_step(const char* op, double step) {
  WICK_CHECK(step >= 1, ValueError, op, ": step counts from 1, got ", step);
}

// A one-element state tensor (NAdam's mu_product, ASGD's eta and mu).
double scalar_state(const char* op, const Tensor& t, const char* name) {
  WICK_CHECK(t.defined() && t.numel() == 1, ValueError, op, ": the state `", name,
             "` must be a one-element tensor");
  return t.item<double>();
}

}  // namespace

void adadelta_step(const Tensor& param, const Tensor& grad, const Tensor& square_avg, const Tensor& acc_delta,
                   const AdadeltaStepArgs& a) {
  check_state("adadelta", square_avg, "square_avg");
  check_state("adadelta", acc_delta, "acc_delta");
  OptimizerStepArgs args;
  args.lr = a.lr;
  args.rho = a.rho;
  args.eps = a.eps;
  args.weight_decay = a.weight_decay;
  args.maximize = a.maximize;
  detail::fused_step(OptimizerKind::Adadelta, "adadelta", param, grad, {square_avg, acc_delta, Tensor()}, args);
}

void adamax_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_inf, double step,
                 const AdamaxStepArgs& a) {
  check_state("adamax", exp_avg, "exp_avg");
  check_state("adamax", exp_inf, "exp_inf");
  check_step("adamax", step);
  OptimizerStepArgs args;
  args.lr = a.lr / (1 - std::pow(a.beta1, step));
  args.beta1 = a.beta1;
  args.beta2 = a.beta2;
  args.eps = a.eps;
  args.weight_decay = a.weight_decay;
  args.maximize = a.maximize;
  detail::fused_step(OptimizerKind::Adamax, "adamax", param, grad, {exp_avg, exp_inf, Tensor()}, args);
}

void nadam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                const Tensor& mu_product, double step, const NAdamStepArgs& a) {
  check_state("nadam", exp_avg, "exp_avg");
  check_state("nadam", exp_avg_sq, "exp_avg_sq");
  check_step("nadam", step);
  scalar_state("nadam", mu_product, "mu_product");
  // The momentum schedule mu_t = beta1 (1 - 0.96^(t psi) / 2) of Dozat's paper.
  const double mu = a.beta1 * (1 - 0.5 * std::pow(0.96, step * a.momentum_decay));
  const double mu_next = a.beta1 * (1 - 0.5 * std::pow(0.96, (step + 1) * a.momentum_decay));
  {
    NoGradGuard no_grad;
    mu_product.mul_(Scalar(mu));
  }
  const double product = mu_product.item<double>();
  OptimizerStepArgs args;
  args.lr = -a.lr * (1 - mu) / (1 - product);
  args.momentum_lr = -a.lr * mu_next / (1 - product * mu_next);
  args.beta1 = a.beta1;
  args.beta2 = a.beta2;
  args.eps = a.eps;
  args.bias_correction2 = 1 - std::pow(a.beta2, step);
  if (a.decoupled_weight_decay) args.param_scale = 1 - a.lr * a.weight_decay;
  else args.weight_decay = a.weight_decay;
  args.maximize = a.maximize;
  detail::fused_step(OptimizerKind::NAdam, "nadam", param, grad, {exp_avg, exp_avg_sq, Tensor()}, args);
}

void radam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                double step, const RAdamStepArgs& a) {
  check_state("radam", exp_avg, "exp_avg");
  check_state("radam", exp_avg_sq, "exp_avg_sq");
  check_step("radam", step);
  const double bias_correction2 = 1 - std::pow(a.beta2, step);
  // The length of the approximated simple moving average, its limit and the
  // rectification term of Liu et al.; the adaptive step only once rho_t > 5.
  const double rho_inf = 2 / (1 - a.beta2) - 1;
  const double rho_t = rho_inf - 2 * step * std::pow(a.beta2, step) / bias_correction2;
  OptimizerStepArgs args;
  if (rho_t > 5)
    args.rectification =
        std::sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t));
  args.lr = a.lr;
  args.beta1 = a.beta1;
  args.beta2 = a.beta2;
  args.eps = a.eps;
  args.bias_correction1 = 1 - std::pow(a.beta1, step);
  args.bias_correction2_sqrt = std::sqrt(bias_correction2);
  if (a.decoupled_weight_decay) args.param_scale = 1 - a.lr * a.weight_decay;
  else args.weight_decay = a.weight_decay;
  args.maximize = a.maximize;
  detail::fused_step(OptimizerKind::RAdam, "radam", param, grad, {exp_avg, exp_avg_sq, Tensor()}, args);
}

void asgd_step(const Tensor& param, const Tensor& grad, const Tensor& ax, const Tensor& eta, const Tensor& mu,
               double step, const ASGDStepArgs& a) {
  check_state("asgd", ax, "ax");
  check_step("asgd", step);
  OptimizerStepArgs args;
  args.lr = scalar_state("asgd", eta, "eta");
  args.param_scale = 1 - a.lambd * args.lr;
  args.mu = scalar_state("asgd", mu, "mu");
  args.weight_decay = a.weight_decay;
  args.maximize = a.maximize;
  detail::fused_step(OptimizerKind::ASGD, "asgd", param, grad, {ax, Tensor(), Tensor()}, args);
  // The step size decays as lr / (1 + lambd lr t)^alpha; averaging starts after t0 steps. Both are
  // rounded to float32, as PyTorch makes them float32 tensors before copying them into the state
  // (which loading a state_dict may have made float64).
  NoGradGuard no_grad;
  eta.fill_(Scalar(static_cast<double>(static_cast<float>(a.lr / std::pow(1 + a.lambd * a.lr * step, a.alpha)))));
  mu.fill_(Scalar(static_cast<double>(static_cast<float>(1 / std::max(1.0, step - a.t0)))));
}

void rprop_step(const Tensor& param, const Tensor& grad, const Tensor& prev, const Tensor& step_size,
                const RpropStepArgs& a) {
  check_state("rprop", prev, "prev");
  check_state("rprop", step_size, "step_size");
  OptimizerStepArgs args;
  args.etaminus = a.etaminus;
  args.etaplus = a.etaplus;
  args.step_size_min = a.step_size_min;
  args.step_size_max = a.step_size_max;
  args.maximize = a.maximize;
  detail::fused_step(OptimizerKind::Rprop, "rprop", param, grad, {prev, step_size, Tensor()}, args);
}

}  // namespace wick::optim
