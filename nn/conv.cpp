#include "nn/conv.h"

#include <cmath>

#include "nn/init.h"
#include "ops/conv.h"
#include "ops/creation.h"
#include "ops/resize.h"

namespace wick::nn {

namespace {

void check_channels(const char* module, int64_t in_channels, int64_t out_channels, int64_t groups) {
  WICK_CHECK(groups > 0, ValueError, module, ": groups must be a positive integer, got ", groups);
  WICK_CHECK(in_channels >= 0 && out_channels >= 0, ValueError, module,
             ": channel counts must be non-negative, got ", in_channels, " and ", out_channels);
  WICK_CHECK(in_channels % groups == 0, ValueError, module, ": in_channels must be divisible by groups (",
             in_channels, " % ", groups, " != 0)");
  WICK_CHECK(out_channels % groups == 0, ValueError, module, ": out_channels must be divisible by groups (",
             out_channels, " % ", groups, " != 0)");
}

void check_sizes(const char* module, IntArrayRef kernel, IntArrayRef stride, IntArrayRef dilation) {
  for (size_t i = 0; i < kernel.size(); ++i) {
    WICK_CHECK(kernel[i] > 0, ValueError, module, ": kernel_size must be positive, got ", kernel);
    WICK_CHECK(stride[i] > 0, ValueError, module, ": stride must be positive, got ", stride);
    WICK_CHECK(dilation[i] > 0, ValueError, module, ": dilation must be positive, got ", dilation);
  }
}

// PyTorch's default for convolution weights and biases.
void reset_conv(const Tensor& weight, const Tensor& bias) {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const int64_t fan_in = init::calculate_fan_in_and_fan_out(weight).first;
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

bool all_equal(IntArrayRef v, int64_t x) {
  for (int64_t e : v)
    if (e != x) return false;
  return true;
}

}  // namespace

template <size_t D>
ConvNd<D>::ConvNd(int64_t in_channels, int64_t out_channels, ExpandingArray<D> kernel_size, ConvOptions<D> options)
    : in_channels(in_channels), out_channels(out_channels), kernel_size(kernel_size), options(std::move(options)) {
  const ConvOptions<D>& o = this->options;
  const char* name = D == 1 ? "Conv1d" : "Conv2d";
  check_channels(name, in_channels, out_channels, o.groups);
  check_sizes(name, kernel_size, o.stride, o.dilation);
  WICK_CHECK(o.padding_mode == "zeros" || o.padding_mode == "reflect" || o.padding_mode == "replicate" ||
                 o.padding_mode == "circular",
             ValueError, name, ": padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular', but got ",
             "padding_mode='", o.padding_mode, "'");
  reversed_padding_.assign(2 * D, 0);
  if (o.padding.is_mode()) {
    const std::string& mode = o.padding.mode();
    WICK_CHECK(mode == "valid" || mode == "same", ValueError, name, ": Invalid padding string '", mode,
               "', should be one of 'valid', 'same'");
    WICK_CHECK(mode == "valid" || all_equal(o.stride, 1), ValueError,
               name, ": padding='same' is not supported for strided convolutions");
    if (mode == "same") {
      for (size_t d = 0; d < D; ++d) {
        const int64_t total = o.dilation[d] * (kernel_size[d] - 1);
        const size_t i = D - 1 - d;
        reversed_padding_[2 * i] = total / 2;
        reversed_padding_[2 * i + 1] = total - total / 2;
      }
    }
  } else {
    const ExpandingArray<D>& pad = o.padding.sizes();
    for (size_t d = 0; d < D; ++d) {
      WICK_CHECK(pad[d] >= 0, ValueError, name, ": padding must be non-negative, got ", IntArrayRef(pad));
      reversed_padding_[2 * (D - 1 - d)] = reversed_padding_[2 * (D - 1 - d) + 1] = pad[d];
    }
  }
  std::vector<int64_t> shape = {out_channels, in_channels / o.groups};
  for (size_t d = 0; d < D; ++d) shape.push_back(kernel_size[d]);
  weight = register_parameter("weight", wick::empty(shape));
  bias = register_parameter("bias", o.bias ? wick::empty({out_channels}) : Tensor());
  reset_parameters();
}

template <size_t D>
void ConvNd<D>::reset_parameters() {
  reset_conv(weight, bias);
}

template <size_t D>
Tensor ConvNd<D>::forward(const Tensor& input) {
  auto conv = [&](const Tensor& x, const auto& padding) {
    if constexpr (D == 1) return conv1d(x, weight, bias, options.stride, padding, options.dilation, options.groups);
    else return conv2d(x, weight, bias, options.stride, padding, options.dilation, options.groups);
  };
  if (options.padding_mode != "zeros") {
    const std::vector<int64_t> no_padding(D, 0);
    return conv(pad(input, reversed_padding_, options.padding_mode), IntArrayRef(no_padding));
  }
  if (options.padding.is_mode()) return conv(input, std::string_view(options.padding.mode()));
  return conv(input, IntArrayRef(options.padding.sizes()));
}

template <size_t D>
std::string ConvNd<D>::extra_repr() const {
  std::string s = std::to_string(in_channels) + ", " + std::to_string(out_channels) +
                  ", kernel_size=" + repr_tuple(kernel_size) + ", stride=" + repr_tuple(options.stride);
  if (options.padding.is_mode()) s += ", padding=" + options.padding.mode();
  else if (!all_equal(options.padding.sizes(), 0)) s += ", padding=" + repr_tuple(options.padding.sizes());
  if (!all_equal(options.dilation, 1)) s += ", dilation=" + repr_tuple(options.dilation);
  if (options.groups != 1) s += ", groups=" + std::to_string(options.groups);
  if (!bias.defined()) s += ", bias=False";
  if (options.padding_mode != "zeros") s += ", padding_mode=" + options.padding_mode;
  return s;
}

template class ConvNd<1>;
template class ConvNd<2>;

ConvTranspose2d::ConvTranspose2d(int64_t in_channels, int64_t out_channels, ExpandingArray<2> kernel_size,
                                 ConvTranspose2dOptions options)
    : in_channels(in_channels), out_channels(out_channels), kernel_size(kernel_size), options(std::move(options)) {
  const ConvTranspose2dOptions& o = this->options;
  WICK_CHECK(o.padding_mode == "zeros", ValueError, "Only \"zeros\" padding mode is supported for ConvTranspose2d");
  check_channels("ConvTranspose2d", in_channels, out_channels, o.groups);
  check_sizes("ConvTranspose2d", kernel_size, o.stride, o.dilation);
  weight = register_parameter("weight", wick::empty({in_channels, out_channels / o.groups, kernel_size[0], kernel_size[1]}));
  bias = register_parameter("bias", o.bias ? wick::empty({out_channels}) : Tensor());
  reset_parameters();
}

void ConvTranspose2d::reset_parameters() { reset_conv(weight, bias); }

Tensor ConvTranspose2d::forward(const Tensor& input, const std::optional<std::vector<int64_t>>& output_size) {
  std::vector<int64_t> output_padding(options.output_padding.values().begin(), options.output_padding.values().end());
  if (output_size) {
    const bool batched = input.dim() == 4;
    const size_t non_spatial = batched ? 2 : 1;
    std::vector<int64_t> size = *output_size;
    if (size.size() == non_spatial + 2) size.erase(size.begin(), size.begin() + static_cast<std::ptrdiff_t>(non_spatial));
    WICK_CHECK(size.size() == 2, ValueError, "ConvTranspose2D: for ", input.dim(),
               "D input, output_size must have 2 or ", non_spatial + 2, " elements (got ", output_size->size(), ")");
    std::vector<int64_t> min_sizes(2), max_sizes(2);
    for (size_t d = 0; d < 2; ++d) {
      min_sizes[d] = (input.size(static_cast<int64_t>(d + non_spatial)) - 1) * options.stride[d] -
                     2 * options.padding[d] + options.dilation[d] * (kernel_size[d] - 1) + 1;
      max_sizes[d] = min_sizes[d] + options.stride[d] - 1;
    }
    for (size_t d = 0; d < 2; ++d) {
      WICK_CHECK(size[d] >= min_sizes[d] && size[d] <= max_sizes[d], ValueError, "requested an output size of ",
                 IntArrayRef(size), ", but valid sizes range from ", IntArrayRef(min_sizes), " to ",
                 IntArrayRef(max_sizes), " (for an input of [", input.size(-2), ", ", input.size(-1), "])");
      output_padding[d] = size[d] - min_sizes[d];
    }
  }
  return conv_transpose2d(input, weight, bias, options.stride, options.padding, output_padding, options.groups,
                          options.dilation);
}

std::string ConvTranspose2d::extra_repr() const {
  std::string s = std::to_string(in_channels) + ", " + std::to_string(out_channels) +
                  ", kernel_size=" + repr_tuple(kernel_size) + ", stride=" + repr_tuple(options.stride);
  if (!all_equal(options.padding, 0)) s += ", padding=" + repr_tuple(options.padding);
  if (!all_equal(options.dilation, 1)) s += ", dilation=" + repr_tuple(options.dilation);
  if (!all_equal(options.output_padding, 0)) s += ", output_padding=" + repr_tuple(options.output_padding);
  if (options.groups != 1) s += ", groups=" + std::to_string(options.groups);
  if (!bias.defined()) s += ", bias=False";
  return s;
}

}  // namespace wick::nn
