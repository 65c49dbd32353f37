// Recurrent cells and layers (ops/rnn.h) with torch's signatures:
//   lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first) -> (output, h_n, c_n)
//   gru(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first) -> (output, h_n)
//   lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> (h, c)
//   gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> h
// An lstm hx is a pair (h0, c0). As an extension of torch, a missing hidden
// state (None) means zeros.
#include <string>

#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

Tensor optional_tensor(const std::optional<Tensor>& t) { return t ? *t : Tensor(); }

// An LSTM hidden state: None, or a tuple/list of two tensors (h, c).
std::pair<Tensor, Tensor> lstm_state(py::handle hx, const char* op) {
  if (hx.is_none()) return {};
  if (!PyTuple_Check(hx.ptr()) && !PyList_Check(hx.ptr()))
    throw py::type_error(std::string(op) + "(): argument 'hx' must be a tuple of two Tensors (h, c), but found " +
                         Py_TYPE(hx.ptr())->tp_name);
  py::sequence seq = py::reinterpret_borrow<py::sequence>(hx);
  if (seq.size() != 2)
    throw py::value_error(std::string(op) + " expects two hidden states (h, c), but got " +
                          std::to_string(seq.size()));
  auto element = [&](size_t i) -> Tensor {
    py::object item = seq[i];
    if (item.is_none()) return {};
    if (!is_tensor(item))
      throw py::type_error(std::string(op) + "(): argument 'hx' must be a tuple of two Tensors, but element " +
                           std::to_string(i) + " is " + Py_TYPE(item.ptr())->tp_name);
    return item.cast<Tensor>();
  };
  return {element(0), element(1)};
}

}  // namespace

void init_rnn(py::module_& m, TensorClass& /*cls*/) {
  m.def(
      "lstm",
      [](const Tensor& input, py::handle hx, const std::vector<Tensor>& params, bool has_biases, int64_t num_layers,
         double dropout, bool train, bool bidirectional, bool batch_first) {
        auto [h0, c0] = lstm_state(hx, "lstm");
        auto [out, hn, cn] = without_gil([&] {
          return lstm(input, h0, c0, params, has_biases, num_layers, dropout, train, bidirectional, batch_first);
        });
        return py::make_tuple(out, hn, cn);
      },
      py::arg("input"), py::arg("hx"), py::arg("params"), py::arg("has_biases"), py::arg("num_layers"),
      py::arg("dropout"), py::arg("train"), py::arg("bidirectional"), py::arg("batch_first"),
      "Multi-layer LSTM over a sequence, as torch.lstm; returns (output, h_n, c_n).");
  m.def(
      "gru",
      [](const Tensor& input, const std::optional<Tensor>& hx, const std::vector<Tensor>& params, bool has_biases,
         int64_t num_layers, double dropout, bool train, bool bidirectional, bool batch_first) {
        auto [out, hn] = without_gil([&] {
          return gru(input, optional_tensor(hx), params, has_biases, num_layers, dropout, train, bidirectional,
                     batch_first);
        });
        return py::make_tuple(out, hn);
      },
      py::arg("input"), py::arg("hx"), py::arg("params"), py::arg("has_biases"), py::arg("num_layers"),
      py::arg("dropout"), py::arg("train"), py::arg("bidirectional"), py::arg("batch_first"),
      "Multi-layer GRU over a sequence, as torch.gru; returns (output, h_n).");
  m.def(
      "lstm_cell",
      [](const Tensor& input, py::handle hx, const Tensor& w_ih, const Tensor& w_hh, const std::optional<Tensor>& b_ih,
         const std::optional<Tensor>& b_hh) {
        auto [h0, c0] = lstm_state(hx, "lstm_cell");
        auto [h, c] = without_gil(
            [&] { return lstm_cell(input, h0, c0, w_ih, w_hh, optional_tensor(b_ih), optional_tensor(b_hh)); });
        return py::make_tuple(h, c);
      },
      py::arg("input"), py::arg("hx"), py::arg("w_ih"), py::arg("w_hh"), py::arg("b_ih") = py::none(),
      py::arg("b_hh") = py::none(), "One LSTM step, as torch.lstm_cell; returns (h, c).");
  m.def(
      "gru_cell",
      [](const Tensor& input, const std::optional<Tensor>& hx, const Tensor& w_ih, const Tensor& w_hh,
         const std::optional<Tensor>& b_ih, const std::optional<Tensor>& b_hh) {
        return gru_cell(input, optional_tensor(hx), w_ih, w_hh, optional_tensor(b_ih), optional_tensor(b_hh));
      },
      py::arg("input"), py::arg("hx"), py::arg("w_ih"), py::arg("w_hh"), py::arg("b_ih") = py::none(),
      py::arg("b_hh") = py::none(), py::call_guard<py::gil_scoped_release>(), "One GRU step, as torch.gru_cell.");
}

}  // namespace wick::python
