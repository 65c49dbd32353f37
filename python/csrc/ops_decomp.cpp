// wick._C._linalg: the C++ half of wick.linalg (ops/decomp.h). Each function
// returns plain tensors or tuples; python/wick/linalg.py gives them PyTorch's
// signatures, named tuples, `out=` and docstrings.
#include "ops/decomp.h"

#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

using namespace wick::linalg;

// A matrix-norm order: a number or one of the strings 'fro', 'nuc'.
MatrixOrd matrix_ord(py::handle obj, const char* op) {
  if (py::isinstance<py::str>(obj)) return obj.cast<std::string>();
  Scalar s;
  if (scalar_from_object(obj, s) && !s.is_bool()) return s.to<double>();
  throw py::type_error(std::string(op) + ": ord must be a number or 'fro' or 'nuc', not " +
                       std::string(py::str(py::type::of(obj).attr("__name__"))));
}

std::optional<MatrixOrd> optional_ord(py::handle obj, const char* op) {
  if (obj.is_none()) return std::nullopt;
  return matrix_ord(obj, op);
}

double vector_ord(py::handle obj, const char* op) {
  Scalar s;
  if (!py::isinstance<py::str>(obj) && scalar_from_object(obj, s) && !s.is_bool()) return s.to<double>();
  throw py::type_error(std::string(op) + ": ord must be a number, not " +
                       std::string(py::str(py::type::of(obj).attr("__name__"))));
}

template <typename... Ts>
py::tuple tuple_of(const Ts&... ts) {
  return py::make_tuple(py::cast(ts)...);
}

}  // namespace

