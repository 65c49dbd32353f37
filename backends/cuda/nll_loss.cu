// CUDA kernels of nll_loss, forward and backward, with the semantics of
// backends/cpu/nll_loss.cpp over input [N, C, S] (any strides) and target
// [N, S] (int64, any strides); the per-position math is the CPU's
// (kernels::nll_term, nll_grad_term in backends/index_math.h).
//
// Reduction::None is one thread per position. Mean and Sum run in a single
// block of kReduceThreads threads: thread t sums positions t, t + kReduceThreads,
// ... in double (as the CPU sums its chunks), then a shared-memory tree adds
// the partial sums in a fixed order, so the result is the same on every run
// (no float atomics). One block reads the N * S targets at full memory speed
// for the sizes a loss has (a batch of class indices, or a segmentation map
// of a few million positions).
//
// A target outside [0, C) that is not ignore_index is reported through the
// device error record (Note [Device-side index errors]) and contributes
// nothing; the IndexError is raised at the next synchronization.
#include "backends/cuda/device_error.h"
#include "backends/cuda/loops.cuh"
#include "backends/index_math.h"
#include "core/reduction.h"

namespace wick::cuda {

namespace {

struct NllGeometry {
  int64_t n, c, s;           // batch, classes, spatial positions
  int64_t in_n, in_c, in_s;  // input strides (elements)
  int64_t t_n, t_s;          // target strides
};

constexpr int kReduceThreads = 512;

// The loss term of position k (0 for an ignored or bad target) and its
// target's weight (0 when it does not count).
template <typename T>
__device__ inline T nll_position(const NllGeometry& p, int64_t k, const T* x, const int64_t* tgt, const T* w,
                                 int64_t ignore_index, DeviceError* err, T& wt) {
  const int64_t i = k / p.s, j = k - i * p.s;
  const int64_t t = tgt[i * p.t_n + j * p.t_s];
  wt = T(0);
  if (t == ignore_index) return T(0);
  if (!kernels::index_in_bounds(t, p.c)) {
    report_device_error(err, DeviceErrorOp::NllLoss, t, 1, p.c);
    return T(0);
  }
  wt = w ? w[t] : T(1);
  return kernels::nll_term(wt, x[i * p.in_n + t * p.in_c + j * p.in_s]);
}

template <typename T>
__global__ void nll_none_kernel(NllGeometry p, const T* x, const int64_t* tgt, const T* w, int64_t ignore_index,
                                T* y, DeviceError* err) {
  const int64_t count = p.n * p.s;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < count; k += step) {
    T wt;
    y[k] = nll_position(p, k, x, tgt, w, ignore_index, err, wt);
  }
}

// One block of kReduceThreads: out = the sum (or mean) of the terms, total_weight = the summed weights.
template <typename T>
__global__ void nll_reduce_kernel(NllGeometry p, const T* x, const int64_t* tgt, const T* w, int64_t ignore_index,
                                  bool mean, T* out, T* total_weight, DeviceError* err) {
  __shared__ double loss_sum[kReduceThreads];
  __shared__ double weight_sum[kReduceThreads];
  const int64_t count = p.n * p.s;
  double ls = 0, ws = 0;
  for (int64_t k = threadIdx.x; k < count; k += kReduceThreads) {
    T wt;
    const T v = nll_position(p, k, x, tgt, w, ignore_index, err, wt);
    ls += static_cast<double>(v);
    ws += static_cast<double>(wt);
  }
  loss_sum[threadIdx.x] = ls;
  weight_sum[threadIdx.x] = ws;
  __syncthreads();
  for (int half = kReduceThreads / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) {
      loss_sum[threadIdx.x] += loss_sum[threadIdx.x + half];
      weight_sum[threadIdx.x] += weight_sum[threadIdx.x + half];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    *total_weight = static_cast<T>(weight_sum[0]);
    // The mean over no (or only zero-weight) targets is 0 / 0 = nan, as in PyTorch.
    *out = static_cast<T>(mean ? loss_sum[0] / weight_sum[0] : loss_sum[0]);
  }
}

template <typename T>
__global__ void nll_backward_kernel(int64_t n, int64_t c, int64_t s, int64_t t_n, int64_t t_s, int64_t g_n,
                                    int64_t g_s, const int64_t* tgt, const T* w, const T* g, const T* total_weight,
                                    bool mean, int64_t ignore_index, T* gx) {
  const int64_t count = n * s;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  const T scale = mean ? T(1) / *total_weight : T(1);
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < count; k += step) {
    const int64_t i = k / s, j = k - i * s;
    const int64_t t = tgt[i * t_n + j * t_s];
    if (t == ignore_index || !kernels::index_in_bounds(t, c)) continue;  // the forward reported bad targets
    const T wt = w ? w[t] : T(1);
    gx[(i * c + t) * s + j] = kernels::nll_grad_term(wt, g[i * g_n + j * g_s], scale);
  }
}

