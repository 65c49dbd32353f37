// Reductions (ops/reduce.h) as functions and Tensor methods. `dim` is None
// (all dims), an int or a sequence of ints; max/min along a dim return
// wick.return_types.max(values, indices) as PyTorch does.
#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

// sum/mean(input, dim=None, keepdim=False, *, dtype=None).
template <typename All, typename Dims>
void def_sum_like(py::module_& m, TensorClass& cls, const char* name, All all, Dims over) {
  auto f = [name, all, over](const Tensor& x, py::handle dim, bool keepdim, std::optional<ScalarType> dtype) {
    const auto dims = dims_from(dim, name);
    return without_gil([&] {
      const Tensor in = dtype ? x.to(*dtype) : x;
      if (!dims && !keepdim) return all(in);
      return over(in, dims ? IntArrayRef(*dims) : IntArrayRef(), keepdim);
    });
  };
  m.def(name, f, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
        py::arg("dtype") = py::none());
  cls.def(name, f, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
          py::arg("dtype") = py::none());
}

// max/min: (input) -> tensor, (input, other) -> elementwise, (input, dim, keepdim) -> (values, indices).
template <typename All, typename Along, typename Pairwise>
void def_max_like(py::module_& m, TensorClass& cls, const char* name, All all, Along along, Pairwise pairwise) {
  def_function_and_method(m, cls, name, [all](const Tensor& x) { return all(x); });
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
void def_var_like(py::module_& m, TensorClass& cls, const char* name, F f) {
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
        py::arg("keepdim") = false, py::kw_only(), py::arg("correction") = py::none());
  cls.def(name, g, py::arg("dim") = py::none(), py::arg("unbiased") = py::none(), py::arg("keepdim") = false,
          py::kw_only(), py::arg("correction") = py::none());
}

// any/all/prod/argmax/argmin(input, dim=None, keepdim=False) with one int dim.
template <typename All, typename Along>
void def_single_dim(py::module_& m, TensorClass& cls, const char* name, All all, Along along) {
  def_function_and_method(
      m, cls, name,
      [all, along](const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
        return dim ? along(x, *dim, keepdim) : all(x);
      },
      py::arg("dim") = py::none(), py::arg("keepdim") = false);
}

}  // namespace

void init_reduce(py::module_& m, TensorClass& cls) {
  def_sum_like(
      m, cls, "sum", [](const Tensor& x) { return sum(x); },
      [](const Tensor& x, IntArrayRef d, bool k) { return sum(x, d, k); });
  def_sum_like(
      m, cls, "mean", [](const Tensor& x) { return mean(x); },
      [](const Tensor& x, IntArrayRef d, bool k) { return mean(x, d, k); });

  def_max_like(
      m, cls, "max", [](const Tensor& x) { return max(x); },
      [](const Tensor& x, int64_t d, bool k) { return max(x, d, k); }, &maximum);
  def_max_like(
      m, cls, "min", [](const Tensor& x) { return min(x); },
      [](const Tensor& x, int64_t d, bool k) { return min(x, d, k); }, &minimum);

  // amax/amin(input, dim=(), keepdim=False): dim=() reduces over all dims.
  for (const auto& [name, is_max] : {std::pair{"amax", true}, std::pair{"amin", false}}) {
    const bool mx = is_max;
    const char* op = name;
    auto f = [mx, op](const Tensor& x, py::handle dim, bool keepdim) {
      const std::vector<int64_t> dims = int_list(dim, op, "dim");
      return without_gil([&] { return mx ? amax(x, dims, keepdim) : amin(x, dims, keepdim); });
    };
    m.def(name, f, py::arg("input"), py::arg("dim") = py::tuple(), py::arg("keepdim") = false);
    cls.def(name, f, py::arg("dim") = py::tuple(), py::arg("keepdim") = false);
  }

  def_function_and_method(
      m, cls, "argmax", [](const Tensor& x, std::optional<int64_t> dim, bool keepdim) { return argmax(x, dim, keepdim); },
      py::arg("dim") = py::none(), py::arg("keepdim") = false);
  def_function_and_method(
      m, cls, "argmin", [](const Tensor& x, std::optional<int64_t> dim, bool keepdim) { return argmin(x, dim, keepdim); },
      py::arg("dim") = py::none(), py::arg("keepdim") = false);
  def_single_dim(
      m, cls, "prod", [](const Tensor& x) { return prod(x); },
      [](const Tensor& x, int64_t d, bool k) { return prod(x, d, k); });
  def_single_dim(
      m, cls, "any", [](const Tensor& x) { return any(x); },
      [](const Tensor& x, int64_t d, bool k) { return any(x, d, k); });
  def_single_dim(
      m, cls, "all", [](const Tensor& x) { return all(x); },
      [](const Tensor& x, int64_t d, bool k) { return all(x, d, k); });

  def_var_like(m, cls, "var", [](const Tensor& x, const std::optional<std::vector<int64_t>>& d, double c, bool k) {
    return var(x, d, c, k);
  });
  def_var_like(m, cls, "std", [](const Tensor& x, const std::optional<std::vector<int64_t>>& d, double c, bool k) {
    return wick::std(x, d, c, k);
  });

  auto logsumexp_ = [](const Tensor& x, py::handle dim, bool keepdim) {
    const std::vector<int64_t> dims = int_list(dim, "logsumexp", "dim");
    return without_gil([&] { return logsumexp(x, dims, keepdim); });
  };
  m.def("logsumexp", logsumexp_, py::arg("input"), py::arg("dim"), py::arg("keepdim") = false);
  cls.def("logsumexp", logsumexp_, py::arg("dim"), py::arg("keepdim") = false);

  // norm(input, p='fro', dim=None, keepdim=False): p a number, inf, or 'fro' (= 2).
  auto norm_ = [](const Tensor& x, py::handle p, py::handle dim, bool keepdim) {
    double order = 2;
    if (py::isinstance<py::str>(p)) {
      const auto s = p.cast<std::string>();
      WICK_CHECK(s == "fro", NotImplementedError, "norm(): p='", s, "' is not supported (use a number or 'fro')");
    } else if (!p.is_none()) {
      order = p.cast<double>();
    }
    const auto dims = dims_from(dim, "norm");
    return without_gil([&] { return norm(x, order, dims, keepdim); });
  };
  m.def("norm", norm_, py::arg("input"), py::arg("p") = "fro", py::arg("dim") = py::none(),
        py::arg("keepdim") = false);
  cls.def("norm", norm_, py::arg("p") = "fro", py::arg("dim") = py::none(), py::arg("keepdim") = false);
}

}  // namespace wick::python
