// The CUDA backend: a caching device allocator per GPU and the elementwise
// kernels (fill, copy, unary, binary) over any strides. The other families of
// the Backend table are still null, so their ops raise NotImplementedError
// naming the device.
//
// All work runs on each device's legacy default stream, so kernels, copies and
// the reuse of cached blocks are ordered without events.
#pragma once

#include "core/allocator.h"
#include "core/cuda_info.h"
#include "core/dispatch.h"

namespace wick::cuda {

// The kernel table; throws wick::Error naming the device when it cannot be
// used (no driver or GPU, or an index past device_count()).
const Backend& backend(Device device);
// The caching allocator of one GPU; throws like backend().
Allocator& allocator(Device device);

// Throws wick::Error naming `device` unless it is a usable CUDA device.
void check_device(Device device);

// Kernel families (backends/cuda/*.cu). Every tensor is on one GPU except for
// copy, which also moves data between the host and a GPU or two GPUs.
void fill(const Tensor& dst, Scalar value);
void copy(const Tensor& dst, const Tensor& src);
void unary(size_t op, const void* f, const Tensor& out, const Tensor& in);
void binary(size_t op, const void* f, const Tensor& out, const Tensor& a, const Tensor& b);

// The fused per-element families whose math backends/*_math.h shares with the
// CPU: random numbers (random.cu; the CPU's values bit for bit, Note [Random
// numbers across devices] in backends/random_math.h), the optimizer step
// (optim.cu) and the recurrent cells (rnn.cu).
void random(RandomOp op, const Tensor& dst, double a, double b, Generator& gen);
void dropout(const Tensor& out, const Tensor& noise, const Tensor& in, double p, Generator& gen);
void optimizer_step(OptimizerKind kind, const Tensor& param, const Tensor& grad, const std::array<Tensor, 3>& state,
                    const OptimizerStepArgs& args);
void lstm_cell_fwd(const Tensor& gates, const Tensor& b_ih, const Tensor& b_hh, const Tensor& c_prev, const Tensor& h,
                   const Tensor& c);
void lstm_cell_bwd(const Tensor& grad_gates, const Tensor& grad_c_prev, const Tensor& grad_h1, const Tensor& grad_h2,
                   const Tensor& grad_c, const Tensor& gates, const Tensor& c_prev, const Tensor& c);
void gru_cell_fwd(const Tensor& gates_x, const Tensor& gates_h, const Tensor& b_ih, const Tensor& b_hh,
                  const Tensor& h_prev, const Tensor& h, const Tensor& hn);
void gru_cell_bwd(const Tensor& grad_gates_x, const Tensor& grad_gates_h, const Tensor& grad_h_prev,
                  const Tensor& grad_h1, const Tensor& grad_h2, const Tensor& gates, const Tensor& hn,
                  const Tensor& h_prev);

}  // namespace wick::cuda
