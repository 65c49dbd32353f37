// Convolutions and their derivatives: conv1d, conv2d and conv_transpose2d,
// all through one op, convolution(), whose node is ConvolutionBackward0 as
// in PyTorch. A 1-D convolution runs as a 2-D one of height 1.
//
// Note [Convolution per sample]
// A convolution of one sample x [C, H, W] with w [Co, C/G, kh, kw] is, per
// group, one matrix product: y [Co, L] = w [Co, C*kh*kw] @ col [C*kh*kw, L],
// where im2col lays every window of x out as a column (L = OH * OW). The
// batch runs in parallel, each thread taking a contiguous range of samples
// with its own col buffer: im2col, then one single-threaded gemm (OpenBLAS
// runs serially inside a parallel region) writing straight into the output
// (the bias rides along, Note [Bias in the gemm]). The buffer stays in cache
// between the two, and nothing of the size of the whole batch is
// materialised. The backward runs the same way, per sample and thread:
//   dw += dy [Co, L] @ col^T             (a partial sum per thread, added at the end)
//   dx  = col2im(w^T @ dy)                (gemm, then fold the columns back)
// A transposed convolution is the adjoint of a convolution with the same
// weight: its forward is the dx formula, its input gradient the forward, and
// its weight gradient the dw formula with its input in the role of dy.
// With fewer samples than threads, the samples run one after another and
// each kernel uses every thread itself. A 1x1 window with unit stride and no
// padding reads x in place (col is x).
//
// Why per sample: on the CNN of the main job (batch 64, CPU time of one
// thread), the 32 -> 64 channel 3x3 layer took 8.3 ms forward and 17.4 ms
// backward (dx, dw) this way, against 9.8 / 20.5 ms for one batched gemm over
// all samples' columns side by side (W @ [C*9, N*L], which also needs 14 MB
// of columns and a transposing copy of y and dy) and 9.6 / 24.8 ms for one
// im2col of the whole batch followed by a batch of per-sample gemms.
//
// The backward calls the kernels directly, so it is first-order only: a
// backward with create_graph=True through a convolution raises
// NotImplementedError rather than return gradients cut from the graph.
#include "ops/conv.h"

#include <algorithm>
#include <array>
#include <tuple>
#include <utility>

#include "autograd/function.h"
#include "core/dispatch.h"
#include "core/parallel.h"
#include "ops/creation.h"
#include "ops/reduce.h"
#include "ops/view.h"

