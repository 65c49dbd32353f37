// CUDA kernels of batch and group normalization over a contiguous [N, C, S]
// input, with the CPU kernels' semantics and formulas (backends/cpu/norm.cpp,
// backends/norm_math.h): double sums of the data shifted by the group's first
// element, biased variance, the same gradient coefficients.
//
// Each group of statistics (a channel for Batch, a sample's group of channels
// for Group) is one block: its threads sum strided elements, a block
// reduction (a tree fixed by the sizes: runs repeat bit for bit) combines
// them. The Group backward first sums dy and dy * x per (sample, channel),
// then per (sample, group) for the input's gradient, and per channel over the
// samples for the weight's and bias's, each in a fixed order.
#include <algorithm>

#include "backends/cuda/block_reduce.cuh"
#include "backends/cuda/cuda_utils.h"
#include "backends/norm_math.h"

namespace wick::cuda {

namespace {

using norm_math::SumPair;

struct NormDims {
  int64_t N, C, S, groups;
  // Elements of one statistics group, and the offset of its element e.
  __host__ __device__ int64_t count(bool batch) const { return batch ? N * S : C / groups * S; }
  __device__ int64_t offset(bool batch, int64_t item, int64_t e) const {
    if (!batch) return item * (C / groups * S) + e;
    const int64_t n = e / S;
    return (n * C + item) * S + (e - n * S);
  }
};

struct MergeSums {
  __device__ SumPair operator()(SumPair p, SumPair q) const { return SumPair::merge(p, q); }
};

template <typename T, bool Batch>
__global__ void stats_kernel(NormDims d, const T* x, T* mean, T* rstd, T* var, double eps) {
  const int64_t items = Batch ? d.C : d.N * d.groups, count = d.count(Batch);
  for (int64_t item = blockIdx.x; item < items; item += gridDim.x) {
    const double shift = static_cast<double>(x[d.offset(Batch, item, 0)]);
    SumPair s;
    for (int64_t e = threadIdx.x; e < count; e += blockDim.x)
      s.add_shifted(static_cast<double>(x[d.offset(Batch, item, e)]), shift);
    s = block_reduce(s, MergeSums{});
    if (threadIdx.x == 0) {
      const norm_math::Stats st = norm_math::finish_stats(shift, s.a, s.b, static_cast<double>(count), eps);
      mean[item] = static_cast<T>(st.mean);
      rstd[item] = static_cast<T>(st.rstd);
      if (var) var[item] = static_cast<T>(st.var);
    }
  }
}

template <typename T, bool Batch>
__global__ void apply_kernel(NormDims d, const T* x, T* y, const T* mean, const T* rstd, const T* weight,
                             const T* bias) {
  const int64_t total = d.N * d.C * d.S, per_group = d.C / d.groups;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    const int64_t nc = i / d.S, n = nc / d.C, c = nc - n * d.C;
    const int64_t at = Batch ? c : n * d.groups + c / per_group;
    const T a = norm_math::apply_scale(rstd[at], weight ? static_cast<double>(weight[c]) : 1.0);
    y[i] = norm_math::apply_value(x[i], mean[at], a, bias ? bias[c] : T(0));
  }
}

// Batch backward: one block per channel; the sums, then the channel's dx.
template <typename T>
__global__ void batch_backward_kernel(NormDims d, const T* x, const T* dy, const T* mean, const T* rstd,
                                      const T* weight, T* dx, T* gw, T* gb, bool batch_stats) {
  __shared__ norm_math::GradCoeffs<T> shared;
  const int64_t count = d.N * d.S;
  const bool want_sums = gw || gb || (dx && batch_stats);
  for (int64_t c = blockIdx.x; c < d.C; c += gridDim.x) {
    SumPair s;
    if (want_sums) {
      for (int64_t e = threadIdx.x; e < count; e += blockDim.x) {
        const int64_t off = d.offset(true, c, e);
        s.add_grad(static_cast<double>(dy[off]), static_cast<double>(x[off]));
      }
      s = block_reduce(s, MergeSums{});
    }
    const double mu = static_cast<double>(mean[c]), rs = static_cast<double>(rstd[c]);
    if (threadIdx.x == 0) {
      if (gw) gw[c] = static_cast<T>(norm_math::sum_dy_xhat(s.a, s.b, mu, rs));
      if (gb) gb[c] = static_cast<T>(s.a);
      shared = norm_math::batch_grad_coeffs<T>(s.a, s.b, mu, rs, weight ? static_cast<double>(weight[c]) : 1.0,
                                               static_cast<double>(count), batch_stats);
    }
    __syncthreads();
    const norm_math::GradCoeffs<T> k = shared;
    __syncthreads();  // before the next channel's thread 0 overwrites it
    if (!dx) continue;
    const T mu_t = mean[c];
    for (int64_t e = threadIdx.x; e < count; e += blockDim.x) {
      const int64_t off = d.offset(true, c, e);
      dx[off] = norm_math::grad_value(dy[off], x[off], mu_t, k);
    }
  }
}

// Group backward, step 1: the sums of dy and dy * x per (sample, channel) row
// of S elements: a block per row, or a thread per row when rows are short.
template <typename T>
__global__ void row_sums_block_kernel(int64_t rows, int64_t S, const T* x, const T* dy, SumPair* sums) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    SumPair s;
    for (int64_t i = threadIdx.x; i < S; i += blockDim.x)
      s.add_grad(static_cast<double>(dy[r * S + i]), static_cast<double>(x[r * S + i]));
    s = block_reduce(s, MergeSums{});
    if (threadIdx.x == 0) sums[r] = s;
  }
}
template <typename T>
__global__ void row_sums_thread_kernel(int64_t rows, int64_t S, const T* x, const T* dy, SumPair* sums) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < rows; r += step) {
    SumPair s;
    for (int64_t i = 0; i < S; ++i) s.add_grad(static_cast<double>(dy[r * S + i]), static_cast<double>(x[r * S + i]));
    sums[r] = s;
  }
}

