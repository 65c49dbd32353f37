// CPU kernels of softmax and log_softmax, forward and backward, along any dim
// of a contiguous tensor seen as [outer, n, inner] (n the softmax dim).
//
// inner == 1 (the last dim, the common case) walks each row of n contiguous
// values: one pass for the max, one for the sum of exp(x - max) (stored on
// the way), one to normalize. inner > 1 keeps running maxima and sums for a
// block of columns and sweeps the n planes of each outer slice, so every
// access stays contiguous. The float loops run eight lanes at a time with a
// polynomial exp, and are also compiled for AVX2 (backends/cpu/vec_math.h).
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/vec_math.h"
#include "backends/dim_split.h"
#include "backends/softmax_math.h"
#include "core/parallel.h"

namespace wick::cpu {

namespace {


// Rows per parallel chunk so that a chunk holds about kParallelGrain elements.
int64_t grain_for(int64_t row_elements) { return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(row_elements, 1)); }

// The row and column helpers, each for float (eight lanes at a time, see
// backends/cpu/vec_math.h) and double (plain loops). Exps are only taken of
// x - max or of log-probabilities: values <= 0, or nan.

WICK_ALWAYS_INLINE float fmax_nan_loses(float a, float b) { return b > a ? b : a; }
WICK_ALWAYS_INLINE float fadd(float a, float b) { return a + b; }

// Note [log_softmax as (x - max) - log(sum)]
// log_softmax is x - logsumexp(x), but x - (max + log(sum)) rounds the shift
// max + log(sum) to max's precision first: for logits near 1e4 in float32
// (an ulp of 1e-3) log(2) became 0.6934, and at 1e30 the shift was just max,
// so cross_entropy came out 0 with a wrong gradient. (x - max) is exact near
// the max, and log(sum) is subtracted at the result's own scale (PyTorch's order).

// max(x); a nan never wins, but exp(nan - max) then makes the row nan, as in
// PyTorch; so does a row of -inf, where x - max is nan.
WICK_ALWAYS_INLINE float row_max(const float* x, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  int64_t i = 0;
  if (n >= 8) {
    f32x8 v = load8(x);
    for (i = 8; i + 8 <= n; i += 8) {
      const f32x8 a = load8(x + i);
      v = a > v ? a : v;
    }
    m = fold8(v, fmax_nan_loses);
  }
  for (; i < n; ++i) m = fmax_nan_loses(m, x[i]);
  return m;
}
WICK_ALWAYS_INLINE double row_max(const double* x, int64_t n) {
  double m = -std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

// y = exp(x - shift); returns sum(y).
WICK_ALWAYS_INLINE float exp_sum(float* y, const float* x, float shift, int64_t n) {
  f32x8 acc{};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const f32x8 e = exp_f32(load8(x + i) - shift);
    store8(y + i, e);
    acc += e;
  }
  float s = fold8(acc, fadd);
  for (; i < n; ++i) s += y[i] = exp_f32(x[i] - shift);
  return s;
}
WICK_ALWAYS_INLINE double exp_sum(double* y, const double* x, double shift, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += y[i] = std::exp(x[i] - shift);
  return s;
}

// sum(a * b), or sum(a) when b is null.
WICK_ALWAYS_INLINE float dot_or_sum(const float* a, const float* b, int64_t n) {
  f32x8 acc{};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) acc += b ? load8(a + i) * load8(b + i) : load8(a + i);
  float s = fold8(acc, fadd);
  for (; i < n; ++i) s += b ? a[i] * b[i] : a[i];
  return s;
}
WICK_ALWAYS_INLINE double dot_or_sum(const double* a, const double* b, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += b ? a[i] * b[i] : a[i];
  return s;
}

// gx = g - exp(y) * s (log_softmax's backward); the y and g may be columns of
// planes, with s per column when `per_column`.
WICK_ALWAYS_INLINE void log_softmax_grad(float* gx, const float* g, const float* y, const float* s, bool per_column,
                                         int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const f32x8 sv = per_column ? load8(s + i) : splat<f32x8>(*s);
    store8(gx + i, load8(g + i) - exp_f32(load8(y + i)) * sv);
  }
  for (; i < n; ++i) gx[i] = g[i] - exp_f32(y[i]) * s[per_column ? i : 0];
}
WICK_ALWAYS_INLINE void log_softmax_grad(double* gx, const double* g, const double* y, const double* s,
                                         bool per_column, int64_t n) {
  for (int64_t i = 0; i < n; ++i) gx[i] = softmax_math::log_softmax_grad(g[i], y[i], s[per_column ? i : 0]);
}

