// The statistics and gradient formulas of batch and group normalization,
// shared by the CPU and CUDA backends (backends/cpu/norm.cpp,
// backends/cuda/norm.cu). Sums are in double; a group's elements are summed
// as d = x - shift, shift one of its elements, so the variance stays accurate
// when the mean is large next to the spread (a single pass).
#pragma once

#include <cmath>

#include "core/pointwise.h"

namespace wick::norm_math {

// Two sums carried together through a reduction: (sum of d, sum of d * d) for
// the statistics, (sum of dy, sum of dy * x) for the gradients.
struct SumPair {
  double a = 0, b = 0;

  WICK_HOST_DEVICE void add_shifted(double x, double shift) {
    const double d = x - shift;
    a += d;
    b += d * d;
  }
  WICK_HOST_DEVICE void add_grad(double dy, double x) {
    a += dy;
    b += dy * x;
  }
  WICK_HOST_DEVICE static SumPair merge(SumPair p, SumPair q) { return {p.a + q.a, p.b + q.b}; }

  template <typename F>
  WICK_HOST_DEVICE void shfl_fields(F&& f) {
    f(a);
    f(b);
  }
};

// Mean, 1 / sqrt(var + eps) and the biased variance from the shifted sums of count elements.
struct Stats {
  double mean, rstd, var;
};
WICK_HOST_DEVICE inline Stats finish_stats(double shift, double sum, double sumsq, double count, double eps) {
  const double mu = sum / count;
  const double v = sumsq / count - mu * mu;
  const double variance = v > 0.0 ? v : 0.0;  // rounding can make it slightly negative
  return {shift + mu, 1 / std::sqrt(variance + eps), variance};
}

// norm_apply: y = (x - mean) * a + b with a = rstd * weight, per (sample, channel).
// (Subtracting the mean first keeps the precision of x - mean when the mean is large.)
template <typename T>
WICK_HOST_DEVICE inline T apply_scale(T rstd, double weight) {
  return static_cast<T>(static_cast<double>(rstd) * weight);
}
template <typename T>
WICK_HOST_DEVICE inline T apply_value(T x, T mean, T a, T b) {
  return (x - mean) * a + b;
}

// The gradient of the input is dx = dy * a - (x - mean) * px + c0 with
// per-channel coefficients (grad_value); these give them.
template <typename T>
struct GradCoeffs {
  T a, px, c0;
};
template <typename T>
WICK_HOST_DEVICE inline T grad_value(T dy, T x, T mean, const GradCoeffs<T>& k) {
  return dy * k.a - (x - mean) * k.px + k.c0;
}

// sum of dy * xhat, xhat = (x - mean) * rstd, from the sums of dy and dy * x:
// the weight gradient's term of one channel (and sample, for group norm).
WICK_HOST_DEVICE inline double sum_dy_xhat(double sum_dy, double sum_dy_x, double mean, double rstd) {
  return (sum_dy_x - mean * sum_dy) * rstd;
}

// Batch norm, one channel: dx = w * rstd * (dy - mean(dy) - xhat * mean(dy * xhat)),
// the last two terms only with batch statistics (training).
template <typename T>
WICK_HOST_DEVICE inline GradCoeffs<T> batch_grad_coeffs(double sum_dy, double sum_dy_x, double mean, double rstd,
                                                        double weight, double count, bool batch_stats) {
  const double k = weight * rstd;
  const double mean_dy = batch_stats ? sum_dy / count : 0.0;
  const double proj = batch_stats ? sum_dy_xhat(sum_dy, sum_dy_x, mean, rstd) / count * rstd : 0.0;  // per unit of (x - mean)
  return {static_cast<T>(k), static_cast<T>(k * proj), static_cast<T>(-k * mean_dy)};
}

// Group norm, one (sample, group) from the sums of w * dy and w * dy * x over it:
// dx = rstd * (w dy - mean(w dy) - xhat * mean(w dy * xhat)), per channel of weight w.
struct GroupGradTerms {
  double mean_wdy, proj;  // proj: per unit of (x - mean)
};
WICK_HOST_DEVICE inline GroupGradTerms group_grad_terms(double sum_wdy, double sum_wdy_x, double mean, double rstd,
                                                        double count) {
  return {sum_wdy / count, sum_dy_xhat(sum_wdy, sum_wdy_x, mean, rstd) / count * rstd};
}
template <typename T>
WICK_HOST_DEVICE inline GradCoeffs<T> group_grad_coeffs(const GroupGradTerms& t, double rstd, double weight) {
  return {static_cast<T>(rstd * weight), static_cast<T>(rstd * t.proj), static_cast<T>(-rstd * t.mean_wdy)};
}

}  // namespace wick::norm_math
