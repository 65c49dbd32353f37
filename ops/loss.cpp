// Loss functions and their derivatives.
//
// nll_loss is one fused kernel each way (backends/cpu/nll_loss.cpp), and
// cross_entropy with class indices is log_softmax followed by it, as in
// PyTorch: the hot loss of classification costs two passes forward and two
// backward. The other losses compute their value with wick ops and record one
// node named as PyTorch's (MseLossBackward0...), whose backward is also wick
// ops, so second derivatives work. cross_entropy with label smoothing or
// class probabilities, and l1_loss, are composites, as in PyTorch 1.13.
//
// Note [Loss dtypes]
// Each loss returns the dtype PyTorch 1.13's does for mixed float32/float64
// arguments, which is not the same rule for all of them:
//   - mse_loss, l1_loss, smooth_l1_loss: input and target promote (float32
//     and float64 give float64);
//   - huber_loss (wick/nn/functional.py): input's dtype, the target
//     converted (PyTorch writes into a tensor like the input);
//   - binary_cross_entropy: input and target of one dtype, else an error; a
//     weight of any dtype is converted to it;
//   - binary_cross_entropy_with_logits: target's dtype, which must be
//     floating like the input (PyTorch's formula runs in place on 1 - target),
//     whatever the dtypes of input, weight and pos_weight;
//   - nll_loss, cross_entropy with class indices: the input's dtype, with a
//     weight of the same dtype; targets int64 (or uint8, which PyTorch takes).
#include "ops/loss.h"

#include <cmath>

#include "autograd/function.h"
#include "core/dispatch.h"
#include "ops/creation.h"
#include "ops/elementwise.h"
#include "ops/indexing.h"
#include "ops/reduce.h"
#include "ops/softmax.h"
#include "ops/view.h"