// For planes: m = max(m, x) and sum += exp(x - m) (also stored to y unless null), per column.
WICK_ALWAYS_INLINE void column_max(float* m, const float* x, int64_t w) {
  int64_t j = 0;
  for (; j + 8 <= w; j += 8) {
    const f32x8 a = load8(x + j), v = load8(m + j);
    store8(m + j, a > v ? a : v);
  }
  for (; j < w; ++j) m[j] = fmax_nan_loses(m[j], x[j]);
}
WICK_ALWAYS_INLINE void column_max(double* m, const double* x, int64_t w) {
  for (int64_t j = 0; j < w; ++j) m[j] = x[j] > m[j] ? x[j] : m[j];
}
WICK_ALWAYS_INLINE void column_exp_sum(float* y, const float* x, const float* m, float* sum, int64_t w) {
  int64_t j = 0;
  for (; j + 8 <= w; j += 8) {
    const f32x8 e = exp_f32(load8(x + j) - load8(m + j));
    if (y) store8(y + j, e);
    store8(sum + j, load8(sum + j) + e);
  }
  for (; j < w; ++j) {
    const float e = exp_f32(x[j] - m[j]);
    if (y) y[j] = e;
    sum[j] += e;
  }
}
WICK_ALWAYS_INLINE void column_exp_sum(double* y, const double* x, const double* m, double* sum, int64_t w) {
  for (int64_t j = 0; j < w; ++j) {
    const double e = std::exp(x[j] - m[j]);
    if (y) y[j] = e;
    sum[j] += e;
  }
}

template <typename T>
WICK_ALWAYS_INLINE void softmax_rows(T* y, const T* x, int64_t rows, int64_t n, bool log) {
  for (int64_t r = 0; r < rows; ++r, x += n, y += n) {
    const T max = row_max(x, n);
    const T sum = exp_sum(y, x, max, n);
    if (log) {
      const T lse = std::log(sum);  // Note [log_softmax as (x - max) - log(sum)]
      for (int64_t i = 0; i < n; ++i) y[i] = softmax_math::log_softmax_value(x[i], max, lse);
    } else {
      const T scale = 1 / sum;
      for (int64_t i = 0; i < n; ++i) y[i] *= scale;
    }
  }
}

// Backward of rows: softmax gx = y * (g - sum(g * y)); log_softmax gx = g - exp(y) * sum(g).
template <typename T>
WICK_ALWAYS_INLINE void softmax_backward_rows(T* gx, const T* g, const T* y, int64_t rows, int64_t n, bool log) {
  for (int64_t r = 0; r < rows; ++r, gx += n, g += n, y += n) {
    if (log) {
      const T sum = dot_or_sum(g, static_cast<const T*>(nullptr), n);
      log_softmax_grad(gx, g, y, &sum, false, n);
    } else {
      const T dot = dot_or_sum(g, y, n);
      for (int64_t i = 0; i < n; ++i) gx[i] = softmax_math::softmax_grad(g[i], y[i], dot);
    }
  }
}

// Columns of an outer slice [n, inner] handled together when inner > 1.
constexpr int64_t kColumnBlock = 256;

// One outer slice, columns [j0, j0 + w).
template <typename T>
WICK_ALWAYS_INLINE void softmax_planes(T* out, const T* in, int64_t n, int64_t inner, int64_t j0, int64_t w,
                                       bool log) {
  T max[kColumnBlock], sum[kColumnBlock];
  std::fill(max, max + w, -std::numeric_limits<T>::infinity());
  std::fill(sum, sum + w, T(0));
  for (int64_t i = 0; i < n; ++i) column_max(max, in + i * inner + j0, w);
  for (int64_t i = 0; i < n; ++i) column_exp_sum(log ? nullptr : out + i * inner + j0, in + i * inner + j0, max, sum, w);
  if (log) {
    for (int64_t j = 0; j < w; ++j) sum[j] = std::log(sum[j]);
    for (int64_t i = 0; i < n; ++i) {
      const T* x = in + i * inner + j0;
      T* y = out + i * inner + j0;
      for (int64_t j = 0; j < w; ++j) y[j] = softmax_math::log_softmax_value(x[j], max[j], sum[j]);
    }
  } else {
    for (int64_t j = 0; j < w; ++j) sum[j] = 1 / sum[j];
    for (int64_t i = 0; i < n; ++i) {
      T* y = out + i * inner + j0;
      for (int64_t j = 0; j < w; ++j) y[j] *= sum[j];
    }
  }
}

