#include "nn/pooling.h"

namespace wick::nn {

MaxPool2d::MaxPool2d(ExpandingArray<2> kernel_size, MaxPool2dOptions options)
    : kernel_size(kernel_size), stride(options.stride.value_or(kernel_size)), options(std::move(options)) {}

Tensor MaxPool2d::forward(const Tensor& input) {
  return max_pool2d(input, kernel_size, stride, options.padding, options.dilation, options.ceil_mode);
}

ValuesIndices MaxPool2d::forward_with_indices(const Tensor& input) {
  return max_pool2d_with_indices(input, kernel_size, stride, options.padding, options.dilation, options.ceil_mode);
}

std::string MaxPool2d::extra_repr() const {
  return "kernel_size=" + kernel_size.str() + ", stride=" + stride.str() + ", padding=" + options.padding.str() +
         ", dilation=" + options.dilation.str() + ", ceil_mode=" + repr_bool(options.ceil_mode);
}

AvgPool2d::AvgPool2d(ExpandingArray<2> kernel_size, AvgPool2dOptions options)
    : kernel_size(kernel_size), stride(options.stride.value_or(kernel_size)), options(std::move(options)) {}

Tensor AvgPool2d::forward(const Tensor& input) {
  return avg_pool2d(input, kernel_size, stride, options.padding, options.ceil_mode, options.count_include_pad,
                    options.divisor_override);
}

std::string AvgPool2d::extra_repr() const {
  return "kernel_size=" + kernel_size.str() + ", stride=" + stride.str() + ", padding=" + options.padding.str();
}

}  // namespace wick::nn
