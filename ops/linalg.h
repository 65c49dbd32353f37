// Matrix products. float32/float64 go through BLAS (OpenBLAS on the CPU);
// integer dtypes through a plain loop.
#pragma once

#include <optional>
#include <string_view>

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
// beta * input + alpha * (bmm(b1, b2); its sum over the batch; mv; outer); beta == 0 ignores input's values.
Tensor baddbmm(const Tensor& input, const Tensor& b1, const Tensor& b2, Scalar beta = 1, Scalar alpha = 1);
Tensor addbmm(const Tensor& input, const Tensor& b1, const Tensor& b2, Scalar beta = 1, Scalar alpha = 1);
Tensor addmv(const Tensor& input, const Tensor& mat, const Tensor& vec, Scalar beta = 1, Scalar alpha = 1);
Tensor addr(const Tensor& input, const Tensor& vec1, const Tensor& vec2, Scalar beta = 1, Scalar alpha = 1);
// The sum of products over the last dims (a number times a tensor for a 0-dim operand).
Tensor inner(const Tensor& a, const Tensor& b);
Tensor vdot(const Tensor& a, const Tensor& b);  // dot (no conjugate: real dtypes)
// The Kronecker product: block (i, j) is a[i, j] * b.
Tensor kron(const Tensor& a, const Tensor& b);
// The cross product of 3-vectors along dim (default: the first dim of size 3).
Tensor cross(const Tensor& a, const Tensor& b, std::optional<int64_t> dim = {});
// The p-norm of a - b.
Tensor dist(const Tensor& a, const Tensor& b, double p = 2);
// The p-norm distances between the rows of x1 [.., P, M] and x2 [.., R, M]: [.., P, R].
Tensor cdist(const Tensor& x1, const Tensor& x2, double p = 2);
// Contraction by Einstein summation: "ij,jk->ik", "bij,bjk->bik", "ii->i", "...ij->...ji"
// (Note [einsum as pairwise bmm] in ops/einsum.cpp).
Tensor einsum(std::string_view equation, const TensorList& operands);
// The sum of products over dims_a of a paired with dims_b of b (int: a's last dims with b's first).
Tensor tensordot(const Tensor& a, const Tensor& b, IntArrayRef dims_a, IntArrayRef dims_b);
Tensor tensordot(const Tensor& a, const Tensor& b, int64_t dims = 2);

}  // namespace wick
