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

// f(input, other) with other a tensor or a number. The docstring goes on the
// first overload only (pybind11 lists every overload's).
void def_binary(py::module_& m, TensorClass& cls, const char* name, Binary f, const std::string& doc) {
  def_function_and_method(m, cls, name, [f](const Tensor& a, const Tensor& b) { return f(a, b); }, py::arg("other"),
                          doc.c_str());
  def_function_and_method(m, cls, name, [f](const Tensor& a, Scalar b) { return f(a, wrap_scalar(b)); },
                          py::arg("other"));
}

// The in-place method self.name(other) with other a tensor or a number.
template <typename F>
void def_inplace_binary(TensorClass& cls, const char* name, F f, const char* doc) {
  cls.def(name, inplace<const Tensor&>([f](const Tensor& a, const Tensor& b) { f(a, b); }), py::arg("other"), doc);
  cls.def(name, inplace<Scalar>([f](const Tensor& a, Scalar b) { f(a, wrap_scalar(b)); }), py::arg("other"));
}

// A docstring of the form "name(input) -> Tensor\n\n<what>\n\nExample:: ...".
std::string unary_doc(const char* name, const char* what, const char* example_input, const char* example_output) {
  return std::string(name) + "(input) -> Tensor\n\n" + what + "\n\nExample::\n\n    >>> wick." + name +
         "(wick.tensor(" + example_input + "))\n    " + example_output;
}

// A binary op's docstring: broadcasting and type promotion are the same for all of them.
std::string binary_doc(const char* name, const char* what, const char* example, const char* result) {
  return std::string(name) + "(input, other) -> Tensor\n\n" + what +
         "\n\ninput and other broadcast to a common shape; other may be a number. The result's dtype\n"
         "follows PyTorch's type promotion.\n\nExample::\n\n    >>> " + example + "\n    " + result;
}

// A clamp bound from Python: None, a number or a tensor.
using Bound = std::optional<std::variant<Tensor, Scalar>>;

// clamp with number bounds or tensor bounds; PyTorch takes no mix of the two,
// except that its argument parser reads a 0-dim tensor as a number where a
// number is wanted: clamp(x, 2, tensor(3.5)) is clamp(x, 2, 3.5), unrecorded.
// Not a tensor that requires grad (its gradient would be lost): the parser
// refuses it as a number, and the mix is a TypeError.
Tensor clamp_bounds(const Tensor& x, Bound min, Bound max, bool in_place) {
  auto is_tensor = [](const Bound& b) { return b && std::holds_alternative<Tensor>(*b); };
  auto is_number = [](const Bound& b) { return b && std::holds_alternative<Scalar>(*b); };
  auto as_number = [&](Bound& b) {
    if (is_tensor(b) && std::get<Tensor>(*b).defined() && std::get<Tensor>(*b).dim() == 0 &&
        !std::get<Tensor>(*b).requires_grad())
      b = std::get<Tensor>(*b).item();
  };
  if (is_number(min)) as_number(max);
  if (is_number(max)) as_number(min);
  if (is_tensor(min) || is_tensor(max)) {
    WICK_CHECK(!is_number(min) && !is_number(max), TypeError,
               "clamp(): min and max must both be tensors or both be numbers, but got ",
               is_tensor(min) ? "a tensor min and a number max" : "a number min and a tensor max");
    const Tensor lo = is_tensor(min) ? std::get<Tensor>(*min) : Tensor();
    const Tensor hi = is_tensor(max) ? std::get<Tensor>(*max) : Tensor();
    return in_place ? clamp_(x, lo, hi) : clamp(x, lo, hi);
  }
  const std::optional<Scalar> lo = min ? std::optional<Scalar>(std::get<Scalar>(*min)) : std::nullopt;
  const std::optional<Scalar> hi = max ? std::optional<Scalar>(std::get<Scalar>(*max)) : std::nullopt;
  return in_place ? clamp_(x, lo, hi) : clamp(x, lo, hi);
}

// div with rounding_mode None (true division), "trunc" or "floor".
Tensor divide(const Tensor& a, const Tensor& b, const std::optional<std::string>& rounding_mode) {
  return div(a, b, rounding_mode ? std::optional<std::string_view>(*rounding_mode) : std::nullopt);
}
const Tensor& divide_(const Tensor& a, const Tensor& b, const std::optional<std::string>& rounding_mode) {
  return div_(a, b, rounding_mode ? std::optional<std::string_view>(*rounding_mode) : std::nullopt);
}

}  // namespace

