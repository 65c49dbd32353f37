// The autograd engine's behaviours: graph building, backward, retain_graph,
// hooks, grad modes, autograd::grad, higher order, version checks, anomaly
// mode, deep graphs and memory release.
#include <thread>

#include "test_util.h"

using namespace wick;
using wick::testing::leaf;

TEST(Autograd, GraphRecordsNodesAndEdges) {
  Tensor a = tensor({2.0}).requires_grad_();
  Tensor b = tensor({1.0}).requires_grad_();
  Tensor e = (a + b) * (b + 1);
  ASSERT_TRUE(e.grad_fn());
  EXPECT_EQ(e.grad_fn()->name(), "MulBackward0");
  ASSERT_EQ(e.grad_fn()->next_edges().size(), 2u);
  EXPECT_EQ(e.grad_fn()->next_edge(0).fn->name(), "AddBackward0");
  EXPECT_EQ(e.grad_fn()->next_edge(1).fn->name(), "AddBackward0");
  // a + b reaches both leaves' accumulators; b + 1 reaches b's and nothing for the number.
  const Node& ab = *e.grad_fn()->next_edge(0).fn;
  EXPECT_EQ(ab.next_edge(0).fn->name(), "AccumulateGrad");
  EXPECT_EQ(ab.next_edge(1).fn->name(), "AccumulateGrad");
  const Node& b1 = *e.grad_fn()->next_edge(1).fn;
  EXPECT_EQ(b1.next_edge(0).fn.get(), ab.next_edge(1).fn.get());  // one accumulator per leaf
  EXPECT_FALSE(b1.next_edge(1).is_valid());
  EXPECT_TRUE(a.is_leaf());
  EXPECT_FALSE(e.is_leaf());
  EXPECT_TRUE(e.requires_grad());
}

TEST(Autograd, NothingRecordedWithoutRequiresGrad) {
  Tensor x = tensor({1.0, 2.0});
  Tensor y = x * 2 + 1;
  EXPECT_FALSE(y.requires_grad());
  EXPECT_FALSE(y.grad_fn());
  EXPECT_THROW_WITH(y.sum().backward(), Error, "does not require grad");
}

TEST(Autograd, SecondBackwardWithoutRetainGraphFails) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  Tensor y = x.exp().sum();
  y.backward();
  EXPECT_THROW_WITH(y.backward(), Error, "backward through the graph a second time");
}

TEST(Autograd, RetainGraphAllowsSecondBackwardAndAccumulates) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  Tensor y = x.exp().sum();
  y.backward({}, /*retain_graph=*/true);
  y.backward();
  const std::vector<float> g = x.grad().to_vector<float>();
  EXPECT_NEAR(g[0], 2 * std::exp(1.0), 1e-5);
  EXPECT_NEAR(g[1], 2 * std::exp(2.0), 1e-4);
}

TEST(Autograd, NonScalarBackwardNeedsGradient) {
  Tensor x = tensor({1.0, 2.0, 3.0}).requires_grad_();
  Tensor y = x * 2;
  EXPECT_THROW_WITH(y.backward(), Error, "grad can be implicitly created only for scalar outputs");
  EXPECT_THROW_WITH(y.backward(tensor({1.0, 1.0})), ValueError, "Mismatch in shape");
  y.backward(tensor({1.0, 0.1, 0.01}));
  const std::vector<float> g = x.grad().to_vector<float>();
  EXPECT_FLOAT_EQ(g[0], 2.0f);
  EXPECT_FLOAT_EQ(g[1], 0.2f);
  EXPECT_FLOAT_EQ(g[2], 0.02f);
}

TEST(Autograd, GradientsFromSeveralPathsAreSummed) {
  Tensor x = tensor({3.0}).requires_grad_();
  Tensor y = x * x + x;  // dy/dx = 2x + 1
  y.backward();
  EXPECT_DOUBLE_EQ(x.grad().item<double>(), 7.0);
}

TEST(Autograd, LeafGradDoesNotAliasUserGradient) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  Tensor g = tensor({1.0, 1.0});
  (x * 1).backward(g);
  g.fill_(5);
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{1, 1}));
}

