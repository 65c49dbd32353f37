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

// The largest finite value of each dtype, and its lowest.
double max_of(ScalarType t) {
  switch (t) {
    case ScalarType::Bool: return 1;
    case ScalarType::UInt8: return 255;
    case ScalarType::Int32: return 2147483647.0;
    case ScalarType::Int64: return 9223372036854775807.0;
    case ScalarType::Float16: return 65504.0;
    case ScalarType::BFloat16: return 3.3895313892515355e38;
    case ScalarType::Float32: return std::numeric_limits<float>::max();
    case ScalarType::Float64: return std::numeric_limits<double>::max();
  }
  return 0;
}

bool overflows(Scalar v, ScalarType t) {
  if (t == ScalarType::Bool || v.is_bool()) return false;
  if (v.is_integral()) {
    const int64_t i = v.to<int64_t>();
    switch (t) {
      case ScalarType::UInt8: return i > 255 || i < -255;  // negatives wrap, as in PyTorch
      case ScalarType::Int32: return i > std::numeric_limits<int32_t>::max() || i < std::numeric_limits<int32_t>::min();
      case ScalarType::Int64: return false;
      default: return std::fabs(static_cast<double>(i)) > max_of(t);
    }
  }
  const double d = v.to_double();
  if (is_floating_point(t)) return std::isfinite(d) && std::fabs(d) > max_of(t);
  if (std::isnan(d)) return true;
  const double lowest = t == ScalarType::UInt8 ? 0.0 : -max_of(t) - 1;
  // int64's max is not a double: 2^63 itself already overflows.
  return t == ScalarType::Int64 ? (d < lowest || d >= 9223372036854775808.0) : (d < lowest || d > max_of(t));
}
}  // namespace

void check_fill_value(Scalar value, ScalarType dtype, const char* op) {
  WICK_CHECK(!overflows(value, dtype), Error, op, ": value cannot be converted to type ", element_type_name(dtype),
             " without overflow (the value ", value, " into a tensor of dtype ", dtype, ")");
}

}  // namespace wick
