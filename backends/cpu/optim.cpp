// Fused optimizer updates: one pass over a parameter and its state per step.
//
// Each loop does, element by element, what torch.optim's single-tensor path
// does with a chain of whole-tensor ops (PyTorch 1.13), in the same order and
// in the parameter's dtype, so the results agree with PyTorch's to rounding.
// The element math lives in backends/optim_math.h, which the CUDA kernels
// (backends/cuda/optim.cu) share.
//
// The loops vectorize: their sqrt because this file is built with
// -fno-math-errno, and each is compiled twice (baseline and AVX2 + FMA, see
// WICK_VECTOR_CLONES) through step_range, into which they are inlined. With
// FMA, a * b + c rounds once, as in PyTorch's own AVX2 kernels.
#include <cmath>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/vec_math.h"
#include "backends/optim_math.h"
#include "core/parallel.h"

namespace wick::cpu {

namespace {

template <typename T>
T* data_or_null(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.raw_data()) : nullptr;
}

// The loops over [begin, end); the element math is backends/optim_math.h's.
template <typename T>
WICK_ALWAYS_INLINE void sgd(T* __restrict p, const T* __restrict g, T* __restrict buf, int64_t begin, int64_t end,
                            const OptimizerStepArgs& a) {
  const optim_math::Sgd<T> k(a);
  if (!buf) {
    for (int64_t i = begin; i < end; ++i) k.step(p[i], g[i]);
    return;
  }
  for (int64_t i = begin; i < end; ++i) k.step(p[i], g[i], buf[i]);
}

template <typename T, bool Amsgrad>
WICK_ALWAYS_INLINE void adam_loop(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v,
                                  T* __restrict vmax, int64_t begin, int64_t end, const optim_math::Adam<T>& k) {
  T unused = 0;
  for (int64_t i = begin; i < end; ++i) k.template step<Amsgrad>(p[i], g[i], m[i], v[i], Amsgrad ? vmax[i] : unused);
}

template <typename T>
WICK_ALWAYS_INLINE void adam(T* p, const T* g, T* m, T* v, T* vmax, int64_t begin, int64_t end,
                             const OptimizerStepArgs& a) {
  const optim_math::Adam<T> k(a);
  if (vmax) adam_loop<T, true>(p, g, m, v, vmax, begin, end, k);
  else adam_loop<T, false>(p, g, m, v, vmax, begin, end, k);
}

template <typename T, bool Centered, bool Momentum>
WICK_ALWAYS_INLINE void rmsprop_loop(T* __restrict p, const T* __restrict g, T* __restrict sq, T* __restrict buf,
                                     T* __restrict ga, int64_t begin, int64_t end, const optim_math::RMSprop<T>& k) {
  T unused_buf = 0, unused_ga = 0;
  for (int64_t i = begin; i < end; ++i)
    k.template step<Centered, Momentum>(p[i], g[i], sq[i], Momentum ? buf[i] : unused_buf,
                                        Centered ? ga[i] : unused_ga);
}

template <typename T>
WICK_ALWAYS_INLINE void rmsprop(T* p, const T* g, T* sq, T* buf, T* ga, int64_t begin, int64_t end,
                                const OptimizerStepArgs& a) {
  const optim_math::RMSprop<T> k(a);
  if (ga && buf) rmsprop_loop<T, true, true>(p, g, sq, buf, ga, begin, end, k);
  else if (ga) rmsprop_loop<T, true, false>(p, g, sq, buf, ga, begin, end, k);
  else if (buf) rmsprop_loop<T, false, true>(p, g, sq, buf, ga, begin, end, k);
  else rmsprop_loop<T, false, false>(p, g, sq, buf, ga, begin, end, k);
}

template <typename T>
WICK_ALWAYS_INLINE void adagrad(T* __restrict p, const T* __restrict g, T* __restrict sum, int64_t begin, int64_t end,
                                const OptimizerStepArgs& a) {
  const optim_math::Adagrad<T> k(a);
  for (int64_t i = begin; i < end; ++i) k.step(p[i], g[i], sum[i]);
}

// The updates with two state tensors and no shape-changing options.
template <typename Update, typename T>
WICK_ALWAYS_INLINE void two_state(T* __restrict p, const T* __restrict g, T* __restrict s0, T* __restrict s1,
                                  int64_t begin, int64_t end, const OptimizerStepArgs& a) {
  const Update k(a);
  for (int64_t i = begin; i < end; ++i) k.step(p[i], g[i], s0[i], s1[i]);
}

template <typename T>
WICK_ALWAYS_INLINE void asgd(T* __restrict p, const T* __restrict g, T* __restrict ax, int64_t begin, int64_t end,
                             const OptimizerStepArgs& a) {
  const optim_math::Asgd<T> k(a);
  for (int64_t i = begin; i < end; ++i) k.step(p[i], g[i], ax[i]);
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
    case OptimizerKind::Adadelta: return two_state<optim_math::Adadelta<T>>(p, g, s0, s1, begin, end, args);
    case OptimizerKind::Adamax: return two_state<optim_math::Adamax<T>>(p, g, s0, s1, begin, end, args);
    case OptimizerKind::NAdam: return two_state<optim_math::NAdam<T>>(p, g, s0, s1, begin, end, args);
    case OptimizerKind::RAdam: return two_state<optim_math::RAdam<T>>(p, g, s0, s1, begin, end, args);
    case OptimizerKind::ASGD: return asgd(p, g, s0, begin, end, args);
    case OptimizerKind::Rprop: return two_state<optim_math::Rprop<T>>(p, g, s0, s1, begin, end, args);
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
