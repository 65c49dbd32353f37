// Convolution, pooling and normalization: values against direct float64
// loops written from the definitions, gradients by gradcheck (every option:
// stride, padding incl. 'same', dilation, groups, bias, ceil_mode,
// non-contiguous and unbatched inputs), running statistics, grad_fn names
// and error messages.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "backends/conv_window.h"
#include "backends/pool_window.h"
#include "test_util.h"

using namespace wick;
using wick::testing::leaf;

namespace {

// A float64 leaf of `sizes` whose memory holds it with its last two dims
// swapped (non-contiguous, same values layout as a transposed base).
Tensor transposed_leaf(IntArrayRef sizes, Device device = kCPU) {
  DimVector base_sizes(sizes);
  std::swap(base_sizes[base_sizes.size() - 1], base_sizes[base_sizes.size() - 2]);
  Tensor t = leaf(base_sizes, -1, 1, device).detach().transpose(-1, -2);
  t.requires_grad_();
  return t;
}

void expect_close(const Tensor& got, const Tensor& ref, double tol, const std::string& what) {
  ASSERT_EQ(got.sizes(), ref.sizes()) << what;
  const std::vector<double> g = got.to_vector<double>(), r = ref.to_vector<double>();
  int bad = 0;
  for (size_t i = 0; i < g.size() && bad < 5; ++i)
    if (!(std::fabs(g[i] - r[i]) <= tol * (1 + std::fabs(r[i])))) {
      ADD_FAILURE() << what << ": element " << i << " is " << g[i] << ", expected " << r[i];
      ++bad;
    }
}

// ---- direct loops -----------------------------------------------------------------------------

struct Conv2dCase {
  std::string name;
  DimVector input, weight;  // [N, C, H, W], [Co, C / groups, kh, kw]
  bool bias = true;
  std::vector<int64_t> stride{1, 1}, padding{0, 0}, dilation{1, 1};
  int64_t groups = 1;
};

// y[n, co, oh, ow] = b[co] + sum x[n, c, oh*s - p + i*d, ow*s - p + j*d] w[co, c - g*Cg, i, j],
// with pad_top/pad_left the padding before and out_h/out_w the output size.
Tensor direct_conv2d(const Tensor& x, const Tensor& w, const Tensor& b, IntArrayRef stride, int64_t pad_top,
                     int64_t pad_left, IntArrayRef dilation, int64_t groups, int64_t out_h, int64_t out_w) {
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t Co = w.size(0), Cg = w.size(1), KH = w.size(2), KW = w.size(3), Cog = Co / groups;
  const std::vector<double> xv = x.to_vector<double>(), wv = w.to_vector<double>();
  const std::vector<double> bv = b.defined() ? b.to_vector<double>() : std::vector<double>(Co, 0.0);
  std::vector<double> y(static_cast<size_t>(N * Co * out_h * out_w));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t co = 0; co < Co; ++co)
      for (int64_t oh = 0; oh < out_h; ++oh)
        for (int64_t ow = 0; ow < out_w; ++ow) {
          double acc = bv[co];
          const int64_t g = co / Cog;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t i = 0; i < KH; ++i)
              for (int64_t j = 0; j < KW; ++j) {
                const int64_t ih = oh * stride[0] - pad_top + i * dilation[0];
                const int64_t iw = ow * stride[1] - pad_left + j * dilation[1];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += xv[((n * C + g * Cg + c) * H + ih) * W + iw] * wv[((co * Cg + c) * KH + i) * KW + j];
              }
          y[((n * Co + co) * out_h + oh) * out_w + ow] = acc;
        }
  return from_vector(y, {N, Co, out_h, out_w});
}

int64_t conv_out(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) { return (in + 2 * p - d * (k - 1) - 1) / s + 1; }

// x [N, Ci, H, W], w [Ci, Co / groups, kh, kw]: y[n, g*Cog + co, ih*s - p + i*d, ...] += x[n, ci, ih, iw] w[ci, co, i, j].
Tensor direct_conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& b, IntArrayRef stride,
                               IntArrayRef padding, IntArrayRef output_padding, int64_t groups, IntArrayRef dilation) {
  const int64_t N = x.size(0), Ci = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t Cog = w.size(1), KH = w.size(2), KW = w.size(3), Cig = Ci / groups, Co = Cog * groups;
  const int64_t OH = (H - 1) * stride[0] - 2 * padding[0] + dilation[0] * (KH - 1) + output_padding[0] + 1;
  const int64_t OW = (W - 1) * stride[1] - 2 * padding[1] + dilation[1] * (KW - 1) + output_padding[1] + 1;
  const std::vector<double> xv = x.to_vector<double>(), wv = w.to_vector<double>();
  const std::vector<double> bv = b.defined() ? b.to_vector<double>() : std::vector<double>(Co, 0.0);
  std::vector<double> y(static_cast<size_t>(N * Co * OH * OW));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t co = 0; co < Co; ++co)
      for (int64_t p = 0; p < OH * OW; ++p) y[(n * Co + co) * OH * OW + p] = bv[co];
  for (int64_t n = 0; n < N; ++n)
    for (int64_t ci = 0; ci < Ci; ++ci)
      for (int64_t ih = 0; ih < H; ++ih)
        for (int64_t iw = 0; iw < W; ++iw)
          for (int64_t co = 0; co < Cog; ++co)
            for (int64_t i = 0; i < KH; ++i)
              for (int64_t j = 0; j < KW; ++j) {
                const int64_t oh = ih * stride[0] - padding[0] + i * dilation[0];
                const int64_t ow = iw * stride[1] - padding[1] + j * dilation[1];
                if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
                const int64_t out_c = (ci / Cig) * Cog + co;
                y[((n * Co + out_c) * OH + oh) * OW + ow] +=
                    xv[((n * Ci + ci) * H + ih) * W + iw] * wv[((ci * Cog + co) * KH + i) * KW + j];
              }
  return from_vector(y, {N, Co, OH, OW});
}

// ---- convolution ------------------------------------------------------------------------------

std::vector<Conv2dCase> conv2d_cases() {
  std::vector<Conv2dCase> cases;
  cases.push_back({"plain", {2, 3, 6, 5}, {4, 3, 3, 3}});
  cases.push_back({"no bias", {2, 3, 6, 5}, {4, 3, 3, 3}, false});
  cases.push_back({"stride", {2, 2, 7, 6}, {3, 2, 3, 2}, true, {2, 3}});
  cases.push_back({"padding", {1, 2, 5, 5}, {3, 2, 3, 3}, true, {1, 1}, {1, 2}});
  cases.push_back({"dilation", {2, 2, 7, 7}, {2, 2, 3, 2}, true, {1, 1}, {1, 0}, {2, 3}});
  cases.push_back({"groups", {2, 4, 5, 5}, {6, 2, 3, 3}, true, {1, 1}, {1, 1}, {1, 1}, 2});
  cases.push_back({"depthwise", {1, 3, 5, 4}, {6, 1, 2, 2}, true, {2, 1}, {1, 0}, {1, 1}, 3});
  cases.push_back({"1x1", {3, 4, 3, 3}, {2, 4, 1, 1}});
  cases.push_back({"1x1 one sample", {1, 4, 3, 3}, {2, 4, 1, 1}, false});
  cases.push_back({"everything", {2, 4, 8, 7}, {4, 2, 3, 2}, true, {2, 2}, {2, 1}, {2, 1}, 2});
  return cases;
}

