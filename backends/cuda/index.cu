// CUDA kernels of the indexing family: index_select, gather, scatter (None,
// Add, Multiply) and index_add, with the semantics of backends/cpu/index.cpp.
//
// Each walks an iteration shape (out's for the selects, index's for scatter,
// src's for index_add), one thread per position, with three operands as on
// the CPU:
//   A  read or written at each position: out for the selects, src for the scatters;
//   B  the indexed operand (in, self), whose coordinate along dim is the index value;
//   I  the int64 index (stride 0 off dim for the 1-D index of index_select/index_add).
// The walk is an ElementwisePlan<3> in which B steps 0 along dim; the thread
// adds index * B's stride along dim. An index outside [0, size) is reported
// through the device error record (Note [Device-side index errors] in
// device_error.h) and its element skipped.
//
// The selects and the overwriting scatter only move bytes, so they are
// instantiated per element size, not per dtype. The accumulating scatters
// use atomics: atomicAdd where the hardware has it (float, double, int32,
// int64 as unsigned long long, whose wrap-around is two's complement's), a
// compare-and-swap loop otherwise (every Multiply; uint8 through its aligned
// 32-bit word), and for bool, whose "or" / "and" only ever store one value, a
// plain conditional store. The order in which repeated indices combine is
// therefore not the CPU's: sums of floats may differ in the last bits and an
// overwriting scatter keeps one of the values (PyTorch documents both).
#include <cstring>

#include "backends/cuda/device_error.h"
#include "backends/cuda/loops.cuh"
#include "backends/index_math.h"

namespace wick::cuda {

namespace {

struct IndexPlan {
  ElementwisePlan<3> walk;  // byte offsets of A, B (without dim) and I
  int64_t b_dim = 0;        // B's byte stride along dim
  int64_t dim = 0, bound = 1;
};

// t's strides (elements), or zeros for a 0-dim t standing in for a
// one-element 1-D tensor (and the reverse), as on the CPU.
DimVector strides_as(const Tensor& t, int64_t ndim) {
  if (t.dim() == ndim) return DimVector(t.strides());
  return DimVector(static_cast<size_t>(ndim), 0);
}

// Strides of a 1-D index vector read along dim of an ndim iteration shape.
DimVector vector_index_strides(const Tensor& index, int64_t ndim, int64_t dim) {
  DimVector s(static_cast<size_t>(ndim), 0);
  if (ndim > 0 && index.dim() == 1) s[dim] = index.strides()[0];
  return s;
}

// The plan over `shape` for the element strides a, b (its entry at dim
// ignored) and i, merging dims as make_plan does.
IndexPlan make_index_plan(IntArrayRef shape, int64_t dim, const Tensor& indexed, DimVector a, DimVector b,
                          const DimVector& i, int64_t elem, const char* op) {
  IndexPlan p;
  const int64_t nd = static_cast<int64_t>(shape.size());
  if (nd > 0) {
    p.b_dim = (indexed.dim() == 0 ? 0 : indexed.strides()[dim]) * elem;
    b[dim] = 0;
  }
  p.dim = dim;
  p.bound = indexed.dim() == 0 ? 1 : indexed.size(dim);
  const std::array<const DimVector*, 3> st{&a, &b, &i};
  const std::array<int64_t, 3> bytes{elem, elem, static_cast<int64_t>(sizeof(int64_t))};
  ElementwisePlan<3>& w = p.walk;
  int n = 0;
  for (int64_t d = nd - 1; d >= 0; --d) {
    const int64_t size = shape[d];
    if (size == 1) continue;
    bool merges = n > 0;
    for (int k = 0; k < 3 && merges; ++k) merges = (*st[k])[d] * bytes[k] == w.strides[k][n - 1] * w.sizes[n - 1];
    if (merges) {
      w.sizes[n - 1] *= size;
      continue;
    }
    WICK_CHECK(n < kMaxDims, NotImplementedError, op, ": CUDA kernels take at most ", kMaxDims,
               " dimensions that cannot be merged, got an iteration shape ", shape);
    w.sizes[n] = size;
    for (int k = 0; k < 3; ++k) w.strides[k][n] = (*st[k])[d] * bytes[k];
    ++n;
  }
  if (n == 0) {
    w.sizes[0] = 1;
    n = 1;
  }
  w.ndim = n;
  return p;
}

void check_index(const Tensor& index, const Tensor& like, const char* op) {
  WICK_CHECK(index.dtype() == ScalarType::Int64, TypeError, "cuda ", op, " kernel: expected an int64 index, got ",
             index.dtype());
  WICK_CHECK(index.device() == like.device(), ValueError, op, ": expected all tensors on ", like.device(),
             ", got the index on ", index.device());
}

// f<E>() for E an unsigned type of t's element size, for the kernels that only
// move bytes; t is first refused as the CPU kernels refuse it (dispatch_dtype).
template <typename F>
void dispatch_element_size(ScalarType t, const char* op, F&& f) {
  dispatch_dtype(t, op, [&]<typename>() {});
  const size_t size = itemsize(t);
  switch (size) {
    case 1: return f.template operator()<uint8_t>();
    case 2: return f.template operator()<uint16_t>();
    case 4: return f.template operator()<uint32_t>();
    case 8: return f.template operator()<uint64_t>();
    default: WICK_THROW(NotImplementedError, op, ": no CUDA kernel for elements of ", size, " bytes");
  }
}


// The index value at I's offset, or reports it and returns false.
__device__ inline bool load_index(const IndexPlan& p, const char* ix, int64_t off, DeviceError* err, DeviceErrorOp op,
                                  int64_t& j) {
  j = *reinterpret_cast<const int64_t*>(ix + off);
  if (kernels::index_in_bounds(j, p.bound)) return true;
  report_device_error(err, op, j, p.dim, p.bound);
  return false;
}

// A[pos] = B[pos with dim replaced by the index]; E is a type of the element size.
template <typename E>
__global__ void select_kernel(int64_t n, IndexPlan p, char* a, const char* b, const char* ix, DeviceError* err,
                              DeviceErrorOp op) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[3];
    p.walk.offsets(i, off);
    int64_t j;
    if (!load_index(p, ix, off[2], err, op, j)) continue;
    *reinterpret_cast<E*>(a + off[0]) = *reinterpret_cast<const E*>(b + off[1] + j * p.b_dim);
  }
}

