// Convolution layers: Conv1d, Conv2d, ConvTranspose2d, with PyTorch's
// arguments as an options struct for designated initializers:
//
//   auto conv = std::make_shared<nn::Conv2d>(1, 32, 3, nn::Conv2dOptions{.stride = 1, .padding = 1});
//   auto same = std::make_shared<nn::Conv2d>(8, 8, 5, nn::Conv2dOptions{.padding = "same"});
#pragma once

#include <array>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "nn/module.h"

namespace wick::nn {

// D sizes given as one number for all dims (3 -> (3, 3)) or one per dim ({3, 5}).
template <size_t D>
class ExpandingArray {
 public:
  ExpandingArray(int64_t value) : scalar_(true) { values_.fill(value); }
  ExpandingArray(std::initializer_list<int64_t> values) { assign(values.begin(), values.size()); }
  ExpandingArray(const std::vector<int64_t>& values) { assign(values.data(), values.size()); }

  operator IntArrayRef() const { return IntArrayRef(values_.data(), D); }
  int64_t operator[](size_t i) const { return values_[i]; }
  const std::array<int64_t, D>& values() const { return values_; }
  // As the user wrote it, in Python's spelling: "3" or "(3, 5)".
  std::string str() const { return scalar_ ? std::to_string(values_[0]) : repr_tuple(*this); }

 private:
  void assign(const int64_t* data, size_t n) {
    WICK_CHECK(n == D, ValueError, "expected ", D, " sizes (one per spatial dim), got ", n);
    std::copy(data, data + n, values_.begin());
  }
  std::array<int64_t, D> values_{};
  bool scalar_ = false;
};

// A convolution's padding: sizes (1, {1, 2}), or a mode, "valid" (none) or
// "same" (output size = input size; stride 1 only).
template <size_t D>
class ConvPadding {
 public:
  ConvPadding(int64_t size) : sizes_(size) {}
  ConvPadding(std::initializer_list<int64_t> sizes) : sizes_(sizes) {}
  ConvPadding(const std::vector<int64_t>& sizes) : sizes_(sizes) {}
  ConvPadding(ExpandingArray<D> sizes) : sizes_(sizes) {}
  // An array, not a const char*: the literal 0 must mean a size.
  template <size_t N>
  ConvPadding(const char (&mode)[N]) : mode_(mode) {}
  ConvPadding(std::string mode) : mode_(std::move(mode)) {}

  bool is_mode() const { return !mode_.empty(); }
  const std::string& mode() const { return mode_; }
  const ExpandingArray<D>& sizes() const { return sizes_; }

 private:
  ExpandingArray<D> sizes_ = 0;
  std::string mode_;
};

template <size_t D>
struct ConvOptions {
  ExpandingArray<D> stride = 1;
  ConvPadding<D> padding = 0;
  ExpandingArray<D> dilation = 1;
  int64_t groups = 1;
  bool bias = true;
  // "zeros", "reflect", "replicate" or "circular".
  std::string padding_mode = "zeros";
};
using Conv1dOptions = ConvOptions<1>;
using Conv2dOptions = ConvOptions<2>;

// Conv1d and Conv2d: weight [out, in / groups, *kernel], bias [out],
// initialised as PyTorch (kaiming_uniform a = sqrt(5); bias U(+-1/sqrt(fan_in))).
template <size_t D>
class ConvNd : public Module {
 public:
  ConvNd(int64_t in_channels, int64_t out_channels, ExpandingArray<D> kernel_size, ConvOptions<D> options = {});
  Tensor forward(const Tensor& input);
  void reset_parameters();
  std::string extra_repr() const override;

  int64_t in_channels, out_channels;
  ExpandingArray<D> kernel_size;
  ConvOptions<D> options;
  Tensor weight, bias;

 private:
  // F.pad's amounts for a padding_mode other than "zeros": last dim first.
  std::vector<int64_t> reversed_padding_;
};

class Conv1d : public ConvNd<1> {
 public:
  using ConvNd<1>::ConvNd;
};
class Conv2d : public ConvNd<2> {
 public:
  using ConvNd<2>::ConvNd;
};

struct ConvTranspose2dOptions {
  ExpandingArray<2> stride = 1;
  ExpandingArray<2> padding = 0;
  ExpandingArray<2> output_padding = 0;
  int64_t groups = 1;
  bool bias = true;
  ExpandingArray<2> dilation = 1;
  std::string padding_mode = "zeros";  // the only mode transposed convolutions support
};

// weight [in, out / groups, kH, kW], bias [out].
class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, ExpandingArray<2> kernel_size,
                  ConvTranspose2dOptions options = {});
  // output_size (the spatial sizes, or all dims) picks the output_padding
  // that gives it, as in PyTorch.
  Tensor forward(const Tensor& input, const std::optional<std::vector<int64_t>>& output_size = {});
  void reset_parameters();
  std::string extra_repr() const override;

  int64_t in_channels, out_channels;
  ExpandingArray<2> kernel_size;
  ConvTranspose2dOptions options;
  Tensor weight, bias;
};

}  // namespace wick::nn
