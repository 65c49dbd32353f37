// LSTM and GRU cells and layers: gradients by finite differences, the gate
// math against a composition of plain ops, layers against chains of cells,
// the graph they record, dropout between layers, and errors.
#include <cmath>
#include <limits>
#include <string>

#include "test_util.h"

using namespace wick;
using wick::testing::leaf;
using wick::testing::noncontiguous_leaf;

namespace {

void expect_close(const Tensor& got, const Tensor& ref, double tol, const std::string& what) {
  ASSERT_TRUE(got.defined()) << what;
  ASSERT_TRUE(ref.defined()) << what;
  ASSERT_EQ(got.sizes(), ref.sizes()) << what;
  const std::vector<double> g = got.contiguous().to_vector<double>(), r = ref.contiguous().to_vector<double>();
  for (size_t i = 0; i < g.size(); ++i)
    if (!(std::fabs(g[i] - r[i]) <= tol * (1 + std::fabs(r[i])))) {
      ADD_FAILURE() << what << ": element " << i << " is " << g[i] << ", expected " << r[i];
      return;
    }
}

Tensor flat_cat(const TensorList& ts) {
  TensorList flat;
  for (const Tensor& t : ts)
    if (t.defined()) flat.push_back(t.reshape({-1}));
  return cat(flat, 0);
}

// The gates of a cell, for the composite references below.
TensorList gates_of(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                    const Tensor& b_hh, int64_t chunks) {
  Tensor gx = mm(x, w_ih.t()), gh = mm(h, w_hh.t());
  if (b_ih.defined()) gx = gx + b_ih;
  if (b_hh.defined()) gh = gh + b_hh;
  TensorList out = chunk(gx, chunks, 1), hs = chunk(gh, chunks, 1);
  out.insert(out.end(), hs.begin(), hs.end());
  return out;
}

// PyTorch's LSTM cell as plain ops: gates (i, f, g, o).
std::pair<Tensor, Tensor> reference_lstm_cell(const Tensor& x, const Tensor& h, const Tensor& c, const Tensor& w_ih,
                                              const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
  TensorList g = gates_of(x, h, w_ih, w_hh, b_ih, b_hh, 4);
  const Tensor i = sigmoid(g[0] + g[4]), f = sigmoid(g[1] + g[5]), gg = tanh(g[2] + g[6]), o = sigmoid(g[3] + g[7]);
  const Tensor c2 = f * c + i * gg;
  return {o * tanh(c2), c2};
}

// PyTorch's GRU cell as plain ops: gates (r, z, n), n = tanh(x_n + r * (W_hn h + b_hn)).
Tensor reference_gru_cell(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                          const Tensor& b_hh) {
  TensorList g = gates_of(x, h, w_ih, w_hh, b_ih, b_hh, 3);
  const Tensor r = sigmoid(g[0] + g[3]), z = sigmoid(g[1] + g[4]), n = tanh(g[2] + r * g[5]);
  return (1 - z) * n + z * h;
}

// Parameters of a layer stack in PyTorch's order, as float64 leaves on `device`.
TensorList make_params(int64_t gates, int64_t input_size, int64_t H, int64_t layers, bool bidirectional, bool bias,
                       Device device = kCPU) {
  TensorList params;
  const int64_t D = bidirectional ? 2 : 1;
  for (int64_t l = 0; l < layers; ++l)
    for (int64_t d = 0; d < D; ++d) {
      params.push_back(leaf({gates * H, l == 0 ? input_size : D * H}, -0.6, 0.6, device));
      params.push_back(leaf({gates * H, H}, -0.6, 0.6, device));
      if (bias) {
        params.push_back(leaf({gates * H}, -0.6, 0.6, device));
        params.push_back(leaf({gates * H}, -0.6, 0.6, device));
      }
    }
  return params;
}

struct Config {
  int64_t layers;
  bool bidirectional, batch_first, bias, states;
};

std::string describe(const Config& c) {
  return "layers=" + std::to_string(c.layers) + " bidirectional=" + std::to_string(c.bidirectional) +
         " batch_first=" + std::to_string(c.batch_first) + " bias=" + std::to_string(c.bias) +
         " states=" + std::to_string(c.states);
}

const Config kConfigs[] = {
    {1, false, false, true, true},  {1, false, false, false, false}, {1, true, false, true, false},
    {2, false, true, false, true},  {2, true, true, true, true},
};

// gradcheck of lstm() or gru() on one configuration: T = 3, B = 2, I = 3, H = 2.
void gradcheck_layers(bool is_lstm, const Config& c, Device device = kCPU) {
  SCOPED_TRACE(describe(c));
  const int64_t T = 3, B = 2, I = 3, H = 2, D = c.bidirectional ? 2 : 1;
  const Tensor x = c.batch_first ? leaf({B, T, I}, -1, 1, device) : leaf({T, B, I}, -1, 1, device);
  const TensorList params = make_params(is_lstm ? 4 : 3, I, H, c.layers, c.bidirectional, c.bias, device);
  TensorList inputs{x};
  if (c.states) {
    inputs.push_back(leaf({c.layers * D, B, H}, -1, 1, device));
    if (is_lstm) inputs.push_back(leaf({c.layers * D, B, H}, -1, 1, device));
  }
  const size_t first_param = inputs.size();
  inputs.insert(inputs.end(), params.begin(), params.end());
  auto fn = [&](const TensorList& in) {
    const TensorList p(in.begin() + static_cast<int64_t>(first_param), in.end());
    const Tensor h0 = c.states ? in[1] : Tensor();
    if (is_lstm) {
      const Tensor c0 = c.states ? in[2] : Tensor();
      auto [out, hn, cn] = lstm(in[0], h0, c0, p, c.bias, c.layers, 0.0, true, c.bidirectional, c.batch_first);
      return flat_cat({out, hn, cn});
    }
    auto [out, hn] = gru(in[0], h0, p, c.bias, c.layers, 0.0, true, c.bidirectional, c.batch_first);
    return flat_cat({out, hn});
  };
  EXPECT_TRUE(gradcheck(fn, inputs));
}

}  // namespace

