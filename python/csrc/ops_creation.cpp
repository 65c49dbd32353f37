// Creating tensors (ops/creation.h): wick.tensor / zeros / arange / randn ...,
// the *_like functions, Tensor.new_* and the in-place random fills.
#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

// The keyword-only arguments every factory takes: py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw().
py::arg_v dtype_kw() { return py::arg("dtype") = py::none(); }
py::arg_v device_kw() { return py::arg("device") = py::none(); }
py::arg_v requires_grad_kw() { return py::arg("requires_grad") = false; }

using OptDtype = std::optional<ScalarType>;
using OptDevice = std::optional<Device>;

// A factory of the form f(*size, dtype=, device=, requires_grad=).
template <typename F>
void def_sized_factory(py::module_& m, const char* name, F make) {
  m.def(
      name,
      [make, name](const py::args& size, OptDtype dtype, OptDevice device, bool requires_grad) {
        const std::vector<int64_t> sizes = sizes_from_args(size, name);
        const TensorOptions options = make_options(dtype, device, requires_grad);
        return without_gil([&] { return make(sizes, options); });
      },
      py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw());
}

// A factory of the form f(input, dtype=, device=, requires_grad=): the shape,
// and unless given the dtype and device, of `input`.
template <typename F>
void def_like_factory(py::module_& m, const char* name, F make) {
  m.def(
      name,
      [make](const Tensor& like, OptDtype dtype, OptDevice device, bool requires_grad) {
        TensorOptions options = make_options(dtype.value_or(like.dtype()), device.value_or(like.device()), requires_grad);
        return without_gil([&] { return make(like, options); });
      },
      py::arg("input"), py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw());
}

// Tensor.new_zeros(*size, dtype=, device=, requires_grad=): dtype and device default to self's.
template <typename F>
void def_new_factory(TensorClass& cls, const char* name, F make) {
  cls.def(
      name,
      [make, name](const Tensor& self, const py::args& size, OptDtype dtype, OptDevice device, bool requires_grad) {
        const std::vector<int64_t> sizes = sizes_from_args(size, name);
        const TensorOptions options =
            make_options(dtype.value_or(self.dtype()), device.value_or(self.device()), requires_grad);
        return without_gil([&] { return make(sizes, options); });
      },
      py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw());
}

}  // namespace

