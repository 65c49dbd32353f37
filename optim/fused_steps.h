// The optimizers wick's C++ API offers as one update function each rather than
// an Optimizer class (libtorch has no class for them either): Adadelta,
// Adamax, NAdam, RAdam, ASGD and Rprop. Each updates one parameter and its
// state in place with one fused kernel (Backend::optimizer_step; the element
// math is backends/optim_math.h's), doing what torch.optim 2.15's
// single-tensor path does with a chain of ops. wick.optim's Python classes of
// the same names keep the per-parameter state and call these.
//
//   Tensor sq = zeros_like(w), acc = zeros_like(w);
//   optim::adadelta_step(w, w.grad(), sq, acc, {.lr = 1.0, .rho = 0.9});
//
// A step count is the number of this update, counting from 1.
#pragma once

#include "core/tensor.h"

namespace wick::optim {

struct AdadeltaStepArgs {
  double lr = 1.0, rho = 0.9, eps = 1e-6, weight_decay = 0;
  bool maximize = false;
};
void adadelta_step(const Tensor& param, const Tensor& grad, const Tensor& square_avg, const Tensor& acc_delta,
                   const AdadeltaStepArgs& args);

struct AdamaxStepArgs {
  double lr = 2e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool maximize = false;
};
void adamax_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_inf, double step,
                 const AdamaxStepArgs& args);

struct NAdamStepArgs {
  double lr = 2e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0, momentum_decay = 4e-3;
  bool decoupled_weight_decay = false, maximize = false;
};
// mu_product: a one-element tensor holding the product of the momentum
// schedule's factors so far (1 before the first step); multiplied by this
// step's factor here, in its own dtype (PyTorch keeps it in float32).
void nadam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                const Tensor& mu_product, double step, const NAdamStepArgs& args);

struct RAdamStepArgs {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool decoupled_weight_decay = false, maximize = false;
};
void radam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                double step, const RAdamStepArgs& args);

struct ASGDStepArgs {
  double lr = 1e-2, lambd = 1e-4, alpha = 0.75, t0 = 1e6, weight_decay = 0;
  bool maximize = false;
};
// eta and mu: one-element tensors with this step's step size and averaging
// weight (lr and 1 before the first step), set here for the next step.
void asgd_step(const Tensor& param, const Tensor& grad, const Tensor& ax, const Tensor& eta, const Tensor& mu,
               double step, const ASGDStepArgs& args);

struct RpropStepArgs {
  double etaminus = 0.5, etaplus = 1.2, step_size_min = 1e-6, step_size_max = 50;
  bool maximize = false;
};
// prev starts as zeros, step_size as the learning rate everywhere.
void rprop_step(const Tensor& param, const Tensor& grad, const Tensor& prev, const Tensor& step_size,
                const RpropStepArgs& args);

}  // namespace wick::optim
