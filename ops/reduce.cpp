// Reductions and their derivatives.
#include "ops/reduce.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>

#include "autograd/function.h"
#include "core/dispatch.h"
#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/elementwise.h"
#include "ops/view.h"

namespace wick {

namespace {

// The reduced dims, wrapped, sorted and checked for repeats; empty means all.
DimVector reduce_dims(const Tensor& x, IntArrayRef dims, const char* op) {
  if (dims.empty()) {
    DimVector all;
    for (int64_t d = 0; d < x.dim(); ++d) all.push_back(d);
    return all;
  }
  DimVector out = wrap_dims(dims, x.dim(), op);
  if (x.dim() == 0) out.clear();  // dim 0 / -1 of a 0-dim tensor reduces nothing
  std::sort(out.begin(), out.end());
  return out;
}

DimVector keepdim_shape(const Tensor& x, IntArrayRef dims) {
  DimVector shape(x.sizes());
  for (int64_t d : dims) shape[d] = 1;
  return shape;
}

DimVector result_shape(const Tensor& x, IntArrayRef dims, bool keepdim) {
  if (keepdim) return keepdim_shape(x, dims);
  DimVector shape;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (std::find(dims.begin(), dims.end(), d) == dims.end()) shape.push_back(x.sizes()[d]);
  return shape;
}

// Runs the reduce kernel over `dims` (already normalized) of x converted to
// `dtype`; returns the result in keepdim or squeezed shape. Not recorded.
Tensor reduce_forward(ReduceOp op, const Tensor& x, IntArrayRef dims, bool keepdim, ScalarType dtype, const char* name) {
  NoGradGuard no_grad;
  const Tensor in = x.dtype() == dtype ? x : x.to(dtype);
  const ScalarType out_dtype = (op == ReduceOp::Any || op == ReduceOp::All) ? ScalarType::Bool : dtype;
  Tensor out = empty(keepdim_shape(x, dims), TensorOptions(out_dtype).device(x.device()));
  if (out.numel() > 0) kernel(x.device(), &Backend::reduce, name)(op, out, Tensor(), in, dims);
  return keepdim ? out : out.view(result_shape(x, dims, false));
}

// A reduction's result (or its gradient) with the reduced dims re-inserted as
// size 1 when keepdim was false, so that it broadcasts against the input.
Tensor restore_dims(const Tensor& t, IntArrayRef dims, bool keepdim) {
  Tensor r = t;
  if (!keepdim)
    for (int64_t d : dims) r = unsqueeze(r, d);  // dims ascending: each lands where it was
  return r;
}

// grad of a reduction, brought back to the input's shape.
Tensor expand_back(const Tensor& grad, IntArrayRef self_sizes, IntArrayRef dims, bool keepdim) {
  return expand(restore_dims(grad, dims, keepdim), self_sizes);
}

// Reductions without an identity (max, min...) need a non-empty set of
// elements for each output.
void check_reduced_nonempty(const Tensor& x, IntArrayRef dims, const char* op) {
  for (int64_t d : dims)
    WICK_CHECK(x.sizes()[d] != 0, IndexError, op, "(): Expected reduction dim ", d,
               " to have non-zero size (input of shape ", x.sizes(), ")");
}

ScalarType sum_dtype(const Tensor& x) { return x.is_floating_point() ? x.dtype() : ScalarType::Int64; }

}  // namespace

// ---- sum / mean ---------------------------------------------------------------------

struct SumBackward0 final : Node {
  DimVector self_sizes, dims;
  bool keepdim = false;
  std::string_view name() const override { return "SumBackward0"; }
  TensorList apply(TensorList&& grads) override { return {expand_back(grads[0], self_sizes, dims, keepdim)}; }
};
struct SumBackward1 final : Node {
  DimVector self_sizes, dims;
  bool keepdim = false;
  std::string_view name() const override { return "SumBackward1"; }
  TensorList apply(TensorList&& grads) override { return {expand_back(grads[0], self_sizes, dims, keepdim)}; }
};

namespace {
template <typename N>
Tensor sum_impl(const Tensor& x, IntArrayRef dims_in, bool keepdim) {
  WICK_CHECK(x.defined(), ValueError, "sum: undefined tensor argument");
  const DimVector dims = reduce_dims(x, dims_in, "sum");
  Tensor out = reduce_forward(ReduceOp::Sum, x, dims, keepdim, sum_dtype(x), "sum");
  if (auto node = make_node<N>(x)) {
    node->self_sizes = DimVector(x.sizes());
    node->dims = dims;
    node->keepdim = keepdim;
    set_history(out, node);
  }
  return out;
}
}  // namespace

Tensor sum(const Tensor& x) { return sum_impl<SumBackward0>(x, {}, false); }
Tensor sum(const Tensor& x, IntArrayRef dims, bool keepdim) { return sum_impl<SumBackward1>(x, dims, keepdim); }

struct MeanBackward0 final : Node {
  DimVector self_sizes, dims;
  bool keepdim = false;
  int64_t count = 1;
  std::string_view name() const override { return "MeanBackward0"; }
  TensorList apply(TensorList&& grads) override {
    return {div(expand_back(grads[0], self_sizes, dims, keepdim), static_cast<double>(count))};
  }
};
struct MeanBackward1 final : Node {
  DimVector self_sizes, dims;
  bool keepdim = false;
  int64_t count = 1;
  std::string_view name() const override { return "MeanBackward1"; }
  TensorList apply(TensorList&& grads) override {
    return {div(expand_back(grads[0], self_sizes, dims, keepdim), static_cast<double>(count))};
  }
};

namespace {
template <typename N>
Tensor mean_impl(const Tensor& x, IntArrayRef dims_in, bool keepdim) {
  WICK_CHECK(x.defined(), ValueError, "mean: undefined tensor argument");
  WICK_CHECK(x.is_floating_point(), TypeError,
             "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
             "Got: ", x.dtype());
  const DimVector dims = reduce_dims(x, dims_in, "mean");
  int64_t count = 1;
  for (int64_t d : dims) count *= x.sizes()[d];
  Tensor out = reduce_forward(ReduceOp::Sum, x, dims, keepdim, x.dtype(), "mean");
  {
    NoGradGuard no_grad;
    // The mean of nothing is nan, as in PyTorch.
    out = count == 0 ? full_like(out, NAN) : div_(out, static_cast<double>(count));
  }
  if (auto node = make_node<N>(x)) {
    node->self_sizes = DimVector(x.sizes());
    node->dims = dims;
    node->keepdim = keepdim;
    node->count = count;
    set_history(out, node);
  }
  return out;
}
}  // namespace

Tensor mean(const Tensor& x) { return mean_impl<MeanBackward0>(x, {}, false); }
Tensor mean(const Tensor& x, IntArrayRef dims, bool keepdim) { return mean_impl<MeanBackward1>(x, dims, keepdim); }

// ---- prod -------------------------------------------------------------------------------------

// Note [Product of the others]
// d prod(x) / d x_i is the product of the other elements. Without zeros that
// is result / x_i. With one zero in a slice, it is the product of the nonzeros
// at the zero and 0 elsewhere; elsewhere we write it as (product of the
// nonzeros / x_j) * z, where z is the sum of the slice's zero elements: its
// value is 0, but it keeps the second derivative with respect to the zero
// element (the product of the rest) in the graph. With two or more zeros the
// gradient is 0, as in PyTorch.
struct ProdBackward : Node {
  SavedTensor self, result;
  DimVector dims;
  bool keepdim = false;
  TensorList apply(TensorList&& grads) override {
    const Tensor x = self.unpack();
    const Tensor g = restore_dims(grads[0], dims, keepdim);
    const Tensor is_zero = eq(x, 0);
    if (!any(is_zero).item<bool>()) return {mul(g, div(restore_dims(result.unpack(), dims, keepdim), x))};
    const Tensor zeros = zeros_like(x);
    const Tensor count = sum(is_zero, dims, true);
    const Tensor x_safe = masked_fill(x, is_zero, 1);
    const Tensor nonzero_prod = dims.size() == 1 ? prod(x_safe, dims[0], true) : prod(x_safe);
    const Tensor zero_sum = sum(where(is_zero, x, zeros), dims, true);
    const Tensor no_zero = div(nonzero_prod, x_safe);
    const Tensor one_zero = where(is_zero, nonzero_prod, mul(no_zero, zero_sum));
    return {mul(g, where(eq(count, 0), no_zero, where(eq(count, 1), one_zero, zeros)))};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(result); }
};
struct ProdBackward0 final : ProdBackward {
  std::string_view name() const override { return "ProdBackward0"; }
};
struct ProdBackward1 final : ProdBackward {
  std::string_view name() const override { return "ProdBackward1"; }
};

namespace {
template <typename N>
Tensor prod_impl(const Tensor& x, IntArrayRef dims_in, bool keepdim) {
  WICK_CHECK(x.defined(), ValueError, "prod: undefined tensor argument");
  const DimVector dims = reduce_dims(x, dims_in, "prod");
  Tensor out = reduce_forward(ReduceOp::Prod, x, dims, keepdim, sum_dtype(x), "prod");
  if (auto node = make_node<N>(x)) {
    node->self = SavedTensor(x);
    node->result = SavedTensor::output(out, node);
    node->dims = dims;
    node->keepdim = keepdim;
    set_history(out, node);
  }
  return out;
}
}  // namespace

Tensor prod(const Tensor& x) { return prod_impl<ProdBackward0>(x, {}, false); }
Tensor prod(const Tensor& x, int64_t dim, bool keepdim) { return prod_impl<ProdBackward1>(x, dim, keepdim); }

// ---- max / min / amax / amin / argmax / argmin --------------------------------------------------

namespace {

}  // namespace

Tensor evenly_split(const Tensor& g, const Tensor& x, const Tensor& r, IntArrayRef dims) {
  const Tensor hit = logical_or(eq(x, r), logical_and(isnan(x), isnan(r)));
  return where(hit, div(g, sum(hit, dims, true)), zeros_like(g));
}

namespace {

// Max/min values (when `values`) and positions along the single reduced dim
// in `dims` (none for a 0-dim x). The reduction must be non-empty. Not recorded.
ValuesIndices arg_forward(ReduceOp op, const Tensor& x, IntArrayRef dims, bool keepdim, bool values, const char* name) {
  NoGradGuard no_grad;
  const DimVector shape = keepdim_shape(x, dims);
  Tensor out = values ? empty(shape, TensorOptions(x.dtype()).device(x.device())) : Tensor();
  Tensor indices = empty(shape, TensorOptions(ScalarType::Int64).device(x.device()));
  if (indices.numel() > 0) kernel(x.device(), &Backend::reduce, name)(op, out, indices, x, dims);
  if (!keepdim) {
    const DimVector squeezed = result_shape(x, dims, false);
    if (values) out = out.view(squeezed);
    indices = indices.view(squeezed);
  }
  return {out, indices};
}

// The dims list for a single dim: none for a 0-dim tensor, whose dim 0 / -1
// reduces nothing.
DimVector single_dim(const Tensor& x, int64_t dim, const char* op) {
  const int64_t d = wrap_dim(dim, x.dim(), op);
  return x.dim() == 0 ? DimVector{} : DimVector{d};
}

}  // namespace

// Gradient split evenly among the elements equal to the result.
struct EvenlySplitBackward : Node {
  SavedTensor self, result;
  DimVector dims;
  bool keepdim = false;
  TensorList apply(TensorList&& grads) override {
    return {evenly_split(restore_dims(grads[0], dims, keepdim), self.unpack(), restore_dims(result.unpack(), dims, keepdim),
                         dims)};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(result); }
};
struct MaxBackward1 final : EvenlySplitBackward {
  std::string_view name() const override { return "MaxBackward1"; }
};
struct MinBackward1 final : EvenlySplitBackward {
  std::string_view name() const override { return "MinBackward1"; }
};
struct AmaxBackward0 final : EvenlySplitBackward {
  std::string_view name() const override { return "AmaxBackward0"; }
};
struct AminBackward0 final : EvenlySplitBackward {
  std::string_view name() const override { return "AminBackward0"; }
};

namespace {
template <typename N>
Tensor extremum_impl(ReduceOp op, const Tensor& x, IntArrayRef dims_in, bool keepdim, const char* name) {
  WICK_CHECK(x.defined(), ValueError, name, ": undefined tensor argument");
  const DimVector dims = reduce_dims(x, dims_in, name);
  check_reduced_nonempty(x, dims, name);
  Tensor out = reduce_forward(op, x, dims, keepdim, x.dtype(), name);
  if (auto node = make_node<N>(x)) {
    node->self = SavedTensor(x);
    node->result = SavedTensor::output(out, node);
    node->dims = dims;
    node->keepdim = keepdim;
    set_history(out, node);
  }
  return out;
}

// max() / min(): PyTorch's wording for an empty input.
template <typename N>
Tensor extremum_all(ReduceOp op, const Tensor& x, const char* name) {
  WICK_CHECK(x.defined(), ValueError, name, ": undefined tensor argument");
  WICK_CHECK(x.numel() > 0, Error, name, "(): Expected reduction dim to be specified for input.numel() == 0. ",
             "Specify the reduction dim with the 'dim' argument. (input of shape ", x.sizes(), ")");
  return extremum_impl<N>(op, x, {}, false, name);
}

// amax() / amin() over all dims: PyTorch's wording for an empty input.
template <typename N>
Tensor extremum_dims(ReduceOp op, const Tensor& x, IntArrayRef dims, bool keepdim, const char* name) {
  WICK_CHECK(x.defined(), ValueError, name, ": undefined tensor argument");
  WICK_CHECK(!dims.empty() || x.numel() > 0, Error, name, "(): cannot perform reduction function ", name,
             " on tensor with no elements because the operation does not have an identity (input of shape ",
             x.sizes(), ")");
  return extremum_impl<N>(op, x, dims, keepdim, name);
}
}  // namespace

Tensor max(const Tensor& x) { return extremum_all<MaxBackward1>(ReduceOp::Max, x, "max"); }
Tensor min(const Tensor& x) { return extremum_all<MinBackward1>(ReduceOp::Min, x, "min"); }
Tensor amax(const Tensor& x, IntArrayRef dims, bool keepdim) {
  return extremum_dims<AmaxBackward0>(ReduceOp::Max, x, dims, keepdim, "amax");
}
Tensor amin(const Tensor& x, IntArrayRef dims, bool keepdim) {
  return extremum_dims<AminBackward0>(ReduceOp::Min, x, dims, keepdim, "amin");
}

// Gradient to the position the forward returned: a one-hot comparison of the
// positions along dim with the indices.
struct IndexedBackward : Node {
  SavedTensor indices;
  DimVector self_sizes, dims;
  bool keepdim = false;
  TensorList apply(TensorList&& grads) override {
    if (dims.empty()) return {grads[0]};  // 0-dim input: the value is the input
    const int64_t d = dims[0];
    const Tensor g = restore_dims(grads[0], dims, keepdim);
    const Tensor at = restore_dims(indices.unpack(), dims, keepdim);
    DimVector shape(self_sizes.size(), 1);
    shape[d] = self_sizes[d];
    const Tensor positions = arange(self_sizes[d], TensorOptions(ScalarType::Int64).device(g.device())).view(shape);
    return {where(eq(positions, at), g, zeros_like(g))};
  }
  void for_each_saved(const SavedVisitor& f) override { f(indices); }
};
struct MaxBackward0 final : IndexedBackward {
  std::string_view name() const override { return "MaxBackward0"; }
};
struct MinBackward0 final : IndexedBackward {
  std::string_view name() const override { return "MinBackward0"; }
};

namespace {
template <typename N>
ValuesIndices extremum_dim(ReduceOp op, const Tensor& x, int64_t dim, bool keepdim, const char* name) {
  WICK_CHECK(x.defined(), ValueError, name, ": undefined tensor argument");
  const DimVector dims = single_dim(x, dim, name);
  check_reduced_nonempty(x, dims, name);
  ValuesIndices out = arg_forward(op, x, dims, keepdim, true, name);
  if (auto node = make_node<N>(x)) {
    node->indices = SavedTensor(out.indices);
    node->self_sizes = DimVector(x.sizes());
    node->dims = dims;
    node->keepdim = keepdim;
    set_history(out.values, node);
  }
  return out;
}

Tensor arg_impl(ReduceOp op, const Tensor& x, std::optional<int64_t> dim, bool keepdim, const char* name) {
  WICK_CHECK(x.defined(), ValueError, name, ": undefined tensor argument");
  // As PyTorch (whose max and min take bools, but argmax and argmin do not).
  WICK_CHECK(x.dtype() != ScalarType::Bool, NotImplementedError, name, ": not implemented for dtype bool");
  if (dim) {
    const DimVector dims = single_dim(x, *dim, name);
    check_reduced_nonempty(x, dims, name);
    return arg_forward(op, x, dims, keepdim, false, name).indices;
  }
  WICK_CHECK(x.numel() > 0, Error, name, "(): Expected reduction dim to be specified for input.numel() == 0. ",
             "(input of shape ", x.sizes(), ")");
  Tensor flat;
  {
    NoGradGuard no_grad;
    flat = x.reshape({-1});
  }
  const Tensor out = arg_forward(op, flat, DimVector{0}, false, false, name).indices;
  return keepdim ? out.view(DimVector(static_cast<size_t>(x.dim()), 1)) : out;
}
}  // namespace

ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim) {
  return extremum_dim<MaxBackward0>(ReduceOp::Max, x, dim, keepdim, "max");
}
ValuesIndices min(const Tensor& x, int64_t dim, bool keepdim) {
  return extremum_dim<MinBackward0>(ReduceOp::Min, x, dim, keepdim, "min");
}
Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return arg_impl(ReduceOp::ArgMax, x, dim, keepdim, "argmax");
}
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return arg_impl(ReduceOp::ArgMin, x, dim, keepdim, "argmin");
}