// dst = scatter_combine<reduce>(dst, v), atomically against other threads.
template <ScatterReduce reduce, typename T>
__device__ inline void atomic_combine(T* dst, T v) {
  if constexpr (reduce == ScatterReduce::None) {
    *dst = v;
  } else if constexpr (std::is_same_v<T, bool>) {
    // or (Add) / and (Multiply): every thread that writes stores the same value.
    if (reduce == ScatterReduce::Add ? v : !v) *dst = v;
  } else if constexpr (reduce == ScatterReduce::Add && (std::is_same_v<T, float> || std::is_same_v<T, double> ||
                                                        std::is_same_v<T, int32_t>)) {
    atomicAdd(dst, v);
  } else if constexpr (reduce == ScatterReduce::Add && std::is_same_v<T, int64_t>) {
    atomicAdd(reinterpret_cast<unsigned long long*>(dst), static_cast<unsigned long long>(v));
  } else if constexpr (sizeof(T) == 1) {
    // The byte's aligned 32-bit word lies inside the allocation (cudaMalloc aligns to 256 bytes).
    const auto addr = reinterpret_cast<uintptr_t>(dst);
    auto* word = reinterpret_cast<unsigned int*>(addr & ~uintptr_t{3});
    const unsigned shift = static_cast<unsigned>(addr & 3) * 8;
    unsigned int old = *word, assumed;
    do {
      assumed = old;
      T cur;
      const auto cur_byte = static_cast<unsigned char>((assumed >> shift) & 0xffu);
      std::memcpy(&cur, &cur_byte, 1);
      const T next = kernels::scatter_combine<reduce>(cur, v);
      unsigned char next_byte;
      std::memcpy(&next_byte, &next, 1);
      const unsigned int replacement = (assumed & ~(0xffu << shift)) | (static_cast<unsigned int>(next_byte) << shift);
      old = atomicCAS(word, assumed, replacement);
    } while (old != assumed);
  } else {
    static_assert(sizeof(T) == 4 || sizeof(T) == 8);
    using U = std::conditional_t<sizeof(T) == 4, unsigned int, unsigned long long>;
    U* addr = reinterpret_cast<U*>(dst);
    U old = *addr, assumed;
    do {  // compares bits, so a NaN in dst ends the loop too
      assumed = old;
      T cur;
      std::memcpy(&cur, &assumed, sizeof(T));
      const T next = kernels::scatter_combine<reduce>(cur, v);
      U bits;
      std::memcpy(&bits, &next, sizeof(T));
      old = atomicCAS(addr, assumed, bits);
    } while (old != assumed);
  }
}