template <typename T>
WICK_ALWAYS_INLINE void softmax_backward_planes(T* gx, const T* g, const T* y, int64_t n, int64_t inner, int64_t j0,
                                                int64_t w, bool log) {
  T dot[kColumnBlock];
  std::fill(dot, dot + w, T(0));
  for (int64_t i = 0; i < n; ++i) {
    const T* gi = g + i * inner + j0;
    const T* yi = y + i * inner + j0;
    if (log) {
      for (int64_t j = 0; j < w; ++j) dot[j] += gi[j];
    } else {
      for (int64_t j = 0; j < w; ++j) dot[j] += gi[j] * yi[j];
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    const T* gi = g + i * inner + j0;
    const T* yi = y + i * inner + j0;
    T* o = gx + i * inner + j0;
    if (log) {
      log_softmax_grad(o, gi, yi, dot, true, w);
    } else {
      for (int64_t j = 0; j < w; ++j) o[j] = softmax_math::softmax_grad(gi[j], yi[j], dot[j]);
    }
  }
}

// The float loops, compiled for AVX2 as well.
WICK_VECTOR_CLONES void softmax_rows_f32(float* y, const float* x, int64_t rows, int64_t n, bool log) {
  softmax_rows(y, x, rows, n, log);
}
WICK_VECTOR_CLONES void softmax_backward_rows_f32(float* gx, const float* g, const float* y, int64_t rows, int64_t n,
                                                  bool log) {
  softmax_backward_rows(gx, g, y, rows, n, log);
}
WICK_VECTOR_CLONES void softmax_planes_f32(float* out, const float* in, int64_t n, int64_t inner, int64_t j0,
                                           int64_t w, bool log) {
  softmax_planes(out, in, n, inner, j0, w, log);
}
WICK_VECTOR_CLONES void softmax_backward_planes_f32(float* gx, const float* g, const float* y, int64_t n,
                                                    int64_t inner, int64_t j0, int64_t w, bool log) {
  softmax_backward_planes(gx, g, y, n, inner, j0, w, log);
}

// Dispatch of the loops above: float to the cloned versions.
template <typename T>
void rows_forward(T* y, const T* x, int64_t rows, int64_t n, bool log) {
  if constexpr (std::is_same_v<T, float>) softmax_rows_f32(y, x, rows, n, log);
  else softmax_rows(y, x, rows, n, log);
}
template <typename T>
void rows_backward(T* gx, const T* g, const T* y, int64_t rows, int64_t n, bool log) {
  if constexpr (std::is_same_v<T, float>) softmax_backward_rows_f32(gx, g, y, rows, n, log);
  else softmax_backward_rows(gx, g, y, rows, n, log);
}
template <typename T>
void planes_forward(T* out, const T* in, int64_t n, int64_t inner, int64_t j0, int64_t w, bool log) {
  if constexpr (std::is_same_v<T, float>) softmax_planes_f32(out, in, n, inner, j0, w, log);
  else softmax_planes(out, in, n, inner, j0, w, log);
}
template <typename T>
void planes_backward(T* gx, const T* g, const T* y, int64_t n, int64_t inner, int64_t j0, int64_t w, bool log) {
  if constexpr (std::is_same_v<T, float>) softmax_backward_planes_f32(gx, g, y, n, inner, j0, w, log);
  else softmax_backward_planes(gx, g, y, n, inner, j0, w, log);
}

// Runs f(outer_index, j0, width) over every (outer slice, column block) pair.
template <typename F>
void for_each_block(const DimSplit& g, const F& f) {
  const int64_t blocks = (g.inner + kColumnBlock - 1) / kColumnBlock;
  const int64_t block_elements = g.n * std::min(g.inner, kColumnBlock);
  parallel_for(g.outer * blocks, grain_for(block_elements), [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      const int64_t o = k / blocks, j0 = (k % blocks) * kColumnBlock;
      f(o, j0, std::min(g.inner - j0, kColumnBlock));
    }
  });
}

}  // namespace

void softmax(const Tensor& out, const Tensor& in, int64_t dim, bool log) {
  const DimSplit g = split_at_dim(in.sizes(), dim);
  if (in.numel() == 0) return;
  dispatch_floating(in.dtype(), "softmax", [&]<typename T>() {
    const T* x = in.data_ptr<T>();
    T* y = out.data_ptr<T>();
    if (g.inner == 1) {
      parallel_for(g.outer, grain_for(g.n), [&](int64_t begin, int64_t end) {
        rows_forward(y + begin * g.n, x + begin * g.n, end - begin, g.n, log);
      });
      return;
    }
    const int64_t slice = g.n * g.inner;
    for_each_block(g, [&](int64_t o, int64_t j0, int64_t w) {
      planes_forward(y + o * slice, x + o * slice, g.n, g.inner, j0, w, log);
    });
  });
}

void softmax_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& out, int64_t dim, bool log) {
  const DimSplit g = split_at_dim(out.sizes(), dim);
  if (out.numel() == 0) return;
  dispatch_floating(out.dtype(), "softmax_backward", [&]<typename T>() {
    const T* go = grad_out.data_ptr<T>();
    const T* y = out.data_ptr<T>();
    T* gi = grad_in.data_ptr<T>();
    if (g.inner == 1) {
      parallel_for(g.outer, grain_for(g.n), [&](int64_t begin, int64_t end) {
        rows_backward(gi + begin * g.n, go + begin * g.n, y + begin * g.n, end - begin, g.n, log);
      });
      return;
    }
    const int64_t slice = g.n * g.inner;
    for_each_block(g, [&](int64_t o, int64_t j0, int64_t w) {
      planes_backward(gi + o * slice, go + o * slice, y + o * slice, g.n, g.inner, j0, w, log);
    });
  });
}

}  // namespace wick::cpu
