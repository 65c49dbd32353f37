// Device discovery, error reporting and the device guard.
#include <cuda_runtime_api.h>

#include <string_view>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cuda_utils.h"

namespace wick::cuda {

namespace {

// The visible devices, counted once: CUDA fixes them for the process.
struct DeviceInfo {
  int count = 0;
  cudaError_t error = cudaSuccess;  // what cudaGetDeviceCount returned
};

const DeviceInfo& device_info() {
  static const DeviceInfo info = [] {
    DeviceInfo i;
    i.error = cudaGetDeviceCount(&i.count);
    if (i.error != cudaSuccess) {
      cudaGetLastError();  // do not leave the failure behind for a later check
      i.count = 0;
    }
    return i;
  }();
  return info;
}

std::string version_string(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

}  // namespace

bool is_available() { return device_info().count > 0; }
int device_count() { return device_info().count; }

std::string unavailable_reason() {
  const DeviceInfo& info = device_info();
  if (info.count > 0) return "";
  std::string reason = "CUDA error: no CUDA-capable device is detected (cudaGetDeviceCount: ";
  if (info.error == cudaSuccess) reason += "0 devices";
  else if (info.error == cudaErrorNoDevice) reason += cudaGetErrorName(info.error);
  else reason += std::string(cudaGetErrorString(info.error)) + " [" + cudaGetErrorName(info.error) + "]";
  int driver = 0;
  if (cudaDriverGetVersion(&driver) != cudaSuccess) cudaGetLastError();
  reason += "; wick was built against CUDA runtime " + version_string(CUDART_VERSION) + ", NVIDIA driver: " +
            (driver > 0 ? "supports CUDA " + version_string(driver) : std::string("none found")) + ")";
  return reason;
}

void check_device(Device device) {
  WICK_CHECK(device.is_cuda(), ValueError, "expected a CUDA device, got ", device);
  const int count = device_count();
  WICK_CHECK(count > 0, Error, "device ", device, " is not available: ", unavailable_reason(),
             ". Check that a GPU is installed and visible (nvidia-smi, CUDA_VISIBLE_DEVICES) and that its driver "
             "supports this CUDA version, or use device 'cpu'.");
  WICK_CHECK(device.index < count, Error, "device ", device, " is not available: CUDA error: invalid device ordinal (",
             count, count == 1 ? " CUDA device is" : " CUDA devices are", " visible: cuda:0",
             count > 1 ? " to cuda:" + std::to_string(count - 1) : std::string(), ")");
}

void throw_cuda_error(cudaError_t err, const char* call, std::source_location where) {
  cudaGetLastError();  // clears a non-sticky error so that later calls can succeed
  std::string_view file = where.file_name();
  if (const size_t pos = file.rfind("backends/"); pos != std::string_view::npos) file.remove_prefix(pos);
  const bool maybe_async = err != cudaErrorMemoryAllocation && err != cudaErrorNoDevice &&
                           err != cudaErrorInsufficientDriver && err != cudaErrorInvalidDevice;
  WICK_THROW(Error, "CUDA error: ", cudaGetErrorString(err), " (", cudaGetErrorName(err), ") from ", call, " at ",
             file, ":", where.line(),
             maybe_async ? ". CUDA kernel errors may be reported at a later API call; rerun with "
                           "CUDA_LAUNCH_BLOCKING=1 to find the kernel that failed."
                         : "");
}

DeviceGuard::DeviceGuard(Device device) {
  int current = 0;
  check(cudaGetDevice(&current), "cudaGetDevice");
  if (current != device.index) {
    check(cudaSetDevice(device.index), "cudaSetDevice");
    previous_ = current;
  }
}

DeviceGuard::~DeviceGuard() {
  if (previous_ >= 0 && cudaSetDevice(previous_) != cudaSuccess) cudaGetLastError();  // destructors must not throw
}

}  // namespace wick::cuda
