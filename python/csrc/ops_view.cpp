// Views and shape ops (ops/view.h) as functions and Tensor methods. Shapes
// and dim lists are accepted as separate ints, x.view(2, 3), or as one
// sequence, x.view((2, 3)), as in PyTorch.
#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

// A method taking a shape as *args (view, reshape, expand, permute) and the
// function form taking it as one argument (wick.reshape(x, shape)).
template <typename F>
void def_shape_op(py::module_* m, TensorClass& cls, const char* name, const char* arg, F f) {
  cls.def(name, [f, name](const Tensor& x, const py::args& shape) {
    const std::vector<int64_t> sizes = sizes_from_args(shape, name);
    return without_gil([&] { return f(x, sizes); });
  });
  if (m) {
    m->def(
        name,
        [f, name, arg](const Tensor& x, py::handle shape) {
          const std::vector<int64_t> sizes = int_list(shape, name, arg);
          return without_gil([&] { return f(x, sizes); });
        },
        py::arg("input"), py::arg(arg));
  }
}

}  // namespace

void init_view(py::module_& m, TensorClass& cls) {
  def_shape_op(nullptr, cls, "view", "size", [](const Tensor& x, IntArrayRef s) { return view(x, s); });
  def_shape_op(&m, cls, "reshape", "shape", [](const Tensor& x, IntArrayRef s) { return reshape(x, s); });
  def_shape_op(nullptr, cls, "expand", "size", [](const Tensor& x, IntArrayRef s) { return expand(x, s); });
  def_shape_op(&m, cls, "permute", "dims", [](const Tensor& x, IntArrayRef s) { return permute(x, s); });
  cls.def("view_as", [](const Tensor& x, const Tensor& other) { return view(x, other.sizes()); }, py::arg("other"),
          py::call_guard<py::gil_scoped_release>())
      .def("reshape_as", [](const Tensor& x, const Tensor& other) { return reshape(x, other.sizes()); },
           py::arg("other"), py::call_guard<py::gil_scoped_release>())
      .def("expand_as", [](const Tensor& x, const Tensor& other) { return x.expand_as(other); }, py::arg("other"),
           py::call_guard<py::gil_scoped_release>());

  for (const char* name : {"transpose", "swapaxes", "swapdims"}) {
    def_function_and_method(
        m, cls, name, [](const Tensor& x, int64_t dim0, int64_t dim1) { return transpose(x, dim0, dim1); },
        py::arg("dim0"), py::arg("dim1"));
  }
  def_function_and_method(m, cls, "t", [](const Tensor& x) { return t(x); });
  // x.T reverses all dims; x.mT transposes the last two.
  cls.def_property_readonly("T", [](const Tensor& x) {
    std::vector<int64_t> dims(static_cast<size_t>(x.dim()));
    for (int64_t d = 0; d < x.dim(); ++d) dims[static_cast<size_t>(d)] = x.dim() - 1 - d;
    return without_gil([&] { return permute(x, dims); });
  });
  cls.def_property_readonly("mT", [](const Tensor& x) {
    WICK_CHECK(x.dim() >= 2, ValueError, "tensor.mT is only supported on matrices or batches of matrices. Got ",
               x.dim(), "-D tensor.");
    return without_gil([&] { return transpose(x, -2, -1); });
  });

  def_function_and_method(
      m, cls, "squeeze",
      [](const Tensor& x, std::optional<int64_t> dim) { return dim ? squeeze(x, *dim) : squeeze(x); },
      py::arg("dim") = py::none());
  def_function_and_method(m, cls, "unsqueeze", [](const Tensor& x, int64_t dim) { return unsqueeze(x, dim); },
                          py::arg("dim"));
  def_function_and_method(
      m, cls, "flatten", [](const Tensor& x, int64_t start, int64_t end) { return flatten(x, start, end); },
      py::arg("start_dim") = 0, py::arg("end_dim") = -1);
  def_function_and_method(
      m, cls, "unflatten",
      [](const Tensor& x, int64_t dim, const std::vector<int64_t>& sizes) { return unflatten(x, dim, sizes); },
      py::arg("dim"), py::arg("sizes"));
  def_function_and_method(
      m, cls, "narrow",
      [](const Tensor& x, int64_t dim, int64_t start, int64_t length) { return narrow(x, dim, start, length); },
      py::arg("dim"), py::arg("start"), py::arg("length"));
  def_function_and_method(
      m, cls, "select", [](const Tensor& x, int64_t dim, int64_t index) { return select(x, dim, index); },
      py::arg("dim"), py::arg("index"));
  def_function_and_method(
      m, cls, "as_strided",
      [](const Tensor& x, const std::vector<int64_t>& size, const std::vector<int64_t>& stride,
         std::optional<int64_t> offset) { return as_strided(x, size, stride, offset); },
      py::arg("size"), py::arg("stride"), py::arg("storage_offset") = py::none());
  def_function_and_method(m, cls, "contiguous", [](const Tensor& x) { return contiguous(x); });
  def_function_and_method(m, cls, "clone", [](const Tensor& x) { return clone(x); });
  m.def("detach", [](const Tensor& x) { return detach(x); }, py::arg("input"));
}

}  // namespace wick::python
