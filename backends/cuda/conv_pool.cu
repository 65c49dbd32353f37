// CUDA kernels of convolution (im2col, col2im) and 2-D pooling (max, average,
// adaptive average; forward and backward), with the CPU kernels' semantics
// (backends/cpu/conv.cpp, pool.cpp). The window arithmetic is the CPU's own,
// from backends/conv_window.h and backends/pool_window.h, so the CPU tests
// check it.
//
// Every kernel runs one thread per element it writes (grid-stride, int64
// indices), so no two threads write one address, except max pooling's
// backward: overlapping windows can pick the same maximum, and it adds with
// atomicAdd (as PyTorch's CUDA kernel does; the order of those additions, and
// so the last bits of such a sum, can vary between runs). col2im and the
// average pools' backward gather instead: each input element sums the
// entries that read it, in the CPU's order, so they match the CPU bit for bit.
#include <cmath>

#include "backends/conv_window.h"
#include "backends/cuda/loops.cuh"
#include "backends/pool_window.h"

namespace wick::cuda {

namespace {

// ---- im2col / col2im ---------------------------------------------------------------

// Strides of a 4-D tensor, by value into a kernel.
struct Strides4 {
  int64_t s0, s1, s2, s3;
};
Strides4 strides4(const Tensor& t) { return {t.strides()[0], t.strides()[1], t.strides()[2], t.strides()[3]}; }

// col[n, (c * KH + i) * KW + j, oh * OW + ow] = input[n, c, ih, iw], or 0 in the padding.
template <typename T>
__global__ void im2col_kernel(int64_t total, const T* in, Strides4 is, T* col, int64_t cs0, int64_t cs1,
                              ConvGeometry g) {
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    int64_t r = idx;
    const int64_t ow = r % g.out_width;
    r /= g.out_width;
    const int64_t oh = r % g.out_height;
    r /= g.out_height;
    const int64_t j = r % g.kernel_w;
    r /= g.kernel_w;
    const int64_t i = r % g.kernel_h;
    r /= g.kernel_h;
    const int64_t c = r % g.channels, n = r / g.channels;
    const int64_t ih = conv_input_pos(oh, i, g.stride_h, g.pad_h, g.dilation_h);
    const int64_t iw = conv_input_pos(ow, j, g.stride_w, g.pad_w, g.dilation_w);
    const bool inside = ih >= 0 && ih < g.height && iw >= 0 && iw < g.width;
    col[n * cs0 + ((c * g.kernel_h + i) * g.kernel_w + j) * cs1 + oh * g.out_width + ow] =
        inside ? in[n * is.s0 + c * is.s1 + ih * is.s2 + iw * is.s3] : T(0);
  }
}

// grad[n, c, ih, iw] += the entries of col read from (ih, iw), taps in the CPU's (i, j) order.
template <typename T>
__global__ void col2im_kernel(int64_t total, T* grad, const T* col, int64_t cs0, int64_t cs1, ConvGeometry g) {
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    int64_t r = idx;
    const int64_t iw = r % g.width;
    r /= g.width;
    const int64_t ih = r % g.height;
    r /= g.height;
    const int64_t c = r % g.channels, n = r / g.channels;
    const T* rows = col + n * cs0 + c * g.kernel_h * g.kernel_w * cs1;
    T acc = grad[idx];
    for (int64_t i = 0; i < g.kernel_h; ++i) {
      const int64_t oh = conv_output_pos(ih, i, g.stride_h, g.pad_h, g.dilation_h, g.out_height);
      if (oh < 0) continue;
      for (int64_t j = 0; j < g.kernel_w; ++j) {
        const int64_t ow = conv_output_pos(iw, j, g.stride_w, g.pad_w, g.dilation_w, g.out_width);
        if (ow >= 0) acc += rows[(i * g.kernel_w + j) * cs1 + oh * g.out_width + ow];
      }
    }
    grad[idx] = acc;
  }
}