// ---- cells ----------------------------------------------------------------------------------

// The cells' comparisons with composite ops and the gradchecks run once per
// device (test_util.h); the random values are drawn on the CPU and copied.
class RnnCellOnDevice : public wick::testing::OnEachDevice {};
WICK_ON_EACH_DEVICE(RnnCellOnDevice);

TEST_P(RnnCellOnDevice, LstmCellMatchesCompositeOps) {
  const Device d = device();
  const Tensor x = leaf({3, 4}, -1, 1, d), h = leaf({3, 5}, -1, 1, d), c = leaf({3, 5}, -1, 1, d);
  const Tensor w_ih = leaf({20, 4}, -1, 1, d), w_hh = leaf({20, 5}, -1, 1, d), b_ih = leaf({20}, -1, 1, d),
               b_hh = leaf({20}, -1, 1, d);
  auto [h1, c1] = lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh);
  auto [h2, c2] = reference_lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh);
  expect_close(h1, h2, 1e-12, "h");
  expect_close(c1, c2, 1e-12, "c");
  EXPECT_EQ(h1.grad_fn()->name(), "ThnnFusedLstmCellBackward0");
  EXPECT_TRUE(h1.grad_fn() == c1.grad_fn());
  // Gradients of every input against the composite's.
  const Tensor gh = randn({3, 5}, TensorOptions(ScalarType::Float64)).to(d),
               gc = randn({3, 5}, ScalarType::Float64).to(d);
  const TensorList inputs{x, h, c, w_ih, w_hh, b_ih, b_hh};
  const TensorList got = autograd::grad({h1, c1}, inputs, {gh, gc});
  const TensorList want = autograd::grad({h2, c2}, inputs, {gh, gc});
  for (size_t i = 0; i < inputs.size(); ++i) expect_close(got[i], want[i], 1e-12, "grad " + std::to_string(i));
}