// ---- var / std ------------------------------------------------------------------------------

// Note [var and std in double]
// Two passes, the mean first and then the sum of squared deviations, in
// float64 whatever the input's float dtype (PyTorch's CPU kernels accumulate
// float32 in double too), and std's square root taken before the result goes
// back to the input's dtype: the squares of float32 values of 1e30 overflow
// float32, and near-equal values far from 0 (1e5 + k * 1e-3) lose their
// deviations to float32 rounding. The mean gets one correction step, m + mean(x - m)
// (the corrected two-pass algorithm): sum / n is not exact, so n equal values
// would otherwise deviate from their own mean by rounding residues, std would
// be ~1e-17 instead of 0, and its gradient g * (x - m) / ((n - c) std) an O(1)
// number instead of PyTorch's 0; with the step, x - m is exactly 0 for them.
// The derivatives are PyTorch's:
//   var: 2 / (n - correction) * g * (x - mean(x))
//   std: var's with g / (2 std), and 0 where std is 0 (not inf * 0 = nan).
struct VarStdBackward : Node {
  SavedTensor self;
  DimVector dims;
  double correction = 1;
  bool keepdim = false;
  // var's derivative for an incoming gradient g (in the result's shape).
  Tensor var_grad(const Tensor& g) const {
    const Tensor x = self.unpack();
    int64_t count = 1;
    for (int64_t d : dims) count *= x.sizes()[d];
    const double scale = 2.0 / std::max(0.0, static_cast<double>(count) - correction);
    return mul(mul(restore_dims(g, dims, keepdim), scale), sub(x, mean(x, dims, true)));
  }
};
struct VarBackward0 final : VarStdBackward {
  std::string_view name() const override { return "VarBackward0"; }
  TensorList apply(TensorList&& grads) override { return {var_grad(grads[0])}; }
  void for_each_saved(const SavedVisitor& f) override { f(self); }
};
struct StdBackward0 final : VarStdBackward {
  SavedTensor result;
  std::string_view name() const override { return "StdBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor r = result.unpack();
    return {var_grad(masked_fill(div(grads[0], mul(r, 2)), eq(r, 0), 0))};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(result); }
};

