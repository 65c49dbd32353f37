// CPU reduction kernel: sum, prod, max, min (with positions), argmax, argmin,
// any, all over any set of dims of a strided tensor.
//
// Two loop orders. When the input's innermost (contiguous) dim is reduced,
// each output element reduces a run of memory ("inner" order, with eight
// partial sums so the compiler vectorizes). When reducing the outer dims of a
// contiguous [R, K] block (the sum over the batch in a bias gradient), rows are
// combined into a K-vector accumulator ("outer" order), which reads memory
// once, in order. When there are fewer outputs than threads (a full sum), each
// output's elements are split between the threads instead.
//
// Contiguous float32 sums use 32 vector lanes (sum_contiguous).
//
// Floating sums are cascaded so that rounding error grows with log(n), not n:
// long runs are summed pairwise over blocks, and the outer order combines rows
// in blocks before adding them to the result.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/vec_math.h"
#include "backends/reduce_math.h"
#include "core/parallel.h"

namespace wick::cpu {

namespace {

// The ops' identities and combine steps (NaN wins in max/min) are shared with
// the CUDA backend.
using reduce_math::AllOp;
using reduce_math::AnyOp;
using reduce_math::MaxOp;
using reduce_math::MinOp;
using reduce_math::ProdOp;
using reduce_math::SumOp;

// The sum of n contiguous floats. Four f32x8 accumulators (32 lanes) hide
// the latency of the adds, so the loop runs at the speed of memory; GCC does
// not vectorize the float sum below this on its own (it may not reassociate).
WICK_VECTOR_CLONES float sum_contiguous(const float* p, int64_t n) {
  f32x8 a0{}, a1{}, a2{}, a3{};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 += load8(p + i);
    a1 += load8(p + i + 8);
    a2 += load8(p + i + 16);
    a3 += load8(p + i + 24);
  }
  for (; i + 8 <= n; i += 8) a0 += load8(p + i);
  float acc = fold8((a0 + a1) + (a2 + a3), [](float x, float y) { return x + y; });
  for (; i < n; ++i) acc += p[i];
  return acc;
}

// Reduces n elements at stride s (elements), starting from Op::init().
template <typename T, typename Op>
T reduce_block(const T* p, int64_t n, int64_t s) {
  if constexpr (std::is_same_v<Op, SumOp<float>>) {
    if (s == 1) return sum_contiguous(p, n);
  }
  T acc = Op::init();
  if (s == 1) {
    constexpr int L = 8;
    if (n >= 2 * L) {
      T lanes[L];
      for (int k = 0; k < L; ++k) lanes[k] = Op::init();
      int64_t i = 0;
      for (; i + L <= n; i += L)
        for (int k = 0; k < L; ++k) lanes[k] = Op::combine(lanes[k], p[i + k]);
      for (; i < n; ++i) lanes[0] = Op::combine(lanes[0], p[i]);
      for (int k = 0; k < L; ++k) acc = Op::combine(acc, lanes[k]);
      return acc;
    }
    for (int64_t i = 0; i < n; ++i) acc = Op::combine(acc, p[i]);
    return acc;
  }
  for (int64_t i = 0; i < n; ++i) acc = Op::combine(acc, p[i * s]);
  return acc;
}

// Elements reduced in one block before blocks are combined pairwise.
constexpr int64_t kCascadeBlock = 2048;

// n elements at stride s. Floating types combine blocks pairwise (rounding
// error O(log n)); exact types need not.
template <typename T, typename Op>
T reduce_tree(const T* p, int64_t n, int64_t s) {
  if constexpr (std::is_floating_point_v<T>) {
    if (n > kCascadeBlock) {
      const int64_t half = (n / 2 + 7) / 8 * 8;  // keeps blocks aligned to the lanes
      return Op::combine(reduce_tree<T, Op>(p, half, s), reduce_tree<T, Op>(p + half * s, n - half, s));
    }
  }
  return reduce_block<T, Op>(p, n, s);
}

template <typename T, typename Op>
T reduce_run(const T* p, int64_t n, int64_t s, T acc) {
  return Op::combine(acc, reduce_tree<T, Op>(p, n, s));
}

// The layout of a reduction, in elements: kept dims (sizes, input and output
// strides) and reduced dims (sizes, input strides), each list outermost first.
struct Geometry {
  DimVector kept_sizes, kept_in, kept_out, kept_idx;
  DimVector red_sizes, red_in;
  int64_t n_out = 1, n_red = 1;

