// Elementwise ops (ops/elementwise.h) as functions and Tensor methods. A
// number in place of a tensor operand is wrapped like a Python number
// (wrap_scalar), so int tensor + 2.5 gives float32 as in PyTorch.
#include <variant>

#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

using Unary = Tensor (*)(const Tensor&);
using Binary = Tensor (*)(const Tensor&, const Tensor&);
using InplaceUnary = const Tensor& (*)(const Tensor&);

// f(input, other) with other a tensor or a number.
void def_binary(py::module_& m, TensorClass& cls, const char* name, Binary f) {
  def_function_and_method(m, cls, name, [f](const Tensor& a, const Tensor& b) { return f(a, b); }, py::arg("other"));
  def_function_and_method(m, cls, name, [f](const Tensor& a, Scalar b) { return f(a, wrap_scalar(b)); },
                          py::arg("other"));
}

// The in-place method self.name(other) with other a tensor or a number.
template <typename F>
void def_inplace_binary(TensorClass& cls, const char* name, F f) {
  cls.def(name, inplace<const Tensor&>([f](const Tensor& a, const Tensor& b) { f(a, b); }), py::arg("other"));
  cls.def(name, inplace<Scalar>([f](const Tensor& a, Scalar b) { f(a, wrap_scalar(b)); }), py::arg("other"));
}

// div with rounding_mode None (true division), "trunc" or "floor".
Tensor divide(const Tensor& a, const Tensor& b, const std::optional<std::string>& rounding_mode) {
  if (!rounding_mode) return div(a, b);
  if (*rounding_mode == "floor") return floor_divide(a, b);
  WICK_CHECK(*rounding_mode == "trunc", ValueError,
             "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '", *rounding_mode, "'");
  const ScalarType type = result_type(a, b);
  Tensor q = trunc(div(a, b));
  return is_floating_point(type) ? q : q.to(type);
}

}  // namespace

