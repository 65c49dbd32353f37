// The per-element gate math of the fused LSTM and GRU cells (Backend::
// lstm_cell_fwd and friends, Note [Fused RNN cells] in ops/rnn.cpp), shared by
// the CPU row loops (backends/cpu/rnn.cpp) and the CUDA kernels
// (backends/cuda/rnn.cu), so the CPU tests check the math every GPU cell runs.
//
// Each function computes one hidden unit j of one batch row from the values
// its caller loaded (biases already added where the formula adds them) and
// returns what the caller stores. The activations come from the backend as
// `Act` (static sigmoid(T) and tanh(T)): the CPU's float32 ones are
// branch-free polynomials so that its loops vectorize, a GPU's are its own
// libm's.
#pragma once

#include "backends/host_device.h"

namespace wick::rnn_math {

// LSTM forward: the activated gates i, f, g, o, the new cell state c and h.
template <typename T>
struct LstmFwd {
  T i, f, g, o, c, h;
};
// pre_*: x W_ih^T + h W_hh^T + b_ih + b_hh of each gate.
template <typename Act, typename T>
WICK_MATH_INLINE LstmFwd<T> lstm_fwd(T pre_i, T pre_f, T pre_g, T pre_o, T c_prev) {
  LstmFwd<T> r;
  r.i = Act::sigmoid(pre_i);
  r.f = Act::sigmoid(pre_f);
  r.g = Act::tanh(pre_g);
  r.o = Act::sigmoid(pre_o);
  r.c = r.f * c_prev + r.i * r.g;
  r.h = r.o * Act::tanh(r.c);
  return r;
}

// LSTM backward: the gradients of the four pre-activation gates and of c_prev.
template <typename T>
struct LstmBwd {
  T di, df, dg, d_o, dc_prev;
};
// dh = grad_h1 + grad_h2, grad_c the gradient flowing into c from later steps.
template <typename Act, typename T>
WICK_MATH_INLINE LstmBwd<T> lstm_bwd(T i, T f, T g, T o, T dh, T grad_c, T c_prev, T c) {
  const T tc = Act::tanh(c);
  const T dc = grad_c + dh * o * (1 - tc * tc);
  LstmBwd<T> r;
  r.dc_prev = dc * f;
  r.di = dc * g * i * (1 - i);
  r.df = dc * c_prev * f * (1 - f);
  r.dg = dc * i * (1 - g * g);
  r.d_o = dh * tc * o * (1 - o);
  return r;
}

// GRU forward: the activated gates r, z, n, the new h, and hn = W_hn h_prev + b_hn.
template <typename T>
struct GruFwd {
  T r, z, n, h, hn;
};
// pre_r, pre_z: x W_i^T + b_i + h W_h^T + b_h of r and z; xn = x W_in^T + b_in;
// hn = h W_hn^T + b_hn.
template <typename Act, typename T>
WICK_MATH_INLINE GruFwd<T> gru_fwd(T pre_r, T pre_z, T xn, T hn, T h_prev) {
  GruFwd<T> out;
  out.r = Act::sigmoid(pre_r);
  out.z = Act::sigmoid(pre_z);
  out.n = Act::tanh(xn + out.r * hn);
  out.h = out.n + out.z * (h_prev - out.n);
  out.hn = hn;
  return out;
}

// GRU backward: the gradients of the pre-activation gates (dr, dz and dn of
// gates_x; of gates_h: dr, dz and dn * r) and the direct part of grad_h_prev.
template <typename T>
struct GruBwd {
  T dr, dz, dn, dhn, dh_prev;
};
// d = grad_h1 + grad_h2.
template <typename T>
WICK_MATH_INLINE GruBwd<T> gru_bwd(T r, T z, T n, T d, T hn, T h_prev) {
  GruBwd<T> out;
  out.dn = d * (1 - z) * (1 - n * n);
  out.dz = d * (h_prev - n) * z * (1 - z);
  out.dr = out.dn * hn * r * (1 - r);
  out.dhn = out.dn * r;
  out.dh_prev = d * z;
  return out;
}

}  // namespace wick::rnn_math
