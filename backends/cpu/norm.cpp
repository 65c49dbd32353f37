// CPU kernels of the normalization layers over a contiguous [N, C, S] input:
// batch norm (statistics per channel, over N and S) and group norm
// (statistics per sample and group of C / groups channels; layer norm is
// group norm with one group over [rows, D, 1]).
//
// Each kernel is one pass over the data, parallel over the independent
// statistics (channels, or sample-groups); sums accumulate in double, as in
// PyTorch's CPU kernels. Statistics use the shifted-data formula (sums of
// x - K with K a sample of the same group), which stays accurate when the
// mean is large next to the spread, in a single pass.
#include <algorithm>
#include <cmath>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/norm_math.h"
#include "core/parallel.h"

namespace wick::cpu {

namespace {

int thread_index() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

// Sums of d = x[i] - shift and of d * d over a contiguous run, with eight
// partial accumulators so the loop vectorizes.
template <typename T>
void shifted_sums(const T* x, int64_t n, double shift, double& sum, double& sumsq) {
  double s[8] = {}, q[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) {
      const double d = static_cast<double>(x[i + k]) - shift;
      s[k] += d;
      q[k] += d * d;
    }
  for (; i < n; ++i) {
    const double d = static_cast<double>(x[i]) - shift;
    s[0] += d;
    q[0] += d * d;
  }
  for (int k = 0; k < 8; ++k) {
    sum += s[k];
    sumsq += q[k];
  }
}

// Sums of dy and of dy * x over a contiguous run.
template <typename T>
void grad_sums(const T* dy, const T* x, int64_t n, double& sum_dy, double& sum_dy_x) {
  double s[8] = {}, p[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) {
      s[k] += static_cast<double>(dy[i + k]);
      p[k] += static_cast<double>(dy[i + k]) * static_cast<double>(x[i + k]);
    }
  for (; i < n; ++i) {
    s[0] += static_cast<double>(dy[i]);
    p[0] += static_cast<double>(dy[i]) * static_cast<double>(x[i]);
  }
  for (int k = 0; k < 8; ++k) {
    sum_dy += s[k];
    sum_dy_x += p[k];
  }
}

struct Dims {
  int64_t N, C, S;
};
Dims dims_of(const Tensor& input) { return {input.sizes()[0], input.sizes()[1], input.sizes()[2]}; }

template <typename T>
const T* ptr_or_null(const Tensor& t) {
  return t.defined() ? static_cast<const T*>(t.raw_data()) : nullptr;
}

template <typename T>
void stats_typed(NormOp op, const Tensor& mean, const Tensor& rstd, const Tensor& var, const Tensor& input,
                 int64_t groups, double eps) {
  const Dims d = dims_of(input);
  const T* x = static_cast<const T*>(input.raw_data());
  T* m = static_cast<T*>(mean.raw_data());
  T* r = static_cast<T*>(rstd.raw_data());
  T* v = var.defined() ? static_cast<T*>(var.raw_data()) : nullptr;
  auto finish = [&](int64_t at, double shift, double sum, double sumsq, double count) {
    const norm_math::Stats st = norm_math::finish_stats(shift, sum, sumsq, count, eps);
    m[at] = static_cast<T>(st.mean);
    r[at] = static_cast<T>(st.rstd);
    if (v) v[at] = static_cast<T>(st.var);
  };
  if (op == NormOp::Batch) {
    const int64_t count = d.N * d.S;
    parallel_for(d.C, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(count, 1)), [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        const double shift = static_cast<double>(x[c * d.S]);
        double sum = 0, sumsq = 0;
        for (int64_t n = 0; n < d.N; ++n) shifted_sums(x + (n * d.C + c) * d.S, d.S, shift, sum, sumsq);
        finish(c, shift, sum, sumsq, static_cast<double>(count));
      }
    });
    return;
  }
  const int64_t run = d.C / groups * d.S;  // one group of one sample is contiguous
  parallel_for(d.N * groups, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(run, 1)),
               [&](int64_t b, int64_t e) {
                 for (int64_t ng = b; ng < e; ++ng) {
                   const T* p = x + ng * run;
                   const double shift = static_cast<double>(p[0]);
                   double sum = 0, sumsq = 0;
                   shifted_sums(p, run, shift, sum, sumsq);
                   finish(ng, shift, sum, sumsq, static_cast<double>(run));
                 }
               });
}