// The values and gradchecks of convolution and pooling run once per device
// (test_util.h), against the direct loops on the CPU.
class ConvOnDevice : public wick::testing::OnEachDevice {};
WICK_ON_EACH_DEVICE(ConvOnDevice);

TEST_P(ConvOnDevice, Conv2dMatchesDirectLoop) {
  const Device d = device();
  for (const Conv2dCase& c : conv2d_cases())
    for (ScalarType dt : {ScalarType::Float64, ScalarType::Float32}) {
      NoGradGuard no_grad;
      const Tensor x = randn(c.input, TensorOptions(dt)).to(d), w = randn(c.weight, TensorOptions(dt)).to(d);
      const Tensor b = c.bias ? randn({c.weight[0]}, TensorOptions(dt)).to(d) : Tensor();
      const Tensor y = conv2d(x, w, b, c.stride, c.padding, c.dilation, c.groups);
      const int64_t OH = conv_out(c.input[2], c.weight[2], c.stride[0], c.padding[0], c.dilation[0]);
      const int64_t OW = conv_out(c.input[3], c.weight[3], c.stride[1], c.padding[1], c.dilation[1]);
      EXPECT_EQ(y.dtype(), dt);
      expect_close(y, direct_conv2d(x, w, b, c.stride, c.padding[0], c.padding[1], c.dilation, c.groups, OH, OW),
                   dt == ScalarType::Float32 ? 1e-5 : 1e-12, c.name);
    }
}

TEST_P(ConvOnDevice, Conv2dGradcheck) {
  const Device d = device();
  for (const Conv2dCase& c : conv2d_cases()) {
    const Tensor x = leaf(c.input, -1, 1, d), w = leaf(c.weight, -1, 1, d);
    const Tensor b = c.bias ? leaf({c.weight[0]}, -1, 1, d) : Tensor();
    auto fn = [&](const TensorList& in) { return conv2d(in[0], in[1], in[2], c.stride, c.padding, c.dilation, c.groups); };
    EXPECT_TRUE(gradcheck(fn, {x, w, b})) << c.name;
  }
}

TEST_P(ConvOnDevice, Conv2dNonContiguousInput) {
  const Device d = device();
  const Tensor x = transposed_leaf({2, 3, 5, 6}, d), w = transposed_leaf({4, 3, 3, 2}, d), b = leaf({4}, -1, 1, d);
  ASSERT_FALSE(x.is_contiguous());
  {
    NoGradGuard no_grad;
    expect_close(conv2d(x, w, b, {1, 2}, {1, 1}), direct_conv2d(x, w, b, {1, 2}, 1, 1, {1, 1}, 1, 5, 4), 1e-12,
                 "transposed input");
  }
  auto fn = [](const TensorList& in) { return conv2d(in[0], in[1], in[2], {1, 2}, {1, 1}); };
  EXPECT_TRUE(gradcheck(fn, {x, w, b}));
  // Expanded (stride 0) input and a gradient arriving non-contiguous.
  const Tensor e = leaf({1, 2, 4, 1}, -1, 1, d);
  auto fn2 = [](const TensorList& in) {
    return conv2d(in[0].expand({2, 2, 4, 3}), in[1], Tensor(), {1}, {1}).transpose(2, 3).contiguous();
  };
  EXPECT_TRUE(gradcheck(fn2, {e, leaf({3, 2, 2, 2}, -1, 1, d)}));
}

TEST_P(ConvOnDevice, Conv2dSamePadding) {
  const Device d = device();
  // Odd and even kernels, dilation: 'same' keeps the spatial size; an even
  // total padding splits evenly, an odd one puts the extra row/column after.
  struct Case {
    DimVector weight;
    std::vector<int64_t> dilation;
  };
  for (const Case& c : {Case{{3, 2, 3, 3}, {1, 1}}, Case{{3, 2, 4, 2}, {1, 1}}, Case{{3, 2, 2, 3}, {3, 2}}}) {
    const Tensor x = leaf({2, 2, 6, 5}, -1, 1, d), w = leaf(c.weight, -1, 1, d), b = leaf({3}, -1, 1, d);
    {
      NoGradGuard no_grad;
      const Tensor y = conv2d(x, w, b, {1}, "same", c.dilation);
      const int64_t top = c.dilation[0] * (c.weight[2] - 1) / 2, left = c.dilation[1] * (c.weight[3] - 1) / 2;
      expect_close(y, direct_conv2d(x, w, b, {1, 1}, top, left, c.dilation, 1, 6, 5), 1e-12, "same");
      const Tensor v = conv2d(x, w, b, {1}, "valid", c.dilation);
      expect_close(v, conv2d(x, w, b, {1}, {0}, c.dilation), 0, "valid");
    }
    auto fn = [&](const TensorList& in) { return conv2d(in[0], in[1], in[2], {1}, "same", c.dilation); };
    EXPECT_TRUE(gradcheck(fn, {x, w, b}));
  }
}

TEST_P(ConvOnDevice, Conv1d) {
  const Device d = device();
  const Tensor x = leaf({2, 4, 9}, -1, 1, d), w = leaf({6, 2, 3}, -1, 1, d), b = leaf({6}, -1, 1, d);
  {
    NoGradGuard no_grad;
    // A 1-D convolution is a 2-D one of height 1.
    const Tensor y = conv1d(x, w, b, {2}, {1}, {2}, 2);
    ASSERT_EQ(y.sizes(), IntArrayRef({2, 6, 4}));
    expect_close(y, conv2d(x.unsqueeze(2), w.unsqueeze(2), b, {1, 2}, {0, 1}, {1, 2}, 2).squeeze(2), 1e-12,
                 "conv1d");
    expect_close(conv1d(x, w, b, {1}, "same", {1}, 2), conv1d(x, w, b, {1}, {1}, {1}, 2), 1e-12, "same");
  }
  EXPECT_EQ(conv1d(x, w, b, {1}, {0}, {1}, 2).grad_fn()->name(), "ConvolutionBackward0");
  auto fn = [](const TensorList& in) { return conv1d(in[0], in[1], in[2], {2}, {1}, {2}, 2); };
  EXPECT_TRUE(gradcheck(fn, {x, w, b}));
  auto same = [](const TensorList& in) { return conv1d(in[0], in[1], Tensor(), {1}, "same", {3}); };
  EXPECT_TRUE(gradcheck(same, {leaf({1, 2, 7}, -1, 1, d), leaf({3, 2, 2}, -1, 1, d)}));
  // Unbatched.
  const Tensor u = leaf({4, 9}, -1, 1, d);
  auto unbatched = [](const TensorList& in) { return conv1d(in[0], in[1], in[2], {1}, {1}, {1}, 2); };
  EXPECT_TRUE(gradcheck(unbatched, {u, w, b}));
}

