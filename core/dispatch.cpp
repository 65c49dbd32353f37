#include "core/dispatch.h"

namespace wick {

namespace {
// Constant-initialized (null) before any static initializer runs, so a
// backend's registration never depends on the order of initialization.
constinit BackendGetter g_backends[kNumDeviceTypes] = {};
}  // namespace

void register_backend(DeviceType type, BackendGetter get) {
  g_backends[static_cast<int>(type)] = get;
}

const Backend& backend(Device device) {
  const BackendGetter get = g_backends[static_cast<int>(device.type)];
  if (get) [[likely]] return get(device);
  WICK_THROW(Error, "device ", device, " is not available: this build of wick has no ",
             device.is_cuda() ? "CUDA" : "CPU", " backend",
             device.is_cuda() ? " (rebuild with -DWICK_CUDA=ON on a machine with the CUDA toolkit)" : "");
}

}  // namespace wick