template <typename T>
void apply_typed(NormOp op, const Tensor& out, const Tensor& input, const Tensor& mean, const Tensor& rstd,
                 const Tensor& weight, const Tensor& bias, int64_t groups) {
  const Dims d = dims_of(input);
  const T* x = static_cast<const T*>(input.raw_data());
  T* y = static_cast<T*>(out.raw_data());
  const T* m = static_cast<const T*>(mean.raw_data());
  const T* r = static_cast<const T*>(rstd.raw_data());
  const T* w = ptr_or_null<T>(weight);
  const T* bi = ptr_or_null<T>(bias);
  const int64_t per_group = d.C / groups;
  // y = (x - mean) * a + b per (sample, channel), with a = rstd * w. (Subtracting
  // the mean first keeps the precision of x - mean when the mean is large.)
  parallel_for(d.N * d.C, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(d.S, 1)), [&](int64_t b, int64_t e) {
    for (int64_t nc = b; nc < e; ++nc) {
      const int64_t n = nc / d.C, c = nc % d.C;
      const int64_t at = op == NormOp::Batch ? c : n * groups + c / per_group;
      const T mu = m[at];
      const T a = norm_math::apply_scale(r[at], w ? static_cast<double>(w[c]) : 1.0);
      const T shift = bi ? bi[c] : T(0);
      const T* xs = x + nc * d.S;
      T* ys = y + nc * d.S;
      for (int64_t i = 0; i < d.S; ++i) ys[i] = norm_math::apply_value(xs[i], mu, a, shift);
    }
  });
}