namespace wick {

namespace {

using Pair = std::array<int64_t, 2>;

// Everything but the tensors: per spatial dim (height, width; a 1-D
// convolution has height 1 with a 1-wide window), with the padding before
// and after each dim apart ('same' may pad asymmetrically).
struct ConvParams {
  int64_t dims = 2;  // spatial dims of the user's tensors: 1 or 2
  Pair stride{1, 1}, pad_lo{0, 0}, pad_hi{0, 0}, dilation{1, 1}, output_padding{0, 0};
  int64_t groups = 1;
  bool transposed = false;
};

// A batched 1-D tensor [N, C, L] as [N, C, 1, L]; 4-D tensors as they are.
Tensor as_4d(const Tensor& x) {
  if (x.dim() == 4) return x;
  return raw_view(x, {x.size(0), x.size(1), 1, x.size(2)}, {x.stride(0), x.stride(1), 0, x.stride(2)});
}

Tensor new_tensor(const Tensor& like, IntArrayRef sizes) {
  return empty(sizes, TensorOptions(like.dtype()).device(like.device()));
}

// Contiguous data of x, outside autograd (the kernels' operands).
Tensor plain_contiguous(const Tensor& x) {
  NoGradGuard no_grad;
  return x.contiguous();
}

// ---- the per-sample products of Note [Convolution per sample] -----------------------------------
// x4 is the convolution's im2col side [N, C, H, W] and g its geometry; y4 or
// dy4 the other side [N, Co, OH, OW]; w4 the contiguous weight [Co, C/G, kh, kw].
// The operands are raw views (Note [Raw views] in core/tensor.h).

// Sample n of a batched tensor, as a batch of one.
Tensor sample(const Tensor& t, int64_t n) {
  return raw_view(t, {1, t.size(1), t.size(2), t.size(3)}, t.strides(), n * t.stride(0));
}

// The kernels a convolution runs, looked up once (before any parallel region).
struct Kernels {
  decltype(Backend::im2col) im2col;
  decltype(Backend::col2im) col2im;
  decltype(Backend::matmul) matmul;
  decltype(Backend::copy) copy;
  decltype(Backend::fill) fill;
  explicit Kernels(Device d)
      : im2col(kernel(d, &Backend::im2col, "convolution")),
        col2im(kernel(d, &Backend::col2im, "convolution")),
        matmul(kernel(d, &Backend::matmul, "convolution")),
        copy(kernel(d, &Backend::copy, "convolution")),
        fill(kernel(d, &Backend::fill, "convolution")) {}
};

// Whether a window reads x in place: 1x1, unit stride, no padding.
bool is_pointwise(const ConvGeometry& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 && g.pad_w == 0 &&
         g.out_height == g.height && g.out_width == g.width;
}

// One sample [1, C, H, W] as the matrix [C, H * W] when its memory allows, else undefined.
Tensor as_matrix(const Tensor& x1) {
  const int64_t H = x1.size(2), W = x1.size(3);
  // The strides of the rows and columns, those of a size-1 dim as if contiguous.
  const int64_t row_stride = H == 1 ? W : x1.stride(2), col_stride = W == 1 ? 1 : x1.stride(3);
  if (col_stride != 1 || row_stride != W) return Tensor();
  return raw_view(x1, {x1.size(1), H * W}, {x1.stride(1), 1});
}

// How many threads share the samples: all of them when there are at least as
// many samples as threads (and enough work), else one (each kernel then uses
// every thread itself).
int64_t sample_slots(int64_t N, int64_t work_per_sample) {
  const int64_t threads = in_parallel_region() ? 1 : get_num_threads();
  return threads > 1 && N >= threads && N * work_per_sample >= kParallelGrain ? threads : 1;
}

// Runs body(slot, begin, end) for `slots` contiguous, non-empty ranges of the
// N samples, one slot per thread.
template <typename F>
void for_sample_ranges(int64_t N, int64_t slots, const F& body) {
  parallel_for(slots, 1, [&](int64_t b, int64_t e) {
    for (int64_t slot = b; slot < e; ++slot) body(slot, slot * N / slots, (slot + 1) * N / slots);
  });
}

// Note [Bias in the gemm]
// With one group and columns from im2col, the bias rides along in the gemm
// instead of costing a pass over the output: each col buffer gets a last row
// of ones and the weight a last column holding the bias, so
// [w | b] @ [col; 1] = w @ col + b. In the backward the same row gives the
// bias gradient for free: dy @ [col; 1]^T ends in the column sum(dy, l).
// (K grows by one: under 1 % more gemm work for the CNN's 32-channel layer.)

// The per-slot column buffers [slots, rows (+ 1), L], with the row of ones
// when `ones` (Note [Bias in the gemm]).
struct Columns {
  Tensor buffer;
  int64_t rows = 0, height = 0, L = 0;  // height: rows plus the row of ones, if any
  Columns() = default;
  Columns(const Tensor& like, const Kernels& k, int64_t slots, int64_t rows_, int64_t L_, bool ones)
      : rows(rows_), height(rows_ + ones), L(L_) {
    buffer = new_tensor(like, {slots, height, L});
    if (ones) k.fill(raw_view(buffer, {slots, 1, L}, {height * L, L, 1}, rows * L), 1);
  }
  // Slot s's im2col target [1, rows, L] and the matrix [height, L] the gemm reads.
  Tensor target(int64_t s) const { return raw_view(buffer, {1, rows, L}, {rows * L, L, 1}, s * height * L); }
  Tensor matrix(int64_t s) const { return raw_view(buffer, {height, L}, {L, 1}, s * height * L); }
  // With a slot per sample (Note [Convolution on a GPU]): every sample's im2col target [N, rows, L].
  Tensor targets() const { return raw_view(buffer, {buffer.size(0), rows, L}, {height * L, L, 1}); }
};

// y4 = conv(x4, w4) + bias, sample by sample (Note [Convolution per sample]).
Tensor conv_forward_per_sample(const Tensor& x4, const Tensor& w4, const Tensor& bias, const ConvGeometry& g,
                               int64_t G) {
  // Each group maps C/G input channels to group_co = Co / G output channels, each one's filter
  // holding filter_len = C/G * kh * kw weights.
  const int64_t N = x4.size(0), Co = w4.size(0), group_co = Co / G, filter_len = w4.numel() / std::max<int64_t>(Co, 1);
  const int64_t L = g.out_height * g.out_width, rows = g.channels * g.kernel_h * g.kernel_w;
  Tensor y = new_tensor(x4, {N, Co, g.out_height, g.out_width});
  if (y.numel() == 0) return y;
  const Kernels k(x4.device());
  // A pointwise convolution whose samples are matrices reads them in place.
  const bool direct = is_pointwise(g) && as_matrix(sample(x4, 0)).defined();
  const bool fold_bias = bias.defined() && G == 1 && !direct;
  const int64_t slots = sample_slots(N, Co * rows * L);
  const Columns cols = direct ? Columns() : Columns(x4, k, slots, rows, L, fold_bias);
  Tensor w3 = raw_view(w4, {G, group_co, filter_len});
  if (fold_bias) {  // [w | b]
    const Tensor wb = new_tensor(w4, {1, Co, filter_len + 1});
    k.copy(raw_view(wb, {Co, filter_len}, {filter_len + 1, 1}), raw_view(w4, {Co, filter_len}));
    k.copy(raw_view(wb, {Co, 1}, {filter_len + 1, 1}, filter_len), raw_view(bias, {Co, 1}));
    w3 = wb;
  }
  // The length of w3's rows: a filter, and the bias when it rides along.
  const int64_t row_len = filter_len + fold_bias;
  for_sample_ranges(N, slots, [&](int64_t slot, int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      const Tensor xn = sample(x4, n);
      if (!direct) k.im2col(cols.target(slot), xn, g);
      const Tensor src = direct ? as_matrix(xn) : cols.matrix(slot);
      const Tensor yn = raw_view(y, {G, group_co, L}, {group_co * L, L, 1}, n * Co * L);
      const bool prefill = bias.defined() && !fold_bias;
      if (prefill) k.copy(yn, raw_view(bias, {G, group_co, L}, {group_co, 1, 0}));
      const Tensor src3 = raw_view(src, {G, row_len, L}, {filter_len * src.stride(0), src.stride(0), 1});
      k.matmul(yn, w3, src3, 1, prefill ? 1 : 0);
    }
  });
  return y;
}

struct ConvGrads {
  Tensor input, weight, bias;
};

// The weight gradient (and with fold_bias the bias gradient, its last column,
// Note [Bias in the gemm]) from the summed products total [Co, filter_len (+ 1)].
void take_weight_grads(ConvGrads& r, const Tensor& total, const Tensor& w4, int64_t filter_len, bool fold_bias) {
  const int64_t Co = total.size(0), row_len = filter_len + fold_bias;
  r.weight = fold_bias ? raw_view(total, {Co, filter_len}, {row_len, 1}).contiguous().view(w4.sizes())
                       : raw_view(total, w4.sizes());
  if (fold_bias) r.bias = raw_view(total, {Co}, {row_len}, filter_len).contiguous();
}

// conv_backward sample by sample; dy4, x4 and w4 not empty.
ConvGrads conv_backward_per_sample(const Tensor& dy4, const Tensor& x4, const Tensor& w4, const ConvGeometry& g,
                                   int64_t G, bool want_input, bool want_weight, bool want_bias) {
  // group_co and filter_len as in conv_forward.
  const int64_t N = dy4.size(0), Co = w4.size(0), group_co = Co / G, filter_len = w4.numel() / std::max<int64_t>(Co, 1);
  const int64_t L = g.out_height * g.out_width, rows = g.channels * g.kernel_h * g.kernel_w;
  const TensorOptions opts = TensorOptions(dy4.dtype()).device(dy4.device());
  ConvGrads r;
  if (want_input) r.input = empty({N, g.channels, g.height, g.width}, opts);
  const Kernels k(dy4.device());
  const Tensor dy = plain_contiguous(dy4);
  const bool pointwise = is_pointwise(g), direct = want_weight && pointwise && as_matrix(sample(x4, 0)).defined();
  const bool fold_bias = want_bias && want_weight && G == 1 && !direct;
  const int64_t slots = sample_slots(N, Co * rows * L * (want_input + want_weight));
  const Columns cols(dy, k, slots, rows, L, fold_bias);
  // Per slot, a partial weight gradient [G, group_co, row_len]: row_len is
  // filter_len, plus 1 for the bias gradient when it rides along.
  const int64_t row_len = filter_len + fold_bias;
  const Tensor partial = want_weight ? new_tensor(dy, {slots, Co, row_len}) : Tensor();
  const Tensor w3t = raw_view(w4, {G, filter_len, group_co}, {group_co * filter_len, 1, filter_len});
  for_sample_ranges(N, slots, [&](int64_t slot, int64_t begin, int64_t end) {
    const Tensor col = cols.matrix(slot);
    for (int64_t n = begin; n < end; ++n) {
      const Tensor dyn = raw_view(dy, {G, group_co, L}, {group_co * L, L, 1}, n * Co * L);
      if (want_weight) {
        const Tensor xn = sample(x4, n);
        if (!direct) k.im2col(cols.target(slot), xn, g);
        const Tensor src = direct ? as_matrix(xn) : col;
        const Tensor dwn =
            raw_view(partial, {G, group_co, row_len}, {group_co * row_len, row_len, 1}, slot * Co * row_len);
        const Tensor src3t = raw_view(src, {G, L, row_len}, {filter_len * src.stride(0), 1, src.stride(0)});
        k.matmul(dwn, dyn, src3t, 1, n == begin ? 0 : 1);
      }
      if (want_input) {
        const Tensor dxn = sample(r.input, n);
        if (pointwise) {  // the columns are dx itself
          k.matmul(raw_view(r.input, {G, filter_len, L}, {filter_len * L, L, 1}, n * g.channels * L), w3t, dyn, 1, 0);
        } else {
          k.matmul(raw_view(col, {G, filter_len, L}, {filter_len * L, L, 1}), w3t, dyn, 1, 0);
          k.fill(dxn, 0);
          k.col2im(dxn, cols.target(slot), g);
        }
      }
    }
  });
  NoGradGuard no_grad;
  if (want_weight) {  // add up the slots' partial sums; with fold_bias the last column is the bias's
    const Tensor total = slots == 1 ? raw_view(partial, {Co, row_len}) : sum(partial, {0});
    take_weight_grads(r, total, w4, filter_len, fold_bias);
  }
  if (want_bias && !r.bias.defined()) r.bias = sum(dy, {0, 2, 3});
  return r;
}

// Note [Convolution on a GPU]
// On a GPU a convolution costs launches, not cache misses, so the batch runs
// whole instead of sample by sample (Note [Convolution per sample]): one
// im2col of every sample into col [N, rows, L], then per group one batched
// gemm y[n] = w @ col[n], whose w is Backend::matmul's broadcast 2-D operand
// (the bias rides along as on the CPU, Note [Bias in the gemm]). The backward
// likewise: dw = sum_n dy[n] @ col[n]^T as one batched gemm into [N, Co,
// row_len] and a sum over n (the reduce kernel: deterministic, unlike
// atomics), and dx = col2im(w^T @ dy[n]) as one batched gemm per group and
// one col2im. The columns hold N * rows * L elements (14 MB for the main
// job's CNN at batch 64, float32). Where cuDNN is used, it replaces all of
// this; this is the path for the devices and dtypes it does not cover.
ConvStrategy conv_strategy = ConvStrategy::ByDevice;

bool runs_whole_batch(Device device) {
  return conv_strategy == ConvStrategy::WholeBatch || (conv_strategy == ConvStrategy::ByDevice && !device.is_cpu());
}

// The samples of x4 as matrices [N, C, H * W] read in place, or undefined when their memory does not allow it.
Tensor as_batch_matrix(const Tensor& x4) {
  const Tensor m = as_matrix(sample(x4, 0));
  if (!m.defined()) return Tensor();
  return raw_view(x4, {x4.size(0), m.size(0), m.size(1)}, {x4.stride(0), m.stride(0), 1});
}

// Group grp's rows [N, k, L] (k from first_row) of a batch of matrices src [N, *, L] with unit last stride.
Tensor group_rows(const Tensor& src, int64_t first_row, int64_t k) {
  return raw_view(src, {src.size(0), k, src.size(2)}, {src.stride(0), src.stride(1), 1}, first_row * src.stride(1));
}

// y4 = conv(x4, w4) + bias, the whole batch at once.
Tensor conv_forward_whole_batch(const Tensor& x4, const Tensor& w4, const Tensor& bias, const ConvGeometry& g,
                                int64_t G) {
  const int64_t N = x4.size(0), Co = w4.size(0), group_co = Co / G, filter_len = w4.numel() / std::max<int64_t>(Co, 1);
  const int64_t L = g.out_height * g.out_width, rows = g.channels * g.kernel_h * g.kernel_w;
  Tensor y = new_tensor(x4, {N, Co, g.out_height, g.out_width});
  if (y.numel() == 0) return y;
  const Kernels k(x4.device());
  const Tensor direct = is_pointwise(g) ? as_batch_matrix(x4) : Tensor();
  const bool fold_bias = bias.defined() && G == 1 && !direct.defined();
  const Columns cols = direct.defined() ? Columns() : Columns(x4, k, N, rows, L, fold_bias);
  if (!direct.defined()) k.im2col(cols.targets(), x4, g);
  const Tensor src = direct.defined() ? direct : cols.buffer;  // [N, rows (+ 1), L]
  Tensor w2 = raw_view(w4, {Co, filter_len});
  if (fold_bias) {  // [w | b]
    const Tensor wb = new_tensor(w4, {Co, filter_len + 1});
    k.copy(raw_view(wb, {Co, filter_len}, {filter_len + 1, 1}), w2);
    k.copy(raw_view(wb, {Co, 1}, {filter_len + 1, 1}, filter_len), raw_view(bias, {Co, 1}));
    w2 = wb;
  }
  const int64_t row_len = filter_len + fold_bias;
  const bool prefill = bias.defined() && !fold_bias;
  if (prefill) k.copy(raw_view(y, {N, Co, L}), raw_view(bias, {N, Co, L}, {0, 1, 0}));
  for (int64_t grp = 0; grp < G; ++grp) {
    const Tensor yg = raw_view(y, {N, group_co, L}, {Co * L, L, 1}, grp * group_co * L);
    const Tensor wg = raw_view(w2, {group_co, row_len}, {row_len, 1}, grp * group_co * row_len);
    k.matmul(yg, wg, group_rows(src, grp * filter_len, row_len), 1, prefill ? 1 : 0);
  }
  return y;
}

// conv_backward for the whole batch at once; dy4, x4 and w4 not empty.
ConvGrads conv_backward_whole_batch(const Tensor& dy4, const Tensor& x4, const Tensor& w4, const ConvGeometry& g,
                                    int64_t G, bool want_input, bool want_weight, bool want_bias) {
  const int64_t N = dy4.size(0), Co = w4.size(0), group_co = Co / G, filter_len = w4.numel() / std::max<int64_t>(Co, 1);
  const int64_t L = g.out_height * g.out_width, rows = g.channels * g.kernel_h * g.kernel_w;
  const TensorOptions opts = TensorOptions(dy4.dtype()).device(dy4.device());
  ConvGrads r;
  if (want_input) r.input = empty({N, g.channels, g.height, g.width}, opts);
  const Kernels k(dy4.device());
  const Tensor dy = raw_view(plain_contiguous(dy4), {N, Co, L});
  const bool pointwise = is_pointwise(g);
  const Tensor direct = want_weight && pointwise ? as_batch_matrix(x4) : Tensor();
  const bool fold_bias = want_bias && want_weight && G == 1 && !direct.defined();
  const bool need_cols = (want_weight && !direct.defined()) || (want_input && !pointwise);
  const Columns cols = need_cols ? Columns(dy, k, N, rows, L, fold_bias) : Columns();
  if (want_weight) {
    if (!direct.defined()) k.im2col(cols.targets(), x4, g);
    const Tensor src = direct.defined() ? direct : cols.buffer;
    const int64_t row_len = filter_len + fold_bias;
    // partial[n] = dy[n] @ col[n]^T per group; the bias gradient is its last column with fold_bias.
    const Tensor partial = new_tensor(dy, {N, Co, row_len});
    for (int64_t grp = 0; grp < G; ++grp) {
      const Tensor rows_g = group_rows(src, grp * filter_len, row_len);
      k.matmul(raw_view(partial, {N, group_co, row_len}, {Co * row_len, row_len, 1}, grp * group_co * row_len),
               group_rows(dy, grp * group_co, group_co),
               raw_view(rows_g, {N, L, row_len}, {rows_g.stride(0), 1, rows_g.stride(1)}), 1, 0);
    }
    NoGradGuard no_grad;
    const Tensor total = N == 1 ? raw_view(partial, {Co, row_len}) : sum(partial, {0});
    take_weight_grads(r, total, w4, filter_len, fold_bias);
  }
  if (want_input) {
    // dcol[n] = w^T @ dy[n] per group, into dx itself for a pointwise window, else into the
    // columns (the weight gradient is done with them), which col2im folds back.
    const Tensor dcol = pointwise ? raw_view(r.input, {N, rows, L}) : cols.targets();
    for (int64_t grp = 0; grp < G; ++grp) {
      const Tensor wt = raw_view(w4, {filter_len, group_co}, {1, filter_len}, grp * group_co * filter_len);
      k.matmul(group_rows(dcol, grp * filter_len, filter_len), wt, group_rows(dy, grp * group_co, group_co), 1, 0);
    }
    if (!pointwise) {
      k.fill(r.input, 0);
      k.col2im(r.input, dcol, g);
    }
  }
  if (want_bias && !r.bias.defined()) {
    NoGradGuard no_grad;
    r.bias = sum(dy, {0, 2});
  }
  return r;
}

Tensor conv_forward(const Tensor& x4, const Tensor& w4, const Tensor& bias, const ConvGeometry& g, int64_t G) {
  return runs_whole_batch(x4.device()) ? conv_forward_whole_batch(x4, w4, bias, g, G)
                                       : conv_forward_per_sample(x4, w4, bias, g, G);
}

// The gradients of y4 = conv(x4, w4) + b for dy4, each when wanted: dx [N, C, H, W], dw (w4's shape), db [Co].
ConvGrads conv_backward(const Tensor& dy4, const Tensor& x4, const Tensor& w4, const ConvGeometry& g, int64_t G,
                        bool want_input, bool want_weight, bool want_bias) {
  if (dy4.size(0) == 0 || g.out_height * g.out_width == 0 || w4.numel() == 0) {
    const TensorOptions opts = TensorOptions(dy4.dtype()).device(dy4.device());
    ConvGrads r;
    if (want_input) r.input = zeros({dy4.size(0), g.channels, g.height, g.width}, opts);
    if (want_weight) r.weight = zeros(w4.sizes(), opts);
    if (want_bias) r.bias = zeros({w4.size(0)}, opts);
    return r;
  }
  return runs_whole_batch(dy4.device())
             ? conv_backward_whole_batch(dy4, x4, w4, g, G, want_input, want_weight, want_bias)
             : conv_backward_per_sample(dy4, x4, w4, g, G, want_input, want_weight, want_bias);
}

// ---- checks and geometry -------------------------------------------------------------------------

const char* conv_name(const ConvParams& p) {
  return p.transposed ? "conv_transpose2d" : p.dims == 1 ? "conv1d" : "conv2d";
}

// A parameter given as one int for every spatial dim, or one per dim.
Pair expand_param(IntArrayRef v, int64_t dims, const char* op, const char* name, int64_t fill) {
  WICK_CHECK(v.size() == 1 || static_cast<int64_t>(v.size()) == dims, ValueError, op, ": expected ", name,
             " to be a single integer value or a list of ", dims, " values to match the convolution dimensions, ",
             "but got ", name, "=", v);
  if (dims == 1) return {fill, v[0]};
  return v.size() == 1 ? Pair{v[0], v[0]} : Pair{v[0], v[1]};
}

ConvParams make_params(int64_t dims, bool transposed, IntArrayRef stride, IntArrayRef padding,
                       IntArrayRef dilation, IntArrayRef output_padding, int64_t groups) {
  ConvParams p;
  p.dims = dims;
  p.transposed = transposed;
  const char* op = conv_name(p);
  p.stride = expand_param(stride, dims, op, "stride", 1);
  p.pad_lo = p.pad_hi = expand_param(padding, dims, op, "padding", 0);
  p.dilation = expand_param(dilation, dims, op, "dilation", 1);
  p.output_padding = expand_param(output_padding, dims, op, "output_padding", 0);
  p.groups = groups;
  for (int i = 0; i < 2; ++i) {
    WICK_CHECK(p.stride[i] > 0, ValueError, op, ": non-positive stride is not supported, but got stride=", stride);
    WICK_CHECK(p.pad_lo[i] >= 0, ValueError, op, ": negative padding is not supported, but got padding=", padding);
    WICK_CHECK(p.dilation[i] > 0, ValueError, op, ": dilation should be greater than zero, but got dilation=",
               dilation);
    WICK_CHECK(p.output_padding[i] >= 0, ValueError, op,
               ": negative output_padding is not supported, but got output_padding=", output_padding);
  }
  WICK_CHECK(groups > 0, ValueError, op, ": non-positive groups is not supported, but got groups=", groups);
  if (transposed)
    for (int i = 0; i < 2; ++i)
      WICK_CHECK(p.output_padding[i] < p.stride[i] || p.output_padding[i] < p.dilation[i], ValueError, op,
                 ": output padding must be smaller than either stride or dilation, but got output_padding=",
                 output_padding, ", stride=", stride, " and dilation=", dilation);
  return p;
}

// padding='valid' or 'same' (PyTorch's _convolution_mode): 'same' pads
// dilation * (k - 1) in total per dim, half before (rounded down) and the
// rest after.
ConvParams make_params_mode(int64_t dims, const Tensor& weight, IntArrayRef stride, std::string_view padding,
                            IntArrayRef dilation, int64_t groups) {
  const char* op = dims == 1 ? "conv1d" : "conv2d";
  const std::vector<int64_t> no_padding(static_cast<size_t>(dims), 0);
  ConvParams p = make_params(dims, false, stride, no_padding, dilation, {0}, groups);
  if (padding == "valid") return p;
  WICK_CHECK(padding == "same", ValueError, op, ": invalid padding string '", padding,
             "', expected 'valid' or 'same'");
  WICK_CHECK(p.stride[0] == 1 && p.stride[1] == 1, ValueError, op,
             ": padding='same' is not supported for strided convolutions, but got stride=", stride);
  WICK_CHECK(weight.defined() && weight.dim() == dims + 2, ValueError, op, ": expected a ", dims + 2,
             "-D weight, but got weight of size ", weight.defined() ? weight.sizes() : IntArrayRef{});
  for (int64_t i = 0; i < dims; ++i) {
    const int64_t d = 2 - dims + i;  // our dim (height, width)
    const int64_t total = p.dilation[d] * (weight.size(2 + i) - 1);
    p.pad_lo[d] = total / 2;
    p.pad_hi[d] = total - total / 2;
  }
  return p;
}

// Checks shapes, dtypes and devices (PyTorch's messages, with the shapes)
// and returns the geometry in the convolution's direction: for a transposed
// convolution, its output is the im2col side.
ConvGeometry check_and_measure(const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvParams& p) {
  const char* op = conv_name(p);
  WICK_CHECK(weight.defined(), ValueError, op, ": undefined weight");
  WICK_CHECK(input.dtype() == weight.dtype(), TypeError, op, ": input type (", input.dtype(),
             ") and weight type (", weight.dtype(), ") should be the same");
  WICK_CHECK(input.is_floating_point(), TypeError, op, ": expected a floating point input (float32 or float64), ",
             "but got ", input.dtype());
  WICK_CHECK(input.device() == weight.device(), ValueError, op, ": input (on ", input.device(), ") and weight (on ",
             weight.device(), ") should be on the same device");
  WICK_CHECK(weight.dim() == p.dims + 2, ValueError, op, ": expected ", p.dims + 2, "-dimensional weight for ",
             p.dims + 2, "-dimensional input of size ", input.sizes(), ", but got ", weight.dim(),
             "-dimensional weight of size ", weight.sizes());
  const int64_t G = p.groups, C = input.size(1);
  if (!p.transposed) {
    WICK_CHECK(weight.size(0) % G == 0, ValueError, op, ": given groups=", G, ", expected weight to be divisible by ",
               G, " at dimension 0, but got weight of size ", weight.sizes(), " instead");
    WICK_CHECK(C == weight.size(1) * G, ValueError, op, ": given groups=", G, ", weight of size ", weight.sizes(),
               ", expected input", input.sizes(), " to have ", weight.size(1) * G, " channels, but got ", C,
               " channels instead");
  } else {
    WICK_CHECK(C == weight.size(0), ValueError, op, ": given transposed=1, weight of size ", weight.sizes(),
               ", expected input", input.sizes(), " to have ", weight.size(0), " channels, but got ", C,
               " channels instead");
    WICK_CHECK(weight.size(0) % G == 0, ValueError, op, ": given groups=", G, ", expected weight to be divisible by ",
               G, " at dimension 0, but got weight of size ", weight.sizes(), " instead");
  }
  const int64_t out_channels = p.transposed ? weight.size(1) * G : weight.size(0);
  if (bias.defined()) {
    WICK_CHECK(bias.dim() == 1 && bias.size(0) == out_channels, ValueError, op, ": given weight of size ",
               weight.sizes(), ", expected bias to be 1-dimensional with ", out_channels,
               " elements, but got bias of size ", bias.sizes(), " instead");
    WICK_CHECK(bias.dtype() == input.dtype(), TypeError, op, ": input type (", input.dtype(), ") and bias type (",
               bias.dtype(), ") should be the same");
    WICK_CHECK(bias.device() == input.device(), ValueError, op, ": input (on ", input.device(), ") and bias (on ",
               bias.device(), ") should be on the same device");
  }
  const Tensor x4 = as_4d(input), w4 = as_4d(weight);
  const Pair in{x4.size(2), x4.size(3)}, ksize{w4.size(2), w4.size(3)};
  ConvGeometry g;
  g.kernel_h = ksize[0];
  g.kernel_w = ksize[1];
  g.stride_h = p.stride[0];
  g.stride_w = p.stride[1];
  g.pad_h = p.pad_lo[0];
  g.pad_w = p.pad_lo[1];
  g.dilation_h = p.dilation[0];
  g.dilation_w = p.dilation[1];
  Pair out{};
  for (int i = 0; i < 2; ++i) {
    const int64_t span = p.dilation[i] * (ksize[i] - 1) + 1;
    if (!p.transposed) {
      const int64_t padded = in[i] + p.pad_lo[i] + p.pad_hi[i];
      WICK_CHECK(padded >= span, ValueError, op, ": calculated padded input size per channel: (",
                 in[0] + p.pad_lo[0] + p.pad_hi[0], " x ", in[1] + p.pad_lo[1] + p.pad_hi[1],
                 "). Kernel size: (", p.dilation[0] * (ksize[0] - 1) + 1, " x ", p.dilation[1] * (ksize[1] - 1) + 1,
                 "). Kernel size can't be greater than actual input size (input of size ", input.sizes(),
                 ", weight of size ", weight.sizes(), ")");
      out[i] = (padded - span) / p.stride[i] + 1;
    } else {
      out[i] = (in[i] - 1) * p.stride[i] - p.pad_lo[i] - p.pad_hi[i] + span + p.output_padding[i];
      WICK_CHECK(out[i] > 0, ValueError, op, ": given input size per channel: (", in[0], " x ", in[1],
                 "), the calculated output size per channel: (",
                 (in[0] - 1) * p.stride[0] - 2 * p.pad_lo[0] + p.dilation[0] * (ksize[0] - 1) + 1 + p.output_padding[0],
                 " x ",
                 (in[1] - 1) * p.stride[1] - 2 * p.pad_lo[1] + p.dilation[1] * (ksize[1] - 1) + 1 + p.output_padding[1],
                 ") is too small");
    }
  }
  if (!p.transposed) {
    g.channels = C;
    g.height = in[0];
    g.width = in[1];
    g.out_height = out[0];
    g.out_width = out[1];
  } else {  // the convolution whose adjoint this is maps [N, out_channels, out] to the input
    g.channels = out_channels;
    g.height = out[0];
    g.width = out[1];
    g.out_height = in[0];
    g.out_width = in[1];
  }
  return g;
}


}  // namespace

