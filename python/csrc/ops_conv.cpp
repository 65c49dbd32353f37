// Convolution, pooling and normalization (ops/conv.h, pool.h, norm.h) as the
// functions of torch.nn.functional, with its argument names, order and
// defaults: an int or a tuple where PyTorch takes either, padding='same' or
// 'valid' for convolutions, None for optional tensors.
#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

using OptTensor = std::optional<Tensor>;

Tensor or_undefined(const OptTensor& t) { return t ? *t : Tensor(); }

// An int or a sequence of ints; None gives an empty list (PyTorch's "default").
std::vector<int64_t> ints_or_empty(py::handle obj, const char* op, const char* arg) {
  if (obj.is_none()) return {};
  return int_list(obj, op, arg);
}

// A convolution: the padding is an int, a tuple of ints or 'same'/'valid'.
template <typename IntFn, typename StrFn>
Tensor conv_call(const char* op, IntFn by_ints, StrFn by_mode, const Tensor& input, const Tensor& weight,
                 const OptTensor& bias, py::handle stride, py::handle padding, py::handle dilation, int64_t groups) {
  const std::vector<int64_t> s = int_list(stride, op, "stride"), d = int_list(dilation, op, "dilation");
  if (py::isinstance<py::str>(padding)) {
    const std::string mode = padding.cast<std::string>();
    return without_gil([&] { return by_mode(input, weight, or_undefined(bias), s, mode, d, groups); });
  }
  const std::vector<int64_t> p = int_list(padding, op, "padding");
  return without_gil([&] { return by_ints(input, weight, or_undefined(bias), s, p, d, groups); });
}

constexpr const char* kConv1dDoc = R"(conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor

The 1-D convolution (cross-correlation, as in PyTorch) of input [N, C_in, L]
(or unbatched [C_in, L]) with weight [C_out, C_in / groups, k] plus bias
[C_out]. padding is an int or 'valid' / 'same' ('same' keeps L; stride 1 only).

Example::

    >>> wick.conv1d(wick.ones(1, 1, 5), wick.ones(1, 1, 3))
    tensor([[[3., 3., 3.]]])
)";

constexpr const char* kConv2dDoc = R"(conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor

The 2-D convolution (cross-correlation, as in PyTorch) of input [N, C_in, H, W]
(or unbatched [C_in, H, W]) with weight [C_out, C_in / groups, kH, kW] plus
bias [C_out]. stride, padding and dilation are ints or pairs; padding may be
'valid' or 'same' (output size = input size; stride 1 only). Each sample is one
im2col and one gemm; the batch is split across threads.

Example::

    >>> wick.conv2d(wick.ones(1, 1, 4, 4), wick.ones(2, 1, 3, 3), padding=1).shape
    wick.Size([1, 2, 4, 4])
)";

