// The per-GPU error record of Note [Device-side index errors]
// (backends/cuda/device_error.h) and synchronize().
#include "backends/cuda/device_error.h"

#include <cuda_runtime_api.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cuda_utils.h"
#include "core/cuda_info.h"
#include "core/error.h"

namespace wick::cuda {

namespace {

struct ErrorSlot {
  std::mutex mutex;                  // guards the allocation of record
  DeviceError* record = nullptr;     // device memory, never freed (like the allocators)
  std::atomic<bool> pending{false};  // a reporting kernel was queued since the last check
};

ErrorSlot& slot(Device device) {
  check_device(device);
  static const std::vector<std::unique_ptr<ErrorSlot>>* all = [] {
    auto* v = new std::vector<std::unique_ptr<ErrorSlot>>();
    for (int i = 0; i < device_count(); ++i) v->push_back(std::make_unique<ErrorSlot>());
    return v;
  }();
  return *(*all)[static_cast<size_t>(device.index)];
}

const char* op_name(DeviceErrorOp op) {
  switch (op) {
    case DeviceErrorOp::IndexSelect: return "index_select";
    case DeviceErrorOp::Gather: return "gather";
    case DeviceErrorOp::Scatter: return "scatter";
    case DeviceErrorOp::IndexAdd: return "index_add";
    case DeviceErrorOp::NllLoss: return "nll_loss";
    case DeviceErrorOp::None: break;
  }
  return "a CUDA kernel";
}

}  // namespace

DeviceError* device_error_record(Device device) {
  ErrorSlot& s = slot(device);
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.record) {
    DeviceGuard guard(device);
    void* p = nullptr;
    check(cudaMalloc(&p, sizeof(DeviceError)), "cudaMalloc");
    check(cudaMemset(p, 0, sizeof(DeviceError)), "cudaMemset");
    s.record = static_cast<DeviceError*>(p);
  }
  return s.record;
}

void device_error_launched(Device device) { slot(device).pending.store(true); }

void check_device_errors(Device device) {
  ErrorSlot& s = slot(device);
  if (!s.pending.exchange(false)) return;
  DeviceError e{};
  {
    DeviceGuard guard(device);
    check(cudaMemcpy(&e, s.record, sizeof e, cudaMemcpyDeviceToHost), "cudaMemcpy");
    if (e.claimed == 0) return;
    check(cudaMemset(s.record, 0, sizeof(DeviceError)), "cudaMemset");
  }
  const auto op = static_cast<DeviceErrorOp>(e.op);
  const char* where = " (found by a CUDA kernel on ";
  if (op == DeviceErrorOp::NllLoss)
    WICK_THROW(IndexError, "nll_loss: Target ", e.value, " is out of bounds.", where, device,
               ", reported at the next synchronization)");
  WICK_THROW(IndexError, op_name(op), ": index ", e.value, " is out of bounds for dimension ", e.dim, " with size ",
             e.bound, where, device, ", reported at the next synchronization)");
}

void synchronize(Device device) {
  check_device(device);
  {
    DeviceGuard guard(device);
    check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  }
  check_device_errors(device);
}

}  // namespace wick::cuda
