// Checkpoints from Python: the C++ half of wick.save / wick.load
// (python/wick/serialization.py). Python values become an io::Value here and
// back, with no pickle anywhere: a value that is not None, a bool, an int, a
// float, a str, a tensor, or a list, tuple or dict of them is a TypeError.
#include <cerrno>
#include <cstring>

#include "io/checkpoint.h"
#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

using io::Value;

// Where in the saved object: root['model'][3], for messages.
struct Crumb {
  const Crumb* parent = nullptr;
  py::handle key;  // a str or int key, or an int list index
};

std::string where(const Crumb& at) {
  if (!at.parent) return "root";
  return where(*at.parent) + "[" + py::repr(at.key).cast<std::string>() + "]";
}

[[noreturn]] void raise(PyObject* kind, const std::string& message) {
  PyErr_SetString(kind, message.c_str());
  throw py::error_already_set();
}

class ToValue {
 public:
  explicit ToValue(py::handle parameter_type) : parameter_type_(parameter_type) {}

  Value convert(py::handle obj, int depth, const Crumb& at) const {
    PyObject* p = obj.ptr();
    if (p == Py_None) return Value();
    if (PyBool_Check(p)) return Value(p == Py_True);
    if (PyLong_Check(p)) {
      int overflow = 0;
      const long long v = PyLong_AsLongLongAndOverflow(p, &overflow);
      if (overflow)
        raise(PyExc_OverflowError, "wick.save: the int at " + where(at) + " does not fit in 64 bits");
      if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
      return Value(int64_t{v});
    }
    if (PyFloat_Check(p)) return Value(PyFloat_AS_DOUBLE(p));
    if (PyUnicode_Check(p)) return Value(utf8(obj));
    if (is_tensor(obj)) {
      Value v(obj.cast<Tensor>());
      if (!parameter_type_.is_none() && PyObject_IsInstance(p, parameter_type_.ptr()) == 1)
        v.hint = Value::Hint::Parameter;
      return v;
    }
    if (is_numpy_array(obj)) {  // kept as its values and dtype; it loads as a NumPy array again
      if (py::str(obj.attr("dtype").attr("kind")).cast<std::string>() == "O")
        raise(PyExc_TypeError, "wick.save: the NumPy array at " + where(at) +
                                   " holds Python objects (dtype=object); a checkpoint holds numbers only");
      Value v(tensor_from_data(obj, std::nullopt, Device(DeviceType::CPU), false));
      v.hint = Value::Hint::NumpyArray;
      return v;
    }
    const bool container = PyDict_Check(p) || PyList_Check(p) || PyTuple_Check(p);
    if (!container)
      raise(PyExc_TypeError, "wick.save: cannot save an object of type '" + std::string(Py_TYPE(p)->tp_name) +
                                 "' (at " + where(at) +
                                 "); a checkpoint holds tensors, NumPy arrays, dicts, lists, tuples, ints, floats, "
                                 "strs, bools and None, and wick never pickles arbitrary objects");
    if (depth >= io::kMaxDepth)
      raise(PyExc_ValueError, "wick.save: the containers at " + where(at) + " nest deeper than " +
                                  std::to_string(io::kMaxDepth) + " levels (does a container hold itself?)");
    if (PyDict_Check(p)) return dict(obj, depth, at);
    py::sequence seq = py::reinterpret_borrow<py::sequence>(obj);
    io::List list;
    list.reserve(seq.size());
    for (size_t i = 0; i < seq.size(); ++i) {
      py::object item = seq[i];
      py::int_ index(i);
      list.push_back(convert(item, depth + 1, Crumb{&at, index}));
    }
    Value out(std::move(list));
    if (PyTuple_Check(p)) out.hint = Value::Hint::Tuple;
    return out;
  }

 private:
  static std::string utf8(py::handle s) {
    Py_ssize_t n = 0;
    const char* data = PyUnicode_AsUTF8AndSize(s.ptr(), &n);
    if (!data) throw py::error_already_set();
    return std::string(data, static_cast<size_t>(n));
  }

