// Padding and resizing.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/tensor.h"

namespace wick {

// pad: pairs (before, after) from the last dim backwards, as F.pad; negative
// amounts crop. mode: "constant" (value), "reflect", "replicate", "circular".
Tensor pad(const Tensor& input, IntArrayRef pad, std::string_view mode = "constant", double value = 0.0);
// interpolate over the spatial dims of [N, C, H, W] (or [N, C, W]): mode
// "nearest" or "bilinear" (4-D only). Give either size or scale_factor.
Tensor interpolate(const Tensor& input, std::optional<std::vector<int64_t>> size,
                   std::optional<std::vector<double>> scale_factor, std::string_view mode = "nearest",
                   std::optional<bool> align_corners = {});

}  // namespace wick
