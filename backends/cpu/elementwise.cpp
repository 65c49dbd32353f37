// CPU kernels of the elementwise families: fill, copy, unary, binary, where,
// arange and random.
#include <algorithm>
#include <limits>
#include <type_traits>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/loops.h"
#include "backends/cpu/vec_math.h"
#include "backends/convert_math.h"
#include "backends/index_math.h"
#include "backends/random_math.h"
#include "core/generator.h"
#include "core/pointwise.h"

namespace wick::cpu {

namespace {

// The float32 forms of the element functions that vec_math.h computes eight lanes at a time
// (Note [Vectorized float math]); V is float or f32x8. Each is the function of core/pointwise.h,
// which the other dtypes and the CUDA kernels run.
template <typename F>
struct VectorForm : std::false_type {};
template <>
struct VectorForm<pointwise::Exp> : std::true_type {
  template <typename V> WICK_ALWAYS_INLINE static V apply(const pointwise::Exp&, V x) { return exp_full_f32(x); }
};
template <>
struct VectorForm<pointwise::Expm1> : std::true_type {
  template <typename V> WICK_ALWAYS_INLINE static V apply(const pointwise::Expm1&, V x) { return expm1_full_f32(x); }
};
template <>
struct VectorForm<pointwise::Log1p> : std::true_type {
  template <typename V> WICK_ALWAYS_INLINE static V apply(const pointwise::Log1p&, V x) { return log1p_full_f32(x); }
};
template <>
struct VectorForm<pointwise::Tanh> : std::true_type {
  template <typename V> WICK_ALWAYS_INLINE static V apply(const pointwise::Tanh&, V x) { return tanh_full_f32(x); }
};
template <>
struct VectorForm<pointwise::Sigmoid> : std::true_type {
  template <typename V> WICK_ALWAYS_INLINE static V apply(const pointwise::Sigmoid&, V x) { return sigmoid_full_f32(x); }
};
template <>
struct VectorForm<pointwise::Silu> : std::true_type {
  template <typename V> WICK_ALWAYS_INLINE static V apply(const pointwise::Silu&, V x) { return x * sigmoid_full_f32(x); }
};
template <>
struct VectorForm<pointwise::Elu> : std::true_type {
  template <typename V> WICK_ALWAYS_INLINE static V apply(const pointwise::Elu& f, V x) {
    const V negative = expm1_full_f32(x * float(f.input_scale)) * float(f.alpha * f.scale);
    return x > splat<V>(0.0f) ? x * float(f.scale) : negative;
  }
};
template <>
struct VectorForm<pointwise::Softplus> : std::true_type {  // x where beta x > threshold, as the scalar form
  template <typename V> WICK_ALWAYS_INLINE static V apply(const pointwise::Softplus& f, V x) {
    const V z = x * float(f.beta);
    return z > splat<V>(float(f.threshold)) ? x : softplus_stable_f32(z) / float(f.beta);
  }
};
template <>
struct VectorForm<pointwise::LogSigmoid> : std::true_type {  // log(sigmoid(x)) = -softplus(-x)
  template <typename V> WICK_ALWAYS_INLINE static V apply(const pointwise::LogSigmoid&, V x) {
    return -softplus_stable_f32(-x);
  }
};

template <>
struct VectorForm<pointwise::Erf> : std::true_type {
  template <typename V> WICK_ALWAYS_INLINE static V apply(const pointwise::Erf&, V x) { return erf_full_f32(x); }
};
template <>
struct VectorForm<pointwise::Gelu> : std::true_type {
  template <typename V> WICK_ALWAYS_INLINE static V apply(const pointwise::Gelu&, V x) { return gelu_full_f32(x); }
};
template <>
struct VectorForm<pointwise::GeluTanh> : std::true_type {  // the scalar form's formula, with vec_math's tanh
  template <typename V> WICK_ALWAYS_INLINE static V apply(const pointwise::GeluTanh&, V x) {
    const float k = float(pointwise::GeluTanh::kSqrt2OverPi), c = float(pointwise::GeluTanh::kCubic);
    return 0.5f * x * (1.0f + tanh_full_f32(k * (x + c * x * x * x)));
  }
};

// One row of a float32 unary op with a VectorForm, eight lanes at a time: a contiguous row straight from
// memory, the rest (its tail, a strided row) through a buffer of eight, so that every element goes through
// the same instructions whatever the tensor's layout.
template <typename F>
WICK_VECTOR_CLONES void vector_row(const F& f, char* out, const char* in, int64_t out_stride, int64_t in_stride,
                                   int64_t n) {
  int64_t i = 0;
  if (out_stride == sizeof(float) && in_stride == sizeof(float)) {
    float* o = reinterpret_cast<float*>(out);
    const float* x = reinterpret_cast<const float*>(in);
    for (; i + 8 <= n; i += 8) store8(o + i, VectorForm<F>::apply(f, load8(x + i)));
  }
  for (; i < n; i += 8) {
    const int64_t k = std::min<int64_t>(8, n - i);
    float buffer[8] = {};
    for (int64_t j = 0; j < k; ++j) buffer[j] = *reinterpret_cast<const float*>(in + (i + j) * in_stride);
    const f32x8 y = VectorForm<F>::apply(f, load8(buffer));
    for (int64_t j = 0; j < k; ++j) *reinterpret_cast<float*>(out + (i + j) * out_stride) = y[j];
  }
}

// The same for the activations' backward functions, (g, x) -> g f'(x).
template <typename F>
struct BinaryVectorForm : std::false_type {};
template <>
struct BinaryVectorForm<pointwise::EluGrad> : std::true_type {
  template <typename V> WICK_ALWAYS_INLINE static V apply(const pointwise::EluGrad& f, V g, V x) {
    const V negative = g * (exp_full_f32(x * float(f.input_scale)) * float(f.alpha * f.scale * f.input_scale));
    return x <= splat<V>(0.0f) ? negative : g * float(f.scale);
  }
};
template <>
struct BinaryVectorForm<pointwise::SiluGrad> : std::true_type {
  template <typename V> WICK_ALWAYS_INLINE static V apply(const pointwise::SiluGrad&, V g, V x) {
    const V s = sigmoid_full_f32(x);
    return g * (s * (1.0f + x * (1.0f - s)));
  }
};
template <>
struct BinaryVectorForm<pointwise::GeluGrad> : std::true_type {
  template <typename V> WICK_ALWAYS_INLINE static V apply(const pointwise::GeluGrad&, V g, V x) {
    const V pdf = exp_full_f32(-0.5f * (x * x)) * 0.3989422804014327f;
    return g * (0.5f * two_phi_f32(x) + x * pdf);
  }
};
template <>
struct BinaryVectorForm<pointwise::GeluTanhGrad> : std::true_type {
  template <typename V> WICK_ALWAYS_INLINE static V apply(const pointwise::GeluTanhGrad&, V g, V x) {
    const float k = float(pointwise::GeluTanh::kSqrt2OverPi), c = float(pointwise::GeluTanh::kCubic);
    const V x2 = x * x;
    const V th = tanh_full_f32(k * (x + c * x2 * x));
    const V left = 0.5f * (1.0f + th);
    const V right = 0.5f * x * (1.0f - th * th) * k * (1.0f + 3.0f * c * x2);
    return g * (left + right);
  }
};
template <>
struct BinaryVectorForm<pointwise::SoftplusGrad> : std::true_type {
  template <typename V> WICK_ALWAYS_INLINE static V apply(const pointwise::SoftplusGrad& f, V g, V x) {
    const V z = x * float(f.beta);
    return z > splat<V>(float(f.threshold)) ? g : g * sigmoid_full_f32(z);
  }
};
template <>
struct BinaryVectorForm<pointwise::LogSigmoidGrad> : std::true_type {
  template <typename V> WICK_ALWAYS_INLINE static V apply(const pointwise::LogSigmoidGrad&, V g, V x) {
    return g * sigmoid_full_f32(-x);
  }
};
template <>
struct BinaryVectorForm<pointwise::MishGrad> : std::true_type {  // MishGrad's formula, with vec_math's exp
  template <typename V> WICK_ALWAYS_INLINE static V apply(const pointwise::MishGrad&, V g, V x) {
    const V e = exp_full_f32(x);
    const V n = e * (e + 2.0f);
    const V t = n / (n + 2.0f);
    const V d = g * (t + x * (e / (1.0f + e)) * (1.0f - t * t));
    return x > splat<V>(20.0f) ? g : d;
  }
};

// One row of a float32 binary function with a BinaryVectorForm, as vector_row.
template <typename F>
WICK_VECTOR_CLONES void vector_row2(const F& f, char* out, const char* a, const char* b, int64_t out_stride,
                                    int64_t a_stride, int64_t b_stride, int64_t n) {
  int64_t i = 0;
  if (out_stride == sizeof(float) && a_stride == sizeof(float) && b_stride == sizeof(float)) {
    float* o = reinterpret_cast<float*>(out);
    const float* x = reinterpret_cast<const float*>(a);
    const float* y = reinterpret_cast<const float*>(b);
    for (; i + 8 <= n; i += 8) store8(o + i, BinaryVectorForm<F>::apply(f, load8(x + i), load8(y + i)));
  }
  for (; i < n; i += 8) {
    const int64_t k = std::min<int64_t>(8, n - i);
    float xs[8] = {}, ys[8] = {};
    for (int64_t j = 0; j < k; ++j) {
      xs[j] = *reinterpret_cast<const float*>(a + (i + j) * a_stride);
      ys[j] = *reinterpret_cast<const float*>(b + (i + j) * b_stride);
    }
    const f32x8 r = BinaryVectorForm<F>::apply(f, load8(xs), load8(ys));
    for (int64_t j = 0; j < k; ++j) *reinterpret_cast<float*>(out + (i + j) * out_stride) = r[j];
  }
}

// The kernels of one element function F (core/pointwise.h), for every dtype F takes.
template <typename F>
struct UnaryKernel {
  static void run(const void* f, const Tensor& out, const Tensor& in) {
    const F& fn = *static_cast<const F*>(f);
    if constexpr (VectorForm<F>::value) {
      if (in.dtype() == ScalarType::Float32 && out.dtype() == ScalarType::Float32) {
        StridedLoop<2> loop({&out, &in});
        loop.run([&](char** p, const int64_t* s, int64_t n) { vector_row(fn, p[0], p[1], s[0], s[1], n); });
        return;
      }
    }
    dispatch_pointwise<F>(in.dtype(), [&]<typename T>() { unary_loop<pointwise::UnaryResult<F, T>, T>(out, in, fn); });
  }
};
template <typename F>
struct BinaryKernel {
  static void run(const void* f, const Tensor& out, const Tensor& a, const Tensor& b) {
    const F& fn = *static_cast<const F*>(f);
    if constexpr (BinaryVectorForm<F>::value) {
      if (a.dtype() == ScalarType::Float32 && b.dtype() == ScalarType::Float32 && out.dtype() == ScalarType::Float32) {
        StridedLoop<3> loop({&out, &a, &b});
        loop.run([&](char** p, const int64_t* s, int64_t n) { vector_row2(fn, p[0], p[1], p[2], s[0], s[1], s[2], n); });
        return;
      }
    }
    dispatch_pointwise<F>(a.dtype(), [&]<typename T>() { binary_loop<pointwise::BinaryResult<F, T>, T, T>(out, a, b, fn); });
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
