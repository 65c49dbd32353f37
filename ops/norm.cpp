// Normalization layers' functions and their derivatives: batch_norm,
// layer_norm and group_norm, each one fused forward (a pass for the
// statistics, a pass to normalize) and one fused backward kernel.
//
// All three normalize a contiguous [N, C, S] view of the input: batch norm
// per channel, group norm per sample and group of channels, and layer norm as
// group norm with one group over [rows, D, 1] (D = the normalized elements).
// The backward nodes call norm_backward, so they are first-order only (double
// backward through a normalization layer is not supported).
#include "ops/norm.h"

#include "autograd/function.h"
#include "core/dispatch.h"
#include "ops/creation.h"
#include "ops/elementwise.h"
#include "ops/view.h"

namespace wick {

namespace {

// x (contiguous, without history) as [N, C, S].
Tensor as_ncs(const Tensor& x, int64_t N, int64_t C) {
  const int64_t S = N * C == 0 ? 0 : x.numel() / (N * C);
  return raw_view(x, {N, C, S});
}

Tensor plain_contiguous(const Tensor& x) {
  NoGradGuard no_grad;
  return x.contiguous();
}

void check_param(const char* op, const char* what, const Tensor& p, const Tensor& input, int64_t numel,
                 const char* expected) {
  if (!p.defined()) return;
  WICK_CHECK(p.numel() == numel, ValueError, op, ": expected ", what, " to have ", numel, " elements (", expected,
             " of input of size ", input.sizes(), "), but got ", what, " of size ", p.sizes());
  WICK_CHECK(p.dtype() == input.dtype(), TypeError, op, ": expected ", what, " to have the input's dtype ",
             input.dtype(), ", but got ", p.dtype());
  WICK_CHECK(p.device() == input.device(), ValueError, op, ": expected ", what, " to be on the input's device ",
             input.device(), ", but got ", p.device());
}

void check_input(const char* op, const Tensor& input) {
  WICK_CHECK(input.defined(), ValueError, op, ": undefined input");
  WICK_CHECK(input.is_floating_point(), TypeError, op,
             ": expected a floating point input (float32 or float64), but got ", input.dtype());
}

Tensor new_stats(const Tensor& like, IntArrayRef sizes) {
  return empty(sizes, TensorOptions(like.dtype()).device(like.device()));
}

// The gradients (input, weight, bias) of norm_apply, each only when its edge wants it.
TensorList norm_grads(const Node& node, NormOp op, const char* name, const Tensor& grad, const Tensor& input,
                      const Tensor& mean, const Tensor& rstd, const Tensor& weight, int64_t N, int64_t C,
                      int64_t groups, bool batch_stats) {
  const Tensor x = as_ncs(input, N, C);
  const Tensor gy = as_ncs(plain_contiguous(grad), N, C);
  const TensorOptions opts = TensorOptions(input.dtype()).device(input.device());
  const Tensor grad_input = node.needs_input_grad(0) ? empty(input.sizes(), opts) : Tensor();
  const Tensor grad_weight = node.needs_input_grad(1) ? empty({C}, opts) : Tensor();
  const Tensor grad_bias = node.needs_input_grad(2) ? empty({C}, opts) : Tensor();
  if (input.numel() > 0) {
    kernel(input.device(), &Backend::norm_backward, name)(
        op, grad_input.defined() ? as_ncs(grad_input, N, C) : Tensor(), grad_weight, grad_bias, gy, x, mean, rstd,
        weight, groups, batch_stats);
  } else {
    if (grad_weight.defined()) grad_weight.zero_();
    if (grad_bias.defined()) grad_bias.zero_();
  }
  return {grad_input, grad_weight, grad_bias};
}

}  // namespace

// ---- batch norm --------------------------------------------------------------------------------

struct NativeBatchNormBackward0 final : Node {
  SavedTensor input, weight, save_mean, save_rstd;
  bool training = false;
  std::string_view name() const override { return "NativeBatchNormBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor x = input.unpack();
    const Tensor w = weight.defined() ? weight.unpack() : Tensor();
    const Tensor w_flat = w.defined() ? raw_view(plain_contiguous(w), {x.size(1)}) : Tensor();
    return norm_grads(*this, NormOp::Batch, "batch_norm_backward", grads[0], x, save_mean.unpack(),
                      save_rstd.unpack(), w_flat, x.size(0), x.size(1), 1, training);
  }
  void for_each_saved(const SavedVisitor& f) override { f(input); f(weight); f(save_mean); f(save_rstd); }
};

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
  const char* op = "batch_norm";
  check_input(op, input);
  WICK_CHECK(input.dim() >= 2, ValueError, op, ": expected an input of 2 or more dims [N, C, *], but got input of size ",
             input.sizes());
  const int64_t N = input.size(0), C = input.size(1);
  const int64_t count = C == 0 ? 0 : input.numel() / C;
  check_param(op, "weight", weight, input, C, "the channels");
  check_param(op, "bias", bias, input, C, "the channels");
  check_param(op, "running_mean", running_mean, input, C, "the channels");
  check_param(op, "running_var", running_var, input, C, "the channels");
  if (training) {
    WICK_CHECK(count != 1, ValueError, "Expected more than 1 value per channel when training, got input size ",
               input.sizes());
  } else {
    WICK_CHECK(running_mean.defined() && running_var.defined(), ValueError, op,
               ": running_mean and running_var must be defined in evaluation mode (training=False)");
  }

