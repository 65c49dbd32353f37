// Fused optimizer updates: one pass over a parameter and its state per step.
//
// Each loop does, element by element, what torch.optim's single-tensor path
// does with a chain of whole-tensor ops (PyTorch 1.13, optim/{sgd,adam,adamw,
// rmsprop,adagrad}.py), in the same order and in the parameter's dtype, so
// the results agree with PyTorch's to rounding. Scalars are rounded to the
// dtype as PyTorch's kernels round a Python number operand.
//
// The loops vectorize: their sqrt because this file is built with
// -fno-math-errno, and each is compiled twice (baseline and AVX2 + FMA, see
// WICK_VECTOR_CLONES) through step_range, into which they are inlined. With
// FMA, a * b + c rounds once, as in PyTorch's own AVX2 kernels.
#include <cmath>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/vec_math.h"
#include "core/parallel.h"

namespace wick::cpu {

namespace {

template <typename T>
T* data_or_null(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.raw_data()) : nullptr;
}

// torch.maximum: NaN in either operand gives NaN.
template <typename T>
WICK_ALWAYS_INLINE T nan_maximum(T a, T b) {
  return (a != a || a > b) ? a : b;
}

// d_p = (maximize ? -grad : grad) + weight_decay * param;
// buf = first ? d_p : momentum * buf + (1 - dampening) * d_p;
// param += -lr * (nesterov ? d_p + momentum * buf : buf).
template <typename T>
WICK_ALWAYS_INLINE void sgd(T* __restrict p, const T* __restrict g, T* __restrict buf, int64_t begin, int64_t end,
                            const OptimizerStepArgs& a) {
  const T wd = static_cast<T>(a.weight_decay), m = static_cast<T>(a.momentum);
  const T keep = static_cast<T>(1 - a.dampening), neg_lr = static_cast<T>(-a.lr);
  const bool decay = a.weight_decay != 0, maximize = a.maximize, nesterov = a.nesterov, first = a.init_momentum;
  if (!buf) {
    for (int64_t i = begin; i < end; ++i) {
      T d = maximize ? -g[i] : g[i];
      if (decay) d = d + wd * p[i];
      p[i] = p[i] + neg_lr * d;
    }
    return;
  }
  for (int64_t i = begin; i < end; ++i) {
    T d = maximize ? -g[i] : g[i];
    if (decay) d = d + wd * p[i];
    const T b = first ? d : buf[i] * m + keep * d;
    buf[i] = b;
    if (nesterov) d = d + m * b;
    else d = b;
    p[i] = p[i] + neg_lr * d;
  }
}

// Adam and AdamW (AdamW: weight_decay 0 and param_scale 1 - lr * weight_decay):
// g = (maximize ? -grad : grad) + weight_decay * param; param *= param_scale;
// m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g g; vmax = max(vmax, v);
// param += (-lr / bc1) m / (sqrt(amsgrad ? vmax : v) / sqrt(bc2) + eps).
template <typename T>
WICK_ALWAYS_INLINE void adam(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v,
                             T* __restrict vmax, int64_t begin, int64_t end, const OptimizerStepArgs& a) {
  const T wd = static_cast<T>(a.weight_decay), scale = static_cast<T>(a.param_scale);
  const T b1 = static_cast<T>(a.beta1), one_minus_b1 = static_cast<T>(1 - a.beta1);
  const T b2 = static_cast<T>(a.beta2), one_minus_b2 = static_cast<T>(1 - a.beta2);
  const T bc2_sqrt = static_cast<T>(a.bias_correction2_sqrt), eps = static_cast<T>(a.eps);
  const T neg_step = static_cast<T>(-a.lr);
  const bool decay = a.weight_decay != 0, maximize = a.maximize;
  for (int64_t i = begin; i < end; ++i) {
    T d = maximize ? -g[i] : g[i];
    T x = p[i];
    if (decay) d = d + wd * x;
    x = x * scale;
    const T mi = m[i] * b1 + one_minus_b1 * d;
    T vi = v[i] * b2 + one_minus_b2 * d * d;
    m[i] = mi;
    v[i] = vi;
    if (vmax) {
      vi = nan_maximum(vmax[i], vi);
      vmax[i] = vi;
    }
    const T denom = std::sqrt(vi) / bc2_sqrt + eps;
    p[i] = x + neg_step * mi / denom;
  }
}

// g = (maximize ? -grad : grad) + weight_decay * param;
// sq = alpha sq + (1 - alpha) g g; ga = alpha ga + (1 - alpha) g;
// avg = sqrt(centered ? sq - ga ga : sq) + eps;
// momentum: buf = momentum buf + g / avg, param += -lr buf; else param += -lr g / avg.
// Centered and Momentum are template parameters: as runtime branches they
// keep GCC from vectorizing the loop.
template <typename T, bool Centered, bool Momentum>
WICK_ALWAYS_INLINE void rmsprop_loop(T* __restrict p, const T* __restrict g, T* __restrict sq, T* __restrict buf,
                                     T* __restrict ga, int64_t begin, int64_t end, const OptimizerStepArgs& a) {
  const T wd = static_cast<T>(a.weight_decay), alpha = static_cast<T>(a.alpha);
  const T one_minus_alpha = static_cast<T>(1 - a.alpha), eps = static_cast<T>(a.eps);
  const T m = static_cast<T>(a.momentum), neg_lr = static_cast<T>(-a.lr);
  const bool decay = a.weight_decay != 0, maximize = a.maximize;
  for (int64_t i = begin; i < end; ++i) {
    T d = maximize ? -g[i] : g[i];
    if (decay) d = d + wd * p[i];
    const T s = sq[i] * alpha + one_minus_alpha * d * d;
    sq[i] = s;
    T avg;
    if constexpr (Centered) {
      const T gi = ga[i] * alpha + one_minus_alpha * d;
      ga[i] = gi;
      avg = std::sqrt(s + -gi * gi);
    } else {
      avg = std::sqrt(s);
    }
    avg = avg + eps;
    if constexpr (Momentum) {
      const T b = buf[i] * m + d / avg;
      buf[i] = b;
      p[i] = p[i] + neg_lr * b;
    } else {
      p[i] = p[i] + neg_lr * d / avg;
    }
  }
}

template <typename T>
WICK_ALWAYS_INLINE void rmsprop(T* p, const T* g, T* sq, T* buf, T* ga, int64_t begin, int64_t end,
                                const OptimizerStepArgs& a) {
  if (ga && buf) rmsprop_loop<T, true, true>(p, g, sq, buf, ga, begin, end, a);
  else if (ga) rmsprop_loop<T, true, false>(p, g, sq, buf, ga, begin, end, a);
  else if (buf) rmsprop_loop<T, false, true>(p, g, sq, buf, ga, begin, end, a);
  else rmsprop_loop<T, false, false>(p, g, sq, buf, ga, begin, end, a);
}

// g = (maximize ? -grad : grad) + weight_decay * param; sum += g g;
// param += -clr g / (sqrt(sum) + eps).
template <typename T>
WICK_ALWAYS_INLINE void adagrad(T* __restrict p, const T* __restrict g, T* __restrict sum, int64_t begin, int64_t end,
                                const OptimizerStepArgs& a) {
  const T wd = static_cast<T>(a.weight_decay), eps = static_cast<T>(a.eps), neg_clr = static_cast<T>(-a.lr);
  const bool decay = a.weight_decay != 0, maximize = a.maximize;
  for (int64_t i = begin; i < end; ++i) {
    T d = maximize ? -g[i] : g[i];
    if (decay) d = d + wd * p[i];
    const T s = sum[i] + d * d;
    sum[i] = s;
    p[i] = p[i] + neg_clr * d / (std::sqrt(s) + eps);
  }
}

// One thread's share of an update: the loop for `kind` over [begin, end).
template <typename T>
WICK_VECTOR_CLONES void step_range(OptimizerKind kind, T* p, const T* g, T* s0, T* s1, T* s2, int64_t begin,
                                   int64_t end, const OptimizerStepArgs& args) {
  switch (kind) {
    case OptimizerKind::SGD: return sgd(p, g, s0, begin, end, args);
    case OptimizerKind::Adam:
    case OptimizerKind::AdamW: return adam(p, g, s0, s1, s2, begin, end, args);
    case OptimizerKind::RMSprop: return rmsprop(p, g, s0, s1, s2, begin, end, args);
    case OptimizerKind::Adagrad: return adagrad(p, g, s0, begin, end, args);
  }
}

}  // namespace

void optimizer_step(OptimizerKind kind, const Tensor& param, const Tensor& grad, const std::array<Tensor, 3>& state,
                    const OptimizerStepArgs& args) {
  dispatch_floating(param.dtype(), "optimizer_step", [&]<typename T>() {
    T* p = static_cast<T*>(param.raw_data());
    const T* g = static_cast<const T*>(grad.raw_data());
    T* s0 = data_or_null<T>(state[0]);
    T* s1 = data_or_null<T>(state[1]);
    T* s2 = data_or_null<T>(state[2]);
    parallel_for(param.numel(), kParallelGrain,
                 [&](int64_t begin, int64_t end) { step_range<T>(kind, p, g, s0, s1, s2, begin, end, args); });
  });
}

}  // namespace wick::cpu
