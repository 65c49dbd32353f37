// LSTM and GRU cells and layers, with their derivatives.
//
// Note [Fused RNN cells]
// Written as ordinary ops, one LSTM step is two matrix products, a bias add,
// four gate nonlinearities and five pointwise products and sums: a dozen ops
// and autograd nodes per step, hundreds per sequence, each allocating its
// output, saving its inputs and being scheduled by the engine. Instead:
//
// - The input projections x_t W_ih^T of all T steps are one gemm up front
//   ([T * B, I] @ [I, G * H]). Each step then adds h_{t-1} W_hh^T to its slice
//   with one gemm and runs one fused kernel (Backend::lstm_cell_fwd /
//   gru_cell_fwd) for all the gate math, which also leaves behind what the
//   backward needs: the activated gates, and c_t (LSTM) or W_hn h_{t-1} + b_hn
//   (GRU), in [T, B, .] buffers.
// - A whole layer (both directions, which share the input and write the two
//   halves of one output) records ONE node, LstmLayerBackward0 /
//   GruLayerBackward0, with inputs (x, h0, c0, then w_ih, w_hh, b_ih, b_hh per
//   direction) and outputs (output, h_n, c_n). Its backward runs backprop
//   through time: per step one fused kernel for the gate gradients and one
//   gemm for grad h_{t-1}; the gate gradients of all steps land in one
//   [T * B, G * H] buffer, so grad x, grad W_ih, grad W_hh and the bias
//   gradients are each one gemm (or sum) over all steps at the end.
// - The node is per layer rather than per lstm() call so that the parts
//   between layers stay ordinary ops: dropout (with its own node and the
//   global generator, reproducible after manual_seed) and the narrow/cat of
//   the per-layer initial and final states. That costs a handful of nodes per
//   layer, not per step.
// - lstm_cell / gru_cell are the same machinery with T = 1 and record one
//   node each, named after PyTorch's fused cells (ThnnFusedLstmCellBackward0,
//   ThnnFusedGruCellBackward0).
// The backward calls the fused backward kernels rather than wick ops, so it
// is first-order only: a backward with create_graph=True through these nodes
// raises NotImplementedError (PyTorch's cuDNN RNN is first-order too).
#include "ops/rnn.h"

#include <string>

#include "autograd/function.h"
#include "core/dispatch.h"
#include "ops/creation.h"
#include "ops/dropout.h"
#include "ops/indexing.h"
#include "ops/reduce.h"
#include "ops/view.h"

namespace wick {

namespace {

enum class Cell : uint8_t { LSTM, GRU };

constexpr int64_t gate_count(Cell cell) { return cell == Cell::LSTM ? 4 : 3; }
const char* op_name(Cell cell) { return cell == Cell::LSTM ? "lstm" : "gru"; }
const char* cell_op_name(Cell cell) { return cell == Cell::LSTM ? "lstm_cell" : "gru_cell"; }

// ---- raw views (Note [Raw views] in core/tensor.h) and products, for the kernels -------------

// Step t of a [T, B, n] tensor as a [B, n] matrix; undefined stays undefined.
Tensor step(const Tensor& x, int64_t t) {
  if (!x.defined()) return {};
  return raw_view(x, {x.size(1), x.size(2)}, {x.stride(1), x.stride(2)}, t * x.stride(0));
}

// Whether the steps of a [T, B, n] tensor follow each other evenly, so that
// any run of them is one [k * B, n] matrix.
bool evenly_stepped(const Tensor& x) {
  return x.size(0) <= 1 || x.size(1) <= 1 || x.stride(0) == x.size(1) * x.stride(1);
}

// Steps [t0, t1) of an evenly stepped [T, B, n] tensor as one [(t1 - t0) * B, n] matrix.
Tensor steps(const Tensor& x, int64_t t0, int64_t t1) {
  const int64_t row_stride = x.size(1) > 1 ? x.stride(1) : x.stride(0);
  return raw_view(x, {(t1 - t0) * x.size(1), x.size(2)}, {row_stride, x.stride(2)}, t0 * x.stride(0));
}

// Matrix [B, n] as a [1, B, n] sequence of one step, and back.
Tensor as_sequence(const Tensor& m) {
  return raw_view(m, {1, m.size(0), m.size(1)}, {0, m.stride(0), m.stride(1)});
}

// The transpose of a matrix.
Tensor transposed(const Tensor& m) { return raw_view(m, {m.size(1), m.size(0)}, {m.stride(1), m.stride(0)}); }

// out = a @ b + beta * out, for matrices of any strides.
void gemm(const Tensor& out, const Tensor& a, const Tensor& b, double beta = 0) {
  if (out.numel() == 0) return;
  if (a.size(1) == 0) {  // an empty sum
    if (beta == 0) kernel(out.device(), &Backend::fill, "rnn")(out, Scalar(0.0));
    return;
  }
  kernel(out.device(), &Backend::matmul, "rnn")(out, a, b, 1.0, beta);
}

void copy_into(const Tensor& dst, const Tensor& src) {
  if (dst.numel() > 0) kernel(dst.device(), &Backend::copy, "rnn")(dst, src);
}

// x itself when its last dim has unit stride (what the cell kernels read
// rows of), else a contiguous copy (outside autograd).
Tensor unit_rows(const Tensor& x) {
  if (!x.defined() || x.size(-1) <= 1 || x.stride(-1) == 1) return x;
  NoGradGuard no_grad;
  return x.contiguous();
}

Tensor empty_as(IntArrayRef sizes, const Tensor& like) {
  return empty(sizes, TensorOptions(like.dtype()).device(like.device()));
}

// ---- one direction of one layer ----------------------------------------------------------------

// What one direction of a layer reads and writes, as raw tensors.
struct Direction {
  Tensor w_ih, w_hh, b_ih, b_hh;  // biases may be undefined
  Tensor h0, c0;                  // [B, H] initial states; undefined means zeros
  Tensor y;                       // [T, B, H]: h_t, a view into the layer output
  Tensor gates;                   // [T, B, G * H]: the activated gates
  Tensor states;                  // [T, B, H]: LSTM c_t; GRU W_hn h_{t-1} + b_hn
  bool reverse = false;