template <typename T>
void im2col_typed(const Tensor& col, const Tensor& input, const ConvGeometry& g) {
  check_dtype(col, dtype_of<T>(), "im2col");
  WICK_CHECK(col.dim() == 3 && (col.sizes()[2] <= 1 || col.strides()[2] == 1), ValueError,
             "im2col: the CUDA kernel expects col [N, C * kh * kw, OH * OW] with a unit last stride, got sizes ",
             col.sizes(), " and strides ", col.strides());
  const int64_t total = input.sizes()[0] * g.channels * g.kernel_h * g.kernel_w * g.out_height * g.out_width;
  if (total == 0) return;
  DeviceGuard guard(col.device());
  im2col_kernel<T><<<blocks_for(total), kThreads>>>(total, static_cast<const T*>(input.raw_data()), strides4(input),
                                                    static_cast<T*>(col.raw_data()), col.strides()[0],
                                                    col.strides()[1], g);
  check(cudaGetLastError(), "im2col_kernel");
}

template <typename T>
void col2im_typed(const Tensor& grad_input, const Tensor& col, const ConvGeometry& g) {
  check_dtype(col, dtype_of<T>(), "col2im");
  WICK_CHECK(grad_input.is_contiguous() && col.dim() == 3 && (col.sizes()[2] <= 1 || col.strides()[2] == 1),
             ValueError, "col2im: the CUDA kernel expects a contiguous grad_input and col with a unit last stride, "
             "got col sizes ", col.sizes(), " and strides ", col.strides());
  const int64_t total = grad_input.numel();
  if (total == 0) return;
  DeviceGuard guard(grad_input.device());
  col2im_kernel<T><<<blocks_for(total), kThreads>>>(total, static_cast<T*>(grad_input.raw_data()),
                                                    static_cast<const T*>(col.raw_data()), col.strides()[0],
                                                    col.strides()[1], g);
  check(cudaGetLastError(), "col2im_kernel");
}

// ---- pooling -----------------------------------------------------------------------

// The planes of a pooling: input/grad_input [N, C, H, W], out/grad_out [N, C, OH, OW].
struct PoolPlanes {
  int64_t C, H, W, OH, OW;
};

WICK_HOST_DEVICE inline PoolSpan row_span(PoolOp op, const PoolPlanes& p, const PoolArgs& a, int64_t oh) {
  return pool_span(op, p.H, p.OH, oh, a.kernel_h, a.stride_h, a.pad_h, a.dilation_h);
}
WICK_HOST_DEVICE inline PoolSpan col_span(PoolOp op, const PoolPlanes& p, const PoolArgs& a, int64_t ow) {
  return pool_span(op, p.W, p.OW, ow, a.kernel_w, a.stride_w, a.pad_w, a.dilation_w);
}

// One output per thread. The window is scanned in row-major order: the first
// of equal maxima wins (strict >), and any NaN replaces what came before, so
// the last NaN wins, as on the CPU. A window without an input element gives
// -inf and index -1 (Note [Max pooling windows in the padding] in
// backends/cpu/pool.cpp).
template <typename T>
__global__ void max_pool_kernel(int64_t total, const T* in, Strides4 is, T* out, int64_t* indices, PoolPlanes p,
                                PoolArgs a) {
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t ow = idx % p.OW, oh = idx / p.OW % p.OH, plane = idx / (p.OW * p.OH);
    const T* x = in + (plane / p.C) * is.s0 + (plane % p.C) * is.s1;
    const PoolSpan h = row_span(PoolOp::Max, p, a, oh), w = col_span(PoolOp::Max, p, a, ow);
    T best = static_cast<T>(-INFINITY);
    int64_t at = h.begin < h.end && w.begin < w.end ? h.begin * p.W + w.begin : -1;
    for (int64_t ih = h.begin; ih < h.end; ih += a.dilation_h)
      for (int64_t iw = w.begin; iw < w.end; iw += a.dilation_w) {
        const T v = x[ih * is.s2 + iw * is.s3];
        if (v > best || v != v) {
          best = v;
          at = ih * p.W + iw;
        }
      }
    out[idx] = best;
    if (indices) indices[idx] = at;
  }
}