void check_operands(const Tensor& target, const Tensor& weight, const Tensor& like, const char* op) {
  check_dtype(target, ScalarType::Int64, op);
  WICK_CHECK(target.device() == like.device(), ValueError, op, ": expected all tensors on ", like.device(),
             ", got the target on ", target.device());
  if (weight.defined()) {
    check_dtype(weight, like.dtype(), op);
    WICK_CHECK(weight.is_contiguous() && weight.device() == like.device(), ValueError, op,
               ": CUDA kernel expected a contiguous weight on ", like.device());
  }
}

}  // namespace

void nll_loss(const Tensor& out, const Tensor& total_weight, const Tensor& input, const Tensor& target,
              const Tensor& weight, Reduction reduction, int64_t ignore_index) {
  check_operands(target, weight, input, "nll_loss");
  const NllGeometry p{input.size(0),   input.size(1),   input.size(2),  input.stride(0),
                      input.stride(1), input.stride(2), target.stride(0), target.stride(1)};
  const int64_t count = p.n * p.s;
  const Device device = input.device();
  dispatch_floating(input.dtype(), "nll_loss", [&]<typename T>() {
    check_dtype(out, dtype_of<T>(), "nll_loss");
    check_dtype(total_weight, dtype_of<T>(), "nll_loss");
    const T* x = static_cast<const T*>(input.raw_data());
    const int64_t* tgt = static_cast<const int64_t*>(target.raw_data());
    const T* w = weight.defined() ? static_cast<const T*>(weight.raw_data()) : nullptr;
    DeviceError* err = device_error_record(device);
    DeviceGuard guard(device);
    if (reduction == Reduction::None) {
      // total_weight is only read by the backward of a mean.
      check(cudaMemset(total_weight.raw_data(), 0, sizeof(T)), "cudaMemset");
      if (count == 0) return;
      nll_none_kernel<T><<<blocks_for(count), kThreads>>>(p, x, tgt, w, ignore_index,
                                                          static_cast<T*>(out.raw_data()), err);
    } else {
      nll_reduce_kernel<T><<<1, kReduceThreads>>>(p, x, tgt, w, ignore_index, reduction == Reduction::Mean,
                                                  static_cast<T*>(out.raw_data()),
                                                  static_cast<T*>(total_weight.raw_data()), err);
    }
    check(cudaGetLastError(), "nll_loss");
    device_error_launched(device);
  });
}

void nll_loss_backward(const Tensor& grad_input, const Tensor& grad_out, const Tensor& target, const Tensor& weight,
                       Reduction reduction, int64_t ignore_index, const Tensor& total_weight) {
  check_operands(target, weight, grad_input, "nll_loss_backward");
  WICK_CHECK(grad_input.is_contiguous(), ValueError, "nll_loss_backward: CUDA kernel expected a contiguous ",
             "grad_input");
  const int64_t n = grad_input.size(0), c = grad_input.size(1), s = grad_input.size(2);
  if (grad_input.numel() == 0) return;
  const bool per_position = reduction == Reduction::None;
  const int64_t g_n = per_position ? grad_out.stride(0) : 0, g_s = per_position ? grad_out.stride(1) : 0;
  DeviceGuard guard(grad_input.device());
  dispatch_floating(grad_input.dtype(), "nll_loss_backward", [&]<typename T>() {
    check_dtype(grad_out, dtype_of<T>(), "nll_loss_backward");
    check_dtype(total_weight, dtype_of<T>(), "nll_loss_backward");
    check(cudaMemset(grad_input.raw_data(), 0, grad_input.nbytes()), "cudaMemset");
    nll_backward_kernel<T><<<blocks_for(n * s), kThreads>>>(
        n, c, s, target.stride(0), target.stride(1), g_n, g_s, static_cast<const int64_t*>(target.raw_data()),
        weight.defined() ? static_cast<const T*>(weight.raw_data()) : nullptr,
        static_cast<const T*>(grad_out.raw_data()), static_cast<const T*>(total_weight.raw_data()),
        reduction == Reduction::Mean, ignore_index, static_cast<T*>(grad_input.raw_data()));
    check(cudaGetLastError(), "nll_loss_backward");
  });
}

}  // namespace wick::cuda