  // Keys all str (a state_dict) or all int (an optimizer's state), so that they come back as they were.
  Value dict(py::handle obj, int depth, const Crumb& at) const {
    PyObject *key = nullptr, *item = nullptr;
    Py_ssize_t pos = 0;
    bool str_keys = false, int_keys = false;
    io::Dict dict;
    dict.reserve(static_cast<size_t>(PyDict_Size(obj.ptr())));
    while (PyDict_Next(obj.ptr(), &pos, &key, &item)) {
      const bool is_str = PyUnicode_Check(key), is_int = PyLong_Check(key) && !PyBool_Check(key);
      if (!is_str && !is_int)
        raise(PyExc_TypeError, "wick.save: the dict at " + where(at) + " has a key of type '" +
                                   Py_TYPE(key)->tp_name + "'; dict keys must be str or int");
      str_keys |= is_str;
      int_keys |= is_int;
      if (str_keys && int_keys)
        raise(PyExc_TypeError, "wick.save: the dict at " + where(at) +
                                   " mixes str and int keys; a checkpoint's dict has keys of one kind");
      std::string k = is_str ? utf8(key) : py::str(key).cast<std::string>();
      if (is_int) {
        int overflow = 0;
        PyLong_AsLongLongAndOverflow(key, &overflow);
        if (overflow)
          raise(PyExc_OverflowError, "wick.save: the key " + k + " of the dict at " + where(at) +
                                         " does not fit in 64 bits");
      }
      dict.emplace_back(std::move(k), convert(item, depth + 1, Crumb{&at, key}));
    }
    Value out(std::move(dict));
    if (int_keys) out.hint = Value::Hint::IntKeys;
    return out;
  }

  py::handle parameter_type_;
};

// The loaded tree as Python objects. It empties `value` as it goes, so that the
// C++ tree shrinks while the Python one grows (Note [Header memory]).
py::object to_python(Value& value, py::handle parameter_type) {
  return std::visit(
      [&](auto& x) -> py::object {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return py::none();
        } else if constexpr (std::is_same_v<T, bool>) {
          return py::bool_(x);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return py::int_(x);
        } else if constexpr (std::is_same_v<T, double>) {
          return py::float_(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          py::str out(x);
          std::string().swap(x);
          return out;
        } else if constexpr (std::is_same_v<T, Tensor>) {
          const bool requires_grad = x.requires_grad();
          py::object t = py::cast(std::move(x));
          if (value.hint == Value::Hint::Parameter && !parameter_type.is_none())
            return parameter_type(t, py::arg("requires_grad") = requires_grad);
          if (value.hint == Value::Hint::NumpyArray) return t.attr("cpu")().attr("numpy")();
          return t;
        } else if constexpr (std::is_same_v<T, io::List>) {
          if (value.hint == Value::Hint::Tuple) {
            py::tuple out(x.size());
            for (size_t i = 0; i < x.size(); ++i) out[i] = to_python(x[i], parameter_type);
            io::List().swap(x);
            return out;
          }
          py::list out(x.size());
          for (size_t i = 0; i < x.size(); ++i) out[i] = to_python(x[i], parameter_type);
          io::List().swap(x);
          return out;
        } else {
          py::dict out;
          const bool int_keys = value.hint == Value::Hint::IntKeys;
          for (auto& [key, item] : x) {
            py::object k = int_keys ? py::reinterpret_steal<py::object>(PyLong_FromString(key.c_str(), nullptr, 10))
                                    : py::str(key);
            if (!k) throw py::error_already_set();
            std::string().swap(key);
            out[k] = to_python(item, parameter_type);
          }
          io::Dict().swap(x);
          return out;
        }
      },
      value.v);
}

Device device_from(py::handle obj, const char* what) {
  if (py::isinstance<Device>(obj)) return obj.cast<Device>();
  if (PyUnicode_Check(obj.ptr())) return Device(std::string_view(obj.cast<std::string>()));
  raise(PyExc_TypeError, std::string("wick.load: ") + what + " must be a str or a wick.device, not '" +
                             Py_TYPE(obj.ptr())->tp_name + "'");
}

