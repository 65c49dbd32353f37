// sort, argsort, msort, topk, kthvalue, median, nanmedian: the backend's sort
// (the first k of each row in Note [Sort order]) forward, and the gradient
// given back to the positions the values came from (gather's backward), with
// PyTorch's node names.
#include "ops/sort.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "autograd/function.h"
#include "core/dispatch.h"
#include "ops/creation.h"
#include "ops/elementwise.h"
#include "ops/indexing.h"
#include "ops/rearrange.h"
#include "ops/reduce.h"
#include "ops/scan.h"
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
struct ModeBackward0 final : SelectedPositionsBackward {
  std::string_view name() const override { return "ModeBackward0"; }
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

// ---- unique, unique_consecutive, bincount, histc ----------------------------------------------

// The values of unique: a backward through them raises, as in PyTorch.
struct Unique2Backward0 final : Node {
  std::string_view name() const override { return "Unique2Backward0"; }
  TensorList apply(TensorList&&) override {
    WICK_THROW(NotImplementedError, "the derivative for 'unique' is not implemented.");
  }
};

namespace {

// Runs of equal rows of `rows` [n, m] (already in order): values, inverse (per row of `order`'s
// source: row order[i] of the input is sorted row i), counts.
UniqueResult runs(const Tensor& rows, const Tensor& order, bool return_inverse, bool return_counts) {
  const int64_t n = rows.size(0);
  const TensorOptions index_options = TensorOptions(ScalarType::Int64).device(rows.device());
  // A row starts a run when it differs from the one before (NaN != NaN: each NaN its own run).
  const Tensor differs = any(ne(narrow(rows, 0, 1, n - 1), narrow(rows, 0, 0, n - 1)), 1);
  const Tensor starts = cat({ones({1}, TensorOptions(ScalarType::Bool).device(rows.device())), differs}, 0);
  const Tensor first_rows = reshape(nonzero(starts), {-1});
  UniqueResult r;
  r.values = index_select(rows, 0, first_rows);
  const Tensor run = sub(cumsum(starts, 0), wrap_scalar(1));  // run number of each sorted row
  if (return_inverse) r.inverse = scatter(empty({n}, index_options), 0, order, run);
  if (return_counts)
    r.counts = scatter_add(zeros({first_rows.numel()}, index_options), 0, run, ones({n}, index_options));
  return r;
}

UniqueResult unique_impl(const Tensor& self, bool sort_first, bool return_inverse, bool return_counts,
                         std::optional<int64_t> dim_in, const char* name) {
  WICK_CHECK(self.defined(), ValueError, name, ": undefined tensor argument");
  UniqueResult r;
  {
    NoGradGuard no_grad;
    const TensorOptions index_options = TensorOptions(ScalarType::Int64).device(self.device());
    // The input as rows [n, m]: single elements without dim, slices along dim with it.
    const int64_t dim = dim_in ? wrap_dim(*dim_in, std::max<int64_t>(self.dim(), 1), name) : 0;
    const Tensor moved = dim_in && self.dim() > 0 ? movedim(self, {dim}, {0}) : reshape(self, {self.numel()});
    const int64_t n = moved.dim() == 0 ? 1 : moved.size(0);
    Tensor rows = reshape(contiguous(moved), {n, n == 0 ? 0 : moved.numel() / n});
    if (n == 0) {
      DimVector value_shape(moved.sizes());
      r.values = dim_in && self.dim() > 0 ? movedim(empty(value_shape, TensorOptions(self.dtype()).device(self.device())), {0}, {dim})
                                         : empty({0}, TensorOptions(self.dtype()).device(self.device()));
      if (return_inverse) r.inverse = empty(dim_in ? DimVector{0} : DimVector(self.sizes()), index_options);
      if (return_counts) r.counts = empty({0}, index_options);
      return r;
    }
    Tensor order = arange(n, index_options);
    if (sort_first) {
      // Rows in lexicographic order: stable sorts by each column, the last column first.
      for (int64_t c = rows.size(1) - 1; c >= 0; --c)
        order = index_select(order, 0, argsort(index_select(select(rows, 1, c), 0, order)));
      rows = index_select(rows, 0, order);
    }
    r = runs(rows, order, return_inverse, return_counts);
    DimVector shape(moved.sizes());
    shape[0] = r.values.size(0);
    r.values = reshape(r.values, shape);
    if (dim_in && self.dim() > 0) r.values = contiguous(movedim(r.values, {0}, {dim}));
    if (return_inverse && !dim_in) r.inverse = reshape(r.inverse, self.sizes());
  }
  if (auto node = make_node<Unique2Backward0>(self)) set_history(r.values, node);
  return r;
}

}  // namespace

UniqueResult unique(const Tensor& self, bool return_inverse, bool return_counts, std::optional<int64_t> dim) {
  return unique_impl(self, true, return_inverse, return_counts, dim, "unique");
}

UniqueResult unique_consecutive(const Tensor& self, bool return_inverse, bool return_counts,
                                std::optional<int64_t> dim) {
  return unique_impl(self, false, return_inverse, return_counts, dim, "unique_consecutive");
}

Tensor bincount(const Tensor& self, const Tensor& weights, int64_t minlength) {
  WICK_CHECK(self.defined() && self.dim() == 1 && is_integral(self.dtype(), false), ValueError,
             "bincount only supports 1-d non-negative integral inputs, got ",
             self.defined() ? self.sizes() : IntArrayRef{}, " of dtype ", self.defined() ? self.dtype() : ScalarType::Int64);
  WICK_CHECK(minlength >= 0, ValueError, "bincount: minlength should be >= 0, got ", minlength);
  WICK_CHECK(!weights.defined() || weights.sizes() == self.sizes(), ValueError,
             "bincount: weights should be 1-d and have the same length as input, got ", weights.sizes(), " and ",
             self.sizes());
  NoGradGuard no_grad;
  const Tensor index = self.to(ScalarType::Int64);
  int64_t bins = minlength;
  if (self.numel() > 0) {
    WICK_CHECK(min(index).item<int64_t>() >= 0, ValueError, "bincount only supports 1-d non-negative integral inputs.");
    bins = std::max(bins, max(index).item<int64_t>() + 1);
  }
  check_allocatable({bins}, ScalarType::Float64, "bincount");
  const ScalarType dtype = !weights.defined() ? ScalarType::Int64
                           : weights.dtype() == ScalarType::Float32 ? ScalarType::Float32
                                                                    : ScalarType::Float64;
  const Tensor src = weights.defined() ? weights.to(dtype) : ones({self.numel()}, TensorOptions(dtype).device(self.device()));
  return index_add(zeros({bins}, TensorOptions(dtype).device(self.device())), 0, index, src);
}

Tensor histc(const Tensor& self, int64_t bins, double lo, double hi) {
  WICK_CHECK(self.defined() && self.is_floating_point(), TypeError, "histc: expected a floating point input, got ",
             self.defined() ? self.dtype() : ScalarType::Int64);
  WICK_CHECK(bins > 0, ValueError, "histc: bins must be > 0, but got ", bins);
  WICK_CHECK(!(std::isinf(lo) || std::isinf(hi) || std::isnan(lo) || std::isnan(hi)), ValueError,
             "histc: range of [", lo, ", ", hi, "] is not finite");
  WICK_CHECK(lo <= hi, ValueError, "histc: max must be larger than min, got min ", lo, " and max ", hi);
  check_allocatable({bins}, self.dtype(), "histc");
  NoGradGuard no_grad;
  if (lo == hi && self.numel() > 0) {
    lo = min(self).item<double>();
    hi = max(self).item<double>();
  }
  if (lo == hi) {
    lo -= 1;
    hi += 1;
  }
  const Tensor flat = reshape(self, {self.numel()});
  const Tensor inside = logical_and(ge(flat, wrap_scalar(lo)), le(flat, wrap_scalar(hi)));
  // Bin of x: floor((x - lo) * bins / (hi - lo)), with x == hi in the last bin.
  const Tensor scaled = floor(mul(sub(flat.to(ScalarType::Float64), wrap_scalar(lo)), wrap_scalar(bins / (hi - lo))));
  const Tensor bin = clamp(where(inside, scaled, 0.0), Scalar(0), Scalar(bins - 1)).to(ScalarType::Int64);
  const Tensor weight = inside.to(self.dtype());
  return index_add(zeros({bins}, TensorOptions(self.dtype()).device(self.device())), 0, bin, weight);
}

// ---- searchsorted, bucketize ------------------------------------------------------------------

// Note [searchsorted by one sort]
// In a row of values and sequence elements sorted together (stably), the
// sequence elements before a value are the ones it would be inserted after.
// Values placed before the sequence in the joined row precede equal sequence
// elements (left: the count of elements < v); placed after, they follow them
// (right: the count of elements <= v). One batched sort serves every row on
// every device, in O((n + m) log(n + m)) per row.
Tensor searchsorted(const Tensor& sorted_sequence, const Tensor& values, bool out_int32, bool right,
                    const Tensor& sorter) {
  WICK_CHECK(sorted_sequence.defined() && values.defined(), ValueError, "searchsorted: undefined tensor argument");
  WICK_CHECK(sorted_sequence.dim() >= 1, ValueError, "searchsorted: boundaries tensor should be 1 dimension or the "
             "first N-1 dimensions of boundaries tensor and input value tensor must match, got a 0-dim boundaries");
  WICK_CHECK(sorted_sequence.device() == values.device(), ValueError, "searchsorted: expected sorted_sequence and ",
             "values on one device, got ", sorted_sequence.device(), " and ", values.device());
  const bool one_row = sorted_sequence.dim() == 1;
  if (!one_row) {
    bool match = values.dim() == sorted_sequence.dim();
    for (int64_t d = 0; match && d + 1 < values.dim(); ++d) match = values.size(d) == sorted_sequence.size(d);
    WICK_CHECK(match, ValueError, "searchsorted: boundaries tensor should be 1 dimension or the first N-1 dimensions ",
               "of boundaries tensor and input value tensor must match, but we got boundaries tensor ",
               sorted_sequence.sizes(), " and input value tensor ", values.sizes());
  }
  NoGradGuard no_grad;
  Tensor seq = sorted_sequence;
  if (sorter.defined()) {
    WICK_CHECK(sorter.sizes() == sorted_sequence.sizes(), ValueError, "searchsorted: boundary and sorter must have ",
               "the same size, but got boundary tensor ", sorted_sequence.sizes(), " and got sorter tensor ",
               sorter.sizes());
    seq = gather(seq, -1, sorter);
  }
  const ScalarType common = promote_types(seq.dtype(), values.dtype());
  const int64_t m = seq.size(-1);
  const TensorOptions index_options = TensorOptions(ScalarType::Int64).device(values.device());
  if (values.numel() == 0 || seq.numel() == 0) {
    const Tensor none = zeros(values.sizes(), index_options);  // nothing to pass: every position is 0
    return out_int32 ? none.to(ScalarType::Int32) : none;
  }
  // Rows [r, m] and [r, n]: one row for a 1-D sequence (every value against it).
  const Tensor seq_rows = reshape(seq.to(common), {-1, m});
  const int64_t rows = seq_rows.size(0);
  const int64_t n = rows == 0 ? 0 : values.numel() / std::max<int64_t>(rows, 1);
  const Tensor value_rows = reshape(values.to(common), {rows, n});
  Tensor result;
  {
    const Tensor joined = right ? cat({seq_rows, value_rows}, 1) : cat({value_rows, seq_rows}, 1);
    const Tensor order = argsort(joined, 1);
    const Tensor from_seq = right ? lt(order, wrap_scalar(m)) : ge(order, wrap_scalar(n));
    const Tensor seq_before = sub(cumsum(from_seq, 1), from_seq.to(ScalarType::Int64));  // exclusive count
    // Each row holds exactly n values, so the selected entries form [rows, n].
    const Tensor is_value = logical_not(from_seq);
    const Tensor value_position = reshape(masked_select(order, is_value), {rows, n});
    const Tensor count = reshape(masked_select(seq_before, is_value), {rows, n});
    const Tensor at = right ? sub(value_position, wrap_scalar(m)) : value_position;
    result = reshape(scatter(empty({rows, n}, index_options), 1, at, count), values.sizes());
  }
  return out_int32 ? result.to(ScalarType::Int32) : result;
}

Tensor isin(const Tensor& elements, const Tensor& test_elements, bool invert) {
  WICK_CHECK(elements.defined() && test_elements.defined(), ValueError, "isin: undefined tensor argument");
  NoGradGuard no_grad;
  const TensorOptions bool_options = TensorOptions(ScalarType::Bool).device(elements.device());
  Tensor found;
  if (test_elements.numel() == 0) {
    found = zeros(elements.sizes(), bool_options);
  } else {
    // Each element looked up in the sorted test elements: found where the insertion point holds it.
    const ScalarType common = promote_types(elements.dtype(), test_elements.dtype());
    const Tensor x = elements.to(common);
    const Tensor table = sort(reshape(test_elements.to(elements.device(), common), {test_elements.numel()})).values;
    const int64_t m = table.numel();
    const Tensor at = searchsorted(table, x);
    const Tensor held = reshape(index_select(table, 0, reshape(clamp(at, Scalar(0), Scalar(m - 1)), {-1})), x.sizes());
    found = logical_and(lt(at, wrap_scalar(m)), eq(held, x));
  }
  return invert ? logical_not(found) : found;
}

Tensor bucketize(const Tensor& input, const Tensor& boundaries, bool out_int32, bool right) {
  WICK_CHECK(boundaries.defined() && boundaries.dim() == 1, ValueError,
             "bucketize: boundaries tensor must be 1 dimension, but got dim(",
             boundaries.defined() ? boundaries.dim() : 0, ")");
  return searchsorted(boundaries, input, out_int32, right);
}

// ---- quantile, nanquantile ----------------------------------------------------------------------

namespace {

Tensor quantile_impl(const Tensor& self, const Tensor& q_in, std::optional<int64_t> dim_in, bool keepdim,
                     std::string_view interpolation, bool skip_nan, const char* name) {
  WICK_CHECK(self.defined() && q_in.defined(), ValueError, name, ": undefined tensor argument");
  WICK_CHECK(self.is_floating_point(), TypeError, name, "() input tensor must be either float or double dtype, got ",
             self.dtype());
  WICK_CHECK(q_in.dim() <= 1, ValueError, name, "() q must be a scalar or 1D tensor, got shape ", q_in.sizes());
  WICK_CHECK(interpolation == "linear" || interpolation == "lower" || interpolation == "higher" ||
                 interpolation == "nearest" || interpolation == "midpoint",
             ValueError, name, "() interpolation must be one of linear, lower, higher, midpoint or nearest. Got ",
             interpolation);
  WICK_CHECK(self.numel() > 0, IndexError, name, "() input tensor must be non-empty");
  const Tensor q = q_in.to(self.device(), self.dtype());
  {
    NoGradGuard no_grad;
    WICK_CHECK(q.numel() == 0 || (all(ge(q, wrap_scalar(0))).item<bool>() && all(le(q, wrap_scalar(1))).item<bool>()),
               ValueError, name, "() q values must be in the range [0, 1]");
  }
  // The rows: along dim, or the flattened input; sorted, NaNs last.
  const Tensor x = dim_in ? self : reshape(self, {self.numel()});
  const int64_t dim = dim_in ? wrap_dim(*dim_in, std::max<int64_t>(self.dim(), 1), name) : 0;
  const Tensor xs = x.dim() == 0 ? reshape(x, {1}) : x;
  const int64_t n = xs.size(dim);
  const Tensor sorted = sort(xs, dim).values;
  const Tensor nans = sum(isnan(xs), {dim}, true);  // [.., 1, ..]
  // Each row's count of numbers (all of it for quantile, whose rows with a NaN give NaN).
  const Tensor count = skip_nan ? sub(wrap_scalar(n), nans) : full_like(nans, n);
  // Positions q * (count - 1), one per q along a new leading dim: [Q, .., 1, ..].
  DimVector q_shape(static_cast<size_t>(xs.dim() + 1), 1);
  q_shape[0] = q.numel();
  const Tensor last = clamp(sub(count, wrap_scalar(1)), Scalar(0), std::nullopt).to(self.dtype());
  const Tensor pos = mul(reshape(q, q_shape), unsqueeze(last, 0));
  Tensor lo = floor(pos), hi = ceil(pos);
  if (interpolation == "nearest") lo = hi = round(pos);  // half to even, as PyTorch
  // The sorted values at positions `at`, for each q: sorted seen as [q, *sorted.shape], one position per row.
  DimVector values_shape(sorted.sizes());
  values_shape.insert(0, q.numel());
  DimVector index_shape = values_shape;
  index_shape[static_cast<size_t>(dim) + 1] = 1;
  const Tensor values = expand(unsqueeze(sorted, 0), values_shape);
  const auto pick = [&](const Tensor& at) {
    return gather(values, dim + 1, contiguous(expand(at.to(ScalarType::Int64), index_shape)));
  };
  const Tensor v_lo = pick(lo), v_hi = interpolation == "lower" || interpolation == "nearest" ? v_lo : pick(hi);
  Tensor out;
  if (interpolation == "lower" || interpolation == "nearest") out = v_lo;
  else if (interpolation == "higher") out = v_hi;
  else if (interpolation == "midpoint") out = div(add(v_lo, v_hi), wrap_scalar(2));
  else out = lerp(v_lo, v_hi, sub(pos, lo));
  // quantile: NaN where the row holds one; nanquantile: NaN where the row holds nothing else.
  const Tensor no_answer = skip_nan ? eq(count, wrap_scalar(0)) : gt(nans, wrap_scalar(0));
  out = where(unsqueeze(no_answer, 0), std::numeric_limits<double>::quiet_NaN(), out);
  // The reduced dim: kept (size 1) with keepdim, where self had it; the q dim only for a 1-D q.
  if (keepdim) {
    if (!dim_in) out = reshape(out, [&] {
      DimVector s(static_cast<size_t>(self.dim()) + 1, 1);
      s[0] = q.numel();
      return s;
    }());
    else if (self.dim() == 0) out = reshape(out, {q.numel()});
  } else {
    out = squeeze(out, dim + 1);
  }
  return q_in.dim() == 0 ? squeeze(out, 0) : out;
}

}  // namespace

Tensor quantile(const Tensor& self, const Tensor& q, std::optional<int64_t> dim, bool keepdim,
                std::string_view interpolation) {
  return quantile_impl(self, q, dim, keepdim, interpolation, false, "quantile");
}
Tensor nanquantile(const Tensor& self, const Tensor& q, std::optional<int64_t> dim, bool keepdim,
                   std::string_view interpolation) {
  return quantile_impl(self, q, dim, keepdim, interpolation, true, "nanquantile");
}

// ---- mode -----------------------------------------------------------------------------------------

ValuesIndices mode(const Tensor& self, int64_t dim_in, bool keepdim) {
  const int64_t dim = sort_dim(self, dim_in, "mode");
  const int64_t n = size_along(self, dim);
  WICK_CHECK(n > 0, IndexError, "mode(): Expected reduction dim ", dim, " to have non-zero size (input of shape ",
             self.sizes(), ")");
  ValuesIndices out;
  {
    NoGradGuard no_grad;
    const Tensor xs = self.dim() == 0 ? reshape(self, {1}) : self;
    // Sorted rows (stable: equal values keep their order, so a run ends at its value's last position).
    const ValuesIndices sorted = sort(xs, dim);
    const Tensor v = movedim(sorted.values, {dim}, {-1}), at = movedim(sorted.indices, {dim}, {-1});
    const Tensor rows = reshape(contiguous(v), {-1, n});
    const int64_t r = rows.size(0);
    const TensorOptions index_options = TensorOptions(ScalarType::Int64).device(self.device());
    // Run number of each sorted element, and each run's length (runs numbered per row, up to n).
    const Tensor starts = cat({ones({r, 1}, TensorOptions(ScalarType::Bool).device(self.device())),
                               ne(narrow(rows, 1, 1, n - 1), narrow(rows, 1, 0, n - 1))}, 1);
    const Tensor run = sub(cumsum(starts, 1), wrap_scalar(1));
    const Tensor length = scatter_add(zeros({r, n}, index_options), 1, run, ones({r, n}, index_options));
    // The longest run (the first: the smallest value), and its last element.
    const Tensor best = argmax(length, 1, true);  // [r, 1]
    const Tensor run_end = sub(sum(mul(le(run, best), ones_like(run)), {1}, true), wrap_scalar(1));
    DimVector kept(v.sizes());
    kept.back() = 1;
    out.values = reshape(gather(rows, 1, run_end), kept);
    out.indices = reshape(gather(reshape(contiguous(at), {-1, n}), 1, run_end), kept);
    out.values = movedim(out.values, {-1}, {dim});
    out.indices = movedim(out.indices, {-1}, {dim});
    if (self.dim() == 0) out = {reshape(out.values, {}), reshape(out.indices, {})};
    out = drop_dim(out, dim, keepdim);
  }
  return record<ModeBackward0>(self, out, dim, keepdim);
}

}  // namespace wick