void init_decomp(py::module_& m) {
  py::module_ l = m.def_submodule("_linalg", "The C++ half of wick.linalg (see python/wick/linalg.py).");
  const auto release = py::call_guard<py::gil_scoped_release>();

  l.def("lu_factor_ex", [](const Tensor& A, bool pivot, bool check_errors) {
    py::gil_scoped_release r;
    const LuFactorEx f = lu_factor_ex(A, pivot, check_errors);
    py::gil_scoped_acquire a;
    return tuple_of(f.LU, f.pivots, f.info);
  });
  l.def("lu_unpack", [](const Tensor& LU, const Tensor& pivots, bool data, bool piv) {
    Lu u;
    {
      py::gil_scoped_release r;
      u = lu_unpack(LU, pivots, data, piv);
    }
    return tuple_of(u.P, u.L, u.U);
  });
  l.def("lu", [](const Tensor& A, bool pivot) {
    Lu u;
    {
      py::gil_scoped_release r;
      u = lu(A, pivot);
    }
    return tuple_of(u.P, u.L, u.U);
  });
  l.def("lu_solve", &lu_solve, release);
  l.def("solve_ex", [](const Tensor& A, const Tensor& B, bool left, bool check_errors) {
    WithInfo w;
    {
      py::gil_scoped_release r;
      w = solve_ex(A, B, left, check_errors);
    }
    return tuple_of(w.result, w.info);
  });
  l.def("solve", &solve, release);
  l.def("inv_ex", [](const Tensor& A, bool check_errors) {
    WithInfo w;
    {
      py::gil_scoped_release r;
      w = inv_ex(A, check_errors);
    }
    return tuple_of(w.result, w.info);
  });
  l.def("inv", &inv, release);
  l.def("det", &det, release);
  l.def("slogdet", [](const Tensor& A) {
    SignLogAbsDet s;
    {
      py::gil_scoped_release r;
      s = slogdet(A);
    }
    return tuple_of(s.sign, s.logabsdet);
  });
  l.def("logdet", &logdet, release);
  l.def("solve_triangular", &solve_triangular, release);
  l.def("cholesky_ex", [](const Tensor& A, bool upper, bool check_errors) {
    WithInfo w;
    {
      py::gil_scoped_release r;
      w = cholesky_ex(A, upper, check_errors);
    }
    return tuple_of(w.result, w.info);
  });
  l.def("cholesky", &cholesky, release);
  l.def("cholesky_solve", &cholesky_solve, release);
  l.def("cholesky_inverse", &cholesky_inverse, release);
  l.def("ldl_factor_ex", [](const Tensor& A, bool hermitian, bool check_errors) {
    LdlFactorEx f;
    {
      py::gil_scoped_release r;
      f = ldl_factor_ex(A, hermitian, check_errors);
    }
    return tuple_of(f.LD, f.pivots, f.info);
  });
  l.def("ldl_solve", &ldl_solve, release);
  l.def("qr", [](const Tensor& A, const std::string& mode) {
    Qr q;
    {
      py::gil_scoped_release r;
      q = qr(A, mode);
    }
    return tuple_of(q.Q, q.R);
  });
  l.def("geqrf", [](const Tensor& A) {
    std::pair<Tensor, Tensor> g;
    {
      py::gil_scoped_release r;
      g = geqrf(A);
    }
    return tuple_of(g.first, g.second);
  });
  l.def("householder_product", &householder_product, release);
  l.def("eigh", [](const Tensor& A, const std::string& uplo) {
    Eigh e;
    {
      py::gil_scoped_release r;
      e = eigh(A, uplo);
    }
    return tuple_of(e.eigenvalues, e.eigenvectors);
  });
  l.def("eigvalsh", [](const Tensor& A, const std::string& uplo) {
    py::gil_scoped_release r;
    return eigvalsh(A, uplo);
  });
  l.def("svd", [](const Tensor& A, bool full_matrices) {
    Svd s;
    {
      py::gil_scoped_release r;
      s = svd(A, full_matrices);
    }
    return tuple_of(s.U, s.S, s.Vh);
  });
  l.def("svdvals", &svdvals, release);
  l.def("pinv", &pinv, release);
  l.def("matrix_rank", &matrix_rank, release);
  l.def("matrix_sqrth", &matrix_sqrth, release);
  l.def("polar", [](const Tensor& A) {
    std::pair<Tensor, Tensor> p;
    {
      py::gil_scoped_release r;
      p = polar(A);
    }
    return tuple_of(p.first, p.second);
  });
  l.def("lstsq", [](const Tensor& A, const Tensor& B, std::optional<double> rcond, std::optional<std::string> driver) {
    Lstsq s;
    {
      py::gil_scoped_release r;
      s = lstsq(A, B, rcond, driver ? std::optional<std::string_view>(*driver) : std::nullopt);
    }
    return tuple_of(s.solution, s.residuals, s.rank, s.singular_values);
  });
  l.def("vector_norm", [](const Tensor& x, py::handle ord, py::handle dim, bool keepdim,
                          std::optional<ScalarType> dtype) {
    const double p = vector_ord(ord, "linalg.vector_norm");
    const auto dims = dims_from(dim, "linalg.vector_norm");
    py::gil_scoped_release r;
    return vector_norm(x, p, dims, keepdim, dtype);
  });
  l.def("matrix_norm", [](const Tensor& A, py::handle ord, py::handle dim, bool keepdim,
                          std::optional<ScalarType> dtype) {
    const MatrixOrd p = matrix_ord(ord, "linalg.matrix_norm");
    const auto dims = dims_from(dim, "linalg.matrix_norm");
    py::gil_scoped_release r;
    return matrix_norm(A, p, dims ? *dims : std::vector<int64_t>{-2, -1}, keepdim, dtype);
  });
  l.def("norm", [](const Tensor& x, py::handle ord, py::handle dim, bool keepdim, std::optional<ScalarType> dtype) {
    const auto p = optional_ord(ord, "linalg.norm");
    const auto dims = dims_from(dim, "linalg.norm");
    py::gil_scoped_release r;
    return norm(x, p, dims, keepdim, dtype);
  });
  l.def("cond", [](const Tensor& A, py::handle p) {
    const auto ord = optional_ord(p, "linalg.cond");
    py::gil_scoped_release r;
    return cond(A, ord);
  });
  l.def("matrix_exp", &matrix_exp, release);
  l.def("matrix_power", &matrix_power, release);
  l.def("multi_dot", &multi_dot, release);
  l.def("vander", &vander, release);
  l.def("vecdot", &vecdot, release);
  l.def("tensorinv", &tensorinv, release);
  l.def("tensorsolve", [](const Tensor& A, const Tensor& B, py::handle dims) {
    const auto d = dims_from(dims, "linalg.tensorsolve");
    py::gil_scoped_release r;
    return tensorsolve(A, B, d);
  });
}

}  // namespace wick::python