TEST_P(ConvOnDevice, UnbatchedInput) {
  const Device d = device();
  const Tensor x = leaf({3, 5, 5}, -1, 1, d), w = leaf({2, 3, 3, 3}, -1, 1, d), b = leaf({2}, -1, 1, d);
  const Tensor y = conv2d(x, w, b, {1}, {1});
  ASSERT_EQ(y.sizes(), IntArrayRef({2, 5, 5}));
  EXPECT_EQ(y.grad_fn()->name(), "SqueezeBackward1");  // as in PyTorch
  {
    NoGradGuard no_grad;
    expect_close(y, conv2d(x.unsqueeze(0), w, b, {1}, {1})[0], 0, "unbatched");
  }
  auto fn = [](const TensorList& in) { return conv2d(in[0], in[1], in[2], {2}, {1}); };
  EXPECT_TRUE(gradcheck(fn, {x, w, b}));
}

TEST_P(ConvOnDevice, ConvTranspose2d) {
  const Device d = device();
  struct Case {
    std::string name;
    DimVector input, weight;
    std::vector<int64_t> stride, padding, output_padding, dilation;
    int64_t groups;
  };
  const Case cases[] = {
      {"plain", {2, 3, 4, 4}, {3, 2, 3, 3}, {1, 1}, {0, 0}, {0, 0}, {1, 1}, 1},
      {"stride", {1, 2, 3, 4}, {2, 3, 3, 2}, {2, 3}, {1, 0}, {1, 2}, {1, 1}, 1},
      {"groups", {2, 4, 3, 3}, {4, 1, 2, 2}, {2, 2}, {0, 1}, {0, 0}, {1, 1}, 2},
      {"dilation", {1, 2, 3, 3}, {2, 2, 2, 3}, {2, 1}, {1, 1}, {1, 0}, {2, 2}, 1},
  };
  for (const Case& c : cases) {
    const Tensor x = leaf(c.input, -1, 1, d), w = leaf(c.weight, -1, 1, d), b = leaf({c.weight[1] * c.groups}, -1, 1, d);
    {
      NoGradGuard no_grad;
      expect_close(conv_transpose2d(x, w, b, c.stride, c.padding, c.output_padding, c.groups, c.dilation),
                   direct_conv_transpose2d(x, w, b, c.stride, c.padding, c.output_padding, c.groups, c.dilation),
                   1e-12, c.name);
    }
    auto fn = [&](const TensorList& in) {
      return conv_transpose2d(in[0], in[1], in[2], c.stride, c.padding, c.output_padding, c.groups, c.dilation);
    };
    EXPECT_TRUE(gradcheck(fn, {x, w, b})) << c.name;
  }
  // Without bias, unbatched, non-contiguous.
  auto fn = [](const TensorList& in) { return conv_transpose2d(in[0], in[1], Tensor(), {2}, {1}); };
  EXPECT_TRUE(gradcheck(fn, {transposed_leaf({2, 3, 4}, d), leaf({2, 2, 3, 3}, -1, 1, d)}));
  EXPECT_EQ(conv_transpose2d(leaf({1, 2, 3, 3}, -1, 1, d), leaf({2, 2, 3, 3}, -1, 1, d)).grad_fn()->name(),
            "ConvolutionBackward0");
}

TEST(ConvOps, BatchSplitAcrossThreadsMatchesOneSampleAtATime) {
  // Batches large enough to be split between threads (each with its own
  // column buffer and partial weight gradient) against the same samples run
  // one at a time, forward and backward.
  struct Case {
    std::string name;
    DimVector input, weight;
    std::vector<int64_t> padding;
    int64_t groups;
    bool transposed;
  };
  const Case cases[] = {{"3x3", {9, 4, 10, 10}, {6, 4, 3, 3}, {1, 1}, 1, false},
                        {"pointwise", {9, 8, 12, 12}, {16, 4, 1, 1}, {0, 0}, 2, false},
                        {"transposed", {9, 6, 10, 10}, {6, 2, 3, 3}, {1, 1}, 3, true}};
  for (const Case& c : cases) {
    const Tensor x = leaf(c.input), w = leaf(c.weight), b = leaf({c.transposed ? c.weight[1] * c.groups : c.weight[0]});
    auto conv = [&](const Tensor& xi) {
      return c.transposed ? conv_transpose2d(xi, w, b, {1}, c.padding, {0}, c.groups)
                          : conv2d(xi, w, b, {1}, c.padding, {1}, c.groups);
    };
    const Tensor y = conv(x);
    const Tensor dy = randn(y.sizes(), TensorOptions(ScalarType::Float64));
    const TensorList batch = autograd::grad({y}, {x, w, b}, {dy});
    Tensor dw_sum = zeros_like(w), db_sum = zeros_like(b);
    for (int64_t n = 0; n < c.input[0]; ++n) {
      const Tensor xn = x.narrow(0, n, 1);
      const Tensor yn = conv(xn);
      expect_close(y.narrow(0, n, 1), yn, 1e-12, c.name + " forward");
      const TensorList one = autograd::grad({yn}, {x, w, b}, {dy.narrow(0, n, 1)});
      expect_close(batch[0].narrow(0, n, 1), one[0].narrow(0, n, 1), 1e-12, c.name + " input grad");
      NoGradGuard no_grad;
      dw_sum = dw_sum + one[1];
      db_sum = db_sum + one[2];
    }
    expect_close(batch[1], dw_sum, 1e-10, c.name + " weight grad");
    expect_close(batch[2], db_sum, 1e-10, c.name + " bias grad");
  }
}

// Note [Convolution on a GPU]'s whole-batch way, run on the CPU: the same
// values and gradients as the definition and as the per-sample way.
struct ConvStrategyScope {
  explicit ConvStrategyScope(ConvStrategy s) { set_conv_strategy(s); }
  ~ConvStrategyScope() { set_conv_strategy(ConvStrategy::ByDevice); }
};

TEST(ConvOps, WholeBatchWayMatchesTheDefinitionAndGradcheck) {
  const ConvStrategyScope whole(ConvStrategy::WholeBatch);
  for (const Conv2dCase& c : conv2d_cases()) {
    {
      NoGradGuard no_grad;
      const Tensor x = randn(c.input, TensorOptions(ScalarType::Float64));
      const Tensor w = randn(c.weight, TensorOptions(ScalarType::Float64));
      const Tensor b = c.bias ? randn({c.weight[0]}, TensorOptions(ScalarType::Float64)) : Tensor();
      const int64_t OH = conv_out(c.input[2], c.weight[2], c.stride[0], c.padding[0], c.dilation[0]);
      const int64_t OW = conv_out(c.input[3], c.weight[3], c.stride[1], c.padding[1], c.dilation[1]);
      expect_close(conv2d(x, w, b, c.stride, c.padding, c.dilation, c.groups),
                   direct_conv2d(x, w, b, c.stride, c.padding[0], c.padding[1], c.dilation, c.groups, OH, OW), 1e-12,
                   c.name);
    }
    const Tensor x = leaf(c.input), w = leaf(c.weight);
    const Tensor b = c.bias ? leaf({c.weight[0]}) : Tensor();
    auto fn = [&](const TensorList& in) { return conv2d(in[0], in[1], in[2], c.stride, c.padding, c.dilation, c.groups); };
    EXPECT_TRUE(gradcheck(fn, {x, w, b})) << c.name;
  }
  // Transposed, pointwise over non-matrix memory, conv1d, and a weight-only backward.
  const Tensor xt = leaf({3, 6, 5, 4}), wt = leaf({6, 2, 3, 3}), bt = leaf({6});
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return conv_transpose2d(in[0], in[1], in[2], {2}, {1}, {1}, 3); },
                        {xt, wt, bt}));
  const Tensor xp = transposed_leaf({2, 4, 3, 5}), wp = leaf({6, 4, 1, 1}), bp = leaf({6});
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return conv2d(in[0], in[1], in[2]); }, {xp, wp, bp}));
  const Tensor x1 = leaf({3, 4, 9}), w1 = leaf({6, 2, 3});
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return conv1d(in[0], in[1], Tensor(), {2}, {1}, {2}, 2); },
                        {x1, w1}));
  const Tensor x0 = randn({2, 3, 6, 6}, TensorOptions(ScalarType::Float64)), w0 = leaf({4, 3, 3, 3});
  EXPECT_TRUE(gradcheck([&](const TensorList& in) { return conv2d(x0, in[0], Tensor(), {1}, {1}); }, {w0}));
}

