// Matrix products (ops/linalg.h) as functions and Tensor methods.
#include "python/csrc/bindings.h"

namespace wick::python {

void init_linalg(py::module_& m, TensorClass& cls) {
  using Binary = Tensor (*)(const Tensor&, const Tensor&);
  const std::pair<const char*, Binary> products[] = {{"matmul", &matmul}, {"mm", &mm},   {"bmm", &bmm},
                                                     {"dot", &dot},       {"mv", &mv},   {"outer", &outer},
                                                     {"ger", &outer}};
  for (const auto& [name, f] : products) {
    const Binary fn = f;
    // The second operand is named as in PyTorch: other, mat2 or vec.
    const char* arg = fn == &mm || fn == &bmm ? "mat2" : fn == &mv ? "vec" : fn == &outer ? "vec2" : "other";
    def_function_and_method(m, cls, name, [fn](const Tensor& a, const Tensor& b) { return fn(a, b); }, py::arg(arg));
  }
  // addmm(input, mat1, mat2, *, beta=1, alpha=1) = beta * input + alpha * (mat1 @ mat2).
  def_function_and_method(
      m, cls, "addmm",
      [](const Tensor& bias, const Tensor& a, const Tensor& b, Scalar beta, Scalar alpha) {
        return addmm(bias, a, b, beta, alpha);
      },
      py::arg("mat1"), py::arg("mat2"), py::kw_only(), py::arg("beta") = 1, py::arg("alpha") = 1);
}

}  // namespace wick::python
