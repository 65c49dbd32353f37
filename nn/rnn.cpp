#include "nn/rnn.h"

#include <cmath>

#include "nn/init.h"
#include "ops/creation.h"
#include "ops/rnn.h"

namespace wick::nn {

// ---- LSTM and GRU ------------------------------------------------------------------------------

RNNBase::RNNBase(const char* mode, int64_t gates, int64_t input_size, int64_t hidden_size, RNNOptions options)
    : input_size(input_size), hidden_size(hidden_size), options(options), mode_(mode) {
  WICK_CHECK(input_size >= 0, ValueError, mode, ": input_size must be non-negative, got ", input_size);
  WICK_CHECK(hidden_size > 0, ValueError, mode, ": hidden_size must be greater than zero, got ", hidden_size);
  WICK_CHECK(options.num_layers > 0, ValueError, mode, ": num_layers must be greater than zero, got ",
             options.num_layers);
  WICK_CHECK(options.dropout >= 0 && options.dropout <= 1, ValueError,
             "dropout should be a number in range [0, 1] representing the probability of an element being zeroed "
             "(got ", options.dropout, ")");
  const int64_t directions = options.bidirectional ? 2 : 1;
  for (int64_t layer = 0; layer < options.num_layers; ++layer) {
    for (int64_t direction = 0; direction < directions; ++direction) {
      const int64_t layer_input = layer == 0 ? input_size : hidden_size * directions;
      const std::string suffix = std::to_string(layer) + (direction == 1 ? "_reverse" : "");
      flat_weights_.push_back(register_parameter("weight_ih_l" + suffix, wick::empty({gates * hidden_size, layer_input})));
      flat_weights_.push_back(register_parameter("weight_hh_l" + suffix, wick::empty({gates * hidden_size, hidden_size})));
      if (options.bias) {
        flat_weights_.push_back(register_parameter("bias_ih_l" + suffix, wick::empty({gates * hidden_size})));
        flat_weights_.push_back(register_parameter("bias_hh_l" + suffix, wick::empty({gates * hidden_size})));
      }
    }
  }
  reset_parameters();
}

void RNNBase::reset_parameters() {
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  for (const Tensor& w : flat_weights_) init::uniform_(w, -bound, bound);
}

std::string RNNBase::extra_repr() const {
  std::string s = std::to_string(input_size) + ", " + std::to_string(hidden_size);
  if (options.num_layers != 1) s += ", num_layers=" + std::to_string(options.num_layers);
  if (!options.bias) s += ", bias=False";
  if (options.batch_first) s += ", batch_first=True";
  if (options.dropout != 0) s += ", dropout=" + repr_float(options.dropout);
  if (options.bidirectional) s += ", bidirectional=True";
  return s;
}

Tensor RNNBase::batched_input(const Tensor& input) const {
  WICK_CHECK(input.dim() == 2 || input.dim() == 3, ValueError, mode_,
             ": Expected input to be 2-D or 3-D but received ", input.dim(), "-D tensor of shape ", input.sizes());
  WICK_CHECK(input.size(-1) == input_size, Error, "input.size(-1) must be equal to input_size. Expected ",
             input_size, ", got ", input.size(-1));
  return input.dim() == 3 ? input : input.unsqueeze(options.batch_first ? 0 : 1);
}

void RNNBase::check_hidden(const Tensor& hx, const Tensor& batched, const char* which) const {
  const int64_t directions = options.bidirectional ? 2 : 1;
  const std::vector<int64_t> expected = {options.num_layers * directions,
                                         batched.size(options.batch_first ? 0 : 1), hidden_size};
  WICK_CHECK(hx.sizes() == IntArrayRef(expected), Error, "Expected ", which, " size ", repr_tuple(expected),
             ", got ", hx.sizes());
}

LSTM::LSTM(int64_t input_size, int64_t hidden_size, RNNOptions options)
    : RNNBase("LSTM", 4, input_size, hidden_size, options) {}

std::tuple<Tensor, std::tuple<Tensor, Tensor>> LSTM::forward(const Tensor& input,
                                                             const std::optional<std::tuple<Tensor, Tensor>>& hx) {
  const bool batched = input.dim() == 3;
  const Tensor x = batched_input(input);
  Tensor h0, c0;
  if (hx) {
    std::tie(h0, c0) = *hx;
    const int64_t want = batched ? 3 : 2;
    WICK_CHECK(h0.dim() == want && c0.dim() == want, Error, "For ", batched ? "batched 3-D" : "unbatched 2-D",
               " input, hx and cx should also be ", want, "-D but got (", h0.dim(), "-D, ", c0.dim(), "-D) tensors");
    if (!batched) {
      h0 = h0.unsqueeze(1);
      c0 = c0.unsqueeze(1);
    }
    check_hidden(h0, x, "hidden[0]");
    check_hidden(c0, x, "hidden[1]");
  }
  auto [out, h_n, c_n] = lstm(x, h0, c0, flat_weights_, options.bias, options.num_layers, options.dropout,
                              training_, options.bidirectional, options.batch_first);
  if (!batched) return {out.squeeze(options.batch_first ? 0 : 1), {h_n.squeeze(1), c_n.squeeze(1)}};
  return {out, {h_n, c_n}};
}

GRU::GRU(int64_t input_size, int64_t hidden_size, RNNOptions options)
    : RNNBase("GRU", 3, input_size, hidden_size, options) {}

std::tuple<Tensor, Tensor> GRU::forward(const Tensor& input, const Tensor& hx) {
  const bool batched = input.dim() == 3;
  const Tensor x = batched_input(input);
  Tensor h0 = hx;
  if (h0.defined()) {
    const int64_t want = batched ? 3 : 2;
    WICK_CHECK(h0.dim() == want, Error, "For ", batched ? "batched 3-D" : "unbatched 2-D",
               " input, hx should also be ", want, "-D but got ", h0.dim(), "-D tensor");
    if (!batched) h0 = h0.unsqueeze(1);
    check_hidden(h0, x, "hidden");
  }
  auto [out, h_n] = gru(x, h0, flat_weights_, options.bias, options.num_layers, options.dropout, training_,
                        options.bidirectional, options.batch_first);
  if (!batched) return {out.squeeze(options.batch_first ? 0 : 1), h_n.squeeze(1)};
  return {out, h_n};
}

// ---- cells -------------------------------------------------------------------------------------

RNNCellBase::RNNCellBase(int64_t input_size, int64_t hidden_size, bool bias, int64_t gates)
    : input_size(input_size), hidden_size(hidden_size), bias(bias) {
  WICK_CHECK(input_size >= 0 && hidden_size > 0, ValueError,
             "RNN cell: input_size must be non-negative and hidden_size positive, got ", input_size, " and ",
             hidden_size);
  weight_ih = register_parameter("weight_ih", wick::empty({gates * hidden_size, input_size}));
  weight_hh = register_parameter("weight_hh", wick::empty({gates * hidden_size, hidden_size}));
  bias_ih = register_parameter("bias_ih", bias ? wick::empty({gates * hidden_size}) : Tensor());
  bias_hh = register_parameter("bias_hh", bias ? wick::empty({gates * hidden_size}) : Tensor());
  reset_parameters();
}

void RNNCellBase::reset_parameters() {
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  for (const Tensor& w : parameters(false)) init::uniform_(w, -bound, bound);
}

std::string RNNCellBase::extra_repr() const {
  return std::to_string(input_size) + ", " + std::to_string(hidden_size) + (bias ? "" : ", bias=False");
}

Tensor RNNCellBase::batched_input(const Tensor& input, const char* cell) const {
  WICK_CHECK(input.dim() == 1 || input.dim() == 2, ValueError, cell,
             ": Expected input to be 1-D or 2-D but received ", input.dim(), "-D tensor");
  return input.dim() == 2 ? input : input.unsqueeze(0);
}

std::tuple<Tensor, Tensor> LSTMCell::forward(const Tensor& input,
                                             const std::optional<std::tuple<Tensor, Tensor>>& hx) {
  const Tensor x = batched_input(input, "LSTMCell");
  Tensor h, c;
  if (hx) {
    std::tie(h, c) = *hx;
    if (input.dim() == 1) {
      h = h.unsqueeze(0);
      c = c.unsqueeze(0);
    }
  } else {
    h = c = zeros({x.size(0), hidden_size}, TensorOptions(x.dtype()).device(x.device()));
  }
  auto [h1, c1] = lstm_cell(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh);
  if (input.dim() == 1) return {h1.squeeze(0), c1.squeeze(0)};
  return {h1, c1};
}

Tensor GRUCell::forward(const Tensor& input, const Tensor& hx) {
  const Tensor x = batched_input(input, "GRUCell");
  Tensor h = hx;
  if (h.defined()) {
    if (input.dim() == 1) h = h.unsqueeze(0);
  } else {
    h = zeros({x.size(0), hidden_size}, TensorOptions(x.dtype()).device(x.device()));
  }
  Tensor h1 = gru_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh);
  return input.dim() == 1 ? h1.squeeze(0) : h1;
}

}  // namespace wick::nn