namespace {
template <typename N>
Tensor var_impl(const Tensor& x, const std::optional<std::vector<int64_t>>& dims_in, double correction, bool keepdim,
                bool take_sqrt, const char* name) {
  WICK_CHECK(x.defined(), ValueError, name, ": undefined tensor argument");
  WICK_CHECK(x.is_floating_point(), TypeError, name,
             "(): std and var only support floating point and complex dtypes, got ", x.dtype());
  const DimVector dims = reduce_dims(x, dims_in ? IntArrayRef(*dims_in) : IntArrayRef(), name);
  int64_t count = 1;
  for (int64_t d : dims) count *= x.sizes()[d];
  Tensor out;
  {
    NoGradGuard no_grad;
    const Tensor xd = x.dtype() == ScalarType::Float64 ? x : x.to(ScalarType::Float64);
    // The mean, corrected by the mean of the deviations from it (Note [var and std in double]).
    Tensor m = mean(xd, dims, true);
    m = add(m, mean(sub(xd, m), dims, true));
    const Tensor centered = sub(xd, m);
    // correction >= count divides by zero: inf, or nan for a zero sum (as in PyTorch).
    out = div(sum(mul(centered, centered), dims, keepdim), std::max(0.0, static_cast<double>(count) - correction));
    if (take_sqrt) out = sqrt(out);
    if (out.dtype() != x.dtype()) out = out.to(x.dtype());
  }
  if (auto node = make_node<N>(x)) {
    node->self = SavedTensor(x);
    node->dims = dims;
    node->correction = correction;
    node->keepdim = keepdim;
    if constexpr (std::is_same_v<N, StdBackward0>) node->result = SavedTensor::output(out, node);
    set_history(out, node);
  }
  return out;
}
}  // namespace

