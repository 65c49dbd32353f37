// Reductions (ops/reduce.h) as functions and Tensor methods. `dim` is None
// (all dims), an int or a sequence of ints; max/min along a dim return
// wick.return_types.max(values, indices) as PyTorch does.
#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

// Note [Reductions with dtype]
// sum/mean/prod(..., dtype=d) convert the input to d first and return d, as
// PyTorch: sum(int32 tensor, dtype=int32) is int32 (without dtype, int64) and
// sum(x, dtype=bool) is any(x) as a bool. The reduction of integers runs in
// int64 and is cast back, which wraps exactly as accumulating in d would.
// The conversion is recorded, so a float32 input's gradient stays float32.
template <typename F>
Tensor reduce_in_dtype(const Tensor& x, std::optional<ScalarType> dtype, F reduce) {
  if (!dtype) return reduce(x);
  const Tensor out = reduce(x.dtype() == *dtype ? x : x.to(*dtype));
  return out.dtype() == *dtype ? out : out.to(*dtype);
}

// sum/mean(input, dim=None, keepdim=False, *, dtype=None).
template <typename All, typename Dims>
void def_sum_like(py::module_& m, TensorClass& cls, const char* name, All all, Dims over, const char* doc) {
  auto f = [name, all, over](const Tensor& x, py::handle dim, bool keepdim, std::optional<ScalarType> dtype) {
    const auto dims = dims_from(dim, name);
    return without_gil([&] {
      return reduce_in_dtype(x, dtype, [&](const Tensor& in) {
        if (!dims && !keepdim) return all(in);
        return over(in, dims ? IntArrayRef(*dims) : IntArrayRef(), keepdim);
      });
    });
  };
  m.def(name, f, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
        py::arg("dtype") = py::none(), doc);
  cls.def(name, f, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
          py::arg("dtype") = py::none(), doc);
}

// max/min: (input) -> tensor, (input, other) -> elementwise, (input, dim, keepdim) -> (values, indices).
template <typename All, typename Along, typename Pairwise>
void def_max_like(py::module_& m, TensorClass& cls, const char* name, All all, Along along, Pairwise pairwise,
                  const char* doc) {
  def_function_and_method(m, cls, name, [all](const Tensor& x) { return all(x); }, doc);
  def_function_and_method(m, cls, name, [pairwise](const Tensor& x, const Tensor& other) { return pairwise(x, other); },
                          py::arg("other"));
  auto f = [name, along](const Tensor& x, int64_t dim, bool keepdim) {
    ValuesIndices r = without_gil([&] { return along(x, dim, keepdim); });
    return make_return_type(name, py::cast(r.values), py::cast(r.indices));
  };
  m.def(name, f, py::arg("input"), py::arg("dim"), py::arg("keepdim") = false);
  cls.def(name, f, py::arg("dim"), py::arg("keepdim") = false);
}

// var/std(input, dim=None, unbiased=True, keepdim=False, *, correction=None);
// a bool first argument is `unbiased`, as in x.var(False).
template <typename F>
void def_var_like(py::module_& m, TensorClass& cls, const char* name, F f, const char* doc) {
  auto g = [name, f](const Tensor& x, py::handle dim, py::handle unbiased, bool keepdim, std::optional<double> correction) {
    if (PyBool_Check(dim.ptr())) {
      unbiased = dim;
      dim = py::none();
    }
    const auto dims = dims_from(dim, name);
    WICK_CHECK(unbiased.is_none() || !correction, ValueError, name,
               "(): cannot specify both unbiased and correction; use correction only");
    const double c = correction ? *correction : (unbiased.is_none() || unbiased.cast<bool>()) ? 1.0 : 0.0;
    return without_gil([&] { return f(x, dims, c, keepdim); });
  };
  m.def(name, g, py::arg("input"), py::arg("dim") = py::none(), py::arg("unbiased") = py::none(),
        py::arg("keepdim") = false, py::kw_only(), py::arg("correction") = py::none(), doc);
  cls.def(name, g, py::arg("dim") = py::none(), py::arg("unbiased") = py::none(), py::arg("keepdim") = false,
          py::kw_only(), py::arg("correction") = py::none(), doc);
}