// PyTorch's map_location: None (each tensor back where it was saved), a device
// or its name, or a dict from saved locations to new ones.
io::DeviceMap device_map(py::handle map_location) {
  if (map_location.is_none()) return {};
  if (py::isinstance<Device>(map_location) || PyUnicode_Check(map_location.ptr())) {
    const Device to = device_from(map_location, "map_location");
    return [to](Device) { return to; };
  }
  if (PyDict_Check(map_location.ptr())) {
    std::vector<std::pair<Device, Device>> pairs;
    for (auto [from, to] : py::reinterpret_borrow<py::dict>(map_location))
      pairs.emplace_back(device_from(from, "a map_location key"), device_from(to, "a map_location value"));
    return [pairs = std::move(pairs)](Device saved) {
      for (const auto& [from, to] : pairs)
        if (from == saved) return to;
      return saved;
    };
  }
  if (PyCallable_Check(map_location.ptr()))
    raise(PyExc_TypeError,
          "wick.load: map_location as a function is not supported; pass a device, a str such as 'cpu', or a "
          "dict such as {'cuda:1': 'cuda:0'}");
  raise(PyExc_TypeError, std::string("wick.load: map_location must be None, a str, a wick.device or a dict, not '") +
                             Py_TYPE(map_location.ptr())->tp_name + "'");
}

// Runs f without the GIL; a refusal by the system becomes the matching OSError
// (FileNotFoundError, PermissionError, IsADirectoryError ...), worded as
// Python's own: "[Errno 2] No such file or directory: 'model.wick'".
template <typename F>
auto with_os_errors(F&& f) {
  try {
    py::gil_scoped_release release;
    return f();
  } catch (const io::FileError& e) {
    py::object error = py::reinterpret_borrow<py::object>(PyExc_OSError)(
        e.error_code(), std::strerror(e.error_code()), e.path());
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(error.ptr())), error.ptr());
    throw py::error_already_set();
  }
}

}  // namespace

void init_io(py::module_& m) {
  m.def(
      "_save_checkpoint",
      [](py::handle obj, const std::string& path, py::handle parameter_type) {
        const Value value = ToValue(parameter_type).convert(obj, 0, Crumb{});
        with_os_errors([&] { io::save(value, path); });
      },
      py::arg("obj"), py::arg("path"), py::arg("parameter_type"));

  m.def(
      "_checkpoint_bytes",
      [](py::handle obj, py::handle parameter_type) {
        const Value value = ToValue(parameter_type).convert(obj, 0, Crumb{});
        std::optional<io::Writer> writer;
        without_gil([&] { writer.emplace(value); });
        // Written straight into the bytes object: no second copy of the tensors.
        PyObject* raw = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(writer->size()));
        if (!raw) throw py::error_already_set();
        py::bytes out = py::reinterpret_steal<py::bytes>(raw);
        without_gil([&] { writer->write_to(PyBytes_AS_STRING(raw)); });
        return out;
      },
      py::arg("obj"), py::arg("parameter_type"));

  m.def(
      "_load_checkpoint",
      [](const std::string& path, py::handle map_location, py::handle parameter_type) {
        const io::DeviceMap map = device_map(map_location);
        Value value = with_os_errors([&] { return io::load(path, map); });
        return to_python(value, parameter_type);
      },
      py::arg("path"), py::arg("map_location"), py::arg("parameter_type"));

  m.def(
      "_load_checkpoint_bytes",
      [](py::buffer data, const std::string& name, py::handle map_location, py::handle parameter_type) {
        const io::DeviceMap map = device_map(map_location);
        const py::buffer_info info = data.request();
        const std::string_view bytes(static_cast<const char*>(info.ptr),
                                     static_cast<size_t>(info.size * info.itemsize));
        Value value = without_gil([&] { return io::load_from_bytes(bytes, map, name); });
        return to_python(value, parameter_type);
      },
      py::arg("data"), py::arg("name"), py::arg("map_location"), py::arg("parameter_type"));

  m.def(
      "_checkpoint_size",
      [](const py::bytes& head, const std::string& name) {
        return io::checkpoint_size(std::string_view(head), name);
      },
      py::arg("head"), py::arg("name"),
      "The size of the checkpoint whose first bytes (at least 64) are `head`.");
}

}  // namespace wick::python