Tensor var(const Tensor& x, std::optional<std::vector<int64_t>> dims, double correction, bool keepdim) {
  return var_impl<VarBackward0>(x, dims, correction, keepdim, false, "var");
}
Tensor std(const Tensor& x, std::optional<std::vector<int64_t>> dims, double correction, bool keepdim) {
  return var_impl<StdBackward0>(x, dims, correction, keepdim, true, "std");
}

// ---- logsumexp ----------------------------------------------------------------------------------

struct LogsumexpBackward0 final : Node {
  SavedTensor self, result;
  DimVector dims;
  bool keepdim = false;
  std::string_view name() const override { return "LogsumexpBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor r = restore_dims(result.unpack(), dims, keepdim);
    const Tensor weights = exp(sub(self.unpack(), r));  // softmax over the reduced dims
    // A slice of all -inf has result -inf and no softmax; its gradient is 0 (PyTorch: nan).
    return {mul(restore_dims(grads[0], dims, keepdim), masked_fill(weights, eq(r, -INFINITY), 0))};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(result); }
};

Tensor logsumexp(const Tensor& self, IntArrayRef dims_in, bool keepdim) {
  WICK_CHECK(self.defined(), ValueError, "logsumexp: undefined tensor argument");
  const Tensor x = self.is_floating_point() ? self : self.to(default_dtype());
  const DimVector dims = reduce_dims(x, dims_in, "logsumexp");
  Tensor out;
  {
    NoGradGuard no_grad;
    // Shift by the max so that exp cannot overflow; an infinite max shifts by
    // 0 (all -inf gives log(0) = -inf, not nan). The sum of nothing is 0.
    Tensor shift = x.numel() == 0 ? zeros(keepdim_shape(x, dims), TensorOptions(x.dtype()).device(x.device()))
                                  : reduce_forward(ReduceOp::Max, x, dims, true, x.dtype(), "logsumexp");
    shift = masked_fill(shift, isinf(shift), 0);
    out = add(log(reduce_forward(ReduceOp::Sum, exp(sub(x, shift)), dims, true, x.dtype(), "logsumexp")), shift);
    if (!keepdim) out = out.view(result_shape(x, dims, false));
  }
  if (auto node = make_node<LogsumexpBackward0>(x)) {
    node->self = SavedTensor(x);
    node->result = SavedTensor::output(out, node);
    node->dims = dims;
    node->keepdim = keepdim;
    set_history(out, node);
  }
  return out;
}

