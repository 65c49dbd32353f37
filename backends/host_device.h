// WICK_MATH_INLINE: for the per-element math that backends/*_math.h shares
// between the CPU loops and the CUDA kernels. On the host it is always
// inlined, so that a CPU loop calling it vectorizes as if the body were
// written in place, and is compiled inside the loop's vector clones
// (WICK_VECTOR_CLONES in backends/cpu/vec_math.h); nvcc makes it a
// __host__ __device__ __forceinline__ function.
#pragma once

#include "core/pointwise.h"

#if defined(__CUDACC__)
#define WICK_MATH_INLINE __host__ __device__ __forceinline__
#elif defined(__GNUC__)
#define WICK_MATH_INLINE inline __attribute__((always_inline))
#else
#define WICK_MATH_INLINE inline
#endif
