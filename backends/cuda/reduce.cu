// CUDA reduction kernel: sum, prod, max, min (with positions), argmax, argmin,
// any, all over any set of dims of a strided tensor, with the CPU kernel's
// semantics (backends/cpu/reduce.cpp): accumulation in the input's dtype, the
// combine steps of backends/reduce_math.h (NaN wins in max/min, the first
// position of the extreme value), and an empty reduction giving the identity.
//
// Note [CUDA reduction strategy]
// The reduced dims are walked as if innermost: each output element o has a
// base offset (its kept dims) and reduces positions r = 0..reduced-1 (its
// reduced dims, row-major, merged where contiguous). Three shapes of work:
//  - few elements per output (<= 16), or a reduction over outer dims with
//    many outputs whose innermost kept dim is contiguous (the bias gradient:
//    sum over the batch of [R, K]): one thread per output, neighbouring
//    threads reading neighbouring memory, combining its positions in blocks
//    of kRowBlock (the CPU outer order's cascade);
//  - otherwise one block per output (32 to 512 threads by the extent): each
//    thread scans positions tid, tid + blockDim, ... in order, then the block
//    combines the threads' states (warp shuffles, then shared memory);
//  - when there are too few outputs to fill the GPU and each is long (a full
//    sum), each output's positions are split into `chunks` contiguous ranges,
//    one block each, whose states go to a scratch buffer that a second kernel
//    combines, in chunk order, per output.
// No atomics: the combining order depends only on the sizes, so a run repeats
// bit for bit.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "backends/cuda/block_reduce.cuh"
#include "backends/cuda/cuda_utils.h"
#include "backends/cuda/elementwise_plan.h"
#include "backends/reduce_math.h"

namespace wick::cuda {

namespace {

using reduce_math::ArgState;

// The layout of a reduction in elements, built on the host and passed to the
// kernels by value; dims innermost first.
struct ReducePlan {
  int n_kept = 0, n_red = 0;
  int64_t outputs = 1, reduced = 1;
  int64_t kept_sizes[kMaxDims] = {}, kept_in[kMaxDims] = {}, kept_out[kMaxDims] = {}, kept_idx[kMaxDims] = {};
  int64_t red_sizes[kMaxDims] = {}, red_in[kMaxDims] = {};

