// wick._C: the module, exception translation, dtype and device objects, the
// conversions every binding file uses, and global state (seeds, grad mode,
// memory statistics).
#include <cstdio>
#include <new>
#include <stdexcept>
#include <string_view>

#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

constexpr ScalarType kAllScalarTypes[] = {ScalarType::Bool,    ScalarType::UInt8,    ScalarType::Int32,
                                          ScalarType::Int64,   ScalarType::Float16,  ScalarType::BFloat16,
                                          ScalarType::Float32, ScalarType::Float64};

// The dtype singletons, created once and never freed (they live as long as the module).
PyObject* g_dtypes[kNumScalarTypes] = {};

bool has_numpy_type(py::handle obj) {
  return std::string_view(Py_TYPE(obj.ptr())->tp_name).starts_with("numpy.");
}

[[noreturn]] void throw_type_error(const char* op, const char* arg, const char* expected, py::handle got,
                                   std::optional<size_t> pos = {}) {
  std::string msg = std::string(op) + "(): argument '" + arg + "' must be " + expected + ", but found ";
  if (pos) msg += "element of type " + std::string(Py_TYPE(got.ptr())->tp_name) + " at pos " + std::to_string(*pos);
  else msg += std::string(Py_TYPE(got.ptr())->tp_name);
  throw py::type_error(msg);
}

// The element of `obj` as an int64 via __index__ (ints, NumPy integers, integer tensors).
bool index_from(py::handle obj, int64_t& out) {
  if (!PyIndex_Check(obj.ptr())) return false;
  py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(obj.ptr()));
  if (!index) throw py::error_already_set();
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  if (overflow) throw py::value_error("Overflow when unpacking long: the value does not fit in int64");
  if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
  out = v;
  return true;
}

}  // namespace

GilSafeObject::GilSafeObject(py::object obj)
    : obj_(new py::object(std::move(obj)), [](py::object* o) {
        if (!Py_IsInitialized()) {  // the interpreter is gone: leak the reference
          o->release();
          delete o;
          return;
        }
        py::gil_scoped_acquire gil;
        delete o;
      }) {}

py::tuple tensor_tuple(const TensorList& tensors) {
  py::tuple out(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) out[i] = py::cast(tensors[i]);
  return out;
}

void disallow_new(py::handle cls) {
  const std::string name = py::str(cls.attr("__name__"));
  cls.attr("__new__") = py::staticmethod(py::cpp_function(
      [name](py::handle, const py::args&, const py::kwargs&) -> py::object {
        throw py::type_error("cannot create 'wick." + name + "' instances");
      },
      py::name("__new__")));
}

py::handle dtype_object(ScalarType t) { return g_dtypes[static_cast<int>(t)]; }

std::optional<ScalarType> dtype_from_object(py::handle obj, bool convert) {
  if (py::isinstance<DType>(obj)) return obj.cast<const DType&>().type;
  if (!convert) return std::nullopt;
  // As in PyTorch, the Python types stand for float64, int64 and bool.
  if (obj.ptr() == reinterpret_cast<PyObject*>(&PyFloat_Type)) return ScalarType::Float64;
  if (obj.ptr() == reinterpret_cast<PyObject*>(&PyBool_Type)) return ScalarType::Bool;
  if (obj.ptr() == reinterpret_cast<PyObject*>(&PyLong_Type)) return ScalarType::Int64;
  // NumPy dtypes and scalar types (np.float32, np.dtype('int64')).
  const bool numpy_type = PyType_Check(obj.ptr()) && py::hasattr(obj, "__module__") &&
                          py::str(obj.attr("__module__")).cast<std::string>() == "numpy";
  if (numpy_type || has_numpy_type(obj)) {
    const auto name = py::str(py::module_::import("numpy").attr("dtype")(obj).attr("name")).cast<std::string>();
    for (ScalarType t : kAllScalarTypes)
      if (to_string(t) == name) return t;
  }
  return std::nullopt;
}

bool scalar_from_object(py::handle obj, Scalar& out) {
  PyObject* p = obj.ptr();
  if (PyBool_Check(p)) {
    out = Scalar(p == Py_True);
    return true;
  }
  if (PyLong_Check(p)) {
    int64_t v = 0;
    index_from(obj, v);
    out = Scalar(v);
    return true;
  }
  if (PyFloat_Check(p)) {
    out = Scalar(PyFloat_AS_DOUBLE(p));
    return true;
  }
  // NumPy scalars (np.float32(1), np.int64(2), np.bool_(True)): their .item() is a Python number.
  if (has_numpy_type(obj) && !is_numpy_array(obj) && py::hasattr(obj, "item")) {
    py::object value = obj.attr("item")();
    if (PyBool_Check(value.ptr()) || PyLong_Check(value.ptr()) || PyFloat_Check(value.ptr()))
      return scalar_from_object(value, out);
  }
  return false;
}