template <typename T>
void backward_typed(NormOp op, const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad_bias,
                    const Tensor& grad_out, const Tensor& input, const Tensor& mean, const Tensor& rstd,
                    const Tensor& weight, int64_t groups, bool batch_stats) {
  const Dims d = dims_of(input);
  const T* x = static_cast<const T*>(input.raw_data());
  const T* dy = static_cast<const T*>(grad_out.raw_data());
  const T* m = static_cast<const T*>(mean.raw_data());
  const T* r = static_cast<const T*>(rstd.raw_data());
  const T* w = ptr_or_null<T>(weight);
  T* dx = grad_input.defined() ? static_cast<T*>(grad_input.raw_data()) : nullptr;
  T* gw = grad_weight.defined() ? static_cast<T*>(grad_weight.raw_data()) : nullptr;
  T* gb = grad_bias.defined() ? static_cast<T*>(grad_bias.raw_data()) : nullptr;
  auto weight_of = [&](int64_t c) { return w ? static_cast<double>(w[c]) : 1.0; };

  if (op == NormOp::Batch) {
    const int64_t count = d.N * d.S;
    parallel_for(d.C, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(count, 1)), [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        const double mu = static_cast<double>(m[c]), rs = static_cast<double>(r[c]), wc = weight_of(c);
        double sum_dy = 0, sum_dy_x = 0;
        if (gw || gb || (dx && batch_stats))
          for (int64_t n = 0; n < d.N; ++n) {
            const int64_t off = (n * d.C + c) * d.S;
            grad_sums(dy + off, x + off, d.S, sum_dy, sum_dy_x);
          }
        if (gw) gw[c] = static_cast<T>(norm_math::sum_dy_xhat(sum_dy, sum_dy_x, mu, rs));
        if (gb) gb[c] = static_cast<T>(sum_dy);
        if (!dx) continue;
        const norm_math::GradCoeffs<T> k =
            norm_math::batch_grad_coeffs<T>(sum_dy, sum_dy_x, mu, rs, wc, static_cast<double>(count), batch_stats);
        const T mu_t = m[c];
        for (int64_t n = 0; n < d.N; ++n) {
          const int64_t off = (n * d.C + c) * d.S;
          for (int64_t i = 0; i < d.S; ++i) dx[off + i] = norm_math::grad_value(dy[off + i], x[off + i], mu_t, k);
        }
      }
    });
    return;
  }

  // Group: per (sample, group), with per-channel sums for the weight and bias
  // gradients, accumulated in one buffer per thread and added up at the end.
  const int64_t per_group = d.C / groups, run = per_group * d.S;
  // Inside an enclosing parallel region, parallel_for runs on this thread alone.
  const bool nested = in_parallel_region();
  const int threads = nested ? 1 : get_num_threads();
  const bool want_params = gw || gb;
  std::vector<double> partial(want_params ? static_cast<size_t>(threads) * 2 * d.C : 0, 0.0);
  parallel_for(d.N * groups, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(run, 1)), [&](int64_t b, int64_t e) {
    const size_t slot = nested ? 0 : static_cast<size_t>(thread_index());
    double* part = want_params ? partial.data() + slot * 2 * static_cast<size_t>(d.C) : nullptr;
    for (int64_t ng = b; ng < e; ++ng) {
      const int64_t n = ng / groups, c0 = (ng % groups) * per_group;
      const double mu = static_cast<double>(m[ng]), rs = static_cast<double>(r[ng]);
      const T mu_t = m[ng];
      double sum_wdy = 0, sum_wdy_x = 0;
      for (int64_t j = 0; j < per_group; ++j) {
        const int64_t off = (n * d.C + c0 + j) * d.S;
        double s = 0, p = 0;
        grad_sums(dy + off, x + off, d.S, s, p);
        const double wc = weight_of(c0 + j);
        sum_wdy += wc * s;
        sum_wdy_x += wc * p;
        if (part) {
          part[c0 + j] += norm_math::sum_dy_xhat(s, p, mu, rs);
          part[d.C + c0 + j] += s;
        }
      }
      if (!dx) continue;
      const norm_math::GroupGradTerms terms =
          norm_math::group_grad_terms(sum_wdy, sum_wdy_x, mu, rs, static_cast<double>(run));
      for (int64_t j = 0; j < per_group; ++j) {
        const int64_t off = (n * d.C + c0 + j) * d.S;
        const norm_math::GradCoeffs<T> k = norm_math::group_grad_coeffs<T>(terms, rs, weight_of(c0 + j));
        for (int64_t i = 0; i < d.S; ++i) dx[off + i] = norm_math::grad_value(dy[off + i], x[off + i], mu_t, k);
      }
    }
  });
  if (!want_params) return;
  for (int64_t c = 0; c < d.C; ++c) {
    double sw = 0, sb = 0;
    for (int t = 0; t < threads; ++t) {
      sw += partial[static_cast<size_t>(t) * 2 * d.C + c];
      sb += partial[static_cast<size_t>(t) * 2 * d.C + d.C + c];
    }
    if (gw) gw[c] = static_cast<T>(sw);
    if (gb) gb[c] = static_cast<T>(sb);
  }
}

}  // namespace

void norm_stats(NormOp op, const Tensor& mean, const Tensor& rstd, const Tensor& var, const Tensor& input,
                int64_t groups, double eps) {
  dispatch_floating(input.dtype(), "norm_stats",
                    [&]<typename T>() { stats_typed<T>(op, mean, rstd, var, input, groups, eps); });
}

void norm_apply(NormOp op, const Tensor& out, const Tensor& input, const Tensor& mean, const Tensor& rstd,
                const Tensor& weight, const Tensor& bias, int64_t groups) {
  dispatch_floating(input.dtype(), "norm_apply",
                    [&]<typename T>() { apply_typed<T>(op, out, input, mean, rstd, weight, bias, groups); });
}

void norm_backward(NormOp op, const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad_bias,
                   const Tensor& grad_out, const Tensor& input, const Tensor& mean, const Tensor& rstd,
                   const Tensor& weight, int64_t groups, bool batch_stats) {
  dispatch_floating(input.dtype(), "norm_backward", [&]<typename T>() {
    backward_typed<T>(op, grad_input, grad_weight, grad_bias, grad_out, input, mean, rstd, weight, groups,
                      batch_stats);
  });
}

}  // namespace wick::cpu