  // Input, output and index offsets of output element o (row-major over the kept dims).
  __device__ void locate(int64_t o, int64_t& in_off, int64_t& out_off, int64_t& idx_off) const {
    in_off = out_off = idx_off = 0;
    for (int d = 0; d < n_kept; ++d) {
      const int64_t next = o / kept_sizes[d];
      const int64_t i = o - next * kept_sizes[d];
      o = next;
      in_off += i * kept_in[d];
      out_off += i * kept_out[d];
      idx_off += i * kept_idx[d];
    }
  }
  // Input offset of reduced position r from an output's base. The outermost
  // dim takes what is left of r, so one reduced dim costs no division.
  __device__ int64_t red_offset(int64_t r) const {
    int64_t off = 0;
    for (int d = 0; d + 1 < n_red; ++d) {
      const int64_t next = r / red_sizes[d];
      off += (r - next * red_sizes[d]) * red_in[d];
      r = next;
    }
    return n_red > 0 ? off + r * red_in[n_red - 1] : off;
  }
};

// As the CPU's Geometry: size-1 dims dropped, a reduced dim merged into the
// previous reduced one when contiguous with it (so positions along a single
// dim stay positions).
ReducePlan make_reduce_plan(const Tensor& in, const Tensor& out, const Tensor& indices, IntArrayRef dims) {
  ReducePlan p;
  std::vector<bool> reduced(static_cast<size_t>(in.dim()), false);
  for (int64_t d : dims) reduced[static_cast<size_t>(d)] = true;
  DimVector ks, ki, ko, kx, rs, ri;  // outermost first
  for (int64_t d = 0; d < in.dim(); ++d) {
    const int64_t size = in.sizes()[d];
    if (reduced[static_cast<size_t>(d)]) {
      p.reduced *= size;
      if (size == 1) continue;
      if (!rs.empty() && ri.back() == in.strides()[d] * size) {
        rs.back() *= size;
        ri.back() = in.strides()[d];
      } else {
        rs.push_back(size);
        ri.push_back(in.strides()[d]);
      }
    } else {
      p.outputs *= size;
      if (size == 1) continue;
      ks.push_back(size);
      ki.push_back(in.strides()[d]);
      ko.push_back(out.defined() ? out.strides()[d] : 0);
      kx.push_back(indices.defined() ? indices.strides()[d] : 0);
    }
  }
  WICK_CHECK(ks.size() <= static_cast<size_t>(kMaxDims) && rs.size() <= static_cast<size_t>(kMaxDims),
             NotImplementedError, "reduce: CUDA kernels take at most ", kMaxDims,
             " kept and reduced dimensions, got a tensor of shape ", in.sizes());
  p.n_kept = static_cast<int>(ks.size());
  p.n_red = static_cast<int>(rs.size());
  for (int d = 0; d < p.n_kept; ++d) {
    const size_t s = ks.size() - 1 - static_cast<size_t>(d);
    p.kept_sizes[d] = ks[s];
    p.kept_in[d] = ki[s];
    p.kept_out[d] = ko[s];
    p.kept_idx[d] = kx[s];
  }
  for (int d = 0; d < p.n_red; ++d) {
    const size_t s = rs.size() - 1 - static_cast<size_t>(d);
    p.red_sizes[d] = rs[s];
    p.red_in[d] = ri[s];
  }
  return p;
}

// A reduction's per-thread state and its steps: values (Op of reduce_math.h)...
template <typename T, typename Op>
struct ValueReduce {
  using State = T;
  __device__ static State init() { return Op::init(); }
  __device__ static State load(T x, int64_t) { return x; }
  __device__ static State combine(State a, State b) { return Op::combine(a, b); }
  __device__ static void store(State s, T* out, int64_t*, int64_t out_off, int64_t) { out[out_off] = s; }
};
// ... or values with positions (Note [Positions of max and min]).
template <typename T, bool IsMax>
struct ArgReduce {
  using State = ArgState<T>;
  __device__ static State init() { return {T(), -1}; }
  __device__ static State load(T x, int64_t r) { return {x, r}; }
  __device__ static State combine(State a, State b) { return reduce_math::arg_combine<IsMax>(a, b); }
  __device__ static void store(State s, T* out, int64_t* idx, int64_t out_off, int64_t idx_off) {
    if (out) out[out_off] = s.value;
    if (idx) idx[idx_off] = s.index;
  }
};

template <typename R>
struct CombineOf {
  __device__ typename R::State operator()(typename R::State a, typename R::State b) const { return R::combine(a, b); }
};

// Positions a thread combines before adding them to its result (as the CPU's
// outer order does): a float sum's rounding error then grows with
// reduced / kRowBlock + kRowBlock, not with reduced.
constexpr int64_t kRowBlock = 128;

// One thread per output, scanning its positions in order.
template <typename T, typename R>
__global__ void reduce_thread_kernel(ReducePlan plan, const T* in, T* out, int64_t* idx) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; o < plan.outputs; o += step) {
    int64_t in_off, out_off, idx_off;
    plan.locate(o, in_off, out_off, idx_off);
    typename R::State acc = R::init();
    for (int64_t r0 = 0; r0 < plan.reduced; r0 += kRowBlock) {
      const int64_t r1 = r0 + kRowBlock < plan.reduced ? r0 + kRowBlock : plan.reduced;
      typename R::State block = R::init();
      for (int64_t r = r0; r < r1; ++r) block = R::combine(block, R::load(in[in_off + plan.red_offset(r)], r));
      acc = R::combine(acc, block);
    }
    R::store(acc, out, idx, out_off, idx_off);
  }
}

// One block per (output, chunk): work item w is output w / chunks, chunk
// w % chunks. With one chunk the block writes the result, else its state to
// partial[w].
template <typename T, typename R>
__global__ void reduce_block_kernel(ReducePlan plan, const T* in, T* out, int64_t* idx, int64_t chunks,
                                    typename R::State* partial) {
  const int64_t items = plan.outputs * chunks;
  for (int64_t w = blockIdx.x; w < items; w += gridDim.x) {  // uniform per block: block_reduce may sync
    const int64_t o = w / chunks, c = w - o * chunks;
    const int64_t begin = plan.reduced * c / chunks, end = plan.reduced * (c + 1) / chunks;
    int64_t in_off, out_off, idx_off;
    plan.locate(o, in_off, out_off, idx_off);
    typename R::State acc = R::init();
    for (int64_t r = begin + threadIdx.x; r < end; r += blockDim.x)
      acc = R::combine(acc, R::load(in[in_off + plan.red_offset(r)], r));
    acc = block_reduce(acc, CombineOf<R>{});
    if (threadIdx.x == 0) {
      if (partial) partial[w] = acc;
      else R::store(acc, out, idx, out_off, idx_off);
    }
  }
}

// Combines each output's `chunks` partial states (one block per output).
template <typename T, typename R>
__global__ void reduce_partials_kernel(ReducePlan plan, const typename R::State* partial, int64_t chunks, T* out,
                                       int64_t* idx) {
  for (int64_t o = blockIdx.x; o < plan.outputs; o += gridDim.x) {
    typename R::State acc = R::init();
    for (int64_t c = threadIdx.x; c < chunks; c += blockDim.x) acc = R::combine(acc, partial[o * chunks + c]);
    acc = block_reduce(acc, CombineOf<R>{});
    if (threadIdx.x == 0) {
      int64_t in_off, out_off, idx_off;
      plan.locate(o, in_off, out_off, idx_off);
      R::store(acc, out, idx, out_off, idx_off);
    }
  }
}

// Positions per block below which a long reduction is not split further, and
// the blocks a split aims for.
constexpr int64_t kChunkMin = 4096, kTargetBlocks = 1024, kMaxChunks = 1024;

