#include "core/dispatch.h"

#include "backends/cpu/cpu_backend.h"
#ifdef WICK_WITH_CUDA
#include "backends/cuda/cuda_backend.h"
#endif

namespace wick {

const Backend& backend(Device device) {
  switch (device.type) {
    case DeviceType::CPU: return cpu::backend();
    case DeviceType::CUDA:
#ifdef WICK_WITH_CUDA
      return cuda::backend(device);
#else
      break;
#endif
  }
  WICK_THROW(Error, "device ", device, " is not available: this build of wick has no CUDA backend",
             " (rebuild with -DWICK_CUDA=ON on a machine with the CUDA toolkit)");
}

}  // namespace wick
