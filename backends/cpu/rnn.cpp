// CPU kernels of the recurrent cells: the gate math of one LSTM or GRU time
// step, forward and backward, fused into one pass over the batch
// (Note [Fused RNN cells] in ops/rnn.cpp). The gemms around them run in
// ops/rnn.cpp through Backend::matmul. The gate math of one hidden unit is
// backends/rnn_math.h's, which the CUDA kernels share.
//
// Every matrix argument is [B, k * H] with unit column stride and any row
// stride (a step's slice of a [T, B, D * H] layer output is one). An
// undefined optional input (bias, previous state, incoming gradient) reads as
// zeros: it is replaced by a zero row of stride 0, so each kernel has one loop
// body, which the compiler vectorizes.
//
// float32 uses branch-free exp/tanh/sigmoid (Cephes' polynomials, within a
// few ulp) so that the loops vectorize; float64 uses libm.

// GCC keeps a float comparison feeding a select as a branch (the comparison
// might trap), which stops the loops below from vectorizing; nothing here
// traps on purpose, so let it if-convert them.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

// The row loops are compiled three times, for AVX-512, for AVX2 + FMA and for
// the baseline, and the loader picks one for the CPU at hand (GCC's function multiversioning).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define WICK_RNN_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define WICK_RNN_CLONES
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/vec_math.h"
#include "backends/rnn_math.h"
#include "core/parallel.h"

namespace wick::cpu {

namespace {

// ---- activations ------------------------------------------------------------------------

// exp_f32 is vec_math.h's (0 below -87, inf above 88, which the forms below absorb).
WICK_ALWAYS_INLINE float tanh_f32(float x) {
  const float ax = std::fabs(x);
  // |x| >= 0.625: 1 - 2 / (e^(2|x|) + 1), signed; below, an odd polynomial
  // (the first form cancels there).
  float big = 1.0f - 2.0f / (exp_f32(2.0f * ax) + 1.0f);
  big = x < 0 ? -big : big;
  const float z = x * x;
  const float small =
      ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z + 1.33314422036e-1f) * z -
       3.33332819422e-1f) * z * x + x;
  return ax < 0.625f ? small : big;
}

// The activations of backends/rnn_math.h's gate math on the CPU.
struct CpuAct {
  static WICK_ALWAYS_INLINE float sigmoid(float x) { return 1.0f / (1.0f + exp_f32(-x)); }
  static WICK_ALWAYS_INLINE double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
  static WICK_ALWAYS_INLINE float tanh(float x) { return tanh_f32(x); }
  static WICK_ALWAYS_INLINE double tanh(double x) { return std::tanh(x); }
};

// ---- operands ---------------------------------------------------------------------------------

// Row b of a [B, n] matrix: p + b * rs. A missing operand is a shared zero
// row (rs = 0); a missing output is never asked for.
template <typename T>
struct Rows {
  T* p;
  int64_t rs;
  T* operator[](int64_t b) const { return p + b * rs; }
};

template <typename T>
Rows<T> rows(const Tensor& t) {
  return {static_cast<T*>(t.raw_data()), t.dim() == 2 && t.size(0) > 1 ? t.stride(0) : 0};
}
// An optional input: the tensor's rows, or `zeros` repeated.
template <typename T>
Rows<T> rows_or(const Tensor& t, std::vector<T>& zeros) {
  return t.defined() ? rows<T>(t) : Rows<T>{zeros.data(), 0};
}

// The two biases summed (one per gate element), zero where absent.
template <typename T>
std::vector<T> bias_sum(const Tensor& b_ih, const Tensor& b_hh, int64_t n) {
  std::vector<T> out(static_cast<size_t>(n), T(0));
  for (const Tensor* b : {&b_ih, &b_hh}) {
    if (!b->defined()) continue;
    const T* p = static_cast<const T*>(b->raw_data());
    const int64_t s = b->stride(0);
    for (int64_t j = 0; j < n; ++j) out[j] += p[j * s];
  }
  return out;
}
template <typename T>
std::vector<T> bias_of(const Tensor& b, int64_t n) {
  return bias_sum<T>(b, Tensor(), n);
}

// Batch rows per thread: the gate math costs some 20 flops and 5
// exponentials per hidden unit, so a few thousand units fill a thread.
int64_t row_grain(int64_t hidden) { return std::max<int64_t>(1, 4096 / std::max<int64_t>(hidden, 1)); }

// ---- LSTM ---------------------------------------------------------------------------------------

