// The DLPack protocol: Tensor.__dlpack__ / __dlpack_device__ and
// wick.from_dlpack, so tensors pass to and from NumPy, PyTorch and any other
// DLPack library without copying.
//
// Note [DLPack ownership]
// A capsule named "dltensor" owns one DLManagedTensor. Whoever consumes it
// renames it "used_dltensor" and from then on owns the managed tensor: it calls
// the producer's deleter exactly once, when it no longer needs the memory. A
// capsule that nobody consumed calls the deleter from its own destructor. So:
//   - exporting, the managed tensor's context holds a wick Tensor (an alias of
//     the exported one: it keeps the storage alive); the deleter frees it.
//   - importing, the new tensor's storage holds the managed tensor and calls
//     its deleter when the last view of that storage goes away. Producers may
//     drop Python references in their deleters (NumPy does), so the call
//     takes the GIL; at interpreter exit the memory is left to the process.
#include <string>

#include "io/dlpack.h"
#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

constexpr const char* kCapsuleName = "dltensor";
constexpr const char* kUsedCapsuleName = "used_dltensor";

// ---- export ---------------------------------------------------------------------------------

// The destructor of a capsule: frees a managed tensor nobody consumed.
void capsule_destructor(PyObject* capsule) {
  if (PyCapsule_IsValid(capsule, kUsedCapsuleName)) return;
  // Called with an exception possibly pending: keep it.
  PyObject *type, *value, *traceback;
  PyErr_Fetch(&type, &value, &traceback);
  auto* managed = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule, kCapsuleName));
  if (managed && managed->deleter) managed->deleter(managed);
  else PyErr_Clear();
  PyErr_Restore(type, value, traceback);
}

py::capsule to_dlpack(const Tensor& self) {
  DLManagedTensor* managed = io::to_dlpack(self);
  PyObject* capsule = PyCapsule_New(managed, kCapsuleName, &capsule_destructor);
  if (!capsule) {
    managed->deleter(managed);
    throw py::error_already_set();
  }
  return py::reinterpret_steal<py::capsule>(capsule);
}

// ---- import ---------------------------------------------------------------------------------

void release_managed(void* context) {
  auto* managed = static_cast<DLManagedTensor*>(context);
  if (!managed->deleter || !Py_IsInitialized()) return;
  py::gil_scoped_acquire gil;
  managed->deleter(managed);
}

Tensor tensor_from_capsule(py::handle obj) {
  PyObject* capsule = obj.ptr();
  WICK_CHECK(PyCapsule_IsValid(capsule, kCapsuleName), Error,
             "from_dlpack received an invalid capsule. Note that DLTensor capsules can be consumed only once, so you "
             "might have already constructed a tensor from it once.");
  auto* managed = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule, kCapsuleName));
  if (!managed) throw py::error_already_set();
  // Everything is checked before the tensor takes ownership, so that a
  // refused capsule still frees itself (Note [DLPack import checks]).
  Tensor t = io::from_dlpack(managed->dl_tensor, &release_managed, managed);
  // The tensor owns the managed tensor now (Note [DLPack ownership]).
  if (PyCapsule_SetName(capsule, kUsedCapsuleName) != 0) throw py::error_already_set();
  return t;
}

Tensor from_dlpack(py::handle obj) {
  if (PyCapsule_CheckExact(obj.ptr())) return tensor_from_capsule(obj);
  if (!py::hasattr(obj, "__dlpack__")) {
    throw py::type_error(std::string("from_dlpack(): expected an object with a __dlpack__ method or a DLPack "
                                     "capsule, got ") +
                         Py_TYPE(obj.ptr())->tp_name);
  }
  py::object capsule;
  const py::tuple device = py::tuple(obj.attr("__dlpack_device__")());
  const bool on_cuda = device.size() >= 1 && py::int_(device[0]).cast<int>() == kDLCUDA;
  // wick's CUDA work runs on the legacy default stream (1 in the protocol's numbering).
  if (on_cuda) capsule = obj.attr("__dlpack__")(py::arg("stream") = 1);
  else capsule = obj.attr("__dlpack__")();
  if (!PyCapsule_CheckExact(capsule.ptr())) {
    throw py::type_error(std::string("from_dlpack(): __dlpack__() returned ") + Py_TYPE(capsule.ptr())->tp_name +
                         ", not a capsule");
  }
  return tensor_from_capsule(capsule);
}

}  // namespace

void init_dlpack(py::module_& m, TensorClass& cls) {
  cls.def(
         "__dlpack__",
         [](const Tensor& self, py::handle stream) {
           if (!stream.is_none() && !PyLong_Check(stream.ptr()))
             throw py::type_error("__dlpack__(): stream must be an int or None");
           // Every wick kernel runs on the legacy default stream, which orders before the
           // consumer's (blocking) streams, so no extra synchronization is needed for `stream`.
           return to_dlpack(self);
         },
         py::arg("stream") = py::none(),
         "__dlpack__(stream=None) -> PyCapsule\n\n"
         "Exports the tensor through the DLPack protocol: a capsule named \"dltensor\" that a consumer\n"
         "(numpy.from_dlpack, torch.from_dlpack, wick.from_dlpack) turns into an array sharing this\n"
         "tensor's memory. The tensor must not require grad (export tensor.detach() instead).\n\n"
         "Args:\n"
         "    stream (int, optional): the consumer's CUDA stream; ignored for CPU tensors.")
      .def(
          "__dlpack_device__",
          [](const Tensor& self) {
            const DLDevice d = io::to_dlpack_device(self.device());
            return py::make_tuple(static_cast<int>(d.device_type), d.device_id);
          },
          "__dlpack_device__() -> (int, int)\n\n"
          "The DLPack device of the tensor's memory: (1, 0) for the CPU, (2, index) for a CUDA GPU.");
  m.def("from_dlpack", &from_dlpack, py::arg("ext_tensor"),
        "from_dlpack(ext_tensor) -> Tensor\n\n"
        "A tensor over the memory of another library's array, without a copy: writes through either\n"
        "are seen by both, and the array is kept alive while the tensor lives.\n\n"
        "Args:\n"
        "    ext_tensor: an object with a __dlpack__ method (a NumPy array, a torch.Tensor, a\n"
        "        wick.Tensor), or a DLPack capsule, which can be consumed only once.\n\n"
        "Example::\n\n"
        "    >>> a = numpy.arange(4.0)\n"
        "    >>> t = wick.from_dlpack(a)\n"
        "    >>> t[0] = -1.0\n"
        "    >>> a\n"
        "    array([-1.,  1.,  2.,  3.])");
  m.def("_to_dlpack", &to_dlpack, py::arg("tensor"),
        "_to_dlpack(tensor) -> PyCapsule\n\nThe DLPack capsule of a tensor (what Tensor.__dlpack__ returns).");
}

}  // namespace wick::python
