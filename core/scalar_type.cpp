#include "core/scalar_type.h"

#include <atomic>

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

}  // namespace wick
