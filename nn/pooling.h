// Pooling layers over the last two dims of [N, C, H, W] or [C, H, W].
#pragma once

#include <optional>

#include "nn/conv.h"
#include "ops/pool.h"

namespace wick::nn {

struct MaxPool2dOptions {
  std::optional<ExpandingArray<2>> stride = std::nullopt;  // default: kernel_size
  ExpandingArray<2> padding = 0;
  ExpandingArray<2> dilation = 1;
  bool ceil_mode = false;
};

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(ExpandingArray<2> kernel_size, MaxPool2dOptions options = {});
  Tensor forward(const Tensor& input);
  // The maxima and their flat positions in each input plane (return_indices=True).
  ValuesIndices forward_with_indices(const Tensor& input);
  std::string extra_repr() const override;

  ExpandingArray<2> kernel_size, stride;
  MaxPool2dOptions options;
};

struct AvgPool2dOptions {
  std::optional<ExpandingArray<2>> stride = std::nullopt;  // default: kernel_size
  ExpandingArray<2> padding = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;
  std::optional<int64_t> divisor_override = std::nullopt;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(ExpandingArray<2> kernel_size, AvgPool2dOptions options = {});
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  ExpandingArray<2> kernel_size, stride;
  AvgPool2dOptions options;
};

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(ExpandingArray<2> output_size) : output_size(output_size) {}
  Tensor forward(const Tensor& input) { return adaptive_avg_pool2d(input, output_size); }
  std::string extra_repr() const override { return "output_size=" + output_size.str(); }

  ExpandingArray<2> output_size;
};

}  // namespace wick::nn