// ---- the op ------------------------------------------------------------------------------------

struct ConvolutionBackward0 final : Node {
  SavedTensor input, weight;
  ConvParams params;
  ConvGeometry geometry;
  std::string_view name() const override { return "ConvolutionBackward0"; }
  TensorList apply(TensorList&& grads) override {
    WICK_CHECK(!GradMode::is_enabled(), NotImplementedError,
               "ConvolutionBackward0: double backward (create_graph=True) through a convolution is not supported "
               "yet: its gradient would come out without a graph");
    const Tensor x = input.unpack(), w = weight.unpack();
    const Tensor x4 = as_4d(x), w4 = as_4d(plain_contiguous(w));
    const Tensor dy4 = as_4d(grads[0]);
    const int64_t G = params.groups;
    const ConvGeometry& g = geometry;
    Tensor dx, dw, db;
    if (!params.transposed) {
      ConvGrads r = conv_backward(dy4, x4, w4, g, G, needs_input_grad(0), needs_input_grad(1), needs_input_grad(2));
      dx = r.input;
      dw = r.weight;
      db = r.bias;
    } else {
      // The adjoint's input gradient is the convolution's forward, and its
      // weight gradient pairs its input (as dy) with the columns of dy.
      if (needs_input_grad(0)) dx = conv_forward(dy4, w4, Tensor(), g, G);
      if (needs_input_grad(1)) dw = conv_backward(x4, dy4, w4, g, G, false, true, false).weight;
      if (needs_input_grad(2)) {
        NoGradGuard no_grad;
        db = sum(dy4, {0, 2, 3});
      }
    }
    // Back from the 4-D working shapes to the user's.
    if (dx.defined()) dx = raw_view(dx, x.sizes());
    if (dw.defined()) dw = raw_view(dw, w.sizes());
    return {dx, dw, db};
  }
  void for_each_saved(const SavedVisitor& f) override { f(input); f(weight); }
};

