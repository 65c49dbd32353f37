// sort, argsort, msort, topk, kthvalue, median, nanmedian: the backend's sort
// (the first k of each row in Note [Sort order]) forward, and the gradient
// given back to the positions the values came from (gather's backward), with
// PyTorch's node names.
#include "ops/sort.h"

#include "autograd/function.h"
#include "core/dispatch.h"
#include "ops/creation.h"
#include "ops/elementwise.h"
#include "ops/indexing.h"
#include "ops/reduce.h"
#include "ops/view.h"

namespace wick {

namespace {

// dim wrapped for x (0 for a 0-dim x, which sorts as one element).
int64_t sort_dim(const Tensor& x, int64_t dim, const char* name) {
  WICK_CHECK(x.defined(), ValueError, name, ": undefined tensor argument");
  return x.dim() == 0 ? (wrap_dim(dim, 1, name), 0) : wrap_dim(dim, x.dim(), name);
}

int64_t size_along(const Tensor& x, int64_t dim) { return x.dim() == 0 ? 1 : x.size(dim); }

// The first k of each row of x along dim in sort order, and their positions; not recorded.
ValuesIndices sort_forward(const Tensor& x, int64_t dim, bool descending, int64_t k, const char* name) {
  NoGradGuard no_grad;
  if (x.dim() == 0) return {x.clone(), zeros({}, TensorOptions(ScalarType::Int64).device(x.device()))};
  DimVector shape(x.sizes());
  shape[dim] = k;
  Tensor values = empty(shape, TensorOptions(x.dtype()).device(x.device()));
  Tensor indices = empty(shape, TensorOptions(ScalarType::Int64).device(x.device()));
  if (values.numel() > 0) kernel(x.device(), &Backend::sort, name)(values, indices, contiguous(x), dim, descending);
  return {values, indices};
}

// Element `position` (a tensor broadcasting against the rows, or one number)
// of each sorted row, keeping dim as size 1.
ValuesIndices pick(const ValuesIndices& sorted, int64_t dim, const Tensor& position) {
  NoGradGuard no_grad;
  if (sorted.values.dim() == 0) return sorted;
  DimVector shape(sorted.values.sizes());
  shape[dim] = 1;
  const Tensor at = contiguous(expand(position, shape));
  return {gather(sorted.values, dim, at), gather(sorted.indices, dim, at)};
}

ValuesIndices drop_dim(ValuesIndices r, int64_t dim, bool keepdim) {
  if (keepdim || r.values.dim() == 0) return r;
  return {squeeze(r.values, dim), squeeze(r.indices, dim)};
}

}  // namespace

// Each output's gradient goes to the position its value came from.
struct SelectedPositionsBackward : Node {
  SavedTensor indices;
  DimVector self_sizes;
  int64_t dim = 0;
  bool keepdim = true;  // false: the outputs lack dim
  TensorList apply(TensorList&& grads) override {
    const bool restore = !keepdim && !self_sizes.empty();
    const Tensor g = restore ? unsqueeze(grads[0], dim) : grads[0];
    const Tensor at = restore ? unsqueeze(indices.unpack(), dim) : indices.unpack();
    return {gather_backward(g, self_sizes, dim, at)};
  }
  void for_each_saved(const SavedVisitor& f) override { f(indices); }
};
struct SortBackward0 final : SelectedPositionsBackward {
  std::string_view name() const override { return "SortBackward0"; }
};
struct TopkBackward0 final : SelectedPositionsBackward {
  std::string_view name() const override { return "TopkBackward0"; }
};
struct KthvalueBackward0 final : SelectedPositionsBackward {
  std::string_view name() const override { return "KthvalueBackward0"; }
};
struct MedianBackward1 final : SelectedPositionsBackward {
  std::string_view name() const override { return "MedianBackward1"; }
};
struct NanmedianBackward1 final : SelectedPositionsBackward {
  std::string_view name() const override { return "NanmedianBackward1"; }
};

namespace {

template <typename N>
ValuesIndices record(const Tensor& self, ValuesIndices out, int64_t dim, bool keepdim) {
  if (auto node = make_node<N>(self)) {
    node->indices = SavedTensor(out.indices);
    node->self_sizes = DimVector(self.sizes());
    node->dim = dim;
    node->keepdim = keepdim;
    set_history(out.values, node);
  }
  return out;
}

}  // namespace

ValuesIndices sort(const Tensor& self, int64_t dim_in, bool descending) {
  const int64_t dim = sort_dim(self, dim_in, "sort");
  return record<SortBackward0>(self, sort_forward(self, dim, descending, size_along(self, dim), "sort"), dim, true);
}

Tensor argsort(const Tensor& self, int64_t dim_in, bool descending) {
  const int64_t dim = sort_dim(self, dim_in, "argsort");
  return sort_forward(self, dim, descending, size_along(self, dim), "argsort").indices;
}

Tensor msort(const Tensor& self) { return sort(self, 0).values; }

ValuesIndices topk(const Tensor& self, int64_t k, int64_t dim_in, bool largest, bool /*sorted*/) {
  const int64_t dim = sort_dim(self, dim_in, "topk");
  const int64_t n = size_along(self, dim);
  WICK_CHECK(k >= 0 && k <= n, IndexError, "topk: k (", k, ") out of range for dimension ", dim, " of size ", n,
             " (input of shape ", self.sizes(), ")");
  // Results come sorted whether or not `sorted` asks for it (PyTorch leaves the order unspecified then).
  return record<TopkBackward0>(self, sort_forward(self, dim, largest, k, "topk"), dim, true);
}

ValuesIndices kthvalue(const Tensor& self, int64_t k, int64_t dim_in, bool keepdim) {
  const int64_t dim = sort_dim(self, dim_in, "kthvalue");
  const int64_t n = size_along(self, dim);
  WICK_CHECK(k >= 1 && k <= n, IndexError, "kthvalue: k (", k, ") out of range for dimension ", dim, " of size ", n,
             " (input of shape ", self.sizes(), ")");
  const ValuesIndices first_k = sort_forward(self, dim, false, k, "kthvalue");
  const ValuesIndices kth =
      pick(first_k, dim, full({}, k - 1, TensorOptions(ScalarType::Int64).device(self.device())));
  return record<KthvalueBackward0>(self, drop_dim(kth, dim, keepdim), dim, keepdim);
}

namespace {

// The median along dim of x (dim wrapped, the rows non-empty), keeping dim:
// the lower median, or with skip_nan the lower median of the numbers. A row
// holding a NaN gives (median) or, with no numbers, has (nanmedian) its first NaN.
ValuesIndices median_keepdim(const Tensor& x, int64_t dim, bool skip_nan, const char* name) {
  WICK_CHECK(x.dtype() != ScalarType::Bool, NotImplementedError, name, ": not implemented for dtype bool (as in "
             "PyTorch); convert the input first, e.g. x.to(wick.int64)");
  const int64_t n = size_along(x, dim);
  WICK_CHECK(n > 0, IndexError, name, ": cannot compute the median of an empty dimension (dim ", dim,
             " of input of shape ", x.sizes(), ")");
  const ValuesIndices sorted = sort_forward(x, dim, false, n, name);
  NoGradGuard no_grad;
  const TensorOptions index_options = TensorOptions(ScalarType::Int64).device(x.device());
  if (!x.is_floating_point()) return pick(sorted, dim, full({}, (n - 1) / 2, index_options));
  // NaNs sort last: the numbers are the first n - nans of each row.
  const Tensor numbers = x.dim() == 0 ? sub(wrap_scalar(1), isnan(x).to(ScalarType::Int64))
                                      : sub(wrap_scalar(n), sum(isnan(x), {dim}, true));
  const Tensor lower_median = div(clamp(sub(numbers, wrap_scalar(1)), Scalar(0), std::nullopt), wrap_scalar(2),
                                  std::string_view("floor"));
  const Tensor position = skip_nan ? lower_median : where(lt(numbers, wrap_scalar(n)), numbers, lower_median);
  return pick(sorted, dim, position.to(x.device()));
}

}  // namespace

ValuesIndices median(const Tensor& self, int64_t dim_in, bool keepdim) {
  const int64_t dim = sort_dim(self, dim_in, "median");
  return record<MedianBackward1>(self, drop_dim(median_keepdim(self, dim, false, "median"), dim, keepdim), dim,
                                 keepdim);
}

ValuesIndices nanmedian(const Tensor& self, int64_t dim_in, bool keepdim) {
  const int64_t dim = sort_dim(self, dim_in, "nanmedian");
  return record<NanmedianBackward1>(self, drop_dim(median_keepdim(self, dim, true, "nanmedian"), dim, keepdim), dim,
                                    keepdim);
}

// The median of all elements: its gradient is split evenly among the
// elements equal to it, as for max() (PyTorch's evenly_distribute_backward).
struct MedianOfAllBackward : Node {
  SavedTensor self, result;
  TensorList apply(TensorList&& grads) override {
    const Tensor x = self.unpack();
    return {evenly_split(grads[0], x, result.unpack(), {})};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(result); }
};
struct MedianBackward0 final : MedianOfAllBackward {
  std::string_view name() const override { return "MedianBackward0"; }
};
struct NanmedianBackward0 final : MedianOfAllBackward {
  std::string_view name() const override { return "NanmedianBackward0"; }
};

namespace {

template <typename N>
Tensor median_of_all(const Tensor& self, bool skip_nan, const char* name) {
  WICK_CHECK(self.defined(), ValueError, name, ": undefined tensor argument");
  WICK_CHECK(self.numel() > 0, IndexError, name, "(): cannot compute the median of an empty tensor (shape ",
             self.sizes(), ")");
  Tensor flat;
  {
    NoGradGuard no_grad;
    flat = reshape(self, {self.numel()});
  }
  Tensor out;
  {
    NoGradGuard no_grad;
    out = reshape(median_keepdim(flat, 0, skip_nan, name).values, {});
  }
  if (auto node = make_node<N>(self)) {
    node->self = SavedTensor(self);
    node->result = SavedTensor::output(out, node);
    set_history(out, node);
  }
  return out;
}

}  // namespace

Tensor median(const Tensor& self) { return median_of_all<MedianBackward0>(self, false, "median"); }
Tensor nanmedian(const Tensor& self) { return median_of_all<NanmedianBackward0>(self, true, "nanmedian"); }

}  // namespace wick
