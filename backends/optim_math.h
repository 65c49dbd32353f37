// The per-element updates of the fused optimizer steps (Backend::optimizer_step),
// shared by the CPU loops (backends/cpu/optim.cpp) and the CUDA kernels
// (backends/cuda/optim.cu), so the CPU tests against torch.optim check the
// math every GPU update runs.
//
// Each update does, element by element, what torch.optim's single-tensor path
// does with a chain of whole-tensor ops (PyTorch 1.13 for SGD, Adam(W),
// RMSprop and Adagrad; 2.15 for Adadelta, Adamax, NAdam, RAdam, ASGD and
// Rprop), in the same order and in the parameter's dtype. The
// scalars are rounded to the dtype once, on the host, as PyTorch's kernels
// round a Python number operand: each struct below holds them, made from
// OptimizerStepArgs by its constructor and passed by value to a kernel.
// Options that change the loop's shape (amsgrad, centered, momentum) are
// template parameters, chosen once per call outside the loop; the others are
// loop-invariant branches, which the compilers hoist.
#pragma once

#include <cmath>

#include "backends/host_device.h"
#include "core/dispatch.h"

namespace wick::optim_math {

// torch.maximum: NaN in either operand gives NaN.
template <typename T>
WICK_MATH_INLINE T nan_maximum(T a, T b) {
  return (a != a || a > b) ? a : b;
}

// The gradient every update starts from: (maximize ? -grad : grad) + weight_decay * param.
template <typename T>
struct DecayedGrad {
  T wd;
  bool decay, maximize;

  explicit DecayedGrad(const OptimizerStepArgs& a)
      : wd(static_cast<T>(a.weight_decay)), decay(a.weight_decay != 0), maximize(a.maximize) {}
  WICK_MATH_INLINE T operator()(T p, T g) const {
    T d = maximize ? -g : g;
    if (decay) d = d + wd * p;
    return d;
  }
};

// d_p = (maximize ? -grad : grad) + weight_decay * param;
// buf = first ? d_p : momentum * buf + (1 - dampening) * d_p;
// param += -lr * (nesterov ? d_p + momentum * buf : buf).
template <typename T>
struct Sgd {
  DecayedGrad<T> grad;
  T m, keep, neg_lr;
  bool nesterov, first;

  explicit Sgd(const OptimizerStepArgs& a)
      : grad(a), m(static_cast<T>(a.momentum)), keep(static_cast<T>(1 - a.dampening)), neg_lr(static_cast<T>(-a.lr)),
        nesterov(a.nesterov), first(a.init_momentum) {}

  // Without momentum (no buffer).
  WICK_MATH_INLINE void step(T& p, T g) const { p = p + neg_lr * grad(p, g); }
  WICK_MATH_INLINE void step(T& p, T g, T& buf) const {
    T d = grad(p, g);
    const T b = first ? d : buf * m + keep * d;
    buf = b;
    if (nesterov) d = d + m * b;
    else d = b;
    p = p + neg_lr * d;
  }
};

// Adam and AdamW (AdamW: weight_decay 0 and param_scale 1 - lr * weight_decay):
// g = (maximize ? -grad : grad) + weight_decay * param; param *= param_scale;
// m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g g; vmax = max(vmax, v);
// param += (-lr / bc1) m / (sqrt(amsgrad ? vmax : v) / sqrt(bc2) + eps).
template <typename T>
struct Adam {
  DecayedGrad<T> grad;
  T scale, b1, one_minus_b1, b2, one_minus_b2, bc2_sqrt, eps, neg_step;

  explicit Adam(const OptimizerStepArgs& a)
      : grad(a), scale(static_cast<T>(a.param_scale)), b1(static_cast<T>(a.beta1)),
        one_minus_b1(static_cast<T>(1 - a.beta1)), b2(static_cast<T>(a.beta2)),
        one_minus_b2(static_cast<T>(1 - a.beta2)), bc2_sqrt(static_cast<T>(a.bias_correction2_sqrt)),
        eps(static_cast<T>(a.eps)), neg_step(static_cast<T>(-a.lr)) {}

  // vmax is read and written only with Amsgrad.
  template <bool Amsgrad>
  WICK_MATH_INLINE void step(T& p, T g, T& m, T& v, T& vmax) const {
    const T d = grad(p, g);
    const T x = p * scale;
    const T mi = m * b1 + one_minus_b1 * d;
    T vi = v * b2 + one_minus_b2 * d * d;
    m = mi;
    v = vi;
    if constexpr (Amsgrad) {
      vi = nan_maximum(vmax, vi);
      vmax = vi;
    }
    const T denom = std::sqrt(vi) / bc2_sqrt + eps;
    p = x + neg_step * mi / denom;
  }
};

// g = (maximize ? -grad : grad) + weight_decay * param;
// sq = alpha sq + (1 - alpha) g g; ga = alpha ga + (1 - alpha) g;
// avg = sqrt(centered ? sq - ga ga : sq) + eps;
// momentum: buf = momentum buf + g / avg, param += -lr buf; else param += -lr g / avg.
// Centered and Momentum are template parameters: as runtime branches they
// keep GCC from vectorizing the loop. buf / ga are touched only with them.
template <typename T>
struct RMSprop {
  DecayedGrad<T> grad;
  T alpha, one_minus_alpha, eps, m, neg_lr;

