// How both backends' matmul kernels read an operand of Backend::matmul: a batch
// of matrices with element strides (a 2-D tensor is a batch of one, batch
// stride 0). Host code: the CPU's BLAS calls and the CUDA backend's cuBLAS calls
// are planned from it.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace wick::matrix_operand {

// An operand's batch, rows and columns and their strides.
struct Dims {
  int64_t batch, rows, cols, bs, rs, cs;
};
inline Dims dims(const Tensor& x) {
  const DimVector &s = x.sizes(), &st = x.strides();
  if (x.dim() == 2) return {1, s[0], s[1], 0, st[0], st[1]};
  return {s[0], s[1], s[2], st[0], st[1], st[2]};
}

// One operand: matrix i of the batch starts at p + i * bs, element (r, c) of a
// matrix lies at r * rs + c * cs (all in elements).
template <typename T>
struct Mat {
  T* p;
  int64_t bs, rows, cols, rs, cs;
  Mat t() const { return {p, bs, cols, rows, cs, rs}; }
};

template <typename T>
Mat<T> mat(const Tensor& x) {
  const Dims d = dims(x);
  return {static_cast<T*>(x.raw_data()), d.bs, d.rows, d.cols, d.rs, d.cs};
}

}  // namespace wick::matrix_operand