TEST_P(RnnCellOnDevice, GruCellMatchesCompositeOps) {
  const Device d = device();
  const Tensor x = leaf({3, 4}, -1, 1, d), h = leaf({3, 5}, -1, 1, d);
  const Tensor w_ih = leaf({15, 4}, -1, 1, d), w_hh = leaf({15, 5}, -1, 1, d), b_ih = leaf({15}, -1, 1, d),
               b_hh = leaf({15}, -1, 1, d);
  const Tensor h1 = gru_cell(x, h, w_ih, w_hh, b_ih, b_hh);
  const Tensor h2 = reference_gru_cell(x, h, w_ih, w_hh, b_ih, b_hh);
  expect_close(h1, h2, 1e-12, "h");
  EXPECT_EQ(h1.grad_fn()->name(), "ThnnFusedGruCellBackward0");
  const Tensor g = randn({3, 5}, ScalarType::Float64).to(d);
  const TensorList inputs{x, h, w_ih, w_hh, b_ih, b_hh};
  const TensorList got = autograd::grad({h1}, inputs, {g});
  const TensorList want = autograd::grad({h2}, inputs, {g});
  for (size_t i = 0; i < inputs.size(); ++i) expect_close(got[i], want[i], 1e-12, "grad " + std::to_string(i));
}

TEST(RnnCell, Float32MatchesFloat64) {
  // float32 runs the vectorized exp/tanh approximations: a few ulp.
  const Tensor x = randn({8, 6}, ScalarType::Float64) * 3, h = randn({8, 7}, ScalarType::Float64),
               c = randn({8, 7}, ScalarType::Float64) * 4;
  const Tensor w_ih = randn({28, 6}, ScalarType::Float64), w_hh = randn({28, 7}, ScalarType::Float64),
               b = randn({28}, ScalarType::Float64) * 5;
  auto f32 = [](const Tensor& t) { return t.to(ScalarType::Float32); };
  auto [h64, c64] = lstm_cell(x, h, c, w_ih, w_hh, b, Tensor());
  auto [h32, c32] = lstm_cell(f32(x), f32(h), f32(c), f32(w_ih), f32(w_hh), f32(b), Tensor());
  EXPECT_EQ(h32.dtype(), ScalarType::Float32);
  expect_close(h32.to(ScalarType::Float64), h64, 2e-6, "lstm h");
  expect_close(c32.to(ScalarType::Float64), c64, 2e-6, "lstm c");
  const Tensor g_ih = randn({21, 6}, ScalarType::Float64), g_hh = randn({21, 7}, ScalarType::Float64);
  const Tensor g64 = gru_cell(x, h, g_ih, g_hh);
  const Tensor g32 = gru_cell(f32(x), f32(h), f32(g_ih), f32(g_hh));
  expect_close(g32.to(ScalarType::Float64), g64, 2e-6, "gru h");
}

