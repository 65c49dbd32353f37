// CPU pooling kernels: max, average and adaptive average pooling over the
// planes of [N, C, H, W], forward and backward, parallel over the N * C
// planes (each plane is read and written by one thread only).
//
// Windows follow PyTorch's CPU kernels exactly: a max window starts at its
// first in-bounds row/column (stepping by the dilation), of equal maxima the
// first is taken, and a NaN wins (the last of several); an average window is
// clipped to the input, and its divisor counts the padding
// (count_include_pad), the clipped window, or the override.
//
// Note [Max pooling windows in the padding]
// With dilation a max window can hold no element of the input at all:
// max_pool2d(x of width 1, kernel 2, padding 1, dilation 2) has one window over
// columns -1 and 1, the padding and one past the end. Its maximum is that of
// the empty set, -inf (PyTorch 1.13's value too), and no input element gets
// its gradient: its index is -1, which the backward skips. PyTorch 1.13 gives
// the index of the first position past the window's start instead, outside
// the plane, and its backward writes the gradient there, past the buffer (heap
// corruption); wick's did the same before.
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/pool_window.h"
#include "core/parallel.h"

namespace wick::cpu {

namespace {

// The windows along one axis for every output position (backends/pool_window.h).
std::vector<PoolSpan> spans(PoolOp op, int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t pad,
                            int64_t dilation) {
  std::vector<PoolSpan> s(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o)
    s[static_cast<size_t>(o)] = pool_span(op, in, out, o, kernel, stride, pad, dilation);
  return s;
}

struct Planes {
  int64_t N, C, H, W, OH, OW;
};

int64_t plane_grain(const Planes& p, const PoolArgs& a) {
  const int64_t work = std::max<int64_t>(1, std::max(p.H * p.W, p.OH * p.OW * a.kernel_h * a.kernel_w));
  return std::max<int64_t>(1, kParallelGrain / work);
}

// Max pooling of one plane, a row of outputs at a time: for each window row
// and column offset, one pass along the output row, so that the inner loop is
// a fixed-stride, branch-free sweep (random data would mispredict a branch on
// "v > best" half the time). Updates run in the window's row-major order, so
// the first of equal maxima wins, as in PyTorch. A row of windows holding a
// NaN is redone one window at a time (a NaN replaces anything: the last wins).
template <typename T>
struct MaxRows {
  const Planes& p;
  const PoolArgs& a;
  const std::vector<PoolSpan>& hs;
  const std::vector<PoolSpan>& ws;
  std::vector<std::pair<int64_t, int64_t>> cols;  // per kernel column j: the outputs whose column is in bounds
  std::vector<T> best;
  std::vector<int64_t> at;

  MaxRows(const Planes& planes, const PoolArgs& args, const std::vector<PoolSpan>& h, const std::vector<PoolSpan>& w)
      : p(planes), a(args), hs(h), ws(w), best(static_cast<size_t>(planes.OW)), at(static_cast<size_t>(planes.OW)) {
    for (int64_t j = 0; j < a.kernel_w; ++j) {
      const int64_t off = j * a.dilation_w - a.pad_w;  // input column = ow * stride + off
      int64_t lo = 0, hi = p.OW;
      while (lo < hi && lo * a.stride_w + off < 0) ++lo;
      while (hi > lo && (hi - 1) * a.stride_w + off >= p.W) --hi;
      cols.emplace_back(lo, hi);
    }
  }

  void plane(const T* x, int64_t s2, int64_t s3, T* y, int64_t* iy) {
    for (int64_t oh = 0; oh < p.OH; ++oh) {
      const PoolSpan& h = hs[static_cast<size_t>(oh)];
      for (int64_t ow = 0; ow < p.OW; ++ow) {
        const PoolSpan& w = ws[static_cast<size_t>(ow)];
        best[static_cast<size_t>(ow)] = -std::numeric_limits<T>::infinity();
        // A window without an input element keeps -1 (Note [Max pooling windows in the padding]).
        at[static_cast<size_t>(ow)] = h.begin < h.end && w.begin < w.end ? h.begin * p.W + w.begin : -1;
      }
      T* __restrict b = best.data();
      int64_t* __restrict t = at.data();
      const int64_t W = p.W, step = a.stride_w * s3;
      bool nan = false;
      for (int64_t ih = h.begin; ih < h.end; ih += a.dilation_h) {
        for (int64_t j = 0; j < a.kernel_w; ++j) {
          const int64_t off = j * a.dilation_w - a.pad_w;
          const auto [lo, hi] = cols[static_cast<size_t>(j)];
          // Input column ow * stride + off, flat position ih * W + that.
          const T* __restrict src = x + ih * s2 + (lo * a.stride_w + off) * s3;
          const int64_t pos0 = ih * W + lo * a.stride_w + off, pstep = a.stride_w;
          for (int64_t k = 0; k < hi - lo; ++k) {
            const T v = src[k * step];
            const int64_t ow = lo + k;
            nan |= v != v;
            const int64_t take = v > b[ow];  // a mask, so the compiler cannot branch on it
            t[ow] += (pos0 + k * pstep - t[ow]) & -take;
            b[ow] = v > b[ow] ? v : b[ow];
          }
        }
      }
      if (nan) redo_nan_row(x, s2, s3, h);
      for (int64_t ow = 0; ow < p.OW; ++ow) y[oh * p.OW + ow] = b[ow];
      if (iy)
        for (int64_t ow = 0; ow < p.OW; ++ow) iy[oh * p.OW + ow] = t[ow];
    }
  }