// ---- norm -----------------------------------------------------------------------------------------

// The p-norm's derivative, following PyTorch's norm_backward. Where the norm
// is 0 the gradient is 0 (not nan); denominators are made safe before the
// division, so that the derivative of the backward stays finite too.
struct NormBackward : Node {
  SavedTensor self, result;
  double p = 2;
  DimVector dims;
  bool keepdim = false;
  TensorList apply(TensorList&& grads) override {
    const Tensor x = self.unpack();
    const Tensor r = restore_dims(result.unpack(), dims, keepdim);
    const Tensor g = restore_dims(grads[0], dims, keepdim);
    if (p == 0) return {zeros_like(x)};
    if (p == 1) return {mul(g, sign(x))};
    if (std::isinf(p)) return {mul(sign(x), evenly_split(g, abs(x), r, dims))};
    const Tensor zero_norm = eq(r, 0);
    if (p == 2) return {mul(x, masked_fill(div(g, masked_fill(r, zero_norm, 1)), zero_norm, 0))};
    const Tensor is_zero = eq(x, 0);
    const Tensor abs_safe = masked_fill(abs(x), is_zero, 1);
    if (p < 1)  // |x|^(p-1) is infinite at 0: those elements get 0, as in PyTorch
      return {mul(mul(sign(x), masked_fill(pow(abs_safe, p - 1), is_zero, 0)), mul(g, pow(r, 1 - p)))};
    const Tensor scale = masked_fill(div(g, pow(masked_fill(r, zero_norm, 1), p - 1)), zero_norm, 0);
    if (p < 2) return {mul(mul(sign(x), masked_fill(pow(abs_safe, p - 1), is_zero, 0)), scale)};
    return {mul(mul(x, masked_fill(pow(abs_safe, p - 2), is_zero, 0)), scale)};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(result); }
};
struct NormBackward0 final : NormBackward {  // all elements
  std::string_view name() const override { return "NormBackward0"; }
};
struct NormBackward1 final : NormBackward {  // over dims
  std::string_view name() const override { return "NormBackward1"; }
};