py::object scalar_to_object(const Scalar& s) {
  if (s.is_bool()) return py::bool_(s.to<bool>());
  if (s.is_integral()) return py::int_(s.to<int64_t>());
  return py::float_(s.to<double>());
}

bool is_tensor(py::handle obj) { return py::isinstance<Tensor>(obj); }

bool is_numpy_array(py::handle obj) {
  // Only an object whose type NumPy made can be an array; checked first so
  // that wick never imports NumPy itself.
  PyObject* numpy = PyDict_GetItemString(PyImport_GetModuleDict(), "numpy");
  if (!numpy) return false;
  static PyObject* ndarray = nullptr;
  if (!ndarray) ndarray = PyObject_GetAttrString(numpy, "ndarray");  // kept for the process
  return ndarray && PyObject_IsInstance(obj.ptr(), ndarray) == 1;
}

int64_t int_from(py::handle obj, const char* op, const char* arg) {
  int64_t v = 0;
  if (!index_from(obj, v)) throw_type_error(op, arg, "int", obj);
  return v;
}

std::vector<int64_t> int_list(py::handle obj, const char* op, const char* arg) {
  int64_t one = 0;
  if (!PyTuple_Check(obj.ptr()) && !PyList_Check(obj.ptr())) {
    if (!index_from(obj, one)) throw_type_error(op, arg, "tuple of ints", obj);
    return {one};
  }
  py::sequence seq = py::reinterpret_borrow<py::sequence>(obj);
  std::vector<int64_t> out;
  out.reserve(seq.size());
  for (size_t i = 0; i < seq.size(); ++i) {
    py::object item = seq[i];
    if (!index_from(item, one)) throw_type_error(op, arg, "tuple of ints", item, i);
    out.push_back(one);
  }
  return out;
}

std::vector<int64_t> sizes_from_args(const py::args& args, const char* op) {
  if (args.size() == 1 && (PyTuple_Check(args[0].ptr()) || PyList_Check(args[0].ptr())))
    return int_list(args[0], op, "size");
  std::vector<int64_t> out;
  out.reserve(args.size());
  int64_t v = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    if (!index_from(args[i], v)) throw_type_error(op, "size", "tuple of ints", args[i], i);
    out.push_back(v);
  }
  return out;
}

std::optional<std::vector<int64_t>> dims_from(py::handle obj, const char* op) {
  if (obj.is_none()) return std::nullopt;
  return int_list(obj, op, "dim");
}

TensorOptions make_options(std::optional<ScalarType> dtype, std::optional<Device> device, bool requires_grad) {
  TensorOptions o;
  o.dtype_ = dtype;
  if (device) o.device_ = *device;
  o.requires_grad_ = requires_grad;
  return o;
}

py::object make_size(IntArrayRef sizes) {
  static PyObject* size_type = nullptr;
  if (!size_type) size_type = py::object(py::module_::import("wick._size").attr("Size")).release().ptr();
  py::tuple t(sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) t[i] = py::int_(sizes[i]);
  // tuple.__new__(Size, t): skips Size.__new__'s checks, which these ints pass.
  py::tuple args = py::make_tuple(t);
  PyObject* size = PyTuple_Type.tp_new(reinterpret_cast<PyTypeObject*>(size_type), args.ptr(), nullptr);
  if (!size) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(size);
}

py::object make_return_type(const char* name, py::object a, py::object b) {
  return py::module_::import("wick.return_types").attr(name)(std::move(a), std::move(b));
}

