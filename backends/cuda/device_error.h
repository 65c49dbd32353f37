// Errors that CUDA kernels find in their data (an index out of range), raised
// on the host at the next synchronization.
//
// Note [Device-side index errors]
// An index kernel cannot throw, and checking index values on the host first
// would synchronize on every call (the values live on the GPU). Instead each
// GPU has one DeviceError record in device memory, zero when no error is
// pending. A kernel thread that meets a bad value claims the record with an
// atomicCAS on `claimed` (the first error wins; later ones are dropped) and
// fills in which op, the value, the dim and the bound; it then skips the
// element, so nothing is read or written out of bounds. Kernels get the
// record's address by value from device_error_record(), which also notes on
// the host that a kernel that may report has been queued
// (device_error_launched, called after the launch).
//
// The host looks at the record only where it waits for the GPU anyway: after
// the cudaMemcpy of every device-to-host copy (.item(), .cpu(), tolist) and
// in synchronize(). When a reporting kernel was queued since the last look,
// it copies the record (a few bytes; the stream is already idle), clears it
// and raises IndexError with the message the CPU backend gives for the same
// input, so a bad index raises at the next synchronization and is never a
// silent out-of-bounds read. Nothing is synchronized per launch, and programs
// that launch no reporting kernel pay nothing at their copies.
//
// All work runs on the legacy default stream, so by the time a copy returns
// every kernel queued before it has finished and its writes to the record are
// visible. The pending flag is set after the launch is queued, so a check
// that clears it (before its copy of the record) either sees the launch or
// leaves the flag set for the next check.
#pragma once

#include <cstdint>

#include "core/device.h"

namespace wick::cuda {

// Which kernel reported; chooses the message.
enum class DeviceErrorOp : int32_t { None, IndexSelect, Gather, Scatter, IndexAdd, NllLoss };

struct DeviceError {
  int32_t claimed;  // 0: no error pending; set to 1 by the first reporting thread
  int32_t op;       // a DeviceErrorOp
  int64_t value;    // the bad index or target
  int64_t dim;      // the indexed dim (index ops)
  int64_t bound;    // the valid range is [0, bound)
};

// The record of `device` (allocated on first use) for a kernel about to be
// launched. Call device_error_launched(device) after the launch.
DeviceError* device_error_record(Device device);
void device_error_launched(Device device);

// Raises IndexError for, and clears, an error a kernel on `device` reported;
// call only where the host has waited for the device's default stream.
void check_device_errors(Device device);

#ifdef __CUDACC__
// Records an error unless one is already pending. Device code.
__device__ inline void report_device_error(DeviceError* record, DeviceErrorOp op, int64_t value, int64_t dim,
                                           int64_t bound) {
  if (atomicCAS(&record->claimed, 0, 1) != 0) return;
  record->op = static_cast<int32_t>(op);
  record->value = value;
  record->dim = dim;
  record->bound = bound;
}
#endif

}  // namespace wick::cuda
