// Creating tensors: empty/zeros/ones/full, ranges, identity, random values,
// the *_like variants, and tensors made from C++ values or borrowed buffers.
#pragma once

#include <optional>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"

namespace wick {

// What a new tensor should be: dtype (unset: the op's default, usually the
// default float dtype), device, and whether it requires grad.
struct TensorOptions {
  std::optional<ScalarType> dtype_;
  Device device_ = kCPU;
  bool requires_grad_ = false;

  TensorOptions() = default;
  TensorOptions(ScalarType t) : dtype_(t) {}
  TensorOptions(Device d) : device_(d) {}
  TensorOptions dtype(ScalarType t) const { auto o = *this; o.dtype_ = t; return o; }
  TensorOptions device(Device d) const { auto o = *this; o.device_ = d; return o; }
  TensorOptions requires_grad(bool r = true) const { auto o = *this; o.requires_grad_ = r; return o; }
  ScalarType dtype_or(ScalarType fallback) const { return dtype_.value_or(fallback); }
};

Tensor empty(IntArrayRef sizes, TensorOptions options = {});
Tensor empty_strided(IntArrayRef sizes, IntArrayRef strides, TensorOptions options = {});
Tensor zeros(IntArrayRef sizes, TensorOptions options = {});
Tensor ones(IntArrayRef sizes, TensorOptions options = {});
// Without a dtype, the fill value's kind decides: bool, int64 or the default float.
Tensor full(IntArrayRef sizes, Scalar value, TensorOptions options = {});
Tensor scalar_tensor(Scalar value, TensorOptions options = {});

// [start, end) in steps; int64 when all three are integers, else the default float.
Tensor arange(Scalar end, TensorOptions options = {});
Tensor arange(Scalar start, Scalar end, Scalar step = 1, TensorOptions options = {});
Tensor linspace(Scalar start, Scalar end, int64_t steps, TensorOptions options = {});
// base ** linspace(start, end, steps).
Tensor logspace(Scalar start, Scalar end, int64_t steps, double base = 10, TensorOptions options = {});
Tensor eye(int64_t n, std::optional<int64_t> m = {}, TensorOptions options = {});

// Random values from `gen` (the default generator unless given).
Tensor rand(IntArrayRef sizes, TensorOptions options = {}, Generator* gen = nullptr);
Tensor randn(IntArrayRef sizes, TensorOptions options = {}, Generator* gen = nullptr);
// Integers in [low, high); int64 unless a dtype is given.
Tensor randint(int64_t low, int64_t high, IntArrayRef sizes, TensorOptions options = {}, Generator* gen = nullptr);
Tensor randperm(int64_t n, TensorOptions options = {}, Generator* gen = nullptr);
Tensor bernoulli(const Tensor& probabilities, Generator* gen = nullptr);
const Tensor& uniform_(const Tensor& self, double from = 0, double to = 1, Generator* gen = nullptr);
const Tensor& normal_(const Tensor& self, double mean = 0, double std = 1, Generator* gen = nullptr);

// Same shape (and, unless overridden, dtype and device) as `like`.
Tensor empty_like(const Tensor& like, TensorOptions options = {});

// Gives self `sizes` with contiguous strides, in place (PyTorch's resize_):
// the storage grows when it is too small, keeping the values it held; new
// elements are uninitialized. Refused for a tensor that requires grad.
const Tensor& resize_(const Tensor& self, IntArrayRef sizes);
Tensor zeros_like(const Tensor& like, TensorOptions options = {});
Tensor ones_like(const Tensor& like, TensorOptions options = {});
Tensor full_like(const Tensor& like, Scalar value, TensorOptions options = {});
Tensor rand_like(const Tensor& like, TensorOptions options = {});
Tensor randn_like(const Tensor& like, TensorOptions options = {});

// A 1-D tensor of these values (float32 unless a dtype is given).
Tensor tensor(std::initializer_list<double> values, TensorOptions options = {});
// A tensor of `sizes` filled from `values` in row-major order; the dtype is T's.
template <typename T>
Tensor from_vector(const std::vector<T>& values, IntArrayRef sizes, TensorOptions options = {});
// A tensor over memory owned elsewhere; `deleter(context)` runs when wick is done with it.
Tensor from_blob(void* data, IntArrayRef sizes, IntArrayRef strides, ScalarType dtype, Device device,
                 StorageImpl::Deleter deleter = nullptr, void* context = nullptr, const char* op = "from_blob");

// The number of elements of a shape, checking each size is >= 0.
int64_t checked_numel(IntArrayRef sizes, const char* op);
// Refuses, as a ValueError naming `op`, sizes whose elements of dtype would
// not fit in 2**62 bytes (before any allocation).
void check_allocatable(IntArrayRef sizes, ScalarType dtype, const char* op);

}  // namespace wick