namespace wick {

Reduction reduction_from_string(std::string_view s) {
  if (s == "mean") return Reduction::Mean;
  if (s == "sum") return Reduction::Sum;
  if (s == "none") return Reduction::None;
  WICK_THROW(ValueError, s, " is not a valid value for reduction (expected 'none', 'mean' or 'sum')");
}

namespace {

void check_defined(const Tensor& t, const char* op, const char* what) {
  WICK_CHECK(t.defined(), ValueError, op, ": undefined tensor argument '", what, "'");
}

void check_same_device(const Tensor& a, const Tensor& b, const char* op, const char* what) {
  WICK_CHECK(a.device() == b.device(), ValueError, op, ": expected ", what, " on ", a.device(),
             " like the input, but got ", b.device());
}

// PyTorch refuses gradients for these arguments rather than silently dropping them.
void check_no_grad(const Tensor& t, const char* op, const char* what) {
  WICK_CHECK(!(t.defined() && GradMode::is_enabled() && t.requires_grad()), Error, "The function '", op,
             "' is not differentiable with respect to argument '", what,
             "'. This input cannot have requires_grad True.");
}

// The loss terms reduced as asked.
Tensor reduce(const Tensor& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::None: return loss;
    case Reduction::Mean: return mean(loss);
    case Reduction::Sum: return sum(loss);
  }
  return loss;
}

// Gradient scale of a mean: 1 / numel.
Tensor scale_for(const Tensor& g, Reduction reduction, int64_t numel) {
  return reduction == Reduction::Mean ? div(g, static_cast<double>(numel)) : g;
}

SavedTensor save_defined(const Tensor& t) { return t.defined() ? SavedTensor(t) : SavedTensor(); }
Tensor unpack_defined(const SavedTensor& s) { return s.defined() ? s.unpack() : Tensor(); }

// ---- nll_loss --------------------------------------------------------------------------

// The geometry nll_loss works in: input [N, C, S], target [N, S].
struct NllShape {
  int64_t n = 1, c = 1, s = 1;
};

NllShape nll_shape(const Tensor& input) {
  NllShape sh;
  if (input.dim() == 1) {
    sh.c = input.size(0);
    return sh;
  }
  sh.n = input.size(0);
  sh.c = input.size(1);
  for (int64_t d = 2; d < input.dim(); ++d) sh.s *= input.size(d);
  return sh;
}

void check_nll_args(const Tensor& input, const Tensor& target, const Tensor& weight, const char* op) {
  check_defined(input, op, "input");
  check_defined(target, op, "target");
  WICK_CHECK(input.dim() >= 1, ValueError, op, ": Expected 1 or more dimensions (got ", input.dim(), ")");
  WICK_CHECK(input.is_floating_point(), TypeError, op, ": expected a floating point input, but got dtype ",
             input.dtype(), " (shape ", input.sizes(), ")");
  WICK_CHECK(target.dtype() == ScalarType::Int64 || target.dtype() == ScalarType::UInt8, TypeError, op,
             ": expected target of dtype int64 (class indices), but got ", target.dtype(), " (shape ",
             target.sizes(), ")");
  check_same_device(input, target, op, "target");
  if (input.dim() == 1) {
    WICK_CHECK(target.dim() == 0, ValueError, op, ": an unbatched input of shape ", input.sizes(),
               " needs a 0-dim target, but got target of shape ", target.sizes());
  } else {
    WICK_CHECK(target.dim() >= 1 && input.size(0) == target.size(0), ValueError, op, ": Expected input batch_size (",
               input.size(0), ") to match target batch_size (", target.dim() >= 1 ? target.size(0) : 0,
               ") (input shape ", input.sizes(), ", target shape ", target.sizes(), ")");
    bool same = target.dim() == input.dim() - 1;
    for (int64_t d = 2; same && d < input.dim(); ++d) same = target.size(d - 1) == input.size(d);
    WICK_CHECK(same, ValueError, op, ": expected target of shape [N, d1, ...] matching input [N, C, d1, ...] = ",
               input.sizes(), ", but got target of shape ", target.sizes());
  }
  if (weight.defined()) {
    const int64_t c = input.dim() == 1 ? input.size(0) : input.size(1);
    WICK_CHECK(weight.dim() == 1 && weight.numel() == c, ValueError, op,
               ": weight tensor should be defined either for all ", c,
               " classes or no classes but got weight tensor of shape: ", weight.sizes());
    WICK_CHECK(weight.dtype() == input.dtype(), TypeError, op, ": expected weight of dtype ", input.dtype(),
               " like the input, but got ", weight.dtype());
    check_same_device(input, weight, op, "weight");
  }
}

// Views of the arguments in the kernel's geometry, outside autograd.
Tensor as_nll_input(const Tensor& input, const NllShape& sh) { return reshape(detach(input), {sh.n, sh.c, sh.s}); }
Tensor as_nll_target(const Tensor& target, const NllShape& sh) { return reshape(detach(target), {sh.n, sh.s}); }

Tensor nll_loss_impl(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction,
                     int64_t ignore_index);

// grad_input of nll_loss for grad (of the loss's shape); a function of grad
// alone, linear, and recorded: its own derivative is nll_loss again.
Tensor nll_loss_backward(const Tensor& grad, IntArrayRef input_sizes, const Tensor& target, const Tensor& weight,
                         Reduction reduction, int64_t ignore_index, const Tensor& total_weight);

struct NllLossBackward0 final : Node {
  SavedTensor target, weight, total_weight;
  DimVector self_sizes;
  Reduction reduction = Reduction::Mean;
  int64_t ignore_index = -100;
  bool spatial = false;  // input of 3 or more dims (PyTorch runs nll_loss2d)
  std::string_view name() const override { return spatial ? "NllLoss2DBackward0" : "NllLossBackward0"; }
  TensorList apply(TensorList&& grads) override {
    return {nll_loss_backward(grads[0], self_sizes, target.unpack(), unpack_defined(weight), reduction, ignore_index,
                              total_weight.unpack())};
  }
  void for_each_saved(const SavedVisitor& f) override { f(target); f(weight); f(total_weight); }
};

// The derivative of nll_loss_backward with respect to its grad: the forward again.
struct NllLossBackwardBackward0 final : Node {
  SavedTensor target, weight;
  Reduction reduction = Reduction::Mean;
  int64_t ignore_index = -100;
  std::string_view name() const override { return "NllLossBackwardBackward0"; }
  TensorList apply(TensorList&& grads) override {
    return {nll_loss_impl(grads[0], target.unpack(), unpack_defined(weight), reduction, ignore_index)};
  }
  void for_each_saved(const SavedVisitor& f) override { f(target); f(weight); }
};

Tensor nll_loss_impl(const Tensor& input, const Tensor& target, const Tensor& weight_in, Reduction reduction,
                     int64_t ignore_index) {
  check_nll_args(input, target, weight_in, "nll_loss");
  check_no_grad(weight_in, "nll_loss_forward", "weight");
  const NllShape sh = nll_shape(input);
  const TensorOptions options = TensorOptions(input.dtype()).device(input.device());
  Tensor out = empty(reduction == Reduction::None ? target.sizes() : IntArrayRef(), options);
  Tensor total_weight = empty({}, options);
  {
    NoGradGuard no_grad;
    const Tensor weight = weight_in.defined() ? contiguous(weight_in) : Tensor();
    const Tensor out_view = reduction == Reduction::None ? out.view({sh.n, sh.s}) : out;
    kernel(input.device(), &Backend::nll_loss, "nll_loss")(out_view, total_weight, as_nll_input(input, sh),
                                                            as_nll_target(target, sh), weight, reduction,
                                                            ignore_index);
  }
  if (auto node = make_node<NllLossBackward0>(input)) {
    node->target = SavedTensor(target);
    node->weight = save_defined(weight_in);
    node->total_weight = SavedTensor(total_weight);
    node->self_sizes = DimVector(input.sizes());
    node->reduction = reduction;
    node->ignore_index = ignore_index;
    node->spatial = input.dim() >= 3;
    set_history(out, node);
  }
  return out;
}

Tensor nll_loss_backward(const Tensor& grad, IntArrayRef input_sizes, const Tensor& target, const Tensor& weight,
                         Reduction reduction, int64_t ignore_index, const Tensor& total_weight) {
  NllShape sh;
  if (input_sizes.size() == 1) {
    sh.c = input_sizes[0];
  } else {
    sh.n = input_sizes[0];
    sh.c = input_sizes[1];
    for (size_t d = 2; d < input_sizes.size(); ++d) sh.s *= input_sizes[d];
  }
  Tensor grad_input = empty(input_sizes, TensorOptions(grad.dtype()).device(grad.device()));
  if (grad_input.numel() > 0) {
    NoGradGuard no_grad;
    const Tensor g = reduction == Reduction::None ? reshape(detach(grad), {sh.n, sh.s}) : grad;
    const Tensor w = weight.defined() ? contiguous(weight.to(grad.dtype())) : Tensor();
    kernel(grad.device(), &Backend::nll_loss_backward, "nll_loss_backward")(
        grad_input.view({sh.n, sh.c, sh.s}), g, as_nll_target(target, sh), w, reduction, ignore_index,
        total_weight.to(grad.dtype()));
  }
  if (auto node = make_node<NllLossBackwardBackward0>(grad)) {
    node->target = SavedTensor(target);
    node->weight = save_defined(weight);
    node->reduction = reduction;
    node->ignore_index = ignore_index;
    set_history(grad_input, node);
  }
  return grad_input;
}

// The class dim of a classification input: 0 unbatched, else 1.
int64_t class_dim(const Tensor& input) { return input.dim() == 1 ? 0 : 1; }

// weight [C] as a tensor that broadcasts along the class dim of `input`.
Tensor class_weight_view(const Tensor& weight, const Tensor& input) {
  if (input.dim() <= 1) return weight;
  DimVector shape(static_cast<size_t>(input.dim()), 1);
  shape[1] = weight.size(0);
  return view(weight, shape);
}

// cross_entropy with class probabilities (target has the input's shape).
Tensor cross_entropy_probabilities(const Tensor& input, const Tensor& target, const Tensor& weight,
                                   Reduction reduction, double label_smoothing) {
  const char* op = "cross_entropy";
  WICK_CHECK(target.is_floating_point(), TypeError, op,
             ": Expected floating point type for target with class probabilities, got ", target.dtype());
  check_same_device(input, target, op, "target");
  const int64_t cd = class_dim(input);
  const int64_t n_classes = input.size(cd);
  if (weight.defined()) {
    WICK_CHECK(weight.dim() == 1 && weight.numel() == n_classes, ValueError, op,
               ": weight tensor should be defined either for all ", n_classes,
               " classes or no classes but got weight tensor of shape: ", weight.sizes());
    check_same_device(input, weight, op, "weight");
  }
  const Tensor logp = log_softmax(input, cd);
  const Tensor t = label_smoothing > 0
                       ? add(mul(target, 1 - label_smoothing), label_smoothing / static_cast<double>(n_classes))
                       : target;
  Tensor terms = mul(logp, t);
  if (weight.defined()) terms = mul(terms, class_weight_view(weight, input));
  switch (reduction) {
    case Reduction::None: return neg(sum(terms, {cd}));
    case Reduction::Sum: return neg(sum(terms));
    case Reduction::Mean: {
      // Mean over the positions, that is numel / C of them (nan when there are none).
      const double positions = input.numel() == 0 ? 0.0 : static_cast<double>(input.numel() / n_classes);
      return div(neg(sum(terms)), positions);
    }
  }
  return Tensor();
}

// cross_entropy with class indices and label smoothing: PyTorch 1.13's
// formula, (1 - eps) * nll + eps / C * smooth, where smooth is the
// (weighted) sum of -log p over the classes, zero at ignored targets, and
// reduced like nll (a mean divides by the same total weight).
Tensor cross_entropy_label_smoothing(const Tensor& input, const Tensor& target, const Tensor& weight,
                                     Reduction reduction, int64_t ignore_index, double label_smoothing) {
  const int64_t cd = class_dim(input);
  const Tensor logp = log_softmax(input, cd);
  const Tensor nll = nll_loss_impl(logp, target, weight, reduction, ignore_index);
  const int64_t n_classes = input.size(cd);
  const Tensor ignored = eq(target, ignore_index);
  Tensor smooth = weight.defined() ? neg(sum(mul(logp, class_weight_view(weight, input)), {cd}))
                                   : neg(sum(logp, {cd}));
  smooth = masked_fill(smooth, ignored, 0.0);
  Tensor ret;
  switch (reduction) {
    case Reduction::None: ret = smooth; break;
    case Reduction::Sum: ret = sum(smooth); break;
    case Reduction::Mean: {
      const Tensor kept = logical_not(ignored);
      ret = weight.defined() ? div(sum(smooth), sum(index_select(weight, 0, masked_select(target, kept))))
                             : div(sum(smooth), sum(kept));
      break;
    }
  }
  return add(mul(nll, 1 - label_smoothing), mul(ret, label_smoothing / static_cast<double>(n_classes)));
}

// ---- regression losses ---------------------------------------------------------------

// input and target expanded to their common shape (PyTorch broadcasts them,
// with a warning, in torch.nn.functional).
std::pair<Tensor, Tensor> broadcast_pair(const Tensor& input, const Tensor& target, const char* op) {
  check_defined(input, op, "input");
  check_defined(target, op, "target");
  check_same_device(input, target, op, "target");
  if (input.sizes() == target.sizes()) return {input, target};
  const DimVector shape = broadcast_shapes(input.sizes(), target.sizes());
  return {input.sizes() == IntArrayRef(shape) ? input : expand(input, shape),
          target.sizes() == IntArrayRef(shape) ? target : expand(target, shape)};
}

// The pair of a loss computed in their promoted dtype, which must be floating
// (mse_loss of a float32 input and a bool target is float32, as in PyTorch,
// whose kernel promotes rather than subtracting a bool). Bool operands are
// converted, since wick subtracts no bool (PyTorch's sub_check).
std::pair<Tensor, Tensor> floating_pair(std::pair<Tensor, Tensor> p, const char* op) {
  auto& [a, b] = p;
  WICK_CHECK(a.is_floating_point() || b.is_floating_point(), TypeError, op,
             ": expected floating point input or target, but got dtypes ", a.dtype(), " and ", b.dtype());
  const ScalarType t = result_type(a, b);
  if (a.dtype() == ScalarType::Bool) a = a.to(t);
  if (b.dtype() == ScalarType::Bool) b = b.to(t);
  return p;
}

// Nodes of a loss of (input, target) that keep both.
struct PairLossNode : Node {
  SavedTensor self, target;
  Reduction reduction = Reduction::Mean;
  void for_each_saved(const SavedVisitor& f) override { f(self); f(target); }
  // The input's gradient gi and the target's, -gi, as asked for.
  TensorList input_and_negated(const Tensor& gi) const {
    return {needs_input_grad(0) ? gi : Tensor(), needs_input_grad(1) ? neg(gi) : Tensor()};
  }
};

struct MseLossBackward0 final : PairLossNode {
  std::string_view name() const override { return "MseLossBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor x = self.unpack();
    const Tensor d = sub(x, target.unpack());
    return input_and_negated(mul(mul(d, 2.0), scale_for(grads[0], reduction, x.numel())));
  }
};

struct SmoothL1LossBackward0 final : PairLossNode {
  double beta = 1.0;
  std::string_view name() const override { return "SmoothL1LossBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor x = self.unpack();
    const Tensor d = sub(x, target.unpack());
    // -1 below -beta, d / beta between, 1 above. beta = 0 is the L1 loss, whose
    // slope sign(d) is 0 at d = 0 (d / 0 there is nan; PyTorch 1.13 gives -1
    // to both input and target, a bug later versions fix by calling l1_loss).
    const Tensor slope = beta == 0 ? sign(d) : clamp(div(d, beta), Scalar(-1.0), Scalar(1.0));
    return input_and_negated(mul(slope, scale_for(grads[0], reduction, x.numel())));
  }
};

template <typename N>
Tensor record_pair(Tensor out, const Tensor& input, const Tensor& target, Reduction reduction,
                   const std::shared_ptr<N>& node) {
  if (node) {
    node->self = SavedTensor(input);
    node->target = SavedTensor(target);
    node->reduction = reduction;
    set_history(out, node);
  }
  return out;
}

// ---- binary cross entropy -------------------------------------------------------------

struct BinaryCrossEntropyBackward0 final : Node {
  SavedTensor self, target, weight;
  Reduction reduction = Reduction::Mean;
  std::string_view name() const override { return "BinaryCrossEntropyBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor x = self.unpack(), t = target.unpack(), w = unpack_defined(weight);
    Tensor g = scale_for(grads[0], reduction, x.numel());
    if (w.defined()) g = mul(g, w);
    Tensor gi, gt;
    if (needs_input_grad(0)) {
      // (x - t) / max(x (1 - x), 1e-12), PyTorch's guard against 0 / 0 at x = 0 or 1.
      gi = mul(div(sub(x, t), clamp(mul(sub(1.0, x), x), Scalar(1e-12), std::nullopt)), g);
    }
    if (needs_input_grad(1)) gt = mul(neg(log(div(x, sub(1.0, x)))), g);  // -logit(x)
    return {gi, gt};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(target); f(weight); }
};

struct BinaryCrossEntropyWithLogitsBackward0 final : Node {
  SavedTensor self, target, weight, pos_weight;
  Reduction reduction = Reduction::Mean;
  std::string_view name() const override { return "BinaryCrossEntropyWithLogitsBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor x = self.unpack(), t = target.unpack();
    const Tensor w = unpack_defined(weight), pw = unpack_defined(pos_weight);
    Tensor g = scale_for(grads[0], reduction, x.numel());
    if (w.defined()) g = mul(g, w);
    Tensor gi, gt;
    if (needs_input_grad(0)) {
      if (pw.defined()) {
        const Tensor pt = mul(pw, t);  // d/dx = (pw t + 1 - t) sigmoid(x) - pw t
        gi = mul(sub(mul(sub(add(pt, 1.0), t), sigmoid(x)), pt), g);
      } else {
        gi = mul(sub(sigmoid(x), t), g);
      }
    }
    if (needs_input_grad(1)) {
      // d/dt = -x + (pw - 1) softplus(-x) = log_sigmoid(-x) - pw log_sigmoid(x)
      gt = pw.defined() ? mul(sub(log_sigmoid(neg(x)), mul(pw, log_sigmoid(x))), g) : mul(neg(x), g);
    }
    return {gi, gt};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(target); f(weight); f(pos_weight); }
};

}  // namespace

