// Runs every element function of core/pointwise.h through one device's
// backend, on every dtype the function takes, and compares each element with
// the function called directly on the host: a check that a backend's tables
// map each op's number to its own function and that its loops (strided and
// broadcast operands included) apply it everywhere. An op added to
// UnaryFunctions or BinaryFunctions is covered the day it lands.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/dispatch.h"
#include "core/pointwise.h"
#include "ops/creation.h"

namespace wick::testing {

// Sample values of T: special ones for floats; for integers small enough that
// pow and products stay in range.
template <typename T>
std::vector<T> pointwise_samples(bool as_divisor) {
  if constexpr (kIsBool<T>) {
    return {false, true};
  } else if constexpr (kIsFloat<T>) {
    const T inf = std::numeric_limits<T>::infinity();
    return {T(-3.5), T(-1), T(-0.5), T(-0.25), T(0), T(0.25), T(0.5), T(0.9), T(1), T(2), T(7.5), inf, -inf,
            std::numeric_limits<T>::quiet_NaN()};
  } else if constexpr (std::is_unsigned_v<T>) {
    if (as_divisor) return {1, 2, 3, 5};  // no integer division by zero
    return {0, 1, 2, 7, 9, 200};
  } else {
    if (as_divisor) return {-3, -1, 1, 2, 5};
    return {-7, -3, -1, 0, 1, 2, 5, 9};
  }
}

// Equal, both NaN, or (for floats) within rel_tol relative to max(1, |want|).
template <typename R>
void expect_element(R got, R want, double rel_tol, const char* op, ScalarType t, size_t k) {
  if constexpr (kIsFloat<R>) {
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got)) << op << " on " << t << ", element " << k << ": got " << got << ", want NaN";
      return;
    }
    if (got == want) return;
    EXPECT_LE(std::fabs(double(got) - double(want)), rel_tol * std::max(1.0, std::fabs(double(want))))
        << op << " on " << t << ", element " << k << ": got " << got << ", want " << want;
  } else {
    EXPECT_EQ(got, want) << op << " on " << t << ", element " << k;
  }
}

template <typename F, typename T>
void check_unary_function(const F& f, Device device, double rel_tol) {
  const std::vector<T> x = pointwise_samples<T>(false);
  using R = pointwise::UnaryResult<F, T>;
  const int64_t n = static_cast<int64_t>(x.size());
  // A stepped view (every other element of a tensor twice the size) as input.
  std::vector<T> spread(2 * x.size());
  for (size_t i = 0; i < x.size(); ++i) spread[2 * i] = x[i];
  const Tensor in = from_vector<T>(spread, {2 * n}).to(device).slice(0, 0, std::nullopt, 2);
  const Tensor out = empty({n}, TensorOptions(dtype_of<R>()).device(device));
  run_pointwise(f, out, in);
  const std::vector<R> got = out.to_vector<R>();
  for (size_t k = 0; k < x.size(); ++k) expect_element<R>(got[k], f(x[k]), rel_tol, F::name, dtype_of<T>(), k);
}

template <typename F, typename T>
void check_binary_function(const F& f, Device device, double rel_tol) {
  const std::vector<T> a = pointwise_samples<T>(false), b = pointwise_samples<T>(true);
  using R = pointwise::BinaryResult<F, T>;
  const int64_t na = static_cast<int64_t>(a.size()), nb = static_cast<int64_t>(b.size());
  // Every pair, through broadcasting: a as a column, b as a row.
  const Tensor ta = from_vector<T>(a, {na, 1}).to(device).expand({na, nb});
  const Tensor tb = from_vector<T>(b, {1, nb}).to(device).expand({na, nb});
  const Tensor out = empty({na, nb}, TensorOptions(dtype_of<R>()).device(device));
  run_pointwise(f, out, ta, tb);
  const std::vector<R> got = out.to_vector<R>();
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t j = 0; j < b.size(); ++j)
      expect_element<R>(got[i * b.size() + j], f(a[i], b[j]), rel_tol, F::name, dtype_of<T>(), i * b.size() + j);
}

// rel_tol_f32 / rel_tol_f64: how far a floating result may be from the host's
// (0 on the CPU, whose loops run the host's math; a GPU's math library may
// differ by a few ulp).
template <typename... Us, typename... Bs>
void check_every_pointwise_function(TypeList<Us...>, TypeList<Bs...>, Device device, double rel_tol_f32,
                                    double rel_tol_f64) {
  for (ScalarType t : {ScalarType::Bool, ScalarType::UInt8, ScalarType::Int32, ScalarType::Int64,
                       ScalarType::Float32, ScalarType::Float64}) {
    const double tol = t == ScalarType::Float32 ? rel_tol_f32 : rel_tol_f64;
    dispatch_dtype(t, "check", [&]<typename T>() {
      auto unary = [&]<typename F>(const F& f) {
        if constexpr (pointwise::kTakes<F, T>) check_unary_function<F, T>(f, device, tol);
      };
      auto binary = [&]<typename F>(const F& f) {
        if constexpr (pointwise::kTakes<F, T>) check_binary_function<F, T>(f, device, tol);
      };
      (unary(Us{}), ...);
      (binary(Bs{}), ...);
      // The functions with parameters, with some set.
      unary(pointwise::LeakyRelu{.negative_slope = 0.25});
      unary(pointwise::Clamp{.min = -1, .max = 2, .min_int = -1, .max_int = 2});
      unary(pointwise::Clamp{.min = 3, .max = -1, .min_int = 3, .max_int = -1});
      unary(pointwise::Softplus{.beta = 0.5, .threshold = 1});
      unary(pointwise::Elu{.alpha = 1.6732632423543772, .scale = 1.0507009873554805, .input_scale = 1});
      unary(pointwise::Elu{.alpha = 0.5, .scale = 1, .input_scale = 2});
      binary(pointwise::EluGrad{.alpha = 0.5, .scale = 1.5, .input_scale = 2});
    });
  }
}

inline void check_every_pointwise_function(Device device, double rel_tol_f32, double rel_tol_f64) {
  check_every_pointwise_function(pointwise::UnaryFunctions{}, pointwise::BinaryFunctions{}, device, rel_tol_f32,
                                 rel_tol_f64);
}

}  // namespace wick::testing
