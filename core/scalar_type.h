// ScalarType (a tensor's dtype), Scalar (one number of any dtype), the type
// promotion lattice, and dispatch_dtype(), which turns a runtime dtype into a
// compile-time C++ type for a kernel.
#pragma once

#include <cstdint>
#include <ostream>
#include <string_view>
#include <type_traits>

#include "core/error.h"

namespace wick {

// Ordered by promotion rank within each category (bool < integral < floating).
enum class ScalarType : uint8_t { Bool, UInt8, Int32, Int64, Float16, BFloat16, Float32, Float64 };
constexpr int kNumScalarTypes = 8;

constexpr size_t itemsize(ScalarType t) {
  switch (t) {
    case ScalarType::Bool:
    case ScalarType::UInt8: return 1;
    case ScalarType::Float16:
    case ScalarType::BFloat16: return 2;
    case ScalarType::Int32:
    case ScalarType::Float32: return 4;
    case ScalarType::Int64:
    case ScalarType::Float64: return 8;
  }
  return 0;
}

constexpr bool is_floating_point(ScalarType t) { return t >= ScalarType::Float16; }
constexpr bool is_integral(ScalarType t, bool include_bool) {
  return (t > ScalarType::Bool && t <= ScalarType::Int64) || (include_bool && t == ScalarType::Bool);
}

std::string_view to_string(ScalarType t);  // "float32"
inline std::ostream& operator<<(std::ostream& os, ScalarType t) { return os << to_string(t); }

// The default floating dtype, used for Python floats and integer division.
ScalarType default_dtype();
void set_default_dtype(ScalarType t);

// PyTorch's promote_types: the smallest dtype that holds both.
ScalarType promote_types(ScalarType a, ScalarType b);

// PyTorch's canCast: whether a result of dtype `from` may be written into a
// tensor of dtype `to` (an in-place op's self, an out= tensor). Not into a
// lower category, bool < integral < floating: no float into an integer, no
// number into a bool; within a category any narrowing (float64 into float32).
bool can_cast(ScalarType from, ScalarType to);

// One number, as the user wrote it: a bool, an integer or a floating value.
class Scalar {
 public:
  enum class Kind : uint8_t { Bool, Int, Float };

  Scalar() : Scalar(int64_t{0}) {}
  Scalar(bool v) : kind_(Kind::Bool), i_(v) {}
  template <typename T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
  Scalar(T v) : kind_(Kind::Int), i_(static_cast<int64_t>(v)) {}
  template <typename T>
    requires std::is_floating_point_v<T>
  Scalar(T v) : kind_(Kind::Float), d_(static_cast<double>(v)) {}

  Kind kind() const { return kind_; }
  bool is_floating_point() const { return kind_ == Kind::Float; }
  bool is_integral() const { return kind_ == Kind::Int; }
  bool is_bool() const { return kind_ == Kind::Bool; }

  template <typename T>
  T to() const {
    if (kind_ == Kind::Float) return static_cast<T>(d_);
    return static_cast<T>(i_);
  }
  double to_double() const { return to<double>(); }
  // The dtype a tensor made from this number gets: bool, int64 or the default float.
  ScalarType natural_dtype() const {
    return kind_ == Kind::Float ? default_dtype() : kind_ == Kind::Int ? ScalarType::Int64 : ScalarType::Bool;
  }
  friend std::ostream& operator<<(std::ostream& os, const Scalar& s) {
    if (s.kind_ == Kind::Float) return os << s.d_;
    if (s.kind_ == Kind::Bool) return os << (s.i_ ? "True" : "False");
    return os << s.i_;
  }

 private:
  Kind kind_;
  union {
    int64_t i_;
    double d_;
  };
};

// Note [Checked scalar conversion]
// Where a number becomes an element of a tensor of dtype `t` (full, fill_,
// masked_fill, where's number operands, clamp's bounds, add's alpha, an integer
// exponent of pow), PyTorch converts it with c10's checked_convert, and so does
// wick: a value `t` cannot hold is refused rather than converted (which, for a
// float into an integer, would be undefined behaviour): RuntimeError "value
// cannot be converted to type int64_t without overflow" for nan, +-inf or 1e30
// into int64, 300 or -1.0 into uint8, 1e300 into float32. Kept as PyTorch has
// them: any number into bool (nonzero is true); fractions into integers
// (truncated); an integer from -255 to -1 into uint8 (it wraps: -1 becomes
// 255); infinities and nan into floating dtypes. A number that is an operand of
// arithmetic (uint8 tensor * 300) is not converted this way: it takes part in
// the promotion, and wraps as in PyTorch. Returns the converted number; `op`
// names the op in the error.
Scalar checked_convert(Scalar value, ScalarType t, std::string_view op);

// Calls f.template operator()<T>() with T the C++ type of `t`; throws for the
// dtypes a backend has no kernels for (float16/bfloat16 on the CPU).
template <typename F>
decltype(auto) dispatch_dtype(ScalarType t, std::string_view op, F&& f) {
  switch (t) {
    case ScalarType::Bool: return f.template operator()<bool>();
    case ScalarType::UInt8: return f.template operator()<uint8_t>();
    case ScalarType::Int32: return f.template operator()<int32_t>();
    case ScalarType::Int64: return f.template operator()<int64_t>();
    case ScalarType::Float32: return f.template operator()<float>();
    case ScalarType::Float64: return f.template operator()<double>();
    default: break;
  }
  WICK_THROW(NotImplementedError, op, ": no kernel for dtype ", t, " on this device");
}

// The same, for the floating dtypes only (math functions such as exp).
template <typename F>
decltype(auto) dispatch_floating(ScalarType t, std::string_view op, F&& f) {
  switch (t) {
    case ScalarType::Float32: return f.template operator()<float>();
    case ScalarType::Float64: return f.template operator()<double>();
    default: break;
  }
  WICK_THROW(TypeError, op, ": expected a floating point tensor (float32 or float64), got ", t);
}

template <typename T>
constexpr ScalarType dtype_of() {
  if constexpr (std::is_same_v<T, bool>) return ScalarType::Bool;
  else if constexpr (std::is_same_v<T, uint8_t>) return ScalarType::UInt8;
  else if constexpr (std::is_same_v<T, int32_t>) return ScalarType::Int32;
  else if constexpr (std::is_same_v<T, int64_t>) return ScalarType::Int64;
  else if constexpr (std::is_same_v<T, float>) return ScalarType::Float32;
  else if constexpr (std::is_same_v<T, double>) return ScalarType::Float64;
  else static_assert(sizeof(T) == 0, "no wick dtype for this C++ type");
}

}  // namespace wick