TEST(Autograd, HooksSeeAndReplaceGradients) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  std::vector<float> seen;
  const size_t h = x.register_hook([&](const Tensor& g) {
    seen = g.to_vector<float>();
    return g * 10;
  });
  Tensor mid = x * 3;
  mid.register_hook([](const Tensor& g) { return g + 1; });
  mid.sum().backward({}, true);
  EXPECT_EQ(seen, (std::vector<float>{6, 6}));  // (1 + 1) * 3
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{60, 60}));
  x.remove_hook(h);
  x.grad().zero_();
  mid.sum().backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{6, 6}));
}

TEST(Autograd, NonLeafHooksAreRemovedByHandle) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  Tensor mid = x * 3;
  const size_t h = mid.register_hook([](const Tensor& g) { return g + 1; });
  mid.remove_hook(h);
  mid.sum().backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{3, 3}));
}

TEST(Autograd, NoGradAndEnableGradScopes) {
  Tensor x = tensor({1.0}).requires_grad_();
  {
    NoGradGuard no_grad;
    Tensor y = x * 2;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_FALSE(GradMode::is_enabled());
    {
      EnableGradGuard enable;
      EXPECT_TRUE((x * 2).requires_grad());
    }
    EXPECT_FALSE(GradMode::is_enabled());
  }
  EXPECT_TRUE(GradMode::is_enabled());
  EXPECT_TRUE((x * 2).requires_grad());
}

TEST(Autograd, GradFunctionDoesNotTouchDotGrad) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  Tensor w = tensor({3.0, 4.0}).requires_grad_();
  Tensor y = (x * w).sum();
  TensorList g = autograd::grad({y}, {x});
  EXPECT_EQ(g[0].to_vector<float>(), (std::vector<float>{3, 4}));
  EXPECT_FALSE(x.grad().defined());
  EXPECT_FALSE(w.grad().defined());
  Tensor unused = tensor({1.0}).requires_grad_();
  Tensor y2 = (x * w).sum();
  EXPECT_THROW_WITH(autograd::grad({y2}, {unused}, {}, true), Error, "allow_unused=True");
  TensorList g2 = autograd::grad({y2}, {unused, w}, {}, false, false, /*allow_unused=*/true);
  EXPECT_FALSE(g2[0].defined());
  EXPECT_EQ(g2[1].to_vector<float>(), (std::vector<float>{1, 2}));
}

TEST(Autograd, GradOfIntermediateTensor) {
  Tensor x = tensor({2.0}).requires_grad_();
  Tensor h = x * 3;
  Tensor y = h * h;  // dy/dh = 2h = 12
  TensorList g = autograd::grad({y}, {h});
  EXPECT_DOUBLE_EQ(g[0].item<double>(), 12.0);
}

TEST(Autograd, HigherOrderGradients) {
  Tensor x = tensor({2.0}, ScalarType::Float64).requires_grad_();
  Tensor y = x.pow(3);  // y' = 3x^2 = 12, y'' = 6x = 12, y''' = 6
  TensorList d1 = autograd::grad({y}, {x}, {}, {}, /*create_graph=*/true);
  EXPECT_DOUBLE_EQ(d1[0].item<double>(), 12.0);
  ASSERT_TRUE(d1[0].requires_grad());
  TensorList d2 = autograd::grad({d1[0]}, {x}, {}, {}, true);
  EXPECT_DOUBLE_EQ(d2[0].item<double>(), 12.0);
  TensorList d3 = autograd::grad({d2[0]}, {x});
  EXPECT_DOUBLE_EQ(d3[0].item<double>(), 6.0);
}

TEST(Autograd, HigherOrderThroughSavedOutputs) {
  // tanh saves its output; the second derivative needs that output's own history.
  Tensor x = tensor({0.5}, ScalarType::Float64).requires_grad_();
  Tensor y = x.tanh();
  TensorList d1 = autograd::grad({y}, {x}, {}, {}, true);
  TensorList d2 = autograd::grad({d1[0]}, {x});
  const double t = std::tanh(0.5);
  EXPECT_NEAR(d1[0].item<double>(), 1 - t * t, 1e-12);
  EXPECT_NEAR(d2[0].item<double>(), -2 * t * (1 - t * t), 1e-12);
}