namespace {
template <typename N>
Tensor norm_impl(const Tensor& x, double p, IntArrayRef dims_in, bool keepdim) {
  WICK_CHECK(x.defined(), ValueError, "norm: undefined tensor argument");
  WICK_CHECK(x.is_floating_point(), TypeError, "norm(): Expected a floating point tensor as input, got ", x.dtype());
  WICK_CHECK(!std::isnan(p), ValueError, "norm(): the order p must be a number, got nan");
  const DimVector dims = reduce_dims(x, dims_in, "norm");
  if (std::isinf(p)) {
    int64_t count = 1;
    for (int64_t d : dims) count *= x.sizes()[d];
    WICK_CHECK(count > 0, Error, "norm(): cannot compute the ", p > 0 ? "inf" : "-inf",
               " norm on an empty tensor because the operation does not have an identity (input of shape ",
               x.sizes(), ", dims ", IntArrayRef(dims), ")");
  }
  Tensor out;
  {
    NoGradGuard no_grad;
    if (p == 0) out = sum(ne(x, 0), dims, keepdim).to(x.dtype());  // the number of nonzeros
    else if (p == 1) out = sum(abs(x), dims, keepdim);
    else if (p == 2) out = sqrt(sum(mul(x, x), dims, keepdim));
    else if (std::isinf(p)) out = reduce_forward(p > 0 ? ReduceOp::Max : ReduceOp::Min, abs(x), dims, keepdim, x.dtype(), "norm");
    else out = pow(sum(pow(abs(x), p), dims, keepdim), 1 / p);
  }
  if (auto node = make_node<N>(x)) {
    node->self = SavedTensor(x);
    node->result = SavedTensor::output(out, node);
    node->p = p;
    node->dims = dims;
    node->keepdim = keepdim;
    set_history(out, node);
  }
  return out;
}
}  // namespace