// One batch row. The four gate blocks are separate restrict pointers so that
// the compiler vectorizes the loop without alias checks.
template <typename T>
WICK_RNN_CLONES
void lstm_fwd_row(int64_t H, T* __restrict gi, T* __restrict gf, T* __restrict gg, T* __restrict go,
                  const T* __restrict bias, const T* __restrict c_prev, T* __restrict h, T* __restrict c) {
  const T* __restrict bi = bias;
  const T* __restrict bf = bias + H;
  const T* __restrict bg = bias + 2 * H;
  const T* __restrict bo = bias + 3 * H;
  for (int64_t j = 0; j < H; ++j) {
    const auto r = rnn_math::lstm_fwd<CpuAct>(gi[j] + bi[j], gf[j] + bf[j], gg[j] + bg[j], go[j] + bo[j], c_prev[j]);
    c[j] = r.c;
    h[j] = r.h;
    gi[j] = r.i;
    gf[j] = r.f;
    gg[j] = r.g;
    go[j] = r.o;
  }
}

// grad_c may be grad_c_prev itself (updated in place): each element is read
// before it is written, so those two are not restrict.
template <typename T>
WICK_RNN_CLONES
void lstm_bwd_row(int64_t H, T* __restrict di, T* __restrict df, T* __restrict dg, T* __restrict d_o,
                  T* grad_c_prev, const T* grad_c, const T* __restrict grad_h1, const T* __restrict grad_h2,
                  const T* __restrict gates, const T* __restrict c_prev, const T* __restrict c) {
  const T* __restrict gi = gates;
  const T* __restrict gf = gates + H;
  const T* __restrict gg = gates + 2 * H;
  const T* __restrict go = gates + 3 * H;
  for (int64_t j = 0; j < H; ++j) {
    const auto r = rnn_math::lstm_bwd<CpuAct>(gi[j], gf[j], gg[j], go[j], grad_h1[j] + grad_h2[j], grad_c[j],
                                              c_prev[j], c[j]);
    grad_c_prev[j] = r.dc_prev;
    di[j] = r.di;
    df[j] = r.df;
    dg[j] = r.dg;
    d_o[j] = r.d_o;
  }
}

template <typename T>
void lstm_fwd_typed(const Tensor& gates, const Tensor& b_ih, const Tensor& b_hh, const Tensor& c_prev,
                    const Tensor& h, const Tensor& c) {
  const int64_t batch = h.size(0), H = h.size(1);
  std::vector<T> zeros(static_cast<size_t>(H), T(0));
  const std::vector<T> bias = bias_sum<T>(b_ih, b_hh, 4 * H);
  const Rows<T> G = rows<T>(gates), CP = rows_or<T>(c_prev, zeros), HO = rows<T>(h), CO = rows<T>(c);
  parallel_for(batch, row_grain(H), [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      T* g = G[b];
      lstm_fwd_row<T>(H, g, g + H, g + 2 * H, g + 3 * H, bias.data(), CP[b], HO[b], CO[b]);
    }
  });
}

template <typename T>
void lstm_bwd_typed(const Tensor& grad_gates, const Tensor& grad_c_prev, const Tensor& grad_h1, const Tensor& grad_h2,
                    const Tensor& grad_c, const Tensor& gates, const Tensor& c_prev, const Tensor& c) {
  const int64_t batch = c.size(0), H = c.size(1);
  std::vector<T> zeros(static_cast<size_t>(H), T(0));
  const Rows<T> DG = rows<T>(grad_gates), DCP = rows<T>(grad_c_prev), GH1 = rows_or<T>(grad_h1, zeros),
                GH2 = rows_or<T>(grad_h2, zeros), GC = rows_or<T>(grad_c, zeros), G = rows<T>(gates),
                CP = rows_or<T>(c_prev, zeros), C = rows<T>(c);
  parallel_for(batch, row_grain(H), [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      T* dg = DG[b];
      lstm_bwd_row<T>(H, dg, dg + H, dg + 2 * H, dg + 3 * H, DCP[b], GC[b], GH1[b], GH2[b], G[b], CP[b], C[b]);
    }
  });
}

// ---- GRU ------------------------------------------------------------------------------------------

template <typename T>
WICK_RNN_CLONES
void gru_fwd_row(int64_t H, T* __restrict xr, T* __restrict xz, T* __restrict xn, const T* __restrict gates_h,
                 const T* __restrict b_ih, const T* __restrict b_hh, const T* __restrict h_prev, T* __restrict h,
                 T* __restrict hn) {
  const T* __restrict hr = gates_h;
  const T* __restrict hz = gates_h + H;
  const T* __restrict hh = gates_h + 2 * H;
  for (int64_t j = 0; j < H; ++j) {
    const auto r = rnn_math::gru_fwd<CpuAct>(xr[j] + b_ih[j] + hr[j] + b_hh[j],
                                             xz[j] + b_ih[H + j] + hz[j] + b_hh[H + j], xn[j] + b_ih[2 * H + j],
                                             hh[j] + b_hh[2 * H + j], h_prev[j]);
    h[j] = r.h;
    hn[j] = r.hn;
    xr[j] = r.r;
    xz[j] = r.z;
    xn[j] = r.n;
  }
}

