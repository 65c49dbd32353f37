// Python data <-> tensors: wick.tensor / as_tensor / from_numpy, Tensor.numpy /
// tolist / item, and the operands of binary operators.
#include <cmath>
#include <limits>
#include <string>

#include <pybind11/numpy.h>

#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

// ---- NumPy -----------------------------------------------------------------------------------

constexpr const char* kNumpyTypes = "float64, float32, int64, int32, uint8, and bool";

// Read through Python attributes, not pybind11's dtype.kind()/itemsize(): those
// read NumPy 1's descriptor struct, whose layout NumPy 2 changed.
std::optional<ScalarType> scalar_type_of(const py::dtype& dt) {
  const char kind = dt.attr("kind").cast<std::string>()[0];
  const auto size = dt.attr("itemsize").cast<int64_t>();
  if (kind == 'f' && size == 4) return ScalarType::Float32;
  if (kind == 'f' && size == 8) return ScalarType::Float64;
  if (kind == 'i' && size == 8) return ScalarType::Int64;
  if (kind == 'i' && size == 4) return ScalarType::Int32;
  if (kind == 'u' && size == 1) return ScalarType::UInt8;
  if (kind == 'b' && size == 1) return ScalarType::Bool;
  return std::nullopt;
}

bool is_native_byte_order(const py::dtype& dt) {
  const char order = dt.attr("byteorder").cast<std::string>()[0];
  constexpr char native = std::endian::native == std::endian::little ? '<' : '>';
  return order == '=' || order == '|' || order == native;
}

ScalarType checked_scalar_type(const py::array& a) {
  auto t = scalar_type_of(a.dtype());
  if (!t) {
    throw py::type_error("can't convert np.ndarray of type numpy." +
                         py::str(a.dtype().attr("name")).cast<std::string>() +
                         ". The only supported types are: " + kNumpyTypes + ".");
  }
  return *t;
}

void release_numpy_array(void* context) {
  if (!Py_IsInitialized()) return;
  py::gil_scoped_acquire gil;
  Py_DECREF(static_cast<PyObject*>(context));
}

// A NumPy array wick can copy from: C-contiguous, native byte order and a
// supported dtype (converted to `dtype` first when the array's own one is not).
py::array copyable_array(py::handle obj, std::optional<ScalarType> dtype) {
  py::array a = py::reinterpret_borrow<py::array>(obj);
  py::dtype dt = a.dtype();
  if (!scalar_type_of(dt) && dtype && *dtype != ScalarType::Float16 && *dtype != ScalarType::BFloat16)
    a = a.attr("astype")(std::string(to_string(*dtype)));
  else if (!is_native_byte_order(dt))
    a = a.attr("astype")(dt.attr("newbyteorder")("="));
  if (!(a.flags() & py::array::c_style)) a = a.attr("copy")();  // a copy is C-contiguous
  return a;
}

// ---- nested sequences -----------------------------------------------------------------------

bool is_sequence(py::handle obj) {
  if (PyList_Check(obj.ptr()) || PyTuple_Check(obj.ptr())) return true;
  return is_numpy_array(obj) && py::reinterpret_borrow<py::array>(obj).ndim() > 0;
}

// The numbers of nested Python sequences, read in one pass: their shape, their
// values and the dtype PyTorch would infer (any float: the default float
// dtype; else any int: int64; else bool).
class SequenceReader {
 public:
  // As PyTorch (MAX_DIMS in torch/csrc/utils/tensor_new.cpp): deeper nesting
  // is refused before read() would recurse once per level.
  static constexpr size_t kMaxDims = 128;

  explicit SequenceReader(py::handle data) {
    py::object cur = py::reinterpret_borrow<py::object>(data);
    while (is_sequence(cur)) {
      if (shape_.size() == kMaxDims)
        throw py::value_error(std::string("too many dimensions '") + Py_TYPE(cur.ptr())->tp_name +
                              "' (tensor() takes at most " + std::to_string(kMaxDims) + " nested levels)");
      const Py_ssize_t n = PySequence_Size(cur.ptr());
      if (n < 0) throw py::error_already_set();
      shape_.push_back(n);
      if (n == 0) break;
      cur = py::reinterpret_steal<py::object>(PySequence_GetItem(cur.ptr(), 0));
      if (!cur) throw py::error_already_set();
    }
    read(data, 0);
  }

