// Shape-building ops of ops/rearrange.h (repeat, tile, repeat_interleave,
// diag and kin, movedim, rot90, diff, block_diag, cartesian_prod, meshgrid,
// atleast_*d, the *stack family, tril/triu_indices) and the pointwise
// compositions of ops/elementwise.h (isclose, lerp, addcmul, addcdiv,
// nan_to_num), as functions and methods.
#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

// Tensors given as separate arguments, f(a, b), or as one sequence, f([a, b]).
TensorList tensors_from_args(const py::args& args, const char* op) {
  if (args.size() == 1 && !is_tensor(args[0])) return args[0].cast<TensorList>();
  TensorList out;
  for (const py::handle a : args) {
    WICK_CHECK(is_tensor(a), TypeError, op, "(): expected Tensors as arguments, got ", py::str(a.get_type()).cast<std::string>());
    out.push_back(a.cast<Tensor>());
  }
  return out;
}

}  // namespace

void init_shape(py::module_& m, TensorClass& cls) {
  // ---- repeat, tile, repeat_interleave ----
  cls.def(
      "repeat",
      [](const Tensor& x, const py::args& sizes) {
        const std::vector<int64_t> reps = sizes_from_args(sizes, "repeat");
        return without_gil([&] { return repeat(x, reps); });
      },
      "repeat(*repeats) -> Tensor\n\n"
      "A copy of this tensor repeated repeats[i] times along dim i; more repeats than dims add leading dims.\n\n"
      "Example::\n\n"
      "    >>> wick.tensor([1, 2]).repeat(2, 2)\n"
      "    tensor([[1, 2, 1, 2],\n"
      "            [1, 2, 1, 2]])");
  const auto tile_fn = [](const Tensor& x, py::handle dims) {
    const std::vector<int64_t> ds = int_list(dims, "tile", "dims");
    return without_gil([&] { return tile(x, ds); });
  };
  const char* tile_doc =
      "tile(input, dims) -> Tensor\n\n"
      "input repeated dims[i] times along dim i; dims shorter than input's are padded with leading 1s.\n\n"
      "Example::\n\n"
      "    >>> wick.tile(wick.tensor([[1, 2]]), (2,))\n"
      "    tensor([[1, 2, 1, 2]])";
  m.def("tile", tile_fn, py::arg("input"), py::arg("dims"), tile_doc);
  cls.def(
      "tile",
      [](const Tensor& x, const py::args& dims) {
        const std::vector<int64_t> ds = sizes_from_args(dims, "tile");
        return without_gil([&] { return tile(x, ds); });
      },
      tile_doc);
  const auto interleave = [](const Tensor& x, py::handle repeats, std::optional<int64_t> dim) {
    if (is_tensor(repeats)) {
      const Tensor r = repeats.cast<Tensor>();
      return without_gil([&] { return repeat_interleave(x, r, dim); });
    }
    const int64_t r = int_from(repeats, "repeat_interleave", "repeats");
    return without_gil([&] { return repeat_interleave(x, r, dim); });
  };
  const char* interleave_doc =
      "repeat_interleave(input, repeats, dim=None, *, output_size=None) -> Tensor\n"
      "repeat_interleave(repeats) -> Tensor\n\n"
      "Each element repeated `repeats` times (an int, or a tensor with one count per element) along dim;\n"
      "without dim, of the flattened input. With only a tensor of counts: arange(n) repeated by them.\n\n"
      "Example::\n\n"
      "    >>> wick.repeat_interleave(wick.tensor([1, 2]), 2)\n"
      "    tensor([1, 1, 2, 2])\n"
      "    >>> wick.repeat_interleave(wick.tensor([2, 0, 1]))\n"
      "    tensor([0, 0, 2])";
  m.def(
      "repeat_interleave",
      [interleave](const Tensor& x, py::object repeats, std::optional<int64_t> dim, py::object) -> Tensor {
        if (repeats.is_none()) return without_gil([&] { return repeat_interleave(x); });
        return interleave(x, repeats, dim);
      },
      py::arg("input"), py::arg("repeats") = py::none(), py::arg("dim") = py::none(), py::kw_only(),
      py::arg("output_size") = py::none(), interleave_doc);
  cls.def(
      "repeat_interleave",
      [interleave](const Tensor& x, py::handle repeats, std::optional<int64_t> dim, py::object) {
        return interleave(x, repeats, dim);
      },
      py::arg("repeats"), py::arg("dim") = py::none(), py::kw_only(), py::arg("output_size") = py::none(),
      interleave_doc);

  // ---- diag, diag_embed, diagflat ----
  def_function_and_method(m, cls, "diag", [](const Tensor& x, int64_t d) { return diag(x, d); },
                          py::arg("diagonal") = 0,
                          "diag(input, diagonal=0) -> Tensor\n\n"
                          "A 1-D input placed on a diagonal of a square matrix (diagonal > 0 above the main one), or\n"
                          "a 2-D input's diagonal as a new 1-D tensor.\n\n"
                          "Example::\n\n"
                          "    >>> wick.diag(wick.tensor([1, 2]))\n"
                          "    tensor([[1, 0],\n"
                          "            [0, 2]])");
  def_function_and_method(
      m, cls, "diag_embed",
      [](const Tensor& x, int64_t offset, int64_t d1, int64_t d2) { return diag_embed(x, offset, d1, d2); },
      py::arg("offset") = 0, py::arg("dim1") = -2, py::arg("dim2") = -1,
      "diag_embed(input, offset=0, dim1=-2, dim2=-1) -> Tensor\n\n"
      "The last dim of input placed on the diagonals of new (dim1, dim2) planes, zeros elsewhere.");
  def_function_and_method(m, cls, "diagflat", [](const Tensor& x, int64_t offset) { return diagflat(x, offset); },
                          py::arg("offset") = 0,
                          "diagflat(input, offset=0) -> Tensor\n\ndiag of the flattened input.");

  // ---- movedim, rot90, fliplr, flipud, diff ----
  for (const char* name : {"movedim", "moveaxis"}) {
    const char* op = name;
    const auto f = [op](const Tensor& x, py::handle source, py::handle destination) {
      const std::vector<int64_t> s = int_list(source, op, "source"), d = int_list(destination, op, "destination");
      return without_gil([&] { return movedim(x, s, d); });
    };
    const char* doc =
        "movedim(input, source, destination) -> Tensor\n\n"
        "A view with the dims `source` (an int or a tuple) moved to the positions `destination`; the other\n"
        "dims keep their order.\n\n"
        "Example::\n\n"
        "    >>> wick.zeros(2, 3, 4).movedim(0, -1).shape\n"
        "    wick.Size([3, 4, 2])";
    m.def(name, f, py::arg("input"), py::arg("source"), py::arg("destination"), doc);
    cls.def(name, f, py::arg("source"), py::arg("destination"), doc);
  }
  const auto rot90_fn = [](const Tensor& x, int64_t k, py::handle dims) {
    const std::vector<int64_t> ds = int_list(dims, "rot90", "dims");
    return without_gil([&] { return rot90(x, k, ds); });
  };
  const char* rot90_doc =
      "rot90(input, k=1, dims=(0, 1)) -> Tensor\n\n"
      "input rotated by 90 degrees k times in the plane of dims, from the first dim towards the second.\n\n"
      "Example::\n\n"
      "    >>> wick.rot90(wick.tensor([[1, 2], [3, 4]]))\n"
      "    tensor([[2, 4],\n"
      "            [1, 3]])";
  m.def("rot90", rot90_fn, py::arg("input"), py::arg("k") = 1, py::arg("dims") = py::make_tuple(0, 1), rot90_doc);
  cls.def("rot90", rot90_fn, py::arg("k") = 1, py::arg("dims") = py::make_tuple(0, 1), rot90_doc);
  def_function_and_method(m, cls, "fliplr", [](const Tensor& x) { return fliplr(x); },
                          "fliplr(input) -> Tensor\n\ninput with its columns (dim 1) in reverse order.");
  def_function_and_method(m, cls, "flipud", [](const Tensor& x) { return flipud(x); },
                          "flipud(input) -> Tensor\n\ninput with its rows (dim 0) in reverse order.");
  def_function_and_method(
      m, cls, "diff",
      [](const Tensor& x, int64_t n, int64_t dim, std::optional<Tensor> prepend, std::optional<Tensor> append) {
        return diff(x, n, dim, prepend.value_or(Tensor()), append.value_or(Tensor()));
      },
      py::arg("n") = 1, py::arg("dim") = -1, py::arg("prepend") = py::none(), py::arg("append") = py::none(),
      "diff(input, n=1, dim=-1, prepend=None, append=None) -> Tensor\n\n"
      "The n-th forward difference along dim (out[i] = input[i + 1] - input[i], n times), with prepend and\n"
      "append joined to input first. Bool inputs give !=.\n\n"
      "Example::\n\n"
      "    >>> wick.diff(wick.tensor([1, 3, 6, 10]))\n"
      "    tensor([2, 3, 4])");

  // ---- block_diag, cartesian_prod, meshgrid, atleast_*d, stacks ----
  m.def(
      "block_diag",
      [](const py::args& args) {
        const TensorList ts = tensors_from_args(args, "block_diag");
        return without_gil([&] { return block_diag(ts); });
      },
      "block_diag(*tensors) -> Tensor\n\n"
      "The tensors (0-dim: 1x1, 1-D: one row, 2-D) as the blocks of a block diagonal matrix.\n\n"
      "Example::\n\n"
      "    >>> wick.block_diag(wick.tensor([[1, 2]]), wick.tensor(3))\n"
      "    tensor([[1, 2, 0],\n"
      "            [0, 0, 3]])");
  m.def(
      "cartesian_prod",
      [](const py::args& args) {
        const TensorList ts = tensors_from_args(args, "cartesian_prod");
        return without_gil([&] { return cartesian_prod(ts); });
      },
      "cartesian_prod(*tensors) -> Tensor\n\n"
      "Every combination of the 1-D tensors' elements, one per row (itertools.product's order).\n\n"
      "Example::\n\n"
      "    >>> wick.cartesian_prod(wick.tensor([1, 2]), wick.tensor([3, 4]))\n"
      "    tensor([[1, 3],\n"
      "            [1, 4],\n"
      "            [2, 3],\n"
      "            [2, 4]])");
  m.def(
      "meshgrid",
      [](const py::args& args, const std::string& indexing) {
        const TensorList ts = tensors_from_args(args, "meshgrid");
        return tensor_tuple(without_gil([&] { return meshgrid(ts, indexing); }));
      },
      py::kw_only(), py::arg("indexing") = "ij",
      "meshgrid(*tensors, indexing='ij') -> tuple of Tensors\n\n"
      "Each 0- or 1-D tensor expanded over the grid of all their sizes (views). indexing='xy' swaps the\n"
      "first two dims (the first tensor varies along columns), as numpy.meshgrid.\n\n"
      "Example::\n\n"
      "    >>> y, x = wick.meshgrid(wick.tensor([0, 1]), wick.tensor([5, 6, 7]), indexing='ij')\n"
      "    >>> x\n"
      "    tensor([[5, 6, 7],\n"
      "            [5, 6, 7]])");
  for (const auto& [name, fn] : {std::pair<const char*, Tensor (*)(const Tensor&)>{"atleast_1d", &atleast_1d},
                                 {"atleast_2d", &atleast_2d},
                                 {"atleast_3d", &atleast_3d}}) {
    const auto f = fn;
    const char* op = name;
    m.def(
        name,
        [f, op](const py::args& args) -> py::object {
          const bool single = args.size() == 1 && is_tensor(args[0]);
          const TensorList ts = tensors_from_args(args, op);
          TensorList out;
          for (const Tensor& t : ts) out.push_back(f(t));
          if (single) return py::cast(out[0]);
          return tensor_tuple(out);
        },
        (std::string(name) + "(*tensors) -> Tensor or tuple of Tensors\n\nEach tensor as a view with at least " +
         name[8] + " dims (new dims of size 1, placed as numpy's " + name + " places them).")
            .c_str());
  }
  for (const auto& [name, fn] : {std::pair<const char*, Tensor (*)(const TensorList&)>{"hstack", &hstack},
                                 {"vstack", &vstack},
                                 {"row_stack", &vstack},
                                 {"dstack", &dstack},
                                 {"column_stack", &column_stack}}) {
    const auto f = fn;
    const std::string doc =
        std::string(name) + "(tensors) -> Tensor\n\nThe tensors joined " +
        (std::string(name) == "hstack"         ? "along their columns (dim 1; 1-D tensors along dim 0)"
         : std::string(name) == "dstack"       ? "along dim 2 (after atleast_3d)"
         : std::string(name) == "column_stack" ? "as columns (0-D and 1-D tensors become columns)"
                                               : "along their rows (dim 0, after atleast_2d)") +
        ".";
    m.def(name, [f](const TensorList& ts) { return f(ts); }, py::arg("tensors"),
          py::call_guard<py::gil_scoped_release>(), doc.c_str());
  }
  for (const auto& [name, lower] : {std::pair{"tril_indices", true}, std::pair{"triu_indices", false}}) {
    const bool low = lower;
    m.def(
        name,
        [low](int64_t row, int64_t col, int64_t offset, std::optional<ScalarType> dtype,
              std::optional<Device> device) {
          const TensorOptions options = TensorOptions(dtype.value_or(ScalarType::Int64)).device(device.value_or(kCPU));
          return low ? tril_indices(row, col, offset, options) : triu_indices(row, col, offset, options);
        },
        py::arg("row"), py::arg("col"), py::arg("offset") = 0, py::kw_only(), py::arg("dtype") = py::none(),
        py::arg("device") = py::none(),
        (std::string(name) + "(row, col, offset=0, *, dtype=wick.int64, device=None) -> Tensor\n\n"
         "The [2, N] row and column coordinates of the " + (low ? "lower" : "upper") +
         " triangle of a row x col matrix (the elements with\ncolumn - row " + (low ? "<=" : ">=") +
         " offset), row by row.\n\nExample::\n\n    >>> wick." + name + "(2, 2)\n    " +
         (low ? "tensor([[0, 1, 1],\n            [0, 0, 1]])" : "tensor([[0, 0, 1],\n            [0, 1, 1]])"))
            .c_str());
  }

  // ---- isclose, lerp, addcmul, addcdiv, nan_to_num ----
  def_function_and_method(
      m, cls, "isclose",
      [](const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
        return isclose(a, b, rtol, atol, equal_nan);
      },
      py::arg("other"), py::arg("rtol") = 1e-5, py::arg("atol") = 1e-8, py::arg("equal_nan") = false,
      "isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor\n\n"
      "Elementwise |input - other| <= atol + rtol * |other| (equal infinities too; NaNs with equal_nan).\n\n"
      "Example::\n\n"
      "    >>> wick.isclose(wick.tensor([1.0, 2.0]), wick.tensor([1.0, 2.1]))\n"
      "    tensor([ True, False])");
  const auto lerp_fn = [](const Tensor& start, const Tensor& end, py::handle weight) {
    if (is_tensor(weight)) {
      const Tensor w = weight.cast<Tensor>();
      return without_gil([&] { return lerp(start, end, w); });
    }
    Scalar w;
    WICK_CHECK(scalar_from_object(weight, w), TypeError, "lerp(): weight must be a number or a Tensor");
    return without_gil([&] { return lerp(start, end, w); });
  };
  const char* lerp_doc =
      "lerp(input, end, weight) -> Tensor\n\n"
      "input + weight * (end - input), exact at weight 0 and 1; weight a number or a tensor.\n\n"
      "Example::\n\n"
      "    >>> wick.lerp(wick.tensor([0.0, 10.0]), wick.tensor([10.0, 20.0]), 0.25)\n"
      "    tensor([ 2.5000, 12.5000])";
  m.def("lerp", lerp_fn, py::arg("input"), py::arg("end"), py::arg("weight"), lerp_doc);
  cls.def("lerp", lerp_fn, py::arg("end"), py::arg("weight"), lerp_doc);
  cls.def(
      "lerp_",
      [](py::object self, const Tensor& end, py::handle weight) {
        const Tensor& x = self.cast<const Tensor&>();
        const Tensor w = is_tensor(weight) ? weight.cast<Tensor>() : Tensor();
        Scalar number;
        WICK_CHECK(w.defined() || scalar_from_object(weight, number), TypeError,
                   "lerp_(): weight must be a number or a Tensor");
        without_gil([&] {
          // (The other input that decides whether autograd records: whichever requires grad.)
          inplace_apply(
              x, "lerp_", [&](const Tensor& t) { return w.defined() ? lerp(t, end, w) : lerp(t, end, number); },
              w.defined() && w.requires_grad() ? w : end);
        });
        return self;
      },
      py::arg("end"), py::arg("weight"), "In-place lerp; returns this tensor.");
  for (const auto& [name, is_mul] : {std::pair{"addcmul", true}, std::pair{"addcdiv", false}}) {
    const bool mul_op = is_mul;
    const auto f = [mul_op](const Tensor& x, const Tensor& t1, const Tensor& t2, Scalar value) {
      return mul_op ? addcmul(x, t1, t2, value) : addcdiv(x, t1, t2, value);
    };
    const std::string doc = std::string(name) + "(input, tensor1, tensor2, *, value=1) -> Tensor\n\ninput + value * " +
                            "tensor1 " + (mul_op ? "*" : "/") + " tensor2, broadcast together.";
    m.def(name, f, py::arg("input"), py::arg("tensor1"), py::arg("tensor2"), py::kw_only(), py::arg("value") = 1,
          py::call_guard<py::gil_scoped_release>(), doc.c_str());
    cls.def(name, f, py::arg("tensor1"), py::arg("tensor2"), py::kw_only(), py::arg("value") = 1,
            py::call_guard<py::gil_scoped_release>(), doc.c_str());
    const std::string inplace_name = std::string(name) + "_";
    cls.def(inplace_name.c_str(),
            inplace<const Tensor&, const Tensor&, Scalar>(
                [f, inplace_name](const Tensor& x, const Tensor& t1, const Tensor& t2, Scalar value) {
                  inplace_apply(x, inplace_name.c_str(), [&](const Tensor& t) { return f(t, t1, t2, value); },
                                t1.requires_grad() ? t1 : t2);
                }),
            py::arg("tensor1"), py::arg("tensor2"), py::kw_only(), py::arg("value") = 1,
            ("In-place " + std::string(name) + "; returns this tensor.").c_str());
  }
  const auto nan_fn = [](const Tensor& x, std::optional<double> nan, std::optional<double> posinf,
                         std::optional<double> neginf) { return nan_to_num(x, nan, posinf, neginf); };
  def_function_and_method(m, cls, "nan_to_num", nan_fn, py::arg("nan") = 0.0, py::arg("posinf") = py::none(),
                          py::arg("neginf") = py::none(),
                          "nan_to_num(input, nan=0.0, posinf=None, neginf=None) -> Tensor\n\n"
                          "input with NaN, +inf and -inf replaced by nan, posinf and neginf (by default the dtype's\n"
                          "largest and lowest finite values).\n\n"
                          "Example::\n\n"
                          "    >>> wick.nan_to_num(wick.tensor([float('nan'), 1.0]))\n"
                          "    tensor([0., 1.])");
  cls.def("nan_to_num_",
          inplace<std::optional<double>, std::optional<double>, std::optional<double>>(
              [nan_fn](const Tensor& x, std::optional<double> nan, std::optional<double> posinf,
                       std::optional<double> neginf) {
                inplace_apply(x, "nan_to_num_", [&](const Tensor& t) { return nan_fn(t, nan, posinf, neginf); });
              }),
          py::arg("nan") = 0.0, py::arg("posinf") = py::none(), py::arg("neginf") = py::none(),
          "In-place nan_to_num; returns this tensor.");

  // ---- unfold, splits, broadcasting, predicates ----
  cls.def("unfold", [](const Tensor& x, int64_t dimension, int64_t size, int64_t step) { return unfold(x, dimension, size, step); },
          py::arg("dimension"), py::arg("size"), py::arg("step"), py::call_guard<py::gil_scoped_release>(),
          "unfold(dimension, size, step) -> Tensor\n\n"
          "A view of every window of `size` elements along dimension, `step` apart: that dim counts the\n"
          "windows and a new last dim walks each one (windows may overlap).\n\n"
          "Example::\n\n"
          "    >>> wick.arange(5).unfold(0, 2, 2)\n"
          "    tensor([[0, 1],\n"
          "            [2, 3]])");
  const auto split_fn = [](const Tensor& x, py::handle sections, int64_t dim) {
    if (py::isinstance<py::int_>(sections) || (is_tensor(sections) && sections.cast<Tensor>().dim() == 0)) {
      const int64_t n = int_from(sections, "tensor_split", "indices_or_sections");
      return tensor_tuple(without_gil([&] { return tensor_split(x, n, dim); }));
    }
    const std::vector<int64_t> at = is_tensor(sections) ? sections.cast<Tensor>().cpu().to(ScalarType::Int64).to_vector<int64_t>()
                                                         : int_list(sections, "tensor_split", "indices_or_sections");
    return tensor_tuple(without_gil([&] { return tensor_split(x, at, dim); }));
  };
  const char* split_doc =
      "tensor_split(input, indices_or_sections, dim=0) -> tuple of Tensors\n\n"
      "Views of input split along dim: into n pieces as equal as possible (the first ones one longer), or\n"
      "at the given indices (numpy.array_split).\n\n"
      "Example::\n\n"
      "    >>> wick.tensor_split(wick.arange(5), 2)\n"
      "    (tensor([0, 1, 2]), tensor([3, 4]))";
  m.def("tensor_split", split_fn, py::arg("input"), py::arg("indices_or_sections"), py::arg("dim") = 0, split_doc);
  cls.def("tensor_split", split_fn, py::arg("indices_or_sections"), py::arg("dim") = 0, split_doc);
  struct DirectionalSplit {
    const char* name;
    int64_t min_dims;
  };
  for (const DirectionalSplit& d : {DirectionalSplit{"hsplit", 1}, DirectionalSplit{"vsplit", 2}, DirectionalSplit{"dsplit", 3}}) {
    const DirectionalSplit ds = d;
    const auto f = [ds, split_fn](const Tensor& x, py::handle sections) {
      WICK_CHECK(x.dim() >= ds.min_dims, ValueError, "torch.", ds.name, " requires a tensor with at least ", ds.min_dims,
                 " dimension, but got a tensor with ", x.dim(), " dimensions!");
      const int64_t dim = std::string_view(ds.name) == "hsplit" ? (x.dim() == 1 ? 0 : 1)
                          : std::string_view(ds.name) == "vsplit" ? 0 : 2;
      if (py::isinstance<py::int_>(sections)) {
        const int64_t n = sections.cast<int64_t>();
        WICK_CHECK(n > 0 && x.size(dim) % n == 0, ValueError, "torch.", ds.name, " attempted to split along dimension ",
                   dim, ", but the size of the dimension ", x.size(dim), " is not divisible by the split_size ", n, "!");
      }
      return split_fn(x, sections, dim);
    };
    const std::string doc = std::string(ds.name) + "(input, indices_or_sections) -> tuple of Tensors\n\ntensor_split " +
                            "along dim " + (std::string_view(ds.name) == "hsplit" ? "1 (0 for 1-D input)"
                                            : std::string_view(ds.name) == "vsplit" ? "0" : "2") +
                            "; a number of sections must divide the dim.";
    m.def(ds.name, f, py::arg("input"), py::arg("indices_or_sections"), doc.c_str());
    cls.def(ds.name, f, py::arg("indices_or_sections"), doc.c_str());
  }
  m.def(
      "broadcast_tensors",
      [](const py::args& args) {
        const TensorList ts = tensors_from_args(args, "broadcast_tensors");
        return tensor_tuple(without_gil([&] { return broadcast_tensors(ts); }));
      },
      "broadcast_tensors(*tensors) -> tuple of Tensors\n\nViews of the tensors expanded to their common broadcast shape.");
  m.def(
      "broadcast_shapes",
      [](const py::args& shapes) {
        DimVector out;
        for (const py::handle s : shapes) {
          const std::vector<int64_t> shape = int_list(s, "broadcast_shapes", "shape");
          out = broadcast_shapes(out, shape);
        }
        return make_size(out);
      },
      "broadcast_shapes(*shapes) -> wick.Size\n\nThe shape tensors of these shapes broadcast to.\n\n"
      "Example::\n\n"
      "    >>> wick.broadcast_shapes((2, 1), (3,))\n"
      "    wick.Size([2, 3])");
  const auto broadcast_to_fn = [](const Tensor& x, py::handle shape) {
    const std::vector<int64_t> s = int_list(shape, "broadcast_to", "size");
    return without_gil([&] { return expand(x, s); });
  };
  m.def("broadcast_to", broadcast_to_fn, py::arg("input"), py::arg("size"),
        "broadcast_to(input, size) -> Tensor\n\ninput expanded to size (a view; -1 keeps a dim).");
  cls.def("broadcast_to", broadcast_to_fn, py::arg("size"), "broadcast_to(size) -> Tensor\n\nSee wick.broadcast_to.");
  def_function_and_method(m, cls, "ravel", [](const Tensor& x) { return reshape(x, {x.numel()}); },
                          "ravel(input) -> Tensor\n\nThe elements as one dim (a view when the layout allows).");
  for (const auto& [name, fn] : {std::pair<const char*, Tensor (*)(const Tensor&)>{"isfinite", &isfinite},
                                 {"isposinf", &isposinf},
                                 {"isneginf", &isneginf}}) {
    const auto f = fn;
    const std::string n = name;
    def_function_and_method(m, cls, name, [f](const Tensor& x) { return f(x); },
                            (n + "(input) -> Tensor\n\nTrue where an element is " +
                             (n == "isfinite" ? "neither NaN nor infinite" : n == "isposinf" ? "+inf" : "-inf") + ".")
                                .c_str());
  }
  m.def(
      "isin",
      [](py::handle elements, py::handle test_elements, bool, bool invert) {
        const auto as_tensor_of = [](py::handle h, const char* what) {
          if (is_tensor(h)) return h.cast<Tensor>();
          Scalar s;
          WICK_CHECK(scalar_from_object(h, s), TypeError, "isin(): ", what, " must be a Tensor or a number");
          return scalar_tensor(s, TensorOptions(s.natural_dtype()));
        };
        const Tensor e = as_tensor_of(elements, "elements"), t = as_tensor_of(test_elements, "test_elements");
        return without_gil([&] { return isin(e, t, invert); });
      },
      py::arg("elements"), py::arg("test_elements"), py::kw_only(), py::arg("assume_unique") = false,
      py::arg("invert") = false,
      "isin(elements, test_elements, *, assume_unique=False, invert=False) -> Tensor\n\n"
      "True where an element of elements occurs in test_elements (False with invert=True).\n\n"
      "Example::\n\n"
      "    >>> wick.isin(wick.tensor([1, 2, 3]), wick.tensor([3, 1]))\n"
      "    tensor([ True, False,  True])");
  m.def(
      "logspace",
      [](Scalar start, Scalar end, int64_t steps, double base, std::optional<ScalarType> dtype,
         std::optional<Device> device, bool requires_grad) {
        TensorOptions o = TensorOptions(device.value_or(kCPU)).requires_grad(requires_grad);
        if (dtype) o = o.dtype(*dtype);
        return logspace(start, end, steps, base, o);
      },
      py::arg("start"), py::arg("end"), py::arg("steps"), py::arg("base") = 10.0, py::kw_only(),
      py::arg("dtype") = py::none(), py::arg("device") = py::none(), py::arg("requires_grad") = false,
      "logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "base ** linspace(start, end, steps).\n\n"
      "Example::\n\n"
      "    >>> wick.logspace(0, 2, 3)\n"
      "    tensor([  1.,  10., 100.])");
  cls.def("is_signed", [](const Tensor& x) { return x.dtype() != ScalarType::Bool && x.dtype() != ScalarType::UInt8; },
          "is_signed() -> bool\n\nWhether the dtype holds negative numbers (all but bool and uint8).");
  cls.def("is_same_size", [](const Tensor& x, const Tensor& other) { return x.sizes() == other.sizes(); },
          py::arg("other"), "is_same_size(other) -> bool\n\nWhether both have the same shape.");
  cls.def(
      "is_nonzero",
      [](const Tensor& x) {
        WICK_CHECK(x.numel() == 1, ValueError, x.numel() == 0 ? "Boolean value of Tensor with no values is ambiguous"
                                                               : "Boolean value of Tensor with more than one value is ambiguous");
        return without_gil([&] { return ne(x, wrap_scalar(0)).reshape({}).item<bool>(); });
      },
      "is_nonzero() -> bool\n\nWhether the tensor's single element is nonzero.");
  cls.def("get_device", [](const Tensor& x) { return x.device().is_cpu() ? int64_t{-1} : int64_t{x.device().index}; },
          "get_device() -> int\n\nThe GPU's index for a CUDA tensor; -1 for a CPU tensor.");
}

}  // namespace wick::python