TEST(Autograd, ReluBackwardIsOneDifferentiableOp) {
  // d/dx sum(relu(x) * w) = w * (x > 0), through relu's fused backward;
  // its derivative in w is then the mask (x > 0), including 0 at x = 0.
  Tensor x = tensor({-1.0, 0.0, 2.0, 3.0}, ScalarType::Float64).requires_grad_();
  Tensor w = tensor({5.0, 6.0, 7.0, 8.0}, ScalarType::Float64).requires_grad_();
  TensorList gx = autograd::grad({(relu(x) * w).sum()}, {x}, {}, {}, /*create_graph=*/true);
  EXPECT_EQ(gx[0].grad_fn()->name(), "ThresholdBackwardBackward0");
  EXPECT_EQ(gx[0].to_vector<double>(), (std::vector<double>{0, 0, 7, 8}));
  TensorList gw = autograd::grad({gx[0].sum()}, {w});
  EXPECT_EQ(gw[0].to_vector<double>(), (std::vector<double>{0, 0, 1, 1}));
  // The kernel itself, on broadcast and NaN inputs: NaN outputs pass the gradient, as in PyTorch.
  const double nan = std::nan("");
  Tensor result = tensor({nan, -1.0, 4.0, 0.0, 1.0, -2.0}, ScalarType::Float64).view({2, 3});
  EXPECT_EQ(threshold_backward(tensor({1.0, 2.0, 3.0}, ScalarType::Float64), result).to_vector<double>(),
            (std::vector<double>{1, 0, 3, 0, 2, 0}));
  // Its own derivative in grad, against finite differences (broadcast grad, away from the step).
  Tensor g = tensor({0.5, -1.5, 2.0}, ScalarType::Float64).requires_grad_();
  Tensor y = tensor({-1.0, 0.5, 4.0, 0.25, 1.0, -2.0}, ScalarType::Float64).view({2, 3});
  EXPECT_TRUE(gradcheck([&](const TensorList& in) { return threshold_backward(in[0], y); }, {g}));
}

TEST(Autograd, BackwardWithCreateGraphGivesDifferentiableGrad) {
  Tensor x = tensor({3.0}, ScalarType::Float64).requires_grad_();
  Tensor y = x * x * x;
  y.backward({}, false, /*create_graph=*/true);
  Tensor g = x.grad();  // 3x^2 = 27, with a graph
  EXPECT_DOUBLE_EQ(g.item<double>(), 27.0);
  ASSERT_TRUE(g.requires_grad());
  TensorList gg = autograd::grad({g}, {x});
  EXPECT_DOUBLE_EQ(gg[0].item<double>(), 18.0);
  // x.grad -> its grad_fn -> the saved x is a reference cycle (as in PyTorch,
  // which warns about it): reset .grad to break it.
  x.set_grad(Tensor());
}

TEST(Autograd, InplaceChangeOfSavedTensorIsDetected) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  Tensor y = x.exp();
  Tensor z = y.sum();
  y.add_(1);
  EXPECT_THROW_WITH(z.backward(), Error, "modified by an inplace operation");
  Tensor y2 = x.exp();
  Tensor z2 = y2.sum();
  y2.mul_(2);
  EXPECT_THROW_WITH(z2.backward(), Error, "ExpBackward0");
}

TEST(Autograd, InplaceOnLeafRequiringGradIsAnError) {
  Tensor w = tensor({1.0}).requires_grad_();
  EXPECT_THROW_WITH(w.add_(1), Error, "a leaf Variable that requires grad is being used in an in-place operation");
  {
    NoGradGuard no_grad;
    w.add_(1);  // optimizers update parameters this way
  }
  EXPECT_DOUBLE_EQ(w.item<double>(), 2.0);
}

TEST(Autograd, InplaceOnNonLeafIsRecorded) {
  Tensor x = tensor({1.0, -2.0}).requires_grad_();
  Tensor y = x * 3;
  y.relu_();
  EXPECT_EQ(y.grad_fn()->name(), "ReluBackward0");
  y.sum().backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{3, 0}));
}

TEST(Autograd, AnomalyModeNamesTheFailingNode) {
  DetectAnomalyGuard anomaly;
  Tensor x = tensor({0.0, 1.0}).requires_grad_();
  Tensor y = x.sqrt().sum();  // d sqrt(x)/dx is inf at 0
  EXPECT_THROW_WITH(y.backward(), Error, "SqrtBackward0");
}

TEST(Autograd, OnlyFloatingTensorsRequireGrad) {
  Tensor i = arange(3);
  EXPECT_THROW_WITH(i.requires_grad_(), Error, "floating point");
  Tensor y = tensor({1.0}).requires_grad_() * 2;
  EXPECT_THROW_WITH(y.requires_grad_(false), Error, "leaf variables");
}

