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

#include "python/csrc/bindings.h"
#include "third_party/dlpack/dlpack.h"

namespace wick::python {

namespace {

constexpr const char* kCapsuleName = "dltensor";
constexpr const char* kUsedCapsuleName = "used_dltensor";

// ---- dtypes ---------------------------------------------------------------------------------

DLDataType to_dlpack_dtype(ScalarType t) {
  DLDataType d{};
  d.lanes = 1;
  d.bits = static_cast<uint8_t>(itemsize(t) * 8);
  switch (t) {
    case ScalarType::Bool: d.code = kDLBool; break;
    case ScalarType::UInt8: d.code = kDLUInt; break;
    case ScalarType::Int32:
    case ScalarType::Int64: d.code = kDLInt; break;
    case ScalarType::Float16:
    case ScalarType::Float32:
    case ScalarType::Float64: d.code = kDLFloat; break;
    case ScalarType::BFloat16: d.code = kDLBfloat; break;
  }
  return d;
}

ScalarType from_dlpack_dtype(DLDataType d) {
  WICK_CHECK(d.lanes == 1, TypeError, "from_dlpack: vector element types (lanes = ", d.lanes,
             ") are not supported");
  const int code = d.code, bits = d.bits;
  if (code == kDLFloat && bits == 16) return ScalarType::Float16;
  if (code == kDLFloat && bits == 32) return ScalarType::Float32;
  if (code == kDLFloat && bits == 64) return ScalarType::Float64;
  if (code == kDLBfloat && bits == 16) return ScalarType::BFloat16;
  if (code == kDLInt && bits == 32) return ScalarType::Int32;
  if (code == kDLInt && bits == 64) return ScalarType::Int64;
  if (code == kDLUInt && bits == 8) return ScalarType::UInt8;
  if (code == kDLBool && bits == 8) return ScalarType::Bool;
  static const char* const kinds[] = {"int", "uint", "float", "opaque handle", "bfloat", "complex", "bool"};
  const std::string name = code < 7 ? kinds[code] + std::to_string(bits)
                                     : "(type code " + std::to_string(code) + ", " + std::to_string(bits) + " bits)";
  WICK_THROW(TypeError, "from_dlpack: unsupported element type ", name,
             "; wick supports float16/32/64, bfloat16, int32/64, uint8 and bool");
}

// ---- export ---------------------------------------------------------------------------------

// What an exported DLManagedTensor points into: the tensor (keeping its
// storage alive) and the shape and strides arrays.
struct ExportContext {
  Tensor tensor;
  std::vector<int64_t> shape, strides;
  DLManagedTensor managed{};
};

void delete_export(DLManagedTensor* self) { delete static_cast<ExportContext*>(self->manager_ctx); }

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

DLDevice to_dlpack_device(Device d) {
  return d.is_cuda() ? DLDevice{kDLCUDA, d.index} : DLDevice{kDLCPU, 0};
}

py::capsule to_dlpack(const Tensor& self) {
  WICK_CHECK(!self.requires_grad(), Error, "Can't export tensors that require gradient, use tensor.detach()");
  auto ctx = std::make_unique<ExportContext>();
  ctx->tensor = self.detach();  // an alias: same storage, no autograd history
  const Tensor& t = ctx->tensor;
  ctx->shape.assign(t.sizes().begin(), t.sizes().end());
  ctx->strides.assign(t.strides().begin(), t.strides().end());
  DLTensor& dl = ctx->managed.dl_tensor;
  // The first element's address and byte_offset 0, as NumPy and PyTorch export.
  dl.data = t.raw_data();
  dl.byte_offset = 0;
  dl.device = to_dlpack_device(t.device());
  dl.ndim = static_cast<int32_t>(t.dim());
  dl.dtype = to_dlpack_dtype(t.dtype());
  dl.shape = ctx->shape.data();
  dl.strides = ctx->strides.data();
  ctx->managed.manager_ctx = ctx.get();
  ctx->managed.deleter = &delete_export;
  PyObject* capsule = PyCapsule_New(&ctx->managed, kCapsuleName, &capsule_destructor);
  if (!capsule) throw py::error_already_set();
  ctx.release();  // the capsule owns it now
  return py::reinterpret_steal<py::capsule>(capsule);
}

// ---- import ---------------------------------------------------------------------------------

void release_managed(void* context) {
  auto* managed = static_cast<DLManagedTensor*>(context);
  if (!managed->deleter || !Py_IsInitialized()) return;
  py::gil_scoped_acquire gil;
  managed->deleter(managed);
}

Device from_dlpack_device(DLDevice d) {
  switch (d.device_type) {
    case kDLCPU:
    case kDLCUDAHost: return kCPU;
    case kDLCUDA:
      WICK_CHECK(d.device_id >= 0 && d.device_id < 128, ValueError, "from_dlpack: invalid CUDA device id ",
                 d.device_id);
      return Device(DeviceType::CUDA, d.device_id);
    default:
      WICK_THROW(Error, "from_dlpack: unsupported device type ", static_cast<int>(d.device_type),
                 " (wick supports CPU (1), CUDA (2) and CUDA host (3) memory)");
  }
}

Tensor tensor_from_capsule(py::handle obj) {
  PyObject* capsule = obj.ptr();
  WICK_CHECK(PyCapsule_IsValid(capsule, kCapsuleName), Error,
             "from_dlpack received an invalid capsule. Note that DLTensor capsules can be consumed only once, so you "
             "might have already constructed a tensor from it once.");
  auto* managed = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule, kCapsuleName));
  if (!managed) throw py::error_already_set();
  const DLTensor& dl = managed->dl_tensor;

