// Scans and sorts (ops/scan.h, ops/sort.h) as functions and methods: cumsum,
// cumprod (and in place), cummax, cummin, logcumsumexp; sort, argsort, msort,
// topk, kthvalue, median, nanmedian. The ops that also give positions return
// the named tuples of wick.return_types, as PyTorch does.
#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

py::object values_indices(const char* name, ValuesIndices r) {
  return make_return_type(name, py::cast(std::move(r.values)), py::cast(std::move(r.indices)));
}

// f(x, args...) -> ValuesIndices bound as function and method returning return_types.<name>.
template <typename... Args, typename F, typename... Extra>
void def_values_indices(py::module_& m, TensorClass& cls, const char* name, F f, const Extra&... extra) {
  auto bound = [name, f](const Tensor& x, Args... args) {
    return values_indices(name, without_gil([&] { return f(x, args...); }));
  };
  m.def(name, bound, py::arg("input"), extra...);
  cls.def(name, bound, extra...);
}

}  // namespace

void init_sort(py::module_& m, TensorClass& cls) {
  // ---- scans ----
  for (const auto& [name, is_sum] : {std::pair{"cumsum", true}, std::pair{"cumprod", false}}) {
    const bool s = is_sum;
    const auto fn = [s](const Tensor& x, int64_t dim, std::optional<ScalarType> dtype) {
      return s ? cumsum(x, dim, dtype) : cumprod(x, dim, dtype);
    };
    const std::string doc =
        std::string(name) + "(input, dim, *, dtype=None) -> Tensor\n\nThe running " + (s ? "sum" : "product") +
        " along dim: output i combines input 0..i. Bool and integer inputs accumulate\nin int64 unless dtype "
        "names another (input is converted to it first).\n\nExample::\n\n    >>> wick." + name +
        "(wick.tensor([1, 2, 3, 4]), 0)\n    " + (s ? "tensor([ 1,  3,  6, 10])" : "tensor([ 1,  2,  6, 24])");
    def_function_and_method(m, cls, name, fn, py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none(),
                            doc.c_str());
    const std::string inplace_name = std::string(name) + "_";
    cls.def(inplace_name.c_str(),
            inplace<int64_t, std::optional<ScalarType>>([fn, inplace_name](const Tensor& x, int64_t dim,
                                                                            std::optional<ScalarType> dtype) {
              inplace_apply(x, inplace_name.c_str(), [&](const Tensor& t) { return fn(t, dim, dtype); });
            }),
            py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none(),
            ("In-place " + std::string(name) + "; returns this tensor.").c_str());
  }
  for (const auto& [name, is_max] : {std::pair{"cummax", true}, std::pair{"cummin", false}}) {
    const bool mx = is_max;
    const std::string doc = std::string(name) + "(input, dim) -> (values, indices)\n\nThe running " +
                            (mx ? "maximum" : "minimum") +
                            " along dim and the position each value came from (ties take the\nlater position; a NaN, "
                            "once met, stays).\n\nExample::\n\n    >>> wick." + name +
                            "(wick.tensor([3.0, 1.0, 2.0, 5.0]), 0).values\n    " +
                            (mx ? "tensor([3., 3., 3., 5.])" : "tensor([3., 1., 1., 1.])");
    def_values_indices<int64_t>(
        m, cls, name, [mx](const Tensor& x, int64_t dim) { return mx ? cummax(x, dim) : cummin(x, dim); },
        py::arg("dim"), doc.c_str());
  }
  def_function_and_method(m, cls, "logcumsumexp", [](const Tensor& x, int64_t dim) { return logcumsumexp(x, dim); },
                          py::arg("dim"),
                          "logcumsumexp(input, dim) -> Tensor\n\n"
                          "log(cumsum(exp(input), dim)), computed without overflow.\n\n"
                          "Example::\n\n"
                          "    >>> wick.logcumsumexp(wick.tensor([0.0, 1.0, 2.0]), 0)\n"
                          "    tensor([0.0000, 1.3133, 2.4076])");

  // ---- sorts ----
  def_values_indices<int64_t, bool, bool>(
      m, cls, "sort", [](const Tensor& x, int64_t dim, bool descending, bool) { return sort(x, dim, descending); },
      py::arg("dim") = -1, py::arg("descending") = false, py::arg("stable") = false,
      "sort(input, dim=-1, descending=False, stable=False) -> (values, indices)\n\n"
      "The elements of each row along dim in ascending (or descending) order, with their positions.\n"
      "NaN sorts as larger than every number. The sort is always stable (equal elements keep their\n"
      "order), so `stable` changes nothing.\n\n"
      "Example::\n\n"
      "    >>> wick.sort(wick.tensor([3.0, 1.0, 2.0]))\n"
      "    wick.return_types.sort(values=tensor([1., 2., 3.]), indices=tensor([1, 2, 0]))");
  def_function_and_method(
      m, cls, "argsort",
      [](const Tensor& x, int64_t dim, bool descending, bool) { return argsort(x, dim, descending); },
      py::arg("dim") = -1, py::arg("descending") = false, py::arg("stable") = false,
      "argsort(input, dim=-1, descending=False, stable=False) -> Tensor\n\n"
      "The positions that sort input along dim: sort(input, dim, descending).indices.\n\n"
      "Example::\n\n"
      "    >>> wick.argsort(wick.tensor([3.0, 1.0, 2.0]))\n"
      "    tensor([1, 2, 0])");
  def_function_and_method(m, cls, "msort", [](const Tensor& x) { return msort(x); },
                          "msort(input) -> Tensor\n\nsort(input, dim=0).values.");
  def_values_indices<int64_t, int64_t, bool, bool>(
      m, cls, "topk",
      [](const Tensor& x, int64_t k, int64_t dim, bool largest, bool sorted) {
        return topk(x, k, dim, largest, sorted);
      },
      py::arg("k"), py::arg("dim") = -1, py::arg("largest") = true, py::arg("sorted") = true,
      "topk(input, k, dim=-1, largest=True, sorted=True) -> (values, indices)\n\n"
      "The k largest (with largest=False: smallest) elements along dim and their positions, in order\n"
      "(also when sorted=False). NaN counts as the largest.\n\n"
      "Example::\n\n"
      "    >>> wick.topk(wick.tensor([1.0, 5.0, 3.0, 4.0]), 2)\n"
      "    wick.return_types.topk(values=tensor([5., 4.]), indices=tensor([1, 3]))");
  def_values_indices<int64_t, int64_t, bool>(
      m, cls, "kthvalue",
      [](const Tensor& x, int64_t k, int64_t dim, bool keepdim) { return kthvalue(x, k, dim, keepdim); },
      py::arg("k"), py::arg("dim") = -1, py::arg("keepdim") = false,
      "kthvalue(input, k, dim=-1, keepdim=False) -> (values, indices)\n\n"
      "The k-th smallest element along dim (k counts from 1) and its position.\n\n"
      "Example::\n\n"
      "    >>> wick.kthvalue(wick.tensor([1.0, 5.0, 3.0, 4.0]), 2)\n"
      "    wick.return_types.kthvalue(values=tensor(3.), indices=tensor(2))");
  for (const auto& [name, skip] : {std::pair{"median", false}, std::pair{"nanmedian", true}}) {
    const bool skip_nan = skip;
    const std::string doc =
        std::string(name) + "(input) -> Tensor, " + name + "(input, dim, keepdim=False) -> (values, indices)\n\n" +
        (skip_nan ? "The lower median of the elements that are not NaN (NaN only when all are)"
                  : "The lower median (the (n - 1) // 2-th smallest; NaN when there is a NaN)") +
        ": of all elements, or\nalong dim with its position. The gradient of the median of all elements is "
        "shared evenly\namong the elements equal to it.\n\nExample::\n\n    >>> wick." + name +
        "(wick.tensor([1.0, 4.0, 2.0, 3.0]))\n    tensor(2.)";
    def_function_and_method(m, cls, name, [skip_nan](const Tensor& x) { return skip_nan ? nanmedian(x) : median(x); },
                            doc.c_str());
    def_values_indices<int64_t, bool>(
        m, cls, name,
        [skip_nan](const Tensor& x, int64_t dim, bool keepdim) {
          return skip_nan ? nanmedian(x, dim, keepdim) : median(x, dim, keepdim);
        },
        py::arg("dim"), py::arg("keepdim") = false);
  }
}

}  // namespace wick::python
