// Recurrent cells and layers, with PyTorch's gate order and weight layout:
// LSTM gates (i, f, g, o), GRU gates (r, z, n); w_ih [G * H, I], w_hh
// [G * H, H], b_ih and b_hh [G * H] (may be undefined: no bias).
//
// Each step runs two gemms and one fused kernel for the gate math, forward
// and backward (Note [Fused RNN cells] in rnn.cpp).
#pragma once

#include <tuple>
#include <utility>

#include "core/tensor.h"

namespace wick {

// One step. input [B, I] (or [I]), hx/cx [B, H]; returns (h', c').
std::pair<Tensor, Tensor> lstm_cell(const Tensor& input, const Tensor& hx, const Tensor& cx, const Tensor& w_ih,
                                    const Tensor& w_hh, const Tensor& b_ih = {}, const Tensor& b_hh = {});
Tensor gru_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh,
                const Tensor& b_ih = {}, const Tensor& b_hh = {});

// Whole layers, as torch.lstm / torch.gru. params: per layer and direction,
// in PyTorch's order (w_ih, w_hh[, b_ih, b_hh]), layer-major, forward
// direction before reverse. input [T, B, I] ([B, T, I] if batch_first);
// hx/cx [num_layers * num_directions, B, H] (undefined: zeros). dropout
// applies to the outputs of each layer but the last, in training only.
// Returns (output [T, B, D * H], h_n, c_n).
std::tuple<Tensor, Tensor, Tensor> lstm(const Tensor& input, const Tensor& hx, const Tensor& cx,
                                        const TensorList& params, bool has_biases, int64_t num_layers,
                                        double dropout, bool training, bool bidirectional, bool batch_first);
// Returns (output, h_n).
std::pair<Tensor, Tensor> gru(const Tensor& input, const Tensor& hx, const TensorList& params, bool has_biases,
                              int64_t num_layers, double dropout, bool training, bool bidirectional,
                              bool batch_first);

}  // namespace wick