  // Everything is checked before the tensor takes ownership, so that a
  // refused capsule still frees itself.
  const ScalarType dtype = from_dlpack_dtype(dl.dtype);
  const Device device = from_dlpack_device(dl.device);
  WICK_CHECK(dl.ndim >= 0 && dl.ndim <= 64, ValueError, "from_dlpack: invalid number of dimensions ", dl.ndim);
  WICK_CHECK(dl.ndim == 0 || dl.shape, ValueError, "from_dlpack: the DLTensor has ", dl.ndim,
             " dimensions but no shape");
  std::vector<int64_t> sizes(dl.shape, dl.shape + dl.ndim), strides(dl.ndim);
  bool empty = false;
  for (int64_t s : sizes) {
    WICK_CHECK(s >= 0, ValueError, "from_dlpack: negative size in shape ", IntArrayRef(sizes));
    empty = empty || s == 0;
  }
  if (dl.strides) {
    strides.assign(dl.strides, dl.strides + dl.ndim);
  } else {  // compact row-major
    checked_numel(sizes, "from_dlpack");  // so that the strides below cannot overflow
    int64_t stride = 1;
    for (int64_t d = dl.ndim - 1; d >= 0; --d) {
      strides[d] = stride;
      stride *= std::max<int64_t>(sizes[d], 1);
    }
  }
  for (size_t d = 0; d < strides.size(); ++d) {
    // A stride over a dim of size 1 (or of an empty tensor) never moves: any value is as good as 0.
    if (sizes[d] <= 1 || empty) strides[d] = std::max<int64_t>(strides[d], 0);
    WICK_CHECK(strides[d] >= 0, ValueError, "from_dlpack: negative strides ", IntArrayRef(strides),
               " are not supported (shape ", IntArrayRef(sizes), "); copy the array first");
  }
  WICK_CHECK(empty || dl.data, ValueError, "from_dlpack: the DLTensor of shape ", IntArrayRef(sizes),
             " has no data");
  void* data = static_cast<char*>(dl.data) + dl.byte_offset;
  Tensor t = from_blob(data, sizes, strides, dtype, device, &release_managed, managed, "from_dlpack");
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
            const DLDevice d = to_dlpack_device(self.device());
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
