// Tensor.__getitem__ and __setitem__ with NumPy/PyTorch semantics.
//
// Basic indices (ints, slices with positive steps, None, Ellipsis) become
// views: select, slice, unsqueeze. Advanced indices (integer tensors, lists
// and arrays of ints, boolean masks) gather a copy: a mask becomes the integer
// indices of its true elements; several integer indices broadcast together and
// are folded into one linear index over the dims they index, then one
// index_select. When advanced indices are not next to each other their dims
// come first in the result, as in NumPy. Assignments write through the view of
// the basic indices: fill_/copy_, or scatter_ for advanced indices.
#include <numeric>

#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

enum class Kind { Int, Slice, None, Ellipsis, Tensor, Mask };

struct Entry {
  explicit Entry(Kind k, Tensor t = {}) : kind(k), tensor(std::move(t)) {}
  Kind kind;
  int64_t value = 0;                         // Int
  Py_ssize_t start = 0, stop = 0, step = 0;  // Slice, as PySlice_Unpack gives it
  Tensor tensor;                             // Tensor (integer positions) or Mask (bool)
};

// A tensor, list or array used as an index: int64/int32 positions or a bool mask.
Entry tensor_entry(py::handle obj) {
  Tensor t = is_tensor(obj) ? obj.cast<Tensor>() : tensor_from_data(obj, std::nullopt, std::nullopt, false);
  if (t.dtype() == ScalarType::Bool) return Entry(Kind::Mask, t);
  WICK_CHECK(t.dtype() == ScalarType::Int64 || t.dtype() == ScalarType::Int32, IndexError,
             "tensors used as indices must be long, int or bool tensors (got ", t.dtype(), ")");
  return Entry(Kind::Tensor, t);
}

std::vector<Entry> parse(py::handle index) {
  std::vector<py::handle> items;
  if (PyTuple_Check(index.ptr())) {
    for (py::handle h : py::reinterpret_borrow<py::tuple>(index)) items.push_back(h);
  } else {
    items.push_back(index);
  }
  std::vector<Entry> entries;
  entries.reserve(items.size());
  for (py::handle item : items) {
    PyObject* p = item.ptr();
    if (p == Py_None) {
      entries.emplace_back(Kind::None);
    } else if (p == Py_Ellipsis) {
      entries.emplace_back(Kind::Ellipsis);
    } else if (PyBool_Check(p)) {
      throw py::value_error("indexing with a Python bool (x[True]) is not supported yet; use a bool tensor mask");
    } else if (PySlice_Check(p)) {
      Entry e(Kind::Slice);
      if (PySlice_Unpack(p, &e.start, &e.stop, &e.step) < 0) throw py::error_already_set();
      WICK_CHECK(e.step > 0, ValueError, "step must be greater than zero (got ", e.step, ")");
      entries.push_back(e);
    } else if (is_tensor(item) || PyList_Check(p) || is_numpy_array(item)) {
      entries.push_back(tensor_entry(item));
    } else if (PyRange_Check(p)) {  // a range indexes as the list of its ints, as in PyTorch
      std::vector<int64_t> positions;
      for (py::handle v : py::reinterpret_borrow<py::iterable>(item)) positions.push_back(v.cast<int64_t>());
      const int64_t count = static_cast<int64_t>(positions.size());
      entries.emplace_back(Kind::Tensor, from_vector(positions, {count}, ScalarType::Int64));
    } else if (PyIndex_Check(p)) {
      entries.emplace_back(Kind::Int).value = int_from(item, "__getitem__", "index");
    } else {
      throw py::index_error(std::string("only integers, slices (`:`), ellipsis (`...`), None and long or bool "
                                        "tensors are valid indices (got ") +
                            Py_TYPE(p)->tp_name + ")");
    }
  }
  return entries;
}

// The int64 positions of a mask's true elements, one index tensor per mask dim.
TensorList nonzero_indices(const Tensor& mask) {
  const Tensor m = mask.to(kCPU).contiguous();
  const bool* data = m.data_ptr<bool>();
  const int64_t nnz = std::count(data, data + m.numel(), true);
  TensorList out;
  std::vector<int64_t*> ptrs;
  for (int64_t d = 0; d < m.dim(); ++d) {
    out.push_back(empty({nnz}, TensorOptions(ScalarType::Int64)));
    ptrs.push_back(out.back().data_ptr<int64_t>());
  }
  int64_t k = 0;
  for (int64_t i = 0; i < m.numel(); ++i) {
    if (!data[i]) continue;
    int64_t rest = i;
    for (int64_t d = m.dim() - 1; d >= 0; --d) {
      ptrs[d][k] = rest % m.sizes()[d];
      rest /= m.sizes()[d];
    }
    ++k;
  }
  for (Tensor& t : out) t = t.to(mask.device());
  return out;
}