// Step 2: per (sample, group), one block: the weighted sums over its
// channels, then dx over its elements.
template <typename T>
__global__ void group_dx_kernel(NormDims d, const SumPair* sums, const T* x, const T* dy, const T* mean,
                                const T* rstd, const T* weight, T* dx) {
  __shared__ norm_math::GroupGradTerms shared;
  const int64_t per_group = d.C / d.groups, run = per_group * d.S;
  for (int64_t ng = blockIdx.x; ng < d.N * d.groups; ng += gridDim.x) {
    const int64_t n = ng / d.groups, c0 = (ng - n * d.groups) * per_group;
    SumPair s;
    for (int64_t j = threadIdx.x; j < per_group; j += blockDim.x) {
      const double wc = weight ? static_cast<double>(weight[c0 + j]) : 1.0;
      const SumPair row = sums[n * d.C + c0 + j];
      s = SumPair::merge(s, {wc * row.a, wc * row.b});
    }
    s = block_reduce(s, MergeSums{});
    const double mu = static_cast<double>(mean[ng]), rs = static_cast<double>(rstd[ng]);
    if (threadIdx.x == 0) shared = norm_math::group_grad_terms(s.a, s.b, mu, rs, static_cast<double>(run));
    __syncthreads();
    const norm_math::GroupGradTerms terms = shared;
    __syncthreads();
    const T mu_t = mean[ng];
    const int64_t base = ng * run;  // a sample's group of channels is contiguous
    for (int64_t e = threadIdx.x; e < run; e += blockDim.x) {
      const int64_t c = c0 + e / d.S;
      const norm_math::GradCoeffs<T> k =
          norm_math::group_grad_coeffs<T>(terms, rs, weight ? static_cast<double>(weight[c]) : 1.0);
      dx[base + e] = norm_math::grad_value(dy[base + e], x[base + e], mu_t, k);
    }
  }
}

// Step 3: per channel, the weight's and bias's gradients over the samples, in sample order.
template <typename T>
__global__ void group_params_kernel(NormDims d, const SumPair* sums, const T* mean, const T* rstd, T* gw, T* gb) {
  const int64_t per_group = d.C / d.groups;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < d.C; c += step) {
    double sw = 0, sb = 0;
    for (int64_t n = 0; n < d.N; ++n) {
      const int64_t ng = n * d.groups + c / per_group;
      const SumPair row = sums[n * d.C + c];
      sw += norm_math::sum_dy_xhat(row.a, row.b, static_cast<double>(mean[ng]), static_cast<double>(rstd[ng]));
      sb += row.a;
    }
    if (gw) gw[c] = static_cast<T>(sw);
    if (gb) gb[c] = static_cast<T>(sb);
  }
}

NormDims dims_of(const Tensor& input, int64_t groups) {
  WICK_CHECK(input.dim() == 3 && input.is_contiguous(), ValueError,
             "norm: CUDA kernel expected a contiguous [N, C, S] input, got shape ", input.sizes());
  WICK_CHECK(groups > 0 && input.sizes()[1] % groups == 0, ValueError, "norm: ", groups,
             " groups do not divide the ", input.sizes()[1], " channels");
  return {input.sizes()[0], input.sizes()[1], input.sizes()[2], groups};
}

template <typename T>
T* ptr_or_null(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.raw_data()) : nullptr;
}

}  // namespace

