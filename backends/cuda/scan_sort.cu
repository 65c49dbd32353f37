// CUDA scans (cumsum, cumprod, cummax, cummin, logcumsumexp) and sorts (sort,
// topk, kthvalue, median) along one dim of a contiguous tensor seen as
// [outer, n, inner], with the rules of backends/scan_math.h.
//
// Scans: with inner > 1 (a dim other than the last), one thread walks each
// column, and neighbouring threads read neighbouring addresses. Along the last
// dim, one block scans each row in tiles of kThreads elements with CUB's
// BlockScan, carrying the tile's total into the next; a single long row is
// cub::DeviceScan's (decoupled look-back over the whole GPU).
//
// Sorts: every row at once, with one cub::DeviceMergeSort over the flat keys
// row * n + i, ordered by row and then by Note [Sort order]; a second kernel
// writes the first k of each row.
#include <cub/block/block_scan.cuh>
#include <cub/device/device_merge_sort.cuh>
#include <cub/device/device_scan.cuh>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/iterator/transform_iterator.h>

#include <algorithm>

#include "backends/cuda/block_reduce.cuh"
#include "backends/cuda/cuda_utils.h"
#include "backends/cuda/loops.cuh"
#include "backends/dim_split.h"
#include "backends/scan_math.h"

namespace wick::cuda {

namespace {

using scan_math::ScanState;


template <typename Op>
struct Combine {
  template <typename S>
  __device__ S operator()(const S& a, const S& b) const {
    return Op::combine(a, b);
  }
};

// One thread per column (o, j) of [outer, n, inner].
template <typename T, typename Op>
__global__ void scan_columns_kernel(T* out, int64_t* indices, const T* in, DimSplit g) {
  const int64_t columns = g.outer * g.inner;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < columns; c += step) {
    const int64_t o = c / g.inner, j = c % g.inner;
    const int64_t base = o * g.n * g.inner + j;
    ScanState<T> s = Op::identity();
    for (int64_t i = 0; i < g.n; ++i) {
      const int64_t at = base + i * g.inner;
      s = Op::combine(s, ScanState<T>{in[at], i});
      out[at] = s.value;
      if (indices) indices[at] = s.index;
    }
  }
}

// One block per row of n contiguous elements (inner == 1), kThreads at a time.
template <typename T, typename Op>
__global__ void scan_rows_kernel(T* out, int64_t* indices, const T* in, int64_t rows, int64_t n) {
  using BlockScan = cub::BlockScan<ScanState<T>, kThreads>;
  __shared__ typename BlockScan::TempStorage temp;
  __shared__ ScanState<T> carry;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* x = in + r * n;
    if (threadIdx.x == 0) carry = Op::identity();
    __syncthreads();
    for (int64_t t0 = 0; t0 < n; t0 += kThreads) {
      const int64_t i = t0 + threadIdx.x;
      ScanState<T> s = i < n ? ScanState<T>{x[i], i} : Op::identity();
      ScanState<T> total;
      BlockScan(temp).InclusiveScan(s, s, Combine<Op>{}, total);
      s = Op::combine(carry, s);
      if (i < n) {
        out[r * n + i] = s.value;
        if (indices) indices[r * n + i] = s.index;
      }
      __syncthreads();  // every thread has read carry and temp
      if (threadIdx.x == 0) carry = Op::combine(carry, total);
      __syncthreads();
    }
  }
}

// Element i of the row as a scan state (the input of cub::DeviceScan).
template <typename T>
struct StateAt {
  const T* x;
  __device__ ScanState<T> operator()(int64_t i) const { return {x[i], i}; }
};

template <typename T>
__global__ void split_states_kernel(T* out, int64_t* indices, const ScanState<T>* states, int64_t n) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    out[i] = states[i].value;
    if (indices) indices[i] = states[i].index;
  }
}

