// The CPU backend: strided loops with contiguous fast paths, OpenMP above a
// grain size, OpenBLAS for float gemm.
#pragma once

#include "core/dispatch.h"

namespace wick::cpu {

const Backend& backend();

// Kernel families, one file each in backends/cpu/.
void fill(const Tensor& dst, Scalar value);
void copy(const Tensor& dst, const Tensor& src);
void unary(UnaryOp op, const Tensor& out, const Tensor& in, const UnaryArgs& args);
void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b);
void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b);
void reduce(ReduceOp op, const Tensor& out, const Tensor& indices, const Tensor& in, IntArrayRef dims);
void matmul(const Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta);
void index_select(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index);
void gather(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index);
void scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, bool accumulate);
void index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
void random(RandomOp op, const Tensor& dst, double a, double b, Generator& gen);
void arange(const Tensor& dst, double start, double step);

}  // namespace wick::cpu