// An index tensor as int64 with negative entries wrapped, after checking that
// every entry is within [-size, size).
Tensor normalized_index(const Tensor& index, int64_t size, int64_t dim) {
  Tensor idx = index.to(kCPU, ScalarType::Int64).contiguous().clone();
  int64_t* p = idx.data_ptr<int64_t>();
  for (int64_t i = 0; i < idx.numel(); ++i) {
    WICK_CHECK(p[i] >= -size && p[i] < size, IndexError, "index ", p[i], " is out of bounds for dimension ", dim,
               " with size ", size);
    if (p[i] < 0) p[i] += size;
  }
  return idx.to(index.device());
}

// The view that the basic indices select, and the advanced indices left to
// apply to it (as dims of that view with int64 index tensors).
struct Indexed {
  Tensor view;
  std::vector<std::pair<int64_t, Tensor>> advanced;
  Tensor mask;  // set when the only index is one bool mask over the whole tensor
};

Indexed apply_basic(const Tensor& self, const std::vector<Entry>& entries) {
  int64_t consumed = 0, ellipses = 0;
  for (const Entry& e : entries) {
    if (e.kind == Kind::Int || e.kind == Kind::Slice || e.kind == Kind::Tensor) consumed += 1;
    else if (e.kind == Kind::Mask) consumed += e.tensor.dim();
    else if (e.kind == Kind::Ellipsis) ellipses += 1;
  }
  WICK_CHECK(consumed <= self.dim(), IndexError, "too many indices for tensor of dimension ", self.dim(),
             " (got ", consumed, ")");
  WICK_CHECK(ellipses <= 1, IndexError, "an index can only have a single ellipsis ('...')");

  Indexed out{self, {}, {}};
  Tensor& r = out.view;
  int64_t d = 0;
  for (const Entry& e : entries) {
    switch (e.kind) {
      case Kind::Int: r = r.select(d, e.value); break;
      case Kind::Slice: {
        Py_ssize_t start = e.start, stop = e.stop, step = e.step;
        const int64_t size = r.size(d);
        const Py_ssize_t len = PySlice_AdjustIndices(size, &start, &stop, step);
        if (!(start == 0 && len == size && step == 1)) r = r.slice(d, start, len ? stop : start, step);
        ++d;
        break;
      }
      case Kind::None: r = r.unsqueeze(d++); break;
      case Kind::Ellipsis: d += self.dim() - consumed; break;
      case Kind::Tensor: out.advanced.emplace_back(d++, e.tensor); break;
      case Kind::Mask: {
        const int64_t k = e.tensor.dim();
        WICK_CHECK(k > 0, NotImplementedError, "indexing with a 0-dim bool tensor is not supported yet");
        const std::vector<int64_t> indexed(r.sizes().begin() + d, r.sizes().begin() + d + k);
        WICK_CHECK(e.tensor.sizes() == IntArrayRef(indexed), IndexError, "The shape of the mask ", e.tensor.sizes(),
                   " at index ", d, " does not match the shape of the indexed tensor ", IntArrayRef(indexed),
                   " at index ", d);
        // A mask over the leading dims of a higher-rank tensor selects whole
        // sub-tensors: as a mask for masked_fill_ it broadcasts over the rest.
        if (entries.size() == 1) {
          std::vector<int64_t> shape(e.tensor.sizes().begin(), e.tensor.sizes().end());
          shape.resize(static_cast<size_t>(r.dim()), 1);
          out.mask = k == r.dim() ? e.tensor : e.tensor.reshape(shape);
        }
        TensorList idx = nonzero_indices(e.tensor);
        for (int64_t j = 0; j < k; ++j) out.advanced.emplace_back(d + j, idx[j]);
        d += k;
        break;
      }
    }
  }
  return out;
}

// The advanced indices folded into one: `view` gets its indexed dims moved
// together (first, when they were apart) and merged; returns the merged dim,
// the linear index (in the broadcast shape of the indices) and that shape.
struct Folded {
  Tensor view;
  int64_t dim;
  Tensor index;
  DimVector index_shape;
};