TEST(RnnCell, SaturatedAndNaNGates) {
  // Gate pre-activations far outside the exponential's range saturate; NaN propagates.
  const TensorOptions f32(ScalarType::Float32);
  const Tensor x = tensor({1.0, -1.0, 0.0}, f32).view({3, 1}), w_ih = ones({4, 1}, f32), w_hh = zeros({4, 1}, f32);
  const Tensor b = tensor({0.0, 0.0, 0.0, 0.0}, f32);
  for (double big : {100.0, 1e4, 1e30}) {
    auto [h, c] = lstm_cell(x * big, Tensor(), Tensor(), w_ih, w_hh, b, b);
    // x = +big: i = f = o = 1, g = 1 -> c = 1, h = tanh(1); x = -big: i = o = 0, g = -1 -> c = h = 0.
    const std::vector<float> hv = h.to_vector<float>(), cv = c.to_vector<float>();
    EXPECT_NEAR(cv[0], 1.0, 1e-6);
    EXPECT_NEAR(hv[0], std::tanh(1.0), 1e-6);
    EXPECT_NEAR(cv[1], 0.0, 1e-6);
    EXPECT_NEAR(hv[1], 0.0, 1e-6);
    EXPECT_NEAR(hv[2], 0.0, 1e-6);  // i = f = o = 1/2, g = 0
  }
  auto [h, c] = lstm_cell(x * std::nan(""), Tensor(), Tensor(), w_ih, w_hh, b, b);
  for (float v : h.to_vector<float>()) EXPECT_TRUE(std::isnan(v));
  const Tensor g = gru_cell(x * std::numeric_limits<double>::infinity(), zeros({3, 1}, f32), ones({3, 1}, f32),
                            ones({3, 1}, f32));
  const std::vector<float> gv = g.to_vector<float>();
  EXPECT_EQ(gv[0], 0.0f);          // z = 1 keeps h_prev
  EXPECT_FLOAT_EQ(gv[1], -1.0f);   // z = 0 takes n = tanh(-inf)
  EXPECT_TRUE(std::isnan(gv[2]));  // 0 * inf
}

TEST_P(RnnCellOnDevice, Gradcheck) {
  const Device d = device();
  const Tensor w_ih = leaf({8, 3}, -1, 1, d), w_hh = leaf({8, 2}, -1, 1, d), b_ih = leaf({8}, -1, 1, d),
               b_hh = leaf({8}, -1, 1, d);
  // Batched, with biases and states; the input non-contiguous.
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        auto [h, c] = lstm_cell(in[0], in[1], in[2], in[3], in[4], in[5], in[6]);
        return flat_cat({h, c});
      },
      {noncontiguous_leaf({2, 3}, -1, 1, d), leaf({2, 2}, -1, 1, d), leaf({2, 2}, -1, 1, d), w_ih, w_hh, b_ih, b_hh}));
  // No biases, no states.
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        auto [h, c] = lstm_cell(in[0], Tensor(), Tensor(), in[1], in[2]);
        return flat_cat({h, c});
      },
      {leaf({2, 3}, -1, 1, d), w_ih, w_hh}));
  // Unbatched.
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        auto [h, c] = lstm_cell(in[0], in[1], in[2], in[3], in[4], in[5], in[6]);
        EXPECT_EQ(h.sizes(), IntArrayRef({2}));
        return flat_cat({h, c});
      },
      {leaf({3}, -1, 1, d), leaf({2}, -1, 1, d), leaf({2}, -1, 1, d), w_ih, w_hh, b_ih, b_hh}));
  const Tensor gw_ih = leaf({6, 3}, -1, 1, d), gw_hh = leaf({6, 2}, -1, 1, d), gb_ih = leaf({6}, -1, 1, d),
               gb_hh = leaf({6}, -1, 1, d);
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return gru_cell(in[0], in[1], in[2], in[3], in[4], in[5]); },
                        {noncontiguous_leaf({2, 3}, -1, 1, d), leaf({2, 2}, -1, 1, d), gw_ih, gw_hh, gb_ih, gb_hh}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return gru_cell(in[0], Tensor(), in[1], in[2]); },
                        {leaf({2, 3}, -1, 1, d), gw_ih, gw_hh}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return gru_cell(in[0], in[1], in[2], in[3], in[4], in[5]); },
                        {leaf({3}, -1, 1, d), leaf({2}, -1, 1, d), gw_ih, gw_hh, gb_ih, gb_hh}));
}

// ---- layers ----------------------------------------------------------------------------------

// The layers' gradchecks and their comparison with chains of cells run once per device.
class RnnOnDevice : public wick::testing::OnEachDevice {};
WICK_ON_EACH_DEVICE(RnnOnDevice);