namespace {

void init_dtypes(py::module_& m) {
  py::class_<DType>(m, "dtype", "The data type of a tensor's elements, e.g. wick.float32.")
      .def_property_readonly(
          "is_floating_point", [](const DType& d) { return is_floating_point(d.type); },
          "True for float16, bfloat16, float32 and float64.")
      .def_property_readonly(
          "is_signed", [](const DType& d) { return d.type != ScalarType::Bool && d.type != ScalarType::UInt8; },
          "True when the type has negative values (all but bool and uint8).")
      .def_property_readonly(
          "itemsize", [](const DType& d) { return itemsize(d.type); }, "The size of one element in bytes.")
      .def("__repr__", [](const DType& d) { return "wick." + std::string(to_string(d.type)); })
      .def("__reduce__", [](const DType& d) { return std::string(to_string(d.type)); });
  disallow_new(m.attr("dtype"));
  for (ScalarType t : kAllScalarTypes) {
    py::object obj = py::cast(DType{t});
    m.attr(std::string(to_string(t)).c_str()) = obj;
    g_dtypes[static_cast<int>(t)] = obj.release().ptr();
  }
}

void init_device(py::module_& m) {
  py::class_<Device>(m, "device", "Where a tensor's memory lives: wick.device('cpu'), wick.device('cuda', 0).")
      .def(py::init([](const std::string& spec) { return Device(std::string_view(spec)); }), py::arg("type"))
      .def(py::init([](const std::string& type, int64_t index) {
             WICK_CHECK(type.find(':') == std::string::npos, ValueError,
                        "device(): type (string) must not include an index because index was passed explicitly: ",
                        type);
             WICK_CHECK(index >= 0, ValueError, "device(): the device index must not be negative, got ", index);
             return Device(std::string_view(type + ":" + std::to_string(index)));
           }),
           py::arg("type"), py::arg("index"))
      .def(py::init([](const Device& d) { return d; }))
      .def_property_readonly(
          "type", [](const Device& d) { return d.is_cuda() ? "cuda" : "cpu"; }, "'cpu' or 'cuda'.")
      .def_property_readonly(
          "index",
          [](const Device& d) -> py::object {
            if (d.is_cpu()) return py::none();
            return py::int_(d.index);
          },
          "The GPU's ordinal, or None for the CPU.")
      .def("__str__", method(&Device::str))
      .def("__repr__",
           [](const Device& d) {
             if (d.is_cpu()) return std::string("device(type='cpu')");
             return "device(type='cuda', index=" + std::to_string(d.index) + ")";
           })
      .def("__eq__",
           [](const Device& a, py::handle b) {
             if (py::isinstance<Device>(b)) return a == b.cast<const Device&>();
             if (py::isinstance<py::str>(b)) return a.str() == b.cast<std::string>();
             return false;
           })
      .def("__hash__", [](const Device& d) { return static_cast<int>(d.type) * 256 + d.index; })
      .def("__reduce__", [](py::handle self) {
        return py::make_tuple(self.get_type(), py::make_tuple(self.cast<const Device&>().str()));
      });
  py::implicitly_convertible<py::str, Device>();
  // Constructed in __new__ (see disallow_new); pybind11 then skips __init__.
  py::object device = m.attr("device");
  py::object raw_new = device.attr("__new__"), raw_init = device.attr("__init__");
  device.attr("__new__") = py::staticmethod(py::cpp_function(
      [raw_new, raw_init](py::handle type, const py::args& args, const py::kwargs& kwargs) {
        py::object self = raw_new(type);
        raw_init(self, *args, **kwargs);
        return self;
      },
      py::name("__new__")));
}

void init_exceptions(py::module_& m) {
  // wick::ValueError (a shape or value that does not fit) becomes
  // wick.ValueError, a subclass of both ValueError and RuntimeError: PyTorch
  // raises RuntimeError for most of these, and code written for it catches
  // that, while ValueError is what the mistake is. Kept private in _C so that
  // `from wick import *` cannot shadow the builtin.
  static PyObject* value_error = PyErr_NewExceptionWithDoc(
      "wick.ValueError", "A shape or value that does not fit the op (also a RuntimeError, as PyTorch raises).",
      py::make_tuple(py::handle(PyExc_ValueError), py::handle(PyExc_RuntimeError)).release().ptr(), nullptr);
  if (!value_error) throw py::error_already_set();
  m.attr("_ValueError") = py::handle(value_error);
  // wick::TypeError (a dtype an op does not take, or dtypes that do not go
  // together) becomes wick.TypeError, a subclass of both TypeError and
  // RuntimeError, for the same reason: PyTorch raises RuntimeError for these
  // ("expected scalar type Float but found Double"), and code written for it
  // catches that. Argument parsing errors (a str where a tensor goes) stay
  // the builtin TypeError, as in PyTorch.
  static PyObject* type_error = PyErr_NewExceptionWithDoc(
      "wick.TypeError", "A dtype that does not fit the op (also a RuntimeError, as PyTorch raises).",
      py::make_tuple(py::handle(PyExc_TypeError), py::handle(PyExc_RuntimeError)).release().ptr(), nullptr);
  if (!type_error) throw py::error_already_set();
  m.attr("_TypeError") = py::handle(type_error);
  // wick::LinAlgError becomes wick.linalg.LinAlgError (torch.linalg.LinAlgError), a RuntimeError.
  static PyObject* linalg_error = PyErr_NewExceptionWithDoc(
      "wick.linalg.LinAlgError",
      "A matrix a linear-algebra function could not factor or solve (singular, not positive-definite, no "
      "convergence).",
      PyExc_RuntimeError, nullptr);
  if (!linalg_error) throw py::error_already_set();
  m.attr("_LinAlgError") = py::handle(linalg_error);
  // The most derived kinds first: each is also a wick::Error.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const wick::ValueError& e) {
      PyErr_SetString(value_error, e.what());
    } catch (const wick::TypeError& e) {
      PyErr_SetString(type_error, e.what());
    } catch (const wick::IndexError& e) {
      PyErr_SetString(PyExc_IndexError, e.what());
    } catch (const wick::NotImplementedError& e) {
      PyErr_SetString(PyExc_NotImplementedError, e.what());
    } catch (const wick::LinAlgError& e) {
      PyErr_SetString(linalg_error, e.what());
    } catch (const wick::Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    } catch (const std::bad_alloc&) {
      // A C++ container's allocation (std::bad_alloc's what() is just "std::bad_alloc"); tensors'
      // memory fails earlier with the allocator's own message.
      PyErr_SetString(PyExc_MemoryError, "out of memory: this call asked for more memory than the system gives");
    } catch (const std::length_error&) {
      // A size past what a C++ container can hold ("vector::reserve", "basic_string::_M_create").
      PyErr_SetString(PyExc_MemoryError, "out of memory: this call asked for a container larger than can exist");
    } catch (const py::cast_error&) {
      // A binding's .cast<T>() of an argument of another type: pybind11's own text ("Unable to cast
      // Python instance to C++ type") tells the user nothing. The bindings check their arguments'
      // types first; this is the net under the ones that do not (difftest --fuzz looks for them).
      PyErr_SetString(PyExc_TypeError,
                      "an argument has a type this function cannot take where it was given (it needs a number, "
                      "a string, a dtype or a Tensor there: see the function's help())");
    }
  });
}