Folded fold_advanced(Tensor view, std::vector<std::pair<int64_t, Tensor>> advanced, bool need_view) {
  DimVector shape;
  for (size_t j = 0; j < advanced.size(); ++j) {
    auto& [d, idx] = advanced[j];
    idx = normalized_index(idx, view.size(d), d);
    if (j == 0) {
      shape = DimVector(idx.sizes());
      continue;
    }
    try {
      shape = broadcast_shapes(shape, idx.sizes());
    } catch (const ValueError&) {
      WICK_THROW(IndexError, "shape mismatch: indexing tensors could not be broadcast together with shapes ",
                 IntArrayRef(shape.data(), shape.size()), " and ", idx.sizes());
    }
  }
  const int64_t k = static_cast<int64_t>(advanced.size());
  bool adjacent = true;
  for (int64_t j = 1; j < k; ++j) adjacent = adjacent && advanced[j].first == advanced[j - 1].first + 1;
  if (!adjacent) {
    std::vector<int64_t> perm;
    for (const auto& a : advanced) perm.push_back(a.first);
    for (int64_t d = 0; d < view.dim(); ++d)
      if (std::none_of(advanced.begin(), advanced.end(), [d](const auto& a) { return a.first == d; }))
        perm.push_back(d);
    view = view.permute(perm);
    for (int64_t j = 0; j < k; ++j) advanced[j].first = j;
  }
  const int64_t first = advanced[0].first;
  // Row-major linear index over the k indexed dims.
  Tensor linear = advanced[k - 1].second;
  int64_t multiplier = view.size(first + k - 1);
  for (int64_t j = k - 2; j >= 0; --j) {
    linear = add(mul(advanced[j].second, Scalar(multiplier)), linear);
    multiplier *= view.size(first + j);
  }
  if (k > 1) {
    std::vector<int64_t> merged(view.sizes().begin(), view.sizes().begin() + first);
    merged.push_back(multiplier);
    merged.insert(merged.end(), view.sizes().begin() + first + k, view.sizes().end());
    if (need_view) {
      // Writes must reach the original memory: the merged dims must be expressible as one stride.
      for (int64_t j = first; j < first + k - 1; ++j)
        WICK_CHECK(view.size(j) == 1 || view.size(j + 1) == 1 ||
                       view.stride(j) == view.stride(j + 1) * view.size(j + 1),
                   NotImplementedError,
                   "assigning through several advanced indices into dims that are not contiguous in memory (shape ",
                   view.sizes(), ", strides ", view.strides(), ") is not supported yet");
      view = view.view(merged);
    } else {
      view = view.reshape(merged);
    }
  }
  return {view, first, linear.expand(shape), shape};
}

py::object getitem(const Tensor& self, py::handle index) {
  const std::vector<Entry> entries = parse(index);
  return py::cast(without_gil([&] {
    Indexed ix = apply_basic(self, entries);
    // x[...] or x[:] is a new view of the same data, as in PyTorch.
    if (ix.advanced.empty()) return ix.view.is_same(self) ? self.view(self.sizes()) : ix.view;
    Folded f = fold_advanced(ix.view, ix.advanced, false);
    Tensor gathered = index_select(f.view, f.dim, f.index.reshape({-1}));
    std::vector<int64_t> sizes(f.view.sizes().begin(), f.view.sizes().begin() + f.dim);
    sizes.insert(sizes.end(), f.index_shape.begin(), f.index_shape.end());
    sizes.insert(sizes.end(), f.view.sizes().begin() + f.dim + 1, f.view.sizes().end());
    return gathered.reshape(sizes);
  }));
}

void setitem(const Tensor& self, py::handle index, py::handle value) {
  const std::vector<Entry> entries = parse(index);
  Scalar number;
  const bool is_number = scalar_from_object(value, number);
  Tensor src;
  if (!is_number) {
    src = is_tensor(value) ? value.cast<Tensor>()
                           : tensor_from_data(value, self.dtype(), self.device(), false);
  }
  py::gil_scoped_release release;
  Indexed ix = apply_basic(self, entries);
  if (ix.advanced.empty()) {
    if (is_number) ix.view.fill_(number);
    else ix.view.copy_(src);
    return;
  }
  if (ix.mask.defined() && (is_number || (src.dim() == 0 && !src.requires_grad()))) {
    ix.view.masked_fill_(ix.mask, is_number ? number : src.item());
    return;
  }
  // view[..., idx, ...] = src  as  view.scatter_(dim, idx expanded, src broadcast).
  Folded f = fold_advanced(ix.view, ix.advanced, true);
  const int64_t n = f.index.numel();
  if (n == 0) return;
  std::vector<int64_t> target(f.view.sizes().begin(), f.view.sizes().begin() + f.dim);
  target.insert(target.end(), f.index_shape.begin(), f.index_shape.end());
  target.insert(target.end(), f.view.sizes().begin() + f.dim + 1, f.view.sizes().end());
  std::vector<int64_t> flat(f.view.sizes().begin(), f.view.sizes().end());
  flat[f.dim] = n;
  Tensor values = is_number ? full(flat, number, TensorOptions(f.view.dtype()).device(f.view.device()))
                            : src.to(f.view.device(), f.view.dtype()).expand(target).reshape(flat);
  std::vector<int64_t> index_shape(flat.size(), 1);
  index_shape[f.dim] = n;
  Tensor idx = f.index.reshape(index_shape).expand(flat).contiguous();
  scatter_(f.view, f.dim, idx, values);
}

}  // namespace

void init_indexing(py::module_& /*m*/, TensorClass& cls) {
  cls.def("__getitem__", &getitem, py::arg("index"),
          "x[index]: ints, slices, None, Ellipsis give a view; integer tensors or lists (gathered\n"
          "with NumPy's rules) and bool masks give a copy. Differentiable.\n\n"
          "Example::\n\n"
          "    >>> x = wick.arange(6).view(2, 3)\n"
          "    >>> x[:, 1:], x[x > 2], x[[1, 0], 0]\n"
          "    (tensor([[1, 2],\n"
          "            [4, 5]]), tensor([3, 4, 5]), tensor([3, 0]))")
      .def("__setitem__", &setitem, py::arg("index"), py::arg("value"),
           "x[index] = value: writes a number or a (broadcast) tensor into the selected elements, in place.");
}

}  // namespace wick::python
