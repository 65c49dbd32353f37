// Indexing, joining and splitting ops (ops/indexing.h) as functions and
// Tensor methods. Splits return tuples, as in PyTorch.
#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

std::optional<std::string_view> as_view(const std::optional<std::string>& s) {
  return s ? std::optional<std::string_view>(*s) : std::nullopt;
}

}  // namespace

void init_index_ops(py::module_& m, TensorClass& cls) {
  for (const char* name : {"cat", "concat"}) {
    const std::string doc = std::string(name) +
                            "(tensors, dim=0) -> Tensor\n\n"
                            "The tensors joined end to end along dim. They must have the same shape except in dim\n"
                            "and are promoted to a common dtype.\n\n"
                            "Example::\n\n"
                            "    >>> x = wick.tensor([[1, 2], [3, 4]])\n"
                            "    >>> wick." + name + "([x, x], 1)\n"
                            "    tensor([[1, 2, 1, 2],\n"
                            "            [3, 4, 3, 4]])";
    m.def(name, [](const TensorList& tensors, int64_t dim) { return cat(tensors, dim); }, py::arg("tensors"),
          py::arg("dim") = 0, py::call_guard<py::gil_scoped_release>(), doc.c_str());
  }
  m.def("stack", [](const TensorList& tensors, int64_t dim) { return stack(tensors, dim); }, py::arg("tensors"),
        py::arg("dim") = 0, py::call_guard<py::gil_scoped_release>(),
        "stack(tensors, dim=0) -> Tensor\n\n"
        "The tensors (all of one shape) joined along a new dim inserted at dim.\n\n"
        "Example::\n\n"
        "    >>> wick.stack([wick.tensor([1, 2]), wick.tensor([3, 4])])\n"
        "    tensor([[1, 2],\n"
        "            [3, 4]])");

  // split(split_size_or_sections, dim=0): an int size or a list of sizes.
  auto split_ = [](const Tensor& x, py::handle sizes, int64_t dim) {
    const bool one = !PyTuple_Check(sizes.ptr()) && !PyList_Check(sizes.ptr());
    const std::vector<int64_t> s = int_list(sizes, "split", "split_size_or_sections");
    return tensor_tuple(without_gil([&] { return one ? split(x, s[0], dim) : split_with_sizes(x, s, dim); }));
  };
  const char* split_doc =
      "split(tensor, split_size_or_sections, dim=0) -> tuple of Tensors\n\n"
      "Views of consecutive pieces along dim: of split_size each (the last may be smaller), or of\n"
      "the sizes in a list.\n\n"
      "Example::\n\n"
      "    >>> wick.arange(5).split(2)\n"
      "    (tensor([0, 1]), tensor([2, 3]), tensor([4]))";
  m.def("split", split_, py::arg("tensor"), py::arg("split_size_or_sections"), py::arg("dim") = 0, split_doc);
  cls.def("split", split_, py::arg("split_size"), py::arg("dim") = 0, split_doc);
  auto chunk_ = [](const Tensor& x, int64_t chunks, int64_t dim) {
    return tensor_tuple(without_gil([&] { return chunk(x, chunks, dim); }));
  };
  const char* chunk_doc =
      "chunk(input, chunks, dim=0) -> tuple of Tensors\n\n"
      "At most `chunks` views of equal size along dim (the last may be smaller).\n\n"
      "Example::\n\n"
      "    >>> wick.arange(5).chunk(2)\n"
      "    (tensor([0, 1, 2]), tensor([3, 4]))";
  m.def("chunk", chunk_, py::arg("input"), py::arg("chunks"), py::arg("dim") = 0, chunk_doc);
  cls.def("chunk", chunk_, py::arg("chunks"), py::arg("dim") = 0, chunk_doc);
  auto unbind_ = [](const Tensor& x, int64_t dim) { return tensor_tuple(without_gil([&] { return unbind(x, dim); })); };
  const char* unbind_doc =
      "unbind(input, dim=0) -> tuple of Tensors\n\n"
      "The views x.select(dim, i) for every index i of dim.\n\n"
      "Example::\n\n"
      "    >>> wick.arange(6).view(2, 3).unbind(1)\n"
      "    (tensor([0, 3]), tensor([1, 4]), tensor([2, 5]))";
  m.def("unbind", unbind_, py::arg("input"), py::arg("dim") = 0, unbind_doc);
  cls.def("unbind", unbind_, py::arg("dim") = 0, unbind_doc);

  def_function_and_method(
      m, cls, "index_select",
      [](const Tensor& x, int64_t dim, const Tensor& index) { return index_select(x, dim, index); }, py::arg("dim"),
      py::arg("index"),
      "index_select(input, dim, index) -> Tensor\n\n"
      "The entries of input at the positions `index` (a 1-D int64 or int32 tensor) along dim, as a\n"
      "new tensor; positions may repeat.\n\n"
      "Example::\n\n"
      "    >>> wick.tensor([[1, 2], [3, 4]]).index_select(0, wick.tensor([1, 1]))\n"
      "    tensor([[3, 4],\n"
      "            [3, 4]])");
  def_function_and_method(
      m, cls, "gather", [](const Tensor& x, int64_t dim, const Tensor& index) { return gather(x, dim, index); },
      py::arg("dim"), py::arg("index"),
      "gather(input, dim, index) -> Tensor\n\n"
      "out[i][j] = input[index[i][j]][j] for dim 0, input[i][index[i][j]] for dim 1 (and so on):\n"
      "the result has index's shape.\n\n"
      "Example::\n\n"
      "    >>> wick.tensor([[1, 2], [3, 4]]).gather(1, wick.tensor([[1], [0]]))\n"
      "    tensor([[2],\n"
      "            [3]])");
  def_function_and_method(
      m, cls, "scatter",
      [](const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src, const std::optional<std::string>& reduce) {
        return scatter(x, dim, index, src, as_view(reduce));
      },
      py::arg("dim"), py::arg("index"), py::arg("src"), py::kw_only(), py::arg("reduce") = py::none(),
      "scatter(input, dim, index, src, *, reduce=None) or scatter(input, dim, index, value, *, reduce=None) -> Tensor\n\n"
      "A copy of input with src's entries (or value) written at the positions index gives along dim:\n"
      "the reverse of gather. Where index repeats a position, one of the writes wins. With\n"
      "reduce='add' or 'multiply' each entry is added to (multiplied into) what is there instead.\n\n"
      "Example::\n\n"
      "    >>> wick.zeros(2, 3).scatter(1, wick.tensor([[2], [0]]), 5.0)\n"
      "    tensor([[0., 0., 5.],\n"
      "            [5., 0., 0.]])");
  def_function_and_method(
      m, cls, "scatter",
      [](const Tensor& x, int64_t dim, const Tensor& index, Scalar value, const std::optional<std::string>& reduce) {
        return scatter(x, dim, index, value, as_view(reduce));
      },
      py::arg("dim"), py::arg("index"), py::arg("value"), py::kw_only(), py::arg("reduce") = py::none());
  def_function_and_method(
      m, cls, "scatter_add",
      [](const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
        return scatter_add(x, dim, index, src);
      },
      py::arg("dim"), py::arg("index"), py::arg("src"),
      "scatter_add(input, dim, index, src) -> Tensor\n\n"
      "A copy of input with src's entries added at the positions index gives along dim; repeated\n"
      "positions add up.\n\n"
      "Example::\n\n"
      "    >>> wick.zeros(3).scatter_add(0, wick.tensor([0, 0, 2]), wick.tensor([1.0, 2.0, 3.0]))\n"
      "    tensor([3., 0., 3.])");
  cls.def("scatter_",
          inplace<int64_t, const Tensor&, const Tensor&, const std::optional<std::string>&>(
              [](const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src,
                 const std::optional<std::string>& reduce) { scatter_(x, dim, index, src, as_view(reduce)); }),
          py::arg("dim"), py::arg("index"), py::arg("src"), py::kw_only(), py::arg("reduce") = py::none(),
          "scatter_(dim, index, src, *, reduce=None) or scatter_(dim, index, value, *, reduce=None) -> Tensor\n\n"
          "In-place scatter; returns this tensor.");
  cls.def("scatter_",
          inplace<int64_t, const Tensor&, Scalar, const std::optional<std::string>&>(
              [](const Tensor& x, int64_t dim, const Tensor& index, Scalar value,
                 const std::optional<std::string>& reduce) { scatter_(x, dim, index, value, as_view(reduce)); }),
          py::arg("dim"), py::arg("index"), py::arg("value"), py::kw_only(), py::arg("reduce") = py::none());
  cls.def("scatter_add_",
          inplace<int64_t, const Tensor&, const Tensor&>([](const Tensor& x, int64_t dim, const Tensor& index,
                                                            const Tensor& src) { scatter_add_(x, dim, index, src); }),
          py::arg("dim"), py::arg("index"), py::arg("src"),
          "scatter_add_(dim, index, src) -> Tensor\n\nIn-place scatter_add; returns this tensor.");
  def_function_and_method(
      m, cls, "index_add",
      [](const Tensor& x, int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha) {
        return index_add(x, dim, index, source, alpha);
      },
      py::arg("dim"), py::arg("index"), py::arg("source"), py::kw_only(), py::arg("alpha") = 1,
      "index_add(input, dim, index, source, *, alpha=1) -> Tensor\n\n"
      "A copy of input where alpha times source's slice i along dim is added to the slice index[i];\n"
      "repeated indices add up.\n\n"
      "Example::\n\n"
      "    >>> wick.zeros(3).index_add(0, wick.tensor([0, 0, 2]), wick.tensor([1.0, 2.0, 3.0]))\n"
      "    tensor([3., 0., 3.])");
  def_function_and_method(
      m, cls, "masked_select", [](const Tensor& x, const Tensor& mask) { return masked_select(x, mask); },
      py::arg("mask"),
      "masked_select(input, mask) -> Tensor\n\n"
      "The elements of input where mask (a bool tensor broadcastable with it) is True, as a 1-D tensor.\n\n"
      "Example::\n\n"
      "    >>> wick.masked_select(wick.tensor([1, 2, 3]), wick.tensor([True, False, True]))\n"
      "    tensor([1, 3])");

  // Used by wick.nn.functional.
  m.def("one_hot", &one_hot, py::arg("input"), py::arg("num_classes") = -1, py::call_guard<py::gil_scoped_release>(),
        "one_hot(input, num_classes=-1) -> Tensor\n\n"
        "For an int64 tensor of class indices, an int64 tensor with one more dim of size num_classes\n"
        "(default: the largest index + 1) holding 1 at each index and 0 elsewhere.\n\n"
        "Example::\n\n"
        "    >>> wick.one_hot(wick.tensor([0, 2]), 3)\n"
        "    tensor([[1, 0, 0],\n"
        "            [0, 0, 1]])");
  m.def(
      "embedding",
      [](const Tensor& weight, const Tensor& indices, std::optional<int64_t> padding_idx) {
        return embedding(weight, indices, padding_idx.value_or(-1));
      },
      py::arg("weight"), py::arg("input"), py::arg("padding_idx") = py::none(), py::call_guard<py::gil_scoped_release>(),
      "embedding(weight, input, padding_idx=None) -> Tensor\n\n"
      "The rows of weight (num_embeddings x dim) at the indices in input (an integer tensor): the\n"
      "result has shape input.shape + (dim,). The row padding_idx gets no gradient.\n\n"
      "Example::\n\n"
      "    >>> wick.embedding(wick.tensor([[0.0, 1.0], [2.0, 3.0]]), wick.tensor([1, 0]))\n"
      "    tensor([[2., 3.],\n"
      "            [0., 1.]])");
}

}  // namespace wick::python
