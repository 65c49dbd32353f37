// nn::init: filling parameters in place, as torch.nn.init. Every function
// runs without recording autograd (parameters are leaves that require grad)
// and returns its argument.
//
// Fans follow PyTorch: for a weight [out, in, *kernel], fan_in = in * prod(kernel)
// and fan_out = out * prod(kernel).
#pragma once

#include <optional>
#include <string_view>
#include <utility>

#include "core/generator.h"
#include "core/tensor.h"

namespace wick::nn::init {

// The recommended gain for a nonlinearity: 1 for linear/conv/sigmoid, 5/3
// for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu (slope
// `param`, default 0.01), 3/4 for selu. ValueError for anything else.
double calculate_gain(std::string_view nonlinearity, std::optional<double> param = {});
// (fan_in, fan_out) of a tensor of 2 or more dims; ValueError otherwise.
std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor);

const Tensor& uniform_(const Tensor& tensor, double a = 0.0, double b = 1.0, Generator* gen = nullptr);
const Tensor& normal_(const Tensor& tensor, double mean = 0.0, double std = 1.0, Generator* gen = nullptr);
// Normal values redrawn until they fall in [a, b].
const Tensor& trunc_normal_(const Tensor& tensor, double mean = 0.0, double std = 1.0, double a = -2.0,
                            double b = 2.0, Generator* gen = nullptr);
const Tensor& constant_(const Tensor& tensor, double value);
const Tensor& zeros_(const Tensor& tensor);
const Tensor& ones_(const Tensor& tensor);
// The identity matrix (2-D tensors).
const Tensor& eye_(const Tensor& tensor);

// Glorot & Bengio (2010): U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)),
// or N(0, gain^2 * 2 / (fan_in + fan_out)).
const Tensor& xavier_uniform_(const Tensor& tensor, double gain = 1.0, Generator* gen = nullptr);
const Tensor& xavier_normal_(const Tensor& tensor, double gain = 1.0, Generator* gen = nullptr);
// He et al. (2015): std = gain(nonlinearity, a) / sqrt(fan), fan per `mode`
// ("fan_in" or "fan_out"); uniform bound sqrt(3) * std.
const Tensor& kaiming_uniform_(const Tensor& tensor, double a = 0.0, std::string_view mode = "fan_in",
                               std::string_view nonlinearity = "leaky_relu", Generator* gen = nullptr);
const Tensor& kaiming_normal_(const Tensor& tensor, double a = 0.0, std::string_view mode = "fan_in",
                              std::string_view nonlinearity = "leaky_relu", Generator* gen = nullptr);
// Saxe et al. (2013): a (semi-)orthogonal matrix times gain, over the tensor
// viewed as [size(0), numel / size(0)].
const Tensor& orthogonal_(const Tensor& tensor, double gain = 1.0, Generator* gen = nullptr);

}  // namespace wick::nn::init
