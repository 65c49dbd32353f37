// CUDA kernels of softmax and log_softmax, forward and backward, along any dim
// of a contiguous tensor seen as [outer, n, inner] (n the softmax dim), with
// the CPU kernel's semantics (backends/cpu/softmax.cpp) and the element math
// of backends/softmax_math.h.
//
// A row is the n elements of one (outer, inner) pair, at stride inner. The
// forward reads a row once for its max and sum (Note [Online softmax
// statistics]) and once more to write it; the backward reads it once for
// sum(g * y) (or sum(g)) and once to write. Three shapes of work:
//  - inner > 1 with many rows (or very short rows): one thread per row;
//    neighbouring threads take neighbouring columns, so reads coalesce;
//  - rows up to 1024 elements: one warp per row, eight rows per block;
//  - longer rows: one block per row.
// The reductions are trees fixed by the sizes, so runs repeat bit for bit.
#include <algorithm>
#include <cmath>
#include <initializer_list>

#include "backends/cuda/block_reduce.cuh"
#include "backends/cuda/cuda_utils.h"
#include "backends/dim_split.h"
#include "backends/softmax_math.h"

namespace wick::cuda {

namespace {

using softmax_math::SoftmaxStats;

// The forward as a row operation: a state per row (add, combine), the
// constants derived from it (finish), and the element written (value).
template <typename T, bool Log>
struct Forward {
  const T* x;
  T* y;
  using State = SoftmaxStats<T>;
  struct Consts {
    T max, k;  // k: 1 / sum for softmax, log(sum) for log_softmax
  };
  __device__ State init() const { return {}; }
  __device__ void add(State& s, int64_t at) const { s.add(x[at]); }
  __device__ static State combine(State a, State b) { return State::merge(a, b); }
  __device__ Consts finish(const State& s) const {
    const T sum = s.total();
    return {s.max, Log ? std::log(sum) : T(1) / sum};
  }
  __device__ void write(const Consts& c, int64_t at) const {
    y[at] = Log ? softmax_math::log_softmax_value(x[at], c.max, c.k) : softmax_math::softmax_value(x[at], c.max, c.k);
  }
};

template <typename T, bool Log>
struct Backward {
  T* gx;
  const T* g;
  const T* y;
  using State = T;
  using Consts = T;
  __device__ State init() const { return T(0); }
  __device__ void add(State& s, int64_t at) const { s += Log ? g[at] : g[at] * y[at]; }
  __device__ static State combine(State a, State b) { return a + b; }
  __device__ Consts finish(const State& s) const { return s; }
  __device__ void write(const Consts& c, int64_t at) const {
    gx[at] = Log ? softmax_math::log_softmax_grad(g[at], y[at], c) : softmax_math::softmax_grad(g[at], y[at], c);
  }
};

template <typename Op>
struct CombineState {
  __device__ typename Op::State operator()(typename Op::State a, typename Op::State b) const {
    return Op::combine(a, b);
  }
};

struct RowGeometry {
  int64_t rows, n, inner;
  // Offset of row q's first element.
  __device__ int64_t base(int64_t q) const {
    const int64_t o = q / inner;
    return o * n * inner + (q - o * inner);
  }
};

template <typename Op>
__global__ void softmax_thread_kernel(Op op, RowGeometry g) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t q = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; q < g.rows; q += step) {
    const int64_t base = g.base(q);
    typename Op::State s = op.init();
    for (int64_t i = 0; i < g.n; ++i) op.add(s, base + i * g.inner);
    const typename Op::Consts c = op.finish(s);
    for (int64_t i = 0; i < g.n; ++i) op.write(c, base + i * g.inner);
  }
}

constexpr int kWarpsPerBlock = 8;

