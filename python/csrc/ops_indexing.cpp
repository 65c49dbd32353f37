// Indexing, joining and splitting ops (ops/indexing.h) as functions and
// Tensor methods. Splits return tuples, as in PyTorch.
#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

py::tuple to_tuple(const TensorList& parts) {
  py::tuple out(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) out[i] = py::cast(parts[i]);
  return out;
}

}  // namespace

void init_index_ops(py::module_& m, TensorClass& cls) {
  for (const char* name : {"cat", "concat"}) {
    m.def(name, [](const TensorList& tensors, int64_t dim) { return cat(tensors, dim); }, py::arg("tensors"),
          py::arg("dim") = 0, py::call_guard<py::gil_scoped_release>());
  }
  m.def("stack", [](const TensorList& tensors, int64_t dim) { return stack(tensors, dim); }, py::arg("tensors"),
        py::arg("dim") = 0, py::call_guard<py::gil_scoped_release>());

  // split(split_size_or_sections, dim=0): an int size or a list of sizes.
  auto split_ = [](const Tensor& x, py::handle sizes, int64_t dim) {
    const bool one = !PyTuple_Check(sizes.ptr()) && !PyList_Check(sizes.ptr());
    const std::vector<int64_t> s = int_list(sizes, "split", "split_size_or_sections");
    return to_tuple(without_gil([&] { return one ? split(x, s[0], dim) : split_with_sizes(x, s, dim); }));
  };
  m.def("split", split_, py::arg("tensor"), py::arg("split_size_or_sections"), py::arg("dim") = 0);
  cls.def("split", split_, py::arg("split_size"), py::arg("dim") = 0);
  auto chunk_ = [](const Tensor& x, int64_t chunks, int64_t dim) {
    return to_tuple(without_gil([&] { return chunk(x, chunks, dim); }));
  };
  m.def("chunk", chunk_, py::arg("input"), py::arg("chunks"), py::arg("dim") = 0);
  cls.def("chunk", chunk_, py::arg("chunks"), py::arg("dim") = 0);
  auto unbind_ = [](const Tensor& x, int64_t dim) { return to_tuple(without_gil([&] { return unbind(x, dim); })); };
  m.def("unbind", unbind_, py::arg("input"), py::arg("dim") = 0);
  cls.def("unbind", unbind_, py::arg("dim") = 0);

  def_function_and_method(
      m, cls, "index_select",
      [](const Tensor& x, int64_t dim, const Tensor& index) { return index_select(x, dim, index); }, py::arg("dim"),
      py::arg("index"));
  def_function_and_method(
      m, cls, "gather", [](const Tensor& x, int64_t dim, const Tensor& index) { return gather(x, dim, index); },
      py::arg("dim"), py::arg("index"));
  def_function_and_method(
      m, cls, "scatter",
      [](const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) { return scatter(x, dim, index, src); },
      py::arg("dim"), py::arg("index"), py::arg("src"));
  def_function_and_method(
      m, cls, "scatter",
      [](const Tensor& x, int64_t dim, const Tensor& index, Scalar value) { return scatter(x, dim, index, value); },
      py::arg("dim"), py::arg("index"), py::arg("value"));
  def_function_and_method(
      m, cls, "scatter_add",
      [](const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
        return scatter_add(x, dim, index, src);
      },
      py::arg("dim"), py::arg("index"), py::arg("src"));
  cls.def("scatter_",
          inplace<int64_t, const Tensor&, const Tensor&>(
              [](const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) { scatter_(x, dim, index, src); }),
          py::arg("dim"), py::arg("index"), py::arg("src"));
  cls.def("scatter_add_",
          inplace<int64_t, const Tensor&, const Tensor&>([](const Tensor& x, int64_t dim, const Tensor& index,
                                                            const Tensor& src) { scatter_add_(x, dim, index, src); }),
          py::arg("dim"), py::arg("index"), py::arg("src"));
  def_function_and_method(
      m, cls, "index_add",
      [](const Tensor& x, int64_t dim, const Tensor& index, const Tensor& source) {
        return index_add(x, dim, index, source);
      },
      py::arg("dim"), py::arg("index"), py::arg("source"));
  def_function_and_method(
      m, cls, "masked_select", [](const Tensor& x, const Tensor& mask) { return masked_select(x, mask); },
      py::arg("mask"));

  // Used by wick.nn.functional.
  m.def("one_hot", &one_hot, py::arg("input"), py::arg("num_classes") = -1, py::call_guard<py::gil_scoped_release>());
  m.def(
      "embedding",
      [](const Tensor& weight, const Tensor& indices, std::optional<int64_t> padding_idx) {
        return embedding(weight, indices, padding_idx.value_or(-1));
      },
      py::arg("weight"), py::arg("input"), py::arg("padding_idx") = py::none(), py::call_guard<py::gil_scoped_release>());
}

}  // namespace wick::python
