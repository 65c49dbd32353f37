// The backend interface: what a device must provide for the ops in ops/ to
// run on it.
//
// A backend is one table of kernel function pointers, one per primitive
// family; the op kinds inside a family are enums (candle's design). An op in
// ops/ checks its arguments, works out the output's shape and dtype, allocates
// it, and calls `backend(device).family(...)`. Kernels receive tensors whose
// shapes already agree (broadcast inputs arrive as stride-0 views) and whose
// dtypes are already the compute dtype, so device and dtype checks live once,
// above the kernels. A null entry means the device lacks that kernel; calling
// it through kernel() raises NotImplementedError naming the op and device.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/pointwise.h"
#include "core/tensor.h"

namespace wick {

class Generator;

enum class ReduceOp : uint8_t { Sum, Prod, Max, Min, ArgMax, ArgMin, Any, All };

enum class RandomOp : uint8_t { Uniform, Normal, RandInt, Bernoulli };

// The inclusive scans of Backend::scan: cumsum, cumprod, cummax, cummin, logcumsumexp.
enum class ScanOp : uint8_t { Sum, Prod, Max, Min, LogSumExp };

// How a loss combines its per-element terms (defined in core/reduction.h).
enum class Reduction : uint8_t;

// One resampled dim of Backend::resample (padding, interpolation): output
// position o along `dim` reads the input positions index[o * taps + k] with
// weights weight[o * taps + k], k < taps.
struct ResampleAxis {
  int64_t dim = 0;
  int64_t taps = 1;             // 1: a plain gather (weight unused); 2: linear interpolation
  std::vector<int64_t> index;
  std::vector<double> weight;
};

// The optimizers whose per-parameter update is one fused kernel (optim/).
enum class OptimizerKind : uint8_t { SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop };

// The scalars of one optimizer update, with what torch.optim computes on the
// host from the step count already folded in.
struct OptimizerStepArgs {
  double lr = 0;  // SGD, RMSprop, Adadelta, RAdam: lr; Adam(W): lr / bias_correction1; Adagrad, Adamax: clr;
                  // NAdam: the step along the gradient; ASGD: eta
  double weight_decay = 0;           // grad += weight_decay * param (0 where param_scale decays instead)
  double param_scale = 1;            // AdamW, decoupled NAdam/RAdam: 1 - lr * weight_decay; ASGD: 1 - lambd * eta
  double momentum = 0, dampening = 0;  // SGD; RMSprop: momentum
  double beta1 = 0, beta2 = 0;       // Adam(W), Adamax, NAdam, RAdam
  double alpha = 0;                  // RMSprop's smoothing constant
  double rho = 0;                    // Adadelta's
  double eps = 0;                    // all but SGD, ASGD and Rprop
  double bias_correction1 = 1;       // RAdam
  double bias_correction2 = 1;       // NAdam
  double bias_correction2_sqrt = 1;  // Adam(W), RAdam
  double momentum_lr = 0;            // NAdam: the step along exp_avg
  double rectification = 0;          // RAdam: the variance rectification; 0 while rho_t <= 5 (no adaptive lr)
  double mu = 1;                     // ASGD's averaging weight (1: ax becomes param)
  double etaminus = 0, etaplus = 0, step_size_min = 0, step_size_max = 0;  // Rprop
  bool maximize = false, nesterov = false, amsgrad = false, centered = false;
  bool init_momentum = false;        // SGD's first step with momentum: the buffer becomes the gradient
};

// The window of a 2-D convolution over input planes of [N, C, H, W] (a 1-D
// convolution has H = 1). pad_h/pad_w are the top/left padding; zeros on the
// bottom/right are implied by out_height/out_width.
struct ConvGeometry {
  int64_t channels = 0, height = 0, width = 0;
  int64_t out_height = 0, out_width = 0;
  int64_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1;
};

enum class PoolOp : uint8_t { Max, Avg, AdaptiveAvg };

// How Backend::scatter combines src with what self holds: overwrite, +=, *=.
enum class ScatterReduce : uint8_t { None, Add, Multiply };

// The windows of Backend::pool2d (AdaptiveAvg derives its windows from the
// input and output sizes and ignores these).
struct PoolArgs {
  int64_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1;  // Avg: no dilation
  bool count_include_pad = true;
  int64_t divisor_override = 0;  // Avg: divide every window's sum by this when > 0
};

// Which elements share normalization statistics in [N, C, S]: Batch, those of
// one channel; Group, those of one sample and group of C / groups channels.
enum class NormOp : uint8_t { Batch, Group };

// The LAPACK routines of Backend::linalg (ops/decomp.cpp says which op calls which).
enum class LinalgOp : uint8_t {
  LuFactor,            // a = P L U in place (getrf); pivots, info
  LuSolve,             // b = op(A)^-1 b from a = LU and pivots (getrs); transpose: op(A) = A^T
  Cholesky,            // a = L L^T (upper: U^T U) in place, one triangle read and written (potrf); info
  TriangularSolve,     // b = op(A)^-1 b for triangular a (trsm): upper, transpose, unit
  Qr,                  // a = QR in Householder form: R above the diagonal, reflectors below (geqrf); tau
  HouseholderProduct,  // a = the first n columns of H_1 ... H_k from reflectors in a and tau (orgqr)
  Eigh,                // values = eigenvalues ascending of the symmetric a, of which one triangle is
                       // read (upper or lower); a = eigenvectors (columns) when vectors, else destroyed
                       // (syevd); info
  Svd,                 // a = U diag(values) Vh, values descending; u, vh when vectors (full: m x m and
                       // n x n, else m x k and k x n); a destroyed (gesdd); info
  Lstsq,               // b = argmin |a x - b| (rows: max(m, n)); rank, values as the driver gives (gelsy,
                       // gelsd, gelss, gels); a destroyed; info
  LdlFactor,           // a = L D L^T with Bunch-Kaufman pivots (sytrf; upper: U D U^T); pivots, info
  LdlSolve,            // b = A^-1 b from a = LD and pivots (sytrs)
};

// The operands of one Backend::linalg call. Every matrix is a batch: a 3-D
// tensor [B, r, c] of column-major matrices (strides r*c, 1, r: what LAPACK
// and cuSOLVER read in place, leading dimension r), contiguous in that sense,
// of one floating dtype (float32 or float64), on one device. The ops in
// ops/decomp.cpp make these copies, check shapes, and read info; a kernel
// never throws for the values it is given (a singular or indefinite matrix
// sets info, as LAPACK does).
struct LinalgArgs {
  Tensor a;        // [B, m, n]: the matrix, overwritten as the op says
  Tensor b;        // [B, rows, nrhs]: right-hand sides in, solutions out
  Tensor pivots;   // int32 [B, k], 1-based as LAPACK's: out of LuFactor/LdlFactor, in to the solves
  Tensor tau;      // [B, k]: Householder scalars (Qr out, HouseholderProduct in)
  Tensor values;   // [B, k]: eigenvalues or singular values (Lstsq: gelsd/gelss only)
  Tensor u, vh;    // Svd's singular vectors, column-major; undefined unless vectors
  Tensor info;     // int32 [B]: 0, or LAPACK's info for each matrix; undefined for ops that have none
  Tensor rank;     // int64 [B]: Lstsq's effective rank (not for gels)
  bool upper = false, transpose = false, unit = false, vectors = true, full = false;
  char driver = 'y';   // Lstsq: 'y' gelsy, 'd' gelsd, 's' gelss, 'q' gels
  double rcond = -1;   // Lstsq: singular values below rcond * the largest count as zero
};

struct Backend {
  const char* name;

