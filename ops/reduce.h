// Reductions over all elements or over given dims (negative dims count from
// the end; keepdim keeps them as size 1). Float sums use several partial
// accumulators, so error grows slowly with the number of elements.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace wick {

Tensor sum(const Tensor& x);
// dims empty: all dims. Integer and bool inputs sum to int64, as in PyTorch.
Tensor sum(const Tensor& x, IntArrayRef dims, bool keepdim = false);
Tensor mean(const Tensor& x);  // floating inputs only
Tensor mean(const Tensor& x, IntArrayRef dims, bool keepdim = false);
Tensor prod(const Tensor& x);
Tensor prod(const Tensor& x, int64_t dim, bool keepdim = false);
// Largest/smallest element; an empty tensor is an error.
Tensor max(const Tensor& x);
Tensor min(const Tensor& x);
// Values and (first) positions along dim.
ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim = false);
ValuesIndices min(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor amax(const Tensor& x, IntArrayRef dims, bool keepdim = false);
Tensor amin(const Tensor& x, IntArrayRef dims, bool keepdim = false);
// Without dim: the position in the flattened tensor.
Tensor argmax(const Tensor& x, std::optional<int64_t> dim = {}, bool keepdim = false);
Tensor argmin(const Tensor& x, std::optional<int64_t> dim = {}, bool keepdim = false);
// Variance with Bessel's correction by default (correction = 1); no dims: all.
Tensor var(const Tensor& x, std::optional<std::vector<int64_t>> dims = {}, double correction = 1,
           bool keepdim = false);
Tensor std(const Tensor& x, std::optional<std::vector<int64_t>> dims = {}, double correction = 1,
           bool keepdim = false);
Tensor logsumexp(const Tensor& x, IntArrayRef dims, bool keepdim = false);
// The p-norm (p = inf for the largest magnitude) over dims (none: all).
Tensor norm(const Tensor& x, double p = 2, std::optional<std::vector<int64_t>> dims = {}, bool keepdim = false);
// True where any/all elements are nonzero: bool, or uint8 (0 or 1) for a uint8 input, as in PyTorch.
Tensor any(const Tensor& x);
Tensor all(const Tensor& x);
Tensor any(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor all(const Tensor& x, int64_t dim, bool keepdim = false);

// var (std) and mean together, as PyTorch's var_mean/std_mean return them.
std::pair<Tensor, Tensor> var_mean(const Tensor& x, std::optional<std::vector<int64_t>> dims = {},
                                   double correction = 1, bool keepdim = false);
std::pair<Tensor, Tensor> std_mean(const Tensor& x, std::optional<std::vector<int64_t>> dims = {},
                                   double correction = 1, bool keepdim = false);
// (amin, amax) along dim, or of all elements.
std::pair<Tensor, Tensor> aminmax(const Tensor& x, std::optional<int64_t> dim = {}, bool keepdim = false);
// sum and mean with NaNs left out (a NaN counts as 0 in nansum; nanmean divides by the count of numbers).
Tensor nansum(const Tensor& x, IntArrayRef dims = {}, bool keepdim = false);
Tensor nanmean(const Tensor& x, IntArrayRef dims = {}, bool keepdim = false);

// The gradient of a max-like reduction (max, amax, median of all elements):
// g given to the elements of x equal to the result r and split evenly among
// ties (a NaN result takes the NaNs). g and r have the reduced dims as size 1.
Tensor evenly_split(const Tensor& g, const Tensor& x, const Tensor& r, IntArrayRef dims);

}  // namespace wick