TEST(ConvOps, WholeBatchWayMatchesPerSampleWay) {
  const Tensor x = leaf({9, 4, 10, 10}), w = leaf({6, 2, 3, 3}), b = leaf({6});
  const Tensor dy = randn({9, 6, 5, 5}, TensorOptions(ScalarType::Float64));
  auto run = [&](ConvStrategy s) {
    const ConvStrategyScope scope(s);
    const Tensor y = conv2d(x, w, b, {2}, {1}, {1}, 2);
    TensorList r = autograd::grad({y}, {x, w, b}, {dy});
    r.push_back(y.detach());
    return r;
  };
  const TensorList per_sample = run(ConvStrategy::PerSample), whole = run(ConvStrategy::WholeBatch);
  const char* what[] = {"input grad", "weight grad", "bias grad", "forward"};
  for (size_t i = 0; i < 4; ++i) expect_close(whole[i], per_sample[i], 1e-12, what[i]);
}

TEST(ConvOps, BackwardComputesOnlyWhatIsNeeded) {
  // The input of the first layer needs no gradient: only weight and bias get one.
  const Tensor x = randn({2, 1, 6, 6}, TensorOptions(ScalarType::Float64));
  const Tensor w = leaf({4, 1, 3, 3}), b = leaf({4});
  conv2d(x, w, b, {1}, {1}).sum().backward();
  EXPECT_FALSE(x.grad().defined());
  ASSERT_TRUE(w.grad().defined() && b.grad().defined());
  // The bias gradient of a sum is the number of output positions per channel.
  expect_close(b.grad(), full({4}, 2.0 * 36, TensorOptions(ScalarType::Float64)), 1e-12, "bias grad");
}

TEST(ConvOps, Errors) {
  const Tensor x = randn({2, 3, 8, 8}), w = randn({4, 3, 3, 3});
  EXPECT_THROW_WITH(conv2d(randn({2, 8, 8}).view({16, 8}), w), ValueError,
                    "expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [16, 8]");
  EXPECT_THROW_WITH(conv2d(randn({2, 2, 8, 8}), w), ValueError,
                    "given groups=1, weight of size [4, 3, 3, 3], expected input[2, 2, 8, 8] to have 3 channels, "
                    "but got 2 channels instead");
  EXPECT_THROW_WITH(conv2d(x, randn({4, 1, 3, 3}), {}, {1}, {0}, {1}, 2), ValueError,
                    "to have 2 channels, but got 3 channels");
  EXPECT_THROW_WITH(conv2d(randn({2, 4, 8, 8}), randn({3, 2, 3, 3}), {}, {1}, {0}, {1}, 2), ValueError,
                    "expected weight to be divisible by 2 at dimension 0, but got weight of size [3, 2, 3, 3]");
  EXPECT_THROW_WITH(conv2d(x, w, randn({3})), ValueError,
                    "expected bias to be 1-dimensional with 4 elements, but got bias of size [3]");
  EXPECT_THROW_WITH(conv2d(randn({1, 3, 2, 2}), w), ValueError,
                    "Kernel size: (3 x 3). Kernel size can't be greater than actual input size");
  EXPECT_THROW_WITH(conv2d(x, w, {}, {0}), ValueError, "non-positive stride");
  EXPECT_THROW_WITH(conv2d(x, w, {}, {1}, {-1}), ValueError, "negative padding");
  EXPECT_THROW_WITH(conv2d(x, w, {}, {1}, {0}, {0}), ValueError, "dilation should be greater than zero");
  EXPECT_THROW_WITH(conv2d(x, w, {}, {1}, {0}, {1}, 0), ValueError, "non-positive groups");
  EXPECT_THROW_WITH(conv2d(x, w, {}, {1, 1, 1}), ValueError,
                    "expected stride to be a single integer value or a list of 2 values");
  EXPECT_THROW_WITH(conv2d(x, w, {}, {2}, "same"), ValueError,
                    "padding='same' is not supported for strided convolutions");
  EXPECT_THROW_WITH(conv2d(x, w, {}, {1}, "full"), ValueError, "invalid padding string 'full'");
  EXPECT_THROW_WITH(conv2d(x, w.to(ScalarType::Float64)), TypeError,
                    "input type (float32) and weight type (float64) should be the same");
  EXPECT_THROW_WITH(conv2d(x.to(ScalarType::Int64), w.to(ScalarType::Int64)), TypeError, "floating point");
  EXPECT_THROW_WITH(conv1d(randn({2, 3, 8}), w), ValueError, "expected 3-dimensional weight");
  EXPECT_THROW_WITH(conv_transpose2d(x, randn({4, 2, 3, 3})), ValueError,
                    "given transposed=1, weight of size [4, 2, 3, 3], expected input[2, 3, 8, 8] to have 4 channels");
  EXPECT_THROW_WITH(conv_transpose2d(x, randn({3, 2, 3, 3}), {}, {2}, {0}, {2}), ValueError,
                    "output padding must be smaller than either stride or dilation");
  EXPECT_THROW_WITH(conv_transpose2d(randn({1, 3, 1, 1}), randn({3, 2, 1, 1}), {}, {1}, {1}), ValueError,
                    "is too small");
}

// ---- pooling ----------------------------------------------------------------------------------

int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int64_t pool_out(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  int64_t o = floor_div(in + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0), s) + 1;
  if (ceil_mode && (o - 1) * s >= in + p) --o;
  return o;
}

struct PoolCase {
  std::string name;
  DimVector input;
  std::vector<int64_t> kernel, stride, padding{0, 0}, dilation{1, 1};
  bool ceil_mode = false;
};

std::vector<PoolCase> pool_cases() {
  return {
      {"2x2", {2, 3, 6, 6}, {2, 2}, {}},
      {"3x3 stride 2 pad 1", {1, 2, 7, 6}, {3, 3}, {2, 2}, {1, 1}},
      {"rect", {2, 2, 5, 7}, {2, 3}, {1, 2}, {1, 0}},
      {"dilation", {1, 2, 7, 7}, {2, 2}, {1, 2}, {0, 1}, {2, 3}},
      {"ceil_mode", {2, 2, 5, 6}, {2, 3}, {2, 2}, {0, 1}, {1, 1}, true},
      {"ceil_mode pad", {1, 1, 6, 6}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, true},
      {"unbatched", {3, 5, 5}, {3, 3}, {2, 1}},
  };
}

