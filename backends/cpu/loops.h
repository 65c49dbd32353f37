// Strided elementwise loops for the CPU kernels.
//
// StridedLoop<N> walks N operands of one shape (operand 0 is the output) in
// row-major order. It first coalesces dimensions: size-1 dims are dropped and
// neighbouring dims that are contiguous with each other in every operand are
// merged, so a contiguous tensor of any shape becomes a single row and a
// transposed one a short list of rows. for_each_row() then hands each row to a
// callback as (pointers, byte strides, length); the callbacks below check for
// the contiguous and broadcast-scalar cases, where the compiler vectorizes,
// and fall back to a strided loop.
//
// Callbacks run inside OpenMP regions and must not throw.
#pragma once

#include <array>
#include <cstdint>

#include "core/parallel.h"
#include "core/tensor.h"

namespace wick::cpu {

template <int N>
struct StridedLoop {
  DimVector sizes;                    // coalesced, innermost last
  std::array<DimVector, N> strides;   // in bytes, per operand
  std::array<char*, N> base;
  int64_t numel = 1;

  explicit StridedLoop(const std::array<const Tensor*, N>& ops) {
    const Tensor& ref = *ops[0];
    numel = ref.numel();
    for (int k = 0; k < N; ++k) base[k] = static_cast<char*>(ops[k]->raw_data());
    for (int64_t d = 0; d < ref.dim(); ++d) {
      if (ref.sizes()[d] == 1) continue;
      const int64_t size = ref.sizes()[d];
      // Merge into the previous kept dim when every operand steps through both
      // as one: stride[prev] == stride[d] * size[d].
      bool merge = !sizes.empty();
      for (int k = 0; k < N && merge; ++k) {
        const int64_t s = ops[k]->strides()[d] * static_cast<int64_t>(ops[k]->element_size());
        merge = strides[k].back() == s * size;
      }
      if (merge) {
        sizes.back() *= size;
        for (int k = 0; k < N; ++k)
          strides[k].back() = ops[k]->strides()[d] * static_cast<int64_t>(ops[k]->element_size());
      } else {
        sizes.push_back(size);
        for (int k = 0; k < N; ++k)
          strides[k].push_back(ops[k]->strides()[d] * static_cast<int64_t>(ops[k]->element_size()));
      }
    }
  }

  // Calls f(ptrs, inner_strides, n) for every run of the innermost dim that
  // falls in the linear element range [begin, end).
  template <typename F>
  void for_each_row(int64_t begin, int64_t end, const F& f) const {
    std::array<char*, N> ptr = base;
    std::array<int64_t, N> inner{};
    const int64_t nd = static_cast<int64_t>(sizes.size());
    if (nd == 0) {  // one element
      if (begin < end) f(ptr.data(), inner.data(), int64_t{1});
      return;
    }
    for (int k = 0; k < N; ++k) inner[k] = strides[k][nd - 1];
    DimVector idx(static_cast<size_t>(nd), 0);
    int64_t rest = begin;
    for (int64_t d = nd - 1; d >= 0; --d) {
      idx[d] = rest % sizes[d];
      rest /= sizes[d];
      for (int k = 0; k < N; ++k) ptr[k] += idx[d] * strides[k][d];
    }
    int64_t pos = begin;
    while (pos < end) {
      const int64_t n = std::min(sizes[nd - 1] - idx[nd - 1], end - pos);
      f(ptr.data(), inner.data(), n);
      pos += n;
      idx[nd - 1] += n;
      for (int k = 0; k < N; ++k) ptr[k] += n * inner[k];
      for (int64_t d = nd - 1; d > 0 && idx[d] == sizes[d]; --d) {
        idx[d] = 0;
        idx[d - 1] += 1;
        for (int k = 0; k < N; ++k) ptr[k] += strides[k][d - 1] - sizes[d] * strides[k][d];
      }
    }
  }

  // Runs for_each_row over all elements, split across threads when large.
  template <typename F>
  void run(const F& f) const {
    parallel_for(numel, kParallelGrain, [&](int64_t begin, int64_t end) { for_each_row(begin, end, f); });
  }
};

// out[i] = f(in[i])
template <typename Out, typename In, typename F>
void unary_loop(const Tensor& out, const Tensor& in, const F& f) {
  StridedLoop<2> loop({&out, &in});
  loop.run([&](char** p, const int64_t* s, int64_t n) {
    Out* o = reinterpret_cast<Out*>(p[0]);
    const In* x = reinterpret_cast<const In*>(p[1]);
    if (s[0] == sizeof(Out) && s[1] == sizeof(In)) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<Out*>(p[0] + i * s[0]) = f(*reinterpret_cast<const In*>(p[1] + i * s[1]));
    }
  });
}

// out[i] = f(a[i], b[i]), with fast paths for contiguous rows and for a or b
// broadcast along the row (stride 0), the `x * 2` and `x + bias` cases.
template <typename Out, typename A, typename B, typename F>
void binary_loop(const Tensor& out, const Tensor& a, const Tensor& b, const F& f) {
  StridedLoop<3> loop({&out, &a, &b});
  loop.run([&](char** p, const int64_t* s, int64_t n) {
    Out* o = reinterpret_cast<Out*>(p[0]);
    const A* x = reinterpret_cast<const A*>(p[1]);
    const B* y = reinterpret_cast<const B*>(p[2]);
    if (s[0] == sizeof(Out) && s[1] == sizeof(A) && s[2] == sizeof(B)) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
    } else if (s[0] == sizeof(Out) && s[1] == sizeof(A) && s[2] == 0) {
      const B yv = *y;
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], yv);
    } else if (s[0] == sizeof(Out) && s[1] == 0 && s[2] == sizeof(B)) {
      const A xv = *x;
      for (int64_t i = 0; i < n; ++i) o[i] = f(xv, y[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<Out*>(p[0] + i * s[0]) =
            f(*reinterpret_cast<const A*>(p[1] + i * s[1]), *reinterpret_cast<const B*>(p[2] + i * s[2]));
    }
  });
}

// out[i] = f(a[i], b[i], c[i])
template <typename Out, typename A, typename B, typename C, typename F>
void ternary_loop(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& c, const F& f) {
  StridedLoop<4> loop({&out, &a, &b, &c});
  loop.run([&](char** p, const int64_t* s, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
      *reinterpret_cast<Out*>(p[0] + i * s[0]) =
          f(*reinterpret_cast<const A*>(p[1] + i * s[1]), *reinterpret_cast<const B*>(p[2] + i * s[2]),
            *reinterpret_cast<const C*>(p[3] + i * s[3]));
  });
}

}  // namespace wick::cpu
