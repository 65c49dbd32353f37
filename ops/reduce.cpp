// Reductions and their derivatives.
#include "ops/reduce.h"

#include <algorithm>
#include <cmath>

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
  DimVector out;
  if (dims.empty()) {
    for (int64_t d = 0; d < x.dim(); ++d) out.push_back(d);
    return out;
  }
  for (int64_t d : dims) {
    const int64_t w = wrap_dim(d, x.dim(), op);
    WICK_CHECK(std::find(out.begin(), out.end(), w) == out.end(), ValueError, op, ": dim ", w,
               " appears multiple times in the list of dims ", dims);
    out.push_back(w);
  }
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

// grad of a reduction, brought back to the input's shape: the reduced dims
// are re-inserted (when keepdim was false) and expanded.
Tensor expand_back(const Tensor& grad, IntArrayRef self_sizes, IntArrayRef dims, bool keepdim) {
  Tensor g = grad;
  if (!keepdim)
    for (int64_t d : dims) g = unsqueeze(g, d);  // dims ascending: each lands where it was
  return expand(g, self_sizes);
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

// ---- any / all (not differentiable) ------------------------------------------------------

Tensor any(const Tensor& x) { return reduce_forward(ReduceOp::Any, x, reduce_dims(x, {}, "any"), false, ScalarType::Bool, "any"); }
Tensor all(const Tensor& x) { return reduce_forward(ReduceOp::All, x, reduce_dims(x, {}, "all"), false, ScalarType::Bool, "all"); }
Tensor any(const Tensor& x, int64_t dim, bool keepdim) {
  return reduce_forward(ReduceOp::Any, x, reduce_dims(x, dim, "any"), keepdim, ScalarType::Bool, "any");
}
Tensor all(const Tensor& x, int64_t dim, bool keepdim) {
  return reduce_forward(ReduceOp::All, x, reduce_dims(x, dim, "all"), keepdim, ScalarType::Bool, "all");
}

// ---- methods -----------------------------------------------------------------------------------

Tensor Tensor::sum() const { return wick::sum(*this); }
Tensor Tensor::sum(IntArrayRef dims, bool keepdim) const { return wick::sum(*this, dims, keepdim); }
Tensor Tensor::mean() const { return wick::mean(*this); }
Tensor Tensor::mean(IntArrayRef dims, bool keepdim) const { return wick::mean(*this, dims, keepdim); }

}  // namespace wick
