// CPU kernels of the elementwise families: fill, copy, unary, binary, where,
// arange and random.
#include <limits>
#include <type_traits>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/loops.h"
#include "backends/convert_math.h"
#include "backends/index_math.h"
#include "backends/random_math.h"
#include "core/generator.h"
#include "core/pointwise.h"

namespace wick::cpu {

namespace {

// The kernels of one element function F (core/pointwise.h), for every dtype F takes.
template <typename F>
struct UnaryKernel {
  static void run(const void* f, const Tensor& out, const Tensor& in) {
    dispatch_pointwise<F>(in.dtype(), [&]<typename T>() {
      unary_loop<pointwise::UnaryResult<F, T>, T>(out, in, *static_cast<const F*>(f));
    });
  }
};
template <typename F>
struct BinaryKernel {
  static void run(const void* f, const Tensor& out, const Tensor& a, const Tensor& b) {
    dispatch_pointwise<F>(a.dtype(), [&]<typename T>() {
      binary_loop<pointwise::BinaryResult<F, T>, T, T>(out, a, b, *static_cast<const F*>(f));
    });
  }
};

}  // namespace

void fill(const Tensor& dst, Scalar value) {
  dispatch_dtype(dst.dtype(), "fill", [&]<typename T>() {
    const T v = value.to<T>();
    StridedLoop<1> loop({&dst});
    loop.run([v](char** p, const int64_t* s, int64_t n) {
      if (s[0] == sizeof(T)) {
        T* o = reinterpret_cast<T*>(p[0]);
        for (int64_t i = 0; i < n; ++i) o[i] = v;
      } else {
        for (int64_t i = 0; i < n; ++i) *reinterpret_cast<T*>(p[0] + i * s[0]) = v;
      }
    });
  });
}

void copy(const Tensor& dst, const Tensor& src) {
  dispatch_dtype(dst.dtype(), "copy", [&]<typename D>() {
    dispatch_dtype(src.dtype(), "copy", [&]<typename S>() {
      unary_loop<D, S>(dst, src, [](S x) { return kernels::convert_value<D>(x); });  // Note [Float to integer conversion]
    });
  });
}

void unary(size_t op, const void* f, const Tensor& out, const Tensor& in) {
  static constexpr auto kKernels = pointwise_kernel_table<UnaryKernel>(pointwise::UnaryFunctions{});
  kKernels[op](f, out, in);
}

void binary(size_t op, const void* f, const Tensor& out, const Tensor& a, const Tensor& b) {
  static constexpr auto kKernels = pointwise_kernel_table<BinaryKernel>(pointwise::BinaryFunctions{});
  kKernels[op](f, out, a, b);
}

void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  dispatch_dtype(out.dtype(), "where", [&]<typename T>() {
    ternary_loop<T, bool, T, T>(out, cond, a, b, [](bool c, T x, T y) { return c ? x : y; });
  });
}

void arange(const Tensor& dst, double start, double step) {
  dispatch_dtype(dst.dtype(), "arange", [&]<typename T>() {
    T* o = dst.data_ptr<T>();
    parallel_for(dst.numel(), kParallelGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) o[i] = kernels::arange_value<T>(start, step, i);
    });
  });
}

void random(RandomOp op, const Tensor& dst, double a, double b, Generator& gen) {
  // Element i draws from Philox counter first + i (see core/generator.h), so
  // the values do not depend on how the loop is split across threads; its
  // value is random_value's, the CUDA kernel's too (Note [Random numbers
  // across devices] in backends/random_math.h).
  const uint64_t first = gen.reserve(static_cast<uint64_t>(dst.numel()));
  const uint64_t key = gen.initial_seed();
  dispatch_dtype(dst.dtype(), "random", [&]<typename T>() {
    T* o = dst.data_ptr<T>();  // ops/creation.cpp passes contiguous tensors
    parallel_for(dst.numel(), kParallelGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        o[i] = random_math::random_value<T>(op, a, b, philox4x32(key, first + static_cast<uint64_t>(i)));
    });
  });
}

}  // namespace wick::cpu
