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
        py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("groups") = 1);
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
      py::arg("padding") = 0, py::arg("output_padding") = 0, py::arg("groups") = 1, py::arg("dilation") = 1);
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
      py::arg("dilation") = 1, py::arg("ceil_mode") = false, py::arg("return_indices") = false);
  m.def(
      "max_pool2d_with_indices",
      [max_pool](const Tensor& input, py::object kernel_size, py::object stride, py::object padding,
                 py::object dilation, bool ceil_mode, bool /*return_indices*/) {
        ValuesIndices r = max_pool("max_pool2d_with_indices", input, kernel_size, stride, padding, dilation, ceil_mode);
        return py::make_tuple(r.values, r.indices);
      },
      py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
      py::arg("dilation") = 1, py::arg("ceil_mode") = false, py::arg("return_indices") = false);
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
      py::arg("ceil_mode") = false, py::arg("count_include_pad") = true, py::arg("divisor_override") = py::none());
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
      py::arg("input"), py::arg("output_size"));
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
      py::call_guard<py::gil_scoped_release>());
  m.def(
      "layer_norm",
      [](const Tensor& input, py::object normalized_shape, const OptTensor& weight, const OptTensor& bias,
         double eps) {
        const auto shape = int_list(normalized_shape, "layer_norm", "normalized_shape");
        return without_gil([&] { return layer_norm(input, shape, or_undefined(weight), or_undefined(bias), eps); });
      },
      py::arg("input"), py::arg("normalized_shape"), py::arg("weight") = py::none(), py::arg("bias") = py::none(),
      py::arg("eps") = 1e-5);
  m.def(
      "group_norm",
      [](const Tensor& input, int64_t num_groups, const OptTensor& weight, const OptTensor& bias, double eps) {
        return group_norm(input, num_groups, or_undefined(weight), or_undefined(bias), eps);
      },
      py::arg("input"), py::arg("num_groups"), py::arg("weight") = py::none(), py::arg("bias") = py::none(),
      py::arg("eps") = 1e-5, py::call_guard<py::gil_scoped_release>());
}

}  // namespace

void init_conv(py::module_& m, TensorClass& /*cls*/) {
  init_conv_functions(m);
  init_pool_functions(m);
  init_norm_functions(m);
}

}  // namespace wick::python