// ---- public functions ----------------------------------------------------------------------

namespace {
// Class indices as the kernels take them: int64 (PyTorch takes uint8 too).
Tensor class_indices(const Tensor& target) {
  if (!target.defined() || target.dtype() != ScalarType::UInt8) return target;
  NoGradGuard no_grad;
  return target.to(ScalarType::Int64);
}
}  // namespace

Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction,
                int64_t ignore_index) {
  return nll_loss_impl(input, class_indices(target), weight, reduction, ignore_index);
}

Tensor cross_entropy(const Tensor& input, const Tensor& target_in, const Tensor& weight, Reduction reduction,
                     int64_t ignore_index, double label_smoothing) {
  const char* op = "cross_entropy";
  if (input.defined() && target_in.defined() && target_in.is_floating_point() && input.dim() >= 1 &&
      input.sizes() != target_in.sizes()) {
    // Not a dtype problem: a floating target means probabilities, of the input's shape.
    DimVector index_shape;
    for (int64_t d = 0; d < input.dim(); ++d)
      if (d != (input.dim() == 1 ? 0 : 1)) index_shape.push_back(input.size(d));
    WICK_THROW(ValueError, op, ": a floating-point target holds class probabilities and must have the input's shape ",
               input.sizes(), ", but got ", target_in.dtype(), " of shape ", target_in.sizes(),
               " (class indices are an int64 target of shape ", IntArrayRef(index_shape), ")");
  }
  const Tensor target = input.defined() && target_in.defined() && input.sizes() != target_in.sizes()
                            ? class_indices(target_in)
                            : target_in;
  check_defined(input, op, "input");
  check_defined(target, op, "target");
  WICK_CHECK(input.dim() >= 1, ValueError, op, ": Expected 1 or more dimensions (got ", input.dim(), ")");
  if (input.sizes() == target.sizes()) {  // class probabilities
    WICK_CHECK(ignore_index < 0, ValueError, op, ": ignore_index is not supported for floating point target (got ",
               ignore_index, ")");
    WICK_CHECK(label_smoothing <= 1.0, ValueError, op, ": label_smoothing must be between 0.0 and 1.0. Got: ",
               label_smoothing);
    return cross_entropy_probabilities(input, target, weight, reduction, label_smoothing);
  }
  if (label_smoothing > 0.0) {
    WICK_CHECK(label_smoothing <= 1.0, ValueError, op, ": label_smoothing must be between 0.0 and 1.0. Got: ",
               label_smoothing);
    check_nll_args(input, target, weight, op);
    return cross_entropy_label_smoothing(input, target, weight, reduction, ignore_index, label_smoothing);
  }
  check_nll_args(input, target, weight, op);
  return nll_loss_impl(log_softmax(input, class_dim(input)), target, weight, reduction, ignore_index);
}

