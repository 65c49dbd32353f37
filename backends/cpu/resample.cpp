// CPU kernels of separable resampling (padding and interpolation): every
// output element is a weighted sum of input elements whose positions, along
// each resampled dim, depend only on the output position along that dim.
//
// Both kernels see the tensors as [B, D, H, W]: B the leading dims, and up to
// three resampled dims (fewer are padded with size-1 identity axes in front).
// For each output row (d, h) the up to four contributing input rows and their
// weights are found once; the inner loop then runs along W, specialized for
// one tap (a gather) or two (linear). The work is split over B, whose slices
// are independent, so the backward's scatter-add needs no atomics.
#include <algorithm>
#include <array>
#include <cstring>
#include <type_traits>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/index_math.h"
#include "core/parallel.h"

namespace wick::cpu {

namespace {

// Weights are of the floating dtype; a gather (any dtype) never reads them.
template <typename T>
using WeightOf = std::conditional_t<std::is_floating_point_v<T>, T, float>;

template <typename T>
struct Axis {
  int64_t in = 1, out = 1, taps = 1;
  const int64_t* index = nullptr;
  std::vector<WeightOf<T>> weight;  // out * taps entries (ones for a gather axis)
};

template <typename T>
struct Plan {
  int64_t batch = 1;
  std::array<Axis<T>, 3> axes;
  bool gather = true;  // every axis has one tap
  int64_t in_plane() const { return axes[0].in * axes[1].in * axes[2].in; }
  int64_t out_plane() const { return axes[0].out * axes[1].out * axes[2].out; }
};

// `small` has the input geometry, `large` the output one (the forward's in and out).
template <typename T>
Plan<T> make_plan(const Tensor& large, const Tensor& small, const std::vector<ResampleAxis>& axes) {
  static const int64_t kZero = 0;
  Plan<T> plan;
  const int64_t lead = small.dim() - static_cast<int64_t>(axes.size());
  for (int64_t d = 0; d < lead; ++d) plan.batch *= small.size(d);
  const size_t first = 3 - axes.size();
  for (size_t a = 0; a < 3; ++a) {
    Axis<T>& ax = plan.axes[a];
    if (a < first) {  // identity
      ax.index = &kZero;
      ax.weight = {WeightOf<T>(1)};
      continue;
    }
    const ResampleAxis& r = axes[a - first];
    ax.in = small.size(r.dim);
    ax.out = large.size(r.dim);
    ax.taps = r.taps;
    ax.index = r.index.data();
    ax.weight.resize(static_cast<size_t>(ax.out * ax.taps), WeightOf<T>(1));
    if (r.taps > 1) {
      plan.gather = false;
      for (size_t k = 0; k < ax.weight.size(); ++k) ax.weight[k] = static_cast<WeightOf<T>>(r.weight[k]);
    }
  }
  return plan;
}

// The input rows (offsets into an input plane) that output row (o0, o1)
// reads, with their weights; returns how many (1 to 4).
template <typename T>
int rows_of(const Plan<T>& p, int64_t o0, int64_t o1, std::array<int64_t, 4>& row, std::array<WeightOf<T>, 4>& w) {
  const Axis<T>& a0 = p.axes[0];
  const Axis<T>& a1 = p.axes[1];
  int count = 0;
  for (int64_t k0 = 0; k0 < a0.taps; ++k0) {
    for (int64_t k1 = 0; k1 < a1.taps; ++k1) {
      const int64_t i0 = a0.index[o0 * a0.taps + k0], i1 = a1.index[o1 * a1.taps + k1];
      row[count] = (i0 * a1.in + i1) * p.axes[2].in;
      w[count] = a0.weight[o0 * a0.taps + k0] * a1.weight[o1 * a1.taps + k1];
      ++count;
    }
  }
  return count;
}

int64_t grain_for(int64_t per_slice) { return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(per_slice, 1)); }

// One output row: dst[o] = sum_r w[r] * sum_k wk[o, k] * src_r[index[o, k]].
template <typename T, int Taps>
void forward_row(T* dst, const T* src, const std::array<int64_t, 4>& row, const std::array<T, 4>& w, int n,
                 const Axis<T>& a) {
  const int64_t* index = a.index;
  const T* wk = a.weight.data();
  for (int r = 0; r < n; ++r) {
    const T* s = src + row[r];
    const T wr = w[r];
    for (int64_t o = 0; o < a.out; ++o) {
      const T v = kernels::resample_taps<Taps>(s, index, wk, o);
      dst[o] = r == 0 ? wr * v : dst[o] + wr * v;
    }
  }
}

// Its transpose: src_r[index[o, k]] += w[r] * wk[o, k] * g[o].
template <typename T, int Taps>
void backward_row(T* gx, const T* g, const std::array<int64_t, 4>& row, const std::array<T, 4>& w, int n,
                  const Axis<T>& a) {
  const int64_t* index = a.index;
  const T* wk = a.weight.data();
  // Neighbouring outputs add into the same inputs; the rows are independent,
  // so they go innermost and their updates overlap instead of queueing.
  for (int64_t o = 0; o < a.out; ++o) {
    for (int k = 0; k < Taps; ++k) {
      const int64_t i = index[o * Taps + k];
      const T wo = wk[o * Taps + k], go = g[o];
      for (int r = 0; r < n; ++r) gx[row[r] + i] += kernels::resample_grad_term(w[r], wo, go);
    }
  }
}

template <typename T>
void resample_typed(const Tensor& out, const Tensor& in, const std::vector<ResampleAxis>& axes) {
  const Plan<T> p = make_plan<T>(out, in, axes);
  const T* x = in.data_ptr<T>();
  T* y = out.data_ptr<T>();
  const int64_t in_plane = p.in_plane(), out_plane = p.out_plane();
  const Axis<T>& a2 = p.axes[2];
  parallel_for(p.batch, grain_for(out_plane), [&](int64_t b0, int64_t b1) {
    std::array<int64_t, 4> row;
    std::array<WeightOf<T>, 4> w;
    for (int64_t b = b0; b < b1; ++b) {
      const T* src = x + b * in_plane;
      T* dst = y + b * out_plane;
      for (int64_t o0 = 0; o0 < p.axes[0].out; ++o0) {
        for (int64_t o1 = 0; o1 < p.axes[1].out; ++o1, dst += a2.out) {
          const int n = rows_of(p, o0, o1, row, w);
          if (p.gather) {
            const T* s = src + row[0];
            for (int64_t o2 = 0; o2 < a2.out; ++o2) dst[o2] = s[a2.index[o2]];
          } else if constexpr (std::is_floating_point_v<T>) {
            if (a2.taps == 1) forward_row<T, 1>(dst, src, row, w, n, a2);
            else forward_row<T, 2>(dst, src, row, w, n, a2);
          }
        }
      }
    }
  });
}

}  // namespace

