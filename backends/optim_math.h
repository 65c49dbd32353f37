// The per-element updates of the fused optimizer steps (Backend::optimizer_step),
// shared by the CPU loops (backends/cpu/optim.cpp) and the CUDA kernels
// (backends/cuda/optim.cu), so the CPU tests against torch.optim check the
// math every GPU update runs.
//
// Each update does, element by element, what torch.optim's single-tensor path
// does with a chain of whole-tensor ops (PyTorch 1.13, optim/{sgd,adam,adamw,
// rmsprop,adagrad}.py), in the same order and in the parameter's dtype. The
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

// d_p = (maximize ? -grad : grad) + weight_decay * param;
// buf = first ? d_p : momentum * buf + (1 - dampening) * d_p;
// param += -lr * (nesterov ? d_p + momentum * buf : buf).
template <typename T>
struct Sgd {
  T wd, m, keep, neg_lr;
  bool decay, maximize, nesterov, first;

  explicit Sgd(const OptimizerStepArgs& a)
      : wd(static_cast<T>(a.weight_decay)), m(static_cast<T>(a.momentum)), keep(static_cast<T>(1 - a.dampening)),
        neg_lr(static_cast<T>(-a.lr)), decay(a.weight_decay != 0), maximize(a.maximize), nesterov(a.nesterov),
        first(a.init_momentum) {}

  WICK_MATH_INLINE T grad(T p, T g) const {
    T d = maximize ? -g : g;
    if (decay) d = d + wd * p;
    return d;
  }
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
  T wd, scale, b1, one_minus_b1, b2, one_minus_b2, bc2_sqrt, eps, neg_step;
  bool decay, maximize;

  explicit Adam(const OptimizerStepArgs& a)
      : wd(static_cast<T>(a.weight_decay)), scale(static_cast<T>(a.param_scale)), b1(static_cast<T>(a.beta1)),
        one_minus_b1(static_cast<T>(1 - a.beta1)), b2(static_cast<T>(a.beta2)),
        one_minus_b2(static_cast<T>(1 - a.beta2)), bc2_sqrt(static_cast<T>(a.bias_correction2_sqrt)),
        eps(static_cast<T>(a.eps)), neg_step(static_cast<T>(-a.lr)), decay(a.weight_decay != 0),
        maximize(a.maximize) {}

  // vmax is read and written only with Amsgrad.
  template <bool Amsgrad>
  WICK_MATH_INLINE void step(T& p, T g, T& m, T& v, T& vmax) const {
    T d = maximize ? -g : g;
    T x = p;
    if (decay) d = d + wd * x;
    x = x * scale;
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
  T wd, alpha, one_minus_alpha, eps, m, neg_lr;
  bool decay, maximize;

  explicit RMSprop(const OptimizerStepArgs& a)
      : wd(static_cast<T>(a.weight_decay)), alpha(static_cast<T>(a.alpha)),
        one_minus_alpha(static_cast<T>(1 - a.alpha)), eps(static_cast<T>(a.eps)), m(static_cast<T>(a.momentum)),
        neg_lr(static_cast<T>(-a.lr)), decay(a.weight_decay != 0), maximize(a.maximize) {}

  template <bool Centered, bool Momentum>
  WICK_MATH_INLINE void step(T& p, T g, T& sq, T& buf, T& ga) const {
    T d = maximize ? -g : g;
    if (decay) d = d + wd * p;
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
  T wd, eps, neg_clr;
  bool decay, maximize;

  explicit Adagrad(const OptimizerStepArgs& a)
      : wd(static_cast<T>(a.weight_decay)), eps(static_cast<T>(a.eps)), neg_clr(static_cast<T>(-a.lr)),
        decay(a.weight_decay != 0), maximize(a.maximize) {}

  WICK_MATH_INLINE void step(T& p, T g, T& sum) const {
    T d = maximize ? -g : g;
    if (decay) d = d + wd * p;
    const T s = sum + d * d;
    sum = s;
    p = p + neg_clr * d / (std::sqrt(s) + eps);
  }
};

}  // namespace wick::optim_math
