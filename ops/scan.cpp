// cumsum, cumprod, cummax, cummin, logcumsumexp: one backend scan forward,
// and backwards made of wick ops (so they are differentiable again), with
// PyTorch's node names.
#include "ops/scan.h"

#include <limits>

#include "autograd/function.h"
#include "core/dispatch.h"
#include "ops/creation.h"
#include "ops/elementwise.h"
#include "ops/indexing.h"
#include "ops/rearrange.h"
#include "ops/reduce.h"
#include "ops/view.h"

namespace wick {

namespace {

// The scan of x along dim (already wrapped; 0 for a 0-dim x), not recorded;
// indices only for cummax/cummin.
ValuesIndices scan_forward(ScanOp op, const Tensor& x, int64_t dim, const char* name) {
  NoGradGuard no_grad;
  const bool with_indices = op == ScanOp::Max || op == ScanOp::Min;
  Tensor out = empty(x.sizes(), TensorOptions(x.dtype()).device(x.device()));
  Tensor indices = with_indices ? empty(x.sizes(), TensorOptions(ScalarType::Int64).device(x.device())) : Tensor();
  if (out.numel() > 0) kernel(x.device(), &Backend::scan, name)(op, out, indices, contiguous(x), dim);
  return {out, indices};
}

int64_t scan_dim(const Tensor& x, int64_t dim, const char* name) {
  WICK_CHECK(x.defined(), ValueError, name, ": undefined tensor argument");
  return x.dim() == 0 ? (wrap_dim(dim, 1, name), 0) : wrap_dim(dim, x.dim(), name);
}

// The sum over positions at and after each one: the adjoint of cumsum.
Tensor reversed_cumsum(const Tensor& t, int64_t dim) {
  return t.dim() == 0 ? t : flip(cumsum(flip(t, {dim}), dim), {dim});
}

}  // namespace

// ---- cumsum, cumprod --------------------------------------------------------------------------

struct CumsumBackward0 final : Node {
  int64_t dim = 0;
  std::string_view name() const override { return "CumsumBackward0"; }
  TensorList apply(TensorList&& grads) override { return {reversed_cumsum(grads[0], dim)}; }
};

// Note [cumprod's gradient with zeros]
// d out_j / d x_i = prod_{m <= j, m != i} x_m for i <= j. Without zeros that
// is out_j / x_i, so grad_i = sum_{j >= i} g_j out_j / x_i. With zeros, let k
// be the first one along the dim:
//   i < k: the same formula (out_j is 0 from k on, so only j < k count);
//   i = k: sum_{j >= k} g_j prod_{m <= j, m != k} x_m, the reversed cumsum of
//          g times the cumprod of x with x_k replaced by 1;
//   i > k: 0 (every product that involves x_i also holds x_k = 0).
// All of it is wick ops, so the gradient is differentiable again.
namespace {
Tensor cumprod_backward(const Tensor& g, const Tensor& x, const Tensor& out, int64_t dim) {
  if (x.numel() <= 1) return g;
  const Tensor is_zero = eq(x, wrap_scalar(0));
  if (!GradMode::is_enabled() && !any(is_zero).item<bool>()) return div(reversed_cumsum(mul(g, out), dim), x);
  const Tensor zeros_so_far = cumsum(is_zero, dim);
  const Tensor before = eq(zeros_so_far, wrap_scalar(0));
  const Tensor first_zero = logical_and(is_zero, eq(zeros_so_far, wrap_scalar(1)));
  const Tensor grad_before = div(reversed_cumsum(mul(g, out), dim), where(before, x, 1));
  const Tensor grad_first_zero = reversed_cumsum(mul(g, cumprod(where(first_zero, 1, x), dim)), dim);
  return where(before, grad_before, where(first_zero, grad_first_zero, 0));
}
}  // namespace

struct CumprodBackward0 final : Node {
  SavedTensor self, result;
  int64_t dim = 0;
  std::string_view name() const override { return "CumprodBackward0"; }
  TensorList apply(TensorList&& grads) override {
    return {cumprod_backward(grads[0], self.unpack(), result.unpack(), dim)};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(result); }
};

namespace {

// cumsum and cumprod: the input converted to dtype, or integers to int64.
Tensor accumulating_input(const Tensor& self, std::optional<ScalarType> dtype) {
  if (dtype) return *dtype == self.dtype() ? self : self.to(*dtype);
  return is_integral(self.dtype(), true) && self.dtype() != ScalarType::Int64 ? self.to(ScalarType::Int64) : self;
}

}  // namespace

Tensor cumsum(const Tensor& self, int64_t dim_in, std::optional<ScalarType> dtype) {
  const int64_t dim = scan_dim(self, dim_in, "cumsum");
  const Tensor x = accumulating_input(self, dtype);
  Tensor out = scan_forward(ScanOp::Sum, x, dim, "cumsum").values;
  if (auto node = make_node<CumsumBackward0>(x)) {
    node->dim = dim;
    set_history(out, node);
  }
  return out;
}

Tensor cumprod(const Tensor& self, int64_t dim_in, std::optional<ScalarType> dtype) {
  const int64_t dim = scan_dim(self, dim_in, "cumprod");
  const Tensor x = accumulating_input(self, dtype);
  Tensor out = scan_forward(ScanOp::Prod, x, dim, "cumprod").values;
  if (auto node = make_node<CumprodBackward0>(x)) {
    node->dim = dim;
    node->self = SavedTensor(x);
    node->result = SavedTensor::output(out, node);
    set_history(out, node);
  }
  return out;
}

// ---- cummax, cummin ---------------------------------------------------------------------------

// Each output's gradient goes to the position its value came from.
struct CumExtremeBackward : Node {
  SavedTensor indices;
  DimVector self_sizes;
  int64_t dim = 0;
  TensorList apply(TensorList&& grads) override { return {gather_backward(grads[0], self_sizes, dim, indices.unpack())}; }
  void for_each_saved(const SavedVisitor& f) override { f(indices); }
};
struct CummaxBackward0 final : CumExtremeBackward {
  std::string_view name() const override { return "CummaxBackward0"; }
};
struct CumminBackward0 final : CumExtremeBackward {
  std::string_view name() const override { return "CumminBackward0"; }
};

namespace {

template <typename N>
ValuesIndices cum_extreme(ScanOp op, const Tensor& self, int64_t dim_in, const char* name) {
  const int64_t dim = scan_dim(self, dim_in, name);
  ValuesIndices out = scan_forward(op, self, dim, name);
  if (auto node = make_node<N>(self)) {
    node->indices = SavedTensor(out.indices);
    node->self_sizes = DimVector(self.sizes());
    node->dim = dim;
    set_history(out.values, node);
  }
  return out;
}

}  // namespace

ValuesIndices cummax(const Tensor& self, int64_t dim) {
  return cum_extreme<CummaxBackward0>(ScanOp::Max, self, dim, "cummax");
}
ValuesIndices cummin(const Tensor& self, int64_t dim) {
  return cum_extreme<CumminBackward0>(ScanOp::Min, self, dim, "cummin");
}

// ---- logcumsumexp -----------------------------------------------------------------------------

// Note [logcumsumexp's gradient]
// grad_i = sum_{j >= i} g_j exp(x_i - out_j). Summed in log space, the
// positive and the negative parts of g separately (the log of a sum of signed
// terms has no meaning): exp(x_i + reversed_logcumsumexp(log|g_j| - out_j)),
// where the entries of the other sign (and zeros) take the lowest finite value
// (not -inf, which would make -inf - -inf = NaN).
namespace {
Tensor logcumsumexp_backward(const Tensor& g, const Tensor& x, const Tensor& out, int64_t dim) {
  if (x.numel() == 0 || x.dim() == 0) return g;
  const double lowest =
      g.dtype() == ScalarType::Float32 ? std::numeric_limits<float>::lowest() : std::numeric_limits<double>::lowest();
  const Tensor log_abs = log(abs(g));
  const auto part = [&](const Tensor& take) {
    const Tensor log_g = where(take, log_abs, lowest);
    const Tensor summed = flip(logcumsumexp(flip(sub(log_g, out), {dim}), dim), {dim});
    return exp(add(summed, x));
  };
  return sub(part(gt(g, wrap_scalar(0))), part(lt(g, wrap_scalar(0))));
}
}  // namespace

struct LogcumsumexpBackward0 final : Node {
  SavedTensor self, result;
  int64_t dim = 0;
  std::string_view name() const override { return "LogcumsumexpBackward0"; }
  TensorList apply(TensorList&& grads) override {
    return {logcumsumexp_backward(grads[0], self.unpack(), result.unpack(), dim)};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(result); }
};

Tensor logcumsumexp(const Tensor& self, int64_t dim_in) {
  const int64_t dim = scan_dim(self, dim_in, "logcumsumexp");
  WICK_CHECK(self.is_floating_point(), TypeError, "logcumsumexp: expected a floating point input, got dtype ",
             self.dtype(), " (shape ", self.sizes(), ")");
  Tensor out = scan_forward(ScanOp::LogSumExp, self, dim, "logcumsumexp").values;
  if (auto node = make_node<LogcumsumexpBackward0>(self)) {
    node->dim = dim;
    node->self = SavedTensor(self);
    node->result = SavedTensor::output(out, node);
    set_history(out, node);
  }
  return out;
}

}  // namespace wick