  // The time index of the s-th step this direction takes.
  int64_t time(int64_t s) const { return reverse ? gates.size(0) - 1 - s : s; }
};

// Runs a direction over the sequence x [T, B, I] (evenly stepped), filling
// d.y, d.gates and d.states (Note [Fused RNN cells]).
void forward_direction(Cell cell, const Tensor& x, Direction& d) {
  const int64_t T = x.size(0), B = x.size(1), H = d.w_hh.size(1);
  const Device device = x.device();
  d.gates = empty_as({T, B, gate_count(cell) * H}, x);
  gemm(steps(d.gates, 0, T), steps(x, 0, T), transposed(d.w_ih));
  if (cell == Cell::LSTM) {
    const auto cell_fwd = kernel(device, &Backend::lstm_cell_fwd, "lstm");
    for (int64_t s = 0; s < T; ++s) {
      const int64_t t = d.time(s);
      const Tensor h_prev = s == 0 ? d.h0 : step(d.y, d.time(s - 1));
      const Tensor c_prev = s == 0 ? d.c0 : step(d.states, d.time(s - 1));
      const Tensor gates = step(d.gates, t);
      if (h_prev.defined()) gemm(gates, h_prev, transposed(d.w_hh), 1);
      cell_fwd(gates, d.b_ih, d.b_hh, c_prev, step(d.y, t), step(d.states, t));
    }
  } else {
    const auto cell_fwd = kernel(device, &Backend::gru_cell_fwd, "gru");
    const Tensor gates_h = empty_as({B, 3 * H}, x);
    for (int64_t s = 0; s < T; ++s) {
      const int64_t t = d.time(s);
      const Tensor h_prev = s == 0 ? d.h0 : step(d.y, d.time(s - 1));
      if (h_prev.defined()) gemm(gates_h, h_prev, transposed(d.w_hh));
      cell_fwd(step(d.gates, t), h_prev.defined() ? gates_h : Tensor(), d.b_ih, d.b_hh, h_prev, step(d.y, t),
               step(d.states, t));
    }
  }
}

// Which gradients of a direction are wanted; undefined results otherwise.
struct DirectionGrads {
  bool want_x = false, want_h0 = false, want_c0 = false;
  bool want_w_ih = false, want_w_hh = false, want_b_ih = false, want_b_hh = false;
  Tensor x;           // [T, B, I]: written, or added to when accumulate_x
  bool accumulate_x = false;
  Tensor h0, c0;      // [B, H]: written
  Tensor w_ih, w_hh, b_ih, b_hh;  // results
};

// Backprop through time over one direction (Note [Fused RNN cells]). x is the
// forward's input; grad_y [T, B, H], grad_hn and grad_cn [B, H] may each be
// undefined (zero).
void backward_direction(Cell cell, const Tensor& x, const Direction& d, const Tensor& grad_y,
                        const Tensor& grad_hn, const Tensor& grad_cn, DirectionGrads& g) {
  const int64_t T = x.size(0), B = x.size(1), H = d.w_hh.size(1), GH = gate_count(cell) * H;
  const Device device = x.device();
  // Gate gradients of every step: for the LSTM one buffer serves the input
  // and the hidden products; the GRU's differ in the n gate (r * (W_hn h + b_hn)).
  const Tensor grad_gx = empty_as({T, B, GH}, x);
  const Tensor grad_gh = cell == Cell::LSTM ? grad_gx : empty_as({T, B, GH}, x);
  const Tensor dh = empty_as({B, H}, x);
  Tensor dh_in = grad_hn;
  if (cell == Cell::LSTM) {
    const auto cell_bwd = kernel(device, &Backend::lstm_cell_bwd, "lstm_backward");
    const Tensor dc = empty_as({B, H}, x);
    Tensor dc_in = grad_cn;
    for (int64_t s = T - 1; s >= 0; --s) {
      const int64_t t = d.time(s);
      const Tensor c_prev = s == 0 ? d.c0 : step(d.states, d.time(s - 1));
      const Tensor gates = step(grad_gx, t);
      cell_bwd(gates, dc, step(grad_y, t), dh_in, dc_in, step(d.gates, t), c_prev, step(d.states, t));
      dc_in = dc;
      if (s > 0 || g.want_h0) {
        gemm(dh, gates, d.w_hh);
        dh_in = dh;
      }
    }
    if (g.want_c0) copy_into(g.c0, dc);
  } else {
    const auto cell_bwd = kernel(device, &Backend::gru_cell_bwd, "gru_backward");
    for (int64_t s = T - 1; s >= 0; --s) {
      const int64_t t = d.time(s);
      const Tensor h_prev = s == 0 ? d.h0 : step(d.y, d.time(s - 1));
      cell_bwd(step(grad_gx, t), step(grad_gh, t), dh, step(grad_y, t), dh_in, step(d.gates, t), step(d.states, t),
               h_prev);
      if (h_prev.defined() && (s > 0 || g.want_h0)) gemm(dh, step(grad_gh, t), d.w_hh, 1);
      dh_in = dh;
    }
  }
  if (g.want_h0) copy_into(g.h0, dh);

  const Tensor all_gx = steps(grad_gx, 0, T), all_gh = steps(grad_gh, 0, T);
  if (g.want_x) gemm(steps(g.x, 0, T), all_gx, d.w_ih, g.accumulate_x ? 1 : 0);
  if (g.want_w_ih) {
    g.w_ih = empty_as({GH, x.size(2)}, x);
    gemm(g.w_ih, transposed(all_gx), steps(x, 0, T));
  }
  if (g.want_w_hh) {
    // sum over steps of grad_gh_t^T h_{t-1}: the steps after the first against
    // the outputs they read, then the first against h0.
    g.w_hh = empty_as({GH, H}, x);
    double beta = 0;
    if (T > 1) {
      const bool rev = d.reverse;
      gemm(g.w_hh, transposed(steps(grad_gh, rev ? 0 : 1, rev ? T - 1 : T)), steps(d.y, rev ? 1 : 0, rev ? T : T - 1));
      beta = 1;
    }
    if (d.h0.defined()) {
      gemm(g.w_hh, transposed(step(grad_gh, d.time(0))), d.h0, beta);
      beta = 1;
    }
    if (beta == 0) kernel(device, &Backend::fill, "rnn")(g.w_hh, Scalar(0.0));
  }
  if (g.want_b_ih || g.want_b_hh) {
    if (g.want_b_ih) g.b_ih = sum(all_gx, {0});
    if (g.want_b_hh) g.b_hh = cell == Cell::GRU ? sum(all_gh, {0}) : g.want_b_ih ? g.b_ih.clone() : sum(all_gx, {0});
  }
}

void check_first_order(const Node& node) {
  WICK_CHECK(!GradMode::is_enabled(), NotImplementedError, node.name(),
             ": double backward (create_graph=True) through the fused RNN kernels is not supported");
}

size_t bytes_of(const Tensor& t) { return t.defined() ? t.nbytes() : 0; }

// ---- the layer node ---------------------------------------------------------------------------------

// Inputs: x, h0, c0, then (w_ih, w_hh, b_ih, b_hh) per direction.
constexpr size_t kX = 0, kH0 = 1, kC0 = 2, kParams = 3;

struct RnnLayerBackward final : Node {
  Cell cell = Cell::LSTM;
  SavedTensor x;                        // [T, B, I], evenly stepped
  SavedTensor h0, c0;                   // [D, B, H] or undefined
  std::vector<SavedTensor> w_ih, w_hh;  // per direction
  SavedTensor y;                        // the output [T, B, D * H]
  TensorList gates, states;             // per direction, this node's own buffers