void init_state(py::module_& m) {
  m.def(
      "manual_seed",
      [](py::int_ seed) {
        // Any Python int, negative ones included, as in PyTorch: its low 64 bits.
        const unsigned long long s = PyLong_AsUnsignedLongLongMask(seed.ptr());
        if (PyErr_Occurred()) throw py::error_already_set();
        manual_seed(s);
      },
      py::arg("seed"), "Seeds the default random generator.");
  m.def(
      "initial_seed", [] { return default_generator().initial_seed(); },
      "initial_seed() -> int\n\nThe seed the default generator was last started from.");
  m.def(
      "get_default_dtype", [] { return default_dtype(); },
      "get_default_dtype() -> wick.dtype\n\nThe dtype of new float tensors (wick.float32 unless changed).");
  m.def("set_default_dtype", &set_default_dtype, py::arg("d"),
        "set_default_dtype(d) -> None\n\n"
        "Makes d (a floating point dtype) the dtype of new float tensors, e.g. wick.tensor([1.0]).");
  m.def("get_num_threads", &get_num_threads, "get_num_threads() -> int\n\nThe number of threads CPU ops use.");
  m.def(
      "set_num_threads",
      [](int num) {
        WICK_CHECK(num > 0, Error, "set_num_threads expects a positive integer, got ", num);
        set_num_threads(num);
      },
      py::arg("num"),
      "set_num_threads(num) -> None\n\nSets the number of threads CPU ops use (at least 1).");

  m.def("is_grad_enabled", &GradMode::is_enabled,
        "is_grad_enabled() -> bool\n\nWhether ops record the autograd graph on this thread (see wick.no_grad).");
  m.def("_set_grad_enabled", &GradMode::set_enabled, py::arg("mode"),
        "Turns grad mode on or off for this thread (wick.set_grad_enabled wraps it).");
  m.def("is_anomaly_enabled", &AnomalyMode::is_enabled,
        "is_anomaly_enabled() -> bool\n\nWhether anomaly detection is on (see wick.autograd.detect_anomaly).");
  m.def("_set_anomaly_enabled", &AnomalyMode::set_enabled, py::arg("mode"),
        "Turns anomaly detection on or off (wick.autograd.set_detect_anomaly wraps it).");

  // Memory statistics of one device (the CPU by default).
  auto device_or_cpu = [](std::optional<Device> d) { return d.value_or(kCPU); };
  m.def(
      "memory_allocated", [=](std::optional<Device> d) { return memory_allocated(device_or_cpu(d)); },
      py::arg("device") = py::none(), "Bytes held by tensors on the device now.");
  m.def(
      "max_memory_allocated", [=](std::optional<Device> d) { return max_memory_allocated(device_or_cpu(d)); },
      py::arg("device") = py::none(), "The most bytes held at once since the last reset_peak_memory_stats.");
  m.def(
      "reset_peak_memory_stats", [=](std::optional<Device> d) { reset_peak_memory_stats(device_or_cpu(d)); },
      py::arg("device") = py::none(),
      "reset_peak_memory_stats(device=None) -> None\n\nStarts max_memory_allocated afresh from the bytes in use now.");
  m.def(
      "memory_reserved", [=](std::optional<Device> d) { return memory_stats(device_or_cpu(d)).reserved_bytes; },
      py::arg("device") = py::none(), "Bytes held by the allocator: in use plus cached.");
  m.def(
      "memory_stats",
      [=](std::optional<Device> d) {
        const MemoryStats s = memory_stats(device_or_cpu(d));
        py::dict out;
        out["allocated_bytes"] = s.allocated_bytes;
        out["peak_bytes"] = s.peak_bytes;
        out["reserved_bytes"] = s.reserved_bytes;
        out["num_allocs"] = s.num_allocs;
        out["num_frees"] = s.num_frees;
        out["num_system_allocs"] = s.num_system_allocs;
        return out;
      },
      py::arg("device") = py::none(),
      "memory_stats(device=None) -> dict\n\n"
      "The allocator's counters for a device (the CPU by default): allocated_bytes, peak_bytes,\n"
      "reserved_bytes, num_allocs, num_frees, num_system_allocs.");
  m.def(
      "empty_cache", [=](std::optional<Device> d) { empty_cache(device_or_cpu(d)); },
      py::arg("device") = py::none(), "Returns the allocator's cached blocks to the system.");

  m.def("_cuda_is_available", &cuda::is_available, "Whether wick can use a CUDA GPU (wick.cuda.is_available).");
  m.def("_cuda_device_count", &cuda::device_count, "The number of usable CUDA GPUs (wick.cuda.device_count).");
  m.def("_cuda_unavailable_reason", &cuda::unavailable_reason, "Why CUDA is unavailable, or ''.");
  m.def("_cuda_allow_tf32", &cuda::allow_tf32,
        "Whether float32 CUDA matmuls may use TF32 (wick.backends.cuda.matmul.allow_tf32).");
  m.def("_cuda_set_allow_tf32", &cuda::set_allow_tf32, py::arg("allow"),
        "Lets float32 CUDA matmuls use TF32 tensor cores, or not (wick.backends.cuda.matmul.allow_tf32).");
  m.def("_cuda_synchronize", &cuda::synchronize, py::arg("device"),
        "Waits for the device's queued work and raises what its kernels found (wick.cuda.synchronize).");
  m.def(
      "_cpu_info",
      [] {
        const cpu::BackendInfo i = cpu::info();
        py::dict cpu_d, blas;
        cpu_d["brand"] = i.cpu.brand;
        cpu_d["vendor"] = i.cpu.vendor;
        cpu_d["family"] = i.cpu.family;
        cpu_d["model"] = i.cpu.model;
        cpu_d["stepping"] = i.cpu.stepping;
        cpu_d["instruction_sets"] = i.cpu.names();
        cpu_d["level"] = cpu::to_string(i.cpu.level());
        cpu_d["kernel_isa"] = i.cpu_isa;
        blas["library"] = i.blas.library;
        blas["version"] = i.blas.version;
        blas["config"] = i.blas.config;
        blas["path"] = i.blas.path;
        blas["core"] = i.blas.core;
        blas["core_isa"] = i.blas.core_isa;
        blas["chosen_by"] = i.blas.chosen_by;
        blas["threads"] = i.blas.threads;
        py::dict d;
        d["cpu"] = cpu_d;
        d["loop_kernels"] = i.loop_kernels;
        d["blas"] = blas;
        d["threads"] = i.threads;
        return d;
      },
      "The CPU, its instruction sets, the kernels chosen for them and the thread counts (wick.backends.cpu.info).");
  m.def("_cpu_info_string", &cpu::info_string, "wick.backends.cpu.info() as text (wick.__config__.show).");
  // Note [Warnings from C++]
  // wick::warn (core/warning.h) becomes a Python UserWarning, so the warnings
  // module's filters and pytest.warns apply. C++ warns where it cannot raise
  // (while loading a library, say, maybe on a thread without the GIL), so a
  // warning that a filter turns into an error is printed as unraisable rather
  // than raised; after the interpreter has finalised, it goes to stderr.
  set_warning_handler([](const std::string& message) {
    if (!Py_IsInitialized()) {
      std::fprintf(stderr, "wick: warning: %s\n", message.c_str());
      return;
    }
    py::gil_scoped_acquire gil;
    if (PyErr_WarnEx(PyExc_UserWarning, message.c_str(), 1) != 0) PyErr_WriteUnraisable(nullptr);
  });
#ifdef WICK_WITH_CUDA
  m.attr("_built_with_cuda") = true;
#else
  m.attr("_built_with_cuda") = false;
#endif
}