// B[pos with dim replaced by the index] (op)= A[pos].
template <typename T, ScatterReduce reduce>
__global__ void scatter_kernel(int64_t n, IndexPlan p, const char* a, char* b, const char* ix, DeviceError* err,
                               DeviceErrorOp op) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[3];
    p.walk.offsets(i, off);
    int64_t j;
    if (!load_index(p, ix, off[2], err, op, j)) continue;
    atomic_combine<reduce>(reinterpret_cast<T*>(b + off[1] + j * p.b_dim), *reinterpret_cast<const T*>(a + off[0]));
  }
}

// Launches a select (out = in indexed) over n positions.
void launch_select(const IndexPlan& p, int64_t n, const Tensor& out, const Tensor& in, const Tensor& index,
                   DeviceErrorOp op, const char* name) {
  const Device device = out.device();
  DeviceError* err = device_error_record(device);
  DeviceGuard guard(device);
  dispatch_element_size(out.dtype(), name, [&]<typename E>() {
    select_kernel<E><<<blocks_for(n), kThreads>>>(n, p, static_cast<char*>(out.raw_data()),
                                                  static_cast<const char*>(in.raw_data()),
                                                  static_cast<const char*>(index.raw_data()), err, op);
  });
  check(cudaGetLastError(), name);
  device_error_launched(device);
}

template <ScatterReduce reduce>
void launch_scatter(const IndexPlan& p, int64_t n, const Tensor& self, const Tensor& src, const Tensor& index,
                    DeviceErrorOp op, const char* name) {
  const Device device = self.device();
  DeviceError* err = device_error_record(device);
  DeviceGuard guard(device);
  auto run = [&]<typename T>() {
    scatter_kernel<T, reduce><<<blocks_for(n), kThreads>>>(n, p, static_cast<const char*>(src.raw_data()),
                                                           static_cast<char*>(self.raw_data()),
                                                           static_cast<const char*>(index.raw_data()), err, op);
  };
  if constexpr (reduce == ScatterReduce::None) dispatch_element_size(self.dtype(), name, run);
  else dispatch_dtype(self.dtype(), name, run);
  check(cudaGetLastError(), name);
  device_error_launched(device);
}

}  // namespace

void index_select(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index) {
  check_index(index, out, "index_select");
  check_dtype(in, out.dtype(), "index_select");
  if (out.numel() == 0) return;
  const int64_t nd = out.dim();
  const IndexPlan p = make_index_plan(out.sizes(), dim, in, DimVector(out.strides()), strides_as(in, nd),
                                      vector_index_strides(index, nd, dim), out.element_size(), "index_select");
  launch_select(p, out.numel(), out, in, index, DeviceErrorOp::IndexSelect, "index_select");
}

void gather(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index) {
  check_index(index, out, "gather");
  check_dtype(in, out.dtype(), "gather");
  if (out.numel() == 0) return;
  const int64_t nd = out.dim();
  const IndexPlan p = make_index_plan(out.sizes(), dim, in, DimVector(out.strides()), strides_as(in, nd),
                                      strides_as(index, nd), out.element_size(), "gather");
  launch_select(p, out.numel(), out, in, index, DeviceErrorOp::Gather, "gather");
}

void scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, ScatterReduce reduce) {
  check_index(index, self, "scatter");
  check_dtype(src, self.dtype(), "scatter");
  if (index.numel() == 0) return;
  const int64_t nd = index.dim();
  const IndexPlan p = make_index_plan(index.sizes(), dim, self, strides_as(src, nd), strides_as(self, nd),
                                      DimVector(index.strides()), self.element_size(), "scatter");
  const int64_t n = index.numel();
  switch (reduce) {
    case ScatterReduce::None:
      return launch_scatter<ScatterReduce::None>(p, n, self, src, index, DeviceErrorOp::Scatter, "scatter");
    case ScatterReduce::Add:
      return launch_scatter<ScatterReduce::Add>(p, n, self, src, index, DeviceErrorOp::Scatter, "scatter");
    case ScatterReduce::Multiply:
      return launch_scatter<ScatterReduce::Multiply>(p, n, self, src, index, DeviceErrorOp::Scatter, "scatter");
  }
}

void index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  check_index(index, self, "index_add");
  check_dtype(src, self.dtype(), "index_add");
  if (src.numel() == 0) return;
  const int64_t nd = src.dim();
  const IndexPlan p = make_index_plan(src.sizes(), dim, self, DimVector(src.strides()), strides_as(self, nd),
                                      vector_index_strides(index, nd, dim), self.element_size(), "index_add");
  launch_scatter<ScatterReduce::Add>(p, src.numel(), self, src, index, DeviceErrorOp::IndexAdd, "index_add");
}

}  // namespace wick::cuda