  const Tensor x = plain_contiguous(input);
  const Tensor w = weight.defined() ? plain_contiguous(weight) : Tensor();
  const Tensor b = bias.defined() ? plain_contiguous(bias) : Tensor();
  Tensor mean, rstd;
  if (training && count == 0) {  // an empty batch: nothing to normalize, running statistics kept (as PyTorch)
    mean = zeros({C}, TensorOptions(x.dtype()).device(x.device()));
    rstd = zeros({C}, TensorOptions(x.dtype()).device(x.device()));
  } else if (training) {
    mean = new_stats(x, {C});
    rstd = new_stats(x, {C});
    const Tensor var = running_var.defined() ? new_stats(x, {C}) : Tensor();
    kernel(x.device(), &Backend::norm_stats, op)(NormOp::Batch, mean, rstd, var, as_ncs(x, N, C), 1, eps);
    // running = (1 - momentum) * running + momentum * batch, with the unbiased batch variance.
    NoGradGuard no_grad;
    if (running_mean.defined()) add_(mul_(running_mean, 1 - momentum), mean, momentum);
    if (running_var.defined())
      add_(mul_(running_var, 1 - momentum), var, momentum * static_cast<double>(count) / static_cast<double>(count - 1));
  } else {
    NoGradGuard no_grad;
    mean = running_mean.contiguous().view({C});
    rstd = rsqrt(add(running_var, eps)).view({C});
  }
  Tensor out = empty(input.sizes(), TensorOptions(input.dtype()).device(input.device()));
  if (out.numel() > 0)
    kernel(x.device(), &Backend::norm_apply, op)(NormOp::Batch, as_ncs(out, N, C), as_ncs(x, N, C), mean, rstd,
                                                 w.defined() ? raw_view(w, {C}) : Tensor(),
                                                 b.defined() ? raw_view(b, {C}) : Tensor(), 1);
  if (auto node = make_node<NativeBatchNormBackward0>(input, weight, bias)) {
    node->input = SavedTensor(x);
    if (weight.defined()) node->weight = SavedTensor(weight);
    node->save_mean = SavedTensor(mean);
    node->save_rstd = SavedTensor(rstd);
    node->training = training;
    set_history(out, node);
  }
  return out;
}

// ---- layer norm and group norm -----------------------------------------------------------------

namespace {

// Group norm of x as [N, C, S] with `groups` groups; weight and bias [C].
struct GroupNormResult {
  Tensor out, mean, rstd;
};
GroupNormResult group_norm_forward(const char* op, const Tensor& x, int64_t N, int64_t C, int64_t groups,
                                   const Tensor& weight, const Tensor& bias, double eps) {
  GroupNormResult r;
  r.mean = new_stats(x, {N, groups});
  r.rstd = new_stats(x, {N, groups});
  r.out = empty(x.sizes(), TensorOptions(x.dtype()).device(x.device()));
  if (x.numel() == 0) return r;
  const Tensor w = weight.defined() ? raw_view(plain_contiguous(weight), {C}) : Tensor();
  const Tensor b = bias.defined() ? raw_view(plain_contiguous(bias), {C}) : Tensor();
  const Tensor x3 = as_ncs(x, N, C);
  kernel(x.device(), &Backend::norm_stats, op)(NormOp::Group, r.mean, r.rstd, Tensor(), x3, groups, eps);
  kernel(x.device(), &Backend::norm_apply, op)(NormOp::Group, as_ncs(r.out, N, C), x3, r.mean, r.rstd, w, b, groups);
  return r;
}

// The backward of layer_norm and group_norm: the input (contiguous, read as
// [N, C, S]), statistics [N, groups], weight (read as [C]) or undefined.
struct GroupNormNode : Node {
  SavedTensor input, weight, mean, rstd;
  int64_t N = 0, C = 0, groups = 1;
  TensorList apply(TensorList&& grads) override {
    const Tensor w = weight.defined() ? raw_view(plain_contiguous(weight.unpack()), {C}) : Tensor();
    TensorList g = norm_grads(*this, NormOp::Group, "norm_backward", grads[0], input.unpack(), mean.unpack(),
                              rstd.unpack(), w, N, C, groups, true);
    // Weight and bias gradients in the parameters' own shapes.
    if (g[1].defined()) g[1] = raw_view(g[1], weight_sizes);
    if (g[2].defined()) g[2] = raw_view(g[2], weight_sizes);
    return g;
  }
  void for_each_saved(const SavedVisitor& f) override { f(input); f(weight); f(mean); f(rstd); }
  DimVector weight_sizes;
};

}  // namespace