// Note [Default pickling of bound classes]
// Python's default pickling of an object whose class does not define its own
// (copy.copy(obj), pickle.dumps(obj) at protocol 0 or 1, obj.__reduce__())
// instantiates the class's pybind11 base type, and pybind11 answers with a C++
// exception that aborts the process. Every bound class of the module (and of
// its submodules) that does not pickle itself therefore refuses with
// TypeError, as PyTorch's C++ classes do; one that defines only
// __reduce_ex__ (Tensor) gets __reduce__ from it.
void refuse_default_pickling(py::module_ m) {
  for (const auto& item : py::reinterpret_borrow<py::dict>(m.attr("__dict__"))) {
    py::handle value = item.second;
    if (PyModule_Check(value.ptr())) {
      refuse_default_pickling(py::reinterpret_borrow<py::module_>(value));
      continue;
    }
    if (!PyType_Check(value.ptr()) || std::string_view(Py_TYPE(value.ptr())->tp_name) != "pybind11_type") continue;
    const py::object own = value.attr("__dict__");
    const bool has_reduce = own.contains("__reduce__"), has_reduce_ex = own.contains("__reduce_ex__");
    if (has_reduce) continue;  // object.__reduce_ex__ defers to it
    if (has_reduce_ex) {
      value.attr("__reduce__") = py::cpp_function([](py::handle self) { return self.attr("__reduce_ex__")(2); },
                                                  py::is_method(value), py::name("__reduce__"));
      continue;
    }
    const std::string name = "wick._C." + py::str(value.attr("__name__")).cast<std::string>();
    auto refuse = [name](py::handle, py::args) -> py::object {
      throw py::type_error("cannot pickle '" + name + "' object");
    };
    value.attr("__reduce_ex__") = py::cpp_function(refuse, py::is_method(value), py::name("__reduce_ex__"));
    value.attr("__reduce__") = py::cpp_function(refuse, py::is_method(value), py::name("__reduce__"));
  }
}

}  // namespace

}  // namespace wick::python

PYBIND11_MODULE(_C, m) {
  using namespace wick::python;
  m.doc() = "wick's C++ core; use it through the package `wick`.";
  init_exceptions(m);
  init_dtypes(m);
  init_device(m);
  TensorClass cls(m, "Tensor", py::dynamic_attr(), py::custom_type_setup(collect_tensor_cycles),
                  "A multi-dimensional array with autograd (see wick.tensor).");
  init_tensor(m, cls);
  init_indexing(m, cls);
  init_autograd(m, cls);
  init_creation(m, cls);
  init_elementwise(m, cls);
  init_reduce(m, cls);
  init_view(m, cls);
  init_linalg(m, cls);
  init_decomp(m);
  init_special(m, cls);
  init_index_ops(m, cls);
  init_nn_functional(m, cls);
  init_optim(m);
  init_rnn(m, cls);
  init_dlpack(m, cls);
  init_data(m, cls);
  init_io(m);
  init_shared_memory(m);
  init_conv(m, cls);
  init_sort(m, cls);
  init_shape(m, cls);
  init_math(m, cls);
  init_state(m);
  refuse_default_pickling(m);
  init_last_resort(m, cls);  // after every binding: Note [The last-resort overload]
}