Tensor norm(const Tensor& x, double p, std::optional<std::vector<int64_t>> dims, bool keepdim) {
  if (!dims) return norm_impl<NormBackward0>(x, p, {}, keepdim);
  return norm_impl<NormBackward1>(x, p, *dims, keepdim);
}

// ---- any / all (not differentiable) ------------------------------------------------------

namespace {
// any/all of a uint8 tensor are uint8 (0 or 1), as in PyTorch; of any other dtype, bool.
Tensor logical_reduction(ReduceOp op, const Tensor& x, IntArrayRef dims, bool keepdim, const char* name) {
  Tensor out = reduce_forward(op, x, dims, keepdim, ScalarType::Bool, name);
  return x.dtype() == ScalarType::UInt8 ? out.to(ScalarType::UInt8) : out;
}
}  // namespace

Tensor any(const Tensor& x) { return logical_reduction(ReduceOp::Any, x, reduce_dims(x, {}, "any"), false, "any"); }
Tensor all(const Tensor& x) { return logical_reduction(ReduceOp::All, x, reduce_dims(x, {}, "all"), false, "all"); }
Tensor any(const Tensor& x, int64_t dim, bool keepdim) {
  return logical_reduction(ReduceOp::Any, x, reduce_dims(x, dim, "any"), keepdim, "any");
}
Tensor all(const Tensor& x, int64_t dim, bool keepdim) {
  return logical_reduction(ReduceOp::All, x, reduce_dims(x, dim, "all"), keepdim, "all");
}

// ---- methods -----------------------------------------------------------------------------------

