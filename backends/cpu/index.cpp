// CPU kernels of the indexing family: index_select, gather, scatter (plain
// and accumulating) and index_add.
//
// All four walk an iteration shape (the index's for gather/scatter, the
// output's or the source's for index_select/index_add) with three operands:
//   A  read or written at each position: out for the selects, src for the scatters;
//   B  the indexed operand (in, self), whose coordinate along dim is the index value;
//   I  the int64 index (stride 0 off dim for the 1-D index of index_select/index_add).
// The dims other than dim ("outer" dims) are coalesced as in loops.h. The
// selects split all the work between threads. In a scatter each thread owns
// a range of outer positions and walks dim in order inside it, so no element
// is written from two threads and repeated indices resolve the same way on
// every run (the last one wins, or all add up in index order). Index values
// were range-checked by the ops layer.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <limits>
#include <type_traits>

#include "backends/cpu/cpu_backend.h"
#include "backends/index_math.h"
#include "core/parallel.h"

namespace wick::cpu {

namespace {

// Outer positions a scatter walks dim over at a time, when its rows run
// across the outer dims: few enough that their A, B and I rows stay in cache.
constexpr int64_t kBlock = 256;

struct IndexGeometry {
  DimVector sizes;                   // coalesced outer dims, innermost last
  std::array<DimVector, 3> strides;  // A, B, I strides of those dims, in elements
  int64_t n_outer = 1;
  int64_t len = 1;               // iteration size along dim
  int64_t a_dim = 0, i_dim = 0;  // strides of A and I along dim
  int64_t b_dim = 0;             // stride of B along dim, times the index value

  // shape: the iteration shape; a, b, i: strides of each operand, one per dim of shape.
  IndexGeometry(IntArrayRef shape, int64_t dim, const DimVector& a, const DimVector& b, const DimVector& i,
                int64_t b_dim_stride)
      : b_dim(b_dim_stride) {
    const std::array<const DimVector*, 3> st{&a, &b, &i};
    const int64_t nd = static_cast<int64_t>(shape.size());
    if (nd > 0) {
      len = shape[dim];
      a_dim = a[dim];
      i_dim = i[dim];
    }
    for (int64_t d = 0; d < nd; ++d) {
      if (d == dim) continue;
      const int64_t size = shape[d];
      n_outer *= size;
      if (size == 1) continue;
      bool merge = !sizes.empty();
      for (int k = 0; k < 3 && merge; ++k) merge = strides[k].back() == (*st[k])[d] * size;
      if (merge) {
        sizes.back() *= size;
        for (int k = 0; k < 3; ++k) strides[k].back() = (*st[k])[d];
      } else {
        sizes.push_back(size);
        for (int k = 0; k < 3; ++k) strides[k].push_back((*st[k])[d]);
      }
    }
  }

