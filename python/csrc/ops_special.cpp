// torch.special's Bessel, normal-distribution and polynomial functions (ops/elementwise.h: i0 ... igammac;
// core/special_math.h): i0, igamma and igammac as wick functions and Tensor methods (with in-place forms), the
// rest in wick._C._special, which python/wick/special.py exports under PyTorch's names.
#include "ops/elementwise.h"
#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

// A tensor argument that may also be a Python number (the polynomials' x or n, zeta's q), as a 0-dim tensor
// of wick's default dtype for a float, int64 for an int.
Tensor tensor_or_number(py::handle obj, const char* op, const char* arg) {
  if (is_tensor(obj)) return obj.cast<Tensor>();
  Scalar s;
  if (scalar_from_object(obj, s)) return wrap_scalar(s);
  throw py::type_error(std::string(op) + "(): argument '" + arg + "' must be Tensor or Number, not " +
                       std::string(py::str(py::type::of(obj).attr("__name__"))));
}

}  // namespace

void init_special(py::module_& m, TensorClass& cls) {
  using Unary = Tensor (*)(const Tensor&);
  const auto release = py::call_guard<py::gil_scoped_release>();
  def_function_and_method(m, cls, "i0", [](const Tensor& x) { return i0(x); },
                          "i0(input) -> Tensor\n\n"
                          "The modified Bessel function of the first kind of order 0, elementwise.\n\n"
                          "Example::\n\n"
                          "    >>> wick.i0(wick.tensor([0.0, 1.0, 2.0]))\n"
                          "    tensor([1.0000, 1.2661, 2.2796])");
  cls.def("i0_", inplace<>([](const Tensor& x) { inplace_apply(x, "i0_", &i0); }),
          "i0_() -> Tensor\n\nIn-place i0; returns this tensor.");
  using Binary = Tensor (*)(const Tensor&, const Tensor&);
  const std::pair<const char*, Binary> gammas[] = {{"igamma", &igamma}, {"igammac", &igammac}};
  for (const auto& [name, f] : gammas) {
    const Binary fn = f;
    const bool upper = std::string_view(name) == "igammac";
    const std::string doc = std::string(name) + "(input, other) -> Tensor\n\nThe regularized " +
                            (upper ? "upper" : "lower") + " incomplete gamma function " + (upper ? "Q" : "P") +
                            "(input, other), elementwise with broadcasting (wick.special.gammainc" +
                            (upper ? "c" : "") + ").";
    def_function_and_method(m, cls, name, [fn](const Tensor& a, const Tensor& x) { return fn(a, x); },
                            py::arg("other"), doc.c_str());
    const std::string op = std::string(name) + "_";
    cls.def(op.c_str(),
            inplace<const Tensor&>([fn, op](const Tensor& a, const Tensor& x) {
              inplace_apply(a, op.c_str(), [&](const Tensor& t) { return fn(t, x); }, x);
            }),
            py::arg("other"), ("In-place " + std::string(name) + "; returns this tensor.").c_str());
  }

  py::module_ s = m.def_submodule("_special", "The C++ half of wick.special (see python/wick/special.py).");
  const std::pair<const char*, Unary> unary[] = {
      {"i0e", &special_i0e},
      {"i1", &special_i1},
      {"i1e", &special_i1e},
      {"modified_bessel_k0", &special_modified_bessel_k0},
      {"modified_bessel_k1", &special_modified_bessel_k1},
      {"scaled_modified_bessel_k0", &special_scaled_modified_bessel_k0},
      {"scaled_modified_bessel_k1", &special_scaled_modified_bessel_k1},
      {"bessel_j0", &special_bessel_j0},
      {"bessel_j1", &special_bessel_j1},
      {"bessel_y0", &special_bessel_y0},
      {"bessel_y1", &special_bessel_y1},
      {"spherical_bessel_j0", &special_spherical_bessel_j0},
      {"erfcx", &special_erfcx},
      {"log_ndtr", &special_log_ndtr},
      {"ndtri", &special_ndtri}};
  for (const auto& [name, f] : unary) s.def(name, f, py::arg("input"), release);
  using special_math::Polynomial;
  const std::pair<const char*, Polynomial> polynomials[] = {
      {"chebyshev_polynomial_t", Polynomial::ChebyshevT},
      {"chebyshev_polynomial_u", Polynomial::ChebyshevU},
      {"chebyshev_polynomial_v", Polynomial::ChebyshevV},
      {"chebyshev_polynomial_w", Polynomial::ChebyshevW},
      {"shifted_chebyshev_polynomial_t", Polynomial::ShiftedChebyshevT},
      {"shifted_chebyshev_polynomial_u", Polynomial::ShiftedChebyshevU},
      {"shifted_chebyshev_polynomial_v", Polynomial::ShiftedChebyshevV},
      {"shifted_chebyshev_polynomial_w", Polynomial::ShiftedChebyshevW},
      {"hermite_polynomial_h", Polynomial::HermiteH},
      {"hermite_polynomial_he", Polynomial::HermiteHe},
      {"laguerre_polynomial_l", Polynomial::LaguerreL},
      {"legendre_polynomial_p", Polynomial::LegendreP}};
  for (const auto& [name, family] : polynomials) {
    const Polynomial f = family;
    const std::string op = name;
    s.def(name, [f, op](py::handle x, py::handle n) {
      const Tensor xt = tensor_or_number(x, op.c_str(), "input"), nt = tensor_or_number(n, op.c_str(), "n");
      py::gil_scoped_release r;
      return special_polynomial(f, xt, nt);
    }, py::arg("input"), py::arg("n"));
  }
  s.def("zeta", [](py::handle x, py::handle q) {
    const Tensor xt = tensor_or_number(x, "zeta", "input"), qt = tensor_or_number(q, "zeta", "other");
    py::gil_scoped_release r;
    return special_zeta(xt, qt);
  }, py::arg("input"), py::arg("other"));
}

}  // namespace wick::python
