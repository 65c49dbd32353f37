// CUDA kernels of the fused optimizer step (Backend::optimizer_step): one
// launch per parameter, one thread per element, each doing the update of
// backends/optim_math.h that the CPU loops run (backends/cpu/optim.cpp).
// Every operand is contiguous, of the parameter's dtype and numel.
#include <algorithm>
#include <array>

#include "backends/cuda/loops.cuh"
#include "backends/optim_math.h"

namespace wick::cuda {

namespace {

// The operands of one update; state pointers are null when unused.
template <typename T>
struct Operands {
  T* p;
  const T* g;
  T* s0;
  T* s1;
  T* s2;
};

// The grid-stride loop: for (int64_t i = first_index(); i < n; i += grid_step()).
__device__ __forceinline__ int64_t first_index() { return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ __forceinline__ int64_t grid_step() { return static_cast<int64_t>(blockDim.x) * gridDim.x; }

template <typename T, bool Momentum>
__global__ void sgd_kernel(Operands<T> o, int64_t n, optim_math::Sgd<T> k) {
  for (int64_t i = first_index(); i < n; i += grid_step()) {
    if constexpr (Momentum) k.step(o.p[i], o.g[i], o.s0[i]);
    else k.step(o.p[i], o.g[i]);
  }
}

template <typename T, bool Amsgrad>
__global__ void adam_kernel(Operands<T> o, int64_t n, optim_math::Adam<T> k) {
  for (int64_t i = first_index(); i < n; i += grid_step()) {
    T unused = 0;
    k.template step<Amsgrad>(o.p[i], o.g[i], o.s0[i], o.s1[i], Amsgrad ? o.s2[i] : unused);
  }
}

template <typename T, bool Centered, bool Momentum>
__global__ void rmsprop_kernel(Operands<T> o, int64_t n, optim_math::RMSprop<T> k) {
  for (int64_t i = first_index(); i < n; i += grid_step()) {
    T unused_buf = 0, unused_ga = 0;
    k.template step<Centered, Momentum>(o.p[i], o.g[i], o.s0[i], Momentum ? o.s1[i] : unused_buf,
                                        Centered ? o.s2[i] : unused_ga);
  }
}

template <typename T>
__global__ void adagrad_kernel(Operands<T> o, int64_t n, optim_math::Adagrad<T> k) {
  for (int64_t i = first_index(); i < n; i += grid_step()) { k.step(o.p[i], o.g[i], o.s0[i]); }
}

// Adadelta, Adamax, NAdam, RAdam, Rprop: two state tensors, no shape-changing options.
template <typename T, typename Update>
__global__ void two_state_kernel(Operands<T> o, int64_t n, Update k) {
  for (int64_t i = first_index(); i < n; i += grid_step()) { k.step(o.p[i], o.g[i], o.s0[i], o.s1[i]); }
}

template <typename T>
__global__ void asgd_kernel(Operands<T> o, int64_t n, optim_math::Asgd<T> k) {
  for (int64_t i = first_index(); i < n; i += grid_step()) { k.step(o.p[i], o.g[i], o.s0[i]); }
}

template <typename T>
T* data_or_null(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.raw_data()) : nullptr;
}

// The operands must be what the slot promises: the kernels index them as flat arrays of T.
void check_operand(const Tensor& t, const Tensor& param, const char* what) {
  WICK_CHECK(t.device() == param.device(), ValueError, "optimizer_step: ", what, " is on ", t.device(),
             ", the parameter on ", param.device());
  WICK_CHECK(t.dtype() == param.dtype() && t.numel() == param.numel() && t.is_contiguous(), ValueError,
             "optimizer_step: CUDA kernel expected a contiguous ", what, " of dtype ", param.dtype(), " and ",
             param.numel(), " elements, got ", t.dtype(), " ", t.sizes());
}

void check_state(const std::array<Tensor, 3>& state, int slot, const char* what) {
  WICK_CHECK(state[static_cast<size_t>(slot)].defined(), ValueError, "optimizer_step: missing ", what, " state");
}

template <typename Update, typename T>
void two_state(const Operands<T>& o, int64_t n, const std::array<Tensor, 3>& state, const OptimizerStepArgs& args,
               const char* first, const char* second) {
  check_state(state, 0, first);
  check_state(state, 1, second);
  two_state_kernel<T, Update><<<blocks_for(n), kThreads>>>(o, n, Update(args));
}

template <typename T>
void step_typed(OptimizerKind kind, const Tensor& param, const Operands<T>& o, const std::array<Tensor, 3>& state,
                const OptimizerStepArgs& args) {
  const int64_t n = param.numel();
  const unsigned blocks = blocks_for(n);
  switch (kind) {
    case OptimizerKind::SGD: {
      const optim_math::Sgd<T> k(args);
      if (o.s0) sgd_kernel<T, true><<<blocks, kThreads>>>(o, n, k);
      else sgd_kernel<T, false><<<blocks, kThreads>>>(o, n, k);
      break;
    }
    case OptimizerKind::Adam:
    case OptimizerKind::AdamW: {
      check_state(state, 0, "exp_avg");
      check_state(state, 1, "exp_avg_sq");
      const optim_math::Adam<T> k(args);
      if (o.s2) adam_kernel<T, true><<<blocks, kThreads>>>(o, n, k);
      else adam_kernel<T, false><<<blocks, kThreads>>>(o, n, k);
      break;
    }
    case OptimizerKind::RMSprop: {
      check_state(state, 0, "square_avg");
      const optim_math::RMSprop<T> k(args);
      if (o.s2 && o.s1) rmsprop_kernel<T, true, true><<<blocks, kThreads>>>(o, n, k);
      else if (o.s2) rmsprop_kernel<T, true, false><<<blocks, kThreads>>>(o, n, k);
      else if (o.s1) rmsprop_kernel<T, false, true><<<blocks, kThreads>>>(o, n, k);
      else rmsprop_kernel<T, false, false><<<blocks, kThreads>>>(o, n, k);
      break;
    }
    case OptimizerKind::Adagrad: {
      check_state(state, 0, "sum");
      adagrad_kernel<T><<<blocks, kThreads>>>(o, n, optim_math::Adagrad<T>(args));
      break;
    }
    case OptimizerKind::Adadelta: return two_state<optim_math::Adadelta<T>>(o, n, state, args, "square_avg", "acc_delta");
    case OptimizerKind::Adamax: return two_state<optim_math::Adamax<T>>(o, n, state, args, "exp_avg", "exp_inf");
    case OptimizerKind::NAdam: return two_state<optim_math::NAdam<T>>(o, n, state, args, "exp_avg", "exp_avg_sq");
    case OptimizerKind::RAdam: return two_state<optim_math::RAdam<T>>(o, n, state, args, "exp_avg", "exp_avg_sq");
    case OptimizerKind::Rprop: return two_state<optim_math::Rprop<T>>(o, n, state, args, "prev", "step_size");
    case OptimizerKind::ASGD: {
      check_state(state, 0, "ax");
      asgd_kernel<T><<<blocks, kThreads>>>(o, n, optim_math::Asgd<T>(args));
      break;
    }
  }
}

}  // namespace

void optimizer_step(OptimizerKind kind, const Tensor& param, const Tensor& grad, const std::array<Tensor, 3>& state,
                    const OptimizerStepArgs& args) {
  check_operand(param, param, "parameter");
  check_operand(grad, param, "gradient");
  for (const Tensor& s : state)
    if (s.defined()) check_operand(s, param, "optimizer state");
  if (param.numel() == 0) return;
  dispatch_floating(param.dtype(), "optimizer_step", [&]<typename T>() {
    const Operands<T> o{static_cast<T*>(param.raw_data()), static_cast<const T*>(grad.raw_data()),
                        data_or_null<T>(state[0]), data_or_null<T>(state[1]), data_or_null<T>(state[2])};
    DeviceGuard guard(param.device());
    step_typed<T>(kind, param, o, state, args);
    check(cudaGetLastError(), "optimizer_step");
  });
}

}  // namespace wick::cuda