TEST(Autograd, DetachSharesStorageAndCutsTheGraph) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  Tensor y = x * 2;
  Tensor d = y.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_EQ(d.raw_data(), y.raw_data());
}

TEST(Autograd, ZeroSizeBackward) {
  Tensor x = zeros({0, 3}, TensorOptions().requires_grad());
  (x * 2).sum().backward();
  EXPECT_EQ(x.grad().sizes(), IntArrayRef({0, 3}));
}

TEST(Autograd, BroadcastGradientsAreSummedToInputShape) {
  Tensor a = ones({2, 3}, TensorOptions().requires_grad());
  Tensor b = ones({3}, TensorOptions().requires_grad());
  (a * b).sum().backward();
  EXPECT_EQ(b.grad().sizes(), IntArrayRef({3}));
  EXPECT_EQ(b.grad().to_vector<float>(), (std::vector<float>{2, 2, 2}));
}

TEST(Autograd, MixedDtypeGradientsTakeTheInputDtype) {
  Tensor a = tensor({1.0, 2.0}, ScalarType::Float32).requires_grad_();
  Tensor b = tensor({3.0, 4.0}, ScalarType::Float64).requires_grad_();
  Tensor y = (a * b).sum();
  EXPECT_EQ(y.dtype(), ScalarType::Float64);
  y.backward();
  EXPECT_EQ(a.grad().dtype(), ScalarType::Float32);
  EXPECT_EQ(b.grad().dtype(), ScalarType::Float64);
}

// A chain of 100,000 ops runs backward and is freed without deep recursion.
TEST(Autograd, VeryDeepGraph) {
  Tensor x = tensor({1.0}).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = y * 1.0;
  y.backward();
  EXPECT_DOUBLE_EQ(x.grad().item<double>(), 1.0);
  Tensor z = x;
  for (int i = 0; i < 100000; ++i) z = z + 1;
  z = Tensor();  // destroys the whole unexecuted graph
  SUCCEED();
}

// seeds 002: a 1,000,000-element float32 tensor through 100 relu ops holds
// about 400 MB of saved outputs; after backward only input, output and
// gradient remain.
TEST(Autograd, SavedTensorsAreFreedAfterBackward) {
  const int64_t n = 1000000, bytes = n * 4;
  const int64_t base = memory_allocated();
  Tensor x = randn({n}).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 100; ++i) y = y.relu();
  const int64_t held = memory_allocated() - base;
  EXPECT_GE(held, 100 * bytes);
  EXPECT_LE(held, 102 * bytes);
  y.sum().backward();
  const int64_t after = memory_allocated() - base;
  EXPECT_GE(after, 3 * bytes);      // x, y, x.grad
  EXPECT_LE(after, 3 * bytes + 64);  // and nothing else of size
}

TEST(Autograd, RetainGraphKeepsSavedTensors) {
  const int64_t n = 100000, bytes = n * 4;
  const int64_t base = memory_allocated();
  Tensor x = randn({n}).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 10; ++i) y = y.relu();
  y.sum().backward({}, /*retain_graph=*/true);
  EXPECT_GE(memory_allocated() - base, 11 * bytes);
  y = Tensor();
  x = Tensor();
  EXPECT_LE(memory_allocated() - base, 64);
}

// backward(inputs=): only the given tensors' .grad are written, and only the
// part of the graph leading to them runs; a non-leaf among them keeps its
// gradient (it is made to retain it), as in PyTorch.
TEST(Autograd, BackwardWithInputsAccumulatesOnlyIntoThem) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  Tensor w = tensor({3.0, 4.0}).requires_grad_();
  Tensor h = x * w;
  Tensor y = (h * h).sum();  // dy/dh = 2h = (6, 16); dy/dx = 2h * w = (18, 64); dy/dw = 2h * x = (6, 32)
  autograd::backward({y}, {}, /*retain_graph=*/true, /*create_graph=*/false, {x});
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{18, 64}));
  EXPECT_FALSE(w.grad().defined());
  EXPECT_FALSE(h.grad().defined());

  autograd::backward({y}, {}, true, false, {h, w});
  EXPECT_EQ(h.grad().to_vector<double>(), (std::vector<double>{6, 16}));
  EXPECT_TRUE(h.retains_grad());
  EXPECT_EQ(w.grad().to_vector<double>(), (std::vector<double>{6, 32}));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{18, 64}));  // untouched by the second call

  // Accumulates like a plain backward, and without retain_graph frees what it ran.
  autograd::backward({y}, {}, false, false, {x});
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{36, 128}));
  EXPECT_THROW_WITH(y.backward(), Error, "backward through the graph a second time");
}

