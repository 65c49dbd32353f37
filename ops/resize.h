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
// interpolate over the spatial dims of [N, C, W], [N, C, H, W] or
// [N, C, D, H, W]: mode "nearest" or "nearest-exact" (any of them), "linear"
// (3-D), "bilinear" (4-D) or "trilinear" (5-D). Give either size or
// scale_factor, each with one value per spatial dim or a single value for
// all. recompute_scale_factor: index with the output/input size ratio
// instead of the given scale_factor (PyTorch's argument).
Tensor interpolate(const Tensor& input, std::optional<std::vector<int64_t>> size,
                   std::optional<std::vector<double>> scale_factor, std::string_view mode = "nearest",
                   std::optional<bool> align_corners = {}, std::optional<bool> recompute_scale_factor = {});

}  // namespace wick