namespace {

// A batched convolution (input [N, C, *spatial]).
Tensor convolution(const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvParams& p) {
  const ConvGeometry g = check_and_measure(input, weight, bias, p);
  const Tensor w4 = as_4d(plain_contiguous(weight));
  const Tensor b = bias.defined() ? plain_contiguous(bias) : Tensor();
  const Tensor x4 = as_4d(input);
  Tensor out4;
  if (!p.transposed) {
    out4 = conv_forward(x4, w4, b, g, p.groups);
  } else {
    out4 = conv_backward(x4, Tensor(), w4, g, p.groups, true, false, false).input;
    if (b.defined() && out4.numel() > 0) {
      const int64_t N = out4.size(0), C = out4.size(1), L = out4.size(2) * out4.size(3);
      const Tensor out3 = raw_view(out4, {N, C, L});
      run_pointwise(pointwise::Add{}, out3, out3, raw_view(b, {N, C, L}, {0, 1, 0}));
    }
  }
  DimVector out_sizes(out4.sizes());
  if (p.dims == 1) out_sizes.erase(2);
  Tensor out = raw_view(out4, out_sizes);
  if (auto node = make_node<ConvolutionBackward0>(input, weight, bias)) {
    node->input = SavedTensor(input);
    node->weight = SavedTensor(weight);
    node->params = p;
    node->geometry = g;
    set_history(out, node);
  }
  return out;
}

// Accepts batched and unbatched inputs, as PyTorch: an unbatched input runs
// as a batch of one, through unsqueeze and squeeze (so its grad_fn is
// SqueezeBackward1, as in PyTorch).
Tensor convolution_entry(const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvParams& p) {
  const char* op = conv_name(p);
  WICK_CHECK(input.defined(), ValueError, op, ": undefined input");
  WICK_CHECK(input.dim() == p.dims + 1 || input.dim() == p.dims + 2, ValueError, op, ": expected ", p.dims + 1,
             "D (unbatched) or ", p.dims + 2, "D (batched) input to ", op, ", but got input of size: ",
             input.sizes());
  if (input.dim() == p.dims + 2) return convolution(input, weight, bias, p);
  return squeeze(convolution(unsqueeze(input, 0), weight, bias, p), 0);
}

}  // namespace

Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride,
              IntArrayRef padding, IntArrayRef dilation, int64_t groups) {
  return convolution_entry(input, weight, bias, make_params(1, false, stride, padding, dilation, {0}, groups));
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride,
              IntArrayRef padding, IntArrayRef dilation, int64_t groups) {
  return convolution_entry(input, weight, bias, make_params(2, false, stride, padding, dilation, {0}, groups));
}

Tensor conv1d_padding_mode(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride,
                           std::string_view padding, IntArrayRef dilation, int64_t groups) {
  return convolution_entry(input, weight, bias, make_params_mode(1, weight, stride, padding, dilation, groups));
}

Tensor conv2d_padding_mode(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride,
                           std::string_view padding, IntArrayRef dilation, int64_t groups) {
  return convolution_entry(input, weight, bias, make_params_mode(2, weight, stride, padding, dilation, groups));
}

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride,
                        IntArrayRef padding, IntArrayRef output_padding, int64_t groups, IntArrayRef dilation) {
  return convolution_entry(input, weight, bias,
                           make_params(2, true, stride, padding, dilation, output_padding, groups));
}

void set_conv_strategy(ConvStrategy strategy) { conv_strategy = strategy; }

}  // namespace wick