// Max pooling by the definition: the first largest in-bounds element of each window.
ValuesIndices direct_max_pool(const Tensor& x, const PoolCase& c) {
  const int64_t H = x.size(-2), W = x.size(-1), planes = x.numel() / (H * W);
  const std::vector<int64_t> s = c.stride.empty() ? c.kernel : c.stride;
  const int64_t OH = pool_out(H, c.kernel[0], s[0], c.padding[0], c.dilation[0], c.ceil_mode);
  const int64_t OW = pool_out(W, c.kernel[1], s[1], c.padding[1], c.dilation[1], c.ceil_mode);
  const std::vector<double> xv = x.to_vector<double>();
  std::vector<double> y;
  std::vector<int64_t> idx;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        double best = -std::numeric_limits<double>::infinity();
        int64_t at = -1;
        for (int64_t i = 0; i < c.kernel[0]; ++i)
          for (int64_t j = 0; j < c.kernel[1]; ++j) {
            const int64_t ih = oh * s[0] - c.padding[0] + i * c.dilation[0];
            const int64_t iw = ow * s[1] - c.padding[1] + j * c.dilation[1];
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            const double v = xv[(p * H + ih) * W + iw];
            if (at < 0 || v > best) {
              best = v;
              at = ih * W + iw;
            }
          }
        y.push_back(best);
        idx.push_back(at);
      }
  DimVector shape(x.sizes());
  shape[shape.size() - 2] = OH;
  shape[shape.size() - 1] = OW;
  return {from_vector(y, shape), from_vector(idx, shape)};
}

TEST_P(ConvOnDevice, MaxPool2dMatchesDefinition) {
  for (const PoolCase& c : pool_cases()) {
    NoGradGuard no_grad;
    const Tensor x = randn(c.input, TensorOptions(ScalarType::Float64)).to(device());
    const ValuesIndices got = max_pool2d_with_indices(x, c.kernel, c.stride, c.padding, c.dilation, c.ceil_mode);
    const ValuesIndices ref = direct_max_pool(x, c);
    expect_close(got.values, ref.values, 0, c.name);
    EXPECT_EQ(got.indices.dtype(), ScalarType::Int64);
    EXPECT_EQ(got.indices.to_vector<int64_t>(), ref.indices.to_vector<int64_t>()) << c.name;
    expect_close(max_pool2d(x.to(ScalarType::Float32), c.kernel, c.stride, c.padding, c.dilation, c.ceil_mode),
                 ref.values, 1e-6, c.name + " float32");
  }
}

TEST_P(ConvOnDevice, MaxPool2dGradcheck) {
  const Device d = device();
  for (const PoolCase& c : pool_cases()) {
    const Tensor x = leaf(c.input, -1, 1, d);  // distinct random values: no ties
    auto fn = [&](const TensorList& in) {
      return max_pool2d(in[0], c.kernel, c.stride, c.padding, c.dilation, c.ceil_mode);
    };
    EXPECT_TRUE(gradcheck(fn, {x})) << c.name;
  }
  auto fn = [](const TensorList& in) { return max_pool2d(in[0], {2, 2}, {1, 2}); };
  EXPECT_TRUE(gradcheck(fn, {transposed_leaf({2, 2, 4, 5}, d)}));
}

TEST_P(ConvOnDevice, MaxPool2dOverlappingWindowsAddUp) {
  // Overlapping windows that share a maximum add their gradients there.
  const Tensor x = from_vector(std::vector<double>{0, 0, 0, 0, 9, 0, 0, 0, 0}, {1, 1, 3, 3}).to(device());
  x.requires_grad_();
  max_pool2d(x, {2, 2}, {1, 1}).sum().backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 0, 0, 0, 4, 0, 0, 0, 0}));
}

TEST_P(ConvOnDevice, MaxPool2dWindowEntirelyInThePadding) {
  // Width 1, kernel 2, padding 1, dilation 2: every window covers columns -1
  // and 1, neither of them in the input (Note [Max pooling windows in the
  // padding]). Before, the index pointed one row past each window's start and
  // the backward wrote the gradient there: past the end of the buffer for the
  // last plane (AddressSanitizer: heap-buffer-overflow).
  const Tensor x = randn({4, 4, 1, 1000}, TensorOptions(ScalarType::Float64)).to(device()).requires_grad_();
  const ValuesIndices r = max_pool2d_with_indices(x, {2, 2}, {}, {1, 1}, {2, 2});
  EXPECT_EQ(r.values.sizes(), IntArrayRef({4, 4, 1, 500}));
  EXPECT_THAT(r.values.to_vector<double>(), ::testing::Each(-std::numeric_limits<double>::infinity()));
  EXPECT_THAT(r.indices.to_vector<int64_t>(), ::testing::Each(-1));
  max_pool2d(x, {2, 2}, {}, {1, 1}, {2, 2}).sum().backward();
  EXPECT_THAT(x.grad().to_vector<double>(), ::testing::Each(0.0));
  // Two rows: the windows' second row is in the input, so only their columns decide.
  const Tensor y = arange(10.0).view({1, 1, 2, 5}).to(device()).requires_grad_();
  const ValuesIndices s = max_pool2d_with_indices(y, {2, 2}, {}, {1, 1}, {2, 2});
  EXPECT_EQ(s.values.to_vector<float>(), (std::vector<float>{6, 8, 8}));  // PyTorch's values and indices
  EXPECT_EQ(s.indices.to_vector<int64_t>(), (std::vector<int64_t>{6, 8, 8}));
  max_pool2d(y, {2, 2}, {}, {1, 1}, {2, 2}).sum().backward();
  EXPECT_EQ(y.grad().to_vector<float>(), (std::vector<float>{0, 0, 0, 0, 0, 0, 1, 0, 2, 0}));
}

TEST_P(ConvOnDevice, MaxPool2dNaNAndInfinity) {
  NoGradGuard no_grad;
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const Tensor x = from_vector(std::vector<double>{1, nan, 3, 4, -inf, -inf, -inf, -inf}, {1, 2, 2, 2}).to(device());
  const ValuesIndices r = max_pool2d_with_indices(x, {2, 2});
  const std::vector<double> v = r.values.to_vector<double>();
  EXPECT_TRUE(std::isnan(v[0]));  // NaN wins, as in PyTorch
  EXPECT_EQ(v[1], -inf);
  EXPECT_EQ(r.indices.to_vector<int64_t>(), (std::vector<int64_t>{1, 0}));
  // Of several NaNs the last wins (a 3x3 window: the general kernel, not the 2x2 tiles).
  const Tensor y = from_vector(std::vector<double>{nan, 2, 5, nan, 5, 1, 0, 5, 3}, {1, 1, 3, 3}).to(device());
  const ValuesIndices s = max_pool2d_with_indices(y, {3, 3});
  EXPECT_TRUE(std::isnan(s.values.item<double>()));
  EXPECT_EQ(s.indices.item<int64_t>(), 3);
}

TEST_P(ConvOnDevice, MaxPool2dTiesTakeTheFirstMaximum) {
  // Small integers: most windows hold several equal maxima, and the index is
  // that of the first in the window's row-major order, for every window shape.
  NoGradGuard no_grad;
  manual_seed(11);
  for (const PoolCase& c : pool_cases()) {
    const Tensor x = round(randn(c.input, TensorOptions(ScalarType::Float64)) * 1.5).to(device());
    const ValuesIndices got = max_pool2d_with_indices(x, c.kernel, c.stride, c.padding, c.dilation, c.ceil_mode);
    const ValuesIndices ref = direct_max_pool(x, c);
    expect_close(got.values, ref.values, 0, c.name);
    EXPECT_EQ(got.indices.to_vector<int64_t>(), ref.indices.to_vector<int64_t>()) << c.name;
  }
}

