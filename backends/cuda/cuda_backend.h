// The CUDA backend: a caching device allocator per GPU and every family of the
// Backend table: elementwise kernels over any strides, reductions, cuBLAS
// matmuls, cuSOLVER linear algebra, indexing with device-side bounds checks
// (Note [Device-side index errors]), random numbers bit-identical to the
// CPU's, and the nn kernels (softmax, nll_loss, dropout, resampling,
// im2col/col2im, pooling, norms, fused optimizer steps and RNN cells). The
// per-element math of each family lives in backends/*.h, shared with the CPU
// backend, whose tests run it.
//
// All work runs on each device's legacy default stream, so kernels, copies and
// the reuse of cached blocks are ordered without events.
#pragma once

#include "core/allocator.h"
#include "core/cuda_info.h"
#include "core/dispatch.h"

namespace wick::cuda {

// The kernel table; throws wick::Error naming the device when it cannot be
// used (no driver or GPU, or an index past device_count()).
const Backend& backend(Device device);
// The caching allocator of one GPU; throws like backend().
Allocator& allocator(Device device);

// Throws wick::Error naming `device` unless it is a usable CUDA device.
void check_device(Device device);

// Kernel families (backends/cuda/*.cu). Every tensor is on one GPU except for
// copy, which also moves data between the host and a GPU or two GPUs.
void fill(const Tensor& dst, Scalar value);
void copy(const Tensor& dst, const Tensor& src);
void unary(size_t op, const void* f, const Tensor& out, const Tensor& in);
void binary(size_t op, const void* f, const Tensor& out, const Tensor& a, const Tensor& b);

// Reductions, softmax and normalization (reduce.cu, softmax.cu, norm.cu), with
// the math of backends/reduce_math.h, softmax_math.h and norm_math.h.
void reduce(ReduceOp op, const Tensor& out, const Tensor& indices, const Tensor& in, IntArrayRef dims);
// Scans and sorts along one dim (scan_sort.cu), with backends/scan_math.h's rules;
// the sort is CUB's merge sort.
void scan(ScanOp op, const Tensor& out, const Tensor& indices, const Tensor& in, int64_t dim);
void sort(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t dim, bool descending);
void softmax(const Tensor& out, const Tensor& in, int64_t dim, bool log);
void softmax_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& out, int64_t dim, bool log);
void norm_stats(NormOp op, const Tensor& mean, const Tensor& rstd, const Tensor& var, const Tensor& input,
                int64_t groups, double eps);
void norm_apply(NormOp op, const Tensor& out, const Tensor& input, const Tensor& mean, const Tensor& rstd,
                const Tensor& weight, const Tensor& bias, int64_t groups);
void norm_backward(NormOp op, const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad_bias,
                   const Tensor& grad_out, const Tensor& input, const Tensor& mean, const Tensor& rstd,
                   const Tensor& weight, int64_t groups, bool batch_stats);
// Matrix products through cuBLAS (float32, float64) and a tiled kernel for the
// integer dtypes (backends/cuda/blas.cu).
void matmul(const Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta);
// Convolution's im2col/col2im and 2-D pooling (backends/cuda/conv_pool.cu).
void im2col(const Tensor& col, const Tensor& input, const ConvGeometry& g);
void col2im(const Tensor& grad_input, const Tensor& col, const ConvGeometry& g);
void pool2d(PoolOp op, const Tensor& out, const Tensor& indices, const Tensor& input, const PoolArgs& args);
void pool2d_backward(PoolOp op, const Tensor& grad_input, const Tensor& grad_out, const Tensor& indices,
                     const PoolArgs& args);
// Indexing, where/arange, nll_loss and resample (index.cu, where_arange.cu,
// nll_loss.cu, resample.cu). A bad index or target is reported by the kernel
// and raised at the next synchronization (Note [Device-side index errors] in
// device_error.h).
void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b);
void arange(const Tensor& dst, double start, double step);
void index_select(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index);
void gather(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index);
void scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, ScatterReduce reduce);
void index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
void nll_loss(const Tensor& out, const Tensor& total_weight, const Tensor& input, const Tensor& target,
              const Tensor& weight, Reduction reduction, int64_t ignore_index);
void nll_loss_backward(const Tensor& grad_input, const Tensor& grad_out, const Tensor& target, const Tensor& weight,
                       Reduction reduction, int64_t ignore_index, const Tensor& total_weight);
void resample(const Tensor& out, const Tensor& in, const std::vector<ResampleAxis>& axes);
void resample_backward(const Tensor& grad_in, const Tensor& grad_out, const std::vector<ResampleAxis>& axes);
// The fused per-element families whose math backends/*_math.h shares with the
// CPU: random numbers (random.cu; the CPU's values bit for bit, Note [Random
// numbers across devices] in backends/random_math.h), the optimizer step
// (optim.cu) and the recurrent cells (rnn.cu).
void random(RandomOp op, const Tensor& dst, double a, double b, Generator& gen);
void dropout(const Tensor& out, const Tensor& noise, const Tensor& in, double p, Generator& gen);
void optimizer_step(OptimizerKind kind, const Tensor& param, const Tensor& grad, const std::array<Tensor, 3>& state,
                    const OptimizerStepArgs& args);
// The LAPACK routines of LinalgOp through cuSOLVER, and cuBLAS's trsm
// (backends/cuda/solver.cu; Note [cuSOLVER routines] there). Lstsq has only
// the 'gels' driver, for m >= n.
void linalg(LinalgOp op, const LinalgArgs& args);
void lstm_cell_fwd(const Tensor& gates, const Tensor& b_ih, const Tensor& b_hh, const Tensor& c_prev, const Tensor& h,
                   const Tensor& c);
void lstm_cell_bwd(const Tensor& grad_gates, const Tensor& grad_c_prev, const Tensor& grad_h1, const Tensor& grad_h2,
                   const Tensor& grad_c, const Tensor& gates, const Tensor& c_prev, const Tensor& c);
void gru_cell_fwd(const Tensor& gates_x, const Tensor& gates_h, const Tensor& b_ih, const Tensor& b_hh,
                  const Tensor& h_prev, const Tensor& h, const Tensor& hn);
void gru_cell_bwd(const Tensor& grad_gates_x, const Tensor& grad_gates_h, const Tensor& grad_h_prev,
                  const Tensor& grad_h1, const Tensor& grad_h2, const Tensor& gates, const Tensor& hn,
                  const Tensor& h_prev);

}  // namespace wick::cuda
