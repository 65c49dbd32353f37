// A tensor seen along one dim as [outer, n, inner]: `n` the dim's size, `outer`
// the product of the sizes before it and `inner` of those after it. Element
// (o, i, j) of a contiguous tensor is at (o * n + i) * inner + j. The scans,
// sorts and softmaxes of both backends walk their tensors this way.
#pragma once

#include <cstdint>

#include "core/small_vector.h"

namespace wick {

struct DimSplit {
  int64_t outer = 1, n = 1, inner = 1;
};

inline DimSplit split_at_dim(IntArrayRef sizes, int64_t dim) {
  DimSplit g;
  for (int64_t d = 0; d < static_cast<int64_t>(sizes.size()); ++d) {
    if (d < dim) g.outer *= sizes[d];
    else if (d == dim) g.n = sizes[d];
    else g.inner *= sizes[d];
  }
  return g;
}

}  // namespace wick