TEST_P(RnnOnDevice, LstmGradcheck) {
  for (const Config& c : kConfigs) gradcheck_layers(true, c, device());
}

TEST_P(RnnOnDevice, GruGradcheck) {
  for (const Config& c : kConfigs) gradcheck_layers(false, c, device());
}

TEST_P(RnnOnDevice, UnbatchedGradcheck) {
  const Device d = device();
  const TensorList lp = make_params(4, 3, 2, 1, true, true, d), gp = make_params(3, 3, 2, 1, true, true, d);
  TensorList inputs{leaf({4, 3}, -1, 1, d), leaf({2, 2}, -1, 1, d), leaf({2, 2}, -1, 1, d)};
  inputs.insert(inputs.end(), lp.begin(), lp.end());
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        auto [out, hn, cn] = lstm(in[0], in[1], in[2], TensorList(in.begin() + 3, in.end()), true, 1, 0.0, true,
                                  true, false);
        EXPECT_EQ(out.sizes(), IntArrayRef({4, 4}));
        EXPECT_EQ(hn.sizes(), IntArrayRef({2, 2}));
        return flat_cat({out, hn, cn});
      },
      inputs));
  inputs = {leaf({4, 3}, -1, 1, d)};
  inputs.insert(inputs.end(), gp.begin(), gp.end());
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        auto [out, hn] = gru(in[0], Tensor(), TensorList(in.begin() + 1, in.end()), true, 1, 0.0, true, true, true);
        return flat_cat({out, hn});
      },
      inputs));
}

// A bidirectional layer is the chain of cells forward in time, and the chain
// backward in time, side by side; h_n and c_n are the last states of each.
TEST_P(RnnOnDevice, LayersAreChainsOfCells) {
  const Device dev = device();
  const int64_t T = 5, B = 3, I = 4, H = 3;
  const Tensor x = leaf({T, B, I}, -1, 1, dev), h0 = leaf({2, B, H}, -1, 1, dev), c0 = leaf({2, B, H}, -1, 1, dev);
  const TensorList p = make_params(4, I, H, 1, true, true, dev);
  auto [out, hn, cn] = lstm(x, h0, c0, p, true, 1, 0.0, true, true, false);
  TensorList ref_out(T), ref_hn, ref_cn;
  for (int64_t d = 0; d < 2; ++d) {
    Tensor h = h0[d], c = c0[d];
    for (int64_t s = 0; s < T; ++s) {
      const int64_t t = d == 0 ? s : T - 1 - s;
      std::tie(h, c) = lstm_cell(x[t], h, c, p[4 * d], p[4 * d + 1], p[4 * d + 2], p[4 * d + 3]);
      ref_out[t] = d == 0 ? h : cat({ref_out[t], h}, 1);
    }
    ref_hn.push_back(h);
    ref_cn.push_back(c);
  }
  const Tensor ref = stack(ref_out, 0), ref_h = stack(ref_hn, 0), ref_c = stack(ref_cn, 0);
  expect_close(out, ref, 1e-12, "output");
  expect_close(hn, ref_h, 1e-12, "h_n");
  expect_close(cn, ref_c, 1e-12, "c_n");
  const Tensor go = randn(out.sizes(), ScalarType::Float64).to(dev), gh = randn(hn.sizes(), ScalarType::Float64).to(dev),
               gc = randn(cn.sizes(), ScalarType::Float64).to(dev);
  TensorList inputs{x, h0, c0};
  inputs.insert(inputs.end(), p.begin(), p.end());
  const TensorList got = autograd::grad({out, hn, cn}, inputs, {go, gh, gc});
  const TensorList want = autograd::grad({ref, ref_h, ref_c}, inputs, {go, gh, gc});
  for (size_t i = 0; i < inputs.size(); ++i) expect_close(got[i], want[i], 1e-12, "grad " + std::to_string(i));

  // The GRU, one direction, without initial state.
  const TensorList gp = make_params(3, I, H, 1, false, true, dev);
  auto [gout, ghn] = gru(x, Tensor(), gp, true, 1, 0.0, true, false, false);
  Tensor h = zeros({B, H}, TensorOptions(ScalarType::Float64).device(dev));
  for (int64_t t = 0; t < T; ++t) {
    h = gru_cell(x[t], h, gp[0], gp[1], gp[2], gp[3]);
    expect_close(gout[t], h, 1e-12, "gru output step " + std::to_string(t));
  }
  expect_close(ghn[0], h, 1e-12, "gru h_n");
}

