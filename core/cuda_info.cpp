#include "core/cuda_info.h"

#ifndef WICK_WITH_CUDA

namespace wick::cuda {

bool is_available() { return false; }
int device_count() { return 0; }
std::string unavailable_reason() {
  return "this build of wick has no CUDA backend (rebuild with -DWICK_CUDA=ON on a machine with the CUDA toolkit)";
}

}  // namespace wick::cuda

#endif
