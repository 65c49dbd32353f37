// CPU scans (cumsum, cumprod, cummax, cummin, logcumsumexp) and sorts (sort,
// topk, kthvalue, median) along one dim of a contiguous tensor seen as
// [outer, n, inner], with the rules of backends/scan_math.h.
//
// A scan walks the n planes of each outer slice in order, keeping one running
// state per column; the columns of a plane are adjacent in memory, so the
// inner loop reads and writes contiguously. A sort copies each row (value and
// position) into a buffer, orders it with std::sort, or std::partial_sort when
// only the first k are wanted (topk, kthvalue), and writes the first k back.
#include <algorithm>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/dim_split.h"
#include "backends/scan_math.h"
#include "core/parallel.h"

namespace wick::cpu {

namespace {

using scan_math::ScanState;


// Scans columns [j0, j1) of outer slice o.
template <typename T, typename Op>
void scan_columns(T* out, int64_t* indices, const T* in, const DimSplit& g, int64_t o, int64_t j0, int64_t j1,
                  std::vector<ScanState<T>>& state) {
  const int64_t w = j1 - j0;
  const int64_t base = o * g.n * g.inner + j0;
  state.resize(static_cast<size_t>(w));
  for (int64_t j = 0; j < w; ++j) state[j] = Op::identity();
  for (int64_t i = 0; i < g.n; ++i) {
    const int64_t off = base + i * g.inner;
    for (int64_t j = 0; j < w; ++j) {
      state[j] = Op::combine(state[j], ScanState<T>{in[off + j], i});
      out[off + j] = state[j].value;
    }
    if (indices)
      for (int64_t j = 0; j < w; ++j) indices[off + j] = state[j].index;
  }
}

template <typename T, typename Op>
void scan_typed(const Tensor& out, const Tensor& indices, const Tensor& in, int64_t dim) {
  const DimSplit g = split_at_dim(in.sizes(), dim);
  T* o = out.data_ptr<T>();
  int64_t* idx = indices.defined() ? indices.data_ptr<int64_t>() : nullptr;
  const T* x = in.data_ptr<T>();
  // Work items: (outer slice, block of columns), each about a grain's worth of elements.
  const int64_t block = std::max<int64_t>(1, std::min(g.inner, kParallelGrain / std::max<int64_t>(g.n, 1)));
  const int64_t blocks_per_slice = (g.inner + block - 1) / block;
  parallel_for(g.outer * blocks_per_slice, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(g.n * block, 1)),
               [&](int64_t begin, int64_t end) {
                 std::vector<ScanState<T>> state;
                 for (int64_t item = begin; item < end; ++item) {
                   const int64_t s = item / blocks_per_slice, j0 = (item % blocks_per_slice) * block;
                   scan_columns<T, Op>(o, idx, x, g, s, j0, std::min(g.inner, j0 + block), state);
                 }
               });
}

template <typename T>
void sort_typed(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t dim, bool descending) {
  const DimSplit g = split_at_dim(in.sizes(), dim);
  const int64_t k = values.size(dim);
  T* vo = values.data_ptr<T>();
  int64_t* io = indices.data_ptr<int64_t>();
  const T* x = in.data_ptr<T>();
  parallel_for(g.outer * g.inner, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(g.n, 1)),
               [&](int64_t begin, int64_t end) {
                 std::vector<ScanState<T>> row(static_cast<size_t>(g.n));
                 const auto before = [descending](const ScanState<T>& a, const ScanState<T>& b) {
                   return scan_math::sort_before(a.value, a.index, b.value, b.index, descending);
                 };
                 for (int64_t r = begin; r < end; ++r) {
                   const int64_t o = r / g.inner, j = r % g.inner;
                   const T* src = x + o * g.n * g.inner + j;
                   for (int64_t i = 0; i < g.n; ++i) row[i] = {src[i * g.inner], i};
                   if (k < g.n) std::partial_sort(row.begin(), row.begin() + k, row.end(), before);
                   else std::sort(row.begin(), row.end(), before);
                   const int64_t dst = o * k * g.inner + j;
                   for (int64_t i = 0; i < k; ++i) {
                     vo[dst + i * g.inner] = row[i].value;
                     io[dst + i * g.inner] = row[i].index;
                   }
                 }
               });
}

}  // namespace

void scan(ScanOp op, const Tensor& out, const Tensor& indices, const Tensor& in, int64_t dim) {
  if (in.numel() == 0) return;
  scan_math::dispatch_scan(op, in.dtype(), [&]<typename T, typename Op>() { scan_typed<T, Op>(out, indices, in, dim); });
}

void sort(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t dim, bool descending) {
  if (values.numel() == 0) return;
  dispatch_dtype(in.dtype(), "sort", [&]<typename T>() { sort_typed<T>(values, indices, in, dim, descending); });
}

}  // namespace wick::cpu