  std::string_view name() const override {
    return cell == Cell::LSTM ? "LstmLayerBackward0" : "GruLayerBackward0";
  }

  TensorList apply(TensorList&& grads) override {
    check_first_order(*this);
    const Tensor xs = x.unpack(), h0s = unit_rows(h0.unpack()), c0s = unit_rows(c0.unpack()), ys = y.unpack();
    const Tensor grad_y = unit_rows(grads[0]), grad_hn = unit_rows(grads[1]);
    const Tensor grad_cn = cell == Cell::LSTM ? unit_rows(grads[2]) : Tensor();
    const int64_t D = static_cast<int64_t>(gates.size()), H = ys.size(2) / D;
    TensorList out(num_outputs());
    if (needs_input_grad(kX)) out[kX] = empty_as(xs.sizes(), xs);
    if (needs_input_grad(kH0)) out[kH0] = empty_as(h0s.sizes(), h0s);
    if (needs_input_grad(kC0)) out[kC0] = empty_as(c0s.sizes(), c0s);
    for (int64_t d = 0; d < D; ++d) {
      const size_t p = kParams + 4 * static_cast<size_t>(d);
      Direction dir;
      dir.w_ih = w_ih[d].unpack();
      dir.w_hh = w_hh[d].unpack();
      dir.h0 = step(h0s, d);
      dir.c0 = step(c0s, d);
      dir.y = raw_view(ys, {ys.size(0), ys.size(1), H}, ys.strides(), d * H * ys.stride(2));
      dir.gates = gates[d];
      dir.states = states[d];
      dir.reverse = d == 1;
      DirectionGrads g;
      g.want_x = needs_input_grad(kX);
      g.x = out[kX];
      g.accumulate_x = d > 0;
      g.want_h0 = needs_input_grad(kH0);
      g.h0 = step(out[kH0], d);
      g.want_c0 = needs_input_grad(kC0);
      g.c0 = step(out[kC0], d);
      g.want_w_ih = needs_input_grad(p);
      g.want_w_hh = needs_input_grad(p + 1);
      g.want_b_ih = needs_input_grad(p + 2);
      g.want_b_hh = needs_input_grad(p + 3);
      const Tensor grad_y_d =
          grad_y.defined() ? raw_view(grad_y, {grad_y.size(0), grad_y.size(1), H}, grad_y.strides(),
                                      d * H * grad_y.stride(2))
                           : Tensor();
      backward_direction(cell, xs, dir, grad_y_d, step(grad_hn, d), step(grad_cn, d), g);
      out[p] = g.w_ih;
      out[p + 1] = g.w_hh;
      out[p + 2] = g.b_ih;
      out[p + 3] = g.b_hh;
    }
    return out;
  }

