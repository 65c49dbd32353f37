// The Tensor class: construction, metadata, conversions, the Python protocols
// (len, iter, bool, float, hash, deepcopy...) and the arithmetic operators.
// Autograd fields are bound in autograd.cpp, indexing in indexing.cpp, and
// the op methods in ops_*.cpp.
#include <cstring>

#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

py::object not_implemented() { return py::reinterpret_borrow<py::object>(Py_NotImplemented); }

// self <op> other, or NotImplemented when other is not a tensor, number or
// array (Python then tries other's reflected method, or raises TypeError).
template <typename F>
void def_binary_operator(TensorClass& cls, const char* name, F f) {
  cls.def(name, [f](const Tensor& self, py::handle other) -> py::object {
    auto o = operand(other);
    if (!o) return not_implemented();
    return py::cast(without_gil([&] { return f(self, *o); }));
  });
}

// other <op> self, for a number or array on the left.
template <typename F>
void def_reflected_operator(TensorClass& cls, const char* name, F f) {
  cls.def(name, [f](const Tensor& self, py::handle other) -> py::object {
    auto o = operand(other);
    if (!o) return not_implemented();
    return py::cast(without_gil([&] { return f(*o, self); }));
  });
}

// self <op>= other, in place; returns self.
template <typename F>
void def_inplace_operator(TensorClass& cls, const char* name, F f) {
  cls.def(name, [f](py::object self, py::handle other) -> py::object {
    auto o = operand(other);
    if (!o) return not_implemented();
    const Tensor& t = self.cast<const Tensor&>();
    without_gil([&] { f(t, *o); });
    return self;
  });
}

// A new object of self's Python type (a subclass such as nn.Parameter stays
// one) holding `value`.
py::object same_type(py::handle self, const Tensor& value) {
  py::object type = py::reinterpret_borrow<py::object>(self.get_type());
  py::object out = type.attr("__new__")(type);
  py::type::of<Tensor>().attr("__init__")(out, value);
  return out;
}

void check_one_element(const Tensor& t) {
  WICK_CHECK(t.numel() == 1, ValueError, "only one element tensors can be converted to Python scalars (the tensor has ",
             t.numel(), " elements, shape ", t.sizes(), ")");
}

// Tensor.to(dtype) / to(device) / to(device, dtype) / to(other) with keywords
// dtype=, device=, copy=, non_blocking= (ignored: copies are synchronous).
py::object convert_to(const TensorObject& self_object, const py::args& args, const py::kwargs& kwargs) {
  const Tensor& self = self_object.tensor();
  std::optional<Device> device;
  std::optional<ScalarType> dtype;
  bool copy = false;
  int flags_seen = 0;  // positional non_blocking, copy
  for (const py::handle a : args) {
    if (auto t = dtype_from_object(a, false)) {
      dtype = t;
    } else if (is_tensor(a)) {
      const Tensor& other = a.cast<const Tensor&>();
      device = other.device();
      dtype = other.dtype();
    } else if (py::isinstance<Device>(a) || py::isinstance<py::str>(a)) {
      device = a.cast<Device>();
    } else if (PyBool_Check(a.ptr()) && flags_seen < 2) {
      if (flags_seen++ == 1) copy = a.cast<bool>();
    } else {
      throw py::type_error(std::string("to() received an invalid argument of type ") + Py_TYPE(a.ptr())->tp_name +
                           "; expected a dtype, a device, a tensor, and the flags non_blocking and copy");
    }
  }
  for (const auto& [key, value] : kwargs) {
    const std::string k = key.cast<std::string>();
    if (k == "dtype") {
      if (!value.is_none()) dtype = value.cast<ScalarType>();
    } else if (k == "device") {
      if (!value.is_none()) device = value.cast<Device>();
    } else if (k == "copy") {
      copy = value.cast<bool>();
    } else if (k != "non_blocking") {
      throw py::type_error("to() got an unexpected keyword argument '" + k + "'");
    }
  }
  return self_or_new(self_object, without_gil([&] {
    return to(self, device.value_or(self.device()), dtype.value_or(self.dtype()), copy);
  }));
}

}  // namespace

