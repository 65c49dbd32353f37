// Matrix products (ops/linalg.h) as functions and Tensor methods.
#include "python/csrc/bindings.h"

namespace wick::python {

void init_linalg(py::module_& m, TensorClass& cls) {
  using Binary = Tensor (*)(const Tensor&, const Tensor&);
  struct Product {
    const char* name;
    Binary fn;
    const char* arg;  // the second operand's name in PyTorch
    const char* doc;
  };
  const Product products[] = {
      {"matmul", &matmul, "other",
       "matmul(input, other) -> Tensor\n\n"
       "The matrix product, by the operands' dims: 1-D x 1-D is a dot product, 2-D x 2-D a matrix\n"
       "product, 1-D operands act as a row (left) or column (right) vector, and beyond 2-D the leading\n"
       "dims are batch dims that broadcast. Also written input @ other.\n\n"
       "Example::\n\n"
       "    >>> a = wick.tensor([[1.0, 2.0], [3.0, 4.0]])\n"
       "    >>> a @ a\n"
       "    tensor([[ 7., 10.],\n"
       "            [15., 22.]])\n"
       "    >>> wick.matmul(wick.randn(10, 3, 4), wick.randn(4, 5)).shape\n"
       "    wick.Size([10, 3, 5])"},
      {"mm", &mm, "mat2",
       "mm(input, mat2) -> Tensor\n\n"
       "The product of an (n x m) and an (m x p) matrix, an (n x p) matrix; no broadcasting."},
      {"bmm", &bmm, "mat2",
       "bmm(input, mat2) -> Tensor\n\n"
       "Batched matrix product: (b x n x m) and (b x m x p) give (b x n x p); no broadcasting."},
      {"dot", &dot, "other",
       "dot(input, other) -> Tensor\n\n"
       "The inner product of two 1-D tensors of one length, as a 0-dim tensor.\n\n"
       "Example::\n\n"
       "    >>> wick.dot(wick.tensor([1.0, 2.0]), wick.tensor([3.0, 4.0]))\n"
       "    tensor(11.)"},
      {"mv", &mv, "vec",
       "mv(input, vec) -> Tensor\n\n"
       "The product of an (n x m) matrix and a vector of length m: a vector of length n."},
      {"outer", &outer, "vec2",
       "outer(input, vec2) -> Tensor\n\n"
       "The outer product of two vectors: out[i][j] = input[i] * vec2[j].\n\n"
       "Example::\n\n"
       "    >>> wick.outer(wick.tensor([1.0, 2.0]), wick.tensor([1.0, 2.0, 3.0]))\n"
       "    tensor([[1., 2., 3.],\n"
       "            [2., 4., 6.]])"},
      {"ger", &outer, "vec2", "ger(input, vec2) -> Tensor\n\nThe outer product of two vectors (an alias of outer)."}};
  for (const Product& p : products) {
    const Binary fn = p.fn;
    def_function_and_method(m, cls, p.name, [fn](const Tensor& a, const Tensor& b) { return fn(a, b); },
                            py::arg(p.arg), p.doc);
  }
  // addmm(input, mat1, mat2, *, beta=1, alpha=1) = beta * input + alpha * (mat1 @ mat2).
  def_function_and_method(
      m, cls, "addmm",
      [](const Tensor& bias, const Tensor& a, const Tensor& b, Scalar beta, Scalar alpha) {
        return addmm(bias, a, b, beta, alpha);
      },
      py::arg("mat1"), py::arg("mat2"), py::kw_only(), py::arg("beta") = 1, py::arg("alpha") = 1,
      "addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor\n\n"
      "beta * input + alpha * (mat1 @ mat2), with input broadcast to the product's shape: the\n"
      "affine map of a linear layer in one call.\n\n"
      "Example::\n\n"
      "    >>> x, weight = wick.tensor([[1.0, 2.0]]), wick.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])\n"
      "    >>> wick.addmm(wick.tensor([0.5, 0.5, 0.5]), x, weight.t())   # x @ weight.T + bias\n"
      "    tensor([[1.5000, 2.5000, 3.5000]])");
}

}  // namespace wick::python
