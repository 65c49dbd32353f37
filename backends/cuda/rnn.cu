// CUDA kernels of the fused recurrent cells (Backend::lstm_cell_fwd and
// friends; Note [Fused RNN cells] in ops/rnn.cpp): one thread per (batch row,
// hidden unit), doing the gate math of backends/rnn_math.h that the CPU row
// loops run (backends/cpu/rnn.cpp), with the GPU's own exp and tanh.
//
// Matrices are [B, k * H] with unit column stride and any row stride (a
// batch of one may have any row stride: it is never used); biases are [k * H]
// vectors of any stride. An undefined optional operand is a null pointer,
// read as zeros. Where an output may be the very tensor an input is
// (grad_c_prev / grad_c, grad_h_prev / grad_h2), both are the same element
// of the same thread, read before it is written.
#include <algorithm>
#include <initializer_list>

#include "backends/cuda/loops.cuh"
#include "backends/rnn_math.h"

namespace wick::cuda {

namespace {

struct GpuAct {
  static __device__ __forceinline__ float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
  static __device__ __forceinline__ double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
  static __device__ __forceinline__ float tanh(float x) { return tanhf(x); }
  static __device__ __forceinline__ double tanh(double x) { return ::tanh(x); }
};

// A [B, n] matrix (p null: zeros) or a [n] vector (rs: its element stride).
template <typename T>
struct Mat {
  T* p;
  int64_t rs;
  __device__ T* row(int64_t b) const { return p + b * rs; }
  __device__ T at(int64_t b, int64_t j) const { return p ? p[b * rs + j] : T(0); }
  __device__ T elem(int64_t j) const { return p ? p[j * rs] : T(0); }
};

template <typename T>
Mat<T> mat(const Tensor& t) {
  if (!t.defined()) return {nullptr, 0};
  return {static_cast<T*>(t.raw_data()), t.dim() == 2 && t.size(0) > 1 ? t.stride(0) : 0};
}
template <typename T>
Mat<T> vec(const Tensor& t) {
  if (!t.defined()) return {nullptr, 0};
  return {static_cast<T*>(t.raw_data()), t.stride(0)};
}

// The loops run idx over B * H: batch row b = idx / H, hidden unit j = idx % H.
__device__ __forceinline__ int64_t first_index() { return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ __forceinline__ int64_t grid_step() { return static_cast<int64_t>(blockDim.x) * gridDim.x; }

template <typename T>
__global__ void lstm_fwd_kernel(int64_t B, int64_t H, Mat<T> gates, Mat<T> b_ih, Mat<T> b_hh, Mat<T> c_prev,
                                Mat<T> h, Mat<T> c) {
  for (int64_t idx = first_index(); idx < B * H; idx += grid_step()) {
    const int64_t b = idx / H, j = idx % H;
    T* g = gates.row(b);
    // The two biases summed first, as the CPU does.
    const auto bias = [&](int64_t k) { return (T(0) + b_ih.elem(k * H + j)) + b_hh.elem(k * H + j); };
    const auto r = rnn_math::lstm_fwd<GpuAct>(g[j] + bias(0), g[H + j] + bias(1), g[2 * H + j] + bias(2),
                                              g[3 * H + j] + bias(3), c_prev.at(b, j));
    c.row(b)[j] = r.c;
    h.row(b)[j] = r.h;
    g[j] = r.i;
    g[H + j] = r.f;
    g[2 * H + j] = r.g;
    g[3 * H + j] = r.o;
  }
}

template <typename T>
__global__ void lstm_bwd_kernel(int64_t B, int64_t H, Mat<T> grad_gates, Mat<T> grad_c_prev, Mat<T> grad_h1,
                                Mat<T> grad_h2, Mat<T> grad_c, Mat<T> gates, Mat<T> c_prev, Mat<T> c) {
  for (int64_t idx = first_index(); idx < B * H; idx += grid_step()) {
    const int64_t b = idx / H, j = idx % H;
    const T* g = gates.row(b);
    const auto r = rnn_math::lstm_bwd<GpuAct>(g[j], g[H + j], g[2 * H + j], g[3 * H + j],
                                              grad_h1.at(b, j) + grad_h2.at(b, j), grad_c.at(b, j),
                                              c_prev.at(b, j), c.row(b)[j]);
    grad_c_prev.row(b)[j] = r.dc_prev;
    T* dg = grad_gates.row(b);
    dg[j] = r.di;
    dg[H + j] = r.df;
    dg[2 * H + j] = r.dg;
    dg[3 * H + j] = r.d_o;
  }
}

template <typename T>
__global__ void gru_fwd_kernel(int64_t B, int64_t H, Mat<T> gates_x, Mat<T> gates_h, Mat<T> b_ih, Mat<T> b_hh,
                               Mat<T> h_prev, Mat<T> h, Mat<T> hn) {
  for (int64_t idx = first_index(); idx < B * H; idx += grid_step()) {
    const int64_t b = idx / H, j = idx % H;
    T* x = gates_x.row(b);
    // Each bias is 0 + b where present, as the CPU's bias_of makes it.
    const auto bx = [&](int64_t k) { return T(0) + b_ih.elem(k * H + j); };
    const auto bh = [&](int64_t k) { return T(0) + b_hh.elem(k * H + j); };
    const auto r = rnn_math::gru_fwd<GpuAct>(x[j] + bx(0) + gates_h.at(b, j) + bh(0),
                                             x[H + j] + bx(1) + gates_h.at(b, H + j) + bh(1),
                                             x[2 * H + j] + bx(2), gates_h.at(b, 2 * H + j) + bh(2),
                                             h_prev.at(b, j));
    h.row(b)[j] = r.h;
    hn.row(b)[j] = r.hn;
    x[j] = r.r;
    x[H + j] = r.z;
    x[2 * H + j] = r.n;
  }
}

template <typename T>
__global__ void gru_bwd_kernel(int64_t B, int64_t H, Mat<T> grad_gates_x, Mat<T> grad_gates_h, Mat<T> grad_h_prev,
                               Mat<T> grad_h1, Mat<T> grad_h2, Mat<T> gates, Mat<T> hn, Mat<T> h_prev) {
  for (int64_t idx = first_index(); idx < B * H; idx += grid_step()) {
    const int64_t b = idx / H, j = idx % H;
    const T* g = gates.row(b);
    const auto r = rnn_math::gru_bwd(g[j], g[H + j], g[2 * H + j], grad_h1.at(b, j) + grad_h2.at(b, j),
                                     hn.row(b)[j], h_prev.at(b, j));
    grad_h_prev.row(b)[j] = r.dh_prev;
    T* dx = grad_gates_x.row(b);
    T* dh = grad_gates_h.row(b);
    dx[j] = r.dr;
    dx[H + j] = r.dz;
    dx[2 * H + j] = r.dn;
    dh[j] = r.dr;
    dh[H + j] = r.dz;
    dh[2 * H + j] = r.dhn;
  }
}

// Every defined operand on the device of `ref` and of its dtype, with a unit
// column stride: the kernels index them as rows of T.
void check_operands(const char* op, const Tensor& ref, std::initializer_list<const Tensor*> ts) {
  for (const Tensor* t : ts) {
    if (!t->defined()) continue;
    WICK_CHECK(t->device() == ref.device(), ValueError, op, ": expected all tensors on ", ref.device(),
               ", got one on ", t->device());
    WICK_CHECK(t->dtype() == ref.dtype(), TypeError, op, ": CUDA kernel expected ", ref.dtype(), " tensors, got ",
               t->dtype());
    WICK_CHECK(t->dim() == 1 || t->dim() == 2, ValueError, op, ": CUDA kernel expected a matrix or vector, got ",
               t->sizes());
    WICK_CHECK(t->dim() == 1 || t->size(1) <= 1 || t->stride(1) == 1, ValueError, op,
               ": CUDA kernel expected a unit column stride, got strides ", t->strides());
  }
}

template <typename Launch>
void launch(const char* op, const Tensor& ref, int64_t n, Launch&& body) {
  if (n == 0) return;
  dispatch_floating(ref.dtype(), op, [&]<typename T>() {
    DeviceGuard guard(ref.device());
    body.template operator()<T>(blocks_for(n));
    check(cudaGetLastError(), op);
  });
}

}  // namespace

void lstm_cell_fwd(const Tensor& gates, const Tensor& b_ih, const Tensor& b_hh, const Tensor& c_prev, const Tensor& h,
                   const Tensor& c) {
  check_operands("lstm_cell", h, {&gates, &b_ih, &b_hh, &c_prev, &c});
  const int64_t B = h.size(0), H = h.size(1);
  launch("lstm_cell", h, B * H, [&]<typename T>(unsigned blocks) {
    lstm_fwd_kernel<T><<<blocks, kThreads>>>(B, H, mat<T>(gates), vec<T>(b_ih), vec<T>(b_hh), mat<T>(c_prev),
                                             mat<T>(h), mat<T>(c));
  });
}

void lstm_cell_bwd(const Tensor& grad_gates, const Tensor& grad_c_prev, const Tensor& grad_h1, const Tensor& grad_h2,
                   const Tensor& grad_c, const Tensor& gates, const Tensor& c_prev, const Tensor& c) {
  check_operands("lstm_cell_backward", c, {&grad_gates, &grad_c_prev, &grad_h1, &grad_h2, &grad_c, &gates, &c_prev});
  const int64_t B = c.size(0), H = c.size(1);
  launch("lstm_cell_backward", c, B * H, [&]<typename T>(unsigned blocks) {
    lstm_bwd_kernel<T><<<blocks, kThreads>>>(B, H, mat<T>(grad_gates), mat<T>(grad_c_prev), mat<T>(grad_h1),
                                             mat<T>(grad_h2), mat<T>(grad_c), mat<T>(gates), mat<T>(c_prev),
                                             mat<T>(c));
  });
}

void gru_cell_fwd(const Tensor& gates_x, const Tensor& gates_h, const Tensor& b_ih, const Tensor& b_hh,
                  const Tensor& h_prev, const Tensor& h, const Tensor& hn) {
  check_operands("gru_cell", h, {&gates_x, &gates_h, &b_ih, &b_hh, &h_prev, &hn});
  const int64_t B = h.size(0), H = h.size(1);
  launch("gru_cell", h, B * H, [&]<typename T>(unsigned blocks) {
    gru_fwd_kernel<T><<<blocks, kThreads>>>(B, H, mat<T>(gates_x), mat<T>(gates_h), vec<T>(b_ih), vec<T>(b_hh),
                                            mat<T>(h_prev), mat<T>(h), mat<T>(hn));
  });
}

void gru_cell_bwd(const Tensor& grad_gates_x, const Tensor& grad_gates_h, const Tensor& grad_h_prev,
                  const Tensor& grad_h1, const Tensor& grad_h2, const Tensor& gates, const Tensor& hn,
                  const Tensor& h_prev) {
  check_operands("gru_cell_backward", hn,
                 {&grad_gates_x, &grad_gates_h, &grad_h_prev, &grad_h1, &grad_h2, &gates, &h_prev});
  const int64_t B = hn.size(0), H = hn.size(1);
  launch("gru_cell_backward", hn, B * H, [&]<typename T>(unsigned blocks) {
    gru_bwd_kernel<T><<<blocks, kThreads>>>(B, H, mat<T>(grad_gates_x), mat<T>(grad_gates_h), mat<T>(grad_h_prev),
                                            mat<T>(grad_h1), mat<T>(grad_h2), mat<T>(gates), mat<T>(hn),
                                            mat<T>(h_prev));
  });
}

}  // namespace wick::cuda
