// The Tensor class: construction, metadata, conversions, the Python protocols
// (len, iter, bool, float, hash, deepcopy...) and the arithmetic operators.
// Autograd fields are bound in autograd.cpp, indexing in indexing.cpp, and
// the op methods in ops_*.cpp.
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

void check_one_element(const Tensor& t) {
  WICK_CHECK(t.numel() == 1, ValueError, "only one element tensors can be converted to Python scalars (the tensor has ",
             t.numel(), " elements, shape ", t.sizes(), ")");
}

// Tensor.to(dtype) / to(device) / to(device, dtype) / to(other) with keywords
// dtype=, device=, copy=, non_blocking= (ignored: copies are synchronous).
Tensor convert_to(const Tensor& self, const py::args& args, const py::kwargs& kwargs) {
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
  return without_gil([&] { return to(self, device.value_or(self.device()), dtype.value_or(self.dtype()), copy); });
}

}  // namespace

void init_tensor(py::module_& m, TensorClass& cls) {
  // ---- construction ------------------------------------------------------------------------
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
      py::name("_init"), py::is_method(cls), "Tensor(), Tensor(other), Tensor(*sizes) or Tensor(data)");

  // ---- metadata ----------------------------------------------------------------------------
  cls.def_property_readonly("shape", [](const Tensor& t) { return make_size(t.sizes()); })
      .def(
          "size",
          [](const Tensor& t, py::handle dim) -> py::object {
            if (dim.is_none()) return make_size(t.sizes());
            return py::int_(t.size(int_from(dim, "size", "dim")));
          },
          py::arg("dim") = py::none())
      .def(
          "stride",
          [](const Tensor& t, py::handle dim) -> py::object {
            if (dim.is_none()) return py::tuple(py::cast(t.strides().vec()));
            return py::int_(t.stride(int_from(dim, "stride", "dim")));
          },
          py::arg("dim") = py::none())
      .def("dim", &Tensor::dim)
      .def("ndimension", &Tensor::dim)
      .def_property_readonly("ndim", &Tensor::dim)
      .def("numel", &Tensor::numel)
      .def("nelement", &Tensor::numel)
      .def_property_readonly("dtype", &Tensor::dtype)
      .def_property_readonly("device", &Tensor::device)
      .def_property_readonly("is_cuda", &Tensor::is_cuda)
      .def_property_readonly("is_cpu", [](const Tensor& t) { return t.device().is_cpu(); })
      .def("is_floating_point", &Tensor::is_floating_point)
      .def("is_complex", [](const Tensor&) { return false; })
      .def("is_contiguous", &Tensor::is_contiguous)
      .def("storage_offset", &Tensor::storage_offset)
      .def("element_size", &Tensor::element_size)
      .def_property_readonly("itemsize", &Tensor::element_size)
      .def_property_readonly("nbytes", &Tensor::nbytes)
      .def("data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.raw_data()); })
      .def_property_readonly("_version", &Tensor::version)
      .def("_is_same", &Tensor::is_same, py::arg("other"), "True when both name the same tensor (TensorImpl).");

  // ---- conversions -------------------------------------------------------------------------
  cls.def("item", &item, "The value of a one-element tensor as a Python number.")
      .def("tolist", &tolist, "The values as (nested) Python lists of numbers.")
      .def("numpy", &to_numpy, py::kw_only(), py::arg("force") = false,
           "A NumPy array sharing this tensor's memory (force=True: detach and copy to the CPU first).")
      .def(
          "__array__",
          [](const Tensor& t, py::handle dtype) {
            py::object a = to_numpy(t, false);
            return dtype.is_none() ? a : a.attr("astype")(dtype, py::arg("copy") = false);
          },
          py::arg("dtype") = py::none())
      .def("to", &convert_to)
      .def("cpu", [](const Tensor& t) { return without_gil([&] { return t.cpu(); }); })
      .def(
          "cuda",
          [](const Tensor& t, py::handle device) {
            Device d(DeviceType::CUDA);
            if (!device.is_none()) d = PyLong_Check(device.ptr()) ? Device(DeviceType::CUDA, device.cast<int>())
                                                                  : device.cast<Device>();
            WICK_CHECK(d.is_cuda(), ValueError, "cuda(): expected a CUDA device, got ", d);
            return without_gil([&] { return t.to(d); });
          },
          py::arg("device") = py::none())
      .def("type_as", [](const Tensor& t, const Tensor& other) { return without_gil([&] { return t.to(other.dtype()); }); },
           py::arg("other"));
  const std::pair<const char*, ScalarType> casts[] = {
      {"float", ScalarType::Float32}, {"double", ScalarType::Float64}, {"half", ScalarType::Float16},
      {"bfloat16", ScalarType::BFloat16}, {"long", ScalarType::Int64}, {"int", ScalarType::Int32},
      {"byte", ScalarType::UInt8}, {"bool", ScalarType::Bool}};
  for (const auto& [name, type] : casts) {
    const ScalarType t = type;
    cls.def(name, [t](const Tensor& self) { return self.to(t); }, py::call_guard<py::gil_scoped_release>());
  }

  // ---- filling and copying -----------------------------------------------------------------
  cls.def("zero_", inplace<>([](const Tensor& t) { t.zero_(); }))
      .def("fill_", inplace<Scalar>([](const Tensor& t, Scalar v) { t.fill_(v); }), py::arg("value"))
      .def("fill_",
           inplace<const Tensor&>([](const Tensor& t, const Tensor& v) {
             WICK_CHECK(v.dim() == 0, ValueError,
                        "fill_ only supports 0-dimension value tensor but got tensor with ", v.dim(), " dimensions");
             t.fill_(v.item());
           }),
           py::arg("value"))
      .def("copy_", inplace<const Tensor&, bool>([](const Tensor& t, const Tensor& src, bool) { t.copy_(src); }),
           py::arg("src"), py::arg("non_blocking") = false);

  // ---- Python protocols --------------------------------------------------------------------
  cls.def("__repr__", &Tensor::str)
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
            // Keep the Python type (a subclass such as nn.Parameter) and attributes.
            py::object cls_ = py::reinterpret_borrow<py::object>(self.get_type());
            py::object out = cls_.attr("__new__")(cls_);
            py::type::of<Tensor>().attr("__init__")(out, copy);
            memo[py::int_(reinterpret_cast<intptr_t>(self.ptr()))] = out;
            py::object dict = py::getattr(self, "__dict__", py::none());
            if (!dict.is_none() && py::len(dict) > 0)
              out.attr("__dict__").attr("update")(py::module_::import("copy").attr("deepcopy")(dict, memo));
            return out;
          },
          py::arg("memo"));
  // NumPy defers binary operators to the tensor (ndarray + tensor gives a tensor).
  cls.attr("__array_priority__") = 1000;

  // ---- operators ---------------------------------------------------------------------------
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
    if (scalar_from_object(other, s)) return py::cast(without_gil([&] { return pow(s, self); }));
    auto o = operand(other);
    if (!o) return not_implemented();
    return py::cast(without_gil([&] { return pow(*o, self); }));
  });
  cls.def("__ipow__", [](py::object self, py::handle other) -> py::object {
    Scalar s;
    if (!scalar_from_object(other, s)) return not_implemented();  // Python falls back to self = self ** other
    const Tensor& t = self.cast<const Tensor&>();
    without_gil([&] { pow_(t, s); });
    return self;
  });
  cls.def("__neg__", [](const Tensor& t) { return neg(t); }, py::call_guard<py::gil_scoped_release>())
      .def("__pos__", [](py::object self) { return self; })
      .def("__abs__", [](const Tensor& t) { return abs(t); }, py::call_guard<py::gil_scoped_release>())
      .def("__invert__", [](const Tensor& t) { return bitwise_not(t); }, py::call_guard<py::gil_scoped_release>());
}

}  // namespace wick::python
