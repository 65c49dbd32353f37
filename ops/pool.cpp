// 2-D pooling and its derivatives: max (with the positions of the maxima),
// average and adaptive average pooling over the last two dims of [N, C, H, W]
// or [C, H, W].
//
// The backward nodes call the device's pool2d_backward kernel, so they are
// first-order only (as most of PyTorch's pooling backward formulas are in
// practice); their gradients do not themselves record a graph.
#include "ops/pool.h"

#include <array>

#include "autograd/function.h"
#include "core/dispatch.h"
#include "ops/creation.h"
#include "ops/reduce.h"
#include "ops/view.h"

namespace wick {

namespace {

// [C, H, W] as [1, C, H, W]; [N, C, H, W] as is.
Tensor batched(const Tensor& x) {
  if (x.dim() == 4) return x;
  return raw_view(x, {1, x.size(0), x.size(1), x.size(2)}, {0, x.stride(0), x.stride(1), x.stride(2)});
}

// floor(a / b) for b > 0.
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// PyTorch's pooling_output_shape: windows may start in the left padding but
// (with ceil_mode) not past the end of the input and its left padding.
int64_t pooled_size(int64_t in, int64_t kernel, int64_t pad, int64_t stride, int64_t dilation, bool ceil_mode) {
  int64_t out = floor_div(in + 2 * pad - dilation * (kernel - 1) - 1 + (ceil_mode ? stride - 1 : 0), stride) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

// One int for both dims, or two.
std::array<int64_t, 2> pair_arg(IntArrayRef v, const char* op, const char* name, bool allow_empty = false) {
  WICK_CHECK(v.size() == 1 || v.size() == 2 || (allow_empty && v.empty()), ValueError, op, ": ", name,
             " must either be a single int, or a tuple of two ints, but got ", v);
  if (v.empty()) return {0, 0};
  if (v.size() == 1) return {v[0], v[0]};
  return {v[0], v[1]};
}

void check_input(const Tensor& input, const char* op) {
  WICK_CHECK(input.defined(), ValueError, op, ": undefined input");
  WICK_CHECK((input.dim() == 3 || input.dim() == 4), ValueError, op,
             ": expected a 3D (unbatched) or 4D (batched) input, but got input of size ", input.sizes());
  for (int64_t d = input.dim() - 3; d < input.dim(); ++d)
    WICK_CHECK(input.size(d) > 0, ValueError, op, ": expected input with non-zero sizes for its last 3 dims, ",
               "but got input of size ", input.sizes());
  WICK_CHECK(input.is_floating_point(), TypeError, op, ": expected a floating point input (float32 or float64), ",
             "but got ", input.dtype());
}

// The checked windows of max/avg pooling, and the output's size.
struct Windows {
  PoolArgs args;
  DimVector out_sizes;
};

Windows make_windows(const char* op, const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride,
                     IntArrayRef padding, IntArrayRef dilation, bool ceil_mode) {
  check_input(input, op);
  const auto k = pair_arg(kernel_size, op, "kernel_size");
  auto s = pair_arg(stride, op, "stride", /*allow_empty=*/true);
  if (stride.empty()) s = k;
  const auto p = pair_arg(padding, op, "padding");
  const auto d = pair_arg(dilation, op, "dilation");
  WICK_CHECK(k[0] > 0 && k[1] > 0, ValueError, op, ": kernel size should be greater than zero, but got kH: ", k[0],
             " kW: ", k[1]);
  WICK_CHECK(s[0] > 0 && s[1] > 0, ValueError, op, ": stride should be greater than zero, but got dH: ", s[0],
             " dW: ", s[1]);
  WICK_CHECK(d[0] > 0 && d[1] > 0, ValueError, op, ": dilation should be greater than zero, but got dilationH: ",
             d[0], " dilationW: ", d[1]);
  WICK_CHECK(p[0] >= 0 && p[1] >= 0 && p[0] <= k[0] / 2 && p[1] <= k[1] / 2, ValueError, op,
             ": pad should be at least zero and at most half of the kernel size, but got padH = ", p[0],
             ", padW = ", p[1], ", kH = ", k[0], ", kW = ", k[1]);
  const int64_t H = input.size(-2), W = input.size(-1);
  const int64_t OH = pooled_size(H, k[0], p[0], s[0], d[0], ceil_mode);
  const int64_t OW = pooled_size(W, k[1], p[1], s[1], d[1], ceil_mode);
  WICK_CHECK(OH >= 1 && OW >= 1, ValueError, op, ": given input size (", input.size(-3), "x", H, "x", W,
             "), the calculated output size (", input.size(-3), "x", OH, "x", OW, ") is too small");
  Windows w;
  w.args = PoolArgs{k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1]};
  w.out_sizes = DimVector(input.sizes());
  w.out_sizes[w.out_sizes.size() - 2] = OH;
  w.out_sizes[w.out_sizes.size() - 1] = OW;
  return w;
}

Tensor new_like(const Tensor& like, IntArrayRef sizes, ScalarType dtype) {
  return empty(sizes, TensorOptions(dtype).device(like.device()));
}

// The gradient of a pooling op: grad_input of the input's shape from grad.
Tensor pool_grad(PoolOp op, const char* name, const Tensor& grad, IntArrayRef input_sizes, const Tensor& indices,
                 const PoolArgs& args) {
  Tensor grad_input = empty(input_sizes, TensorOptions(grad.dtype()).device(grad.device()));
  if (grad_input.numel() == 0) return grad_input;
  kernel(grad.device(), &Backend::pool2d_backward, name)(op, batched(grad_input), batched(grad),
                                                          indices.defined() ? batched(indices) : Tensor(), args);
  return grad_input;
}

}  // namespace

// ---- max pooling -------------------------------------------------------------------------------

struct MaxPool2DWithIndicesBackward0 final : Node {
  SavedTensor indices;
  DimVector self_sizes;
  PoolArgs args;
  std::string_view name() const override { return "MaxPool2DWithIndicesBackward0"; }
  TensorList apply(TensorList&& grads) override {
    return {pool_grad(PoolOp::Max, "max_pool2d_backward", grads[0], self_sizes, indices.unpack(), args)};
  }
  void for_each_saved(const SavedVisitor& f) override { f(indices); }
};

namespace {

ValuesIndices max_pool(const char* op, const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride,
                       IntArrayRef padding, IntArrayRef dilation, bool ceil_mode, bool want_indices) {
  const Windows w = make_windows(op, input, kernel_size, stride, padding, dilation, ceil_mode);
  auto node = make_node<MaxPool2DWithIndicesBackward0>(input);
  Tensor out = new_like(input, w.out_sizes, input.dtype());
  Tensor indices = want_indices || node ? new_like(input, w.out_sizes, ScalarType::Int64) : Tensor();
  if (out.numel() > 0)
    kernel(input.device(), &Backend::pool2d, op)(PoolOp::Max, batched(out),
                                                 indices.defined() ? batched(indices) : Tensor(), batched(input),
                                                 w.args);
  if (node) {
    node->indices = SavedTensor(indices);
    node->self_sizes = DimVector(input.sizes());
    node->args = w.args;
    set_history(out, node);
  }
  return {out, indices};
}

}  // namespace

Tensor max_pool2d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride, IntArrayRef padding,
                  IntArrayRef dilation, bool ceil_mode) {
  return max_pool("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode, false).values;
}

ValuesIndices max_pool2d_with_indices(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride,
                                      IntArrayRef padding, IntArrayRef dilation, bool ceil_mode) {
  return max_pool("max_pool2d_with_indices", input, kernel_size, stride, padding, dilation, ceil_mode, true);
}

// ---- average pooling ---------------------------------------------------------------------------

struct AvgPool2DBackward0 final : Node {
  DimVector self_sizes;
  PoolArgs args;
  std::string_view name() const override { return "AvgPool2DBackward0"; }
  TensorList apply(TensorList&& grads) override {
    return {pool_grad(PoolOp::Avg, "avg_pool2d_backward", grads[0], self_sizes, Tensor(), args)};
  }
};

Tensor avg_pool2d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride, IntArrayRef padding,
                  bool ceil_mode, bool count_include_pad, std::optional<int64_t> divisor_override) {
  Windows w = make_windows("avg_pool2d", input, kernel_size, stride, padding, {1, 1}, ceil_mode);
  WICK_CHECK(!divisor_override || *divisor_override != 0, ValueError, "avg_pool2d: divisor must be not zero");
  w.args.count_include_pad = count_include_pad;
  w.args.divisor_override = divisor_override.value_or(0);
  Tensor out = new_like(input, w.out_sizes, input.dtype());
  if (out.numel() > 0)
    kernel(input.device(), &Backend::pool2d, "avg_pool2d")(PoolOp::Avg, batched(out), Tensor(), batched(input),
                                                           w.args);
  if (auto node = make_node<AvgPool2DBackward0>(input)) {
    node->self_sizes = DimVector(input.sizes());
    node->args = w.args;
    set_history(out, node);
  }
  return out;
}