namespace {

// Unary.
void def_elementwise_unary(py::module_& m, TensorClass& cls) {
  struct UnaryRow {
    const char* name;
    Unary fn;
    const char* what;
    const char* example_input;
    const char* example_output;
  };
  const char* const floats = "[-1.5, 0.0, 2.0]";
  const char* const positive = "[0.25, 1.0, 4.0]";
  const char* const special = "[1.0, float('nan'), float('inf')]";
  const UnaryRow unary[] = {
      {"neg", &neg, "-input, elementwise.", floats, "tensor([ 1.5000, -0.0000, -2.0000])"},
      {"negative", &neg, "-input, elementwise (an alias of neg).", floats, "tensor([ 1.5000, -0.0000, -2.0000])"},
      {"exp", &exp, "e to the power of each element.", floats, "tensor([0.2231, 1.0000, 7.3891])"},
      {"log", &log, "The natural logarithm of each element (nan below 0, -inf at 0).", positive,
       "tensor([-1.3863,  0.0000,  1.3863])"},
      {"log1p", &log1p, "log(1 + input), accurate for small inputs.", positive, "tensor([0.2231, 0.6931, 1.6094])"},
      {"sqrt", &sqrt, "The square root of each element (nan below 0).", positive, "tensor([0.5000, 1.0000, 2.0000])"},
      {"rsqrt", &rsqrt, "1 / sqrt(input), elementwise.", positive, "tensor([2.0000, 1.0000, 0.5000])"},
      {"abs", &abs, "The absolute value of each element.", floats, "tensor([1.5000, 0.0000, 2.0000])"},
      {"absolute", &abs, "The absolute value of each element (an alias of abs).", floats,
       "tensor([1.5000, 0.0000, 2.0000])"},
      {"sign", &sign, "-1, 0 or 1 for each element, by its sign.", floats, "tensor([-1.,  0.,  1.])"},
      {"sin", &sin, "The sine of each element (in radians).", floats, "tensor([-0.9975,  0.0000,  0.9093])"},
      {"cos", &cos, "The cosine of each element (in radians).", floats, "tensor([ 0.0707,  1.0000, -0.4161])"},
      {"tanh", &tanh, "The hyperbolic tangent of each element.", floats, "tensor([-0.9051,  0.0000,  0.9640])"},
      {"sigmoid", &sigmoid, "The logistic function 1 / (1 + exp(-input)), elementwise.", floats,
       "tensor([0.1824, 0.5000, 0.8808])"},
      {"relu", &relu, "max(input, 0), elementwise.", floats, "tensor([0., 0., 2.])"},
      {"reciprocal", &reciprocal, "1 / input, elementwise (integers give floats).", positive,
       "tensor([4.0000, 1.0000, 0.2500])"},
      {"square", &square, "input * input, elementwise.", floats, "tensor([2.2500, 0.0000, 4.0000])"},
      {"erf", &erf, "The Gauss error function of each element.", floats, "tensor([-0.9661,  0.0000,  0.9953])"},
      {"floor", &floor, "The largest integer not above each element.", floats, "tensor([-2.,  0.,  2.])"},
      {"ceil", &ceil, "The smallest integer not below each element.", floats, "tensor([-1.,  0.,  2.])"},
      {"round", &round, "Each element rounded to the nearest integer, halves to even.", floats,
       "tensor([-2.,  0.,  2.])"},
      {"trunc", &trunc, "Each element rounded toward zero.", floats, "tensor([-1.,  0.,  2.])"},
      {"fix", &trunc, "Each element rounded toward zero (an alias of trunc).", floats, "tensor([-1.,  0.,  2.])"},
      {"logical_not", &logical_not, "True where the element is zero (or False), as a bool tensor.",
       "[True, False]", "tensor([False,  True])"},
      {"bitwise_not", &bitwise_not, "~input: every bit flipped (logical not for bool tensors).", "[1, 2, 12]",
       "tensor([ -2,  -3, -13])"},
      {"isnan", &isnan, "True where the element is NaN, as a bool tensor.", special, "tensor([False,  True, False])"},
      {"isinf", &isinf, "True where the element is +inf or -inf, as a bool tensor.", special,
       "tensor([False, False,  True])"},
      {"silu", &silu, "input * sigmoid(input) (also called swish), elementwise.", floats,
       "tensor([-0.2736,  0.0000,  1.7616])"},
      {"expm1", &expm1, "exp(input) - 1, elementwise, accurate for small inputs.", floats,
       "tensor([-0.7769,  0.0000,  6.3891])"},
      {"log2", &log2, "The base-2 logarithm of each element.", positive, "tensor([-2.,  0.,  2.])"},
      {"log10", &log10, "The base-10 logarithm of each element.", "[0.1, 1.0, 100.0]", "tensor([-1.,  0.,  2.])"},
      {"tan", &tan, "The tangent of each element (in radians).", floats, "tensor([-14.1014,   0.0000,  -2.1850])"},
      {"asin", &asin, "The arcsine of each element (nan outside [-1, 1]).", "[-0.5, 0.0, 0.5]",
       "tensor([-0.5236,  0.0000,  0.5236])"},
      {"arcsin", &asin, "The arcsine of each element (an alias of asin).", "[-0.5, 0.0, 0.5]",
       "tensor([-0.5236,  0.0000,  0.5236])"},
      {"acos", &acos, "The arccosine of each element (nan outside [-1, 1]).", "[-0.5, 0.0, 0.5]",
       "tensor([2.0944, 1.5708, 1.0472])"},
      {"arccos", &acos, "The arccosine of each element (an alias of acos).", "[-0.5, 0.0, 0.5]",
       "tensor([2.0944, 1.5708, 1.0472])"},
      {"atan", &atan, "The arctangent of each element.", floats, "tensor([-0.9828,  0.0000,  1.1071])"},
      {"arctan", &atan, "The arctangent of each element (an alias of atan).", floats,
       "tensor([-0.9828,  0.0000,  1.1071])"},
      {"sinh", &sinh, "The hyperbolic sine of each element.", floats, "tensor([-2.1293,  0.0000,  3.6269])"},
      {"cosh", &cosh, "The hyperbolic cosine of each element.", floats, "tensor([2.3524, 1.0000, 3.7622])"},
      {"asinh", &asinh, "The inverse hyperbolic sine of each element.", floats, "tensor([-1.1948,  0.0000,  1.4436])"},
      {"arcsinh", &asinh, "The inverse hyperbolic sine of each element (an alias of asinh).", floats,
       "tensor([-1.1948,  0.0000,  1.4436])"},
      {"acosh", &acosh, "The inverse hyperbolic cosine of each element (nan below 1).", "[1.0, 2.0, 4.0]",
       "tensor([0.0000, 1.3170, 2.0634])"},
      {"arccosh", &acosh, "The inverse hyperbolic cosine of each element (an alias of acosh).", "[1.0, 2.0, 4.0]",
       "tensor([0.0000, 1.3170, 2.0634])"},
      {"atanh", &atanh, "The inverse hyperbolic tangent of each element (nan outside [-1, 1]).", "[-0.5, 0.0, 0.5]",
       "tensor([-0.5493,  0.0000,  0.5493])"},
      {"arctanh", &atanh, "The inverse hyperbolic tangent of each element (an alias of atanh).", "[-0.5, 0.0, 0.5]",
       "tensor([-0.5493,  0.0000,  0.5493])"},
      {"erfc", &erfc, "1 - erf(input), elementwise, accurate where erf is near 1.", floats,
       "tensor([1.9661, 1.0000, 0.0047])"},
      {"erfinv", &erfinv, "The inverse of erf: x with erf(x) = input (inf at 1, nan outside [-1, 1]).",
       "[-0.5, 0.0, 0.9]", "tensor([-0.4769,  0.0000,  1.1631])"},
      {"exp2", &exp2, "2 to the power of each element.", floats, "tensor([0.3536, 1.0000, 4.0000])"},
      {"deg2rad", &deg2rad, "Each element converted from degrees to radians.", "[180.0, 90.0, -45.0]",
       "tensor([ 3.1416,  1.5708, -0.7854])"},
      {"rad2deg", &rad2deg, "Each element converted from radians to degrees.", "[3.14159265, 1.0, -0.5]",
       "tensor([180.0000,  57.2958, -28.6479])"},
      {"frac", &frac, "The fractional part of each element, input - trunc(input), with its sign.",
       "[-1.5, 0.25, 2.75]", "tensor([-0.5000,  0.2500,  0.7500])"},
      {"sinc", &sinc, "sin(pi * input) / (pi * input), elementwise, and 1 at 0.", "[0.0, 0.5, -1.5]",
       "tensor([ 1.0000,  0.6366, -0.2122])"},
      {"sgn", &sgn, "The sign of each element (-1, 0 or 1); for real dtypes the same as sign.", "[-2.0, 0.0, 3.0]",
       "tensor([-1.,  0.,  1.])"},
      {"lgamma", &lgamma, "The log of the absolute value of the gamma function of each element.", "[0.5, 1.0, 3.0]",
       "tensor([0.5724, 0.0000, 0.6931])"},
      {"digamma", &digamma, "The derivative of lgamma: psi(x) = Gamma'(x) / Gamma(x), elementwise.", "[0.5, 1.0, 3.0]",
       "tensor([-1.9635, -0.5772,  0.9228])"},
      {"signbit", &signbit, "True where the sign bit is set: negative numbers, -0.0 and negative NaNs.",
       "[-2.0, -0.0, 3.0]", "tensor([ True,  True, False])"}};
  for (const UnaryRow& op : unary) {
    const Unary fn = op.fn;
    def_function_and_method(m, cls, op.name, [fn](const Tensor& x) { return fn(x); },
                            unary_doc(op.name, op.what, op.example_input, op.example_output).c_str());
  }
  const std::pair<const char*, InplaceUnary> inplace_unary[] = {{"neg_", &neg_},   {"exp_", &exp_},
                                                                {"sqrt_", &sqrt_}, {"tanh_", &tanh_},
                                                                {"sigmoid_", &sigmoid_}, {"relu_", &relu_}};
  // The rest of PyTorch's in-place unary methods, through copy_ (Note [In-place forms through copy_]).
  const std::pair<const char*, Unary> via_copy[] = {
      {"sin_", &sin},         {"cos_", &cos},       {"tan_", &tan},         {"asin_", &asin},
      {"arcsin_", &asin},     {"acos_", &acos},     {"arccos_", &acos},     {"atan_", &atan},
      {"arctan_", &atan},     {"sinh_", &sinh},     {"cosh_", &cosh},       {"asinh_", &asinh},
      {"arcsinh_", &asinh},   {"acosh_", &acosh},   {"arccosh_", &acosh},   {"atanh_", &atanh},
      {"arctanh_", &atanh},   {"log_", &log},       {"log2_", &log2},       {"log10_", &log10},
      {"log1p_", &log1p},     {"expm1_", &expm1},   {"exp2_", &exp2},       {"erf_", &erf},
      {"erfc_", &erfc},       {"erfinv_", &erfinv}, {"rsqrt_", &rsqrt},     {"reciprocal_", &reciprocal},
      {"abs_", &abs},         {"absolute_", &abs},  {"sign_", &sign},       {"floor_", &floor},
      {"ceil_", &ceil},       {"trunc_", &trunc},   {"fix_", &trunc},       {"square_", &square},
      {"frac_", &frac},       {"deg2rad_", &deg2rad}, {"rad2deg_", &rad2deg}, {"negative_", &neg},
      {"sinc_", &sinc},       {"sgn_", &sgn},         {"lgamma_", &lgamma},   {"digamma_", &digamma}};
  for (const auto& [name, f] : via_copy) {
    const Unary fn = f;
    const std::string op = name, base(name, std::string_view(name).size() - 1);
    const std::string doc = op + "() -> Tensor\n\nIn-place " + base + ": replaces each element by its " + base +
                            "; returns this tensor. See wick." + base + ".";
    cls.def(name, inplace<>([fn, op](const Tensor& x) { inplace_apply(x, op.c_str(), fn); }), doc.c_str());
  }
  for (const auto& [name, f] : inplace_unary) {
    const InplaceUnary fn = f;
    const std::string base(name, std::string_view(name).size() - 1);
    const std::string doc = std::string(name) + "() -> Tensor\n\nIn-place " + base + ": replaces each element by its " +
                            base + "; returns this tensor. See wick." + base + ".";
    cls.def(name, inplace<>([fn](const Tensor& x) { fn(x); }), doc.c_str());
  }
  // The fused kernels behind wick.nn.functional's hardsigmoid, hardswish, mish, elu, celu and selu.
  m.def("_hardsigmoid", &hardsigmoid, py::arg("input"), py::call_guard<py::gil_scoped_release>(),
        "relu6(input + 3) / 6 (nn.functional.hardsigmoid).");
  m.def("_hardswish", &hardswish, py::arg("input"), py::call_guard<py::gil_scoped_release>(),
        "input * relu6(input + 3) / 6 (nn.functional.hardswish).");
  m.def("_mish", &mish, py::arg("input"), py::call_guard<py::gil_scoped_release>(),
        "input * tanh(softplus(input)) (nn.functional.mish).");
  m.def("_elu", &elu, py::arg("input"), py::arg("alpha") = 1.0, py::arg("scale") = 1.0, py::arg("input_scale") = 1.0,
        py::call_guard<py::gil_scoped_release>(),
        "scale * input where input > 0, else scale * alpha * (exp(input_scale * input) - 1) "
        "(nn.functional.elu, celu, selu).");
  m.def("leaky_relu", &leaky_relu, py::arg("input"), py::arg("negative_slope") = 0.01,
        py::call_guard<py::gil_scoped_release>(),
        "leaky_relu(input, negative_slope=0.01) -> Tensor\n\n"
        "input where it is positive, negative_slope * input elsewhere.\n\n"
        "Example::\n\n"
        "    >>> wick.leaky_relu(wick.tensor([-2.0, 3.0]), 0.1)\n"
        "    tensor([-0.2000,  3.0000])");
  m.def("softplus", &softplus, py::arg("input"), py::arg("beta") = 1.0, py::arg("threshold") = 20.0,
        py::call_guard<py::gil_scoped_release>(),
        "softplus(input, beta=1, threshold=20) -> Tensor\n\n"
        "log(1 + exp(beta * input)) / beta, elementwise, and input itself where beta * input > threshold.\n\n"
        "Example::\n\n"
        "    >>> wick.softplus(wick.tensor([-1.0, 0.0, 30.0]))\n"
        "    tensor([ 0.3133,  0.6931, 30.0000])");
  m.def("log_sigmoid", &log_sigmoid, py::arg("input"), py::call_guard<py::gil_scoped_release>(),
        "log_sigmoid(input) -> Tensor\n\n"
        "log(sigmoid(input)) = min(input, 0) - log1p(exp(-|input|)), elementwise, without overflow.\n\n"
        "Example::\n\n"
        "    >>> wick.log_sigmoid(wick.tensor([-1.0, 0.0, 30.0]))\n"
        "    tensor([-1.3133e+00, -6.9315e-01, -9.3576e-14])");
  m.def("hardtanh", &hardtanh, py::arg("input"), py::arg("min_val") = -1.0, py::arg("max_val") = 1.0,
        py::call_guard<py::gil_scoped_release>(),
        "hardtanh(input, min_val=-1.0, max_val=1.0) -> Tensor\n\n"
        "input clamped to [min_val, max_val]; its gradient is 1 strictly inside and 0 at and beyond the\n"
        "bounds (clamp's is 1 at the bounds).\n\n"
        "Example::\n\n"
        "    >>> wick.hardtanh(wick.tensor([-2.0, 0.5, 3.0]))\n"
        "    tensor([-1.0000,  0.5000,  1.0000])");
  m.def("hardtanh_", inplace<double, double>([](const Tensor& x, double lo, double hi) { hardtanh_(x, lo, hi); }),
        py::arg("input"), py::arg("min_val") = -1.0, py::arg("max_val") = 1.0,
        "hardtanh_(input, min_val=-1.0, max_val=1.0) -> Tensor\n\nIn-place hardtanh; returns input.");
  m.def(
      "gelu", [](const Tensor& x, const std::string& approximate) { return gelu(x, approximate); }, py::arg("input"),
      py::kw_only(), py::arg("approximate") = "none", py::call_guard<py::gil_scoped_release>(),
      "gelu(input, *, approximate='none') -> Tensor\n\n"
      "The Gaussian error linear unit input * Phi(input), Phi the standard normal CDF; with\n"
      "approximate='tanh', its tanh approximation.\n\n"
      "Example::\n\n"
      "    >>> wick.gelu(wick.tensor([-1.0, 0.0, 1.0]))\n"
      "    tensor([-0.1587,  0.0000,  0.8413])");

  // clamp(min=None, max=None) with numbers or tensors; clip is its alias.
  for (const char* name : {"clamp", "clip"}) {
    const std::string doc = std::string(name) +
                            "(input, min=None, max=None) -> Tensor\n\n"
                            "Each element limited to [min, max]: below min it becomes min, above max it becomes max\n"
                            "(either bound may be None; where min > max, max). The bounds are both numbers or both\n"
                            "tensors, which broadcast with input. The result's dtype is that of input and the bounds\n"
                            "together (an integer tensor clamped to 1.5 gives floats). The gradient goes to input\n"
                            "inside the range, and to a tensor bound where it is the result.\n\n"
                            "Example::\n\n"
                            "    >>> wick." + name + "(wick.tensor([-2.0, 0.5, 3.0]), min=0, max=1)\n"
                            "    tensor([0.0000, 0.5000, 1.0000])\n"
                            "    >>> wick." + name + "(wick.arange(4), min=wick.tensor([1, 1, 3, 3]))\n"
                            "    tensor([1, 1, 3, 3])";
    def_function_and_method(
        m, cls, name, [](const Tensor& x, const Bound& min, const Bound& max) { return clamp_bounds(x, min, max, false); },
        py::arg("min") = py::none(), py::arg("max") = py::none(), doc.c_str());
  }
  def_function_and_method(
      m, cls, "clamp_min", [](const Tensor& x, const Bound& min) { return clamp_bounds(x, min, std::nullopt, false); },
      py::arg("min"), "clamp_min(input, min) -> Tensor\n\nclamp(input, min=min): max(input, min).");
  def_function_and_method(
      m, cls, "clamp_max", [](const Tensor& x, const Bound& max) { return clamp_bounds(x, std::nullopt, max, false); },
      py::arg("max"), "clamp_max(input, max) -> Tensor\n\nclamp(input, max=max): min(input, max).");
  for (const char* name : {"clamp_", "clip_"}) {
    cls.def(name,
            inplace<Bound, Bound>([](const Tensor& x, const Bound& min, const Bound& max) {
              clamp_bounds(x, min, max, true);
            }),
            py::arg("min") = py::none(), py::arg("max") = py::none(),
            (std::string(name) + "(min=None, max=None) -> Tensor\n\nIn-place clamp; returns this tensor.").c_str());
  }

  // round(input, *, decimals=0): with decimals, PyTorch's round.decimals (floats only, RoundBackward1).
  def_function_and_method(m, cls, "round", [](const Tensor& x, int64_t decimals) { return round(x, decimals); },
                          py::kw_only(), py::arg("decimals"));
  cls.def("round_", inplace<>([](const Tensor& x) { round_(x); }),
          "round_(*, decimals=0) -> Tensor\n\nIn-place round; returns this tensor.");
  cls.def("round_", inplace<int64_t>([](const Tensor& x, int64_t decimals) { round_(x, decimals); }), py::kw_only(),
          py::arg("decimals"));
}

// Binary.
void def_elementwise_binary(py::module_& m, TensorClass& cls) {
  for (const auto& [name, adds] : {std::pair{"add", true}, std::pair{"sub", false}, std::pair{"subtract", false}}) {
    const bool is_add = adds;
    const std::string doc =
        std::string(name) + "(input, other, *, alpha=1) -> Tensor\n\n" +
        (is_add ? "input + alpha * other" : "input - alpha * other") +
        ", elementwise. input and other broadcast to a common shape;\n"
        "other may be a number. The result's dtype follows PyTorch's type promotion.\n\n"
        "Example::\n\n"
        "    >>> wick." + name + "(wick.tensor([1.0, 2.0, 3.0]), 10, alpha=2)\n" +
        (is_add ? "    tensor([21., 22., 23.])" : "    tensor([-19., -18., -17.])");
    def_function_and_method(
        m, cls, name,
        [is_add](const Tensor& a, const Tensor& b, Scalar alpha) { return is_add ? add(a, b, alpha) : sub(a, b, alpha); },
        py::arg("other"), py::kw_only(), py::arg("alpha") = 1, doc.c_str());
    def_function_and_method(
        m, cls, name,
        [is_add](const Tensor& a, Scalar b, Scalar alpha) {
          return is_add ? add(a, wrap_scalar(b), alpha) : sub(a, wrap_scalar(b), alpha);
        },
        py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
  }
  for (const char* name : {"div", "divide", "true_divide"}) {
    const std::string doc = std::string(name) +
                            "(input, other, *, rounding_mode=None) -> Tensor\n\n"
                            "input / other, elementwise, as floats (true division); rounding_mode='trunc' rounds the\n"
                            "quotient toward zero and 'floor' down, keeping integer dtypes. input and other broadcast;\n"
                            "other may be a number.\n\n"
                            "Example::\n\n"
                            "    >>> wick." + name + "(wick.tensor([7, -7]), 2)\n"
                            "    tensor([ 3.5000, -3.5000])\n"
                            "    >>> wick." + name + "(wick.tensor([7, -7]), 2, rounding_mode='floor')\n"
                            "    tensor([ 3, -4])";
    def_function_and_method(m, cls, name, &divide, py::arg("other"), py::kw_only(),
                            py::arg("rounding_mode") = py::none(), doc.c_str());
    def_function_and_method(
        m, cls, name,
        [](const Tensor& a, Scalar b, const std::optional<std::string>& mode) { return divide(a, wrap_scalar(b), mode); },
        py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none());
  }
  struct BinaryRow {
    const char* name;
    Binary fn;
    const char* what;
    const char* example;
    const char* result;
  };
  const BinaryRow binary[] = {
      {"mul", &mul, "input * other, elementwise.", "wick.mul(wick.tensor([1.0, 2.0]), 3)", "tensor([3., 6.])"},
      {"multiply", &mul, "input * other, elementwise (an alias of mul).", "wick.multiply(wick.tensor([1.0, 2.0]), 3)",
       "tensor([3., 6.])"},
      {"maximum", &maximum, "The larger of input and other, elementwise (NaN if either is NaN).",
       "wick.maximum(wick.tensor([1, 5]), wick.tensor([3, 2]))", "tensor([3, 5])"},
      {"minimum", &minimum, "The smaller of input and other, elementwise (NaN if either is NaN).",
       "wick.minimum(wick.tensor([1, 5]), wick.tensor([3, 2]))", "tensor([1, 2])"},
      {"remainder", static_cast<Binary>(&remainder),
       "input modulo other, elementwise, with the sign of other (Python's %).",
       "wick.remainder(wick.tensor([-3, 3]), 2)", "tensor([1, 1])"},
      {"floor_divide", static_cast<Binary>(&floor_divide), "input / other rounded down, elementwise (Python's //).",
       "wick.floor_divide(wick.tensor([7, -7]), 2)", "tensor([ 3, -4])"},
      {"atan2", &atan2, "The angle of the point (other, input), i.e. atan(input / other) in the right quadrant.",
       "wick.atan2(wick.tensor([1.0, 1.0]), wick.tensor([1.0, -1.0]))", "tensor([0.7854, 2.3562])"},
      {"arctan2", &atan2, "The angle of the point (other, input) (an alias of atan2).",
       "wick.arctan2(wick.tensor([1.0, 1.0]), wick.tensor([1.0, -1.0]))", "tensor([0.7854, 2.3562])"},
      {"hypot", &hypot, "sqrt(input**2 + other**2), elementwise, without overflow in the squares.",
       "wick.hypot(wick.tensor([3.0, 5.0]), wick.tensor([4.0, 12.0]))", "tensor([ 5., 13.])"},
      {"logaddexp", &logaddexp, "log(exp(input) + exp(other)), elementwise, without overflow in the exponentials.",
       "wick.logaddexp(wick.tensor([0.0, 1000.0]), wick.tensor([0.0, 1000.0]))", "tensor([6.9315e-01, 1.0007e+03])"},
      {"fmod", &fmod, "The remainder of input / other, elementwise, with the sign of input (C's fmod).",
       "wick.fmod(wick.tensor([-3, 3]), 2)", "tensor([-1,  1])"},
      {"xlogy", &xlogy, "input * log(other), elementwise, and 0 where input is 0 (unless other is nan).",
       "wick.xlogy(wick.tensor([0.0, 2.0]), wick.tensor([0.0, 3.0]))", "tensor([0.0000, 2.1972])"},
      {"copysign", &copysign, "The magnitude of input with the sign of other, elementwise (the sign of -0.0 too).",
       "wick.copysign(wick.tensor([1.0, -2.0]), wick.tensor([-0.0, 3.0]))", "tensor([-1.,  2.])"},
      {"fmax", &fmax, "The larger of input and other, elementwise, where a NaN loses to a number.",
       "wick.fmax(wick.tensor([1.0, float('nan')]), wick.tensor([float('nan'), 2.0]))", "tensor([1., 2.])"},
      {"fmin", &fmin, "The smaller of input and other, elementwise, where a NaN loses to a number.",
       "wick.fmin(wick.tensor([1.0, float('nan')]), wick.tensor([float('nan'), 2.0]))", "tensor([1., 2.])"},
      {"heaviside", &heaviside, "The step function: 0 where input < 0, other where input == 0, 1 where input > 0.",
       "wick.heaviside(wick.tensor([-2.0, 0.0, 3.0]), wick.tensor([0.5]))", "tensor([0.0000, 0.5000, 1.0000])"},
      {"gcd", &gcd, "The greatest common divisor of input and other, elementwise (integers; non-negative).",
       "wick.gcd(wick.tensor([12, -9, 0]), wick.tensor([18, 6, 0]))", "tensor([6, 3, 0])"},
      {"lcm", &lcm, "The least common multiple of input and other, elementwise (integers; non-negative).",
       "wick.lcm(wick.tensor([4, -6, 0]), wick.tensor([6, 4, 5]))", "tensor([12, 12,  0])"},
      {"float_power", &float_power, "input ** other computed in float64 whatever the dtypes.",
       "wick.float_power(wick.tensor([2, 3]), 2)", "tensor([4., 9.], dtype=wick.float64)"},
      {"ldexp", &ldexp, "input * 2 ** other, elementwise.",
       "wick.ldexp(wick.tensor([1.0, 3.0]), wick.tensor([2, -1]))", "tensor([4.0000, 1.5000])"},
      {"eq", static_cast<Binary>(&eq), "input == other, elementwise, as a bool tensor.",
       "wick.eq(wick.tensor([1, 2]), 2)", "tensor([False,  True])"},
      {"ne", static_cast<Binary>(&ne), "input != other, elementwise, as a bool tensor.",
       "wick.ne(wick.tensor([1, 2]), 2)", "tensor([ True, False])"},
      {"lt", static_cast<Binary>(&lt), "input < other, elementwise, as a bool tensor.",
       "wick.lt(wick.tensor([1, 2]), 2)", "tensor([ True, False])"},
      {"le", static_cast<Binary>(&le), "input <= other, elementwise, as a bool tensor.",
       "wick.le(wick.tensor([1, 2]), 2)", "tensor([True, True])"},
      {"gt", static_cast<Binary>(&gt), "input > other, elementwise, as a bool tensor.",
       "wick.gt(wick.tensor([1, 2]), 1)", "tensor([False,  True])"},
      {"ge", static_cast<Binary>(&ge), "input >= other, elementwise, as a bool tensor.",
       "wick.ge(wick.tensor([1, 2]), 2)", "tensor([False,  True])"},
      {"logical_and", &logical_and, "True where both elements are nonzero, as a bool tensor.",
       "wick.logical_and(wick.tensor([True, False]), wick.tensor([True, True]))", "tensor([ True, False])"},
      {"logical_or", &logical_or, "True where either element is nonzero, as a bool tensor.",
       "wick.logical_or(wick.tensor([True, False]), wick.tensor([False, False]))", "tensor([ True, False])"},
      {"logical_xor", &logical_xor, "True where exactly one of the elements is nonzero, as a bool tensor.",
       "wick.logical_xor(wick.tensor([True, False]), wick.tensor([True, True]))", "tensor([False,  True])"},
      {"bitwise_and", &bitwise_and, "input & other for integer or bool tensors.",
       "wick.bitwise_and(wick.tensor([12, 10]), 6)", "tensor([4, 2])"},
      {"bitwise_or", &bitwise_or, "input | other for integer or bool tensors.",
       "wick.bitwise_or(wick.tensor([12, 10]), 6)", "tensor([14, 14])"},
      {"bitwise_xor", &bitwise_xor, "input ^ other for integer or bool tensors.",
       "wick.bitwise_xor(wick.tensor([12, 10]), 6)", "tensor([10, 12])"}};
  for (const BinaryRow& op : binary) def_binary(m, cls, op.name, op.fn, binary_doc(op.name, op.what, op.example, op.result));

  // pow(input, exponent): a number exponent keeps PowBackward0; pow(number, tensor) too.
  def_function_and_method(m, cls, "pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); },
                          py::arg("exponent"),
                          "pow(input, exponent) -> Tensor\n\n"
                          "input raised to exponent, elementwise; either may be a number (pow(2, x) is 2**x).\n"
                          "Tensors broadcast to a common shape.\n\n"
                          "Example::\n\n"
                          "    >>> wick.pow(wick.tensor([1.0, 2.0, 3.0]), 2)\n"
                          "    tensor([1., 4., 9.])");
  def_function_and_method(m, cls, "pow", [](const Tensor& a, Scalar b) { return pow(a, b); }, py::arg("exponent"));
  m.def("pow", [](Scalar a, const Tensor& b) { return pow(a, b); }, py::arg("self"), py::arg("exponent"),
        py::call_guard<py::gil_scoped_release>());

  // where(condition, input, other) and input.where(condition, other).
  using Operand = std::variant<Tensor, Scalar>;
  auto where_any = [](const Tensor& cond, const Operand& a, const Operand& b) {
    const bool ta = std::holds_alternative<Tensor>(a), tb = std::holds_alternative<Tensor>(b);
    if (ta && tb) return where(cond, std::get<Tensor>(a), std::get<Tensor>(b));
    if (ta) return where(cond, std::get<Tensor>(a), std::get<Scalar>(b));
    if (tb) return where(cond, std::get<Scalar>(a), std::get<Tensor>(b));
    return where(cond, std::get<Scalar>(a), std::get<Scalar>(b));
  };
  m.def("where", where_any, py::arg("condition"), py::arg("input"), py::arg("other"),
        py::call_guard<py::gil_scoped_release>(),
        "where(condition, input, other) -> Tensor\n\n"
        "input where condition (a bool tensor) is True, other elsewhere. The three broadcast to a common\n"
        "shape; input and other may be numbers, converted to the result's dtype (where(c, 1.5, 2) is\n"
        "float32). Differentiable in input and other.\n\n"
        "Example::\n\n"
        "    >>> wick.where(wick.tensor([True, False]), wick.tensor([1.0, 2.0]), 0.0)\n"
        "    tensor([1., 0.])");
  cls.def(
      "where", [where_any](const Tensor& self, const Tensor& cond, const Operand& other) { return where_any(cond, self, other); },
      py::arg("condition"), py::arg("other"), py::call_guard<py::gil_scoped_release>(),
      "where(condition, other) -> Tensor\n\nwick.where(condition, self, other).");

  def_function_and_method(
      m, cls, "masked_fill", [](const Tensor& x, const Tensor& mask, Scalar v) { return masked_fill(x, mask, v); },
      py::arg("mask"), py::arg("value"),
      "masked_fill(input, mask, value) -> Tensor\n\n"
      "A copy of input with value where mask (a bool tensor broadcastable to input) is True.\n\n"
      "Example::\n\n"
      "    >>> wick.masked_fill(wick.tensor([1.0, 2.0, 3.0]), wick.tensor([True, False, True]), 0.0)\n"
      "    tensor([0., 2., 0.])");
  cls.def("masked_fill_",
          inplace<const Tensor&, Scalar>([](const Tensor& x, const Tensor& mask, Scalar v) { masked_fill_(x, mask, v); }),
          py::arg("mask"), py::arg("value"),
          "masked_fill_(mask, value) -> Tensor\n\nIn-place masked_fill; returns this tensor.");

  def_function_and_method(
      m, cls, "allclose",
      [](const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
        return allclose(a, b, rtol, atol, equal_nan);
      },
      py::arg("other"), py::arg("rtol") = 1e-5, py::arg("atol") = 1e-8, py::arg("equal_nan") = false,
      "allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool\n\n"
      "True when |input - other| <= atol + rtol * |other| for every element (after broadcasting);\n"
      "NaNs count as equal only with equal_nan.\n\n"
      "Example::\n\n"
      "    >>> wick.allclose(wick.tensor([1.0, 2.0]), wick.tensor([1.0, 2.0 + 1e-9]))\n"
      "    True");
  def_function_and_method(m, cls, "equal", [](const Tensor& a, const Tensor& b) { return equal(a, b); },
                          py::arg("other"),
                          "equal(input, other) -> bool\n\n"
                          "True when both have the same shape and the same values.");
}

// In place.
void def_elementwise_in_place(py::module_& m, TensorClass& cls) {
  cls.def("add_", inplace<const Tensor&, Scalar>([](const Tensor& a, const Tensor& b, Scalar alpha) { add_(a, b, alpha); }),
          py::arg("other"), py::kw_only(), py::arg("alpha") = 1,
          "add_(other, *, alpha=1) -> Tensor\n\n"
          "In place: self += alpha * other (other broadcasts to self's shape); returns self.\n\n"
          "Example::\n\n"
          "    >>> w = wick.tensor([1.0, 2.0])\n"
          "    >>> w.add_(wick.tensor([0.5, 0.5]), alpha=-2)   # w -= 2 * other\n"
          "    tensor([0., 1.])");
  cls.def("add_", inplace<Scalar, Scalar>([](const Tensor& a, Scalar b, Scalar alpha) { add_(a, wrap_scalar(b), alpha); }),
          py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
  cls.def("sub_", inplace<const Tensor&, Scalar>([](const Tensor& a, const Tensor& b, Scalar alpha) { sub_(a, b, alpha); }),
          py::arg("other"), py::kw_only(), py::arg("alpha") = 1,
          "sub_(other, *, alpha=1) -> Tensor\n\nIn place: self -= alpha * other; returns self.");
  cls.def("sub_", inplace<Scalar, Scalar>([](const Tensor& a, Scalar b, Scalar alpha) { sub_(a, wrap_scalar(b), alpha); }),
          py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
  def_inplace_binary(cls, "mul_", [](const Tensor& a, const Tensor& b) { mul_(a, b); },
                     "mul_(other) -> Tensor\n\nIn place: self *= other; returns self.");
  for (const char* name : {"div_", "divide_"}) {
    cls.def(name,
            inplace<const Tensor&, const std::optional<std::string>&>(
                [](const Tensor& a, const Tensor& b, const std::optional<std::string>& mode) { divide_(a, b, mode); }),
            py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none(),
            (std::string(name) +
             "(other, *, rounding_mode=None) -> Tensor\n\nIn place: self /= other (true division), or rounded\n"
             "toward zero ('trunc') or down ('floor'); the result keeps self's dtype. Returns self.")
                .c_str());
    cls.def(name,
            inplace<Scalar, const std::optional<std::string>&>(
                [](const Tensor& a, Scalar b, const std::optional<std::string>& mode) {
                  divide_(a, wrap_scalar(b), mode);
                }),
            py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none());
  }
  cls.def("pow_", inplace<Scalar>([](const Tensor& a, Scalar e) { pow_(a, e); }), py::arg("exponent"),
          "pow_(exponent) -> Tensor\n\nIn place: self **= exponent (a number or a tensor that broadcasts to\n"
          "self's shape); returns self. The result keeps self's dtype.");
  cls.def("pow_", inplace<const Tensor&>([](const Tensor& a, const Tensor& e) { pow_(a, e); }), py::arg("exponent"));
  for (const auto& [name, f] : {std::pair<const char*, Binary>{"hypot_", &hypot}, {"atan2_", &atan2},
                                {"arctan2_", &atan2}, {"fmod_", &fmod}, {"xlogy_", &xlogy},
                                {"copysign_", &copysign}, {"heaviside_", &heaviside}, {"gcd_", &gcd},
                                {"lcm_", &lcm}, {"float_power_", &float_power}, {"ldexp_", &ldexp}}) {
    const Binary fn = f;
    const std::string op = name, base(name, std::string_view(name).size() - 1);
    const std::string doc = op + "(other) -> Tensor\n\nIn-place " + base + " with other; returns this tensor. See wick." +
                            base + ".";
    def_inplace_binary(cls, name, [fn, op](const Tensor& a, const Tensor& b) {
      // other may be self (x.fmod_(x)) or a view of it: the node of fn must keep its value, not the overwritten one.
      const bool aliases = b.defined() && a.defined() && b.impl()->storage().get() == a.impl()->storage().get();
      const Tensor other = aliases && GradMode::is_enabled() && b.requires_grad() ? b.clone() : b;
      inplace_apply(a, op.c_str(), [&](const Tensor& x) { return fn(x, other); }, other);
    }, doc.c_str());
  }
  def_inplace_binary(cls, "floor_divide_", [](const Tensor& a, const Tensor& b) { floor_divide_(a, b); },
                     "floor_divide_(other) -> Tensor\n\nIn place: self //= other; returns self.");
  def_inplace_binary(cls, "remainder_", [](const Tensor& a, const Tensor& b) { remainder_(a, b); },
                     "remainder_(other) -> Tensor\n\nIn place: self %= other (the sign of other); returns self.");
  def_inplace_binary(cls, "bitwise_and_", [](const Tensor& a, const Tensor& b) { bitwise_and_(a, b); },
                     "bitwise_and_(other) -> Tensor\n\nIn place: self &= other; returns self.");
  def_inplace_binary(cls, "bitwise_or_", [](const Tensor& a, const Tensor& b) { bitwise_or_(a, b); },
                     "bitwise_or_(other) -> Tensor\n\nIn place: self |= other; returns self.");
  def_inplace_binary(cls, "bitwise_xor_", [](const Tensor& a, const Tensor& b) { bitwise_xor_(a, b); },
                     "bitwise_xor_(other) -> Tensor\n\nIn place: self ^= other; returns self.");
}

}  // namespace

void init_elementwise(py::module_& m, TensorClass& cls) {
  def_elementwise_unary(m, cls);
  def_elementwise_binary(m, cls);
  def_elementwise_in_place(m, cls);
}

}  // namespace wick::python