TEST(Autograd, BackwardWithInputsSkipsTheRestOfTheGraph) {
  // A hook on a branch that does not lead to the input must not run.
  Tensor x = tensor({1.0}).requires_grad_();
  Tensor z = tensor({2.0}).requires_grad_();
  Tensor zz = z * 3;
  bool ran = false;
  zz.register_hook([&](const Tensor&) {
    ran = true;
    return Tensor();
  });
  Tensor y = (x * 2 + zz).sum();
  autograd::backward({y}, {}, false, false, {x});
  EXPECT_EQ(x.grad().item<double>(), 2.0);
  EXPECT_FALSE(ran);
  EXPECT_FALSE(z.grad().defined());
}

TEST(Autograd, BackwardWithInputsEdgeCases) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  Tensor unused = tensor({5.0}).requires_grad_();
  Tensor y = (x * x).sum();
  // An input the roots do not depend on gets nothing, without an error.
  autograd::backward({y}, {}, true, false, {unused});
  EXPECT_FALSE(unused.grad().defined());
  EXPECT_FALSE(x.grad().defined());
  // A root that is itself the input.
  autograd::backward({x}, {tensor({1.0, 1.0})}, false, false, {x});
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{1, 1}));
  EXPECT_THROW_WITH(autograd::backward({y}, {}, true, false, {tensor({1.0})}), Error, "does not require grad");
  // create_graph: the accumulated gradient is differentiable.
  x.set_grad(Tensor());
  autograd::backward({y}, {}, true, /*create_graph=*/true, {x});
  ASSERT_TRUE(x.grad().requires_grad());
  Tensor g = x.grad();
  x.set_grad(Tensor());
  autograd::backward({g.sum()}, {}, false, false, {x});
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{2, 2}));
}

// Note [Nodes without gradients]: a node whose every incoming gradient is
// undefined (here a user node returns none for its input) is not applied.
namespace {
struct DropsGradient final : Node {
  std::string_view name() const override { return "DropsGradient"; }
  TensorList apply(TensorList&&) override { return {Tensor()}; }
};
}  // namespace

TEST(Autograd, NodeReceivingNoGradientIsSkipped) {
  Tensor x = tensor({1.0, 2.0, 3.0}).requires_grad_();
  Tensor base = zeros({2, 3});
  base.select(0, 1).copy_(x * 2);  // base's history is now CopySlices over MulBackward0
  ASSERT_EQ(base.grad_fn()->name(), "CopySlices");
  auto node = make_node<DropsGradient>(base);
  Tensor out = base.detach();
  set_history(out, node);
  out.sum().backward();  // CopySlices and MulBackward0 receive nothing: they do not run
  EXPECT_FALSE(x.grad().defined());
}

// ---- post-accumulate-grad hooks (Note [Post-accumulate-grad hooks]) ----------

TEST(Autograd, PostAccumulateGradHookSeesTheUpdatedGrad) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  std::vector<std::vector<float>> seen;
  int calls = 0;
  x.register_post_accumulate_grad_hook([&](const Tensor& t) {
    ++calls;
    EXPECT_TRUE(t.is_same(x));
    seen.push_back(t.grad().to_vector<float>());
  });
  // Two paths into x: the engine sums them first, so the hook runs once per backward.
  Tensor y = (x * x).sum() + (x * 3).sum();
  y.backward({}, /*retain_graph=*/true);
  EXPECT_EQ(calls, 1);
  y.backward();  // accumulates: the hook sees the sum
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(seen, (std::vector<std::vector<float>>{{5, 7}, {10, 14}}));
}

TEST(Autograd, PostAccumulateGradHookRunsAfterTheLeafHookForEachLeaf) {
  Tensor a = tensor({1.0}).requires_grad_();
  Tensor b = tensor({2.0}).requires_grad_();
  std::vector<std::string> events;
  a.register_hook([&](const Tensor& g) {
    events.push_back("a hook, grad defined: " + std::to_string(a.grad().defined()));
    return g * 10;  // replaces the gradient before it is accumulated
  });
  a.register_post_accumulate_grad_hook(
      [&](const Tensor& t) { events.push_back("a post " + std::to_string(t.grad().item<float>())); });
  b.register_post_accumulate_grad_hook(
      [&](const Tensor& t) { events.push_back("b post " + std::to_string(t.grad().item<float>())); });
  (a * b).backward();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(std::count(events.begin(), events.end(), "a hook, grad defined: 0"), 1);
  EXPECT_EQ(std::count(events.begin(), events.end(), "a post 20.000000"), 1);
  EXPECT_EQ(std::count(events.begin(), events.end(), "b post 1.000000"), 1);
  EXPECT_LT(std::find(events.begin(), events.end(), "a hook, grad defined: 0") - events.begin(),
            std::find(events.begin(), events.end(), "a post 20.000000") - events.begin());
}