  // dst = value, for every element of dst (any strides).
  void (*fill)(const Tensor& dst, Scalar value);
  // dst = src, elementwise over equal shapes, converting dtype; src may be a
  // stride-0 broadcast. Between devices, the backend of the non-CPU side runs.
  void (*copy)(const Tensor& dst, const Tensor& src);
  // out = f(in) elementwise for the element function f, entry number `op` of
  // pointwise::UnaryFunctions, whose object (with its parameters) is at `f`;
  // in and out of one shape; out's dtype is f's result type for in's dtype.
  // Call through run_pointwise() below.
  void (*unary)(size_t op, const void* f, const Tensor& out, const Tensor& in);
  // out = f(a, b) likewise, f from pointwise::BinaryFunctions; a and b share
  // the compute dtype and out's shape.
  void (*binary)(size_t op, const void* f, const Tensor& out, const Tensor& a, const Tensor& b);
  // out = cond ? a : b; cond is bool; a, b and out share a dtype.
  void (*where)(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b);
  // Reduces `in` over `dims` into out (keepdim shape: reduced dims have size 1).
  // Max/Min also write the position along the single reduced dim to indices
  // (int64) when it is defined; ArgMax/ArgMin write only indices.
  void (*reduce)(ReduceOp op, const Tensor& out, const Tensor& indices, const Tensor& in, IntArrayRef dims);
  // The inclusive scan of `in` along dim into out (backends/scan_math.h); in,
  // out and indices contiguous, of one shape. Max/Min also write the position
  // of each running extreme to indices (int64); the other ops ignore it.
  void (*scan)(ScanOp op, const Tensor& out, const Tensor& indices, const Tensor& in, int64_t dim);
  // The first k = values.size(dim) elements of each row of `in` along dim, in
  // the order of Note [Sort order] (backends/scan_math.h), to values (in's
  // dtype) and their positions to indices (int64); all contiguous, values and
  // indices of one shape, which is in's but for k along dim.
  void (*sort)(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t dim, bool descending);
  // out = alpha * a @ b + beta * out, batched: a [B, n, k], b [B, k, m], out
  // [B, n, m], any strides (beta == 0 ignores out's old values, even NaN). A
  // 2-D operand is a batch of one (or, next to 3-D ones, a broadcast matrix).
  void (*matmul)(const Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta);
  // out = in.index_select(dim, index) for an int64 index vector.
  void (*index_select)(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index);
  // out[..i..] = in[..index[..i..]..] along dim (index has out's shape).
  void (*gather)(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index);
  // self[..index[..i..]..] = src[..i..] (Add: +=, Multiply: *=) along dim.
  void (*scatter)(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, ScatterReduce reduce);
  // self.index_select(dim, index) += src (the backward of index_select and embedding).
  void (*index_add)(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
  // Fills dst with random values: Uniform [a, b), Normal (mean a, std b),
  // RandInt [a, b), Bernoulli (probability a).
  void (*random)(RandomOp op, const Tensor& dst, double a, double b, Generator& gen);
  // dst[i] = start + i * step for a contiguous 1-D dst.
  void (*arange)(const Tensor& dst, double start, double step);

  // The neural-net families (ops/softmax.cpp, loss.cpp, dropout.cpp, resize.cpp).
  // softmax (log: log_softmax) of `in` along dim; in and out contiguous, of one shape and floating dtype.
  void (*softmax)(const Tensor& out, const Tensor& in, int64_t dim, bool log);
  // grad_in from grad_out and the forward's output `out`; all contiguous, of one shape.
  void (*softmax_backward)(const Tensor& grad_in, const Tensor& grad_out, const Tensor& out, int64_t dim, bool log);
  // The negative log likelihood of input [N, C, S] (any strides) at target
  // [N, S] (int64, any strides) with class weights [C] (contiguous, or
  // undefined for ones). Reduction::None writes out [N, S] (contiguous);
  // Mean/Sum write the 0-dim out. total_weight (0-dim) gets the summed weight
  // of the targets that are not ignore_index. A target outside [0, C) that is
  // not ignore_index raises IndexError (after the parallel loop).
  void (*nll_loss)(const Tensor& out, const Tensor& total_weight, const Tensor& input, const Tensor& target,
                   const Tensor& weight, Reduction reduction, int64_t ignore_index);
  // grad_input [N, C, S] (contiguous, overwritten) from grad_out ([N, S] any
  // strides for None, else 0-dim) and the forward's total_weight.
  void (*nll_loss_backward)(const Tensor& grad_input, const Tensor& grad_out, const Tensor& target,
                            const Tensor& weight, Reduction reduction, int64_t ignore_index,
                            const Tensor& total_weight);
  // Dropout in one pass: noise = 0 with probability p, else 1 / (1 - p);
  // out = in * noise (out may be in). All contiguous, floating, of one shape.
  void (*dropout)(const Tensor& out, const Tensor& noise, const Tensor& in, double p, Generator& gen);
  // out = R(in), where R resamples the last axes.size() dims (1 to 3, in
  // order) as `axes` say and keeps the leading dims; in and out contiguous.
  // Floating dtypes, or any dtype when every axis has one tap.
  void (*resample)(const Tensor& out, const Tensor& in, const std::vector<ResampleAxis>& axes);
  // grad_in = R^T(grad_out) (overwritten): the backward of resample. Contiguous, floating.
  void (*resample_backward)(const Tensor& grad_in, const Tensor& grad_out, const std::vector<ResampleAxis>& axes);
  // One optimizer update of `param` in place, with the state tensors by kind
  // (undefined when unused):  SGD: momentum_buffer;  Adam, AdamW: exp_avg,
  // exp_avg_sq, max_exp_avg_sq (amsgrad);  RMSprop: square_avg,
  // momentum_buffer (momentum > 0), grad_avg (centered);  Adagrad: sum;
  // Adadelta: square_avg, acc_delta;  Adamax: exp_avg, exp_inf;  NAdam, RAdam:
  // exp_avg, exp_avg_sq;  ASGD: ax;  Rprop: prev, step_size.
  // Every operand is contiguous, of param's dtype (floating) and numel.
  void (*optimizer_step)(OptimizerKind kind, const Tensor& param, const Tensor& grad,
                         const std::array<Tensor, 3>& state, const OptimizerStepArgs& args);

  // A LAPACK routine over a batch of column-major matrices (LinalgOp, LinalgArgs).
  void (*linalg)(LinalgOp op, const LinalgArgs& args);

  // Recurrent cells: the gate math of one time step, fused (Note [Fused RNN
  // cells] in ops/rnn.cpp); the gemms around it run through matmul. Matrices
  // are [B, k * H] with unit column stride and any row stride; an undefined
  // bias, state or incoming gradient reads as zeros. grad_h1 + grad_h2 is the
  // gradient of h; grad_c / grad_h2 may be the very tensor the kernel writes
  // grad_c_prev / grad_h_prev to.
  // LSTM (gates i, f, g, o): `gates` holds x W_ih^T + h W_hh^T without biases
  // and is overwritten with the activated gates, which the backward reads.
  void (*lstm_cell_fwd)(const Tensor& gates, const Tensor& b_ih, const Tensor& b_hh, const Tensor& c_prev,
                        const Tensor& h, const Tensor& c);
  void (*lstm_cell_bwd)(const Tensor& grad_gates, const Tensor& grad_c_prev, const Tensor& grad_h1,
                        const Tensor& grad_h2, const Tensor& grad_c, const Tensor& gates, const Tensor& c_prev,
                        const Tensor& c);
  // GRU (gates r, z, n): gates_x = x W_ih^T (overwritten with the activated
  // r, z, n), gates_h = h_prev W_hh^T; writes h and hn = W_hn h_prev + b_hn.
  void (*gru_cell_fwd)(const Tensor& gates_x, const Tensor& gates_h, const Tensor& b_ih, const Tensor& b_hh,
                       const Tensor& h_prev, const Tensor& h, const Tensor& hn);
  // Writes the gradients of the pre-activation gates_x and gates_h and the
  // direct part of grad_h_prev (grad_h * z; the caller adds grad_gates_h W_hh).
  void (*gru_cell_bwd)(const Tensor& grad_gates_x, const Tensor& grad_gates_h, const Tensor& grad_h_prev,
                       const Tensor& grad_h1, const Tensor& grad_h2, const Tensor& gates, const Tensor& hn,
                       const Tensor& h_prev);

  // Convolution, pooling and normalization (ops/conv.cpp, pool.cpp, norm.cpp); floating dtypes.
  // Lays the windows of input [N, C, H, W] (any strides) out as col [N, C * kh * kw, OH * OW]
  // (any strides but a unit last one): row (c * kh + i) * kw + j holds channel c at kernel
  // offset (i, j) for every output position, and 0 where the window covers padding.
  void (*im2col)(const Tensor& col, const Tensor& input, const ConvGeometry& g);
  // The adjoint of im2col: adds each column entry to the input position it was read from;
  // grad_input [N, C, H, W] contiguous.
  void (*col2im)(const Tensor& grad_input, const Tensor& col, const ConvGeometry& g);
  // Pools each plane of input [N, C, H, W] (any strides) into out [N, C, OH, OW] (contiguous).
  // Max writes each maximum's flat position h * W + w in its plane to indices (int64, like
  // out) when that is defined.
  void (*pool2d)(PoolOp op, const Tensor& out, const Tensor& indices, const Tensor& input, const PoolArgs& args);
  // grad_input [N, C, H, W] (contiguous, overwritten) from grad_out (any strides); Max reads
  // the positions from indices.
  void (*pool2d_backward)(PoolOp op, const Tensor& grad_input, const Tensor& grad_out, const Tensor& indices,
                          const PoolArgs& args);
  // Mean and rstd = 1 / sqrt(var + eps) (biased variance, also written to var when defined)
  // of input [N, C, S], all contiguous: per channel ([C]) for Batch, per sample and group
  // ([N, groups]) for Group.
  void (*norm_stats)(NormOp op, const Tensor& mean, const Tensor& rstd, const Tensor& var, const Tensor& input,
                     int64_t groups, double eps);
  // out = (input - mean) * rstd * weight + bias, weight and bias [C] per channel (undefined:
  // 1 and 0); statistics laid out as norm_stats writes them.
  void (*norm_apply)(NormOp op, const Tensor& out, const Tensor& input, const Tensor& mean, const Tensor& rstd,
                     const Tensor& weight, const Tensor& bias, int64_t groups);
  // The gradients of norm_apply for grad_out [N, C, S] (each output undefined when not
  // wanted). With batch_stats, mean and rstd are the statistics of input (so they have a
  // gradient); otherwise constants (batch norm in eval mode).
  void (*norm_backward)(NormOp op, const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad_bias,
                        const Tensor& grad_out, const Tensor& input, const Tensor& mean, const Tensor& rstd,
                        const Tensor& weight, int64_t groups, bool batch_stats);
};

// Note [Backend registry]
// core knows no backend: each backend registers its table from its own .cpp
// at static initialization (backends/cpu/cpu_backend.cpp,
// backends/cuda/cuda_backend.cpp), through register_backend. `get` returns the
// table for a device of that type and may throw naming the device when it
// cannot be used (the CUDA backend without a GPU). A static library drops
// objects nothing references, so each backend also defines an extern "C"
// symbol wick_backend_<name>_registered that the wick target makes the linker
// keep (LINKER:--undefined=..., CMakeLists.txt), for every program that links
// wick, installed or not.
using BackendGetter = const Backend& (*)(Device device);
void register_backend(DeviceType type, BackendGetter get);

// The backend of a device; throws wick::Error naming the device when no
// backend of its type is registered (wick was built without it).
const Backend& backend(Device device);

// The kernel `member` of the device's backend, or NotImplementedError naming op and device.
template <typename Fn>
Fn kernel(Device device, Fn Backend::*member, const char* op) {
  const Backend& b = backend(device);
  Fn fn = b.*member;
  WICK_CHECK(fn != nullptr, NotImplementedError, op, ": not implemented for device ", device,
             " (backend '", b.name, "')");
  return fn;
}

// For the backends' pointwise slots: the table of Kernel<F>::run for every F
// of a list, in the list's order, indexed by the op numbers run_pointwise
// passes.
template <template <typename> class Kernel, typename... Fs>
constexpr auto pointwise_kernel_table(TypeList<Fs...>) {
  return std::array{&Kernel<Fs>::run...};
}

// Calls body.template operator()<T>() for T the C++ type of dtype t when the
// element function F takes it; NotImplementedError naming F and t otherwise.
template <typename F, typename Body>
void dispatch_pointwise(ScalarType t, Body&& body) {
  dispatch_dtype(t, F::name, [&]<typename T>() {
    if constexpr (pointwise::kTakes<F, T>) body.template operator()<T>();
    else WICK_THROW(NotImplementedError, F::name, ": not implemented for dtype ", t);
  });
}

// NotImplementedError when the element function F does not take dtype t. The
// ops check it before they skip an empty tensor, so an empty input of a dtype
// F refuses is refused too, as in PyTorch (abs of an empty bool tensor).
template <typename F>
void check_takes(ScalarType t) {
  dispatch_pointwise<F>(t, []<typename>() {});
}

// Runs the element function f (a struct of core/pointwise.h) over out's
// elements on the device's backend: out = f(in), or out = f(a, b).
template <typename F>
void run_pointwise(const F& f, const Tensor& out, const Tensor& in) {
  static_assert(pointwise::kUnaryIndex<F> < pointwise::UnaryFunctions::size, "F is not in UnaryFunctions");
  kernel(out.device(), &Backend::unary, F::name)(pointwise::kUnaryIndex<F>, &f, out, in);
}
template <typename F>
void run_pointwise(const F& f, const Tensor& out, const Tensor& a, const Tensor& b) {
  static_assert(pointwise::kBinaryIndex<F> < pointwise::BinaryFunctions::size, "F is not in BinaryFunctions");
  kernel(out.device(), &Backend::binary, F::name)(pointwise::kBinaryIndex<F>, &f, out, a, b);
}

}  // namespace wick