  Geometry(const Tensor& in, const Tensor& out_like, const Tensor& idx_like, IntArrayRef dims) {
    std::vector<bool> reduced(static_cast<size_t>(in.dim()), false);
    for (int64_t d : dims) reduced[static_cast<size_t>(d)] = true;
    for (int64_t d = 0; d < in.dim(); ++d) {
      const int64_t size = in.sizes()[d];
      if (reduced[static_cast<size_t>(d)]) {
        n_red *= size;
        if (size == 1) continue;
        // Merge with the previous reduced dim when contiguous with it.
        if (!red_sizes.empty() && red_in.back() == in.strides()[d] * size) {
          red_sizes.back() *= size;
          red_in.back() = in.strides()[d];
        } else {
          red_sizes.push_back(size);
          red_in.push_back(in.strides()[d]);
        }
      } else {
        n_out *= size;
        if (size == 1) continue;
        kept_sizes.push_back(size);
        kept_in.push_back(in.strides()[d]);
        kept_out.push_back(out_like.defined() ? out_like.strides()[d] : 0);
        kept_idx.push_back(idx_like.defined() ? idx_like.strides()[d] : 0);
      }
    }
  }

  // Input, output and index offsets of output element o.
  void locate(int64_t o, int64_t& in_off, int64_t& out_off, int64_t& idx_off) const {
    in_off = out_off = idx_off = 0;
    for (int64_t d = static_cast<int64_t>(kept_sizes.size()) - 1; d >= 0; --d) {
      const int64_t i = o % kept_sizes[d];
      o /= kept_sizes[d];
      in_off += i * kept_in[d];
      out_off += i * kept_out[d];
      idx_off += i * kept_idx[d];
    }
  }

  // Calls f(offset, run_length, run_stride) for each innermost run of the
  // reduced elements [begin, end) of one output (row-major order of the
  // reduced dims), whose first element is at `base`.
  template <typename F>
  void for_each_run(int64_t base, int64_t begin, int64_t end, const F& f) const {
    if (begin >= end) return;
    const int64_t nd = static_cast<int64_t>(red_sizes.size());
    if (nd == 0) return f(base, int64_t{1}, int64_t{1});
    const int64_t len = red_sizes[nd - 1], step = red_in[nd - 1];
    DimVector idx(static_cast<size_t>(nd), 0);
    int64_t off = base;
    for (int64_t d = nd - 2, rest = begin / len; d >= 0; --d) {
      idx[d] = rest % red_sizes[d];
      rest /= red_sizes[d];
      off += idx[d] * red_in[d];
    }
    int64_t first = begin % len;
    for (int64_t pos = begin; pos < end;) {
      const int64_t n = std::min(len - first, end - pos);
      f(off + first * step, n, step);
      pos += n;
      first = 0;
      for (int64_t d = nd - 2; d >= 0; --d) {
        off += red_in[d];
        if (++idx[d] < red_sizes[d]) break;
        off -= red_sizes[d] * red_in[d];
        idx[d] = 0;
      }
    }
  }
};

// Rows combined before being added to the result in the outer order, and the
// columns one thread keeps in its accumulator at a time.
constexpr int64_t kRowBlock = 128, kColTile = 512;

template <typename T, typename Op>
void reduce_values(const Tensor& out, const Tensor& in, const Geometry& g) {
  const T* src = static_cast<const T*>(in.raw_data());
  T* dst = static_cast<T*>(out.raw_data());
  // Outer order: in is a contiguous [R, K] block reduced over R.
  if (g.kept_sizes.size() == 1 && g.red_sizes.size() == 1 && g.kept_in[0] == 1 && g.kept_out[0] == 1 &&
      g.red_in[0] == g.kept_sizes[0]) {
    const int64_t R = g.red_sizes[0], K = g.kept_sizes[0];
    parallel_for(K, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(R, 1)), [&](int64_t b, int64_t e) {
      T block[kColTile];
      for (int64_t k0 = b; k0 < e; k0 += kColTile) {
        const int64_t n = std::min(e - k0, kColTile);
        T* acc = dst + k0;
        for (int64_t k = 0; k < n; ++k) acc[k] = Op::init();
        for (int64_t r0 = 0; r0 < R; r0 += kRowBlock) {
          for (int64_t k = 0; k < n; ++k) block[k] = Op::init();
          for (int64_t r = r0; r < std::min(R, r0 + kRowBlock); ++r) {
            const T* row = src + r * K + k0;
            for (int64_t k = 0; k < n; ++k) block[k] = Op::combine(block[k], row[k]);
          }
          for (int64_t k = 0; k < n; ++k) acc[k] = Op::combine(acc[k], block[k]);
        }
      }
    });
    return;
  }
  // Few outputs, many elements each: split each output's elements between threads.
  const int64_t threads = in_parallel_region() ? 1 : get_num_threads();
  if (g.n_out < threads && g.n_red >= 2 * kParallelGrain) {
    const int64_t parts = std::min(threads, g.n_red / kParallelGrain);
    const std::unique_ptr<T[]> partial(new T[static_cast<size_t>(parts)]);  // not vector<bool>: threads write it
    for (int64_t o = 0; o < g.n_out; ++o) {
      int64_t in_off, out_off, idx_off;
      g.locate(o, in_off, out_off, idx_off);
      parallel_for(parts, 1, [&](int64_t b, int64_t e) {
        for (int64_t c = b; c < e; ++c) {
          T acc = Op::init();
          g.for_each_run(in_off, g.n_red * c / parts, g.n_red * (c + 1) / parts,
                         [&](int64_t off, int64_t n, int64_t s) { acc = reduce_run<T, Op>(src + off, n, s, acc); });
          partial[c] = acc;
        }
      });
      T acc = Op::init();
      for (int64_t c = 0; c < parts; ++c) acc = Op::combine(acc, partial[c]);
      dst[out_off] = acc;
    }
    return;
  }
  parallel_for(g.n_out, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(g.n_red, 1)), [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      int64_t in_off, out_off, idx_off;
      g.locate(o, in_off, out_off, idx_off);
      T acc = Op::init();
      g.for_each_run(in_off, 0, g.n_red, [&](int64_t off, int64_t n, int64_t s) { acc = reduce_run<T, Op>(src + off, n, s, acc); });
      dst[out_off] = acc;
    }
  });
}