template <typename T, typename Op>
void scan_typed(const Tensor& out, const Tensor& indices, const Tensor& in, int64_t dim) {
  const DimSplit g = split_at_dim(in.sizes(), dim);
  T* o = out.data_ptr<T>();
  int64_t* idx = indices.defined() ? indices.data_ptr<int64_t>() : nullptr;
  const T* x = in.data_ptr<T>();
  if (g.inner > 1) {
    scan_columns_kernel<T, Op><<<blocks_for(g.outer * g.inner), kThreads>>>(o, idx, x, g);
  } else if (g.outer == 1 && g.n >= 16 * kThreads) {
    const auto states = thrust::transform_iterator<StateAt<T>, thrust::counting_iterator<int64_t>, ScanState<T>>(
        thrust::counting_iterator<int64_t>(0), StateAt<T>{x});
    DeviceBuffer result(in.device(), static_cast<size_t>(g.n) * sizeof(ScanState<T>));
    size_t temp_bytes = 0;
    check(cub::DeviceScan::InclusiveScan(nullptr, temp_bytes, states, result.as<ScanState<T>>(), Combine<Op>{}, g.n),
          "cub::DeviceScan::InclusiveScan");
    DeviceBuffer temp(in.device(), temp_bytes);
    check(cub::DeviceScan::InclusiveScan(temp.as<void>(), temp_bytes, states, result.as<ScanState<T>>(), Combine<Op>{},
                                         g.n),
          "cub::DeviceScan::InclusiveScan");
    split_states_kernel<T><<<blocks_for(g.n), kThreads>>>(o, idx, result.as<ScanState<T>>(), g.n);
  } else {
    scan_rows_kernel<T, Op><<<grid_blocks(g.outer), kThreads>>>(o, idx, x, g.outer, g.n);
  }
  check(cudaGetLastError(), "scan");
}

// Orders the flat keys row * n + i of [outer, n, inner] (row = o * inner + j)
// by row, then by the sort order of the elements.
template <typename T>
struct RowOrder {
  const T* x;
  int64_t n, inner;
  bool descending;
  __device__ T at(int64_t key) const {
    const int64_t row = key / n, i = key % n;
    return x[(row / inner) * n * inner + i * inner + row % inner];
  }
  __device__ bool operator()(int64_t a, int64_t b) const {
    const int64_t ra = a / n, rb = b / n;
    if (ra != rb) return ra < rb;
    return scan_math::sort_before(at(a), a % n, at(b), b % n, descending);
  }
};

__global__ void iota_kernel(int64_t* keys, int64_t n) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) keys[i] = i;
}

// values/indices [outer, k, inner] from the sorted keys of each row.
template <typename T>
__global__ void take_first_kernel(T* values, int64_t* indices, const int64_t* keys, RowOrder<T> order, int64_t k,
                                  int64_t total) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    const int64_t o = e / (k * order.inner), i = (e / order.inner) % k, j = e % order.inner;
    const int64_t key = keys[(o * order.inner + j) * order.n + i];
    values[e] = order.at(key);
    indices[e] = key % order.n;
  }
}

template <typename T>
void sort_typed(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t dim, bool descending) {
  const DimSplit g = split_at_dim(in.sizes(), dim);
  const int64_t total = in.numel(), k = values.size(dim);
  const RowOrder<T> order{in.data_ptr<T>(), g.n, g.inner, descending};
  DeviceBuffer keys(in.device(), static_cast<size_t>(total) * sizeof(int64_t));
  iota_kernel<<<blocks_for(total), kThreads>>>(keys.as<int64_t>(), total);
  check(cudaGetLastError(), "sort");
  size_t temp_bytes = 0;
  check(cub::DeviceMergeSort::SortKeys(nullptr, temp_bytes, keys.as<int64_t>(), total, order),
        "cub::DeviceMergeSort::SortKeys");
  DeviceBuffer temp(in.device(), temp_bytes);
  check(cub::DeviceMergeSort::SortKeys(temp.as<void>(), temp_bytes, keys.as<int64_t>(), total, order),
        "cub::DeviceMergeSort::SortKeys");
  take_first_kernel<T><<<blocks_for(values.numel()), kThreads>>>(values.data_ptr<T>(), indices.data_ptr<int64_t>(),
                                                                  keys.as<int64_t>(), order, k, values.numel());
  check(cudaGetLastError(), "sort");
}

}  // namespace

void scan(ScanOp op, const Tensor& out, const Tensor& indices, const Tensor& in, int64_t dim) {
  if (in.numel() == 0) return;
  DeviceGuard guard(in.device());
  scan_math::dispatch_scan(op, in.dtype(), [&]<typename T, typename Op>() { scan_typed<T, Op>(out, indices, in, dim); });
}

void sort(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t dim, bool descending) {
  if (values.numel() == 0) return;
  DeviceGuard guard(in.device());
  dispatch_dtype(in.dtype(), "sort", [&]<typename T>() { sort_typed<T>(values, indices, in, dim, descending); });
}

}  // namespace wick::cuda