void resample(const Tensor& out, const Tensor& in, const std::vector<ResampleAxis>& axes) {
  if (out.numel() == 0) return;
  bool gather = true;
  for (const ResampleAxis& a : axes) gather = gather && a.taps == 1;
  if (gather) {
    dispatch_dtype(in.dtype(), "resample", [&]<typename T>() { resample_typed<T>(out, in, axes); });
  } else {
    dispatch_floating(in.dtype(), "resample", [&]<typename T>() { resample_typed<T>(out, in, axes); });
  }
}

void resample_backward(const Tensor& grad_in, const Tensor& grad_out, const std::vector<ResampleAxis>& axes) {
  if (grad_in.numel() == 0) return;
  dispatch_floating(grad_in.dtype(), "resample_backward", [&]<typename T>() {
    const Plan<T> p = make_plan<T>(grad_out, grad_in, axes);
    const T* g = grad_out.data_ptr<T>();
    T* gx = grad_in.data_ptr<T>();
    const int64_t in_plane = p.in_plane(), out_plane = p.out_plane();
    const Axis<T>& a2 = p.axes[2];
    parallel_for(p.batch, grain_for(out_plane + in_plane), [&](int64_t b0, int64_t b1) {
      std::memset(static_cast<void*>(gx + b0 * in_plane), 0, static_cast<size_t>((b1 - b0) * in_plane) * sizeof(T));
      std::array<int64_t, 4> row;
      std::array<T, 4> w;
      for (int64_t b = b0; b < b1; ++b) {
        T* dst = gx + b * in_plane;
        const T* src = g + b * out_plane;
        for (int64_t o0 = 0; o0 < p.axes[0].out; ++o0) {
          for (int64_t o1 = 0; o1 < p.axes[1].out; ++o1, src += a2.out) {
            const int n = rows_of(p, o0, o1, row, w);
            if (p.gather) {
              T* d = dst + row[0];
              for (int64_t o2 = 0; o2 < a2.out; ++o2) d[a2.index[o2]] += src[o2];
            } else if (a2.taps == 1) {
              backward_row<T, 1>(dst, src, row, w, n, a2);
            } else {
              backward_row<T, 2>(dst, src, row, w, n, a2);
            }
          }
        }
      }
    });
  });
}

}  // namespace wick::cpu