Tensor direct_avg_pool(const Tensor& x, const PoolCase& c, bool count_include_pad, int64_t divisor) {
  const int64_t H = x.size(-2), W = x.size(-1), planes = x.numel() / (H * W);
  const std::vector<int64_t> s = c.stride.empty() ? c.kernel : c.stride;
  const int64_t OH = pool_out(H, c.kernel[0], s[0], c.padding[0], 1, c.ceil_mode);
  const int64_t OW = pool_out(W, c.kernel[1], s[1], c.padding[1], 1, c.ceil_mode);
  const std::vector<double> xv = x.to_vector<double>();
  std::vector<double> y;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        double sum = 0;
        int64_t inside = 0, padded = 0;
        for (int64_t i = 0; i < c.kernel[0]; ++i)
          for (int64_t j = 0; j < c.kernel[1]; ++j) {
            const int64_t ih = oh * s[0] - c.padding[0] + i, iw = ow * s[1] - c.padding[1] + j;
            // Positions in the padding count (count_include_pad); those past it do not.
            if (ih < H + c.padding[0] && iw < W + c.padding[1]) ++padded;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            sum += xv[(p * H + ih) * W + iw];
            ++inside;
          }
        y.push_back(sum / static_cast<double>(divisor > 0 ? divisor : count_include_pad ? padded : inside));
      }
  DimVector shape(x.sizes());
  shape[shape.size() - 2] = OH;
  shape[shape.size() - 1] = OW;
  return from_vector(y, shape);
}

TEST_P(ConvOnDevice, AvgPool2d) {
  const Device d = device();
  for (const PoolCase& c : pool_cases()) {
    if (c.dilation[0] != 1 || c.dilation[1] != 1) continue;  // avg_pool2d has no dilation
    for (bool include_pad : {true, false})
      for (int64_t divisor : {0, 3}) {
        const Tensor x = leaf(c.input, -1, 1, d);
        const std::optional<int64_t> div = divisor ? std::optional<int64_t>(divisor) : std::nullopt;
        const std::string what = c.name + (include_pad ? " include_pad" : "") + (divisor ? " divisor" : "");
        {
          NoGradGuard no_grad;
          expect_close(avg_pool2d(x, c.kernel, c.stride, c.padding, c.ceil_mode, include_pad, div),
                       direct_avg_pool(x, c, include_pad, divisor), 1e-12, what);
        }
        auto fn = [&](const TensorList& in) {
          return avg_pool2d(in[0], c.kernel, c.stride, c.padding, c.ceil_mode, include_pad, div);
        };
        EXPECT_TRUE(gradcheck(fn, {x})) << what;
      }
  }
  auto fn = [](const TensorList& in) { return avg_pool2d(in[0], {3, 2}, {1, 2}, {1, 1}); };
  EXPECT_TRUE(gradcheck(fn, {transposed_leaf({1, 2, 4, 5}, d)}));
}

TEST_P(ConvOnDevice, AdaptiveAvgPool2d) {
  const Device d = device();
  struct Case {
    DimVector input;
    std::vector<int64_t> out;
  };
  for (const Case& c : {Case{{2, 3, 7, 5}, {3, 2}}, Case{{1, 2, 4, 6}, {4, 4}}, Case{{3, 5, 5}, {2}},
                        Case{{2, 2, 3, 3}, {5, 4}}, Case{{2, 2, 6, 6}, {1, 1}}}) {
    const Tensor x = leaf(c.input, -1, 1, d);
    const int64_t oh = c.out[0], ow = c.out.size() > 1 ? c.out[1] : c.out[0];
    const int64_t H = x.size(-2), W = x.size(-1), planes = x.numel() / (H * W);
    std::vector<double> ref;
    const std::vector<double> xv = x.to_vector<double>();
    for (int64_t p = 0; p < planes; ++p)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          // Window [floor(i H / oh), ceil((i + 1) H / oh)).
          const int64_t h0 = i * H / oh, h1 = ((i + 1) * H + oh - 1) / oh;
          const int64_t w0 = j * W / ow, w1 = ((j + 1) * W + ow - 1) / ow;
          double sum = 0;
          for (int64_t h = h0; h < h1; ++h)
            for (int64_t w = w0; w < w1; ++w) sum += xv[(p * H + h) * W + w];
          ref.push_back(sum / static_cast<double>((h1 - h0) * (w1 - w0)));
        }
    DimVector shape(x.sizes());
    shape[shape.size() - 2] = oh;
    shape[shape.size() - 1] = ow;
    {
      NoGradGuard no_grad;
      expect_close(adaptive_avg_pool2d(x, c.out), from_vector(ref, shape), 1e-12, "adaptive");
    }
    auto fn = [&](const TensorList& in) { return adaptive_avg_pool2d(in[0], c.out); };
    EXPECT_TRUE(gradcheck(fn, {x}));
  }
  EXPECT_EQ(adaptive_avg_pool2d(leaf({1, 2, 4, 4}, -1, 1, d), {2, 2}).grad_fn()->name(), "AdaptiveAvgPool2DBackward0");
  EXPECT_EQ(adaptive_avg_pool2d(leaf({1, 2, 4, 4}, -1, 1, d), {1, 1}).grad_fn()->name(),
            "MeanBackward1");  // as in PyTorch
}

TEST(PoolOps, GradFnNames) {
  const Tensor x = leaf({1, 1, 4, 4});
  EXPECT_EQ(max_pool2d(x, {2}).grad_fn()->name(), "MaxPool2DWithIndicesBackward0");
  const ValuesIndices r = max_pool2d_with_indices(x, {2});
  EXPECT_EQ(r.values.grad_fn()->name(), "MaxPool2DWithIndicesBackward0");
  EXPECT_FALSE(r.indices.requires_grad());
  EXPECT_EQ(avg_pool2d(x, {2}).grad_fn()->name(), "AvgPool2DBackward0");
}

TEST(PoolOps, Errors) {
  const Tensor x = randn({1, 2, 4, 4});
  EXPECT_THROW_WITH(max_pool2d(randn({4, 4}), {2}), ValueError, "3D (unbatched) or 4D (batched) input");
  EXPECT_THROW_WITH(max_pool2d(x, {0, 2}), ValueError, "kernel size should be greater than zero, but got kH: 0 kW: 2");
  EXPECT_THROW_WITH(max_pool2d(x, {2}, {0}), ValueError, "stride should be greater than zero");
  EXPECT_THROW_WITH(max_pool2d(x, {2}, {}, {0}, {0}), ValueError, "dilation should be greater than zero");
  EXPECT_THROW_WITH(max_pool2d(x, {2}, {}, {2}), ValueError, "pad should be at least zero and at most half");
  EXPECT_THROW_WITH(max_pool2d(x, {2, 2, 2}), ValueError, "kernel_size must either be a single int, or a tuple");
  EXPECT_THROW_WITH(max_pool2d(x, {5}), ValueError, "given input size (2x4x4), the calculated output size (2x0x0)");
  EXPECT_THROW_WITH(max_pool2d(x.to(ScalarType::Int64), {2}), TypeError, "floating point");
  EXPECT_THROW_WITH(avg_pool2d(x, {2}, {}, {0}, false, true, 0), ValueError, "divisor must be not zero");
  EXPECT_THROW_WITH(adaptive_avg_pool2d(randn({4}), {2}), ValueError, "3D (unbatched) or 4D (batched) input");
  EXPECT_THROW_WITH(adaptive_avg_pool2d(x, {2, 2, 2}), ValueError, "output_size must either be a single int");
}