  Tensor to_tensor(std::optional<ScalarType> dtype) const {
    // No values at all (wick.tensor([])) gives the default float dtype, as in PyTorch.
    const ScalarType target = dtype.value_or(kind_ == Scalar::Kind::Float || values_.empty() ? default_dtype()
                                             : kind_ == Scalar::Kind::Int ? ScalarType::Int64
                                                                          : ScalarType::Bool);
    Tensor out = empty(shape_, TensorOptions(target));
    dispatch_dtype(target, "tensor", [&]<typename T>() {
      T* p = out.data_ptr<T>();
      for (size_t i = 0; i < values_.size(); ++i) p[i] = convert<T>(values_[i]);
    });
    return out;
  }

 private:
  template <typename T>
  static T convert(const Scalar& s) {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      // As PyTorch does, refuse values the integer type cannot hold.
      constexpr double lo = static_cast<double>(std::numeric_limits<T>::lowest());
      constexpr double hi = static_cast<double>(std::numeric_limits<T>::max()) + 1.0;  // a power of two
      bool fits = true;
      if (s.is_floating_point()) fits = s.to<double>() >= lo && s.to<double>() < hi;  // NaN fails too
      else if constexpr (sizeof(T) < 8) fits = s.to<int64_t>() >= static_cast<int64_t>(lo) && s.to<int64_t>() < static_cast<int64_t>(hi);
      WICK_CHECK(fits, Error, "tensor(): value ", s, " cannot be converted to type ", dtype_of<T>(),
                 " without overflow");
    }
    return s.to<T>();
  }

  void read(py::handle obj, size_t d) {
    if (d == shape_.size()) return read_number(obj);
    if (!is_sequence(obj)) {
      throw py::value_error("tensor(): expected a sequence of length " + std::to_string(shape_[d]) + " at dim " +
                            std::to_string(d) + " (got " + Py_TYPE(obj.ptr())->tp_name + ")");
    }
    py::object seq = py::reinterpret_steal<py::object>(PySequence_Fast(obj.ptr(), "not a sequence"));
    if (!seq) throw py::error_already_set();
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq.ptr());
    if (n != shape_[d]) {
      throw py::value_error("tensor(): expected sequence of length " + std::to_string(shape_[d]) + " at dim " +
                            std::to_string(d) + " (got " + std::to_string(n) + ")");
    }
    PyObject** items = PySequence_Fast_ITEMS(seq.ptr());
    for (Py_ssize_t i = 0; i < n; ++i) read(items[i], d + 1);
  }

  void read_number(py::handle obj) {
    Scalar s;
    if (!scalar_from_object(obj, s)) {
      if (is_tensor(obj)) {
        s = obj.cast<const Tensor&>().item();
      } else if (is_numpy_array(obj)) {  // a 0-dim array
        if (!scalar_from_object(obj.attr("item")(), s)) throw_invalid(obj);
      } else if (is_sequence(obj)) {
        throw py::value_error("tensor(): expected a number at dim " + std::to_string(shape_.size()) +
                              " but found a sequence (the nested lists are ragged)");
      } else {
        throw_invalid(obj);
      }
    }
    if (s.kind() > kind_) kind_ = s.kind();
    values_.push_back(s);
  }

  [[noreturn]] static void throw_invalid(py::handle obj) {
    throw py::type_error(std::string("tensor(): could not infer dtype of ") + Py_TYPE(obj.ptr())->tp_name);
  }

  std::vector<int64_t> shape_;
  std::vector<Scalar> values_;
  Scalar::Kind kind_ = Scalar::Kind::Bool;
};

// ---- tolist -----------------------------------------------------------------------------------

template <typename T>
py::object element(T v) {
  if constexpr (std::is_same_v<T, bool>) return py::bool_(v);
  else if constexpr (std::is_integral_v<T>) return py::int_(static_cast<int64_t>(v));
  else return py::float_(static_cast<double>(v));
}

