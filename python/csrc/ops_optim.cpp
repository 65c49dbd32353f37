// wick._C._optim: the fused per-parameter updates of optim/ that the Python
// optimizers (python/wick/optim/) call, and gradient clipping. The updates
// that take a step tensor add 1 to it first, as torch.optim does.
#include "optim/adagrad.h"
#include "optim/adam.h"
#include "optim/clip_grad.h"
#include "optim/fused_steps.h"
#include "optim/rmsprop.h"
#include "optim/sgd.h"
#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

// step_t += 1, as PyTorch's Adam and Adagrad do with their step tensors; the new count.
double advance(const Tensor& step) {
  WICK_CHECK(step.defined() && step.numel() == 1, ValueError, "optimizer state 'step' must be a one-element tensor");
  add_(step, Scalar(1));
  return step.item<double>();
}

template <typename Options>
Options adam_options(double lr, double beta1, double beta2, double eps, double weight_decay, bool amsgrad,
                     bool maximize) {
  Options o(lr);
  o.betas({beta1, beta2}).eps(eps).weight_decay(weight_decay).amsgrad(amsgrad).maximize(maximize);
  return o;
}

}  // namespace

void init_optim(py::module_& m) {
  py::module_ o = m.def_submodule("_optim", "Fused optimizer updates and gradient clipping (see wick.optim).");
  const auto no_gil = py::call_guard<py::gil_scoped_release>();

  o.def(
      "sgd",
      [](const Tensor& param, const Tensor& grad, std::optional<Tensor> momentum_buffer, double lr, double momentum,
         double dampening, double weight_decay, bool nesterov, bool maximize) -> std::optional<Tensor> {
        Tensor buffer = momentum_buffer.value_or(Tensor());
        optim::sgd_step(param, grad, buffer,
                        optim::SGDOptions(lr)
                            .momentum(momentum)
                            .dampening(dampening)
                            .weight_decay(weight_decay)
                            .nesterov(nesterov)
                            .maximize(maximize));
        if (!buffer.defined()) return std::nullopt;
        return buffer;
      },
      py::arg("param"), py::arg("grad"), py::arg("momentum_buffer"), py::kw_only(), py::arg("lr"),
      py::arg("momentum"), py::arg("dampening"), py::arg("weight_decay"), py::arg("nesterov"), py::arg("maximize"),
      no_gil, "One SGD update of param in place; returns the momentum buffer (created on the first step).");

  auto adam_like = [](bool decoupled) {
    return [decoupled](const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                       std::optional<Tensor> max_exp_avg_sq, const Tensor& step, double lr, double beta1,
                       double beta2, double eps, double weight_decay, bool amsgrad, bool maximize) {
      const Tensor max_sq = max_exp_avg_sq.value_or(Tensor());
      const double t = advance(step);
      if (decoupled)
        optim::adamw_step(param, grad, exp_avg, exp_avg_sq, max_sq, t,
                          adam_options<optim::AdamWOptions>(lr, beta1, beta2, eps, weight_decay, amsgrad, maximize));
      else
        optim::adam_step(param, grad, exp_avg, exp_avg_sq, max_sq, t,
                         adam_options<optim::AdamOptions>(lr, beta1, beta2, eps, weight_decay, amsgrad, maximize));
    };
  };
  for (bool decoupled : {false, true}) {
    o.def(decoupled ? "adamw" : "adam", adam_like(decoupled), py::arg("param"), py::arg("grad"),
          py::arg("exp_avg"), py::arg("exp_avg_sq"), py::arg("max_exp_avg_sq"), py::arg("step"), py::kw_only(),
          py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"),
          py::arg("amsgrad"), py::arg("maximize"), no_gil,
          "One Adam / AdamW update of param in place; adds 1 to the step tensor first.");
  }

  o.def(
      "rmsprop",
      [](const Tensor& param, const Tensor& grad, const Tensor& square_avg, std::optional<Tensor> momentum_buffer,
         std::optional<Tensor> grad_avg, double lr, double alpha, double eps, double weight_decay, double momentum,
         bool centered, bool maximize) {
        optim::rmsprop_step(param, grad, square_avg, momentum_buffer.value_or(Tensor()), grad_avg.value_or(Tensor()),
                            optim::RMSpropOptions(lr)
                                .alpha(alpha)
                                .eps(eps)
                                .weight_decay(weight_decay)
                                .momentum(momentum)
                                .centered(centered)
                                .maximize(maximize));
      },
      py::arg("param"), py::arg("grad"), py::arg("square_avg"), py::arg("momentum_buffer"), py::arg("grad_avg"),
      py::kw_only(), py::arg("lr"), py::arg("alpha"), py::arg("eps"), py::arg("weight_decay"), py::arg("momentum"),
      py::arg("centered"), py::arg("maximize"), no_gil, "One RMSprop update of param in place.");

  o.def(
      "adagrad",
      [](const Tensor& param, const Tensor& grad, const Tensor& sum, const Tensor& step, double lr, double lr_decay,
         double weight_decay, double eps, bool maximize) {
        const double t = advance(step);
        optim::adagrad_step(
            param, grad, sum, t,
            optim::AdagradOptions(lr).lr_decay(lr_decay).weight_decay(weight_decay).eps(eps).maximize(maximize));
      },
      py::arg("param"), py::arg("grad"), py::arg("sum"), py::arg("step"), py::kw_only(), py::arg("lr"),
      py::arg("lr_decay"), py::arg("weight_decay"), py::arg("eps"), py::arg("maximize"), no_gil,
      "One Adagrad update of param in place; adds 1 to the step tensor first.");

  o.def(
      "adadelta",
      [](const Tensor& param, const Tensor& grad, const Tensor& square_avg, const Tensor& acc_delta,
         const Tensor& step, double lr, double rho, double eps, double weight_decay, bool maximize) {
        advance(step);
        optim::adadelta_step(param, grad, square_avg, acc_delta,
                             {.lr = lr, .rho = rho, .eps = eps, .weight_decay = weight_decay, .maximize = maximize});
      },
      py::arg("param"), py::arg("grad"), py::arg("square_avg"), py::arg("acc_delta"), py::arg("step"),
      py::kw_only(), py::arg("lr"), py::arg("rho"), py::arg("eps"), py::arg("weight_decay"), py::arg("maximize"),
      no_gil, "One Adadelta update of param in place.");

  o.def(
      "adamax",
      [](const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_inf, const Tensor& step,
         double lr, double beta1, double beta2, double eps, double weight_decay, bool maximize) {
        optim::adamax_step(param, grad, exp_avg, exp_inf, advance(step),
                           {.lr = lr, .beta1 = beta1, .beta2 = beta2, .eps = eps, .weight_decay = weight_decay,
                            .maximize = maximize});
      },
      py::arg("param"), py::arg("grad"), py::arg("exp_avg"), py::arg("exp_inf"), py::arg("step"), py::kw_only(),
      py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"),
      py::arg("maximize"), no_gil, "One Adamax update of param in place.");

  o.def(
      "nadam",
      [](const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
         const Tensor& mu_product, const Tensor& step, double lr, double beta1, double beta2, double eps,
         double weight_decay, double momentum_decay, bool decoupled_weight_decay, bool maximize) {
        optim::nadam_step(param, grad, exp_avg, exp_avg_sq, mu_product, advance(step),
                          {.lr = lr, .beta1 = beta1, .beta2 = beta2, .eps = eps, .weight_decay = weight_decay,
                           .momentum_decay = momentum_decay, .decoupled_weight_decay = decoupled_weight_decay,
                           .maximize = maximize});
      },
      py::arg("param"), py::arg("grad"), py::arg("exp_avg"), py::arg("exp_avg_sq"), py::arg("mu_product"),
      py::arg("step"), py::kw_only(), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"),
      py::arg("weight_decay"), py::arg("momentum_decay"), py::arg("decoupled_weight_decay"), py::arg("maximize"),
      no_gil, "One NAdam update of param in place; multiplies mu_product by this step's momentum factor.");

  o.def(
      "radam",
      [](const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
         const Tensor& step, double lr, double beta1, double beta2, double eps, double weight_decay,
         bool decoupled_weight_decay, bool maximize) {
        optim::radam_step(param, grad, exp_avg, exp_avg_sq, advance(step),
                          {.lr = lr, .beta1 = beta1, .beta2 = beta2, .eps = eps, .weight_decay = weight_decay,
                           .decoupled_weight_decay = decoupled_weight_decay, .maximize = maximize});
      },
      py::arg("param"), py::arg("grad"), py::arg("exp_avg"), py::arg("exp_avg_sq"), py::arg("step"),
      py::kw_only(), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"),
      py::arg("decoupled_weight_decay"), py::arg("maximize"), no_gil, "One RAdam update of param in place.");

  o.def(
      "asgd",
      [](const Tensor& param, const Tensor& grad, const Tensor& ax, const Tensor& eta, const Tensor& mu,
         const Tensor& step, double lr, double lambd, double alpha, double t0, double weight_decay, bool maximize) {
        optim::asgd_step(param, grad, ax, eta, mu, advance(step),
                         {.lr = lr, .lambd = lambd, .alpha = alpha, .t0 = t0, .weight_decay = weight_decay,
                          .maximize = maximize});
      },
      py::arg("param"), py::arg("grad"), py::arg("ax"), py::arg("eta"), py::arg("mu"), py::arg("step"),
      py::kw_only(), py::arg("lr"), py::arg("lambd"), py::arg("alpha"), py::arg("t0"), py::arg("weight_decay"),
      py::arg("maximize"), no_gil, "One ASGD update of param in place; sets eta and mu for the next step.");

  o.def(
      "rprop",
      [](const Tensor& param, const Tensor& grad, const Tensor& prev, const Tensor& step_size, const Tensor& step,
         double etaminus, double etaplus, double step_size_min, double step_size_max, bool maximize) {
        advance(step);
        optim::rprop_step(param, grad, prev, step_size,
                          {.etaminus = etaminus, .etaplus = etaplus, .step_size_min = step_size_min,
                           .step_size_max = step_size_max, .maximize = maximize});
      },
      py::arg("param"), py::arg("grad"), py::arg("prev"), py::arg("step_size"), py::arg("step"), py::kw_only(),
      py::arg("etaminus"), py::arg("etaplus"), py::arg("step_size_min"), py::arg("step_size_max"),
      py::arg("maximize"), no_gil, "One Rprop update of param in place.");

  o.def("clip_grad_norm_", &nn::utils::detail::clip_grad_norm, py::arg("parameters"), py::arg("max_norm"),
        py::arg("norm_type") = 2.0, py::arg("error_if_nonfinite") = false, no_gil);
  o.def("clip_grad_value_", &nn::utils::clip_grad_value_, py::arg("parameters"), py::arg("clip_value"), no_gil);
}

}  // namespace wick::python