TEST(Rnn, RecordsOneNodePerLayer) {
  const Tensor x = leaf({6, 2, 3});
  const TensorList p = make_params(4, 3, 4, 1, false, true);
  auto [out, hn, cn] = lstm(x, Tensor(), Tensor(), p, true, 1, 0.0, true, false, false);
  ASSERT_TRUE(out.grad_fn());
  EXPECT_EQ(out.grad_fn()->name(), "LstmLayerBackward0");
  EXPECT_TRUE(hn.grad_fn() == out.grad_fn() && cn.grad_fn() == out.grad_fn());
  // Its edges lead straight to the leaves: x, (no h0, c0), w_ih, w_hh, b_ih, b_hh.
  const auto& edges = out.grad_fn()->next_edges();
  ASSERT_EQ(edges.size(), 7u);
  EXPECT_FALSE(edges[1].is_valid());
  EXPECT_FALSE(edges[2].is_valid());
  for (size_t i : {0u, 3u, 4u, 5u, 6u}) EXPECT_EQ(edges[i].fn->name(), "AccumulateGrad");

  const TensorList gp = make_params(3, 3, 4, 2, false, true);
  auto [gout, ghn] = gru(x, Tensor(), gp, true, 2, 0.0, true, false, false);
  EXPECT_EQ(gout.grad_fn()->name(), "GruLayerBackward0");
  EXPECT_EQ(gout.grad_fn()->next_edge(0).fn->name(), "GruLayerBackward0");  // the first layer
  EXPECT_EQ(ghn.grad_fn()->name(), "CatBackward0");
  // Without grad mode, nothing is recorded.
  NoGradGuard no_grad;
  auto [o2, h2, c2] = lstm(x, Tensor(), Tensor(), p, true, 1, 0.0, true, false, false);
  EXPECT_FALSE(o2.grad_fn());
  EXPECT_FALSE(o2.requires_grad());
}

TEST(Rnn, HiddenStatesAreTheLastSteps) {
  const Tensor x = randn({7, 3, 5});
  const TensorList p = make_params(4, 5, 6, 2, true, false);
  TensorList pf;
  for (const Tensor& t : p) pf.push_back(t.detach().to(ScalarType::Float32));
  auto [out, hn, cn] = lstm(x, Tensor(), Tensor(), pf, false, 2, 0.0, false, true, true);
  EXPECT_EQ(out.sizes(), IntArrayRef({7, 3, 12}));  // batch_first: [B, T, D * H] with B = 7, T = 3
  EXPECT_EQ(hn.sizes(), IntArrayRef({4, 7, 6}));
  expect_close(hn[2], out.select(1, 2).narrow(1, 0, 6), 0, "forward direction: the last step");
  expect_close(hn[3], out.select(1, 0).narrow(1, 6, 6), 0, "reverse direction: the first step");
}

TEST(Rnn, EmptyBatch) {
  const TensorList p = make_params(4, 3, 2, 2, true, true);
  const Tensor x = zeros({4, 0, 3}, ScalarType::Float64).requires_grad_();
  auto [out, hn, cn] = lstm(x, Tensor(), Tensor(), p, true, 2, 0.0, true, true, false);
  EXPECT_EQ(out.sizes(), IntArrayRef({4, 0, 4}));
  EXPECT_EQ(cn.sizes(), IntArrayRef({4, 0, 2}));
  out.sum().backward();
  EXPECT_EQ(x.grad().sizes(), x.sizes());
  EXPECT_EQ(p[0].grad().abs().sum().item<double>(), 0.0);
}