template <typename T>
py::object nested_list(const T* data, IntArrayRef sizes, IntArrayRef strides, size_t d) {
  if (d == sizes.size()) return element(*data);
  PyObject* list = PyList_New(static_cast<Py_ssize_t>(sizes[d]));
  if (!list) throw py::error_already_set();  // MemoryError; tolist() names the shape
  py::list out = py::reinterpret_steal<py::list>(list);
  for (int64_t i = 0; i < sizes[d]; ++i)
    out[i] = nested_list(data + i * strides[d], sizes, strides, d + 1);
  return out;
}

}  // namespace

Tensor from_numpy(py::handle obj) {
  if (!is_numpy_array(obj))
    throw py::type_error(std::string("from_numpy(): expected np.ndarray (got ") + Py_TYPE(obj.ptr())->tp_name + ")");
  py::array a = py::reinterpret_borrow<py::array>(obj);
  const ScalarType dtype = checked_scalar_type(a);
  if (!is_native_byte_order(a.dtype()))
    throw py::value_error("from_numpy(): the given numpy array has byte order different from the native byte order. "
                          "Conversion between byte orders is currently not supported.");
  const auto itemsz = static_cast<int64_t>(itemsize(dtype));
  std::vector<int64_t> sizes(a.ndim()), strides(a.ndim());
  for (py::ssize_t d = 0; d < a.ndim(); ++d) {
    sizes[d] = a.shape(d);
    const int64_t stride = a.strides(d);
    if (stride < 0) {
      throw py::value_error(
          "from_numpy(): at least one stride in the given numpy array is negative, and tensors with negative "
          "strides are not currently supported. (You can probably work around this by making a copy of your "
          "array with array.copy().)");
    }
    if (stride % itemsz != 0) {
      throw py::value_error("from_numpy(): given numpy array strides not a multiple of the element byte size. "
                            "Copy the numpy array to reallocate the memory.");
    }
    strides[d] = stride / itemsz;
  }
  // Note [Read-only foreign memory]
  // A read-only array (a read-only np.memmap, np.frombuffer of bytes) is
  // shared as PyTorch shares it, without a copy, but stays read-only: its
  // storage is marked so, in-place ops on it raise, and .numpy() returns it
  // read-only. (PyTorch shares it writable, with a warning: a write then
  // crashes the process or changes an immutable bytes object.) Copying instead
  // would cost a read-only memmap its point, its memory.
  PyObject* owner = a.ptr();
  Py_INCREF(owner);
  try {
    Tensor t = from_blob(const_cast<void*>(a.data()), sizes, strides, dtype, kCPU, release_numpy_array, owner,
                         "from_numpy");
    if (!a.writeable()) t.impl()->storage()->set_read_only(true);
    return t;
  } catch (...) {
    Py_DECREF(owner);
    throw;
  }
}

Tensor tensor_from_data(py::handle data, std::optional<ScalarType> dtype, std::optional<Device> device,
                        bool requires_grad) {
  Tensor t;
  if (is_tensor(data)) {
    PyErr_WarnEx(PyExc_UserWarning,
                 "To copy construct from a tensor, it is recommended to use sourceTensor.clone().detach() or "
                 "sourceTensor.clone().detach().requires_grad_(True), rather than wick.tensor(sourceTensor).",
                 1);
    const Tensor& src = data.cast<const Tensor&>();
    t = without_gil([&] { return src.detach().clone(); });
  } else if (is_numpy_array(data) ||
             (std::string_view(Py_TYPE(data.ptr())->tp_name).starts_with("numpy.") && py::hasattr(data, "dtype"))) {
    // Arrays, and NumPy scalars (which keep their dtype, as in PyTorch).
    py::array a = copyable_array(py::module_::import("numpy").attr("asarray")(data), dtype);
    Tensor view = from_numpy(a);
    t = without_gil([&] { return view.clone(); });
  } else {
    t = SequenceReader(data).to_tensor(dtype);
  }
  t = without_gil([&] { return to(t, device.value_or(t.device()), dtype.value_or(t.dtype())); });
  if (requires_grad) t.requires_grad_();
  return t;
}