  // Calls f(off, inner, n) for each run of at most `cap` outer positions
  // along the innermost outer dim within [begin, end): off holds the A, B, I
  // offsets of the run's first position, inner their steps along the run.
  template <typename F>
  void for_each_run(int64_t begin, int64_t end, int64_t cap, const F& f) const {
    std::array<int64_t, 3> off{}, inner{};
    const int64_t nd = static_cast<int64_t>(sizes.size());
    if (nd == 0) {
      if (begin < end) f(off, inner, int64_t{1});
      return;
    }
    for (int k = 0; k < 3; ++k) inner[k] = strides[k][nd - 1];
    DimVector idx(static_cast<size_t>(nd), 0);
    int64_t rest = begin;
    for (int64_t d = nd - 1; d >= 0; --d) {
      idx[d] = rest % sizes[d];
      rest /= sizes[d];
      for (int k = 0; k < 3; ++k) off[k] += idx[d] * strides[k][d];
    }
    for (int64_t pos = begin; pos < end;) {
      const int64_t n = std::min({sizes[nd - 1] - idx[nd - 1], end - pos, cap});
      f(off, inner, n);
      pos += n;
      idx[nd - 1] += n;
      for (int k = 0; k < 3; ++k) off[k] += n * inner[k];
      for (int64_t d = nd - 1; d > 0 && idx[d] == sizes[d]; --d) {
        idx[d] = 0;
        idx[d - 1] += 1;
        for (int k = 0; k < 3; ++k) off[k] += strides[k][d - 1] - sizes[d] * strides[k][d];
      }
    }
  }
};

// Runs row(a, b, i, n, sa, sb, si) over every (outer position, position
// along dim) pair: a row is n elements at A offsets a + t*sa, B offsets
// b + t*sb and I offsets i + t*si. Rows run along dim when A and I step less
// along dim than along the innermost outer dim (or there are few outer
// positions), else across the outer positions, once per position along dim.
// `exclusive` kernels (no two iterations write one element) split the whole
// iteration space between threads; the scatters split only the outer
// positions, and walk dim in order inside each.
template <bool exclusive, typename Row>
void index_loop(const IndexGeometry& g, const Row& row) {
  if (g.n_outer == 0 || g.len == 0) return;
  const int64_t nd = static_cast<int64_t>(g.sizes.size());
  const bool along_dim = nd == 0 || g.n_outer < 8 ||
                         std::abs(g.a_dim) + std::abs(g.i_dim) <=
                             std::abs(g.strides[0][nd - 1]) + std::abs(g.strides[2][nd - 1]);
  const int64_t len = g.len, n_outer = g.n_outer, unbounded = std::numeric_limits<int64_t>::max();
  if (exclusive) {
    if (along_dim) {  // [begin, end) counts (outer position, j) pairs, j fastest
      parallel_for(n_outer * len, kParallelGrain, [&](int64_t begin, int64_t end) {
        int64_t o = begin / len;
        g.for_each_run(o, (end - 1) / len + 1, unbounded, [&](const auto& off, const auto& inner, int64_t n) {
          for (int64_t t = 0; t < n; ++t, ++o) {
            const int64_t j0 = std::max<int64_t>(0, begin - o * len), j1 = std::min(len, end - o * len);
            row(off[0] + t * inner[0] + j0 * g.a_dim, off[1] + t * inner[1], off[2] + t * inner[2] + j0 * g.i_dim,
                j1 - j0, g.a_dim, int64_t{0}, g.i_dim);
          }
        });
      });
    } else {  // [begin, end) counts (j, outer position) pairs, outer fastest
      parallel_for(n_outer * len, kParallelGrain, [&](int64_t begin, int64_t end) {
        for (int64_t j = begin / n_outer; j * n_outer < end; ++j) {
          const int64_t o0 = std::max<int64_t>(0, begin - j * n_outer), o1 = std::min(n_outer, end - j * n_outer);
          g.for_each_run(o0, o1, unbounded, [&](const auto& off, const auto& inner, int64_t n) {
            row(off[0] + j * g.a_dim, off[1], off[2] + j * g.i_dim, n, inner[0], inner[1], inner[2]);
          });
        }
      });
    }
    return;
  }
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / len);
  if (along_dim) {
    parallel_for(n_outer, grain, [&](int64_t begin, int64_t end) {
      g.for_each_run(begin, end, unbounded, [&](const auto& off, const auto& inner, int64_t n) {
        for (int64_t t = 0; t < n; ++t)
          row(off[0] + t * inner[0], off[1] + t * inner[1], off[2] + t * inner[2], len, g.a_dim, int64_t{0}, g.i_dim);
      });
    });
  } else {  // blocks of outer positions small enough to stay in cache while dim is walked
    parallel_for(n_outer, grain, [&](int64_t begin, int64_t end) {
      g.for_each_run(begin, end, kBlock, [&](const auto& off, const auto& inner, int64_t n) {
        for (int64_t j = 0; j < len; ++j)
          row(off[0] + j * g.a_dim, off[1], off[2] + j * g.i_dim, n, inner[0], inner[1], inner[2]);
      });
    });
  }
}

// t's strides, or zeros for a 0-dim t standing in for a one-element 1-D tensor
// (and the reverse), as PyTorch allows for gather/scatter/index_add.
DimVector strides_as(const Tensor& t, int64_t ndim) {
  if (t.dim() == ndim) return DimVector(t.strides());
  return DimVector(static_cast<size_t>(ndim), 0);
}

int64_t dim_stride(const Tensor& t, int64_t dim) { return t.dim() == 0 ? 0 : t.strides()[dim]; }

// Strides of a 1-D index vector read along dim of an ndim iteration shape.
DimVector vector_index_strides(const Tensor& index, int64_t ndim, int64_t dim) {
  DimVector s(static_cast<size_t>(ndim), 0);
  if (ndim > 0 && index.dim() == 1) s[dim] = index.strides()[0];
  return s;
}

void check_index_dtype(const Tensor& index, const char* op) {
  WICK_CHECK(index.dtype() == ScalarType::Int64, TypeError, "cpu ", op, " kernel: expected an int64 index, got ",
             index.dtype());
}

// out = in at the indexed positions (gather and index_select).
template <typename T>
void select_rows(const IndexGeometry& g, const Tensor& out, const Tensor& in, const Tensor& index) {
  T* const o = static_cast<T*>(out.raw_data());
  const T* const x = static_cast<const T*>(in.raw_data());
  const int64_t* const ix = index.data_ptr<int64_t>();
  const int64_t b_dim = g.b_dim;
  index_loop<true>(g, [&](int64_t a, int64_t b, int64_t i, int64_t n, int64_t sa, int64_t sb, int64_t si) {
    T* dst = o + a;
    if (si == 0) {  // one index for the whole row: a strided copy
      const T* src = x + b + ix[i] * b_dim;
      if (sa == 1 && sb == 1) {
        for (int64_t t = 0; t < n; ++t) dst[t] = src[t];
      } else {
        for (int64_t t = 0; t < n; ++t) dst[t * sa] = src[t * sb];
      }
    } else {
      for (int64_t t = 0; t < n; ++t) dst[t * sa] = x[b + t * sb + ix[i + t * si] * b_dim];
    }
  });
}

template <typename T, ScatterReduce reduce>
void put(T& dst, T v) {
  dst = kernels::scatter_combine<reduce>(dst, v);
}

// self at the indexed positions = (or +=, *=) src (scatter and index_add).
template <typename T, ScatterReduce reduce>
void scatter_rows(const IndexGeometry& g, const Tensor& self, const Tensor& src, const Tensor& index) {
  T* const y = static_cast<T*>(self.raw_data());
  const T* const s = static_cast<const T*>(src.raw_data());
  const int64_t* const ix = index.data_ptr<int64_t>();
  const int64_t b_dim = g.b_dim;
  index_loop<false>(g, [&](int64_t a, int64_t b, int64_t i, int64_t n, int64_t sa, int64_t sb, int64_t si) {
    const T* from = s + a;
    if (si == 0) {
      T* dst = y + b + ix[i] * b_dim;
      if (sa == 1 && sb == 1) {
        for (int64_t t = 0; t < n; ++t) put<T, reduce>(dst[t], from[t]);
      } else {
        for (int64_t t = 0; t < n; ++t) put<T, reduce>(dst[t * sb], from[t * sa]);
      }
    } else {
      for (int64_t t = 0; t < n; ++t) put<T, reduce>(y[b + t * sb + ix[i + t * si] * b_dim], from[t * sa]);
    }
  });
}

}  // namespace