struct NativeLayerNormBackward0 final : GroupNormNode {
  std::string_view name() const override { return "NativeLayerNormBackward0"; }
};
struct NativeGroupNormBackward0 final : GroupNormNode {
  std::string_view name() const override { return "NativeGroupNormBackward0"; }
};

namespace {

template <typename N>
void record_group_norm(const Tensor& out, const Tensor& input, const Tensor& x, const Tensor& weight,
                       const Tensor& bias, const GroupNormResult& r, int64_t rows, int64_t C, int64_t groups,
                       IntArrayRef weight_sizes) {
  if (auto node = make_node<N>(input, weight, bias)) {
    node->input = SavedTensor(x);
    if (weight.defined()) node->weight = SavedTensor(weight);
    node->mean = SavedTensor(r.mean);
    node->rstd = SavedTensor(r.rstd);
    node->N = rows;
    node->C = C;
    node->groups = groups;
    node->weight_sizes = DimVector(weight_sizes);
    set_history(out, node);
  }
}

}  // namespace

Tensor layer_norm(const Tensor& input, IntArrayRef normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps) {
  const char* op = "layer_norm";
  check_input(op, input);
  const int64_t k = static_cast<int64_t>(normalized_shape.size());
  bool fits = k >= 1 && input.dim() >= k;
  for (int64_t i = 0; fits && i < k; ++i) fits = input.size(input.dim() - k + i) == normalized_shape[i];
  WICK_CHECK(fits, ValueError, op, ": given normalized_shape=", normalized_shape,
             ", expected input with shape [*", [&] {
               std::string s;
               for (int64_t v : normalized_shape) s += ", " + std::to_string(v);
               return s;
             }(),
             "], but got input of size ", input.sizes());
  int64_t D = 1;
  for (int64_t v : normalized_shape) D *= v;
  const int64_t rows = D == 0 ? 0 : input.numel() / D;
  for (const Tensor* p : {&weight, &bias}) {
    if (!p->defined()) continue;
    const char* what = p == &weight ? "weight" : "bias";
    WICK_CHECK(p->sizes() == normalized_shape, ValueError, op, ": expected ", what, " of shape ", normalized_shape,
               " (normalized_shape), but got ", what, " of size ", p->sizes());
    check_param(op, what, *p, input, D, "normalized_shape");
  }
  const Tensor x = plain_contiguous(input);
  // Each row of D elements is one sample with one group of D channels of size 1.
  GroupNormResult r = group_norm_forward(op, raw_view(x, {rows, D, 1}), rows, D, 1, weight, bias, eps);
  Tensor out = raw_view(r.out, input.sizes());
  record_group_norm<NativeLayerNormBackward0>(out, input, x, weight, bias, r, rows, D, 1, normalized_shape);
  return out;
}

Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight, const Tensor& bias, double eps) {
  const char* op = "group_norm";
  check_input(op, input);
  WICK_CHECK(input.dim() >= 2, ValueError, op,
             ": expected an input of 2 or more dims [N, C, *], but got input of size ", input.sizes());
  const int64_t N = input.size(0), C = input.size(1);
  WICK_CHECK(num_groups > 0 && C % num_groups == 0, ValueError, op,
             ": expected the number of channels of the input to be divisible by num_groups, but got input of size ",
             input.sizes(), " and num_groups=", num_groups);
  check_param(op, "weight", weight, input, C, "the channels");
  check_param(op, "bias", bias, input, C, "the channels");
  const Tensor x = plain_contiguous(input);
  GroupNormResult r = group_norm_forward(op, x, N, C, num_groups, weight, bias, eps);
  const DimVector weight_sizes = weight.defined() ? DimVector(weight.sizes()) : DimVector{C};
  record_group_norm<NativeGroupNormBackward0>(r.out, input, x, weight, bias, r, N, C, num_groups, weight_sizes);
  return r.out;
}

}  // namespace wick
