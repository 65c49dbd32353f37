#include "core/scalar_type.h"

#include <atomic>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace wick {

std::string_view to_string(ScalarType t) {
  switch (t) {
    case ScalarType::Bool: return "bool";
    case ScalarType::UInt8: return "uint8";
    case ScalarType::Int32: return "int32";
    case ScalarType::Int64: return "int64";
    case ScalarType::Float16: return "float16";
    case ScalarType::BFloat16: return "bfloat16";
    case ScalarType::Float32: return "float32";
    case ScalarType::Float64: return "float64";
  }
  return "unknown";
}

namespace {
std::atomic<ScalarType> g_default_dtype{ScalarType::Float32};
}

ScalarType default_dtype() { return g_default_dtype.load(std::memory_order_relaxed); }

void set_default_dtype(ScalarType t) {
  WICK_CHECK(t == ScalarType::Float32 || t == ScalarType::Float64, TypeError,
             "set_default_dtype: only float32 and float64 are supported, got ", t);
  g_default_dtype.store(t, std::memory_order_relaxed);
}

bool can_cast(ScalarType from, ScalarType to) {
  if (is_floating_point(from) && !is_floating_point(to)) return false;
  if (from != ScalarType::Bool && to == ScalarType::Bool) return false;
  return true;
}

ScalarType promote_types(ScalarType a, ScalarType b) {
  if (a == b) return a;
  // float16 and bfloat16 meet at float32, as in PyTorch.
  if ((a == ScalarType::Float16 && b == ScalarType::BFloat16) ||
      (a == ScalarType::BFloat16 && b == ScalarType::Float16))
    return ScalarType::Float32;
  // Otherwise the enum is ordered so that the larger of the two holds both.
  return a > b ? a : b;
}

namespace {
// The C++ name PyTorch's message gives for each dtype's element type.
const char* element_type_name(ScalarType t) {
  switch (t) {
    case ScalarType::Bool: return "bool";
    case ScalarType::UInt8: return "uint8_t";
    case ScalarType::Int32: return "int";
    case ScalarType::Int64: return "int64_t";
    case ScalarType::Float16: return "at::Half";
    case ScalarType::BFloat16: return "at::BFloat16";
    case ScalarType::Float32: return "float";
    case ScalarType::Float64: return "double";
  }
  return "?";
}

// The largest finite value of each floating dtype.
double floating_max(ScalarType t) {
  switch (t) {
    case ScalarType::Float16: return 65504.0;
    case ScalarType::BFloat16: return 3.3895313892515355e38;
    case ScalarType::Float32: return std::numeric_limits<float>::max();
    default: return std::numeric_limits<double>::max();
  }
}
}  // namespace

Scalar checked_convert(Scalar value, ScalarType t, std::string_view op) {
  auto overflow = [&]() {
    WICK_THROW(Error, op, ": value cannot be converted to type ", element_type_name(t), " without overflow (the value ",
               value, " into a tensor of dtype ", t, ")");
  };
  if (t == ScalarType::Bool) return Scalar(value.is_floating_point() ? value.to_double() != 0 : value.to<int64_t>() != 0);
  if (value.is_bool()) return value;
  if (is_floating_point(t)) {
    const double max = floating_max(t);
    const double d = value.to_double();
    if (std::isfinite(d) && (d < -max || d > max)) overflow();
    return value;
  }
  // Integral targets: uint8, int32, int64.
  const int64_t lo = t == ScalarType::UInt8 ? 0 : t == ScalarType::Int32 ? std::numeric_limits<int32_t>::min()
                                                                          : std::numeric_limits<int64_t>::min();
  const int64_t hi = t == ScalarType::UInt8 ? 255 : t == ScalarType::Int32 ? std::numeric_limits<int32_t>::max()
                                                                           : std::numeric_limits<int64_t>::max();
  if (value.is_floating_point()) {
    const double d = value.to_double();
    // 2^63 is the first double above int64's range; NaN fails every comparison.
    if (!(d >= static_cast<double>(lo) && d < 9223372036854775808.0 && d <= static_cast<double>(hi))) overflow();
    return Scalar(static_cast<int64_t>(d));
  }
  const int64_t i = value.to<int64_t>();
  if (t == ScalarType::UInt8 && i < 0) {
    if (i < -255) overflow();
    return Scalar(static_cast<int64_t>(static_cast<uint8_t>(i)));
  }
  if (i < lo || i > hi) overflow();
  return value;
}

}  // namespace wick
