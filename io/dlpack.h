// DLPack (third_party/dlpack/dlpack.h): wick tensors to and from the DLTensors
// of NumPy, PyTorch, JAX, CuPy and any other DLPack library, without copies.
// Python's capsule protocol (Tensor.__dlpack__, wick.from_dlpack) is built on
// these in python/csrc/dlpack.cpp.
//
//   DLManagedTensor* m = io::to_dlpack(t);     // the consumer calls m->deleter(m) when done
//   Tensor u = io::from_dlpack(m);             // u owns m from now on; u shares t's memory
//
// Note [DLPack import checks]
// An importer must trust the producer's data pointer (DLPack says nothing of
// the buffer's size) but checks everything else before it makes a tensor:
// the element type (one lane of a dtype wick has), the device, 0..64
// dimensions, a shape for them, sizes >= 0 whose product fits in an int64,
// strides >= 0 (a stride over a dim of size 1, or of an empty tensor, never
// moves and is taken as 0), and data unless the tensor is empty. Each failure
// is a wick error naming the problem; tests/fuzz/fuzz_dlpack.cpp throws random
// DLTensors at it under ASan and UBSan.
#pragma once

#include "core/tensor.h"
#include "third_party/dlpack/dlpack.h"

namespace wick::io {

DLDataType to_dlpack_dtype(ScalarType t);
// TypeError for vector types (lanes != 1) and types wick lacks (complex, int8...).
ScalarType from_dlpack_dtype(DLDataType d);
DLDevice to_dlpack_device(Device d);
// CPU and CUDA host memory are the CPU; Error for other device types.
Device from_dlpack_device(DLDevice d);

// A managed tensor over t's memory (t.detach(), so it must not require grad:
// Error otherwise). It keeps t's storage alive until its deleter runs.
DLManagedTensor* to_dlpack(const Tensor& t);

// A tensor over dl's memory, checked first (Note [DLPack import checks]).
// When the last tensor sharing that memory goes, release(context) runs; if
// this throws, release is never called and the caller still owns the memory.
Tensor from_dlpack(const DLTensor& dl, void (*release)(void*), void* context);
// The same for a managed tensor, whose deleter becomes the release.
Tensor from_dlpack(DLManagedTensor* managed);

}  // namespace wick::io
