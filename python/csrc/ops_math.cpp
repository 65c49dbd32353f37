// The ops composed of others in ops/ (reduce.h, linalg.h, indexing.h, sort.h):
// var_mean, std_mean, aminmax, nansum, nanmean; einsum, tensordot, inner,
// vdot, kron, cross, dist, cdist, baddbmm, addbmm, addmv, addr; nonzero,
// argwhere, count_nonzero, take, take_along_dim, index_fill, index_copy;
// unique, unique_consecutive, bincount, histc.
#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

// unique's result as PyTorch gives it: the values alone, or a tuple with inverse and/or counts.
py::object unique_result(const UniqueResult& r, bool inverse, bool counts) {
  if (!inverse && !counts) return py::cast(r.values);
  TensorList parts{r.values};
  if (inverse) parts.push_back(r.inverse);
  if (counts) parts.push_back(r.counts);
  return tensor_tuple(parts);
}

}  // namespace

void init_math(py::module_& m, TensorClass& cls) {
  // ---- reductions ----
  for (const auto& [name, is_std] : {std::pair{"var_mean", false}, std::pair{"std_mean", true}}) {
    const bool s = is_std;
    const char* op = name;
    m.def(
        name,
        [s, op](const Tensor& x, py::handle dim, py::handle unbiased, bool keepdim, std::optional<double> correction) {
          if (PyBool_Check(dim.ptr())) {
            unbiased = dim;
            dim = py::none();
          }
          const auto dims = dims_from(dim, op);
          WICK_CHECK(unbiased.is_none() || !correction, ValueError, op,
                     "(): cannot specify both unbiased and correction; use correction only");
          const double c = correction ? *correction : (unbiased.is_none() || unbiased.cast<bool>()) ? 1.0 : 0.0;
          const auto r = without_gil([&] { return s ? std_mean(x, dims, c, keepdim) : var_mean(x, dims, c, keepdim); });
          return py::make_tuple(r.first, r.second);
        },
        py::arg("input"), py::arg("dim") = py::none(), py::arg("unbiased") = py::none(), py::arg("keepdim") = false,
        py::kw_only(), py::arg("correction") = py::none(),
        (std::string(name) + "(input, dim=None, unbiased=True, keepdim=False, *, correction=None) -> (Tensor, Tensor)"
                             "\n\n(" + (s ? "std" : "var") + "(input, ...), mean(input, ...)) with the same arguments.")
            .c_str());
  }
  const auto aminmax_fn = [](const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
    const auto r = without_gil([&] { return aminmax(x, dim, keepdim); });
    return make_return_type("aminmax", py::cast(r.first), py::cast(r.second));
  };
  const char* aminmax_doc =
      "aminmax(input, *, dim=None, keepdim=False) -> (min, max)\n\n"
      "The smallest and largest elements, of all or along dim, as wick.return_types.aminmax.\n\n"
      "Example::\n\n"
      "    >>> wick.aminmax(wick.tensor([3, 1, 2]))\n"
      "    wick.return_types.aminmax(min=tensor(1), max=tensor(3))";
  m.def("aminmax", aminmax_fn, py::arg("input"), py::kw_only(), py::arg("dim") = py::none(),
        py::arg("keepdim") = false, aminmax_doc);
  cls.def("aminmax", aminmax_fn, py::kw_only(), py::arg("dim") = py::none(), py::arg("keepdim") = false, aminmax_doc);
  for (const auto& [name, is_mean] : {std::pair{"nansum", false}, std::pair{"nanmean", true}}) {
    const bool mean_op = is_mean;
    const char* op = name;
    const auto f = [mean_op, op](const Tensor& x, py::handle dim, bool keepdim, std::optional<ScalarType> dtype) {
      const auto dims = dims_from(dim, op);
      return without_gil([&] {
        const Tensor in = dtype && *dtype != x.dtype() ? x.to(*dtype) : x;
        const IntArrayRef ds = dims ? IntArrayRef(*dims) : IntArrayRef();
        return mean_op ? nanmean(in, ds, keepdim) : nansum(in, ds, keepdim);
      });
    };
    const std::string doc = std::string(name) + "(input, dim=None, keepdim=False, *, dtype=None) -> Tensor\n\n" +
                            (mean_op ? "The mean of the elements that are not NaN" : "The sum with NaNs counted as 0") +
                            ", of all elements or along dim.\n\nExample::\n\n    >>> wick." + name +
                            "(wick.tensor([1.0, float('nan'), 3.0]))\n    " + (mean_op ? "tensor(2.)" : "tensor(4.)");
    m.def(name, f, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
          py::arg("dtype") = py::none(), doc.c_str());
    cls.def(name, f, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
            py::arg("dtype") = py::none(), doc.c_str());
  }

  // ---- products ----
  m.def(
      "einsum",
      [](const std::string& equation, const py::args& args) {
        TensorList ops;
        if (args.size() == 1 && !is_tensor(args[0])) ops = args[0].cast<TensorList>();
        else
          for (const py::handle a : args) ops.push_back(a.cast<Tensor>());
        return without_gil([&] { return einsum(equation, ops); });
      },
      py::arg("equation"),
      "einsum(equation, *operands) -> Tensor\n\n"
      "Einstein summation: each operand's dims named by the letters of its term; letters shared by\n"
      "terms are multiplied, letters absent from the output (after '->') summed. '...' stands for\n"
      "broadcast dims. Without '->', the output is the letters used once, in alphabetical order.\n\n"
      "Example::\n\n"
      "    >>> a = wick.arange(6.0).view(2, 3)\n"
      "    >>> wick.einsum('ij,kj->ik', a, a)\n"
      "    tensor([[ 5., 14.],\n"
      "            [14., 50.]])");
  m.def(
      "tensordot",
      [](const Tensor& a, const Tensor& b, py::handle dims) {
        if (py::isinstance<py::int_>(dims)) {
          const int64_t n = dims.cast<int64_t>();
          return without_gil([&] { return tensordot(a, b, n); });
        }
        const py::sequence pair = dims.cast<py::sequence>();
        WICK_CHECK(pair.size() == 2, ValueError, "tensordot expects dims to be an int or a pair of lists of dims");
        const std::vector<int64_t> da = int_list(pair[0], "tensordot", "dims"), db = int_list(pair[1], "tensordot", "dims");
        return without_gil([&] { return tensordot(a, b, da, db); });
      },
      py::arg("a"), py::arg("b"), py::arg("dims") = 2,
      "tensordot(a, b, dims=2) -> Tensor\n\n"
      "The sum of products over a's last `dims` dims and b's first ones, or over the dims given as\n"
      "([dims of a], [dims of b]).");
  for (const auto& [name, fn] : {std::pair<const char*, Tensor (*)(const Tensor&, const Tensor&)>{"inner", &inner},
                                 {"vdot", &vdot},
                                 {"kron", &kron}}) {
    const auto f = fn;
    def_function_and_method(m, cls, name, [f](const Tensor& a, const Tensor& b) { return f(a, b); }, py::arg("other"),
                            std::string(name) == "kron"
                                ? "kron(input, other) -> Tensor\n\nThe Kronecker product: block (i, j) is input[i, j] * other."
                            : std::string(name) == "inner"
                                ? "inner(input, other) -> Tensor\n\nThe sum of products over the last dims of both."
                                : "vdot(input, other) -> Tensor\n\nThe dot product of two 1-D tensors.");
  }
  def_function_and_method(
      m, cls, "cross",
      [](const Tensor& a, const Tensor& b, std::optional<int64_t> dim) { return cross(a, b, dim); }, py::arg("other"),
      py::arg("dim") = py::none(),
      "cross(input, other, dim=None) -> Tensor\n\n"
      "The cross product of 3-vectors along dim (default: the first dim of size 3).");
  def_function_and_method(m, cls, "dist", [](const Tensor& a, const Tensor& b, double p) { return dist(a, b, p); },
                          py::arg("other"), py::arg("p") = 2.0,
                          "dist(input, other, p=2) -> Tensor\n\nThe p-norm of input - other.");
  m.def(
      "cdist",
      [](const Tensor& x1, const Tensor& x2, double p, py::object) { return cdist(x1, x2, p); }, py::arg("x1"),
      py::arg("x2"), py::arg("p") = 2.0, py::arg("compute_mode") = py::none(),
      py::call_guard<py::gil_scoped_release>(),
      "cdist(x1, x2, p=2.0, compute_mode=None) -> Tensor\n\n"
      "The p-norm distances between the rows of x1 [.., P, M] and x2 [.., R, M], as [.., P, R]. For p=2 and\n"
      "more than 25 rows, through a matrix product (as PyTorch's default compute_mode).");
  struct AddProduct {
    const char* name;
    Tensor (*fn)(const Tensor&, const Tensor&, const Tensor&, Scalar, Scalar);
    const char *arg1, *arg2, *what;
  };
  for (const AddProduct& p : {AddProduct{"baddbmm", &baddbmm, "batch1", "batch2", "bmm(batch1, batch2)"},
                              AddProduct{"addbmm", &addbmm, "batch1", "batch2", "the sum of bmm(batch1, batch2)"},
                              AddProduct{"addmv", &addmv, "mat", "vec", "mv(mat, vec)"},
                              AddProduct{"addr", &addr, "vec1", "vec2", "outer(vec1, vec2)"}}) {
    const auto fn = p.fn;
    const auto f = [fn](const Tensor& x, const Tensor& a, const Tensor& b, Scalar beta, Scalar alpha) {
      return fn(x, a, b, beta, alpha);
    };
    const std::string doc = std::string(p.name) + "(input, " + p.arg1 + ", " + p.arg2 +
                            ", *, beta=1, alpha=1) -> Tensor\n\nbeta * input + alpha * " + p.what +
                            "; beta=0 ignores input's values (NaN included).";
    m.def(p.name, f, py::arg("input"), py::arg(p.arg1), py::arg(p.arg2), py::kw_only(), py::arg("beta") = 1,
          py::arg("alpha") = 1, py::call_guard<py::gil_scoped_release>(), doc.c_str());
    cls.def(p.name, f, py::arg(p.arg1), py::arg(p.arg2), py::kw_only(), py::arg("beta") = 1, py::arg("alpha") = 1,
            py::call_guard<py::gil_scoped_release>(), doc.c_str());
  }

  // ---- selection ----
  const auto nonzero_fn = [](const Tensor& x, bool as_tuple) -> py::object {
    const Tensor coords = without_gil([&] { return nonzero(x); });
    if (!as_tuple) return py::cast(coords);
    if (x.dim() == 0) return tensor_tuple({reshape(coords, {-1})});  // one empty-or-[0] index, as PyTorch
    return tensor_tuple(unbind(coords, 1));
  };
  const char* nonzero_doc =
      "nonzero(input, *, as_tuple=False) -> Tensor or tuple of Tensors\n\n"
      "The coordinates of the nonzero elements, one row each ([n, input.dim()]), in row-major order;\n"
      "with as_tuple, one 1-D tensor per dim (usable as an index).\n\n"
      "Example::\n\n"
      "    >>> wick.nonzero(wick.tensor([[0, 1], [2, 0]]))\n"
      "    tensor([[0, 1],\n"
      "            [1, 0]])";
  m.def("nonzero", nonzero_fn, py::arg("input"), py::kw_only(), py::arg("as_tuple") = false, nonzero_doc);
  cls.def("nonzero", nonzero_fn, py::kw_only(), py::arg("as_tuple") = false, nonzero_doc);
  def_function_and_method(m, cls, "argwhere", [](const Tensor& x) { return nonzero(x); },
                          "argwhere(input) -> Tensor\n\nnonzero(input): the coordinates of the nonzero elements.");
  const auto count_fn = [](const Tensor& x, py::handle dim) {
    const auto dims = dims_from(dim, "count_nonzero");
    return without_gil([&] { return count_nonzero(x, dims ? IntArrayRef(*dims) : IntArrayRef()); });
  };
  const char* count_doc =
      "count_nonzero(input, dim=None) -> Tensor\n\nThe number of nonzero elements, of all or along dim.\n\n"
      "Example::\n\n"
      "    >>> wick.count_nonzero(wick.tensor([[0, 1], [2, 3]]), dim=1)\n"
      "    tensor([1, 2])";
  m.def("count_nonzero", count_fn, py::arg("input"), py::arg("dim") = py::none(), count_doc);
  cls.def("count_nonzero", count_fn, py::arg("dim") = py::none(), count_doc);
  def_function_and_method(m, cls, "take", [](const Tensor& x, const Tensor& index) { return take(x, index); },
                          py::arg("index"),
                          "take(input, index) -> Tensor\n\n"
                          "The elements of the flattened input at index (negative: from the end), in index's shape.");
  def_function_and_method(
      m, cls, "take_along_dim",
      [](const Tensor& x, const Tensor& indices, std::optional<int64_t> dim) { return take_along_dim(x, indices, dim); },
      py::arg("indices"), py::arg("dim") = py::none(),
      "take_along_dim(input, indices, dim=None) -> Tensor\n\n"
      "gather along dim with input and indices broadcast in the other dims (of the flattened input\n"
      "without dim): e.g. x.take_along_dim(x.argsort(1), 1) sorts each row.");
  const auto fill = [](const Tensor& x, int64_t dim, const Tensor& index, py::handle value) {
    if (is_tensor(value)) {
      const Tensor v = value.cast<Tensor>();
      return without_gil([&] { return index_fill(x, dim, index, v); });
    }
    Scalar s;
    WICK_CHECK(scalar_from_object(value, s), TypeError, "index_fill(): value must be a number or a 0-dim Tensor");
    return without_gil([&] { return index_fill(x, dim, index, s); });
  };
  const char* fill_doc =
      "index_fill(input, dim, index, value) -> Tensor\n\n"
      "A copy of input with the slices at index along dim set to value (a number or a 0-dim tensor).";
  m.def("index_fill", fill, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("value"), fill_doc);
  cls.def("index_fill", fill, py::arg("dim"), py::arg("index"), py::arg("value"), fill_doc);
  cls.def(
      "index_fill_",
      [fill](py::object self, int64_t dim, const Tensor& index, py::handle value) {
        const Tensor& x = self.cast<const Tensor&>();
        const Tensor v = is_tensor(value) ? value.cast<Tensor>() : Tensor();
        Scalar s;
        WICK_CHECK(v.defined() || scalar_from_object(value, s), TypeError,
                   "index_fill_(): value must be a number or a 0-dim Tensor");
        without_gil([&] {
          inplace_apply(
              x, "index_fill_", [&](const Tensor& t) { return v.defined() ? index_fill(t, dim, index, v) : index_fill(t, dim, index, s); },
              v);
        });
        return self;
      },
      py::arg("dim"), py::arg("index"), py::arg("value"), "In-place index_fill; returns this tensor.");
  def_function_and_method(
      m, cls, "index_copy",
      [](const Tensor& x, int64_t dim, const Tensor& index, const Tensor& source) {
        return index_copy(x, dim, index, source);
      },
      py::arg("dim"), py::arg("index"), py::arg("source"),
      "index_copy(input, dim, index, source) -> Tensor\n\n"
      "A copy of input with slice index[i] along dim replaced by source's slice i.");
  cls.def("index_copy_",
          inplace<int64_t, const Tensor&, const Tensor&>([](const Tensor& x, int64_t dim, const Tensor& index,
                                                            const Tensor& source) {
            inplace_apply(x, "index_copy_", [&](const Tensor& t) { return index_copy(t, dim, index, source); }, source);
          }),
          py::arg("dim"), py::arg("index"), py::arg("source"), "In-place index_copy; returns this tensor.");

  // ---- unique, bincount, histc ----
  for (const auto& [name, sorted_op] : {std::pair{"unique", true}, std::pair{"unique_consecutive", false}}) {
    const bool sorts = sorted_op;
    const std::string doc =
        std::string(name) + (sorts ? "(input, sorted=True, return_inverse=False, return_counts=False, dim=None)"
                                   : "(input, return_inverse=False, return_counts=False, dim=None)") +
        " -> Tensor or tuple\n\n" +
        (sorts ? "The distinct elements in ascending order (with dim: the distinct slices along dim)"
               : "One element of each run of equal neighbours (with dim: of equal neighbouring slices)") +
        "; with return_inverse, each element's index into them, with return_counts, how often each occurs.\n\n"
        "Example::\n\n    >>> wick." + name + "(wick.tensor([1, 1, 3, 2, 2]), return_counts=True)\n    " +
        (sorts ? "(tensor([1, 2, 3]), tensor([2, 2, 1]))" : "(tensor([1, 3, 2]), tensor([2, 1, 2]))");
    if (sorts) {
      const auto f = [](const Tensor& x, bool, bool inverse, bool counts, std::optional<int64_t> dim) {
        return unique_result(without_gil([&] { return unique(x, inverse, counts, dim); }), inverse, counts);
      };
      m.def(name, f, py::arg("input"), py::arg("sorted") = true, py::arg("return_inverse") = false,
            py::arg("return_counts") = false, py::arg("dim") = py::none(), doc.c_str());
      cls.def(name, f, py::arg("sorted") = true, py::arg("return_inverse") = false, py::arg("return_counts") = false,
              py::arg("dim") = py::none(), doc.c_str());
    } else {
      const auto f = [](const Tensor& x, bool inverse, bool counts, std::optional<int64_t> dim) {
        return unique_result(without_gil([&] { return unique_consecutive(x, inverse, counts, dim); }), inverse, counts);
      };
      m.def(name, f, py::arg("input"), py::arg("return_inverse") = false, py::arg("return_counts") = false,
            py::arg("dim") = py::none(), doc.c_str());
      cls.def(name, f, py::arg("return_inverse") = false, py::arg("return_counts") = false,
              py::arg("dim") = py::none(), doc.c_str());
    }
  }
  def_function_and_method(
      m, cls, "bincount",
      [](const Tensor& x, std::optional<Tensor> weights, int64_t minlength) {
        return bincount(x, weights.value_or(Tensor()), minlength);
      },
      py::arg("weights") = py::none(), py::arg("minlength") = 0,
      "bincount(input, weights=None, minlength=0) -> Tensor\n\n"
      "How often each value 0..max(input) occurs in a 1-D non-negative integer tensor (at least minlength\n"
      "bins), or the sum of weights there.\n\n"
      "Example::\n\n"
      "    >>> wick.bincount(wick.tensor([0, 2, 2]))\n"
      "    tensor([1, 0, 2])");
  def_function_and_method(
      m, cls, "histc", [](const Tensor& x, int64_t bins, double lo, double hi) { return histc(x, bins, lo, hi); },
      py::arg("bins") = 100, py::arg("min") = 0, py::arg("max") = 0,
      "histc(input, bins=100, min=0, max=0) -> Tensor\n\n"
      "A histogram of bins equal bins over [min, max] (min == max: the data's range); values outside\n"
      "are left out.\n\n"
      "Example::\n\n"
      "    >>> wick.histc(wick.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3)\n"
      "    tensor([0., 2., 1., 0.])");

  // ---- logit; searchsorted, bucketize, quantile, mode ----
  def_function_and_method(m, cls, "logit", [](const Tensor& x, std::optional<double> eps) { return logit(x, eps); },
                          py::arg("eps") = py::none(),
                          "logit(input, eps=None) -> Tensor\n\n"
                          "log(z / (1 - z)) with z = input, clamped to [eps, 1 - eps] when eps is given.\n\n"
                          "Example::\n\n"
                          "    >>> wick.logit(wick.tensor([0.25, 0.5]))\n"
                          "    tensor([-1.0986,  0.0000])");
  cls.def("logit_",
          inplace<std::optional<double>>([](const Tensor& x, std::optional<double> eps) {
            inplace_apply(x, "logit_", [&](const Tensor& t) { return logit(t, eps); });
          }),
          py::arg("eps") = py::none(), "In-place logit; returns this tensor.");
  const auto search = [](const Tensor& seq, py::handle values, bool out_int32, bool right,
                         std::optional<std::string> side, std::optional<Tensor> sorter) {
    WICK_CHECK(!side || *side == "left" || *side == "right", ValueError,
               "searchsorted(): side can only be 'left' or 'right' but got ", *side);
    WICK_CHECK(!side || !right || *side == "right", ValueError,
               "searchsorted(): side and right can't be set to opposites, got side of left while right was True");
    Tensor v;
    if (is_tensor(values)) {
      v = values.cast<Tensor>();
    } else {
      Scalar s;
      WICK_CHECK(scalar_from_object(values, s), TypeError, "searchsorted(): values must be a Tensor or a number");
      v = scalar_tensor(s, TensorOptions(seq.dtype()).device(seq.device()));
    }
    const bool r = right || (side && *side == "right");
    return without_gil([&] { return searchsorted(seq, v, out_int32, r, sorter.value_or(Tensor())); });
  };
  m.def("searchsorted", search, py::arg("sorted_sequence"), py::arg("input"), py::kw_only(),
        py::arg("out_int32") = false, py::arg("right") = false, py::arg("side") = py::none(),
        py::arg("sorter") = py::none(),
        "searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None) -> Tensor\n\n"
        "Where each value of input would be inserted in the last dim of sorted_sequence (1-D: for every value)\n"
        "to keep it sorted: before equal elements, or after them with right=True (side='right').\n\n"
        "Example::\n\n"
        "    >>> wick.searchsorted(wick.tensor([1, 3, 5, 7]), wick.tensor([3, 6, 9]))\n"
        "    tensor([1, 3, 4])");
  m.def(
      "bucketize",
      [](const Tensor& input, const Tensor& boundaries, bool out_int32, bool right) {
        return bucketize(input, boundaries, out_int32, right);
      },
      py::arg("input"), py::arg("boundaries"), py::kw_only(), py::arg("out_int32") = false, py::arg("right") = false,
      py::call_guard<py::gil_scoped_release>(),
      "bucketize(input, boundaries, *, out_int32=False, right=False) -> Tensor\n\n"
      "The bucket of each element for the sorted 1-D boundaries: i with boundaries[i-1] < x <= boundaries[i]\n"
      "(with right=True: boundaries[i-1] <= x < boundaries[i]).\n\n"
      "Example::\n\n"
      "    >>> wick.bucketize(wick.tensor([3, 6, 9]), wick.tensor([1, 3, 5, 7]))\n"
      "    tensor([1, 3, 4])");
  for (const auto& [name, skip] : {std::pair{"quantile", false}, std::pair{"nanquantile", true}}) {
    const bool skip_nan = skip;
    const auto f = [skip_nan](const Tensor& x, py::handle q, std::optional<int64_t> dim, bool keepdim,
                              const std::string& interpolation) {
      Tensor qt;
      if (is_tensor(q)) {
        qt = q.cast<Tensor>();
      } else if (py::isinstance<py::sequence>(q)) {
        qt = from_vector<double>(q.cast<std::vector<double>>(), {static_cast<int64_t>(py::len(q))});
      } else {
        qt = scalar_tensor(q.cast<double>(), TensorOptions(ScalarType::Float64));
      }
      return without_gil([&] {
        return skip_nan ? nanquantile(x, qt, dim, keepdim, interpolation) : quantile(x, qt, dim, keepdim, interpolation);
      });
    };
    const std::string doc =
        std::string(name) + "(input, q, dim=None, keepdim=False, *, interpolation='linear') -> Tensor\n\n" +
        "The q-quantiles (q a number or a 1-D tensor in [0, 1]) of each row along dim (no dim: of all\n"
        "elements), between the two nearest sorted elements by interpolation ('linear', 'lower', 'higher',\n"
        "'nearest', 'midpoint'). A 1-D q adds a leading dim. " +
        (skip_nan ? "NaNs are left out." : "A row holding a NaN gives NaN.") +
        "\n\nExample::\n\n    >>> wick." + name + "(wick.tensor([1.0, 2.0, 3.0, 4.0]), 0.5)\n    tensor(2.5000)";
    m.def(name, f, py::arg("input"), py::arg("q"), py::arg("dim") = py::none(), py::arg("keepdim") = false,
          py::kw_only(), py::arg("interpolation") = "linear", doc.c_str());
    cls.def(name, f, py::arg("q"), py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
            py::arg("interpolation") = "linear", doc.c_str());
  }
  const auto mode_fn = [](const Tensor& x, int64_t dim, bool keepdim) {
    const ValuesIndices r = without_gil([&] { return mode(x, dim, keepdim); });
    return make_return_type("mode", py::cast(r.values), py::cast(r.indices));
  };
  const char* mode_doc =
      "mode(input, dim=-1, keepdim=False) -> (values, indices)\n\n"
      "The most frequent value along dim (the smallest of the most frequent) and its last position.\n\n"
      "Example::\n\n"
      "    >>> wick.mode(wick.tensor([1, 3, 2, 2, 3, 5]))\n"
      "    wick.return_types.mode(values=tensor(2), indices=tensor(3))";
  m.def("mode", mode_fn, py::arg("input"), py::arg("dim") = -1, py::arg("keepdim") = false, mode_doc);
  cls.def("mode", mode_fn, py::arg("dim") = -1, py::arg("keepdim") = false, mode_doc);

  // ---- polygamma, mvlgamma ----
  m.def("polygamma", [](int64_t n, const Tensor& x) { return polygamma(n, x); }, py::arg("n"), py::arg("input"),
        py::call_guard<py::gil_scoped_release>(),
        "polygamma(n, input) -> Tensor\n\n"
        "The n-th derivative of digamma, elementwise (n = 0: digamma itself).\n\n"
        "Example::\n\n"
        "    >>> wick.polygamma(1, wick.tensor([1.0, 0.5]))\n"
        "    tensor([1.6449, 4.9348])");
  cls.def("polygamma", [](const Tensor& x, int64_t n) { return polygamma(n, x); }, py::arg("n"),
          py::call_guard<py::gil_scoped_release>(), "polygamma(n) -> Tensor\n\nSee wick.polygamma.");
  cls.def("polygamma_",
          inplace<int64_t>([](const Tensor& x, int64_t n) {
            inplace_apply(x, "polygamma_", [&](const Tensor& t) { return polygamma(n, t); });
          }),
          py::arg("n"), "In-place polygamma; returns this tensor.");
  def_function_and_method(m, cls, "mvlgamma", [](const Tensor& x, int64_t p) { return mvlgamma(x, p); }, py::arg("p"),
                          "mvlgamma(input, p) -> Tensor\n\n"
                          "The multivariate log-gamma function of dimension p: sum of lgamma(input - i / 2) for\n"
                          "i < p, plus p (p - 1) / 4 log(pi). Every element must exceed (p - 1) / 2.");
}

}  // namespace wick::python