namespace {

// Construction.
void def_tensor_construction(py::module_& m, TensorClass& cls) {
  // Tensor() is empty; Tensor(other) shares other's data and autograd state
  // (what subclasses such as nn.Parameter build on); Tensor(2, 3) is an
  // uninitialized float tensor; Tensor(data) copies data as the default float dtype.
  //
  // __new__ builds an empty tensor at once (see disallow_new in bindings.h),
  // and __init__ re-points the handle, so a subclass's __init__ can call it.
  cls.def(py::init([] { return wick::empty({0}); }));
  py::object raw_new = cls.attr("__new__"), raw_init = cls.attr("__init__");
  cls.attr("__new__") = py::staticmethod(py::cpp_function(
      [raw_new, raw_init](py::handle type, const py::args&, const py::kwargs&) {
        py::object self = raw_new(type);
        raw_init(self);
        return self;
      },
      py::name("__new__")));
  // Named otherwise in C++: pybind11 would treat a function called __init__ as a
  // constructor and skip it on an instance that already has its value.
  cls.attr("__init__") = py::cpp_function(
      [](Tensor& self, const py::args& args) {
        if (args.size() == 0) return;
        if (args.size() == 1 && is_tensor(args[0])) {
          self = args[0].cast<Tensor>();
        } else if (args.size() == 1 && (PyList_Check(args[0].ptr()) || PyTuple_Check(args[0].ptr()) ||
                                        is_numpy_array(args[0]))) {
          self = tensor_from_data(args[0], default_dtype(), std::nullopt, false);
        } else {
          self = wick::empty(sizes_from_args(args, "Tensor"));
        }
      },
      py::name("_init"), py::is_method(cls),
      "Tensor(), Tensor(other), Tensor(*sizes) or Tensor(data)\n\n"
      "Tensor() is empty; Tensor(other) shares other's data and autograd state (what subclasses such\n"
      "as nn.Parameter build on); Tensor(2, 3) is an uninitialized float tensor; Tensor(data) copies\n"
      "nested lists or an array as the default float dtype. Prefer wick.tensor / wick.empty.");
}

// Metadata.
void def_tensor_metadata(py::module_& m, TensorClass& cls) {
  cls.def_property_readonly(
         "shape", [](const Tensor& t) { return make_size(t.sizes()); }, "The sizes of the dims, as a wick.Size.")
      .def(
          "size",
          [](const Tensor& t, py::handle dim) -> py::object {
            if (dim.is_none()) return make_size(t.sizes());
            return py::int_(t.size(int_from(dim, "size", "dim")));
          },
          py::arg("dim") = py::none(),
          "size(dim=None) -> wick.Size or int\n\n"
          "The shape (a wick.Size, a tuple), or the size of one dim (negative dims count from the end).\n\n"
          "Example::\n\n"
          "    >>> x = wick.zeros(2, 3)\n"
          "    >>> x.size(), x.size(-1)\n"
          "    (wick.Size([2, 3]), 3)")
      .def(
          "stride",
          [](const Tensor& t, py::handle dim) -> py::object {
            if (dim.is_none()) return py::tuple(py::cast(t.strides().vec()));
            return py::int_(t.stride(int_from(dim, "stride", "dim")));
          },
          py::arg("dim") = py::none(),
          "stride(dim=None) -> tuple or int\n\n"
          "How many elements apart in memory consecutive indices of each dim (or of one dim) are.\n\n"
          "Example::\n\n"
          "    >>> wick.zeros(2, 3).stride()\n"
          "    (3, 1)\n"
          "    >>> wick.zeros(2, 3).t().stride()\n"
          "    (1, 3)")
      .def("dim", method(&Tensor::dim), "dim() -> int\n\nThe number of dimensions (0 for a scalar tensor).")
      .def("ndimension", method(&Tensor::dim), "ndimension() -> int\n\nThe number of dimensions; same as dim().")
      .def_property_readonly("ndim", method(&Tensor::dim), "The number of dimensions; same as dim().")
      .def("numel", method(&Tensor::numel), "numel() -> int\n\nThe number of elements (the product of the sizes).")
      .def("nelement", method(&Tensor::numel), "nelement() -> int\n\nThe number of elements; same as numel().")
      .def_property_readonly("dtype", method(&Tensor::dtype), "The element type, e.g. wick.float32.")
      .def_property_readonly("device", method(&Tensor::device), "Where the elements live, e.g. device(type='cpu').")
      .def_property_readonly("is_cuda", method(&Tensor::is_cuda), "True when the tensor is on a CUDA GPU.")
      .def_property_readonly(
          "is_cpu", [](const Tensor& t) { return t.device().is_cpu(); }, "True when the tensor is on the CPU.")
      .def("is_floating_point", method(&Tensor::is_floating_point),
           "is_floating_point() -> bool\n\nTrue for float16, bfloat16, float32 and float64 tensors.")
      .def(
          "is_complex", [](const Tensor&) { return false; },
          "is_complex() -> bool\n\nAlways False: wick has no complex dtypes.")
      .def("is_contiguous", method(&Tensor::is_contiguous),
           "is_contiguous() -> bool\n\n"
           "True when the elements lie in memory in row-major order without gaps (as contiguous() makes them).")
      .def("storage_offset", method(&Tensor::storage_offset),
           "storage_offset() -> int\n\nWhere the first element is in the storage, counted in elements.")
      .def("element_size", method(&Tensor::element_size),
           "element_size() -> int\n\nThe size of one element in bytes (4 for float32).")
      .def_property_readonly("itemsize", method(&Tensor::element_size), "The size of one element in bytes.")
      .def_property_readonly("nbytes", method(&Tensor::nbytes), "numel() * element_size(): the bytes the elements take.")
      .def(
          "data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.raw_data()); },
          "data_ptr() -> int\n\nThe address of the first element.")
      .def_property_readonly("_version", method(&Tensor::version))
      .def("_is_same", method(&Tensor::is_same), py::arg("other"), "True when both name the same tensor (TensorImpl).")
      // As PyTorch's Tensor.data. Assigning changes the TensorImpl in place
      // (TensorImpl::set_data), so the Python object keeps its type (an
      // nn.Parameter stays one) and every other handle to it sees the new data.
      .def_property(
          "data", [](const Tensor& t) { return t.detach(); },
          [](const Tensor& t, const Tensor& value) {
            if (!t.is_same(value)) t.impl()->set_data(*value.impl());
          },
          "The same data without autograd history (an alias that does not require grad).\n"
          "Assigning x.data = y makes x use y's data, keeping x's autograd state.");
}

// Conversions.
void def_tensor_conversions(py::module_& m, TensorClass& cls) {
  cls.def("item", &item,
          "item() -> number\n\n"
          "The value of a one-element tensor as a Python number (float, int or bool).\n\n"
          "Example::\n\n"
          "    >>> wick.tensor([2.5]).item()\n"
          "    2.5")
      .def("tolist", &tolist,
           "tolist() -> list or number\n\n"
           "The values as nested Python lists of numbers (a number for a 0-dim tensor).\n\n"
           "Example::\n\n"
           "    >>> wick.arange(4).view(2, 2).tolist()\n"
           "    [[0, 1], [2, 3]]")
      .def("numpy", &to_numpy, py::kw_only(), py::arg("force") = false,
           "numpy(*, force=False) -> numpy.ndarray\n\n"
           "A NumPy array sharing this tensor's memory: writes through either are seen by both. The\n"
           "tensor must be on the CPU and not require grad; with force=True it is detached and copied\n"
           "to the CPU first when needed.")
      .def(
          "__array__",
          [](const Tensor& t, py::handle dtype) {
            py::object a = to_numpy(t, false);
            return dtype.is_none() ? a : a.attr("astype")(dtype, py::arg("copy") = false);
          },
          py::arg("dtype") = py::none(), "The NumPy array protocol: numpy.asarray(tensor) shares its memory.")
      .def("to", &convert_to,
           "to(dtype) / to(device, dtype=None) / to(other) -> Tensor\n\n"
           "This tensor with another dtype and/or on another device (the keywords dtype=, device=,\n"
           "copy=, non_blocking= work too). It is returned itself when nothing changes, unless copy=True.\n"
           "to(other) takes other's dtype and device. Differentiable.\n\n"
           "Example::\n\n"
           "    >>> wick.tensor([1, 2]).to(wick.float64)\n"
           "    tensor([1., 2.], dtype=wick.float64)")
      .def(
          "cpu",
          [](const TensorObject& t) { return self_or_new(t, without_gil([&] { return t.tensor().cpu(); })); },
          "cpu() -> Tensor\n\nA copy in CPU memory, or this tensor itself if it is already there.")
      .def(
          "cuda",
          [](const TensorObject& t, py::handle device) {
            Device d(DeviceType::CUDA);
            if (!device.is_none()) d = PyLong_Check(device.ptr()) ? Device(DeviceType::CUDA, device.cast<int>())
                                                                  : device.cast<Device>();
            WICK_CHECK(d.is_cuda(), ValueError, "cuda(): expected a CUDA device, got ", d);
            return self_or_new(t, without_gil([&] { return t.tensor().to(d); }));
          },
          py::arg("device") = py::none(),
          "cuda(device=None) -> Tensor\n\n"
          "A copy on a CUDA GPU (the current one, or the given index or device), or this tensor itself\n"
          "if it is already there. Raises an error when wick has no usable CUDA device.")
      .def(
          "type_as",
          [](const TensorObject& t, const Tensor& other) {
            return self_or_new(t, without_gil([&] { return t.tensor().to(other.dtype()); }));
          },
          py::arg("other"), "type_as(other) -> Tensor\n\nThis tensor converted to other's dtype.");
  const std::pair<const char*, ScalarType> casts[] = {
      {"float", ScalarType::Float32}, {"double", ScalarType::Float64}, {"half", ScalarType::Float16},
      {"bfloat16", ScalarType::BFloat16}, {"long", ScalarType::Int64}, {"int", ScalarType::Int32},
      {"byte", ScalarType::UInt8}, {"bool", ScalarType::Bool}};
  for (const auto& [name, type] : casts) {
    const ScalarType t = type;
    const std::string doc = std::string(name) + "() -> Tensor\n\nself.to(wick." + std::string(to_string(t)) +
                            "): this tensor converted to " + std::string(to_string(t)) + ".";
    cls.def(
        name, [t](const TensorObject& self) { return self_or_new(self, without_gil([&] { return self.tensor().to(t); })); },
        doc.c_str());
  }
}

// Filling and copying.
void def_tensor_filling_and_copying(py::module_& m, TensorClass& cls) {
  cls.def("zero_", inplace<>([](const Tensor& t) { t.zero_(); }),
          "zero_() -> Tensor\n\nFills the tensor with zeros in place; returns it.")
      .def(
          "resize_",
          [](py::object self, py::args sizes) {
            const std::vector<int64_t> shape = sizes_from_args(sizes, "resize_");
            const Tensor& t = self.cast<const Tensor&>();
            {
              py::gil_scoped_release release;
              resize_(t, shape);
            }
            return self;
          },
          "resize_(*sizes) -> Tensor\n\n"
          "Gives the tensor this shape (contiguous) in place, growing its storage if needed; the\n"
          "values it held stay in storage order, new ones are uninitialized. Returns the tensor.\n\n"
          "Example::\n\n"
          "    >>> wick.zeros(2, 3).resize_(6).shape\n"
          "    wick.Size([6])")
      .def("fill_", inplace<Scalar>([](const Tensor& t, Scalar v) { t.fill_(v); }), py::arg("value"),
           "fill_(value) -> Tensor\n\n"
           "Fills the tensor in place with value (a number or a 0-dim tensor); returns it.\n\n"
           "Example::\n\n"
           "    >>> wick.empty(3).fill_(2)\n"
           "    tensor([2., 2., 2.])")
      .def("fill_",
           inplace<const Tensor&>([](const Tensor& t, const Tensor& v) {
             WICK_CHECK(v.dim() == 0, ValueError,
                        "fill_ only supports 0-dimension value tensor but got tensor with ", v.dim(), " dimensions");
             t.fill_(v.item());
           }),
           py::arg("value"))
      .def("copy_", inplace<const Tensor&, bool>([](const Tensor& t, const Tensor& src, bool) { t.copy_(src); }),
           py::arg("src"), py::arg("non_blocking") = false,
           "copy_(src, non_blocking=False) -> Tensor\n\n"
           "Copies src's values (a tensor or a number) into this tensor in place, broadcasting src to this\n"
           "shape and converting dtype and device; returns this tensor. Differentiable with respect to src.")
      .def("copy_", inplace<Scalar, bool>([](const Tensor& t, Scalar v, bool) { t.copy_(wrap_scalar(v)); }),
           py::arg("src"), py::arg("non_blocking") = false);
}

// Python protocols.
void def_tensor_python_protocols(py::module_& m, TensorClass& cls) {
  cls.def("__repr__", method(&Tensor::str))
      .def("__len__",
           [](const Tensor& t) {
             WICK_CHECK(t.dim() > 0, TypeError, "len() of a 0-d tensor");
             return t.size(0);
           })
      .def("__iter__",
           [](const Tensor& t) {
             WICK_CHECK(t.dim() > 0, TypeError, "iteration over a 0-d tensor");
             return py::iter(py::cast(without_gil([&] { return unbind(t, 0); })));
           })
      .def("__bool__",
           [](const Tensor& t) {
             WICK_CHECK(t.numel() == 1, Error, "Boolean value of Tensor with ",
                        t.numel() == 0 ? "no values" : "more than one value", " is ambiguous");
             return t.item().to<double>() != 0;
           })
      .def("__float__",
           [](const Tensor& t) {
             check_one_element(t);
             return t.item().to<double>();
           })
      .def("__int__",
           [](const Tensor& t) {
             check_one_element(t);
             return py::reinterpret_steal<py::object>(PyNumber_Long(item(t).ptr()));
           })
      .def("__index__",
           [](const Tensor& t) {
             WICK_CHECK(is_integral(t.dtype(), false) && t.numel() == 1, TypeError,
                        "only integer tensors of a single element can be converted to an index");
             return t.item().to<int64_t>();
           })
      .def("__hash__", [](py::handle self) { return reinterpret_cast<intptr_t>(self.ptr()); })
      .def("__contains__",
           [](const Tensor& t, py::handle element) {
             auto o = operand(element);
             if (!o || is_numpy_array(element)) {
               throw py::type_error(std::string("Tensor.__contains__ only supports Tensor or scalar, but you passed in a ") +
                                    Py_TYPE(element.ptr())->tp_name);
             }
             return without_gil([&] { return any(eq(t, *o)).item().to<bool>(); });
           })
      .def("__format__",
           [](py::handle self, py::str spec) -> py::object {
             const Tensor& t = self.cast<const Tensor&>();
             if (t.dim() == 0) return item(t).attr("__format__")(spec);
             return py::str(self.attr("__repr__")()).attr("__format__")(spec);
           })
      .def(
          "__deepcopy__",
          [](py::handle self, py::dict memo) {
            const Tensor& t = self.cast<const Tensor&>();
            WICK_CHECK(t.is_leaf(), Error,
                       "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at "
                       "the moment");
            Tensor copy = without_gil([&] { return t.detach().clone(); });
            if (t.requires_grad()) copy.requires_grad_();
            if (t.grad().defined()) copy.set_grad(without_gil([&] { return t.grad().clone(); }));
            py::object out = same_type(self, copy);
            memo[py::int_(reinterpret_cast<intptr_t>(self.ptr()))] = out;
            py::object dict = py::getattr(self, "__dict__", py::none());
            if (!dict.is_none() && py::len(dict) > 0)
              out.attr("__dict__").attr("update")(py::module_::import("copy").attr("deepcopy")(dict, memo));
            return out;
          },
          py::arg("memo"))
      .def(
          "__copy__",
          [](py::handle self) {
            // As in PyTorch: a new leaf over the same memory, requiring grad if self does.
            const Tensor& t = self.cast<const Tensor&>();
            Tensor alias = t.detach();
            if (t.requires_grad()) alias.requires_grad_();
            py::object out = same_type(self, alias);
            py::object dict = py::getattr(self, "__dict__", py::none());
            if (!dict.is_none() && py::len(dict) > 0) out.attr("__dict__").attr("update")(dict);
            return out;
          })
      .def(
          "__reduce_ex__",
          [](py::handle self, py::handle /*protocol*/) {
            // Note [Pickling tensors]
            // A tensor pickles as plain data: its elements as bytes (the contiguous
            // CPU copy, native byte order), dtype name, shape, requires_grad and
            // device, plus its Python type and attributes, rebuilt by
            // wick._pickling._rebuild_tensor. Strides, storage sharing, .grad and
            // the graph are not kept; a non-leaf comes back as a leaf.
            const Tensor& t = self.cast<const Tensor&>();
            const Tensor host = without_gil([&] { return t.detach().cpu().contiguous(); });
            py::bytes data(static_cast<const char*>(host.raw_data()), static_cast<py::ssize_t>(host.nbytes()));
            py::object dict = py::getattr(self, "__dict__", py::none());
            py::object state = dict.is_none() || py::len(dict) == 0 ? py::object(py::none()) : py::dict(dict);
            py::tuple args = py::make_tuple(self.get_type(), data, std::string(to_string(t.dtype())),
                                            py::tuple(py::cast(t.sizes().vec())), t.requires_grad(), t.device().str(),
                                            state);
            return py::make_tuple(py::module_::import("wick._pickling").attr("_rebuild_tensor"), args);
          },
          py::arg("protocol"));
  // wick._pickling._rebuild_tensor's half in C++: a new tensor holding a copy of the bytes.
  m.def(
      "_tensor_from_bytes",
      [](const py::bytes& data, ScalarType dtype, py::handle shape) {
        const std::vector<int64_t> sizes = int_list(shape, "_tensor_from_bytes", "shape");
        const std::string_view bytes = data;
        const int64_t numel = checked_numel(sizes, "_tensor_from_bytes");
        WICK_CHECK(bytes.size() / itemsize(dtype) == static_cast<uint64_t>(numel) && bytes.size() % itemsize(dtype) == 0,
                   ValueError, "_tensor_from_bytes: ", bytes.size(), " bytes do not hold a ", dtype,
                   " tensor of shape ", IntArrayRef(sizes));
        Tensor t = empty(sizes, TensorOptions(dtype));
        if (!bytes.empty()) std::memcpy(t.raw_data(), bytes.data(), bytes.size());
        return t;
      },
      py::arg("data"), py::arg("dtype"), py::arg("shape"),
      "_tensor_from_bytes(data, dtype, shape) -> Tensor\n\n"
      "A CPU tensor of that dtype and shape holding a copy of data (row-major elements, native byte order).");
  // NumPy defers binary operators to the tensor (ndarray + tensor gives a tensor).
  cls.attr("__array_priority__") = 1000;
}

// Operators.
void def_tensor_operators(py::module_& m, TensorClass& cls) {
  def_binary_operator(cls, "__add__", [](const Tensor& a, const Tensor& b) { return add(a, b); });
  def_binary_operator(cls, "__sub__", [](const Tensor& a, const Tensor& b) { return sub(a, b); });
  def_binary_operator(cls, "__mul__", [](const Tensor& a, const Tensor& b) { return mul(a, b); });
  def_binary_operator(cls, "__truediv__", [](const Tensor& a, const Tensor& b) { return div(a, b); });
  def_binary_operator(cls, "__floordiv__", [](const Tensor& a, const Tensor& b) { return floor_divide(a, b); });
  def_binary_operator(cls, "__mod__", [](const Tensor& a, const Tensor& b) { return remainder(a, b); });
  def_binary_operator(cls, "__matmul__", [](const Tensor& a, const Tensor& b) { return matmul(a, b); });
  def_binary_operator(cls, "__and__", [](const Tensor& a, const Tensor& b) { return bitwise_and(a, b); });
  def_binary_operator(cls, "__or__", [](const Tensor& a, const Tensor& b) { return bitwise_or(a, b); });
  def_binary_operator(cls, "__xor__", [](const Tensor& a, const Tensor& b) { return bitwise_xor(a, b); });
  def_binary_operator(cls, "__eq__", [](const Tensor& a, const Tensor& b) { return eq(a, b); });
  def_binary_operator(cls, "__ne__", [](const Tensor& a, const Tensor& b) { return ne(a, b); });
  def_binary_operator(cls, "__lt__", [](const Tensor& a, const Tensor& b) { return lt(a, b); });
  def_binary_operator(cls, "__le__", [](const Tensor& a, const Tensor& b) { return le(a, b); });
  def_binary_operator(cls, "__gt__", [](const Tensor& a, const Tensor& b) { return gt(a, b); });
  def_binary_operator(cls, "__ge__", [](const Tensor& a, const Tensor& b) { return ge(a, b); });
  def_reflected_operator(cls, "__radd__", [](const Tensor& a, const Tensor& b) { return add(a, b); });
  def_reflected_operator(cls, "__rsub__", [](const Tensor& a, const Tensor& b) { return sub(a, b); });
  def_reflected_operator(cls, "__rmul__", [](const Tensor& a, const Tensor& b) { return mul(a, b); });
  def_reflected_operator(cls, "__rtruediv__", [](const Tensor& a, const Tensor& b) { return div(a, b); });
  def_reflected_operator(cls, "__rfloordiv__", [](const Tensor& a, const Tensor& b) { return floor_divide(a, b); });
  def_reflected_operator(cls, "__rmod__", [](const Tensor& a, const Tensor& b) { return remainder(a, b); });
  def_reflected_operator(cls, "__rmatmul__", [](const Tensor& a, const Tensor& b) { return matmul(a, b); });
  def_reflected_operator(cls, "__rand__", [](const Tensor& a, const Tensor& b) { return bitwise_and(a, b); });
  def_reflected_operator(cls, "__ror__", [](const Tensor& a, const Tensor& b) { return bitwise_or(a, b); });
  def_reflected_operator(cls, "__rxor__", [](const Tensor& a, const Tensor& b) { return bitwise_xor(a, b); });
  def_inplace_operator(cls, "__iadd__", [](const Tensor& a, const Tensor& b) { a.add_(b); });
  def_inplace_operator(cls, "__isub__", [](const Tensor& a, const Tensor& b) { a.sub_(b); });
  def_inplace_operator(cls, "__imul__", [](const Tensor& a, const Tensor& b) { a.mul_(b); });
  def_inplace_operator(cls, "__itruediv__", [](const Tensor& a, const Tensor& b) { a.div_(b); });
  def_inplace_operator(cls, "__ifloordiv__", [](const Tensor& a, const Tensor& b) { floor_divide_(a, b); });
  def_inplace_operator(cls, "__imod__", [](const Tensor& a, const Tensor& b) { remainder_(a, b); });
  def_inplace_operator(cls, "__iand__", [](const Tensor& a, const Tensor& b) { bitwise_and_(a, b); });
  def_inplace_operator(cls, "__ior__", [](const Tensor& a, const Tensor& b) { bitwise_or_(a, b); });
  def_inplace_operator(cls, "__ixor__", [](const Tensor& a, const Tensor& b) { bitwise_xor_(a, b); });

  // x ** n keeps n a number (PowBackward0, no gradient for the exponent); x ** y with a tensor y.
  cls.def("__pow__", [](const Tensor& self, py::handle other) -> py::object {
    Scalar s;
    if (scalar_from_object(other, s)) return py::cast(without_gil([&] { return pow(self, s); }));
    auto o = operand(other);
    if (!o) return not_implemented();
    return py::cast(without_gil([&] { return pow(self, *o); }));
  });
  cls.def("__rpow__", [](const Tensor& self, py::handle other) -> py::object {
    Scalar s;
    if (scalar_from_object(other, s)) {
      return py::cast(without_gil([&] {
        // PyTorch's __rpow__ makes a tensor of the number in the result dtype
        // first, so 300 ** uint8 tensor is an error where torch.pow(300, it)
        // wraps (Note [Checked scalar conversion]); a float one is not checked.
        const ScalarType type = result_type(wrap_scalar(s), self);
        if (!is_floating_point(type)) checked_convert(s, type, "pow");
        return pow(s, self);
      }));
    }
    auto o = operand(other);
    if (!o) return not_implemented();
    return py::cast(without_gil([&] { return pow(*o, self); }));
  });
  cls.def("__ipow__", [](py::object self, py::handle other) -> py::object {
    const Tensor& t = self.cast<const Tensor&>();
    Scalar s;
    if (scalar_from_object(other, s)) {
      without_gil([&] { pow_(t, s); });
      return self;
    }
    auto o = operand(other);
    if (!o) return not_implemented();
    without_gil([&] { pow_(t, *o); });
    return self;
  });
  cls.def("__neg__", [](const Tensor& t) { return neg(t); }, py::call_guard<py::gil_scoped_release>())
      .def("__pos__",
           [](py::object self) {
             // +x is x itself, as in PyTorch, which refuses it for bools.
             WICK_CHECK(self.cast<const Tensor&>().dtype() != ScalarType::Bool, TypeError,
                        "The `+` operator, on a bool tensor is not supported.");
             return self;
           })
      .def("__abs__", [](const Tensor& t) { return abs(t); }, py::call_guard<py::gil_scoped_release>())
      .def("__invert__", [](const Tensor& t) { return bitwise_not(t); }, py::call_guard<py::gil_scoped_release>());
}

}  // namespace

void init_tensor(py::module_& m, TensorClass& cls) {
  def_tensor_construction(m, cls);
  def_tensor_metadata(m, cls);
  def_tensor_conversions(m, cls);
  def_tensor_filling_and_copying(m, cls);
  def_tensor_python_protocols(m, cls);
  def_tensor_operators(m, cls);
}

}  // namespace wick::python
