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
      .random = random,
      .arange = nullptr,
      // The nn kernels: not on CUDA yet.
      .softmax = nullptr,
      .softmax_backward = nullptr,
      .nll_loss = nullptr,
      .nll_loss_backward = nullptr,
      .dropout = dropout,
      .resample = nullptr,
      .resample_backward = nullptr,
      .optimizer_step = optimizer_step,
      .lstm_cell_fwd = lstm_cell_fwd,
      .lstm_cell_bwd = lstm_cell_bwd,
      .gru_cell_fwd = gru_cell_fwd,
      .gru_cell_bwd = gru_cell_bwd,
      .im2col = nullptr,
      .col2im = nullptr,
      .pool2d = nullptr,
      .pool2d_backward = nullptr,
      .norm_stats = nullptr,
      .norm_apply = nullptr,
      .norm_backward = nullptr,
  };
  return table;
}

}  // namespace wick::cuda

// Registration of the kernel table and the allocators (Note [Backend registry]
// in core/dispatch.h). The symbol below is what the wick target's
// LINKER:--undefined=wick_backend_cuda_registered names, so that this object,
// and with it the registration, is linked into every program.
extern "C" const bool wick_backend_cuda_registered = [] {
  wick::register_backend(wick::DeviceType::CUDA, wick::cuda::backend);
  wick::register_allocator(wick::DeviceType::CUDA, wick::cuda::allocator);
  return true;
}();
