// Scalar functions whose exact semantics both backends must share: Python's
// floor division and modulo, and integer powers. One definition, compiled for
// the host and, under nvcc, for the GPU too.
#pragma once

#include <cmath>
#include <type_traits>

#ifdef __CUDACC__
#define WICK_HOST_DEVICE __host__ __device__
#else
#define WICK_HOST_DEVICE
#endif

namespace wick::scalar {

#ifdef __CUDACC__
using ::floor;  // CUDA's host/device overloads
using ::fmod;
#else
using std::floor;
using std::fmod;
#endif

// Python's a % b: the remainder takes the divisor's sign.
template <typename T>
WICK_HOST_DEVICE T python_mod(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    T r = fmod(a, b);
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
  } else if constexpr (std::is_unsigned_v<T>) {
    return a % b;
  } else {
    if (b == -1) return 0;  // INT_MIN % -1 would trap
    T r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
  }
}

// Python's a // b: rounds toward negative infinity.
template <typename T>
WICK_HOST_DEVICE T python_floordiv(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    return floor(a / b);
  } else if constexpr (std::is_unsigned_v<T>) {
    return a / b;
  } else {
    if (b == -1) return static_cast<T>(-static_cast<std::make_unsigned_t<T>>(a));  // INT_MIN / -1 would trap
    T q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
  }
}

// base ** exp for integers, by squaring; negative powers as PyTorch: 1 ** -n
// is 1, (-1) ** -n is +-1, anything else is 0.
template <typename T>
WICK_HOST_DEVICE T int_pow(T base, T exp) {
  if constexpr (std::is_signed_v<T>) {
    if (exp < 0) return base == 1 ? 1 : (base == -1 ? ((exp & 1) ? -1 : 1) : 0);
  }
  T result = 1;
  while (exp) {
    if (exp & 1) result = static_cast<T>(result * base);
    exp >>= 1;
    base = static_cast<T>(base * base);
  }
  return result;
}

}  // namespace wick::scalar