void index_select(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index) {
  check_index_dtype(index, "index_select");
  if (out.numel() == 0) return;
  const int64_t nd = out.dim();
  const IndexGeometry g(out.sizes(), dim, DimVector(out.strides()), strides_as(in, nd),
                        vector_index_strides(index, nd, dim), dim_stride(in, dim));
  dispatch_dtype(out.dtype(), "index_select", [&]<typename T>() { select_rows<T>(g, out, in, index); });
}

void gather(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index) {
  check_index_dtype(index, "gather");
  if (out.numel() == 0) return;
  const int64_t nd = out.dim();
  const IndexGeometry g(out.sizes(), dim, DimVector(out.strides()), strides_as(in, nd), strides_as(index, nd),
                        dim_stride(in, dim));
  dispatch_dtype(out.dtype(), "gather", [&]<typename T>() { select_rows<T>(g, out, in, index); });
}

void scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, ScatterReduce reduce) {
  check_index_dtype(index, "scatter");
  if (index.numel() == 0) return;
  const int64_t nd = index.dim();
  const IndexGeometry g(index.sizes(), dim, strides_as(src, nd), strides_as(self, nd), DimVector(index.strides()),
                        dim_stride(self, dim));
  dispatch_dtype(self.dtype(), "scatter", [&]<typename T>() {
    switch (reduce) {
      case ScatterReduce::None: scatter_rows<T, ScatterReduce::None>(g, self, src, index); break;
      case ScatterReduce::Add: scatter_rows<T, ScatterReduce::Add>(g, self, src, index); break;
      case ScatterReduce::Multiply: scatter_rows<T, ScatterReduce::Multiply>(g, self, src, index); break;
    }
  });
}

void index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  check_index_dtype(index, "index_add");
  if (src.numel() == 0) return;
  const int64_t nd = src.dim();
  const IndexGeometry g(src.sizes(), dim, DimVector(src.strides()), strides_as(self, nd),
                        vector_index_strides(index, nd, dim), dim_stride(self, dim));
  dispatch_dtype(self.dtype(), "index_add", [&]<typename T>() { scatter_rows<T, ScatterReduce::Add>(g, self, src, index); });
}

}  // namespace wick::cpu
