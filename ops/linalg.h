// Matrix products. float32/float64 go through BLAS (OpenBLAS on the CPU);
// integer dtypes through a plain loop.
#pragma once

#include "core/tensor.h"

namespace wick {

// [n, k] @ [k, m] -> [n, m]
Tensor mm(const Tensor& a, const Tensor& b);
// [B, n, k] @ [B, k, m] -> [B, n, m]
Tensor bmm(const Tensor& a, const Tensor& b);
// PyTorch's matmul: 1-D . 1-D is a dot product, 2-D @ 1-D a matrix-vector
// product, 1-D @ 2-D a vector-matrix product, and beyond 2-D the leading
// (batch) dims broadcast.
Tensor matmul(const Tensor& a, const Tensor& b);
// beta * bias + alpha * (a @ b), bias broadcast to [n, m] (nn.Linear's op).
Tensor addmm(const Tensor& bias, const Tensor& a, const Tensor& b, Scalar beta = 1, Scalar alpha = 1);
Tensor dot(const Tensor& a, const Tensor& b);
Tensor mv(const Tensor& a, const Tensor& v);
Tensor outer(const Tensor& a, const Tensor& b);
// input @ weight.T + bias: input [*, in], weight [out, in], bias [out] (may be undefined);
// a 1-D weight [in] contracts the last dim away, with a bias that broadcasts into the result.
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = {});
// x1 [*, in1], x2 [*, in2], weight [out, in1, in2], bias [out]:
// y[.., o] = x1 . weight[o] . x2 + bias[o].
Tensor bilinear(const Tensor& x1, const Tensor& x2, const Tensor& weight, const Tensor& bias = {});

}  // namespace wick