// grad_h2 may be grad_h_prev itself (updated in place), read before written.
template <typename T>
WICK_RNN_CLONES
void gru_bwd_row(int64_t H, T* __restrict dxr, T* __restrict dxz, T* __restrict dxn, T* __restrict dhr,
                 T* __restrict dhz, T* __restrict dhn, T* grad_h_prev, const T* grad_h2, const T* __restrict grad_h1,
                 const T* __restrict gates, const T* __restrict hn, const T* __restrict h_prev) {
  const T* __restrict gr = gates;
  const T* __restrict gz = gates + H;
  const T* __restrict gn = gates + 2 * H;
  for (int64_t j = 0; j < H; ++j) {
    const auto r = rnn_math::gru_bwd(gr[j], gz[j], gn[j], grad_h1[j] + grad_h2[j], hn[j], h_prev[j]);
    grad_h_prev[j] = r.dh_prev;
    dxr[j] = r.dr;
    dxz[j] = r.dz;
    dxn[j] = r.dn;
    dhr[j] = r.dr;
    dhz[j] = r.dz;
    dhn[j] = r.dhn;
  }
}

template <typename T>
void gru_fwd_typed(const Tensor& gates_x, const Tensor& gates_h, const Tensor& b_ih, const Tensor& b_hh,
                   const Tensor& h_prev, const Tensor& h, const Tensor& hn) {
  const int64_t batch = h.size(0), H = h.size(1);
  std::vector<T> zeros(static_cast<size_t>(3 * H), T(0));
  const std::vector<T> bx = bias_of<T>(b_ih, 3 * H), bh = bias_of<T>(b_hh, 3 * H);
  const Rows<T> GX = rows<T>(gates_x), GH = rows_or<T>(gates_h, zeros), HP = rows_or<T>(h_prev, zeros),
                HO = rows<T>(h), HN = rows<T>(hn);
  parallel_for(batch, row_grain(H), [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      T* gx = GX[b];
      gru_fwd_row<T>(H, gx, gx + H, gx + 2 * H, GH[b], bx.data(), bh.data(), HP[b], HO[b], HN[b]);
    }
  });
}

template <typename T>
void gru_bwd_typed(const Tensor& grad_gates_x, const Tensor& grad_gates_h, const Tensor& grad_h_prev,
                   const Tensor& grad_h1, const Tensor& grad_h2, const Tensor& gates, const Tensor& hn,
                   const Tensor& h_prev) {
  const int64_t batch = hn.size(0), H = hn.size(1);
  std::vector<T> zeros(static_cast<size_t>(H), T(0));
  const Rows<T> DX = rows<T>(grad_gates_x), DH = rows<T>(grad_gates_h), DHP = rows<T>(grad_h_prev),
                GH1 = rows_or<T>(grad_h1, zeros), GH2 = rows_or<T>(grad_h2, zeros), G = rows<T>(gates),
                HN = rows<T>(hn), HP = rows_or<T>(h_prev, zeros);
  parallel_for(batch, row_grain(H), [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      T* dx = DX[b];
      T* dh = DH[b];
      gru_bwd_row<T>(H, dx, dx + H, dx + 2 * H, dh, dh + H, dh + 2 * H, DHP[b], GH2[b], GH1[b], G[b], HN[b], HP[b]);
    }
  });
}

}  // namespace

void lstm_cell_fwd(const Tensor& gates, const Tensor& b_ih, const Tensor& b_hh, const Tensor& c_prev, const Tensor& h,
                   const Tensor& c) {
  dispatch_floating(h.dtype(), "lstm_cell", [&]<typename T>() { lstm_fwd_typed<T>(gates, b_ih, b_hh, c_prev, h, c); });
}

void lstm_cell_bwd(const Tensor& grad_gates, const Tensor& grad_c_prev, const Tensor& grad_h1, const Tensor& grad_h2,
                   const Tensor& grad_c, const Tensor& gates, const Tensor& c_prev, const Tensor& c) {
  dispatch_floating(c.dtype(), "lstm_cell_backward", [&]<typename T>() {
    lstm_bwd_typed<T>(grad_gates, grad_c_prev, grad_h1, grad_h2, grad_c, gates, c_prev, c);
  });
}

void gru_cell_fwd(const Tensor& gates_x, const Tensor& gates_h, const Tensor& b_ih, const Tensor& b_hh,
                  const Tensor& h_prev, const Tensor& h, const Tensor& hn) {
  dispatch_floating(h.dtype(), "gru_cell",
                    [&]<typename T>() { gru_fwd_typed<T>(gates_x, gates_h, b_ih, b_hh, h_prev, h, hn); });
}

void gru_cell_bwd(const Tensor& grad_gates_x, const Tensor& grad_gates_h, const Tensor& grad_h_prev,
                  const Tensor& grad_h1, const Tensor& grad_h2, const Tensor& gates, const Tensor& hn,
                  const Tensor& h_prev) {
  dispatch_floating(hn.dtype(), "gru_cell_backward", [&]<typename T>() {
    gru_bwd_typed<T>(grad_gates_x, grad_gates_h, grad_h_prev, grad_h1, grad_h2, gates, hn, h_prev);
  });
}

}  // namespace wick::cpu
