// Recurrent layers LSTM and GRU, and the single-step LSTMCell and GRUCell,
// with PyTorch's parameter names (weight_ih_l0, weight_hh_l0, bias_ih_l0,
// bias_hh_l0, ..._reverse for the backward direction), shapes and gate
// order, so state dicts carry over between the two frameworks. All weights
// start as U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).
//
//   auto lstm = std::make_shared<nn::LSTM>(32, 64, nn::RNNOptions{.num_layers = 2, .batch_first = true});
//   auto [out, state] = lstm->forward(x);        // x [B, T, 32] -> out [B, T, 64]
//   auto [h_n, c_n] = state;                     // each [2, B, 64]
#pragma once

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "nn/module.h"

namespace wick::nn {

struct RNNOptions {
  int64_t num_layers = 1;
  bool bias = true;
  bool batch_first = false;  // input and output [B, T, *] instead of [T, B, *]
  double dropout = 0.0;      // on the outputs of each layer but the last, in training
  bool bidirectional = false;
};

class RNNBase : public Module {
 public:
  void reset_parameters();
  std::string extra_repr() const override;
  // The parameters in PyTorch's order: per layer and direction w_ih, w_hh[, b_ih, b_hh].
  const TensorList& flat_weights() const { return flat_weights_; }

  int64_t input_size, hidden_size;
  RNNOptions options;

 protected:
  RNNBase(const char* mode, int64_t gates, int64_t input_size, int64_t hidden_size, RNNOptions options);
  // The input made batched ([T, B, I] or [B, T, I]), after checking its shape.
  Tensor batched_input(const Tensor& input) const;
  // Checks an initial state against [num_layers * directions, B, H]; `which`
  // names it in the error ("hidden[0]").
  void check_hidden(const Tensor& hx, const Tensor& batched, const char* which) const;

  const char* mode_;
  TensorList flat_weights_;
};

class LSTM : public RNNBase {
 public:
  LSTM(int64_t input_size, int64_t hidden_size, RNNOptions options = {});
  // input [T, B, I] ([B, T, I] if batch_first) or unbatched [T, I]; hx = (h_0, c_0),
  // each [num_layers * directions, B, H] (zeros if not given). Returns
  // (output [T, B, directions * H], (h_n, c_n)).
  std::tuple<Tensor, std::tuple<Tensor, Tensor>> forward(const Tensor& input,
                                                         const std::optional<std::tuple<Tensor, Tensor>>& hx = {});
};

class GRU : public RNNBase {
 public:
  GRU(int64_t input_size, int64_t hidden_size, RNNOptions options = {});
  // As LSTM, with a single state h. Returns (output, h_n).
  std::tuple<Tensor, Tensor> forward(const Tensor& input, const Tensor& hx = {});
};

class RNNCellBase : public Module {
 public:
  void reset_parameters();
  std::string extra_repr() const override;

  int64_t input_size, hidden_size;
  bool bias;
  Tensor weight_ih, weight_hh, bias_ih, bias_hh;

 protected:
  RNNCellBase(int64_t input_size, int64_t hidden_size, bool bias, int64_t gates);
  // The input as [B, I] (unbatched [I] gets a batch of 1), after checking it.
  Tensor batched_input(const Tensor& input, const char* cell) const;
};

class LSTMCell : public RNNCellBase {
 public:
  LSTMCell(int64_t input_size, int64_t hidden_size, bool bias = true)
      : RNNCellBase(input_size, hidden_size, bias, 4) {}
  // input [B, I] or [I]; hx = (h, c) [B, H] (zeros if not given). Returns (h', c').
  std::tuple<Tensor, Tensor> forward(const Tensor& input, const std::optional<std::tuple<Tensor, Tensor>>& hx = {});
};

class GRUCell : public RNNCellBase {
 public:
  GRUCell(int64_t input_size, int64_t hidden_size, bool bias = true) : RNNCellBase(input_size, hidden_size, bias, 3) {}
  // input [B, I] or [I]; hx [B, H] (zeros if not given). Returns h'.
  Tensor forward(const Tensor& input, const Tensor& hx = {});
};

}  // namespace wick::nn
