// What converting one element from dtype S to dtype D means, the same on
// every device (the CPU's copy and the GPU's Convert both call it).
//
// Note [Float to integer conversion]
// - to bool: x != 0.
// - a floating value to uint8 goes through int64 and wraps, as in PyTorch
//   (c10's static_cast_with_inter_type): -1.5 becomes 255, -300.2 becomes 212.
//   A direct cast is undefined for values outside [0, 256): x86 happens to
//   wrap, a GPU saturates to 0.
// - a floating value outside a signed integer type's range (or NaN) becomes
//   that type's minimum (for uint8, int64's minimum, then wrapped: 0), which
//   is what x86's cvttsd2si gives and what PyTorch's CPU kernels produce; a
//   C++ cast would be undefined behaviour (UBSan's float-cast-overflow).
#pragma once

#include <cstdint>
#include <type_traits>

#include "core/pointwise.h"

namespace wick::kernels {

// x truncated toward zero to the signed integer I, or I's minimum when it
// does not fit (or is NaN): what x86's cvttsd2si gives.
template <typename I>
WICK_HOST_DEVICE inline I truncate_or_min(double x) {
  constexpr uint64_t kHalf = uint64_t{1} << (sizeof(I) * 8 - 1);  // 2^(bits - 1)
  constexpr I kMin = static_cast<I>(kHalf);                       // wraps to -2^(bits - 1)
  return x >= -static_cast<double>(kHalf) && x < static_cast<double>(kHalf) ? static_cast<I>(x) : kMin;
}

template <typename D, typename S>
WICK_HOST_DEVICE inline D convert_value(S x) {
  if constexpr (std::is_same_v<D, bool>) {
    return x != S(0);
  } else if constexpr (std::is_integral_v<D> && !std::is_integral_v<S>) {
    if constexpr (std::is_signed_v<D>) return truncate_or_min<D>(static_cast<double>(x));
    else return static_cast<D>(truncate_or_min<int64_t>(static_cast<double>(x)));  // uint8: wraps
  } else {
    return static_cast<D>(x);
  }
}

}  // namespace wick::kernels
