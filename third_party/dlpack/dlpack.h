// The DLPack ABI (version 0.8): the C structs through which array libraries
// hand each other tensors without copying.
//
// Provenance: written for wick from the published DLPack specification
// (https://dmlc.github.io/dlpack/latest/c_api.html); it is not a copy of the
// reference header. Debian's libdlpack-dev ships version 0.6, which lacks the
// kDLBool type code (added in 0.8); wick needs only the definitions below, so
// it keeps its own. The layout and the numeric values are fixed by the ABI and
// must not change.
#pragma once

#include <stdint.h>

#define DLPACK_VERSION 80
#define DLPACK_ABI_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

// Where the memory is. Only the kinds wick maps to one of its devices are
// used by wick; the others are listed so their values are reserved.
typedef enum {
  kDLCPU = 1,
  kDLCUDA = 2,
  kDLCUDAHost = 3,  // pinned host memory, addressable from the CPU
  kDLOpenCL = 4,
  kDLVulkan = 7,
  kDLMetal = 8,
  kDLVPI = 9,
  kDLROCM = 10,
  kDLROCMHost = 11,
  kDLExtDev = 12,
  kDLCUDAManaged = 13,
  kDLOneAPI = 14,
  kDLWebGPU = 15,
  kDLHexagon = 16,
} DLDeviceType;

typedef struct {
  DLDeviceType device_type;
  int32_t device_id;  // the GPU's ordinal; 0 for the CPU
} DLDevice;

// The kind of an element; its width is DLDataType::bits.
typedef enum {
  kDLInt = 0U,
  kDLUInt = 1U,
  kDLFloat = 2U,
  kDLOpaqueHandle = 3U,
  kDLBfloat = 4U,
  kDLComplex = 5U,
  kDLBool = 6U,
} DLDataTypeCode;

typedef struct {
  uint8_t code;    // a DLDataTypeCode
  uint8_t bits;    // bits per lane: 8, 16, 32, 64
  uint16_t lanes;  // 1 for scalar elements (more for vector types)
} DLDataType;

// A strided view of memory. The element at index (i0, i1, ...) lives at
// (char*)data + byte_offset + (i0 * strides[0] + i1 * strides[1] + ...) * bits / 8.
// strides are in elements, not bytes; a null strides means compact row-major.
typedef struct {
  void* data;
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t* shape;
  int64_t* strides;
  uint64_t byte_offset;
} DLTensor;

// A DLTensor together with its owner. The consumer calls deleter(self) once
// it no longer needs the memory; the producer frees whatever manager_ctx names.
typedef struct DLManagedTensor {
  DLTensor dl_tensor;
  void* manager_ctx;
  void (*deleter)(struct DLManagedTensor* self);
} DLManagedTensor;

#ifdef __cplusplus
}  // extern "C"
#endif