void init_elementwise(py::module_& m, TensorClass& cls) {
  // ---- unary -------------------------------------------------------------------------------
  const std::pair<const char*, Unary> unary[] = {
      {"neg", &neg},         {"negative", &neg},   {"exp", &exp},           {"log", &log},
      {"log1p", &log1p},     {"sqrt", &sqrt},      {"rsqrt", &rsqrt},       {"abs", &abs},
      {"absolute", &abs},    {"sign", &sign},      {"sin", &sin},           {"cos", &cos},
      {"tanh", &tanh},       {"sigmoid", &sigmoid}, {"relu", &relu},        {"reciprocal", &reciprocal},
      {"square", &square},   {"erf", &erf},        {"floor", &floor},       {"ceil", &ceil},
      {"round", &round},     {"trunc", &trunc},    {"logical_not", &logical_not}, {"bitwise_not", &bitwise_not},
      {"isnan", &isnan},     {"isinf", &isinf},    {"silu", &silu}};
  for (const auto& [name, f] : unary) {
    const Unary fn = f;
    def_function_and_method(m, cls, name, [fn](const Tensor& x) { return fn(x); });
  }
  const std::pair<const char*, InplaceUnary> inplace_unary[] = {{"neg_", &neg_},   {"exp_", &exp_},
                                                                {"sqrt_", &sqrt_}, {"tanh_", &tanh_},
                                                                {"sigmoid_", &sigmoid_}, {"relu_", &relu_}};
  for (const auto& [name, f] : inplace_unary) {
    const InplaceUnary fn = f;
    cls.def(name, inplace<>([fn](const Tensor& x) { fn(x); }));
  }
  m.def("leaky_relu", &leaky_relu, py::arg("input"), py::arg("negative_slope") = 0.01,
        py::call_guard<py::gil_scoped_release>());
  m.def(
      "gelu", [](const Tensor& x, const std::string& approximate) { return gelu(x, approximate); }, py::arg("input"),
      py::kw_only(), py::arg("approximate") = "none", py::call_guard<py::gil_scoped_release>());

  // clamp(min=None, max=None) with numbers; clip is its alias.
  for (const char* name : {"clamp", "clip"}) {
    def_function_and_method(
        m, cls, name,
        [](const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max) { return clamp(x, min, max); },
        py::arg("min") = py::none(), py::arg("max") = py::none());
  }
  def_function_and_method(m, cls, "clamp_min", [](const Tensor& x, Scalar min) { return clamp(x, min, std::nullopt); },
                          py::arg("min"));
  def_function_and_method(m, cls, "clamp_max", [](const Tensor& x, Scalar max) { return clamp(x, std::nullopt, max); },
                          py::arg("max"));
  for (const char* name : {"clamp_", "clip_"}) {
    cls.def(name,
            inplace<std::optional<Scalar>, std::optional<Scalar>>(
                [](const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max) { clamp_(x, min, max); }),
            py::arg("min") = py::none(), py::arg("max") = py::none());
  }

  // ---- binary ------------------------------------------------------------------------------
  for (const auto& [name, adds] : {std::pair{"add", true}, std::pair{"sub", false}, std::pair{"subtract", false}}) {
    const bool is_add = adds;
    def_function_and_method(
        m, cls, name,
        [is_add](const Tensor& a, const Tensor& b, Scalar alpha) { return is_add ? add(a, b, alpha) : sub(a, b, alpha); },
        py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
    def_function_and_method(
        m, cls, name,
        [is_add](const Tensor& a, Scalar b, Scalar alpha) {
          return is_add ? add(a, wrap_scalar(b), alpha) : sub(a, wrap_scalar(b), alpha);
        },
        py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
  }
  for (const char* name : {"div", "divide", "true_divide"}) {
    def_function_and_method(m, cls, name, &divide, py::arg("other"), py::kw_only(),
                            py::arg("rounding_mode") = py::none());
    def_function_and_method(
        m, cls, name,
        [](const Tensor& a, Scalar b, const std::optional<std::string>& mode) { return divide(a, wrap_scalar(b), mode); },
        py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none());
  }
  const std::pair<const char*, Binary> binary[] = {
      {"mul", &mul},
      {"multiply", &mul},
      {"maximum", &maximum},
      {"minimum", &minimum},
      {"remainder", static_cast<Binary>(&remainder)},
      {"floor_divide", static_cast<Binary>(&floor_divide)},
      {"atan2", &atan2},
      {"eq", static_cast<Binary>(&eq)},
      {"ne", static_cast<Binary>(&ne)},
      {"lt", static_cast<Binary>(&lt)},
      {"le", static_cast<Binary>(&le)},
      {"gt", static_cast<Binary>(&gt)},
      {"ge", static_cast<Binary>(&ge)},
      {"logical_and", &logical_and},
      {"logical_or", &logical_or},
      {"logical_xor", &logical_xor},
      {"bitwise_and", &bitwise_and},
      {"bitwise_or", &bitwise_or},
      {"bitwise_xor", &bitwise_xor}};
  for (const auto& [name, f] : binary) def_binary(m, cls, name, f);

  // pow(input, exponent): a number exponent keeps PowBackward0; pow(number, tensor) too.
  def_function_and_method(m, cls, "pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); },
                          py::arg("exponent"));
  def_function_and_method(m, cls, "pow", [](const Tensor& a, Scalar b) { return pow(a, b); }, py::arg("exponent"));
  m.def("pow", [](Scalar a, const Tensor& b) { return pow(a, b); }, py::arg("self"), py::arg("exponent"),
        py::call_guard<py::gil_scoped_release>());

  // where(condition, input, other) and input.where(condition, other).
  auto as_tensor_operand = [](const std::variant<Tensor, Scalar>& v) {
    return std::holds_alternative<Tensor>(v) ? std::get<Tensor>(v) : wrap_scalar(std::get<Scalar>(v));
  };
  m.def(
      "where",
      [as_tensor_operand](const Tensor& cond, const std::variant<Tensor, Scalar>& a,
                          const std::variant<Tensor, Scalar>& b) {
        return where(cond, as_tensor_operand(a), as_tensor_operand(b));
      },
      py::arg("condition"), py::arg("input"), py::arg("other"), py::call_guard<py::gil_scoped_release>());
  cls.def(
      "where",
      [as_tensor_operand](const Tensor& self, const Tensor& cond, const std::variant<Tensor, Scalar>& other) {
        return where(cond, self, as_tensor_operand(other));
      },
      py::arg("condition"), py::arg("other"), py::call_guard<py::gil_scoped_release>());

  def_function_and_method(
      m, cls, "masked_fill", [](const Tensor& x, const Tensor& mask, Scalar v) { return masked_fill(x, mask, v); },
      py::arg("mask"), py::arg("value"));
  cls.def("masked_fill_",
          inplace<const Tensor&, Scalar>([](const Tensor& x, const Tensor& mask, Scalar v) { masked_fill_(x, mask, v); }),
          py::arg("mask"), py::arg("value"));

  def_function_and_method(
      m, cls, "allclose",
      [](const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
        return allclose(a, b, rtol, atol, equal_nan);
      },
      py::arg("other"), py::arg("rtol") = 1e-5, py::arg("atol") = 1e-8, py::arg("equal_nan") = false);
  def_function_and_method(m, cls, "equal", [](const Tensor& a, const Tensor& b) { return equal(a, b); },
                          py::arg("other"));

  // ---- in place ----------------------------------------------------------------------------
  cls.def("add_", inplace<const Tensor&, Scalar>([](const Tensor& a, const Tensor& b, Scalar alpha) { add_(a, b, alpha); }),
          py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
  cls.def("add_", inplace<Scalar, Scalar>([](const Tensor& a, Scalar b, Scalar alpha) { add_(a, wrap_scalar(b), alpha); }),
          py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
  cls.def("sub_", inplace<const Tensor&, Scalar>([](const Tensor& a, const Tensor& b, Scalar alpha) { sub_(a, b, alpha); }),
          py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
  cls.def("sub_", inplace<Scalar, Scalar>([](const Tensor& a, Scalar b, Scalar alpha) { sub_(a, wrap_scalar(b), alpha); }),
          py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
  def_inplace_binary(cls, "mul_", [](const Tensor& a, const Tensor& b) { mul_(a, b); });
  def_inplace_binary(cls, "div_", [](const Tensor& a, const Tensor& b) { div_(a, b); });
  cls.def("pow_", inplace<Scalar>([](const Tensor& a, Scalar e) { pow_(a, e); }), py::arg("exponent"));
}

}  // namespace wick::python