Tensor as_tensor(py::handle data, std::optional<ScalarType> dtype, std::optional<Device> device) {
  Tensor t;
  if (is_tensor(data)) t = data.cast<Tensor>();
  else if (is_numpy_array(data) && scalar_type_of(py::reinterpret_borrow<py::array>(data).dtype()) &&
           is_native_byte_order(py::reinterpret_borrow<py::array>(data).dtype()))
    t = from_numpy(data);
  else return tensor_from_data(data, dtype, device, false);
  return without_gil([&] { return to(t, device.value_or(t.device()), dtype.value_or(t.dtype())); });
}

py::object to_numpy(const Tensor& self, bool force) {
  Tensor t = force ? without_gil([&] { return self.detach().cpu(); }) : self;
  WICK_CHECK(!t.requires_grad(), Error,
             "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.");
  WICK_CHECK(t.device().is_cpu(), TypeError, "can't convert ", t.device(),
             " device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.");
  WICK_CHECK(t.dtype() != ScalarType::BFloat16, TypeError, "Got unsupported ScalarType bfloat16");
  const auto itemsz = static_cast<py::ssize_t>(t.element_size());
  std::vector<py::ssize_t> shape(t.sizes().begin(), t.sizes().end()), strides;
  for (int64_t s : t.strides()) strides.push_back(s * itemsz);
  // The array keeps the tensor (so its storage) alive.
  py::capsule owner(new Tensor(t), [](void* p) { delete static_cast<Tensor*>(p); });
  py::dtype dt = py::dtype::from_args(py::str(std::string(to_string(t.dtype()))));
  py::array out(dt, shape, strides, t.numel() ? t.raw_data() : nullptr, owner);
  if (t.impl()->storage()->read_only()) out.attr("setflags")(py::arg("write") = false);  // Note [Read-only foreign memory]
  return out;
}

py::object tolist(const Tensor& self) {
  // One Python list per row of the leading dims, even when the last dim is empty: shape
  // (2**40, 0) asks for 2**40 lists. More than 2**31 are refused up front (at 64 bytes each they
  // would take 128 GiB), and running out of memory on the way is a MemoryError naming the shape.
  uint64_t lists = 0, rows = 1;
  for (int64_t d = 0; d + 1 < self.dim(); ++d) {
    if (__builtin_mul_overflow(rows, static_cast<uint64_t>(self.size(d)), &rows)) rows = UINT64_MAX;
    lists = rows > UINT64_MAX - lists ? UINT64_MAX : lists + rows;
  }
  const auto out_of_memory = [&](const std::string& how) {
    PyErr_SetString(PyExc_MemoryError, ("tolist(): a tensor of shape " + detail::str_cat(self.sizes()) + " " + how).c_str());
    return py::error_already_set();
  };
  if (lists > (uint64_t{1} << 31))
    throw out_of_memory("would be " + std::to_string(lists) + " nested Python lists, more than any memory holds");
  Tensor host = without_gil([&] { return self.detach().cpu(); });
  try {
    return dispatch_dtype(host.dtype(), "tolist", [&]<typename T>() {
      return nested_list(static_cast<const T*>(host.raw_data()), host.sizes(), host.strides(), 0);
    });
  } catch (py::error_already_set& e) {
    if (!e.matches(PyExc_MemoryError)) throw;
    PyErr_Clear();
    throw out_of_memory("ran out of memory as a nested Python list");
  }
}

py::object item(const Tensor& self) { return scalar_to_object(without_gil([&] { return self.item(); })); }

std::optional<Tensor> operand(py::handle obj) {
  if (is_tensor(obj)) return obj.cast<Tensor>();
  Scalar s;
  // Numbers stay on the CPU as wrapped 0-dim tensors, as in the C++ operators.
  if (scalar_from_object(obj, s)) return wrap_scalar(s);
  if (is_numpy_array(obj)) return tensor_from_data(obj, std::nullopt, std::nullopt, false);
  return std::nullopt;
}

}  // namespace wick::python