template <typename T, typename R>
void launch_reduce(const ReducePlan& plan, const Tensor& out, const Tensor& indices, const Tensor& in) {
  const T* src = static_cast<const T*>(in.raw_data());
  T* dst = out.defined() ? static_cast<T*>(out.raw_data()) : nullptr;
  int64_t* pos = indices.defined() ? static_cast<int64_t*>(indices.raw_data()) : nullptr;
  const bool outer_reduction =
      plan.n_red > 0 && plan.red_in[0] != 1 && plan.n_kept > 0 && plan.kept_in[0] == 1 && plan.outputs >= 4096;
  if (plan.reduced <= 16 || outer_reduction) {
    constexpr int kThreads = 256;
    reduce_thread_kernel<T, R><<<grid_blocks(plan.outputs, kThreads), kThreads>>>(plan, src, dst, pos);
    check(cudaGetLastError(), "reduce");
    return;
  }
  int64_t chunks = 1;
  if (plan.outputs < kTargetBlocks && plan.reduced >= 2 * kChunkMin)
    chunks = std::clamp<int64_t>(std::min(plan.reduced / kChunkMin, kTargetBlocks / plan.outputs), 1, kMaxChunks);
  const int threads = block_threads((plan.reduced + chunks - 1) / chunks, 512);
  if (chunks == 1) {
    reduce_block_kernel<T, R><<<grid_blocks(plan.outputs), threads>>>(plan, src, dst, pos, 1, nullptr);
    check(cudaGetLastError(), "reduce");
    return;
  }
  using State = typename R::State;
  DeviceBuffer partial(in.device(), static_cast<size_t>(plan.outputs * chunks) * sizeof(State));
  reduce_block_kernel<T, R>
      <<<grid_blocks(plan.outputs * chunks), threads>>>(plan, src, dst, pos, chunks, partial.as<State>());
  check(cudaGetLastError(), "reduce");
  reduce_partials_kernel<T, R>
      <<<grid_blocks(plan.outputs), block_threads(chunks, 256)>>>(plan, partial.as<State>(), chunks, dst, pos);
  check(cudaGetLastError(), "reduce");
}

}  // namespace

void reduce(ReduceOp op, const Tensor& out, const Tensor& indices, const Tensor& in, IntArrayRef dims) {
  const Tensor& first = out.defined() ? out : indices;
  WICK_CHECK(in.device() == first.device(), ValueError, "reduce: expected all tensors on ", in.device(),
             ", got one on ", first.device());
  if (first.numel() == 0) return;
  const ReducePlan plan = make_reduce_plan(in, out, indices, dims);
  DeviceGuard guard(in.device());
  using namespace reduce_math;
  switch (op) {
    case ReduceOp::Any:
      return launch_reduce<bool, ValueReduce<bool, AnyOp>>(plan, out, indices, in);
    case ReduceOp::All:
      return launch_reduce<bool, ValueReduce<bool, AllOp>>(plan, out, indices, in);
    case ReduceOp::Sum:
      return dispatch_dtype(in.dtype(), "sum", [&]<typename T>() {
        if constexpr (std::is_same_v<T, bool>) launch_reduce<bool, ValueReduce<bool, AnyOp>>(plan, out, indices, in);
        else launch_reduce<T, ValueReduce<T, SumOp<T>>>(plan, out, indices, in);
      });
    case ReduceOp::Prod:
      return dispatch_dtype(in.dtype(), "prod", [&]<typename T>() {
        if constexpr (std::is_same_v<T, bool>) launch_reduce<bool, ValueReduce<bool, AllOp>>(plan, out, indices, in);
        else launch_reduce<T, ValueReduce<T, ProdOp<T>>>(plan, out, indices, in);
      });
    case ReduceOp::Max:
    case ReduceOp::Min:
    case ReduceOp::ArgMax:
    case ReduceOp::ArgMin: {
      const bool is_max = op == ReduceOp::Max || op == ReduceOp::ArgMax;
      if (indices.defined() || op == ReduceOp::ArgMax || op == ReduceOp::ArgMin) {
        WICK_CHECK(plan.n_red <= 1, Error, "cuda reduce: positions need a single reduced dim");
        const Tensor values = (op == ReduceOp::Max || op == ReduceOp::Min) ? out : Tensor();
        return dispatch_dtype(in.dtype(), "max/min", [&]<typename T>() {
          if (is_max) launch_reduce<T, ArgReduce<T, true>>(plan, values, indices, in);
          else launch_reduce<T, ArgReduce<T, false>>(plan, values, indices, in);
        });
      }
      return dispatch_dtype(in.dtype(), "max/min", [&]<typename T>() {
        if (is_max) launch_reduce<T, ValueReduce<T, MaxOp<T>>>(plan, out, indices, in);
        else launch_reduce<T, ValueReduce<T, MinOp<T>>>(plan, out, indices, in);
      });
    }
  }
}

}  // namespace wick::cuda