Tensor Tensor::sum() const { return wick::sum(*this); }
Tensor Tensor::sum(IntArrayRef dims, bool keepdim) const { return wick::sum(*this, dims, keepdim); }
Tensor Tensor::mean() const { return wick::mean(*this); }
Tensor Tensor::mean(IntArrayRef dims, bool keepdim) const { return wick::mean(*this, dims, keepdim); }
Tensor Tensor::prod() const { return wick::prod(*this); }
Tensor Tensor::prod(int64_t dim, bool keepdim) const { return wick::prod(*this, dim, keepdim); }
Tensor Tensor::max() const { return wick::max(*this); }
ValuesIndices Tensor::max(int64_t dim, bool keepdim) const { return wick::max(*this, dim, keepdim); }
Tensor Tensor::min() const { return wick::min(*this); }
ValuesIndices Tensor::min(int64_t dim, bool keepdim) const { return wick::min(*this, dim, keepdim); }
Tensor Tensor::argmax(std::optional<int64_t> dim, bool keepdim) const { return wick::argmax(*this, dim, keepdim); }
Tensor Tensor::argmin(std::optional<int64_t> dim, bool keepdim) const { return wick::argmin(*this, dim, keepdim); }
Tensor Tensor::var(std::optional<std::vector<int64_t>> dims, double correction, bool keepdim) const {
  return wick::var(*this, std::move(dims), correction, keepdim);
}
Tensor Tensor::std(std::optional<std::vector<int64_t>> dims, double correction, bool keepdim) const {
  return wick::std(*this, std::move(dims), correction, keepdim);
}
Tensor Tensor::logsumexp(IntArrayRef dims, bool keepdim) const { return wick::logsumexp(*this, dims, keepdim); }
Tensor Tensor::norm(double p) const { return wick::norm(*this, p); }
Tensor Tensor::sum_to_size(IntArrayRef sizes) const {
  const int64_t lead = dim() - static_cast<int64_t>(sizes.size());
  bool expandable = lead >= 0;
  for (size_t d = 0; expandable && d < sizes.size(); ++d)
    expandable = sizes[d] == 1 || sizes[d] == this->sizes()[lead + static_cast<int64_t>(d)];
  WICK_CHECK(expandable, Error, "sum_to_size: size ", sizes, " is not expandable to size ", this->sizes());
  return sum_to(*this, sizes);
}

// ---- std_mean, var_mean, aminmax, nansum, nanmean: made of the reductions above ------------------

std::pair<Tensor, Tensor> var_mean(const Tensor& x, std::optional<std::vector<int64_t>> dims, double correction,
                                   bool keepdim) {
  const Tensor v = var(x, dims, correction, keepdim);
  return {v, mean(x, dims ? IntArrayRef(*dims) : IntArrayRef(), keepdim)};
}

std::pair<Tensor, Tensor> std_mean(const Tensor& x, std::optional<std::vector<int64_t>> dims, double correction,
                                   bool keepdim) {
  const Tensor s = std(x, dims, correction, keepdim);
  return {s, mean(x, dims ? IntArrayRef(*dims) : IntArrayRef(), keepdim)};
}

std::pair<Tensor, Tensor> aminmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  WICK_CHECK(x.defined(), ValueError, "aminmax: undefined tensor argument");
  if (dim) return {amin(x, {*dim}, keepdim), amax(x, {*dim}, keepdim)};
  WICK_CHECK(x.numel() > 0, IndexError, "aminmax(): cannot compute aminmax over an empty dimension as the operation ",
             "has no identity (input of shape ", x.sizes(), ")");
  // All dims: keepdim keeps every one as size 1.
  return {amin(x, {}, keepdim), amax(x, {}, keepdim)};
}

Tensor nansum(const Tensor& x, IntArrayRef dims, bool keepdim) {
  WICK_CHECK(x.defined(), ValueError, "nansum: undefined tensor argument");
  const Tensor kept = x.is_floating_point() ? where(isnan(x), 0, x) : x;
  return sum(kept, dims, keepdim);
}

Tensor nanmean(const Tensor& x, IntArrayRef dims, bool keepdim) {
  WICK_CHECK(x.defined(), ValueError, "nanmean: undefined tensor argument");
  WICK_CHECK(x.is_floating_point(), TypeError, "nanmean(): expected input to have floating point dtype but got ",
             x.dtype());
  const Tensor numbers = logical_not(isnan(x));
  return div(nansum(x, dims, keepdim), sum(numbers, dims, keepdim).to(x.dtype()));
}

}  // namespace wick