// ---- the window arithmetic shared with the CUDA kernels ----------------------------------------

// The gather form of the backward (backends/cuda/conv_pool.cu) inverts the
// forward's windows: the output positions pool_windows_holding(i) gives are
// exactly those whose pool_span holds i, for every geometry below. The CPU
// kernels run pool_span themselves, so the pooling tests above check it.
TEST(PoolWindow, WindowsHoldingInvertSpans) {
  for (PoolOp op : {PoolOp::Avg, PoolOp::AdaptiveAvg})
    for (int64_t in = 1; in <= 9; ++in)
      for (int64_t kernel = 1; kernel <= 4; ++kernel)
        for (int64_t stride = 1; stride <= 3; ++stride)
          for (int64_t pad = 0; pad <= kernel / 2; ++pad)
            for (bool ceil_mode : {false, true}) {
              int64_t out = 0;
              if (op == PoolOp::AdaptiveAvg) {
                if (kernel > 1 || stride > 1 || pad > 0 || ceil_mode) continue;
                for (out = 1; out <= 11; ++out)
                  for (int64_t i = 0; i < in; ++i) {
                    const PoolRange r = pool_windows_holding(op, i, in, out, 1, 1, 0);
                    for (int64_t o = 0; o < out; ++o) {
                      const PoolSpan w = pool_span(op, in, out, o, 1, 1, 0, 1);
                      const bool holds = w.begin <= i && i < w.end;
                      EXPECT_EQ(holds, r.begin <= o && o < r.end)
                          << "adaptive in " << in << " out " << out << " i " << i << " o " << o;
                    }
                  }
                continue;
              }
              const int64_t span = in + 2 * pad - kernel;
              if (span < 0) continue;
              out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
              if (ceil_mode && (out - 1) * stride >= in + pad) --out;  // the last window starts inside
              for (int64_t i = 0; i < in; ++i) {
                const PoolRange r = pool_windows_holding(op, i, in, out, kernel, stride, pad);
                for (int64_t o = 0; o < out; ++o) {
                  const PoolSpan w = pool_span(op, in, out, o, kernel, stride, pad, 1);
                  const bool holds = w.begin <= i && i < w.end;
                  EXPECT_EQ(holds, r.begin <= o && o < r.end) << "avg in " << in << " kernel " << kernel << " stride "
                                                              << stride << " pad " << pad << " i " << i << " o " << o;
                }
              }
            }
}

// Max windows start at their first in-bounds tap (stepping by the dilation)
// and end past their last tap, clipped to the input.
TEST(PoolWindow, MaxSpansStartAtTheFirstTapInside) {
  for (int64_t in = 1; in <= 8; ++in)
    for (int64_t kernel = 1; kernel <= 4; ++kernel)
      for (int64_t stride = 1; stride <= 3; ++stride)
        for (int64_t pad = 0; pad <= kernel / 2; ++pad)
          for (int64_t dilation = 1; dilation <= 3; ++dilation)
            for (int64_t o = 0; o < 6; ++o) {
              const PoolSpan w = pool_span(PoolOp::Max, in, 6, o, kernel, stride, pad, dilation);
              std::vector<int64_t> taps, got;
              for (int64_t t = 0; t < kernel; ++t) {
                const int64_t p = o * stride - pad + t * dilation;
                if (p >= 0 && p < in) taps.push_back(p);
              }
              for (int64_t p = w.begin; p < w.end; p += dilation) got.push_back(p);
              EXPECT_EQ(got, taps) << "in " << in << " kernel " << kernel << " stride " << stride << " pad " << pad
                                   << " dilation " << dilation << " o " << o;
            }
}

// col2im's gather (conv_output_pos) inverts im2col's mapping (conv_input_pos),
// and conv_valid_range is the set of outputs whose tap lands inside the input.
TEST(ConvWindow, OutputPosInvertsInputPos) {
  for (int64_t in = 1; in <= 8; ++in)
    for (int64_t out = 1; out <= 8; ++out)
      for (int64_t tap = 0; tap < 3; ++tap)
        for (int64_t stride = 1; stride <= 3; ++stride)
          for (int64_t pad = 0; pad <= 2; ++pad)
            for (int64_t dilation = 1; dilation <= 3; ++dilation) {
              for (int64_t i = 0; i < in; ++i) {
                int64_t want = -1;
                for (int64_t o = 0; o < out; ++o)
                  if (conv_input_pos(o, tap, stride, pad, dilation) == i) want = o;
                EXPECT_EQ(conv_output_pos(i, tap, stride, pad, dilation, out), want)
                    << "i " << i << " tap " << tap << " stride " << stride << " pad " << pad << " dilation "
                    << dilation << " out " << out;
              }
              const ConvValidRange r = conv_valid_range(tap * dilation, pad, stride, in, out);
              for (int64_t o = 0; o < out; ++o) {
                const int64_t p = conv_input_pos(o, tap, stride, pad, dilation);
                EXPECT_EQ(p >= 0 && p < in, r.lo <= o && o < r.hi) << "valid range, o " << o;
              }
            }
}

// ---- normalization ----------------------------------------------------------------------------

// (x - mean) / sqrt(var + eps) * w + b over `dims`, with wick's reductions.
Tensor reference_norm(const Tensor& x, IntArrayRef dims, const Tensor& w, const Tensor& b, double eps) {
  NoGradGuard no_grad;
  const std::vector<int64_t> d(dims.begin(), dims.end());
  const Tensor mu = mean(x, dims, true), var_ = var(x, d, 0, true);
  Tensor y = (x - mu) / sqrt(var_ + eps);
  if (w.defined()) y = y * w;
  if (b.defined()) y = y + b;
  return y;
}

// The normalizations' values and gradchecks run once per device (test_util.h).
class NormOnDevice : public wick::testing::OnEachDevice {};
WICK_ON_EACH_DEVICE(NormOnDevice);

