// Convolutions: im2col + one gemm per sample (parallel over the batch) on the
// CPU, im2col of the whole batch + one batched gemm per group on a GPU (Notes
// [Convolution per sample] and [Convolution on a GPU] in ops/conv.cpp). Shapes as in PyTorch: input [N, C_in, *spatial] (or unbatched
// [C_in, *spatial]), weight [C_out, C_in / groups, *kernel], bias [C_out].
#pragma once

#include <string_view>
#include <type_traits>

#include "core/tensor.h"

namespace wick {

Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, IntArrayRef stride = {1},
              IntArrayRef padding = {0}, IntArrayRef dilation = {1}, int64_t groups = 1);
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, IntArrayRef stride = {1, 1},
              IntArrayRef padding = {0, 0}, IntArrayRef dilation = {1, 1}, int64_t groups = 1);
// padding "valid" (none) or "same" (output size = input size; stride must be 1).
Tensor conv1d_padding_mode(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride,
                           std::string_view padding, IntArrayRef dilation = {1}, int64_t groups = 1);
Tensor conv2d_padding_mode(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride,
                           std::string_view padding, IntArrayRef dilation = {1, 1}, int64_t groups = 1);
// The same as overloads of conv1d/conv2d: conv2d(x, w, b, {1}, "same"). They are
// templates so that a braced padding such as {0} (which would also convert to a
// string_view, as a null pointer) picks the int overloads above.
template <typename S>
  requires std::is_convertible_v<const S&, std::string_view>
Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride, const S& padding,
              IntArrayRef dilation = {1}, int64_t groups = 1) {
  return conv1d_padding_mode(input, weight, bias, stride, std::string_view(padding), dilation, groups);
}
template <typename S>
  requires std::is_convertible_v<const S&, std::string_view>
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride, const S& padding,
              IntArrayRef dilation = {1, 1}, int64_t groups = 1) {
  return conv2d_padding_mode(input, weight, bias, stride, std::string_view(padding), dilation, groups);
}
// weight [C_in, C_out / groups, kH, kW].
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {},
                        IntArrayRef stride = {1, 1}, IntArrayRef padding = {0, 0},
                        IntArrayRef output_padding = {0, 0}, int64_t groups = 1, IntArrayRef dilation = {1, 1});

// Which of the two ways a convolution runs: by device (the default), or one of
// them everywhere, so that tests check the GPU's way on the CPU. Process-wide.
enum class ConvStrategy { ByDevice, PerSample, WholeBatch };
void set_conv_strategy(ConvStrategy strategy);

}  // namespace wick