  void release_variables() override {
    x.reset();
    h0.reset();
    c0.reset();
    for (SavedTensor& s : w_ih) s.reset();
    for (SavedTensor& s : w_hh) s.reset();
    y.reset();
    gates.clear();
    states.clear();
  }

  size_t saved_bytes() const override {
    size_t total = x.nbytes() + h0.nbytes() + c0.nbytes() + y.nbytes();
    for (const SavedTensor& s : w_ih) total += s.nbytes();
    for (const SavedTensor& s : w_hh) total += s.nbytes();
    for (const Tensor& t : gates) total += bytes_of(t);
    for (const Tensor& t : states) total += bytes_of(t);
    return total;
  }
};

struct LayerResult {
  Tensor y, hn, cn;
};

// One layer, all directions: x [T, B, I]; h0, c0 [D, B, H] or undefined;
// params: (w_ih, w_hh, b_ih, b_hh) per direction, biases possibly undefined.
LayerResult rnn_layer(Cell cell, const Tensor& x, const Tensor& h0, const Tensor& c0, const TensorList& params) {
  const int64_t D = static_cast<int64_t>(params.size()) / 4;
  const int64_t T = x.size(0), B = x.size(1), H = params[1].size(1);
  LayerResult r;
  r.y = empty_as({T, B, D * H}, x);
  r.hn = empty_as({D, B, H}, x);
  if (cell == Cell::LSTM) r.cn = empty_as({D, B, H}, x);

  TensorList inputs{x, h0, c0};
  inputs.insert(inputs.end(), params.begin(), params.end());
  auto node = make_node_list<RnnLayerBackward>(inputs);

  Tensor xs = x;
  if (!evenly_stepped(x)) {
    NoGradGuard no_grad;
    xs = x.contiguous();
  }
  const Tensor h0s = unit_rows(h0), c0s = unit_rows(c0);
  for (int64_t d = 0; d < D; ++d) {
    Direction dir;
    dir.w_ih = params[4 * d];
    dir.w_hh = params[4 * d + 1];
    dir.b_ih = params[4 * d + 2];
    dir.b_hh = params[4 * d + 3];
    dir.h0 = step(h0s, d);
    dir.c0 = step(c0s, d);
    dir.y = raw_view(r.y, {T, B, H}, {B * D * H, D * H, 1}, d * H);
    dir.reverse = d == 1;
    dir.states = empty_as({T, B, H}, x);
    forward_direction(cell, xs, dir);
    const int64_t last = dir.time(T - 1);
    copy_into(step(r.hn, d), step(dir.y, last));
    if (cell == Cell::LSTM) copy_into(step(r.cn, d), step(dir.states, last));
    if (node) {
      node->gates.push_back(std::move(dir.gates));
      node->states.push_back(std::move(dir.states));
    }
  }
  if (node) {
    node->cell = cell;
    node->x = SavedTensor(xs);
    node->h0 = SavedTensor(h0);
    node->c0 = SavedTensor(c0);
    for (int64_t d = 0; d < D; ++d) {
      node->w_ih.emplace_back(params[4 * d]);
      node->w_hh.emplace_back(params[4 * d + 1]);
    }
    node->y = SavedTensor::output(r.y, node);
    set_history(r.y, node);
    set_history(r.hn, node);
    if (cell == Cell::LSTM) set_history(r.cn, node);
  }
  return r;
}

// ---- argument checks ------------------------------------------------------------------------------

std::string param_name(const char* kind, int64_t layer, int64_t direction) {
  return std::string(kind) + "_l" + std::to_string(layer) + (direction == 1 ? "_reverse" : "");
}

void check_floating(const char* op, const char* what, const Tensor& t) {
  WICK_CHECK(t.dtype() == ScalarType::Float32 || t.dtype() == ScalarType::Float64, TypeError, op, ": expected ",
             what, " of dtype float32 or float64, but got ", t.dtype(), " (shape ", t.sizes(), ")");
}

// A parameter or state: defined, with the input's dtype and device, and of shape `expected`.
void check_tensor(const char* op, const std::string& what, const Tensor& t, const Tensor& input,
                  IntArrayRef expected, const char* meaning) {
  WICK_CHECK(t.defined(), ValueError, op, ": ", what, " is undefined");
  WICK_CHECK(t.dtype() == input.dtype(), TypeError, op, ": expected ", what, " to have the input's dtype ",
             input.dtype(), ", but got ", t.dtype());
  WICK_CHECK(t.device() == input.device(), ValueError, op, ": expected ", what, " to be on the input's device ",
             input.device(), ", but got ", t.device());
  WICK_CHECK(t.sizes() == expected, ValueError, op, ": expected ", what, " of shape ", expected, " (", meaning,
             "), but got ", t.sizes());
}

// Checks the arguments of lstm()/gru(); returns the hidden size.
int64_t check_rnn_args(Cell cell, const Tensor& input, const Tensor& hx, const Tensor& cx, const TensorList& params,
                       bool has_biases, int64_t num_layers, double dropout, bool bidirectional) {
  const char* op = op_name(cell);
  WICK_CHECK(input.defined(), ValueError, op, ": undefined input");
  check_floating(op, "input", input);
  WICK_CHECK(input.dim() == 2 || input.dim() == 3, ValueError, op,
             ": expected input to be 2-D (unbatched) or 3-D (batched), but got a ", input.dim(),
             "-D tensor of shape ", input.sizes());
  WICK_CHECK(input.size(0) > 0, ValueError, op,
             ": expected sequence length to be larger than 0, but got input of shape ", input.sizes());
  WICK_CHECK(num_layers >= 1, ValueError, op, ": num_layers must be at least 1, but got ", num_layers);
  WICK_CHECK(dropout >= 0 && dropout <= 1, ValueError, op, ": dropout probability has to be between 0 and 1, but got ",
             dropout);
  const int64_t D = bidirectional ? 2 : 1, per = has_biases ? 4 : 2, G = gate_count(cell);
  const auto expected_count = static_cast<size_t>(num_layers * D * per);
  WICK_CHECK(params.size() == expected_count, ValueError, op, ": got an incorrect number of RNN parameters: expected ",
             expected_count, " (", per, " per layer and direction for num_layers=", num_layers,
             ", bidirectional=", bidirectional ? "True" : "False", ", has_biases=", has_biases ? "True" : "False",
             "), but got ", params.size());
  const Tensor& w_hh0 = params[1];
  WICK_CHECK(w_hh0.defined() && w_hh0.dim() == 2, ValueError, op, ": expected weight_hh_l0 to be a matrix [", G,
             " * hidden_size, hidden_size], but got ", w_hh0.defined() ? w_hh0.dim() : 0, "-D shape ",
             w_hh0.defined() ? w_hh0.sizes() : IntArrayRef{});
  const int64_t H = w_hh0.size(1);
  for (int64_t l = 0; l < num_layers; ++l) {
    const int64_t in_size = l == 0 ? input.size(-1) : D * H;
    for (int64_t d = 0; d < D; ++d) {
      const size_t p = static_cast<size_t>((l * D + d) * per);
      if (l == 0) {
        const Tensor& w = params[p];
        WICK_CHECK(!w.defined() || w.dim() != 2 || w.size(1) == in_size, ValueError, op,
                   ": input has inconsistent input_size: got ", in_size, ", expected ", w.size(1), " (input of shape ",
                   input.sizes(), ", ", param_name("weight_ih", l, d), " of shape ", w.sizes(), ")");
      }
      check_tensor(op, param_name("weight_ih", l, d), params[p], input, {G * H, in_size},
                   l == 0 ? "gates * hidden_size, input_size" : "gates * hidden_size, num_directions * hidden_size");
      check_tensor(op, param_name("weight_hh", l, d), params[p + 1], input, {G * H, H},
                   "gates * hidden_size, hidden_size");
      if (has_biases) {
        check_tensor(op, param_name("bias_ih", l, d), params[p + 2], input, {G * H}, "gates * hidden_size");
        check_tensor(op, param_name("bias_hh", l, d), params[p + 3], input, {G * H}, "gates * hidden_size");
      }
    }
  }
  return H;
}

void check_state(const char* op, const char* what, const Tensor& state, const Tensor& input, int64_t layers_dirs,
                 int64_t batch, int64_t H, bool batched) {
  if (!state.defined()) return;
  WICK_CHECK(batched || state.dim() == 2, ValueError, op, ": for unbatched 2-D input, ", what,
             " should also be 2-D [num_layers * num_directions, hidden_size], but got a ", state.dim(),
             "-D tensor of shape ", state.sizes());
  if (batched)
    check_tensor(op, what, state, input, {layers_dirs, batch, H}, "num_layers * num_directions, batch, hidden_size");
  else
    check_tensor(op, what, state, input, {layers_dirs, H}, "num_layers * num_directions, hidden_size");
}

struct RnnResult {
  Tensor output, hn, cn;
};

RnnResult rnn(Cell cell, const Tensor& input, const Tensor& hx, const Tensor& cx, const TensorList& params,
              bool has_biases, int64_t num_layers, double dropout, bool training, bool bidirectional,
              bool batch_first) {
  const char* op = op_name(cell);
  const int64_t H = check_rnn_args(cell, input, hx, cx, params, has_biases, num_layers, dropout, bidirectional);
  const bool batched = input.dim() == 3;
  const int64_t D = bidirectional ? 2 : 1, per = has_biases ? 4 : 2;
  const int64_t B = batched ? input.size(batch_first ? 0 : 1) : 1;
  check_state(op, "h0", hx, input, num_layers * D, B, H, batched);
  if (cell == Cell::LSTM) check_state(op, "c0", cx, input, num_layers * D, B, H, batched);

  Tensor x = !batched ? input.unsqueeze(1) : batch_first ? input.transpose(0, 1) : input;
  const Tensor h = hx.defined() && !batched ? hx.unsqueeze(1) : hx;
  const Tensor c = cell == Cell::LSTM && cx.defined() && !batched ? cx.unsqueeze(1) : cx;
  TensorList hns, cns;
  for (int64_t l = 0; l < num_layers; ++l) {
    auto layer_state = [&](const Tensor& s) {
      return !s.defined() || num_layers == 1 ? s : s.narrow(0, l * D, D);
    };
    TensorList layer_params;
    for (int64_t d = 0; d < D; ++d) {
      const size_t p = static_cast<size_t>((l * D + d) * per);
      layer_params.push_back(params[p]);
      layer_params.push_back(params[p + 1]);
      layer_params.push_back(has_biases ? params[p + 2] : Tensor());
      layer_params.push_back(has_biases ? params[p + 3] : Tensor());
    }
    LayerResult r = rnn_layer(cell, x, layer_state(h), cell == Cell::LSTM ? layer_state(c) : Tensor(), layer_params);
    hns.push_back(std::move(r.hn));
    if (cell == Cell::LSTM) cns.push_back(std::move(r.cn));
    x = std::move(r.y);
    if (l + 1 < num_layers && training && dropout > 0) x = wick::dropout(x, dropout, true);
  }
  RnnResult out;
  out.output = !batched ? x.squeeze(1) : batch_first ? x.transpose(0, 1) : x;
  out.hn = num_layers == 1 ? hns[0] : cat(hns, 0);
  if (cell == Cell::LSTM) out.cn = num_layers == 1 ? cns[0] : cat(cns, 0);
  if (!batched) {
    out.hn = out.hn.squeeze(1);
    if (out.cn.defined()) out.cn = out.cn.squeeze(1);
  }
  return out;
}

// ---- cells -----------------------------------------------------------------------------------------

struct RnnCellBackward final : Node {
  Cell cell = Cell::LSTM;
  SavedTensor input, hx, cx, w_ih, w_hh;  // input [B, I]; hx, cx [B, H] or undefined
  SavedTensor c;                          // LSTM: the output c' [B, H]
  Tensor gates;                           // [1, B, G * H], this node's own buffer
  Tensor hn;                              // GRU: [1, B, H] W_hn h + b_hn