void init_creation(py::module_& m, TensorClass& cls) {
  // ---- from data ---------------------------------------------------------------------------
  m.def("tensor", &tensor_from_data, py::arg("data"), py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw(),
        "A new tensor holding a copy of data (nested lists or tuples of numbers, a NumPy array, a number).\n"
        "Without dtype: Python floats give the default float dtype, ints int64, bools bool.");
  m.def("as_tensor", &as_tensor, py::arg("data"), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
        "data as a tensor, sharing its memory when data is a tensor or NumPy array of the wanted dtype and device.");
  m.def("from_numpy", &from_numpy, py::arg("ndarray"), "A tensor over a NumPy array's memory (no copy).");
  m.def(
      "scalar_tensor",
      [](Scalar s, OptDtype dtype, OptDevice device, bool requires_grad) {
        return scalar_tensor(s, make_options(dtype, device, requires_grad));
      },
      py::arg("s"), py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw(), py::call_guard<py::gil_scoped_release>());

  // ---- filled ------------------------------------------------------------------------------
  def_sized_factory(m, "empty", [](IntArrayRef s, const TensorOptions& o) { return empty(s, o); });
  def_sized_factory(m, "zeros", [](IntArrayRef s, const TensorOptions& o) { return zeros(s, o); });
  def_sized_factory(m, "ones", [](IntArrayRef s, const TensorOptions& o) { return ones(s, o); });
  def_sized_factory(m, "rand", [](IntArrayRef s, const TensorOptions& o) { return rand(s, o); });
  def_sized_factory(m, "randn", [](IntArrayRef s, const TensorOptions& o) { return randn(s, o); });
  m.def(
      "full",
      [](py::handle size, Scalar fill_value, OptDtype dtype, OptDevice device, bool requires_grad) {
        const std::vector<int64_t> sizes = int_list(size, "full", "size");
        return without_gil([&] { return full(sizes, fill_value, make_options(dtype, device, requires_grad)); });
      },
      py::arg("size"), py::arg("fill_value"), py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw());

  // ---- ranges ------------------------------------------------------------------------------
  // arange(end), arange(start, end), arange(start, end, step); also by keyword.
  m.def(
      "arange",
      [](const py::args& args, std::optional<Scalar> start, std::optional<Scalar> end, std::optional<Scalar> step,
         OptDtype dtype, OptDevice device, bool requires_grad) {
        std::vector<Scalar> pos;
        for (py::handle a : args) {
          Scalar s;
          if (!scalar_from_object(a, s))
            throw py::type_error(std::string("arange(): expected numbers, got ") + Py_TYPE(a.ptr())->tp_name);
          pos.push_back(s);
        }
        if (pos.size() > 3) throw py::type_error("arange() takes at most 3 positional arguments (start, end, step)");
        if (pos.size() == 1 && !end) end = pos[0];
        else if (pos.size() >= 2) start = pos[0], end = pos[1];
        if (pos.size() == 3) step = pos[2];
        if (!end) throw py::type_error("arange() missing required argument 'end'");
        const TensorOptions o = make_options(dtype, device, requires_grad);
        return without_gil([&] { return arange(start.value_or(Scalar(int64_t{0})), *end, step.value_or(Scalar(int64_t{1})), o); });
      },
      py::kw_only(), py::arg("start") = py::none(), py::arg("end") = py::none(), py::arg("step") = py::none(),
      dtype_kw(), device_kw(), requires_grad_kw());
  m.def(
      "linspace",
      [](Scalar start, Scalar end, int64_t steps, OptDtype dtype, OptDevice device, bool requires_grad) {
        return linspace(start, end, steps, make_options(dtype, device, requires_grad));
      },
      py::arg("start"), py::arg("end"), py::arg("steps"), py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw(),
      py::call_guard<py::gil_scoped_release>());
  m.def(
      "eye",
      [](int64_t n, std::optional<int64_t> m_, OptDtype dtype, OptDevice device, bool requires_grad) {
        return eye(n, m_, make_options(dtype, device, requires_grad));
      },
      py::arg("n"), py::arg("m") = py::none(), py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw(), py::call_guard<py::gil_scoped_release>());

  // ---- random ------------------------------------------------------------------------------
  // randint(high, size) or randint(low, high, size).
  m.def(
      "randint",
      [](const py::args& args, OptDtype dtype, OptDevice device, bool requires_grad) {
        if (args.size() != 2 && args.size() != 3)
          throw py::type_error("randint() expects (high, size) or (low, high, size)");
        const int64_t low = args.size() == 3 ? int_from(args[0], "randint", "low") : 0;
        const int64_t high = int_from(args[args.size() - 2], "randint", "high");
        const std::vector<int64_t> sizes = int_list(args[args.size() - 1], "randint", "size");
        const TensorOptions o = make_options(dtype, device, requires_grad);
        return without_gil([&] { return randint(low, high, sizes, o); });
      },
      py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw());
  m.def(
      "randperm",
      [](int64_t n, OptDtype dtype, OptDevice device, bool requires_grad) {
        return randperm(n, make_options(dtype, device, requires_grad));
      },
      py::arg("n"), py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw(), py::call_guard<py::gil_scoped_release>());
  def_function_and_method(m, cls, "bernoulli", [](const Tensor& p) { return bernoulli(p); });
  cls.def("uniform_", inplace<double, double>([](const Tensor& t, double from, double to) { uniform_(t, from, to); }),
          py::arg("from") = 0.0, py::arg("to") = 1.0)
      .def("normal_", inplace<double, double>([](const Tensor& t, double mean, double std) { normal_(t, mean, std); }),
           py::arg("mean") = 0.0, py::arg("std") = 1.0);

  // ---- *_like ------------------------------------------------------------------------------
  def_like_factory(m, "empty_like", [](const Tensor& l, const TensorOptions& o) { return empty_like(l, o); });
  def_like_factory(m, "zeros_like", [](const Tensor& l, const TensorOptions& o) { return zeros_like(l, o); });
  def_like_factory(m, "ones_like", [](const Tensor& l, const TensorOptions& o) { return ones_like(l, o); });
  def_like_factory(m, "rand_like", [](const Tensor& l, const TensorOptions& o) { return rand_like(l, o); });
  def_like_factory(m, "randn_like", [](const Tensor& l, const TensorOptions& o) { return randn_like(l, o); });
  m.def(
      "full_like",
      [](const Tensor& like, Scalar fill_value, OptDtype dtype, OptDevice device, bool requires_grad) {
        return full_like(like, fill_value,
                         make_options(dtype.value_or(like.dtype()), device.value_or(like.device()), requires_grad));
      },
      py::arg("input"), py::arg("fill_value"), py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw(), py::call_guard<py::gil_scoped_release>());

  // ---- Tensor.new_* ------------------------------------------------------------------------
  def_new_factory(cls, "new_empty", [](IntArrayRef s, const TensorOptions& o) { return empty(s, o); });
  def_new_factory(cls, "new_zeros", [](IntArrayRef s, const TensorOptions& o) { return zeros(s, o); });
  def_new_factory(cls, "new_ones", [](IntArrayRef s, const TensorOptions& o) { return ones(s, o); });
  cls.def(
      "new_full",
      [](const Tensor& self, py::handle size, Scalar fill_value, OptDtype dtype, OptDevice device, bool requires_grad) {
        const std::vector<int64_t> sizes = int_list(size, "new_full", "size");
        const TensorOptions o = make_options(dtype.value_or(self.dtype()), device.value_or(self.device()), requires_grad);
        return without_gil([&] { return full(sizes, fill_value, o); });
      },
      py::arg("size"), py::arg("fill_value"), py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw());
  cls.def(
      "new_tensor",
      [](const Tensor& self, py::handle data, OptDtype dtype, OptDevice device, bool requires_grad) {
        return tensor_from_data(data, dtype.value_or(self.dtype()), device.value_or(self.device()), requires_grad);
      },
      py::arg("data"), py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw());
}

}  // namespace wick::python
