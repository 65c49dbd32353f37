#include "io/dlpack.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor_impl.h"
#include "ops/creation.h"

namespace wick::io {

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

DLDevice to_dlpack_device(Device d) { return d.is_cuda() ? DLDevice{kDLCUDA, d.index} : DLDevice{kDLCPU, 0}; }

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

namespace {

// What an exported DLManagedTensor points into: the tensor (keeping its
// storage alive) and the shape and strides arrays.
struct ExportContext {
  Tensor tensor;
  std::vector<int64_t> shape, strides;
  DLManagedTensor managed{};
};

void delete_export(DLManagedTensor* self) { delete static_cast<ExportContext*>(self->manager_ctx); }

void call_deleter(void* context) {
  auto* managed = static_cast<DLManagedTensor*>(context);
  if (managed->deleter) managed->deleter(managed);
}

}  // namespace

DLManagedTensor* to_dlpack(const Tensor& self) {
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
  return &ctx.release()->managed;
}

Tensor from_dlpack(const DLTensor& dl, void (*release)(void*), void* context) {
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
    checked_numel(sizes, "from_dlpack");  // a size past int64's strides, even of an empty tensor, is refused here
    const DimVector compact = contiguous_strides(sizes);
    strides.assign(compact.begin(), compact.end());
  }
  for (size_t d = 0; d < strides.size(); ++d) {
    if (sizes[d] <= 1 || empty) strides[d] = std::max<int64_t>(strides[d], 0);
    WICK_CHECK(strides[d] >= 0, ValueError, "from_dlpack: negative strides ", IntArrayRef(strides),
               " are not supported (shape ", IntArrayRef(sizes), "); copy the array first");
  }
  WICK_CHECK(empty || dl.data, ValueError, "from_dlpack: the DLTensor of shape ", IntArrayRef(sizes),
             " has no data");
  WICK_CHECK(!dl.data || dl.byte_offset <= UINTPTR_MAX - reinterpret_cast<uintptr_t>(dl.data), ValueError,
             "from_dlpack: the byte offset ", dl.byte_offset, " runs past the end of the address space");
  void* data = dl.data ? static_cast<char*>(dl.data) + dl.byte_offset : nullptr;
  return from_blob(data, sizes, strides, dtype, device, release, context, "from_dlpack");
}

Tensor from_dlpack(DLManagedTensor* managed) {
  WICK_CHECK(managed, ValueError, "from_dlpack: the managed tensor is null");
  return from_dlpack(managed->dl_tensor, &call_deleter, managed);
}

}  // namespace wick::io