Tensor mse_loss(const Tensor& input_in, const Tensor& target_in, Reduction reduction) {
  const auto [input, target] = floating_pair(broadcast_pair(input_in, target_in, "mse_loss"), "mse_loss");
  Tensor out;
  {
    NoGradGuard no_grad;
    const Tensor d = sub(input, target);
    out = reduce(mul(d, d), reduction);
  }
  return record_pair(out, input, target, reduction, make_node<MseLossBackward0>(input, target));
}

Tensor l1_loss(const Tensor& input_in, const Tensor& target_in, Reduction reduction) {
  // A composite, as in PyTorch: integers are taken (their mean is an error), bools are not.
  const auto [input, target] = broadcast_pair(input_in, target_in, "l1_loss");
  return reduce(abs(sub(input, target)), reduction);
}

Tensor smooth_l1_loss(const Tensor& input_in, const Tensor& target_in, Reduction reduction, double beta) {
  WICK_CHECK(beta >= 0, ValueError, "smooth_l1_loss does not support negative values for beta (got ", beta, ")");
  const auto [input, target] =
      floating_pair(broadcast_pair(input_in, target_in, "smooth_l1_loss"), "smooth_l1_loss");
  Tensor out;
  {
    NoGradGuard no_grad;
    // 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta.
    const Tensor z = abs(sub(input, target));
    const Tensor loss = where(lt(z, beta), div(mul(mul(z, z), 0.5), beta), sub(z, 0.5 * beta));
    out = reduce(loss, reduction);
  }
  auto node = make_node<SmoothL1LossBackward0>(input, target);
  if (node) node->beta = beta;
  return record_pair(out, input, target, reduction, node);
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight_in,
                            Reduction reduction) {
  const char* op = "binary_cross_entropy";
  check_defined(input, op, "input");
  check_defined(target, op, "target");
  WICK_CHECK(input.sizes() == target.sizes(), ValueError, op, ": Using a target size (", target.sizes(),
             ") that is different to the input size (", input.sizes(),
             ") is deprecated. Please ensure they have the same size.");
  WICK_CHECK(input.is_floating_point(), TypeError, op, ": expected a floating point input, but got ", input.dtype());
  WICK_CHECK(target.dtype() == input.dtype(), TypeError, op, ": expected target of dtype ", input.dtype(),
             " like the input, but got ", target.dtype());
  check_same_device(input, target, op, "target");
  check_no_grad(weight_in, op, "weight");
  Tensor weight;
  if (weight_in.defined()) {
    check_same_device(input, weight_in, op, "weight");
    NoGradGuard no_grad;  // not differentiable in weight (checked above)
    weight = expand(weight_in.dtype() == input.dtype() ? weight_in : weight_in.to(input.dtype()), input.sizes());
  }
  Tensor out;
  {
    NoGradGuard no_grad;
    const Tensor in_range = logical_and(ge(input, 0.0), le(input, 1.0));  // false for nan too
    WICK_CHECK(all(in_range).item<bool>(), Error, op, ": all elements of input should be between 0 and 1");
    // (t - 1) * max(log(1 - x), -100) - t * max(log(x), -100)
    const Tensor log_x = clamp(log(input), Scalar(-100.0), std::nullopt);
    const Tensor log_1mx = clamp(log(sub(1.0, input)), Scalar(-100.0), std::nullopt);
    Tensor loss = sub(mul(sub(target, 1.0), log_1mx), mul(target, log_x));
    if (weight.defined()) loss = mul(loss, weight);
    out = reduce(loss, reduction);
  }
  if (auto node = make_node<BinaryCrossEntropyBackward0>(input, target)) {
    node->self = SavedTensor(input);
    node->target = SavedTensor(target);
    node->weight = save_defined(weight);
    node->reduction = reduction;
    set_history(out, node);
  }
  return out;
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        Reduction reduction, const Tensor& pos_weight) {
  const char* op = "binary_cross_entropy_with_logits";
  check_defined(input, op, "input");
  check_defined(target, op, "target");
  WICK_CHECK(input.sizes() == target.sizes(), ValueError, op, ": Target size (", target.sizes(),
             ") must be the same as input size (", input.sizes(), ")");
  WICK_CHECK(input.is_floating_point() && target.is_floating_point(), TypeError, op,
             ": expected floating point input and target, but got dtypes ", input.dtype(), " and ", target.dtype());
  check_same_device(input, target, op, "target");
  check_no_grad(weight, op, "weight");
  check_no_grad(pos_weight, op, "pos_weight");
  if (weight.defined()) check_same_device(input, weight, op, "weight");
  if (pos_weight.defined()) check_same_device(input, pos_weight, op, "pos_weight");
  Tensor out;
  {
    NoGradGuard no_grad;
    // PyTorch's stable form: with m = max(-x, 0), softplus(-x) = m + log(exp(-m) + exp(-x - m)).
    const Tensor m = relu(neg(input));
    const Tensor softplus_neg = add(m, log(add(exp(neg(m)), exp(sub(neg(input), m)))));
    const Tensor linear = mul(sub(1.0, target), input);
    Tensor loss = pos_weight.defined() ? add(linear, mul(add(mul(sub(pos_weight, 1.0), target), 1.0), softplus_neg))
                                       : add(linear, softplus_neg);
    if (weight.defined()) loss = mul(loss, weight);
    if (loss.dtype() != target.dtype()) loss = loss.to(target.dtype());  // Note [Loss dtypes]
    out = reduce(loss, reduction);
  }
  if (auto node = make_node<BinaryCrossEntropyWithLogitsBackward0>(input, target)) {
    node->self = SavedTensor(input);
    node->target = SavedTensor(target);
    node->weight = save_defined(weight);
    node->pos_weight = save_defined(pos_weight);
    node->reduction = reduction;
    set_history(out, node);
  }
  return out;
}

}  // namespace wick
