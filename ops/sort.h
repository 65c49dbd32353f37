// Ordering along one dim: sort, argsort, msort, topk, kthvalue, median and
// nanmedian. One backend kernel (`sort`, backends/scan_math.h's Note [Sort
// order]) serves them all: NaN counts as larger than every number, and equal
// elements keep their order, so results (positions included) are the same on
// every device and every run.
#pragma once

#include <optional>
#include <string_view>

#include "core/tensor.h"

namespace wick {

// The elements of each row along dim in ascending (descending) order, with
// their positions. Always stable; PyTorch's `stable` flag changes nothing.
ValuesIndices sort(const Tensor& self, int64_t dim = -1, bool descending = false);
Tensor argsort(const Tensor& self, int64_t dim = -1, bool descending = false);
Tensor msort(const Tensor& self);  // sort(self, 0).values
// The k largest (smallest) elements along dim, in order, with their positions.
ValuesIndices topk(const Tensor& self, int64_t k, int64_t dim = -1, bool largest = true, bool sorted = true);
// The k-th smallest element along dim (k from 1) and its position.
ValuesIndices kthvalue(const Tensor& self, int64_t k, int64_t dim = -1, bool keepdim = false);
// The lower median ((n - 1) / 2-th smallest); NaN when the row holds one.
// nanmedian skips NaNs (NaN only for a row of NaNs).
Tensor median(const Tensor& self);
ValuesIndices median(const Tensor& self, int64_t dim, bool keepdim = false);
Tensor nanmedian(const Tensor& self);
ValuesIndices nanmedian(const Tensor& self, int64_t dim, bool keepdim = false);

// The distinct elements (dim: the distinct slices along dim) in ascending order, with, when asked,
// each element's (slice's) index into them (inverse, in self's shape along dim) and each one's count.
// Not differentiable (as in PyTorch, a backward through the values raises). NaNs are all distinct.
struct UniqueResult {
  Tensor values, inverse, counts;
};
UniqueResult unique(const Tensor& self, bool return_inverse = false, bool return_counts = false,
                    std::optional<int64_t> dim = {});
// The same for runs of equal neighbours, without sorting.
UniqueResult unique_consecutive(const Tensor& self, bool return_inverse = false, bool return_counts = false,
                                std::optional<int64_t> dim = {});
// How often each value 0..max occurs in a 1-D non-negative integer tensor (at least minlength
// bins), or the sum of `weights` there (float32 weights give float32, others float64).
Tensor bincount(const Tensor& self, const Tensor& weights = {}, int64_t minlength = 0);
// A histogram of `bins` equal bins over [min, max] (min == max: the data's range); values outside are left out.
Tensor histc(const Tensor& self, int64_t bins = 100, double min = 0, double max = 0);

// The position in each row of sorted_sequence (1-D: the same for every value) where each value
// would be inserted to keep the row sorted: before equal elements, or after them with right.
// sorter: positions that sort an unsorted sequence. int64 (int32 with out_int32).
Tensor searchsorted(const Tensor& sorted_sequence, const Tensor& values, bool out_int32 = false, bool right = false,
                    const Tensor& sorter = {});
// Whether each element occurs among test_elements (any shape); with invert, whether it does not.
Tensor isin(const Tensor& elements, const Tensor& test_elements, bool invert = false);
// searchsorted(boundaries, input, out_int32, right): the bucket of each element.
Tensor bucketize(const Tensor& input, const Tensor& boundaries, bool out_int32 = false, bool right = false);
// The q-quantiles (q a 0-dim or 1-D tensor in [0, 1]) along dim (no dim: of all elements), interpolating
// between the two nearest sorted elements: "linear", "lower", "higher", "nearest" or "midpoint". A 1-D q
// adds a leading dim. quantile is NaN for rows holding a NaN; nanquantile leaves NaNs out.
Tensor quantile(const Tensor& self, const Tensor& q, std::optional<int64_t> dim = {}, bool keepdim = false,
                std::string_view interpolation = "linear");
Tensor nanquantile(const Tensor& self, const Tensor& q, std::optional<int64_t> dim = {}, bool keepdim = false,
                   std::string_view interpolation = "linear");
// The most frequent value along dim (the smallest of the most frequent) and its last position.
ValuesIndices mode(const Tensor& self, int64_t dim = -1, bool keepdim = false);

}  // namespace wick