// any/all/prod/argmax/argmin(input, dim=None, keepdim=False) with one int dim.
template <typename All, typename Along>
void def_single_dim(py::module_& m, TensorClass& cls, const char* name, All all, Along along, const char* doc) {
  def_function_and_method(
      m, cls, name,
      [all, along](const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
        return dim ? along(x, *dim, keepdim) : all(x);
      },
      py::arg("dim") = py::none(), py::arg("keepdim") = false, doc);
}

}  // namespace

void init_reduce(py::module_& m, TensorClass& cls) {
  def_sum_like(
      m, cls, "sum", [](const Tensor& x) { return sum(x); },
      [](const Tensor& x, IntArrayRef d, bool k) { return sum(x, d, k); },
      "sum(input, dim=None, keepdim=False, *, dtype=None) -> Tensor\n\n"
      "The sum of the elements: of all of them (a 0-dim tensor), or along dim (an int or a tuple of\n"
      "ints), which is removed from the shape unless keepdim. With dtype, input is converted first.\n"
      "Bool and integer inputs sum as int64.\n\n"
      "Args:\n"
      "    input (Tensor): the tensor to reduce.\n"
      "    dim (int or tuple of ints, optional): the dims to reduce (default: all).\n"
      "    keepdim (bool): keep the reduced dims with size 1.\n"
      "    dtype (wick.dtype, optional): the dtype to compute and return in.\n\n"
      "Example::\n\n"
      "    >>> x = wick.tensor([[1.0, 2.0], [3.0, 4.0]])\n"
      "    >>> x.sum()\n"
      "    tensor(10.)\n"
      "    >>> x.sum(dim=1, keepdim=True)      # shape [2, 1]\n"
      "    tensor([[3.],\n"
      "            [7.]])");
  def_sum_like(
      m, cls, "mean", [](const Tensor& x) { return mean(x); },
      [](const Tensor& x, IntArrayRef d, bool k) { return mean(x, d, k); },
      "mean(input, dim=None, keepdim=False, *, dtype=None) -> Tensor\n\n"
      "The average of the elements: of all of them, or along dim (an int or a tuple of ints), which\n"
      "is removed from the shape unless keepdim. input must be floating point (or give a dtype).\n\n"
      "Example::\n\n"
      "    >>> wick.tensor([[1.0, 2.0], [3.0, 4.0]]).mean(0)\n"
      "    tensor([2., 3.])");

  def_max_like(
      m, cls, "max", [](const Tensor& x) { return max(x); },
      [](const Tensor& x, int64_t d, bool k) { return max(x, d, k); }, &maximum,
      "max(input) -> Tensor, max(input, dim, keepdim=False) -> (values, indices), max(input, other) -> Tensor\n\n"
      "The largest element; or along dim, a named tuple of the largest values and their positions\n"
      "(wick.return_types.max); or with a tensor other, the elementwise maximum (as wick.maximum).\n\n"
      "Example::\n\n"
      "    >>> x = wick.tensor([[1.0, 2.0], [3.0, 4.0]])\n"
      "    >>> x.max()\n"
      "    tensor(4.)\n"
      "    >>> x.max(1).indices\n"
      "    tensor([1, 1])");
  def_max_like(
      m, cls, "min", [](const Tensor& x) { return min(x); },
      [](const Tensor& x, int64_t d, bool k) { return min(x, d, k); }, &minimum,
      "min(input) -> Tensor, min(input, dim, keepdim=False) -> (values, indices), min(input, other) -> Tensor\n\n"
      "The smallest element; or along dim, a named tuple of the smallest values and their positions\n"
      "(wick.return_types.min); or with a tensor other, the elementwise minimum (as wick.minimum).\n\n"
      "Example::\n\n"
      "    >>> wick.tensor([[1.0, 2.0], [3.0, 4.0]]).min(0)\n"
      "    wick.return_types.min(values=tensor([1., 2.]), indices=tensor([0, 0]))");

  // amax/amin(input, dim=(), keepdim=False): dim=() reduces over all dims.
  for (const auto& [name, is_max] : {std::pair{"amax", true}, std::pair{"amin", false}}) {
    const bool mx = is_max;
    const char* op = name;
    auto f = [mx, op](const Tensor& x, py::handle dim, bool keepdim) {
      const std::vector<int64_t> dims = int_list(dim, op, "dim");
      return without_gil([&] { return mx ? amax(x, dims, keepdim) : amin(x, dims, keepdim); });
    };
    const std::string doc = std::string(name) + "(input, dim=(), keepdim=False) -> Tensor\n\n" +
                            (mx ? "The largest" : "The smallest") +
                            " values along dim (an int or a tuple of ints; () means all dims), without\n"
                            "their positions. The gradient is shared evenly among tied extremes.\n\n"
                            "Example::\n\n"
                            "    >>> wick." + name + "(wick.tensor([[1.0, 2.0], [3.0, 4.0]]), 0)\n" +
                            (mx ? "    tensor([3., 4.])" : "    tensor([1., 2.])");
    m.def(name, f, py::arg("input"), py::arg("dim") = py::tuple(), py::arg("keepdim") = false, doc.c_str());
    cls.def(name, f, py::arg("dim") = py::tuple(), py::arg("keepdim") = false, doc.c_str());
  }

  def_function_and_method(
      m, cls, "argmax", [](const Tensor& x, std::optional<int64_t> dim, bool keepdim) { return argmax(x, dim, keepdim); },
      py::arg("dim") = py::none(), py::arg("keepdim") = false,
      "argmax(input, dim=None, keepdim=False) -> Tensor\n\n"
      "The position (int64) of the largest element: in the flattened tensor, or along dim. Ties give\n"
      "the first position.\n\n"
      "Example::\n\n"
      "    >>> logits = wick.tensor([[0.1, 2.0, -1.0], [3.0, 0.2, 0.5]])\n"
      "    >>> logits.argmax(dim=1)     # the predicted class of each row\n"
      "    tensor([1, 0])");
  def_function_and_method(
      m, cls, "argmin", [](const Tensor& x, std::optional<int64_t> dim, bool keepdim) { return argmin(x, dim, keepdim); },
      py::arg("dim") = py::none(), py::arg("keepdim") = false,
      "argmin(input, dim=None, keepdim=False) -> Tensor\n\n"
      "The position (int64) of the smallest element: in the flattened tensor, or along dim. Ties give\n"
      "the first position.");
  def_function_and_method(
      m, cls, "prod",
      [](const Tensor& x, std::optional<int64_t> dim, bool keepdim, std::optional<ScalarType> dtype) {
        return reduce_in_dtype(x, dtype, [&](const Tensor& in) { return dim ? prod(in, *dim, keepdim) : prod(in); });
      },
      py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none(),
      "prod(input, dim=None, keepdim=False, *, dtype=None) -> Tensor\n\n"
      "The product of the elements: of all of them, or along one dim. Integers multiply in int64;\n"
      "with dtype, input is converted first and the result has that dtype.\n\n"
      "Example::\n\n"
      "    >>> wick.tensor([[1.0, 2.0], [3.0, 4.0]]).prod(1)\n"
      "    tensor([ 2., 12.])\n"
      "    >>> wick.tensor([1.5, 2.0]).prod(dtype=wick.float64)\n"
      "    tensor(3., dtype=wick.float64)");
  def_single_dim(
      m, cls, "any", [](const Tensor& x) { return any(x); },
      [](const Tensor& x, int64_t d, bool k) { return any(x, d, k); },
      "any(input, dim=None, keepdim=False) -> Tensor\n\n"
      "True (a bool tensor) if any element is nonzero: of all of them, or along one dim.\n\n"
      "Example::\n\n"
      "    >>> wick.tensor([False, True]).any()\n"
      "    tensor(True)");
  def_single_dim(
      m, cls, "all", [](const Tensor& x) { return all(x); },
      [](const Tensor& x, int64_t d, bool k) { return all(x, d, k); },
      "all(input, dim=None, keepdim=False) -> Tensor\n\n"
      "True (a bool tensor) if every element is nonzero: of all of them, or along one dim.\n\n"
      "Example::\n\n"
      "    >>> wick.tensor([[True, False], [True, True]]).all(1)\n"
      "    tensor([False,  True])");

  def_var_like(
      m, cls, "var",
      [](const Tensor& x, const std::optional<std::vector<int64_t>>& d, double c, bool k) { return var(x, d, c, k); },
      "var(input, dim=None, unbiased=True, keepdim=False, *, correction=None) -> Tensor\n\n"
      "The variance: sum((x - mean)**2) / (N - correction) over all elements or along dim.\n"
      "correction defaults to 1 (unbiased, Bessel's correction); unbiased=False means 0.\n\n"
      "Example::\n\n"
      "    >>> wick.tensor([[1.0, 2.0], [3.0, 4.0]]).var()\n"
      "    tensor(1.6667)");
  def_var_like(
      m, cls, "std",
      [](const Tensor& x, const std::optional<std::vector<int64_t>>& d, double c, bool k) {
        return wick::std(x, d, c, k);
      },
      "std(input, dim=None, unbiased=True, keepdim=False, *, correction=None) -> Tensor\n\n"
      "The standard deviation: the square root of var with the same arguments.\n\n"
      "Example::\n\n"
      "    >>> wick.tensor([[1.0, 2.0], [3.0, 4.0]]).std(1)\n"
      "    tensor([0.7071, 0.7071])");

  auto logsumexp_ = [](const Tensor& x, py::handle dim, bool keepdim) {
    const std::vector<int64_t> dims = int_list(dim, "logsumexp", "dim");
    return without_gil([&] { return logsumexp(x, dims, keepdim); });
  };
  const char* logsumexp_doc =
      "logsumexp(input, dim, keepdim=False) -> Tensor\n\n"
      "log(sum(exp(input))) along dim (an int or a tuple of ints), computed without overflow.\n\n"
      "Example::\n\n"
      "    >>> wick.tensor([[1.0, 2.0], [3.0, 4.0]]).logsumexp(1)\n"
      "    tensor([2.3133, 4.3133])";
  m.def("logsumexp", logsumexp_, py::arg("input"), py::arg("dim"), py::arg("keepdim") = false, logsumexp_doc);
  cls.def("logsumexp", logsumexp_, py::arg("dim"), py::arg("keepdim") = false, logsumexp_doc);

  // norm(input, p='fro', dim=None, keepdim=False): p a number, inf, or 'fro' (= 2).
  auto norm_ = [](const Tensor& x, py::handle p, py::handle dim, bool keepdim) {
    double order = 2;
    if (py::isinstance<py::str>(p)) {
      const auto s = p.cast<std::string>();
      WICK_CHECK(s == "fro", NotImplementedError, "norm(): p='", s, "' is not supported (use a number or 'fro')");
    } else if (!p.is_none()) {
      Scalar number;
      if (!scalar_from_object(p, number) || number.is_bool())
        throw py::type_error(std::string("norm(): p must be a number, inf or 'fro', not '") + Py_TYPE(p.ptr())->tp_name +
                             "'");
      order = number.to_double();
    }
    const auto dims = dims_from(dim, "norm");
    return without_gil([&] { return norm(x, order, dims, keepdim); });
  };
  const char* norm_doc =
      "norm(input, p='fro', dim=None, keepdim=False) -> Tensor\n\n"
      "The p-norm (sum(|x|**p))**(1/p) of all elements or along dim; p may be a number, inf, or\n"
      "'fro' (the Frobenius norm, p = 2).\n\n"
      "Example::\n\n"
      "    >>> x = wick.tensor([[1.0, 2.0], [3.0, 4.0]])\n"
      "    >>> x.norm()\n"
      "    tensor(5.4772)\n"
      "    >>> x.norm(1, dim=1)\n"
      "    tensor([3., 7.])";
  m.def("norm", norm_, py::arg("input"), py::arg("p") = "fro", py::arg("dim") = py::none(),
        py::arg("keepdim") = false, norm_doc);
  cls.def("norm", norm_, py::arg("p") = "fro", py::arg("dim") = py::none(), py::arg("keepdim") = false, norm_doc);
}

}  // namespace wick::python