TEST(Rnn, DropoutBetweenLayers) {
  const Tensor x = randn({5, 4, 3});
  TensorList p;
  for (const Tensor& t : make_params(4, 3, 8, 3, false, true)) p.push_back(t.detach().to(ScalarType::Float32));
  auto run = [&](double dropout, bool training) {
    return std::get<0>(lstm(x, Tensor(), Tensor(), p, true, 3, dropout, training, false, false));
  };
  manual_seed(7);
  const Tensor a = run(0.5, true);
  manual_seed(7);
  const Tensor b = run(0.5, true);
  const Tensor c = run(0.5, true);  // the generator moved on
  const Tensor plain = run(0.0, true);
  EXPECT_TRUE(equal(a, b));
  EXPECT_FALSE(equal(a, c));
  EXPECT_FALSE(equal(a, plain));
  EXPECT_TRUE(equal(run(0.5, false), plain));  // evaluation: no dropout
  // Gradients flow through the dropout masks.
  Tensor xg = x.detach().requires_grad_();
  manual_seed(3);
  std::get<0>(lstm(xg, Tensor(), Tensor(), p, true, 3, 0.5, true, false, false)).sum().backward();
  EXPECT_TRUE(xg.grad().defined());
}

TEST(Rnn, DoubleBackwardRaises) {
  const Tensor x = leaf({3, 2, 3});
  const TensorList p = make_params(4, 3, 2, 1, false, true);
  auto [out, hn, cn] = lstm(x, Tensor(), Tensor(), p, true, 1, 0.0, true, false, false);
  EXPECT_THROW_WITH(autograd::grad({out.sum()}, {x}, {}, true, /*create_graph=*/true), NotImplementedError,
                    "LstmLayerBackward0: double backward");
  // A second backward without retain_graph finds the saved tensors freed.
  out.sum().backward();
  EXPECT_THROW_WITH(out.sum().backward(), Error, "backward through the graph a second time");
}