  explicit RMSprop(const OptimizerStepArgs& a)
      : grad(a), alpha(static_cast<T>(a.alpha)), one_minus_alpha(static_cast<T>(1 - a.alpha)),
        eps(static_cast<T>(a.eps)), m(static_cast<T>(a.momentum)), neg_lr(static_cast<T>(-a.lr)) {}

  template <bool Centered, bool Momentum>
  WICK_MATH_INLINE void step(T& p, T g, T& sq, T& buf, T& ga) const {
    const T d = grad(p, g);
    const T s = sq * alpha + one_minus_alpha * d * d;
    sq = s;
    T avg;
    if constexpr (Centered) {
      const T gi = ga * alpha + one_minus_alpha * d;
      ga = gi;
      avg = std::sqrt(s + -gi * gi);
    } else {
      avg = std::sqrt(s);
    }
    avg = avg + eps;
    if constexpr (Momentum) {
      const T b = buf * m + d / avg;
      buf = b;
      p = p + neg_lr * b;
    } else {
      p = p + neg_lr * d / avg;
    }
  }
};

// g = (maximize ? -grad : grad) + weight_decay * param; sum += g g;
// param += -clr g / (sqrt(sum) + eps).
template <typename T>
struct Adagrad {
  DecayedGrad<T> grad;
  T eps, neg_clr;

  explicit Adagrad(const OptimizerStepArgs& a)
      : grad(a), eps(static_cast<T>(a.eps)), neg_clr(static_cast<T>(-a.lr)) {}

  WICK_MATH_INLINE void step(T& p, T g, T& sum) const {
    const T d = grad(p, g);
    const T s = sum + d * d;
    sum = s;
    p = p + neg_clr * d / (std::sqrt(s) + eps);
  }
};

// Adadelta (Zeiler, 2012): sq = rho sq + (1 - rho) g g;
// delta = sqrt(acc + eps) / sqrt(sq + eps) * g; acc = rho acc + (1 - rho) delta delta;
// param += -lr delta.
template <typename T>
struct Adadelta {
  DecayedGrad<T> grad;
  T rho, one_minus_rho, eps, neg_lr;

  explicit Adadelta(const OptimizerStepArgs& a)
      : grad(a), rho(static_cast<T>(a.rho)), one_minus_rho(static_cast<T>(1 - a.rho)), eps(static_cast<T>(a.eps)),
        neg_lr(static_cast<T>(-a.lr)) {}

  WICK_MATH_INLINE void step(T& p, T g, T& sq, T& acc) const {
    const T d = grad(p, g);
    const T s = sq * rho + one_minus_rho * d * d;
    sq = s;
    const T delta = std::sqrt(acc + eps) / std::sqrt(s + eps) * d;
    acc = acc * rho + one_minus_rho * delta * delta;
    p = p + neg_lr * delta;
  }
};

// Adamax (Kingma & Ba, 2014, section 7): m = beta1 m + (1 - beta1) g;
// u = max(beta2 u, |g| + eps) (NaN-propagating); param += -clr m / u.
template <typename T>
struct Adamax {
  DecayedGrad<T> grad;
  T b1, one_minus_b1, b2, eps, neg_clr;

  explicit Adamax(const OptimizerStepArgs& a)
      : grad(a), b1(static_cast<T>(a.beta1)), one_minus_b1(static_cast<T>(1 - a.beta1)),
        b2(static_cast<T>(a.beta2)), eps(static_cast<T>(a.eps)), neg_clr(static_cast<T>(-a.lr)) {}

  WICK_MATH_INLINE void step(T& p, T g, T& m, T& u) const {
    const T d = grad(p, g);
    const T mi = m * b1 + one_minus_b1 * d;
    m = mi;
    const T ui = nan_maximum(u * b2, std::abs(d) + eps);
    u = ui;
    p = p + neg_clr * (mi / ui);
  }
};

// NAdam (Dozat, 2016): Adam's moments, then with denom = sqrt(v / bc2) + eps
// param += grad_step * g / denom + momentum_step * m / denom, the steps (lr
// and momentum_lr, negative) made from the momentum schedule on the host.
// Decoupled weight decay scales param first (param_scale).
template <typename T>
struct NAdam {
  DecayedGrad<T> grad;
  T scale, b1, one_minus_b1, b2, one_minus_b2, bc2, eps, grad_step, momentum_step;