// One warp per row; the warps of a block work independently (no block barrier).
template <typename Op>
__global__ void softmax_warp_kernel(Op op, RowGeometry g) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int64_t step = static_cast<int64_t>(gridDim.x) * kWarpsPerBlock;
  for (int64_t q = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + warp; q < g.rows; q += step) {
    const int64_t base = g.base(q);
    typename Op::State s = op.init();
    for (int64_t i = lane; i < g.n; i += 32) op.add(s, base + i * g.inner);
    s = shfl_from(warp_reduce(s, CombineState<Op>{}), 0);
    const typename Op::Consts c = op.finish(s);
    for (int64_t i = lane; i < g.n; i += 32) op.write(c, base + i * g.inner);
  }
}

// One block per row.
template <typename Op>
__global__ void softmax_block_kernel(Op op, RowGeometry g) {
  __shared__ typename Op::Consts shared;
  for (int64_t q = blockIdx.x; q < g.rows; q += gridDim.x) {
    const int64_t base = g.base(q);
    typename Op::State s = op.init();
    for (int64_t i = threadIdx.x; i < g.n; i += blockDim.x) op.add(s, base + i * g.inner);
    s = block_reduce(s, CombineState<Op>{});
    if (threadIdx.x == 0) shared = op.finish(s);
    __syncthreads();
    const typename Op::Consts c = shared;
    __syncthreads();  // before the next row's thread 0 overwrites it
    for (int64_t i = threadIdx.x; i < g.n; i += blockDim.x) op.write(c, base + i * g.inner);
  }
}

template <typename Op>
void launch_rows(const Op& op, const Tensor& t, int64_t dim, const char* name) {
  const DimSplit split = split_at_dim(t.sizes(), dim);
  const RowGeometry g{split.outer * split.inner, split.n, split.inner};
  DeviceGuard guard(t.device());
  if (g.inner > 1 && (g.rows >= 4096 || g.n <= 8)) {
    constexpr int kThreads = 256;
    softmax_thread_kernel<<<grid_blocks(g.rows, kThreads), kThreads>>>(op, g);
  } else if (g.n <= 1024) {
    softmax_warp_kernel<<<grid_blocks(g.rows, kWarpsPerBlock), 32 * kWarpsPerBlock>>>(op, g);
  } else {
    softmax_block_kernel<<<grid_blocks(g.rows), block_threads(g.n / 4, 1024)>>>(op, g);
  }
  check(cudaGetLastError(), name);
}

void check_operands(std::initializer_list<const Tensor*> ts, const char* name) {
  const Tensor& first = **ts.begin();
  for (const Tensor* t : ts) {
    WICK_CHECK(t->device() == first.device(), ValueError, name, ": expected all tensors on ", first.device(),
               ", got one on ", t->device());
    WICK_CHECK(t->sizes() == first.sizes() && t->dtype() == first.dtype() && t->is_contiguous(), ValueError, name,
               ": CUDA kernel expected contiguous operands of one shape and dtype, got ", t->sizes(), " ",
               t->dtype(), " and ", first.sizes(), " ", first.dtype());
  }
}

}  // namespace

void softmax(const Tensor& out, const Tensor& in, int64_t dim, bool log) {
  check_operands({&out, &in}, "softmax");
  if (in.numel() == 0) return;
  dispatch_floating(in.dtype(), "softmax", [&]<typename T>() {
    const T* x = static_cast<const T*>(in.raw_data());
    T* y = static_cast<T*>(out.raw_data());
    if (log) launch_rows(Forward<T, true>{x, y}, in, dim, "log_softmax");
    else launch_rows(Forward<T, false>{x, y}, in, dim, "softmax");
  });
}

void softmax_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& out, int64_t dim, bool log) {
  check_operands({&grad_in, &grad_out, &out}, "softmax_backward");
  if (out.numel() == 0) return;
  dispatch_floating(out.dtype(), "softmax_backward", [&]<typename T>() {
    T* gx = static_cast<T*>(grad_in.raw_data());
    const T* g = static_cast<const T*>(grad_out.raw_data());
    const T* y = static_cast<const T*>(out.raw_data());
    if (log) launch_rows(Backward<T, true>{gx, g, y}, out, dim, "log_softmax_backward");
    else launch_rows(Backward<T, false>{gx, g, y}, out, dim, "softmax_backward");
  });
}

}  // namespace wick::cuda