TEST_P(NormOnDevice, BatchNormTraining) {
  const Device dev = device();
  const TensorOptions f64 = TensorOptions(ScalarType::Float64).device(dev);
  for (const DimVector& shape : {DimVector{6, 3}, DimVector{4, 3, 5}, DimVector{2, 3, 4, 3}}) {
    const Tensor x = leaf(shape, -2, 3, dev), w = leaf({3}, -1, 1, dev), b = leaf({3}, -1, 1, dev);
    const Tensor rm = zeros({3}, f64), rv = ones({3}, f64);
    // Broadcast weight, bias and reduction dims for the reference.
    DimVector pshape(shape.size(), 1);
    pshape[1] = 3;
    std::vector<int64_t> dims{0};
    for (size_t d = 2; d < shape.size(); ++d) dims.push_back(static_cast<int64_t>(d));
    const Tensor y = batch_norm(x, rm, rv, w, b, true, 0.3, 1e-5);
    expect_close(y, reference_norm(x, dims, w.view(pshape), b.view(pshape), 1e-5), 1e-10, "batch_norm");
    EXPECT_EQ(y.grad_fn()->name(), "NativeBatchNormBackward0");
    // running = 0.7 * running + 0.3 * batch statistic (unbiased variance).
    {
      NoGradGuard no_grad;
      expect_close(rm, mean(x, dims) * 0.3, 1e-12, "running_mean");
      expect_close(rv, var(x, dims, 1) * 0.3 + 0.7, 1e-12, "running_var");
    }
    auto fn = [](const TensorList& in) { return batch_norm(in[0], {}, {}, in[1], in[2], true, 0.1, 1e-5); };
    EXPECT_TRUE(gradcheck(fn, {x, w, b}));
    auto no_affine = [](const TensorList& in) { return batch_norm(in[0], {}, {}, {}, {}, true, 0.1, 1e-3); };
    EXPECT_TRUE(gradcheck(no_affine, {x}));
  }
  // Non-contiguous input.
  auto fn = [](const TensorList& in) { return batch_norm(in[0], {}, {}, in[1], {}, true); };
  EXPECT_TRUE(gradcheck(fn, {transposed_leaf({3, 2, 4, 3}, dev), leaf({2}, -1, 1, dev)}));
}

TEST_P(NormOnDevice, LargeMeanIsAccurate) {
  // One-pass statistics must not lose the variance under a large offset
  // (sum(x^2) / n - mean^2 would cancel to noise here).
  NoGradGuard no_grad;
  const Tensor x = (randn({16, 2, 8, 8}, TensorOptions(ScalarType::Float64)) * 1e-3 + 1e6).to(device());
  expect_close(batch_norm(x, {}, {}, {}, {}, true, 0.1, 0), reference_norm(x, {0, 2, 3}, {}, {}, 0), 1e-6,
               "batch_norm");
  expect_close(group_norm(x, 2, {}, {}, 0), reference_norm(x.view({16, 2, 64}), {2}, {}, {}, 0).view({16, 2, 8, 8}),
               1e-6, "group_norm");
}

TEST_P(NormOnDevice, BatchNormEval) {
  const Device d = device();
  const Tensor x = leaf({4, 3, 5}, -1, 1, d), w = leaf({3}, -1, 1, d), b = leaf({3}, -1, 1, d);
  const Tensor rm = tensor({0.5, -1, 2}, TensorOptions(ScalarType::Float64)).to(d);
  const Tensor rv = tensor({1.5, 0.25, 4}, TensorOptions(ScalarType::Float64)).to(d);
  const Tensor y = batch_norm(x, rm, rv, w, b, false, 0.1, 1e-5);
  {
    NoGradGuard no_grad;
    const Tensor ref = (x - rm.view({1, 3, 1})) / sqrt(rv.view({1, 3, 1}) + 1e-5) * w.view({1, 3, 1}) + b.view({1, 3, 1});
    expect_close(y, ref, 1e-12, "eval");
    EXPECT_EQ(rm.to_vector<double>(), (std::vector<double>{0.5, -1, 2}));  // untouched
  }
  auto fn = [&](const TensorList& in) { return batch_norm(in[0], rm, rv, in[1], in[2], false, 0.1, 1e-5); };
  EXPECT_TRUE(gradcheck(fn, {x, w, b}));
}

TEST_P(NormOnDevice, LayerNorm) {
  const Device d = device();
  const Tensor x = leaf({3, 4, 5}, -1, 1, d), w = leaf({4, 5}, -1, 1, d), b = leaf({4, 5}, -1, 1, d);
  expect_close(layer_norm(x, {4, 5}, w, b), reference_norm(x, {1, 2}, w, b, 1e-5), 1e-10, "2 dims");
  expect_close(layer_norm(x, {5}), reference_norm(x, {2}, {}, {}, 1e-5), 1e-10, "1 dim");
  EXPECT_EQ(layer_norm(x, {5}).grad_fn()->name(), "NativeLayerNormBackward0");
  auto fn = [](const TensorList& in) { return layer_norm(in[0], {4, 5}, in[1], in[2]); };
  EXPECT_TRUE(gradcheck(fn, {x, w, b}));
  auto last = [](const TensorList& in) { return layer_norm(in[0], {5}, in[1], {}, 1e-3); };
  EXPECT_TRUE(gradcheck(last, {transposed_leaf({2, 3, 5}, d), leaf({5}, -1, 1, d)}));
}

TEST_P(NormOnDevice, GroupNorm) {
  const Device d = device();
  const Tensor x = leaf({2, 6, 3, 2}, -1, 1, d), w = leaf({6}, -1, 1, d), b = leaf({6}, -1, 1, d);
  {
    NoGradGuard no_grad;
    const Tensor ref = reference_norm(x.view({2, 3, 2, 3, 2}), {2, 3, 4}, {}, {}, 1e-5).view({2, 6, 3, 2}) *
                           w.view({1, 6, 1, 1}) + b.view({1, 6, 1, 1});
    expect_close(group_norm(x, 3, w, b), ref, 1e-10, "group_norm");
  }
  EXPECT_EQ(group_norm(x, 3, w, b).grad_fn()->name(), "NativeGroupNormBackward0");
  for (int64_t groups : {1, 2, 6}) {
    auto fn = [groups](const TensorList& in) { return group_norm(in[0], groups, in[1], in[2]); };
    EXPECT_TRUE(gradcheck(fn, {x, w, b})) << groups;
  }
  auto fn = [](const TensorList& in) { return group_norm(in[0], 2, {}, {}, 1e-3); };
  EXPECT_TRUE(gradcheck(fn, {transposed_leaf({3, 4, 5}, d)}));
}

TEST(NormOps, Errors) {
  const Tensor x = randn({2, 3, 4});
  EXPECT_THROW_WITH(batch_norm(randn({1, 3}), {}, {}, {}, {}, true), ValueError,
                    "Expected more than 1 value per channel when training, got input size [1, 3]");
  EXPECT_THROW_WITH(batch_norm(x, zeros({4}), ones({3}), {}, {}, true), ValueError,
                    "expected running_mean to have 3 elements (the channels of input of size [2, 3, 4]), but got "
                    "running_mean of size [4]");
  EXPECT_THROW_WITH(batch_norm(x, {}, {}, {}, {}, false), ValueError, "must be defined in evaluation mode");
  EXPECT_THROW_WITH(batch_norm(x, {}, {}, ones({3}, TensorOptions(ScalarType::Float64)), {}, true), TypeError,
                    "expected weight to have the input's dtype float32, but got float64");
  EXPECT_THROW_WITH(batch_norm(randn({3}), {}, {}, {}, {}, true), ValueError, "2 or more dims");
  EXPECT_THROW_WITH(layer_norm(x, {3}), ValueError,
                    "given normalized_shape=[3], expected input with shape [*, 3], but got input of size [2, 3, 4]");
  EXPECT_THROW_WITH(layer_norm(x, {4}, ones({3})), ValueError, "expected weight of shape [4]");
  EXPECT_THROW_WITH(group_norm(x, 2), ValueError,
                    "divisible by num_groups, but got input of size [2, 3, 4] and num_groups=2");
  EXPECT_THROW_WITH(group_norm(x, 3, ones({2})), ValueError, "expected weight to have 3 elements");
}

}  // namespace