TEST(Rnn, Errors) {
  const TensorList p = make_params(4, 3, 2, 1, false, true);
  const Tensor x = randn({5, 2, 3}, ScalarType::Float64);
  EXPECT_THROW_WITH(lstm(randn({5, 2, 4}, ScalarType::Float64), {}, {}, p, true, 1, 0, false, false, false),
                    ValueError, "input has inconsistent input_size: got 4, expected 3 (input of shape [5, 2, 4]");
  EXPECT_THROW_WITH(lstm(x, randn({1, 3, 2}, ScalarType::Float64), {}, p, true, 1, 0, false, false, false),
                    ValueError, "expected h0 of shape [1, 2, 2] (num_layers * num_directions, batch, hidden_size), "
                                "but got [1, 3, 2]");
  EXPECT_THROW_WITH(lstm(x, {}, randn({2, 2, 2}, ScalarType::Float64), p, true, 1, 0, false, false, false),
                    ValueError, "expected c0 of shape [1, 2, 2]");
  EXPECT_THROW_WITH(lstm(x, randn({1, 1, 2, 2}, ScalarType::Float64), {}, p, true, 1, 0, false, false, false),
                    ValueError, "[1, 1, 2, 2]");
  EXPECT_THROW_WITH(lstm(randn({5, 3}, ScalarType::Float64), randn({1, 1, 2}, ScalarType::Float64), {}, p, true, 1,
                         0, false, false, false),
                    ValueError, "for unbatched 2-D input, h0 should also be 2-D");
  EXPECT_THROW_WITH(lstm(x, {}, {}, p, true, 2, 0, false, false, false), ValueError,
                    "incorrect number of RNN parameters: expected 8");
  EXPECT_THROW_WITH(lstm(x, {}, {}, p, false, 1, 0, false, false, false), ValueError,
                    "incorrect number of RNN parameters: expected 2");
  EXPECT_THROW_WITH(gru(x, {}, p, true, 1, 0, false, false, false), ValueError,
                    "gru: expected weight_ih_l0 of shape [6, 3] (gates * hidden_size, input_size), but got [8, 3]");
  EXPECT_THROW_WITH(lstm(x.to(ScalarType::Float32), {}, {}, p, true, 1, 0, false, false, false), TypeError,
                    "expected weight_ih_l0 to have the input's dtype float32, but got float64");
  EXPECT_THROW_WITH(lstm(x.to(ScalarType::Int64), {}, {}, p, true, 1, 0, false, false, false), TypeError,
                    "expected input of dtype float32 or float64, but got int64");
  EXPECT_THROW_WITH(lstm(randn({3, 2, 2, 3}, ScalarType::Float64), {}, {}, p, true, 1, 0, false, false, false),
                    ValueError, "got a 4-D tensor of shape [3, 2, 2, 3]");
  EXPECT_THROW_WITH(lstm(randn({0, 2, 3}, ScalarType::Float64), {}, {}, p, true, 1, 0, false, false, false),
                    ValueError, "sequence length to be larger than 0");
  EXPECT_THROW_WITH(lstm(x, {}, {}, p, true, 1, 1.5, true, false, false), ValueError,
                    "dropout probability has to be between 0 and 1, but got 1.5");
  EXPECT_THROW_WITH(lstm(x, {}, {}, p, true, 0, 0, true, false, false), ValueError, "num_layers");
  TensorList bad_bias = p;
  bad_bias[3] = randn({7}, ScalarType::Float64);
  EXPECT_THROW_WITH(lstm(x, {}, {}, bad_bias, true, 1, 0, false, false, false), ValueError,
                    "expected bias_hh_l0 of shape [8]");
  // The second layer reads num_directions * hidden_size features.
  TensorList two = make_params(4, 3, 2, 2, true, true);
  two[8] = randn({8, 2}, ScalarType::Float64);
  EXPECT_THROW_WITH(lstm(x, {}, {}, two, true, 2, 0, false, true, false), ValueError,
                    "expected weight_ih_l1 of shape [8, 4]");

  const Tensor w_ih = randn({8, 3}, ScalarType::Float64), w_hh = randn({8, 2}, ScalarType::Float64);
  EXPECT_THROW_WITH(lstm_cell(randn({4, 5}, ScalarType::Float64), {}, {}, w_ih, w_hh), ValueError,
                    "lstm_cell: input has inconsistent input_size: got 5, expected 3");
  EXPECT_THROW_WITH(lstm_cell(randn({4, 3}, ScalarType::Float64), randn({3, 2}, ScalarType::Float64), {}, w_ih, w_hh),
                    ValueError, "input batch size 4 doesn't match hx batch size 3");
  EXPECT_THROW_WITH(lstm_cell(randn({4, 3}, ScalarType::Float64), {}, randn({4, 5}, ScalarType::Float64), w_ih, w_hh),
                    ValueError, "expected cx of shape [4, 2] (batch, hidden_size), but got [4, 5]");
  EXPECT_THROW_WITH(lstm_cell(randn({3}, ScalarType::Float64), randn({1, 2}, ScalarType::Float64), {}, w_ih, w_hh),
                    ValueError, "expected hx to be 1-D like the input");
  EXPECT_THROW_WITH(gru_cell(randn({2, 2, 3}, ScalarType::Float64), {}, w_ih, w_hh), ValueError,
                    "gru_cell: expected input to be 1-D (unbatched) or 2-D (batched), but got a 3-D tensor");
  EXPECT_THROW_WITH(gru_cell(randn({4, 3}, ScalarType::Float64), {}, w_ih, w_hh), ValueError,
                    "gru_cell: expected weight_ih of shape [6, 3]");
}
