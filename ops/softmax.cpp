// softmax and log_softmax: one fused kernel each way (backends/cpu/softmax.cpp).
#include "ops/softmax.h"

#include "autograd/function.h"
#include "core/dispatch.h"
#include "ops/creation.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"
#include "ops/view.h"

namespace wick {

namespace {

// The gradient of softmax (log: log_softmax) at output y, for incoming g.
// Note [Softmax double backward]
// The fused kernel computes it in one pass but records nothing. When the
// backward itself is being recorded (create_graph), the same formula runs as
// wick ops instead, so gradients of gradients flow through y and g:
//   softmax:      y * (g - sum(g * y))
//   log_softmax:  g - exp(y) * sum(g)
Tensor softmax_backward_data(const Tensor& g, const Tensor& y, int64_t dim, bool log) {
  if (GradMode::is_enabled() && (g.requires_grad() || y.requires_grad())) {
    if (log) return sub(g, mul(exp(y), sum(g, {dim}, true)));
    return mul(y, sub(g, sum(mul(g, y), {dim}, true)));
  }
  NoGradGuard no_grad;
  const Tensor gc = contiguous(g.dtype() == y.dtype() ? g : g.to(y.dtype()));
  Tensor grad_in = empty(y.sizes(), TensorOptions(y.dtype()).device(y.device()));
  if (grad_in.numel() > 0)
    kernel(y.device(), &Backend::softmax_backward, log ? "log_softmax_backward" : "softmax_backward")(
        grad_in, gc, y, y.dim() == 0 ? 0 : dim, log);
  return grad_in;
}

struct SoftmaxNode : Node {
  SavedTensor result;
  int64_t dim = 0;
  void for_each_saved(const SavedVisitor& f) override { f(result); }
};

struct SoftmaxBackward0 final : SoftmaxNode {
  std::string_view name() const override { return "SoftmaxBackward0"; }
  TensorList apply(TensorList&& grads) override { return {softmax_backward_data(grads[0], result.unpack(), dim, false)}; }
};

struct LogSoftmaxBackward0 final : SoftmaxNode {
  std::string_view name() const override { return "LogSoftmaxBackward0"; }
  TensorList apply(TensorList&& grads) override { return {softmax_backward_data(grads[0], result.unpack(), dim, true)}; }
};

template <typename N>
Tensor softmax_impl(const Tensor& x_in, int64_t dim_in, std::optional<ScalarType> dtype, bool log, const char* op) {
  WICK_CHECK(x_in.defined(), ValueError, op, ": undefined tensor argument");
  const int64_t dim = wrap_dim(dim_in, x_in.dim(), op);
  // `dtype` converts first (a recorded conversion, as in PyTorch).
  const Tensor x = dtype && *dtype != x_in.dtype() ? x_in.to(*dtype) : x_in;
  WICK_CHECK(x.is_floating_point(), TypeError, op, ": expected a floating point input (or a floating dtype argument), ",
             "but got a tensor of dtype ", x.dtype(), " and shape ", x.sizes());
  Tensor out = empty(x.sizes(), TensorOptions(x.dtype()).device(x.device()));
  if (out.numel() > 0) {
    NoGradGuard no_grad;
    kernel(x.device(), &Backend::softmax, op)(out, contiguous(x), x.dim() == 0 ? 0 : dim, log);
  }
  if (auto node = make_node<N>(x)) {
    node->dim = dim;
    node->result = SavedTensor::output(out, node);
    set_history(out, node);
  }
  return out;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim, std::optional<ScalarType> dtype) {
  return softmax_impl<SoftmaxBackward0>(x, dim, dtype, false, "softmax");
}

Tensor log_softmax(const Tensor& x, int64_t dim, std::optional<ScalarType> dtype) {
  return softmax_impl<LogSoftmaxBackward0>(x, dim, dtype, true, "log_softmax");
}

}  // namespace wick