// Avg and AdaptiveAvg, one output per thread, summing in the CPU's order.
template <typename T>
__global__ void avg_pool_kernel(int64_t total, PoolOp op, const T* in, Strides4 is, T* out, PoolPlanes p,
                                PoolArgs a) {
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t ow = idx % p.OW, oh = idx / p.OW % p.OH, plane = idx / (p.OW * p.OH);
    const T* x = in + (plane / p.C) * is.s0 + (plane % p.C) * is.s1;
    const PoolSpan h = row_span(op, p, a, oh), w = col_span(op, p, a, ow);
    T sum = 0;
    for (int64_t ih = h.begin; ih < h.end; ++ih)
      for (int64_t iw = w.begin; iw < w.end; ++iw) sum += x[ih * is.s2 + iw * is.s3];
    // An empty window (only possible with ceil_mode and padding) averages to 0.
    const bool empty = h.begin >= h.end || w.begin >= w.end;
    out[idx] = empty ? T(0) : sum / static_cast<T>(pool_divisor(op, a, h, w));
  }
}

// grad_input (zeroed) += grad_out at each window's recorded maximum; -1 (an
// empty window) and any position outside the plane are skipped.
template <typename T>
__global__ void max_pool_backward_kernel(int64_t total, T* grad_in, const T* grad_out, Strides4 gs,
                                         const int64_t* indices, PoolPlanes p) {
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t ow = idx % p.OW, oh = idx / p.OW % p.OH, plane = idx / (p.OW * p.OH);
    const int64_t k = indices[idx];
    if (k < 0 || k >= p.H * p.W) continue;
    const T g = grad_out[(plane / p.C) * gs.s0 + (plane % p.C) * gs.s1 + oh * gs.s2 + ow * gs.s3];
    atomicAdd(grad_in + plane * p.H * p.W + k, g);
  }
}

// Avg and AdaptiveAvg backward, one input element per thread: the sum of
// grad_out / divisor over the windows holding it, in the CPU's (oh, ow) order.
template <typename T>
__global__ void avg_pool_backward_kernel(int64_t total, PoolOp op, T* grad_in, const T* grad_out, Strides4 gs,
                                         PoolPlanes p, PoolArgs a) {
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t iw = idx % p.W, ih = idx / p.W % p.H, plane = idx / (p.W * p.H);
    const T* dy = grad_out + (plane / p.C) * gs.s0 + (plane % p.C) * gs.s1;
    const PoolRange rh = pool_windows_holding(op, ih, p.H, p.OH, a.kernel_h, a.stride_h, a.pad_h);
    const PoolRange rw = pool_windows_holding(op, iw, p.W, p.OW, a.kernel_w, a.stride_w, a.pad_w);
    T acc = 0;
    for (int64_t oh = rh.begin; oh < rh.end; ++oh) {
      const PoolSpan h = row_span(op, p, a, oh);
      for (int64_t ow = rw.begin; ow < rw.end; ++ow)
        acc += dy[oh * gs.s2 + ow * gs.s3] / static_cast<T>(pool_divisor(op, a, h, col_span(op, p, a, ow)));
    }
    grad_in[idx] = acc;
  }
}