void norm_stats(NormOp op, const Tensor& mean, const Tensor& rstd, const Tensor& var, const Tensor& input,
                int64_t groups, double eps) {
  const NormDims d = dims_of(input, op == NormOp::Batch ? 1 : groups);
  const bool batch = op == NormOp::Batch;
  const int64_t items = batch ? d.C : d.N * d.groups, count = d.count(batch);
  // Groups of no elements have no statistics to take (the ops never ask).
  if (items == 0 || count == 0) return;
  DeviceGuard guard(input.device());
  dispatch_floating(input.dtype(), "norm_stats", [&]<typename T>() {
    const T* x = static_cast<const T*>(input.raw_data());
    T* m = static_cast<T*>(mean.raw_data());
    T* r = static_cast<T*>(rstd.raw_data());
    T* v = ptr_or_null<T>(var);
    const int threads = block_threads(count, 512);
    if (batch) stats_kernel<T, true><<<grid_blocks(items), threads>>>(d, x, m, r, v, eps);
    else stats_kernel<T, false><<<grid_blocks(items), threads>>>(d, x, m, r, v, eps);
    check(cudaGetLastError(), "norm_stats");
  });
}

void norm_apply(NormOp op, const Tensor& out, const Tensor& input, const Tensor& mean, const Tensor& rstd,
                const Tensor& weight, const Tensor& bias, int64_t groups) {
  const NormDims d = dims_of(input, op == NormOp::Batch ? 1 : groups);
  const int64_t total = d.N * d.C * d.S;
  if (total == 0) return;
  DeviceGuard guard(input.device());
  dispatch_floating(input.dtype(), "norm_apply", [&]<typename T>() {
    const T* x = static_cast<const T*>(input.raw_data());
    T* y = static_cast<T*>(out.raw_data());
    const T* m = static_cast<const T*>(mean.raw_data());
    const T* r = static_cast<const T*>(rstd.raw_data());
    const T* w = ptr_or_null<const T>(weight);
    const T* b = ptr_or_null<const T>(bias);
    constexpr int kThreads = 256;
    if (op == NormOp::Batch) apply_kernel<T, true><<<grid_blocks(total, kThreads), kThreads>>>(d, x, y, m, r, w, b);
    else apply_kernel<T, false><<<grid_blocks(total, kThreads), kThreads>>>(d, x, y, m, r, w, b);
    check(cudaGetLastError(), "norm_apply");
  });
}

void norm_backward(NormOp op, const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad_bias,
                   const Tensor& grad_out, const Tensor& input, const Tensor& mean, const Tensor& rstd,
                   const Tensor& weight, int64_t groups, bool batch_stats) {
  const NormDims d = dims_of(input, op == NormOp::Batch ? 1 : groups);
  if (d.N * d.C * d.S == 0) return;  // the ops skip empty inputs
  DeviceGuard guard(input.device());
  dispatch_floating(input.dtype(), "norm_backward", [&]<typename T>() {
    const T* x = static_cast<const T*>(input.raw_data());
    const T* dy = static_cast<const T*>(grad_out.raw_data());
    const T* m = static_cast<const T*>(mean.raw_data());
    const T* r = static_cast<const T*>(rstd.raw_data());
    const T* w = ptr_or_null<const T>(weight);
    T* dx = ptr_or_null<T>(grad_input);
    T* gw = ptr_or_null<T>(grad_weight);
    T* gb = ptr_or_null<T>(grad_bias);
    if (op == NormOp::Batch) {
      batch_backward_kernel<T>
          <<<grid_blocks(d.C), block_threads(d.N * d.S, 512)>>>(d, x, dy, m, r, w, dx, gw, gb, batch_stats);
      check(cudaGetLastError(), "norm_backward");
      return;
    }
    if (!dx && !gw && !gb) return;
    const int64_t rows = d.N * d.C;
    DeviceBuffer sums(input.device(), static_cast<size_t>(rows) * sizeof(SumPair));
    constexpr int kThreads = 256;
    if (d.S <= 16) row_sums_thread_kernel<T><<<grid_blocks(rows, kThreads), kThreads>>>(rows, d.S, x, dy, sums.as<SumPair>());
    else row_sums_block_kernel<T><<<grid_blocks(rows), block_threads(d.S, 512)>>>(rows, d.S, x, dy, sums.as<SumPair>());
    check(cudaGetLastError(), "norm_backward");
    if (dx) {
      group_dx_kernel<T><<<grid_blocks(d.N * d.groups), block_threads(d.C / d.groups * d.S, 512)>>>(
          d, sums.as<SumPair>(), x, dy, m, r, w, dx);
      check(cudaGetLastError(), "norm_backward");
    }
    if (gw || gb) {
      group_params_kernel<T><<<grid_blocks(d.C, kThreads), kThreads>>>(d, sums.as<SumPair>(), m, r, gw, gb);
      check(cudaGetLastError(), "norm_backward");
    }
  });
}

}  // namespace wick::cuda