  std::string_view name() const override {
    return cell == Cell::LSTM ? "ThnnFusedLstmCellBackward0" : "ThnnFusedGruCellBackward0";
  }

  // Inputs: input, hx, cx (undefined for the GRU), w_ih, w_hh, b_ih, b_hh.
  TensorList apply(TensorList&& grads) override {
    check_first_order(*this);
    const Tensor xs = input.unpack(), hxs = unit_rows(hx.unpack()), cxs = unit_rows(cx.unpack());
    const Tensor grad_h = unit_rows(grads[0]);
    const Tensor grad_c = cell == Cell::LSTM ? unit_rows(grads[1]) : Tensor();
    TensorList out(num_outputs());
    Direction dir;
    dir.w_ih = w_ih.unpack();
    dir.w_hh = w_hh.unpack();
    dir.h0 = hxs;
    dir.c0 = cxs;
    dir.gates = gates;
    dir.states = cell == Cell::LSTM ? as_sequence(c.unpack()) : hn;  // (one step reads no earlier output y)
    DirectionGrads g;
    g.want_x = needs_input_grad(kX);
    if (g.want_x) g.x = as_sequence(out[kX] = empty_as(xs.sizes(), xs));
    g.want_h0 = needs_input_grad(kH0);
    if (g.want_h0) g.h0 = out[kH0] = empty_as(hxs.sizes(), hxs);
    g.want_c0 = needs_input_grad(kC0);
    if (g.want_c0) g.c0 = out[kC0] = empty_as(cxs.sizes(), cxs);
    g.want_w_ih = needs_input_grad(kParams);
    g.want_w_hh = needs_input_grad(kParams + 1);
    g.want_b_ih = needs_input_grad(kParams + 2);
    g.want_b_hh = needs_input_grad(kParams + 3);
    backward_direction(cell, as_sequence(xs), dir, grad_h.defined() ? as_sequence(grad_h) : Tensor(), Tensor(),
                       grad_c, g);
    out[kParams] = g.w_ih;
    out[kParams + 1] = g.w_hh;
    out[kParams + 2] = g.b_ih;
    out[kParams + 3] = g.b_hh;
    return out;
  }