void init_conv_functions(py::module_& m) {
  using IntConv = Tensor (*)(const Tensor&, const Tensor&, const Tensor&, IntArrayRef, IntArrayRef, IntArrayRef,
                             int64_t);
  using ModeConv = Tensor (*)(const Tensor&, const Tensor&, const Tensor&, IntArrayRef, std::string_view,
                              IntArrayRef, int64_t);
  const std::tuple<const char*, IntConv, ModeConv> convs[] = {
      {"conv1d", static_cast<IntConv>(&conv1d), &conv1d_padding_mode},
      {"conv2d", static_cast<IntConv>(&conv2d), &conv2d_padding_mode}};
  for (const auto& [name, by_ints, by_mode] : convs) {
    const char* op = name;
    const IntConv fi = by_ints;
    const ModeConv fm = by_mode;
    m.def(
        name,
        [op, fi, fm](const Tensor& input, const Tensor& weight, const OptTensor& bias, py::object stride,
                     py::object padding, py::object dilation, int64_t groups) {
          return conv_call(op, fi, fm, input, weight, bias, stride, padding, dilation, groups);
        },
        py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = 1,
        py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("groups") = 1,
        op[4] == '1' ? kConv1dDoc : kConv2dDoc);
  }
  m.def(
      "conv_transpose2d",
      [](const Tensor& input, const Tensor& weight, const OptTensor& bias, py::object stride, py::object padding,
         py::object output_padding, int64_t groups, py::object dilation) {
        const char* op = "conv_transpose2d";
        const auto s = int_list(stride, op, "stride"), p = int_list(padding, op, "padding");
        const auto op_ = int_list(output_padding, op, "output_padding"), d = int_list(dilation, op, "dilation");
        return without_gil([&] { return conv_transpose2d(input, weight, or_undefined(bias), s, p, op_, groups, d); });
      },
      py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = 1,
      py::arg("padding") = 0, py::arg("output_padding") = 0, py::arg("groups") = 1, py::arg("dilation") = 1,
      R"(conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1) -> Tensor

The transposed 2-D convolution (the gradient of conv2d with respect to its
input), sometimes called a fractionally strided convolution.

input [N, C_in, H, W] (or unbatched [C_in, H, W]); weight [C_in, C_out / groups,
kH, kW]; bias [C_out]. Output size per dim:
(in - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1.

Example::

    >>> wick.conv_transpose2d(wick.ones(1, 1, 2, 2), wick.ones(1, 1, 2, 2), stride=2).shape
    wick.Size([1, 1, 4, 4])
)");
}

void init_pool_functions(py::module_& m) {
  // max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False)
  auto max_pool = [](const char* op, const Tensor& input, py::handle kernel_size, py::handle stride,
                     py::handle padding, py::handle dilation, bool ceil_mode) {
    const auto k = int_list(kernel_size, op, "kernel_size"), s = ints_or_empty(stride, op, "stride");
    const auto p = int_list(padding, op, "padding"), d = int_list(dilation, op, "dilation");
    return without_gil([&] { return max_pool2d_with_indices(input, k, s, p, d, ceil_mode); });
  };
  m.def(
      "max_pool2d",
      [max_pool](const Tensor& input, py::object kernel_size, py::object stride, py::object padding,
                 py::object dilation, bool ceil_mode, bool return_indices) -> py::object {
        if (return_indices) {
          ValuesIndices r = max_pool("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode);
          return py::make_tuple(r.values, r.indices);
        }
        const char* op = "max_pool2d";
        const auto k = int_list(kernel_size, op, "kernel_size"), s = ints_or_empty(stride, op, "stride");
        const auto p = int_list(padding, op, "padding"), d = int_list(dilation, op, "dilation");
        return py::cast(without_gil([&] { return max_pool2d(input, k, s, p, d, ceil_mode); }));
      },
      py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
      py::arg("dilation") = 1, py::arg("ceil_mode") = false, py::arg("return_indices") = false,
      R"(max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False) -> Tensor

The maximum of each kernel_size window over the last two dims of [N, C, H, W]
or [C, H, W]. stride defaults to kernel_size; padding pads with -inf; ceil_mode
rounds the output size up. With return_indices, also the flat position
(h * W + w) of each maximum in its input plane, as a tuple (values, indices).
A window that (with dilation) holds no input element gives -inf, index -1.

Example::

    >>> wick.max_pool2d(wick.arange(16.).view(1, 1, 4, 4), 2)
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
)");
  m.def(
      "max_pool2d_with_indices",
      [max_pool](const Tensor& input, py::object kernel_size, py::object stride, py::object padding,
                 py::object dilation, bool ceil_mode, bool /*return_indices*/) {
        ValuesIndices r = max_pool("max_pool2d_with_indices", input, kernel_size, stride, padding, dilation, ceil_mode);
        return py::make_tuple(r.values, r.indices);
      },
      py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
      py::arg("dilation") = 1, py::arg("ceil_mode") = false, py::arg("return_indices") = false,
      R"(max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False) -> (Tensor, Tensor)

max_pool2d with return_indices=True: the maxima and the flat position
(h * W + w) of each in its input plane (int64), as max_unpool expects.
)");
  m.def(
      "avg_pool2d",
      [](const Tensor& input, py::object kernel_size, py::object stride, py::object padding, bool ceil_mode,
         bool count_include_pad, std::optional<int64_t> divisor_override) {
        const char* op = "avg_pool2d";
        const auto k = int_list(kernel_size, op, "kernel_size"), s = ints_or_empty(stride, op, "stride");
        const auto p = int_list(padding, op, "padding");
        return without_gil(
            [&] { return avg_pool2d(input, k, s, p, ceil_mode, count_include_pad, divisor_override); });
      },
      py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
      py::arg("ceil_mode") = false, py::arg("count_include_pad") = true, py::arg("divisor_override") = py::none(),
      R"(avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None) -> Tensor

The mean of each kernel_size window over the last two dims of [N, C, H, W] or
[C, H, W]. stride defaults to kernel_size. count_include_pad counts the zero
padding in the divisor; divisor_override replaces the divisor.

Example::

    >>> wick.avg_pool2d(wick.arange(16.).view(1, 1, 4, 4), 2)
    tensor([[[[ 2.5000,  4.5000],
              [10.5000, 12.5000]]]])
)");
  m.def(
      "adaptive_avg_pool2d",
      [](const Tensor& input, py::object output_size) {
        // An int, or a pair whose None entries keep the input's size.
        std::vector<int64_t> size;
        if (PyTuple_Check(output_size.ptr()) || PyList_Check(output_size.ptr())) {
          py::sequence seq = py::reinterpret_borrow<py::sequence>(output_size);
          for (size_t i = 0; i < seq.size(); ++i) {
            py::object item = seq[i];
            if (item.is_none()) {
              const int64_t d = input.dim() - static_cast<int64_t>(seq.size()) + static_cast<int64_t>(i);
              if (d < 0 || d >= input.dim())
                throw py::value_error("adaptive_avg_pool2d: output_size has more entries than the input has dims");
              size.push_back(input.size(d));
            } else {
              size.push_back(int_from(item, "adaptive_avg_pool2d", "output_size"));
            }
          }
        } else {
          size = int_list(output_size, "adaptive_avg_pool2d", "output_size");
        }
        return without_gil([&] { return adaptive_avg_pool2d(input, size); });
      },
      py::arg("input"), py::arg("output_size"),
      R"(adaptive_avg_pool2d(input, output_size) -> Tensor

Average pooling to a fixed output size (an int or (H, W); None keeps that
dim's input size): output cell i covers input rows floor(i * H / out_H) to
ceil((i + 1) * H / out_H), and the same for columns.

Example::

    >>> wick.adaptive_avg_pool2d(wick.ones(1, 3, 7, 9), 1).shape
    wick.Size([1, 3, 1, 1])
)");
}

void init_norm_functions(py::module_& m) {
  m.def(
      "batch_norm",
      [](const Tensor& input, const OptTensor& running_mean, const OptTensor& running_var, const OptTensor& weight,
         const OptTensor& bias, bool training, double momentum, double eps) {
        return batch_norm(input, or_undefined(running_mean), or_undefined(running_var), or_undefined(weight),
                          or_undefined(bias), training, momentum, eps);
      },
      py::arg("input"), py::arg("running_mean"), py::arg("running_var"), py::arg("weight") = py::none(),
      py::arg("bias") = py::none(), py::arg("training") = false, py::arg("momentum") = 0.1, py::arg("eps") = 1e-5,
      py::call_guard<py::gil_scoped_release>(),
      R"(batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-05) -> Tensor

Normalizes each channel of input [N, C, *]: (x - mean) / sqrt(var + eps) *
weight + bias. In training, mean and (biased) var are the batch's, and the
running statistics (if given) are updated in place: running = (1 - momentum) *
running + momentum * batch, with the unbiased variance. Otherwise the running
statistics are used.

Example::

    >>> x = wick.randn(8, 3, 4, 4)
    >>> y = wick.batch_norm(x, wick.zeros(3), wick.ones(3), training=True)
    >>> y.mean().abs() < 1e-6
    tensor(True)
)");
  m.def(
      "layer_norm",
      [](const Tensor& input, py::object normalized_shape, const OptTensor& weight, const OptTensor& bias,
         double eps) {
        const auto shape = int_list(normalized_shape, "layer_norm", "normalized_shape");
        return without_gil([&] { return layer_norm(input, shape, or_undefined(weight), or_undefined(bias), eps); });
      },
      py::arg("input"), py::arg("normalized_shape"), py::arg("weight") = py::none(), py::arg("bias") = py::none(),
      py::arg("eps") = 1e-5,
      R"(layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05) -> Tensor

Normalizes over the last len(normalized_shape) dims of input (mean 0,
variance 1, biased variance), then scales by weight and shifts by bias, both
of shape normalized_shape.

Example::

    >>> wick.layer_norm(wick.tensor([[1., 2., 3.]]), (3,))
    tensor([[-1.2247,  0.0000,  1.2247]])
)");
  m.def(
      "group_norm",
      [](const Tensor& input, int64_t num_groups, const OptTensor& weight, const OptTensor& bias, double eps) {
        return group_norm(input, num_groups, or_undefined(weight), or_undefined(bias), eps);
      },
      py::arg("input"), py::arg("num_groups"), py::arg("weight") = py::none(), py::arg("bias") = py::none(),
      py::arg("eps") = 1e-5, py::call_guard<py::gil_scoped_release>(),
      R"(group_norm(input, num_groups, weight=None, bias=None, eps=1e-05) -> Tensor

Splits the C channels of input [N, C, *] into num_groups groups, normalizes
each group of each sample (mean 0, biased variance 1), then applies the
per-channel weight and bias [C].

Example::

    >>> wick.group_norm(wick.randn(2, 4, 3), 2).shape
    wick.Size([2, 4, 3])
)");
}

}  // namespace

void init_conv(py::module_& m, TensorClass& /*cls*/) {
  init_conv_functions(m);
  init_pool_functions(m);
  init_norm_functions(m);
}

}  // namespace wick::python