TEST(Autograd, PostAccumulateGradHookRunsWhileBackwardStillRuns) {
  // w2's accumulator is created after exp's node, so it runs first, before
  // the nodes that lead to w1: its hook fires before the graph has finished.
  Tensor x = tensor({1.0, 2.0});
  Tensor w1 = tensor({0.5, 0.5}).requires_grad_();
  Tensor w2 = tensor({3.0, 3.0}).requires_grad_();
  std::vector<std::string> events;
  Tensor h = x * w1;
  h.register_hook([&](const Tensor&) {
    events.push_back("h");
    return Tensor();
  });
  w1.register_post_accumulate_grad_hook([&](const Tensor&) { events.push_back("w1"); });
  w2.register_post_accumulate_grad_hook([&](const Tensor&) { events.push_back("w2"); });
  (h.exp() * w2).sum().backward();
  EXPECT_EQ(events, (std::vector<std::string>{"w2", "h", "w1"}));
}

TEST(Autograd, PostAccumulateGradHookRemovalAndRefusals) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  int calls = 0;
  const size_t h = x.register_post_accumulate_grad_hook([&](const Tensor&) { ++calls; });
  x.remove_hook(h);
  (x * 2).sum().backward();
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(x.grad().defined());

  // Only a leaf's .grad is accumulated into.
  Tensor mid = x * 2;
  EXPECT_THROW_WITH(mid.register_post_accumulate_grad_hook([](const Tensor&) {}), Error,
                    "post accumulate grad hooks cannot be registered on non-leaf tensors");
  EXPECT_THROW_WITH(tensor({1.0}).register_post_accumulate_grad_hook([](const Tensor&) {}), Error,
                    "cannot register a hook on a tensor that doesn't require gradient");
}

TEST(Autograd, PostAccumulateGradHookOnlyWhereDotGradIsWritten) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  Tensor z = tensor({3.0}).requires_grad_();
  int calls = 0;
  x.register_post_accumulate_grad_hook([&](const Tensor&) { ++calls; });
  Tensor y = (x * z).sum();
  autograd::grad({y}, {x}, {}, /*retain_graph=*/true);  // grad() writes no .grad
  EXPECT_EQ(calls, 0);
  autograd::backward({y}, {}, /*retain_graph=*/true, false, {z});  // only z's .grad
  EXPECT_EQ(calls, 0);
  autograd::backward({y}, {}, false, false, {x});
  EXPECT_EQ(calls, 1);
}

// ---- final callbacks (Note [Final callbacks]) ------------------------------------

TEST(Autograd, QueuedCallbackRunsAfterEveryNodeAndEveryGrad) {
  Tensor a = tensor({1.0, 2.0}).requires_grad_();
  Tensor b = tensor({3.0, 4.0}).requires_grad_();
  std::vector<std::string> events;
  Tensor mid = a * b;  // its hook runs before the accumulators of a and b
  mid.register_hook([&](const Tensor&) {
    events.push_back("mid");
    autograd::queue_callback([&] {
      events.push_back("callback");
      EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{3, 4}));
      EXPECT_EQ(b.grad().to_vector<float>(), (std::vector<float>{1, 2}));
    });
    return Tensor();
  });
  a.register_post_accumulate_grad_hook([&](const Tensor&) { events.push_back("a"); });
  b.register_post_accumulate_grad_hook([&](const Tensor&) { events.push_back("b"); });
  mid.sum().backward();
  events.push_back("returned");
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0], "mid");
  EXPECT_EQ(events[3], "callback");
  EXPECT_EQ(events[4], "returned");
}

