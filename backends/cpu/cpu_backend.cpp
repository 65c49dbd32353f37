#include "backends/cpu/cpu_backend.h"

namespace wick::cpu {

const Backend& backend() {
  static const Backend table{
      .name = "cpu",
      .fill = fill,
      .copy = copy,
      .unary = unary,
      .binary = binary,
      .where = where,
      .reduce = reduce,
      .scan = scan,
      .sort = sort,
      .matmul = matmul,
      .index_select = index_select,
      .gather = gather,
      .scatter = scatter,
      .index_add = index_add,
      .random = random,
      .arange = arange,
      .softmax = softmax,
      .softmax_backward = softmax_backward,
      .nll_loss = nll_loss,
      .nll_loss_backward = nll_loss_backward,
      .dropout = dropout,
      .resample = resample,
      .resample_backward = resample_backward,
      .optimizer_step = optimizer_step,
      .linalg = linalg,
      .lstm_cell_fwd = lstm_cell_fwd,
      .lstm_cell_bwd = lstm_cell_bwd,
      .gru_cell_fwd = gru_cell_fwd,
      .gru_cell_bwd = gru_cell_bwd,
      .im2col = im2col,
      .col2im = col2im,
      .pool2d = pool2d,
      .pool2d_backward = pool2d_backward,
      .norm_stats = norm_stats,
      .norm_apply = norm_apply,
      .norm_backward = norm_backward,
  };
  return table;
}

}  // namespace wick::cpu

// Registration (Note [Backend registry] in core/dispatch.h). The symbol below
// is what the wick target's LINKER:--undefined=wick_backend_cpu_registered
// names, so that this object, and with it the registration, is linked into
// every program.
namespace wick::cpu {
namespace {
const Backend& backend_for(Device) { return backend(); }
}  // namespace
}  // namespace wick::cpu

extern "C" const bool wick_backend_cpu_registered = [] {
  wick::register_backend(wick::DeviceType::CPU, wick::cpu::backend_for);
  return true;
}();