  void release_variables() override {
    input.reset();
    hx.reset();
    cx.reset();
    w_ih.reset();
    w_hh.reset();
    c.reset();
    gates = Tensor();
    hn = Tensor();
  }

  size_t saved_bytes() const override {
    return input.nbytes() + hx.nbytes() + cx.nbytes() + w_ih.nbytes() + w_hh.nbytes() + c.nbytes() +
           bytes_of(gates) + bytes_of(hn);
  }
};

void check_cell_args(Cell cell, const Tensor& input, const Tensor& hx, const Tensor& cx, const Tensor& w_ih,
                     const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
  const char* op = cell_op_name(cell);
  const int64_t G = gate_count(cell);
  WICK_CHECK(input.defined(), ValueError, op, ": undefined input");
  check_floating(op, "input", input);
  WICK_CHECK(input.dim() == 1 || input.dim() == 2, ValueError, op,
             ": expected input to be 1-D (unbatched) or 2-D (batched), but got a ", input.dim(),
             "-D tensor of shape ", input.sizes());
  WICK_CHECK(w_hh.defined() && w_hh.dim() == 2, ValueError, op, ": expected weight_hh to be a matrix [", G,
             " * hidden_size, hidden_size], but got shape ", w_hh.defined() ? w_hh.sizes() : IntArrayRef{});
  WICK_CHECK(w_ih.defined() && w_ih.dim() == 2, ValueError, op, ": expected weight_ih to be a matrix [", G,
             " * hidden_size, input_size], but got shape ", w_ih.defined() ? w_ih.sizes() : IntArrayRef{});
  const int64_t H = w_hh.size(1), I = input.size(-1);
  WICK_CHECK(w_ih.size(1) == I, ValueError, op, ": input has inconsistent input_size: got ", I, ", expected ",
             w_ih.size(1), " (input of shape ", input.sizes(), ", weight_ih of shape ", w_ih.sizes(), ")");
  check_tensor(op, "weight_ih", w_ih, input, {G * H, I}, "gates * hidden_size, input_size");
  check_tensor(op, "weight_hh", w_hh, input, {G * H, H}, "gates * hidden_size, hidden_size");
  if (b_ih.defined()) check_tensor(op, "bias_ih", b_ih, input, {G * H}, "gates * hidden_size");
  if (b_hh.defined()) check_tensor(op, "bias_hh", b_hh, input, {G * H}, "gates * hidden_size");
  const bool batched = input.dim() == 2;
  for (const auto& [state, what] : {std::pair{&hx, "hx"}, std::pair{&cx, "cx"}}) {
    if (!state->defined()) continue;
    WICK_CHECK(state->dim() == input.dim(), ValueError, op, ": expected ", what, " to be ", input.dim(),
               "-D like the input (shape ", input.sizes(), "), but got shape ", state->sizes());
    if (batched)
      WICK_CHECK(state->size(0) == input.size(0), ValueError, op, ": input batch size ", input.size(0),
                 " doesn't match ", what, " batch size ", state->size(0), " (input of shape ", input.sizes(), ", ",
                 what, " of shape ", state->sizes(), ")");
    if (batched)
      check_tensor(op, what, *state, input, {input.size(0), H}, "batch, hidden_size");
    else
      check_tensor(op, what, *state, input, {H}, "hidden_size");
  }
}

// One step: returns (h', c'); c' is undefined for the GRU.
std::pair<Tensor, Tensor> rnn_cell(Cell cell, const Tensor& input, const Tensor& hx, const Tensor& cx,
                                   const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
  check_cell_args(cell, input, hx, cx, w_ih, w_hh, b_ih, b_hh);
  if (input.dim() == 1) {
    auto unsqueezed = [](const Tensor& t) { return t.defined() ? t.unsqueeze(0) : t; };
    auto [h, c] = rnn_cell(cell, input.unsqueeze(0), unsqueezed(hx), unsqueezed(cx), w_ih, w_hh, b_ih, b_hh);
    return {h.squeeze(0), c.defined() ? c.squeeze(0) : c};
  }
  const int64_t B = input.size(0), H = w_hh.size(1);
  const Tensor h = empty_as({B, H}, input);
  const Tensor c = cell == Cell::LSTM ? empty_as({B, H}, input) : Tensor();
  auto node = make_node_list<RnnCellBackward>({input, hx, cx, w_ih, w_hh, b_ih, b_hh});
  Direction dir;
  dir.w_ih = w_ih;
  dir.w_hh = w_hh;
  dir.b_ih = b_ih;
  dir.b_hh = b_hh;
  dir.h0 = unit_rows(hx);
  dir.c0 = unit_rows(cx);
  dir.y = as_sequence(h);
  dir.states = cell == Cell::LSTM ? as_sequence(c) : empty_as({1, B, H}, input);
  forward_direction(cell, as_sequence(input), dir);
  if (node) {
    node->cell = cell;
    node->input = SavedTensor(input);
    node->hx = SavedTensor(hx);
    node->cx = SavedTensor(cx);
    node->w_ih = SavedTensor(w_ih);
    node->w_hh = SavedTensor(w_hh);
    node->gates = dir.gates;
    if (cell == Cell::GRU) node->hn = dir.states;
    set_history(h, node);
    if (cell == Cell::LSTM) {
      node->c = SavedTensor::output(c, node);
      set_history(c, node);
    }
  }
  return {h, c};
}

}  // namespace

std::pair<Tensor, Tensor> lstm_cell(const Tensor& input, const Tensor& hx, const Tensor& cx, const Tensor& w_ih,
                                    const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
  return rnn_cell(Cell::LSTM, input, hx, cx, w_ih, w_hh, b_ih, b_hh);
}

Tensor gru_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                const Tensor& b_hh) {
  return rnn_cell(Cell::GRU, input, hx, Tensor(), w_ih, w_hh, b_ih, b_hh).first;
}

std::tuple<Tensor, Tensor, Tensor> lstm(const Tensor& input, const Tensor& hx, const Tensor& cx,
                                        const TensorList& params, bool has_biases, int64_t num_layers,
                                        double dropout, bool training, bool bidirectional, bool batch_first) {
  RnnResult r = rnn(Cell::LSTM, input, hx, cx, params, has_biases, num_layers, dropout, training, bidirectional,
                    batch_first);
  return {std::move(r.output), std::move(r.hn), std::move(r.cn)};
}

std::pair<Tensor, Tensor> gru(const Tensor& input, const Tensor& hx, const TensorList& params, bool has_biases,
                              int64_t num_layers, double dropout, bool training, bool bidirectional,
                              bool batch_first) {
  RnnResult r = rnn(Cell::GRU, input, hx, Tensor(), params, has_biases, num_layers, dropout, training,
                    bidirectional, batch_first);
  return {std::move(r.output), std::move(r.hn)};
}

}  // namespace wick