// ---- adaptive average pooling ------------------------------------------------------------------

struct AdaptiveAvgPool2DBackward0 final : Node {
  DimVector self_sizes;
  std::string_view name() const override { return "AdaptiveAvgPool2DBackward0"; }
  TensorList apply(TensorList&& grads) override {
    return {pool_grad(PoolOp::AdaptiveAvg, "adaptive_avg_pool2d_backward", grads[0], self_sizes, Tensor(), {})};
  }
};

Tensor adaptive_avg_pool2d(const Tensor& input, IntArrayRef output_size) {
  const char* op = "adaptive_avg_pool2d";
  check_input(input, op);
  const auto o = pair_arg(output_size, op, "output_size");
  WICK_CHECK(o[0] >= 0 && o[1] >= 0, ValueError, op, ": output_size must not be negative, but got ", output_size);
  // A 1 x 1 output is the mean over the plane, as PyTorch computes it (MeanBackward1).
  if (o[0] == 1 && o[1] == 1) return mean(input, {-2, -1}, /*keepdim=*/true);
  DimVector sizes(input.sizes());
  sizes[sizes.size() - 2] = o[0];
  sizes[sizes.size() - 1] = o[1];
  Tensor out = new_like(input, sizes, input.dtype());
  if (out.numel() > 0)
    kernel(input.device(), &Backend::pool2d, op)(PoolOp::AdaptiveAvg, batched(out), Tensor(), batched(input), {});
  if (auto node = make_node<AdaptiveAvgPool2DBackward0>(input)) {
    node->self_sizes = DimVector(input.sizes());
    set_history(out, node);
  }
  return out;
}

}  // namespace wick
