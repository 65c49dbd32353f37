// Views and shape ops (ops/view.h) as functions and Tensor methods. Shapes
// and dim lists are accepted as separate ints, x.view(2, 3), or as one
// sequence, x.view((2, 3)), as in PyTorch.
#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

// A method taking a shape as *args (view, reshape, expand, permute) and the
// function form taking it as one argument (wick.reshape(x, shape)).
template <typename F>
void def_shape_op(py::module_* m, TensorClass& cls, const char* name, const char* arg, F f, const char* doc) {
  cls.def(
      name,
      [f, name](const Tensor& x, const py::args& shape) {
        const std::vector<int64_t> sizes = sizes_from_args(shape, name);
        return without_gil([&] { return f(x, sizes); });
      },
      doc);
  if (m) {
    m->def(
        name,
        [f, name, arg](const Tensor& x, py::handle shape) {
          const std::vector<int64_t> sizes = int_list(shape, name, arg);
          return without_gil([&] { return f(x, sizes); });
        },
        py::arg("input"), py::arg(arg), doc);
  }
}

}  // namespace

void init_view(py::module_& m, TensorClass& cls) {
  def_shape_op(nullptr, cls, "view", "size", [](const Tensor& x, IntArrayRef s) { return view(x, s); },
               "view(*shape) -> Tensor\n\n"
               "The same data seen with another shape (no copy; writes through either are seen by both).\n"
               "One size may be -1, inferred from the others. The strides must allow it (a transposed\n"
               "tensor usually needs contiguous() or reshape instead).\n\n"
               "Example::\n\n"
               "    >>> wick.arange(6).view(2, 3)\n"
               "    tensor([[0, 1, 2],\n"
               "            [3, 4, 5]])\n"
               "    >>> images = wick.zeros(64, 1, 28, 28)\n"
               "    >>> images.view(-1, 28 * 28).shape   # flatten a batch of 28x28 images\n"
               "    wick.Size([64, 784])");
  def_shape_op(&m, cls, "reshape", "shape", [](const Tensor& x, IntArrayRef s) { return reshape(x, s); },
               "reshape(input, shape) -> Tensor  (method: x.reshape(*shape))\n\n"
               "input with another shape: a view when the strides allow it, else a copy. One size may be -1.\n\n"
               "Example::\n\n"
               "    >>> wick.arange(6).reshape(3, -1).shape\n"
               "    wick.Size([3, 2])");
  def_shape_op(nullptr, cls, "expand", "size", [](const Tensor& x, IntArrayRef s) { return expand(x, s); },
               "expand(*sizes) -> Tensor\n\n"
               "A view repeating dims of size 1 to the given sizes (stride 0, no copy); -1 keeps a size, and\n"
               "new leading dims may be added.\n\n"
               "Example::\n\n"
               "    >>> wick.tensor([[1], [2]]).expand(2, 3)\n"
               "    tensor([[1, 1, 1],\n"
               "            [2, 2, 2]])");
  def_shape_op(&m, cls, "permute", "dims", [](const Tensor& x, IntArrayRef s) { return permute(x, s); },
               "permute(input, dims) -> Tensor  (method: x.permute(*dims))\n\n"
               "A view with the dims reordered: dim i of the result is dim dims[i] of input.\n\n"
               "Example::\n\n"
               "    >>> wick.zeros(2, 3, 4).permute(2, 0, 1).shape\n"
               "    wick.Size([4, 2, 3])");
  cls.def("view_as", [](const Tensor& x, const Tensor& other) { return view(x, other.sizes()); }, py::arg("other"),
          py::call_guard<py::gil_scoped_release>(), "view_as(other) -> Tensor\n\nself.view(other.shape).")
      .def("reshape_as", [](const Tensor& x, const Tensor& other) { return reshape(x, other.sizes()); },
           py::arg("other"), py::call_guard<py::gil_scoped_release>(),
           "reshape_as(other) -> Tensor\n\nself.reshape(other.shape).")
      .def("expand_as", [](const Tensor& x, const Tensor& other) { return x.expand_as(other); }, py::arg("other"),
           py::call_guard<py::gil_scoped_release>(), "expand_as(other) -> Tensor\n\nself.expand(other.shape).");

  for (const char* name : {"transpose", "swapaxes", "swapdims"}) {
    const std::string doc = std::string(name) +
                            "(input, dim0, dim1) -> Tensor\n\n"
                            "A view with dims dim0 and dim1 swapped (no copy).\n\n"
                            "Example::\n\n"
                            "    >>> wick.zeros(2, 3, 4)." + name + "(0, 2).shape\n"
                            "    wick.Size([4, 3, 2])";
    def_function_and_method(
        m, cls, name, [](const Tensor& x, int64_t dim0, int64_t dim1) { return transpose(x, dim0, dim1); },
        py::arg("dim0"), py::arg("dim1"), doc.c_str());
  }
  def_function_and_method(m, cls, "t", [](const Tensor& x) { return t(x); },
                          "t(input) -> Tensor\n\n"
                          "The transpose of a matrix (a view); a 0-D or 1-D tensor is returned as it is.\n\n"
                          "Example::\n\n"
                          "    >>> wick.tensor([[1, 2]]).t()\n"
                          "    tensor([[1],\n"
                          "            [2]])");
  // x.T reverses all dims; x.mT transposes the last two.
  cls.def_property_readonly(
      "T",
      [](const Tensor& x) {
        std::vector<int64_t> dims(static_cast<size_t>(x.dim()));
        for (int64_t d = 0; d < x.dim(); ++d) dims[static_cast<size_t>(d)] = x.dim() - 1 - d;
        return without_gil([&] { return permute(x, dims); });
      },
      "A view with all dims in reverse order (the transpose of a matrix).");
  cls.def_property_readonly(
      "mT",
      [](const Tensor& x) {
        WICK_CHECK(x.dim() >= 2, ValueError, "tensor.mT is only supported on matrices or batches of matrices. Got ",
                   x.dim(), "-D tensor.");
        return without_gil([&] { return transpose(x, -2, -1); });
      },
      "A view with the last two dims swapped (the transpose of each matrix in a batch).");

  def_function_and_method(
      m, cls, "squeeze",
      [](const Tensor& x, std::optional<int64_t> dim) { return dim ? squeeze(x, *dim) : squeeze(x); },
      py::arg("dim") = py::none(),
      "squeeze(input, dim=None) -> Tensor\n\n"
      "A view without the dims of size 1 (all of them, or only dim if it has size 1).\n\n"
      "Example::\n\n"
      "    >>> wick.zeros(2, 1, 3).squeeze().shape\n"
      "    wick.Size([2, 3])");
  def_function_and_method(m, cls, "unsqueeze", [](const Tensor& x, int64_t dim) { return unsqueeze(x, dim); },
                          py::arg("dim"),
                          "unsqueeze(input, dim) -> Tensor\n\n"
                          "A view with a new dim of size 1 at position dim (negative dims count from the end\n"
                          "of the result).\n\n"
                          "Example::\n\n"
                          "    >>> wick.tensor([1, 2]).unsqueeze(1)\n"
                          "    tensor([[1],\n"
                          "            [2]])");
  def_function_and_method(
      m, cls, "flatten", [](const Tensor& x, int64_t start, int64_t end) { return flatten(x, start, end); },
      py::arg("start_dim") = 0, py::arg("end_dim") = -1,
      "flatten(input, start_dim=0, end_dim=-1) -> Tensor\n\n"
      "input with dims start_dim..end_dim merged into one (a view when possible).\n\n"
      "Example::\n\n"
      "    >>> wick.zeros(64, 1, 28, 28).flatten(1).shape\n"
      "    wick.Size([64, 784])");
  def_function_and_method(
      m, cls, "unflatten",
      [](const Tensor& x, int64_t dim, const std::vector<int64_t>& sizes) { return unflatten(x, dim, sizes); },
      py::arg("dim"), py::arg("sizes"),
      "unflatten(input, dim, sizes) -> Tensor\n\n"
      "input with dim split into several dims of the given sizes (one may be -1).\n\n"
      "Example::\n\n"
      "    >>> wick.zeros(64, 784).unflatten(1, (28, 28)).shape\n"
      "    wick.Size([64, 28, 28])");
  def_function_and_method(
      m, cls, "narrow",
      [](const Tensor& x, int64_t dim, int64_t start, int64_t length) { return narrow(x, dim, start, length); },
      py::arg("dim"), py::arg("start"), py::arg("length"),
      "narrow(input, dim, start, length) -> Tensor\n\n"
      "A view of the indices start .. start+length-1 of dim (x.narrow(0, 1, 2) is x[1:3]).\n\n"
      "Example::\n\n"
      "    >>> wick.arange(5).narrow(0, 1, 2)\n"
      "    tensor([1, 2])");
  def_function_and_method(
      m, cls, "select", [](const Tensor& x, int64_t dim, int64_t index) { return select(x, dim, index); },
      py::arg("dim"), py::arg("index"),
      "select(input, dim, index) -> Tensor\n\n"
      "A view of one index of dim, which is removed (x.select(1, 0) is x[:, 0]).\n\n"
      "Example::\n\n"
      "    >>> wick.arange(6).view(2, 3).select(1, 0)\n"
      "    tensor([0, 3])");
  def_function_and_method(
      m, cls, "as_strided",
      [](const Tensor& x, const std::vector<int64_t>& size, const std::vector<int64_t>& stride,
         std::optional<int64_t> offset) { return as_strided(x, size, stride, offset); },
      py::arg("size"), py::arg("stride"), py::arg("storage_offset") = py::none(),
      "as_strided(input, size, stride, storage_offset=None) -> Tensor\n\n"
      "A view of input's storage with the given sizes, strides (in elements) and offset; it must\n"
      "stay inside the storage.\n\n"
      "Example::\n\n"
      "    >>> wick.arange(4).as_strided((3, 2), (1, 1))   # sliding windows of 2\n"
      "    tensor([[0, 1],\n"
      "            [1, 2],\n"
      "            [2, 3]])");
  def_function_and_method(m, cls, "contiguous", [](const Tensor& x) { return contiguous(x); },
                          "contiguous(input) -> Tensor\n\n"
                          "input itself when its elements are in row-major order without gaps, else a copy\n"
                          "that is.");
  def_function_and_method(m, cls, "clone", [](const Tensor& x) { return clone(x); },
                          "clone(input) -> Tensor\n\n"
                          "A copy of input with its own memory. Differentiable: the gradient flows back to input.");
  m.def("detach", [](const Tensor& x) { return detach(x); }, py::arg("input"),
        "detach(input) -> Tensor\n\n"
        "A tensor sharing input's data but cut from the graph: it does not require grad.");

  def_function_and_method(
      m, cls, "diagonal",
      [](const Tensor& x, int64_t offset, int64_t dim1, int64_t dim2) { return diagonal(x, offset, dim1, dim2); },
      py::arg("offset") = 0, py::arg("dim1") = 0, py::arg("dim2") = 1,
      "diagonal(input, offset=0, dim1=0, dim2=1) -> Tensor\n\n"
      "The diagonal of each (dim1, dim2) plane, as a view in a last dim; offset > 0 goes above the main\n"
      "diagonal, offset < 0 below.\n\n"
      "Example::\n\n"
      "    >>> wick.arange(9).view(3, 3).diagonal(1)\n"
      "    tensor([1, 5])");
  def_function_and_method(
      m, cls, "trace", [](const Tensor& x) { return trace(x); },
      "trace(input) -> Tensor\n\n"
      "The sum of a matrix's diagonal.\n\n"
      "Example::\n\n"
      "    >>> wick.arange(9.0).view(3, 3).trace()\n"
      "    tensor(12.)");
  for (const auto& [name, lower] : {std::pair<const char*, bool>{"tril", true}, {"triu", false}}) {
    const bool low = lower;
    const std::string doc = std::string(name) + "(input, diagonal=0) -> Tensor\n\nThe " +
                            (low ? "lower" : "upper") + " triangle of each matrix of the last two dims, the rest "
                            "zero: the elements with column - row " + (low ? "<=" : ">=") +
                            " diagonal.\n\nExample::\n\n    >>> wick." + name + "(wick.ones(2, 3))\n    " +
                            (low ? "tensor([[1., 0., 0.],\n            [1., 1., 0.]])"
                                 : "tensor([[1., 1., 1.],\n            [0., 1., 1.]])");
    def_function_and_method(
        m, cls, name,
        [low](const Tensor& x, int64_t diag) { return low ? tril(x, diag) : triu(x, diag); },
        py::arg("diagonal") = 0, doc.c_str());
    const std::string inplace_name = std::string(name) + "_";
    cls.def(inplace_name.c_str(),
            inplace<int64_t>([low, inplace_name](const Tensor& x, int64_t diag) {
              inplace_apply(x, inplace_name.c_str(),
                            [&](const Tensor& t) { return low ? tril(t, diag) : triu(t, diag); });
            }),
            py::arg("diagonal") = 0, ("In-place " + std::string(name) + "; returns this tensor.").c_str());
  }
  m.def(
      "flip",
      [](const Tensor& x, py::handle dims) {
        const std::vector<int64_t> ds = int_list(dims, "flip", "dims");
        return without_gil([&] { return flip(x, ds); });
      },
      py::arg("input"), py::arg("dims"),
      "flip(input, dims) -> Tensor  (method: x.flip(*dims))\n\n"
      "A copy of input with the order of its elements reversed along each of dims.\n\n"
      "Example::\n\n"
      "    >>> wick.flip(wick.arange(4).view(2, 2), [0, 1])\n"
      "    tensor([[3, 2],\n"
      "            [1, 0]])");
  cls.def(
      "flip",
      [](const Tensor& x, const py::args& dims) {
        const std::vector<int64_t> ds = sizes_from_args(dims, "flip");
        return without_gil([&] { return flip(x, ds); });
      },
      "flip(*dims) -> Tensor\n\nSee wick.flip.");
  // (Bound without def_function_and_method: reading the Python arguments needs the GIL.)
  const auto roll_fn = [](const Tensor& x, py::handle shifts, py::handle dims) {
    const std::vector<int64_t> s = int_list(shifts, "roll", "shifts");
    const std::vector<int64_t> d = dims.is_none() ? std::vector<int64_t>{} : int_list(dims, "roll", "dims");
    return without_gil([&] { return roll(x, s, d); });
  };
  const char* roll_doc =
      "roll(input, shifts, dims=None) -> Tensor\n\n"
      "input with its elements shifted cyclically by shifts along dims (an int or a tuple each); without\n"
      "dims, the flattened tensor is shifted and takes its shape back.\n\n"
      "Example::\n\n"
      "    >>> wick.roll(wick.arange(5), 2)\n"
      "    tensor([3, 4, 0, 1, 2])";
  m.def("roll", roll_fn, py::arg("input"), py::arg("shifts"), py::arg("dims") = py::none(), roll_doc);
  cls.def("roll", roll_fn, py::arg("shifts"), py::arg("dims") = py::none(), roll_doc);

  // In-place views (Note [In-place view ops] in ops/view.h): self takes the view's geometry.
  cls.def("squeeze_",
          inplace<std::optional<int64_t>>([](const Tensor& x, std::optional<int64_t> dim) {
            inplace_view(x, "squeeze_", [&](const Tensor& t) { return dim ? squeeze(t, *dim) : squeeze(t); });
          }),
          py::arg("dim") = py::none(),
          "squeeze_(dim=None) -> Tensor\n\n"
          "In-place squeeze: this tensor loses its dims of size 1 (all of them, or only dim); returns it.\n\n"
          "Example::\n\n"
          "    >>> wick.zeros(2, 1, 3).squeeze_().shape\n"
          "    wick.Size([2, 3])")
      .def("unsqueeze_",
           inplace<int64_t>([](const Tensor& x, int64_t dim) {
             inplace_view(x, "unsqueeze_", [&](const Tensor& t) { return unsqueeze(t, dim); });
           }),
           py::arg("dim"), "unsqueeze_(dim) -> Tensor\n\nIn-place unsqueeze: a dim of size 1 is added at dim.")
      .def("t_", inplace<>([](const Tensor& x) { inplace_view(x, "t_", [](const Tensor& t) { return wick::t(t); }); }),
           "t_() -> Tensor\n\nIn-place t (0-, 1- or 2-D tensors): this tensor becomes its transpose.");
  for (const char* name : {"transpose_", "swapaxes_", "swapdims_"}) {
    const std::string op = name;
    cls.def(name,
            inplace<int64_t, int64_t>([op](const Tensor& x, int64_t dim0, int64_t dim1) {
              inplace_view(x, op.c_str(), [&](const Tensor& t) { return transpose(t, dim0, dim1); });
            }),
            py::arg("dim0"), py::arg("dim1"),
            (op + "(dim0, dim1) -> Tensor\n\nIn-place transpose: dims dim0 and dim1 of this tensor swap.").c_str());
  }
  cls.def("as_strided_",
          inplace<std::vector<int64_t>, std::vector<int64_t>, std::optional<int64_t>>(
              [](const Tensor& x, const std::vector<int64_t>& size, const std::vector<int64_t>& stride,
                 std::optional<int64_t> offset) {
                inplace_view(x, "as_strided_", [&](const Tensor& t) { return as_strided(t, size, stride, offset); });
              }),
          py::arg("size"), py::arg("stride"), py::arg("storage_offset") = py::none(),
          "as_strided_(size, stride, storage_offset=None) -> Tensor\n\n"
          "In-place as_strided: this tensor reads its storage with the given geometry; returns it.\n\n"
          "Example::\n\n"
          "    >>> x = wick.arange(6.0)\n"
          "    >>> x.as_strided_((2, 2), (1, 2), 1)\n"
          "    tensor([[1., 3.],\n"
          "            [2., 4.]])");
  cls.def(
      "set_",
      [](TensorObject self, std::optional<Tensor> source, std::optional<int64_t> offset,
         std::optional<std::vector<int64_t>> size, std::optional<std::vector<int64_t>> stride) -> py::object {
        const Tensor& t = self.tensor();
        if (!source) {
          WICK_CHECK(!offset && !size && !stride, ValueError,
                     "set_: storage_offset, size and stride need a source tensor");
          without_gil([&] { set_(t); });
        } else if (!size) {
          WICK_CHECK(!stride && (!offset || *offset == source->storage_offset()), ValueError,
                     "set_: give size (and stride) with a storage_offset");
          without_gil([&] { set_(t, *source); });
        } else {
          without_gil([&] {
            set_(t, *source, offset.value_or(0), *size, stride.value_or(std::vector<int64_t>{}));
          });
        }
        return self.object;
      },
      py::arg("source") = py::none(), py::arg("storage_offset") = py::none(), py::arg("size") = py::none(),
      py::arg("stride") = py::none(),
      "set_(source=None, storage_offset=0, size=None, stride=None) -> Tensor\n\n"
      "This tensor reads source's storage: with source's geometry, or with size and stride (contiguous\n"
      "when omitted) from storage_offset, which must lie inside source's storage. Without a source it\n"
      "becomes an empty tensor with storage of its own. dtype and device must match; not differentiable\n"
      "(call it under no_grad() when a tensor requires grad). Returns this tensor.\n\n"
      "Example::\n\n"
      "    >>> a = wick.arange(4.0)\n"
      "    >>> b = wick.empty(0).set_(a, 1, (2,), (2,))\n"
      "    >>> b\n"
      "    tensor([1., 3.])\n"
      "    >>> b.set_(a).is_set_to(a)\n"
      "    True");
  cls.def("is_set_to", [](const Tensor& x, const Tensor& other) { return is_set_to(x, other); }, py::arg("tensor"),
          "is_set_to(tensor) -> bool\n\n"
          "True when this tensor reads the same storage as tensor with the same storage offset, sizes and\n"
          "strides (tensor.set_(x) makes it so).");
  cls.def(
      "sum_to_size",
      [](const Tensor& x, const py::args& sizes) {
        const std::vector<int64_t> shape = sizes_from_args(sizes, "sum_to_size");
        return without_gil([&] { return x.sum_to_size(shape); });
      },
      "sum_to_size(*size) -> Tensor\n\n"
      "Sums this tensor down to size, which must broadcast to its shape: the dims broadcasting would add\n"
      "are summed away and those it would stretch from 1 are summed keeping a 1 (the gradient of expand).\n\n"
      "Example::\n\n"
      "    >>> wick.ones(2, 3).sum_to_size(1, 3)\n"
      "    tensor([[2., 2., 2.]])");
}

}  // namespace wick::python