  void redo_nan_row(const T* x, int64_t s2, int64_t s3, const PoolSpan& h) {
    for (int64_t ow = 0; ow < p.OW; ++ow) {
      const PoolSpan& w = ws[static_cast<size_t>(ow)];
      for (int64_t ih = h.begin; ih < h.end; ih += a.dilation_h)
        for (int64_t iw = w.begin; iw < w.end; iw += a.dilation_w)
          if (std::isnan(x[ih * s2 + iw * s3])) {
            best[static_cast<size_t>(ow)] = x[ih * s2 + iw * s3];
            at[static_cast<size_t>(ow)] = ih * p.W + iw;
          }
    }
  }
};

// The common MaxPool2d(k) case, k = 2 or 3: non-overlapping k x k tiles of
// rows with unit stride, no padding or dilation, every window in bounds. The
// window is unrolled at compile time, which makes this several times faster
// than MaxRows (and faster still without positions to track).
template <typename T, int K, bool kPositions>
void max_pool_tiles(const T* __restrict x, int64_t row_stride, const Planes& p, T* __restrict y,
                    int64_t* __restrict iy) {
  const int64_t W = p.W, OH = p.OH, OW = p.OW;
  for (int64_t oh = 0; oh < OH; ++oh)
    for (int64_t ow = 0; ow < OW; ++ow) {
      const T* base = x + oh * K * row_stride + ow * K;
      T best = -std::numeric_limits<T>::infinity();
      int best_k = 0;  // the winner's place in the window, i * K + j
      bool nan = false;
      for (int i = 0; i < K; ++i)
        for (int j = 0; j < K; ++j) {
          const T v = base[i * row_stride + j];
          nan |= v != v;
          if constexpr (kPositions) {
            const int take = v > best;  // a mask, so the compiler cannot branch on it
            best_k += (i * K + j - best_k) & -take;
          }
          best = v > best ? v : best;
        }
      if (nan)  // a NaN replaces anything: the last one wins
        for (int i = 0; i < K; ++i)
          for (int j = 0; j < K; ++j)
            if (std::isnan(base[i * row_stride + j])) {
              best = base[i * row_stride + j];
              best_k = i * K + j;
            }
      y[oh * OW + ow] = best;
      if constexpr (kPositions) iy[oh * OW + ow] = (oh * K + best_k / K) * W + ow * K + best_k % K;
    }
}

// The tile size when max_pool_tiles applies (given unit column stride), else 0.
int tile_size(const Planes& p, const PoolArgs& a) {
  const int64_t k = a.kernel_h;
  const bool tiles = a.kernel_w == k && a.stride_h == k && a.stride_w == k && a.pad_h == 0 && a.pad_w == 0 &&
                     a.dilation_h == 1 && a.dilation_w == 1 && p.OH * k <= p.H && p.OW * k <= p.W;
  return tiles && (k == 2 || k == 3) ? static_cast<int>(k) : 0;
}

template <typename T>
void pool_forward(PoolOp op, const Tensor& out, const Tensor& indices, const Tensor& input, const PoolArgs& a) {
  const Planes p{input.sizes()[0], input.sizes()[1], input.sizes()[2], input.sizes()[3], out.sizes()[2],
                 out.sizes()[3]};
  const int64_t s0 = input.strides()[0], s1 = input.strides()[1], s2 = input.strides()[2], s3 = input.strides()[3];
  const std::vector<PoolSpan> hs = spans(op, p.H, p.OH, a.kernel_h, a.stride_h, a.pad_h, a.dilation_h);
  const std::vector<PoolSpan> ws = spans(op, p.W, p.OW, a.kernel_w, a.stride_w, a.pad_w, a.dilation_w);
  const T* in = static_cast<const T*>(input.raw_data());
  T* o = static_cast<T*>(out.raw_data());
  int64_t* idx = indices.defined() ? static_cast<int64_t*>(indices.raw_data()) : nullptr;
  parallel_for(p.N * p.C, plane_grain(p, a), [&](int64_t begin, int64_t end) {
    if (op == PoolOp::Max) {
      MaxRows<T> rows(p, a, hs, ws);
      const int tile = s3 == 1 ? tile_size(p, a) : 0;
      for (int64_t plane = begin; plane < end; ++plane) {
        const T* x = in + (plane / p.C) * s0 + (plane % p.C) * s1;
        T* y = o + plane * p.OH * p.OW;
        int64_t* iy = idx ? idx + plane * p.OH * p.OW : nullptr;
        if (tile == 2 && iy) max_pool_tiles<T, 2, true>(x, s2, p, y, iy);
        else if (tile == 2) max_pool_tiles<T, 2, false>(x, s2, p, y, iy);
        else if (tile == 3 && iy) max_pool_tiles<T, 3, true>(x, s2, p, y, iy);
        else if (tile == 3) max_pool_tiles<T, 3, false>(x, s2, p, y, iy);
        else rows.plane(x, s2, s3, y, iy);
      }
      return;
    }
    for (int64_t plane = begin; plane < end; ++plane) {
      const T* x = in + (plane / p.C) * s0 + (plane % p.C) * s1;
      T* y = o + plane * p.OH * p.OW;
      for (int64_t oh = 0; oh < p.OH; ++oh) {
        const PoolSpan& h = hs[static_cast<size_t>(oh)];
        for (int64_t ow = 0; ow < p.OW; ++ow) {
          const PoolSpan& w = ws[static_cast<size_t>(ow)];
          T sum = 0;
          for (int64_t ih = h.begin; ih < h.end; ++ih) {
            const T* row = x + ih * s2;
            for (int64_t iw = w.begin; iw < w.end; ++iw) sum += row[iw * s3];
          }
          // An empty window (only possible with ceil_mode and padding) averages to 0.
          const bool empty = h.begin >= h.end || w.begin >= w.end;
          y[oh * p.OW + ow] = empty ? T(0) : sum / static_cast<T>(pool_divisor(op, a, h, w));
        }
      }
    }
  });
}

template <typename T>
void pool_backward(PoolOp op, const Tensor& grad_input, const Tensor& grad_out, const Tensor& indices,
                   const PoolArgs& a) {
  const Planes p{grad_input.sizes()[0], grad_input.sizes()[1], grad_input.sizes()[2], grad_input.sizes()[3],
                 grad_out.sizes()[2], grad_out.sizes()[3]};
  const int64_t g0 = grad_out.strides()[0], g1 = grad_out.strides()[1], g2 = grad_out.strides()[2],
                g3 = grad_out.strides()[3];
  const std::vector<PoolSpan> hs = spans(op, p.H, p.OH, a.kernel_h, a.stride_h, a.pad_h, a.dilation_h);
  const std::vector<PoolSpan> ws = spans(op, p.W, p.OW, a.kernel_w, a.stride_w, a.pad_w, a.dilation_w);
  const T* go = static_cast<const T*>(grad_out.raw_data());
  T* gi = static_cast<T*>(grad_input.raw_data());
  const int64_t* idx = indices.defined() ? static_cast<const int64_t*>(indices.raw_data()) : nullptr;
  parallel_for(p.N * p.C, plane_grain(p, a), [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const T* dy = go + (plane / p.C) * g0 + (plane % p.C) * g1;
      T* dx = gi + plane * p.H * p.W;
      std::fill(dx, dx + p.H * p.W, T(0));
      if (op == PoolOp::Max) {
        const int64_t* at = idx + plane * p.OH * p.OW;
        for (int64_t oh = 0; oh < p.OH; ++oh)
          for (int64_t ow = 0; ow < p.OW; ++ow) {
            const int64_t k = at[oh * p.OW + ow];
            if (k >= 0) dx[k] += dy[oh * g2 + ow * g3];  // -1: an empty window (Note [Max pooling windows in the padding])
          }
        continue;
      }
      for (int64_t oh = 0; oh < p.OH; ++oh) {
        const PoolSpan& h = hs[static_cast<size_t>(oh)];
        for (int64_t ow = 0; ow < p.OW; ++ow) {
          const PoolSpan& w = ws[static_cast<size_t>(ow)];
          if (h.begin >= h.end || w.begin >= w.end) continue;
          const T g = dy[oh * g2 + ow * g3] / static_cast<T>(pool_divisor(op, a, h, w));
          for (int64_t ih = h.begin; ih < h.end; ++ih) {
            T* row = dx + ih * p.W;
            for (int64_t iw = w.begin; iw < w.end; ++iw) row[iw] += g;
          }
        }
      }
    }
  });
}

}  // namespace

void pool2d(PoolOp op, const Tensor& out, const Tensor& indices, const Tensor& input, const PoolArgs& args) {
  dispatch_floating(input.dtype(), "pool2d",
                    [&]<typename T>() { pool_forward<T>(op, out, indices, input, args); });
}

void pool2d_backward(PoolOp op, const Tensor& grad_input, const Tensor& grad_out, const Tensor& indices,
                     const PoolArgs& args) {
  dispatch_floating(grad_input.dtype(), "pool2d_backward",
                    [&]<typename T>() { pool_backward<T>(op, grad_input, grad_out, indices, args); });
}

}  // namespace wick::cpu