TEST(Autograd, QueuedCallbacksRunInOrderAndMayQueueMore) {
  Tensor x = tensor({1.0}).requires_grad_();
  std::vector<int> order;
  Tensor y = x * 2;
  y.register_hook([&](const Tensor&) {
    autograd::queue_callback([&] {
      order.push_back(1);
      autograd::queue_callback([&] {
        order.push_back(3);
        autograd::queue_callback([&] { order.push_back(4); });
      });
    });
    autograd::queue_callback([&] { order.push_back(2); });
    return Tensor();
  });
  y.backward({}, /*retain_graph=*/true);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
  // Callbacks belong to one backward: the next one queues its own.
  order.clear();
  y.backward();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
}

TEST(Autograd, QueueCallbackOutsideBackwardIsAnError) {
  EXPECT_THROW_WITH(autograd::queue_callback([] {}), Error,
                    "Final callbacks can only be installed during backward pass.");
  Tensor x = tensor({1.0}).requires_grad_();
  (x * 2).sum().backward();
  EXPECT_THROW_WITH(autograd::queue_callback([] {}), Error,
                    "Final callbacks can only be installed during backward pass.");
}

TEST(Autograd, ExceptionsFromCallbacksPropagateAndFailedTasksDropTheirs) {
  Tensor x = tensor({1.0}).requires_grad_();
  bool later_ran = false;
  Tensor y = x * 2;
  const size_t h = y.register_hook([&](const Tensor&) {
    autograd::queue_callback([] { throw ValueError("callback failed"); });
    autograd::queue_callback([&] { later_ran = true; });
    return Tensor();
  });
  EXPECT_THROW_WITH(y.sum().backward({}, /*retain_graph=*/true), ValueError, "callback failed");
  EXPECT_FALSE(later_ran);
  EXPECT_THROW_WITH(autograd::queue_callback([] {}), Error, "only be installed during backward");

  // A backward that fails in a node does not run what it queued.
  y.remove_hook(h);
  bool ran = false;
  y.register_hook([&](const Tensor&) -> Tensor {
    autograd::queue_callback([&] { ran = true; });
    throw Error("hook failed");
  });
  EXPECT_THROW_WITH(y.sum().backward({}, /*retain_graph=*/true), Error, "hook failed");
  EXPECT_FALSE(ran);
  (x * 3).sum().backward();
  EXPECT_FALSE(ran);
}

namespace {
// A user node (as a custom Function's backward would) that queues a callback.
struct QueuesCallback final : Node {
  std::function<void()> callback;
  std::string_view name() const override { return "QueuesCallback"; }
  TensorList apply(TensorList&& grads) override {
    autograd::queue_callback(callback);
    return {grads[0]};
  }
};
}  // namespace

TEST(Autograd, NestedBackwardsQueueTheirOwnCallbacks) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  Tensor w = tensor({3.0}).requires_grad_();
  std::vector<std::string> events;
  auto node = make_node<QueuesCallback>(x);
  node->callback = [&] { events.push_back("outer node's"); };
  Tensor out = x.detach();
  set_history(out, node);
  Tensor y = out * 2;
  y.register_hook([&](const Tensor&) {
    // A backward inside a backward: its callbacks run when it returns.
    EnableGradGuard grad_mode;
    Tensor z = w * 3;
    z.register_hook([&](const Tensor&) {
      autograd::queue_callback([&] { events.push_back("inner"); });
      return Tensor();
    });
    TensorList g = autograd::grad({z.sum()}, {w});
    events.push_back("inner returned " + std::to_string(g[0].item<float>()));
    autograd::queue_callback([&] { events.push_back("outer hook's"); });
    return Tensor();
  });
  y.sum().backward();
  EXPECT_EQ(events, (std::vector<std::string>{"inner", "inner returned 3.000000", "outer hook's", "outer node's"}));
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{2, 2}));
}

// Note [Concurrent backward]: backward passes on several threads into one
// leaf lose no update (PyTorch's guarantee), both the first gradient, which
// creates .grad, and the later ones, which add into it.
TEST(Autograd, ConcurrentBackwardIntoOneLeafLosesNothing) {
  for (int round = 0; round < 5; ++round) {
    Tensor w = zeros({4096}).requires_grad_();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&w] {
        for (int i = 0; i < 400; ++i) (w * 1).sum().backward();
      });
    for (std::thread& thread : threads) thread.join();
    const std::vector<float> g = w.grad().to_vector<float>();
    EXPECT_EQ(g.front(), 1600) << "round " << round;
    EXPECT_EQ(g.back(), 1600) << "round " << round;
  }
}