  explicit NAdam(const OptimizerStepArgs& a)
      : grad(a), scale(static_cast<T>(a.param_scale)), b1(static_cast<T>(a.beta1)),
        one_minus_b1(static_cast<T>(1 - a.beta1)), b2(static_cast<T>(a.beta2)),
        one_minus_b2(static_cast<T>(1 - a.beta2)), bc2(static_cast<T>(a.bias_correction2)),
        eps(static_cast<T>(a.eps)), grad_step(static_cast<T>(a.lr)), momentum_step(static_cast<T>(a.momentum_lr)) {}

  WICK_MATH_INLINE void step(T& p, T g, T& m, T& v) const {
    const T d = grad(p, g);
    T x = p * scale;
    const T mi = m * b1 + one_minus_b1 * d;
    const T vi = v * b2 + one_minus_b2 * d * d;
    m = mi;
    v = vi;
    const T denom = std::sqrt(vi / bc2) + eps;
    x = x + grad_step * (d / denom);
    p = x + momentum_step * (mi / denom);
  }
};

// RAdam (Liu et al., 2019): Adam's moments; param -= lr m / bc1, times
// sqrt(bc2) / (sqrt(v) + eps) * rectification once the variance is tractable
// (rectification > 0, decided on the host). Decoupled weight decay scales param first.
template <typename T>
struct RAdam {
  DecayedGrad<T> grad;
  T scale, b1, one_minus_b1, b2, one_minus_b2, bc1, bc2_sqrt, eps, lr, rect;
  bool adaptive;

  explicit RAdam(const OptimizerStepArgs& a)
      : grad(a), scale(static_cast<T>(a.param_scale)), b1(static_cast<T>(a.beta1)),
        one_minus_b1(static_cast<T>(1 - a.beta1)), b2(static_cast<T>(a.beta2)),
        one_minus_b2(static_cast<T>(1 - a.beta2)), bc1(static_cast<T>(a.bias_correction1)),
        bc2_sqrt(static_cast<T>(a.bias_correction2_sqrt)), eps(static_cast<T>(a.eps)), lr(static_cast<T>(a.lr)),
        rect(static_cast<T>(a.rectification)), adaptive(a.rectification > 0) {}

  WICK_MATH_INLINE void step(T& p, T g, T& m, T& v) const {
    const T d = grad(p, g);
    const T x = p * scale;
    const T mi = m * b1 + one_minus_b1 * d;
    const T vi = v * b2 + one_minus_b2 * d * d;
    m = mi;
    v = vi;
    T update = mi / bc1 * lr;
    if (adaptive) update = update * (bc2_sqrt / (std::sqrt(vi) + eps)) * rect;
    p = x - update;
  }
};

// ASGD (Polyak & Juditsky, 1992): param = param (1 - lambd eta) - eta g;
// ax += (param - ax) mu, or ax = param while mu is 1. eta and mu come from
// the host, where PyTorch keeps them as float32 tensors.
template <typename T>
struct Asgd {
  DecayedGrad<T> grad;
  T scale, neg_eta, mu;
  bool average;

  explicit Asgd(const OptimizerStepArgs& a)
      : grad(a), scale(static_cast<T>(a.param_scale)), neg_eta(static_cast<T>(-a.lr)), mu(static_cast<T>(a.mu)),
        average(a.mu != 1) {}

  WICK_MATH_INLINE void step(T& p, T g, T& ax) const {
    const T d = grad(p, g);
    const T x = p * scale + neg_eta * d;
    p = x;
    ax = average ? ax + (x - ax) * mu : x;
  }
};

// torch.sign: -1, 0 or 1, and 0 for NaN.
template <typename T>
WICK_MATH_INLINE T sign_or_zero(T x) {
  return static_cast<T>((x > 0) - (x < 0));
}

// Rprop (Riedmiller & Braun, 1993): where g and the previous gradient agree
// in sign the step size grows by etaplus, where they disagree it shrinks by
// etaminus and this step is skipped (the stored gradient becomes 0), clamped
// to [step_size_min, step_size_max]; param -= sign(g) step_size.
template <typename T>
struct Rprop {
  T etaminus, etaplus, lo, hi;
  bool maximize;

  explicit Rprop(const OptimizerStepArgs& a)
      : etaminus(static_cast<T>(a.etaminus)), etaplus(static_cast<T>(a.etaplus)),
        lo(static_cast<T>(a.step_size_min)), hi(static_cast<T>(a.step_size_max)), maximize(a.maximize) {}

  WICK_MATH_INLINE void step(T& p, T g, T& prev, T& step_size) const {
    T d = maximize ? -g : g;
    const T agreement = sign_or_zero(d * prev);
    const T factor = agreement > 0 ? etaplus : (agreement < 0 ? etaminus : T(1));
    // clamp_ keeps NaN.
    T s = step_size * factor;
    s = s != s ? s : (s < lo ? lo : (s > hi ? hi : s));
    step_size = s;
    if (factor == etaminus) d = T(0);
    p = p + T(-1) * sign_or_zero(d) * s;
    prev = d;
  }
};

}  // namespace wick::optim_math
