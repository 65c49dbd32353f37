// The CPU backend: strided loops with contiguous fast paths, OpenMP above a
// grain size, OpenBLAS for float gemm.
#pragma once

#include "core/dispatch.h"

namespace wick::cpu {

const Backend& backend();

// The OpenBLAS that wick opened (Note [Loading OpenBLAS] in blas.cpp), loaded
// on first use with its kernels chosen; lapack.cpp looks up LAPACK in it.
void* openblas_library();

// Kernel families, one file each in backends/cpu/.
void fill(const Tensor& dst, Scalar value);
void copy(const Tensor& dst, const Tensor& src);
void unary(size_t op, const void* f, const Tensor& out, const Tensor& in);
void binary(size_t op, const void* f, const Tensor& out, const Tensor& a, const Tensor& b);
void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b);
void reduce(ReduceOp op, const Tensor& out, const Tensor& indices, const Tensor& in, IntArrayRef dims);
void scan(ScanOp op, const Tensor& out, const Tensor& indices, const Tensor& in, int64_t dim);
void sort(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t dim, bool descending);
void matmul(const Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta);
void index_select(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index);
void gather(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index);
void scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, ScatterReduce reduce);
void index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
void random(RandomOp op, const Tensor& dst, double a, double b, Generator& gen);
void arange(const Tensor& dst, double start, double step);
void softmax(const Tensor& out, const Tensor& in, int64_t dim, bool log);
void softmax_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& out, int64_t dim, bool log);
void nll_loss(const Tensor& out, const Tensor& total_weight, const Tensor& input, const Tensor& target,
              const Tensor& weight, Reduction reduction, int64_t ignore_index);
void nll_loss_backward(const Tensor& grad_input, const Tensor& grad_out, const Tensor& target, const Tensor& weight,
                       Reduction reduction, int64_t ignore_index, const Tensor& total_weight);
void dropout(const Tensor& out, const Tensor& noise, const Tensor& in, double p, Generator& gen);
void resample(const Tensor& out, const Tensor& in, const std::vector<ResampleAxis>& axes);
void resample_backward(const Tensor& grad_in, const Tensor& grad_out, const std::vector<ResampleAxis>& axes);
void linalg(LinalgOp op, const LinalgArgs& args);
void optimizer_step(OptimizerKind kind, const Tensor& param, const Tensor& grad, const std::array<Tensor, 3>& state,
                    const OptimizerStepArgs& args);
void lstm_cell_fwd(const Tensor& gates, const Tensor& b_ih, const Tensor& b_hh, const Tensor& c_prev, const Tensor& h,
                   const Tensor& c);
void lstm_cell_bwd(const Tensor& grad_gates, const Tensor& grad_c_prev, const Tensor& grad_h1, const Tensor& grad_h2,
                   const Tensor& grad_c, const Tensor& gates, const Tensor& c_prev, const Tensor& c);
void gru_cell_fwd(const Tensor& gates_x, const Tensor& gates_h, const Tensor& b_ih, const Tensor& b_hh,
                  const Tensor& h_prev, const Tensor& h, const Tensor& hn);
void gru_cell_bwd(const Tensor& grad_gates_x, const Tensor& grad_gates_h, const Tensor& grad_h_prev,
                  const Tensor& grad_h1, const Tensor& grad_h2, const Tensor& gates, const Tensor& hn,
                  const Tensor& h_prev);
void im2col(const Tensor& col, const Tensor& input, const ConvGeometry& g);
void col2im(const Tensor& grad_input, const Tensor& col, const ConvGeometry& g);
void pool2d(PoolOp op, const Tensor& out, const Tensor& indices, const Tensor& input, const PoolArgs& args);
void pool2d_backward(PoolOp op, const Tensor& grad_input, const Tensor& grad_out, const Tensor& indices,
                     const PoolArgs& args);
void norm_stats(NormOp op, const Tensor& mean, const Tensor& rstd, const Tensor& var, const Tensor& input,
                int64_t groups, double eps);
void norm_apply(NormOp op, const Tensor& out, const Tensor& input, const Tensor& mean, const Tensor& rstd,
                const Tensor& weight, const Tensor& bias, int64_t groups);
void norm_backward(NormOp op, const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad_bias,
                   const Tensor& grad_out, const Tensor& input, const Tensor& mean, const Tensor& rstd,
                   const Tensor& weight, int64_t groups, bool batch_stats);

}  // namespace wick::cpu