// Max/min values and/or positions along one dim (first position on ties; NaN
// wins): Note [Positions of max and min] in backends/reduce_math.h.
template <typename T, bool IsMax>
void reduce_arg(const Tensor& out, const Tensor& indices, const Tensor& in, const Geometry& g) {
  const T* src = static_cast<const T*>(in.raw_data());
  T* dst = out.defined() ? static_cast<T*>(out.raw_data()) : nullptr;
  int64_t* pos = indices.defined() ? indices.data_ptr<int64_t>() : nullptr;
  const int64_t n = g.n_red, s = g.red_in.empty() ? 1 : g.red_in[0];
  parallel_for(g.n_out, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      int64_t in_off, out_off, idx_off;
      g.locate(o, in_off, out_off, idx_off);
      const T* p = src + in_off;
      T best = p[0];
      int64_t at = 0;
      for (int64_t i = 1; i < n && best == best; ++i) {
        const T x = p[i * s];
        if (reduce_math::arg_replaces<IsMax>(x, best)) {
          best = x;
          at = i;
        }
      }
      if (dst) dst[out_off] = best;
      if (pos) pos[idx_off] = at;
    }
  });
}

}  // namespace

void reduce(ReduceOp op, const Tensor& out, const Tensor& indices, const Tensor& in, IntArrayRef dims) {
  const Geometry g(in, out, indices, dims);
  switch (op) {
    case ReduceOp::Any:
      return reduce_values<bool, AnyOp>(out, in, g);
    case ReduceOp::All:
      return reduce_values<bool, AllOp>(out, in, g);
    case ReduceOp::Sum:
      return dispatch_dtype(in.dtype(), "sum", [&]<typename T>() {
        if constexpr (std::is_same_v<T, bool>) reduce_values<bool, AnyOp>(out, in, g);
        else reduce_values<T, SumOp<T>>(out, in, g);
      });
    case ReduceOp::Prod:
      return dispatch_dtype(in.dtype(), "prod", [&]<typename T>() {
        if constexpr (std::is_same_v<T, bool>) reduce_values<bool, AllOp>(out, in, g);
        else reduce_values<T, ProdOp<T>>(out, in, g);
      });
    case ReduceOp::Max:
    case ReduceOp::Min:
    case ReduceOp::ArgMax:
    case ReduceOp::ArgMin: {
      const bool is_max = op == ReduceOp::Max || op == ReduceOp::ArgMax;
      if (indices.defined() || op == ReduceOp::ArgMax || op == ReduceOp::ArgMin) {
        WICK_CHECK(g.red_sizes.size() <= 1, Error, "cpu reduce: positions need a single reduced dim");
        const Tensor values = (op == ReduceOp::Max || op == ReduceOp::Min) ? out : Tensor();
        return dispatch_dtype(in.dtype(), "max/min", [&]<typename T>() {
          if (is_max) reduce_arg<T, true>(values, indices, in, g);
          else reduce_arg<T, false>(values, indices, in, g);
        });
      }
      return dispatch_dtype(in.dtype(), "max/min", [&]<typename T>() {
        if (is_max) reduce_values<T, MaxOp<T>>(out, in, g);
        else reduce_values<T, MinOp<T>>(out, in, g);
      });
    }
  }
}

}  // namespace wick::cpu
