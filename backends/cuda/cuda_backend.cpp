#include "backends/cuda/cuda_backend.h"

namespace wick::cuda {

const Backend& backend(Device device) {
  check_device(device);
  // Null entries raise NotImplementedError naming the op and device (core/dispatch.h).
  static const Backend table{
      .name = "cuda",
      .fill = fill,
      .copy = copy,
      .unary = unary,
      .binary = binary,
      .where = nullptr,
      .reduce = nullptr,
      .matmul = nullptr,
      .index_select = nullptr,
      .gather = nullptr,
      .scatter = nullptr,
      .index_add = nullptr,
      .random = nullptr,
      .arange = nullptr,
  };
  return table;
}

}  // namespace wick::cuda