template <typename T>
void pool_forward(PoolOp op, const Tensor& out, const Tensor& indices, const Tensor& input, const PoolArgs& a) {
  check_dtype(out, dtype_of<T>(), "pool2d");
  WICK_CHECK(out.is_contiguous(), ValueError, "pool2d: the CUDA kernel expects a contiguous output");
  const bool with_indices = op == PoolOp::Max && indices.defined();
  if (with_indices) {
    check_dtype(indices, ScalarType::Int64, "pool2d");
    WICK_CHECK(indices.is_contiguous() && indices.numel() == out.numel(), ValueError,
               "pool2d: the CUDA kernel expects contiguous indices shaped like the output ", out.sizes(), ", got ",
               indices.sizes());
  }
  const int64_t total = out.numel();
  if (total == 0) return;
  const PoolPlanes p{input.sizes()[1], input.sizes()[2], input.sizes()[3], out.sizes()[2], out.sizes()[3]};
  const T* in = static_cast<const T*>(input.raw_data());
  T* o = static_cast<T*>(out.raw_data());
  DeviceGuard guard(out.device());
  if (op == PoolOp::Max) {
    int64_t* idx = with_indices ? static_cast<int64_t*>(indices.raw_data()) : nullptr;
    max_pool_kernel<T><<<blocks_for(total), kThreads>>>(total, in, strides4(input), o, idx, p, a);
    check(cudaGetLastError(), "max_pool_kernel");
  } else {
    avg_pool_kernel<T><<<blocks_for(total), kThreads>>>(total, op, in, strides4(input), o, p, a);
    check(cudaGetLastError(), "avg_pool_kernel");
  }
}

template <typename T>
void pool_backward(PoolOp op, const Tensor& grad_input, const Tensor& grad_out, const Tensor& indices,
                   const PoolArgs& a) {
  check_dtype(grad_out, dtype_of<T>(), "pool2d_backward");
  WICK_CHECK(grad_input.is_contiguous(), ValueError,
             "pool2d_backward: the CUDA kernel expects a contiguous grad_input");
  const PoolPlanes p{grad_input.sizes()[1], grad_input.sizes()[2], grad_input.sizes()[3], grad_out.sizes()[2],
                     grad_out.sizes()[3]};
  T* gi = static_cast<T*>(grad_input.raw_data());
  const T* go = static_cast<const T*>(grad_out.raw_data());
  if (op == PoolOp::Max) {
    WICK_CHECK(indices.defined(), ValueError, "pool2d_backward: max pooling needs the forward's indices");
    check_dtype(indices, ScalarType::Int64, "pool2d_backward");
    WICK_CHECK(indices.is_contiguous() && indices.numel() == grad_out.numel(), ValueError,
               "pool2d_backward: expected contiguous indices shaped like grad_out ", grad_out.sizes(), ", got ",
               indices.sizes());
    fill(grad_input, 0);
    const int64_t total = grad_out.numel();
    if (total == 0) return;
    DeviceGuard guard(grad_input.device());
    max_pool_backward_kernel<T><<<blocks_for(total), kThreads>>>(
        total, gi, go, strides4(grad_out), static_cast<const int64_t*>(indices.raw_data()), p);
    check(cudaGetLastError(), "max_pool_backward_kernel");
    return;
  }
  const int64_t total = grad_input.numel();
  if (total == 0) return;
  DeviceGuard guard(grad_input.device());
  avg_pool_backward_kernel<T><<<blocks_for(total), kThreads>>>(total, op, gi, go, strides4(grad_out), p, a);
  check(cudaGetLastError(), "avg_pool_backward_kernel");
}

}  // namespace

void im2col(const Tensor& col, const Tensor& input, const ConvGeometry& g) {
  dispatch_floating(input.dtype(), "im2col", [&]<typename T>() { im2col_typed<T>(col, input, g); });
}

void col2im(const Tensor& grad_input, const Tensor& col, const ConvGeometry& g) {
  dispatch_floating(grad_input.dtype(), "col2im", [&]<typename T>() { col2im_typed<T>(grad_input, col, g); });
}

void pool2d(PoolOp op, const Tensor& out, const Tensor& indices, const Tensor& input, const PoolArgs& args) {
  dispatch_floating(input.dtype(), "pool2d", [&]<typename T>() { pool_forward<T>(op, out, indices, input, args); });
}

void pool2d_backward(PoolOp op, const Tensor& grad_input, const Tensor& grad_out, const Tensor& indices,
                     const PoolArgs& args) {
  dispatch_floating(grad_input.dtype(), "pool2d_backward",
                    [&]<typename T>() { pool_backward<T>(op, grad_input, grad_out, indices, args); });
}

}  // namespace wick::cuda
