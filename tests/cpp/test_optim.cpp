// Optimizers, learning-rate schedulers and gradient clipping (optim/).
//
// Each optimizer runs 20 steps on a fixed quadratic and is compared, after
// every step, with a plain float64 re-implementation of its update written
// here from PyTorch's documented algorithm. The Python suite
// (tests/python/test_optim.py) compares the same against torch.optim itself.
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <numbers>
#include <string>

#include "io/checkpoint.h"
#include "optim/adagrad.h"
#include "optim/adam.h"
#include "optim/clip_grad.h"
#include "optim/lr_scheduler.h"
#include "optim/rmsprop.h"
#include "optim/sgd.h"
#include "tests/cpp/test_util.h"

using namespace wick;

namespace {

// ---- float64 references -------------------------------------------------------------------

using Vec = std::vector<double>;
// One update of the flat parameter vector x from the gradient g.
using RefStep = std::function<void(Vec& x, const Vec& g)>;

RefStep ref_sgd(double lr, double momentum, double dampening, double wd, bool nesterov, bool maximize) {
  auto buf = std::make_shared<Vec>();
  return [=](Vec& x, const Vec& g) {
    const bool first = buf->empty();
    buf->resize(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      double d = maximize ? -g[i] : g[i];
      if (wd != 0) d += wd * x[i];
      if (momentum != 0) {
        (*buf)[i] = first ? d : momentum * (*buf)[i] + (1 - dampening) * d;
        d = nesterov ? d + momentum * (*buf)[i] : (*buf)[i];
      }
      x[i] -= lr * d;
    }
  };
}

RefStep ref_adam(double lr, double beta1, double beta2, double eps, double wd, bool amsgrad, bool maximize,
                 bool decoupled) {
  struct State {
    Vec m, v, vmax;
    int t = 0;
  };
  auto s = std::make_shared<State>();
  return [=](Vec& x, const Vec& g) {
    if (s->t == 0) s->m = s->v = s->vmax = Vec(x.size(), 0.0);
    const int t = ++s->t;
    const double bc1 = 1 - std::pow(beta1, t), bc2 = 1 - std::pow(beta2, t);
    for (size_t i = 0; i < x.size(); ++i) {
      double d = maximize ? -g[i] : g[i];
      if (decoupled) x[i] *= 1 - lr * wd;
      else d += wd * x[i];
      s->m[i] = beta1 * s->m[i] + (1 - beta1) * d;
      s->v[i] = beta2 * s->v[i] + (1 - beta2) * d * d;
      s->vmax[i] = std::max(s->vmax[i], s->v[i]);
      const double v_hat = (amsgrad ? s->vmax[i] : s->v[i]) / bc2;
      x[i] -= lr * (s->m[i] / bc1) / (std::sqrt(v_hat) + eps);
    }
  };
}

RefStep ref_rmsprop(double lr, double alpha, double eps, double wd, double momentum, bool centered, bool maximize) {
  struct State {
    Vec sq, ga, buf;
  };
  auto s = std::make_shared<State>();
  return [=](Vec& x, const Vec& g) {
    if (s->sq.empty()) s->sq = s->ga = s->buf = Vec(x.size(), 0.0);
    for (size_t i = 0; i < x.size(); ++i) {
      double d = maximize ? -g[i] : g[i];
      d += wd * x[i];
      s->sq[i] = alpha * s->sq[i] + (1 - alpha) * d * d;
      double var = s->sq[i];
      if (centered) {
        s->ga[i] = alpha * s->ga[i] + (1 - alpha) * d;
        var -= s->ga[i] * s->ga[i];
      }
      const double denom = std::sqrt(var) + eps;
      if (momentum > 0) {
        s->buf[i] = momentum * s->buf[i] + d / denom;
        x[i] -= lr * s->buf[i];
      } else {
        x[i] -= lr * d / denom;
      }
    }
  };
}

RefStep ref_adagrad(double lr, double lr_decay, double wd, double init, double eps, bool maximize) {
  struct State {
    Vec sum;
    int t = 0;
  };
  auto s = std::make_shared<State>();
  return [=](Vec& x, const Vec& g) {
    if (s->sum.empty()) s->sum = Vec(x.size(), init);
    const int t = ++s->t;
    const double clr = lr / (1 + (t - 1) * lr_decay);
    for (size_t i = 0; i < x.size(); ++i) {
      double d = maximize ? -g[i] : g[i];
      d += wd * x[i];
      s->sum[i] += d * d;
      x[i] -= clr * d / (std::sqrt(s->sum[i]) + eps);
    }
  };
}

// ---- the trajectory harness ---------------------------------------------------------------

using MakeOptimizer = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;

// Two parameters on f(x) = sum 0.5 a (x - c)^2: 20 steps of the optimizer,
// each compared with the reference, which sees the gradient a (x_ref - c).
// With `large`, the first parameter is big enough for the kernel to run on
// several threads (the other cases keep the suite fast on a busy machine).
// The parameters live on `device` (the optimizer's state follows them there),
// so a device's optimizer_step kernel is held to the same float64 reference.
void expect_trajectory(ScalarType dtype, const MakeOptimizer& make, const RefStep& ref, double tol, bool large,
                       Device device = kCPU) {
  Generator gen(1234);
  const TensorOptions o(dtype);
  const std::vector<std::vector<int64_t>> shapes = {{large ? 2 * kParallelGrain + 1 : 37}, {3, 5}};
  std::vector<Tensor> params, a, c;
  for (const auto& shape : shapes) {
    params.push_back(rand(shape, o, &gen).mul_(4).add_(-2).to(device).requires_grad_());
    a.push_back(rand(shape, o, &gen).add_(0.5).to(device));
    c.push_back(rand(shape, o, &gen).to(device));
  }
  Vec x, av, cv;
  for (size_t k = 0; k < params.size(); ++k) {
    for (double v : params[k].cpu().to_vector<double>()) x.push_back(v);
    for (double v : a[k].cpu().to_vector<double>()) av.push_back(v);
    for (double v : c[k].cpu().to_vector<double>()) cv.push_back(v);
  }
  std::unique_ptr<optim::Optimizer> opt = make(params);
  for (int step = 0; step < 20; ++step) {
    {
      NoGradGuard no_grad;  // the gradient a (x - c), without a graph: the seeds' tests run the full loop
      for (size_t k = 0; k < params.size(); ++k) params[k].set_grad(a[k] * (params[k] - c[k]));
    }
    opt->step();
    Vec g(x.size());
    for (size_t i = 0; i < x.size(); ++i) g[i] = av[i] * (x[i] - cv[i]);
    ref(x, g);
    size_t i = 0;
    double worst = 0;
    for (const Tensor& p : params) {
      EXPECT_EQ(p.device(), device);
      for (double v : p.cpu().to_vector<double>()) {
        worst = std::max(worst, std::abs(v - x[i]) / (1 + std::abs(x[i])));
        ++i;
      }
    }
    ASSERT_LE(worst, tol) << "step " << step + 1 << ", dtype " << dtype;
  }
}

template <typename Opt, typename Options>
MakeOptimizer maker(Options options) {
  return [options](std::vector<Tensor> params) { return std::make_unique<Opt>(std::move(params), options); };
}

constexpr double kTol64 = 1e-11, kTol32 = 2e-5;

}  // namespace

// ---- trajectories ----------------------------------------------------------------------------

// Every option of every optimizer, on each device (its optimizer_step kernel).
class OptimOnDevice : public wick::testing::OnEachDevice {};
WICK_ON_EACH_DEVICE(OptimOnDevice);

TEST_P(OptimOnDevice, SGDTrajectories) {
  struct Case {
    double lr, momentum, dampening, wd;
    bool nesterov, maximize;
  };
  const Case cases[] = {{0.1, 0, 0, 0, false, false},   {0.05, 0.9, 0, 0, false, false},
                        {0.05, 0.9, 0.3, 0.01, false, false}, {0.05, 0.8, 0, 0.1, true, false},
                        {0.02, 0.5, 0, 0, false, true},  {0.1, 0, 0, 0.2, false, true}};
  for (const Case& k : cases) {
    SCOPED_TRACE(::testing::Message() << "lr " << k.lr << " momentum " << k.momentum << " dampening " << k.dampening
                                      << " wd " << k.wd << " nesterov " << k.nesterov << " maximize " << k.maximize);
    const auto options = optim::SGDOptions(k.lr)
                             .momentum(k.momentum)
                             .dampening(k.dampening)
                             .weight_decay(k.wd)
                             .nesterov(k.nesterov)
                             .maximize(k.maximize);
    for (auto [dtype, tol] : {std::pair{ScalarType::Float64, kTol64}, std::pair{ScalarType::Float32, kTol32}})
      expect_trajectory(dtype, maker<optim::SGD>(options),
                        ref_sgd(k.lr, k.momentum, k.dampening, k.wd, k.nesterov, k.maximize), tol, &k == cases,
                        device());
  }
}

TEST_P(OptimOnDevice, AdamAndAdamWTrajectories) {
  struct Case {
    double lr, beta1, beta2, eps, wd;
    bool amsgrad, maximize;
  };
  const Case cases[] = {{1e-2, 0.9, 0.999, 1e-8, 0, false, false},
                        {5e-2, 0.8, 0.99, 1e-6, 0.1, false, false},
                        {1e-2, 0.9, 0.999, 1e-8, 0.05, true, false},
                        {2e-2, 0.5, 0.9, 1e-3, 0, true, true}};
  for (const Case& k : cases) {
    SCOPED_TRACE(::testing::Message() << "lr " << k.lr << " betas " << k.beta1 << "," << k.beta2 << " wd " << k.wd
                                      << " amsgrad " << k.amsgrad << " maximize " << k.maximize);
    const auto adam = optim::AdamOptions(k.lr)
                          .betas({k.beta1, k.beta2})
                          .eps(k.eps)
                          .weight_decay(k.wd)
                          .amsgrad(k.amsgrad)
                          .maximize(k.maximize);
    const auto adamw = optim::AdamWOptions(k.lr)
                           .betas({k.beta1, k.beta2})
                           .eps(k.eps)
                           .weight_decay(k.wd)
                           .amsgrad(k.amsgrad)
                           .maximize(k.maximize);
    for (auto [dtype, tol] : {std::pair{ScalarType::Float64, kTol64}, std::pair{ScalarType::Float32, kTol32}}) {
      expect_trajectory(dtype, maker<optim::Adam>(adam),
                        ref_adam(k.lr, k.beta1, k.beta2, k.eps, k.wd, k.amsgrad, k.maximize, false), tol,
                        &k == cases, device());
      expect_trajectory(dtype, maker<optim::AdamW>(adamw),
                        ref_adam(k.lr, k.beta1, k.beta2, k.eps, k.wd, k.amsgrad, k.maximize, true), tol,
                        &k == cases, device());
    }
  }
}

TEST_P(OptimOnDevice, RMSpropTrajectories) {
  struct Case {
    double lr, alpha, eps, wd, momentum;
    bool centered, maximize;
  };
  const Case cases[] = {{1e-2, 0.99, 1e-8, 0, 0, false, false},
                        {1e-2, 0.9, 1e-6, 0.1, 0.9, false, false},
                        {5e-3, 0.95, 1e-8, 0, 0, true, false},
                        {5e-3, 0.9, 1e-5, 0.05, 0.5, true, true}};
  for (const Case& k : cases) {
    SCOPED_TRACE(::testing::Message() << "alpha " << k.alpha << " wd " << k.wd << " momentum " << k.momentum
                                      << " centered " << k.centered << " maximize " << k.maximize);
    const auto options = optim::RMSpropOptions(k.lr)
                             .alpha(k.alpha)
                             .eps(k.eps)
                             .weight_decay(k.wd)
                             .momentum(k.momentum)
                             .centered(k.centered)
                             .maximize(k.maximize);
    for (auto [dtype, tol] : {std::pair{ScalarType::Float64, kTol64}, std::pair{ScalarType::Float32, kTol32}})
      expect_trajectory(dtype, maker<optim::RMSprop>(options),
                        ref_rmsprop(k.lr, k.alpha, k.eps, k.wd, k.momentum, k.centered, k.maximize), tol,
                        &k == cases, device());
  }
}

TEST_P(OptimOnDevice, AdagradTrajectories) {
  struct Case {
    double lr, lr_decay, wd, init, eps;
    bool maximize;
  };
  const Case cases[] = {
      {0.1, 0, 0, 0, 1e-10, false}, {0.2, 0.05, 0.1, 0.5, 1e-6, false}, {0.1, 0.01, 0, 0.1, 1e-10, true}};
  for (const Case& k : cases) {
    SCOPED_TRACE(::testing::Message() << "lr_decay " << k.lr_decay << " wd " << k.wd << " init " << k.init
                                      << " maximize " << k.maximize);
    const auto options = optim::AdagradOptions(k.lr)
                             .lr_decay(k.lr_decay)
                             .weight_decay(k.wd)
                             .initial_accumulator_value(k.init)
                             .eps(k.eps)
                             .maximize(k.maximize);
    for (auto [dtype, tol] : {std::pair{ScalarType::Float64, kTol64}, std::pair{ScalarType::Float32, kTol32}})
      expect_trajectory(dtype, maker<optim::Adagrad>(options),
                        ref_adagrad(k.lr, k.lr_decay, k.wd, k.init, k.eps, k.maximize), tol, &k == cases,
                        device());
  }
}

// ---- optimizer mechanics ---------------------------------------------------------------------

TEST(Optim, StepBumpsVersionAndSkipsParametersWithoutGradient) {
  Tensor w = tensor({1.0, 2.0}).requires_grad_();
  Tensor unused = tensor({3.0}).requires_grad_();
  optim::SGD opt({w, unused}, optim::SGDOptions(0.5));
  (w * w).sum().backward();
  const uint32_t before = w.version();
  opt.step();
  EXPECT_GT(w.version(), before);
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{0.0f, 0.0f}));  // w - 0.5 * 2w
  EXPECT_EQ(unused.to_vector<float>(), (std::vector<float>{3.0f}));
  EXPECT_FALSE(w.grad_fn());
  EXPECT_TRUE(w.requires_grad());
  EXPECT_EQ(opt.step_count(), 1);
}

TEST(Optim, NonContiguousParameter) {
  Tensor p = wick::testing::noncontiguous_leaf({4, 3});
  ASSERT_FALSE(p.is_contiguous());
  Tensor q = p.detach().clone().requires_grad_();
  optim::Adam a({p}, optim::AdamOptions(0.1));
  optim::Adam b({q}, optim::AdamOptions(0.1));
  for (int i = 0; i < 3; ++i) {
    a.zero_grad();
    b.zero_grad();
    (p * p * p).sum().backward();
    (q * q * q).sum().backward();
    a.step();
    b.step();
  }
  EXPECT_FALSE(p.is_contiguous());
  EXPECT_TRUE(allclose(p, q, 0, 0));
}

TEST(Optim, ParamGroupsHaveTheirOwnOptions) {
  Tensor w = tensor({1.0}).requires_grad_();
  Tensor b = tensor({1.0}).requires_grad_();
  optim::SGD opt({optim::OptimizerParamGroup({w}), optim::OptimizerParamGroup({b}, optim::SGDOptions(0.01))},
                 optim::SGDOptions(0.1));
  (w + b).sum().backward();
  opt.step();
  EXPECT_FLOAT_EQ(w.item<float>(), 0.9f);
  EXPECT_FLOAT_EQ(b.item<float>(), 0.99f);
  EXPECT_DOUBLE_EQ(opt.param_groups()[0].options().get_lr(), 0.1);
  EXPECT_DOUBLE_EQ(opt.param_groups()[1].options().get_lr(), 0.01);

  // A group added later takes the defaults unless it brings options.
  Tensor c = tensor({1.0}).requires_grad_();
  opt.add_param_group(optim::OptimizerParamGroup({c}));
  EXPECT_DOUBLE_EQ(opt.param_groups()[2].options().get_lr(), 0.1);
  EXPECT_THROW_WITH(opt.add_param_group(optim::OptimizerParamGroup({w})), ValueError,
                    "some parameters appear in more than one parameter group");
  EXPECT_THROW_WITH(opt.add_param_group(optim::OptimizerParamGroup({tensor({1.0})}, optim::AdamOptions())), TypeError,
                    "another optimizer");
}

TEST(Optim, ZeroGrad) {
  Tensor w = tensor({1.0, 2.0}).requires_grad_();
  optim::SGD opt({w}, optim::SGDOptions(0.1));
  (w * 3).sum().backward();
  opt.zero_grad();
  ASSERT_TRUE(w.grad().defined());
  EXPECT_EQ(w.grad().to_vector<float>(), (std::vector<float>{0, 0}));
  (w * 3).sum().backward();
  opt.zero_grad(/*set_to_none=*/true);
  EXPECT_FALSE(w.grad().defined());
  opt.step();  // nothing has a gradient: nothing moves
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{1, 2}));
}

TEST(Optim, ClosureIsEvaluatedWithGradEnabled) {
  Tensor w = tensor({2.0}).requires_grad_();
  optim::SGD opt({w}, optim::SGDOptions(0.25));
  NoGradGuard no_grad;  // the caller's mode does not matter
  Tensor loss = opt.step([&] {
    opt.zero_grad();
    Tensor l = (w * w).sum();
    l.backward();
    return l;
  });
  EXPECT_FLOAT_EQ(loss.item<float>(), 4.0f);
  EXPECT_FLOAT_EQ(w.item<float>(), 1.0f);  // 2 - 0.25 * 4
}

TEST(Optim, InvalidOptionsAndArguments) {
  Tensor w = tensor({1.0}).requires_grad_();
  EXPECT_THROW_WITH(optim::SGD({w}, optim::SGDOptions(-0.1)), ValueError, "Invalid learning rate: -0.1");
  EXPECT_THROW_WITH(optim::SGD({w}, optim::SGDOptions(0.1).nesterov(true)), ValueError,
                    "Nesterov momentum requires a momentum and zero dampening");
  EXPECT_THROW_WITH(optim::Adam({w}, optim::AdamOptions().betas({1.0, 0.999})), ValueError,
                    "Invalid beta parameter at index 0: 1");
  EXPECT_THROW_WITH(optim::AdamW({w}, optim::AdamWOptions().eps(-1)), ValueError, "Invalid epsilon value");
  EXPECT_THROW_WITH(optim::RMSprop({w}, optim::RMSpropOptions().alpha(-1)), ValueError, "Invalid alpha value");
  EXPECT_THROW_WITH(optim::Adagrad({w}, optim::AdagradOptions().lr_decay(-1)), ValueError, "Invalid lr_decay value");
  EXPECT_THROW_WITH(optim::SGD(std::vector<Tensor>{}, optim::SGDOptions(0.1)), ValueError, "empty parameter list");
  EXPECT_THROW_WITH(optim::SGD({w * 2}, optim::SGDOptions(0.1)), ValueError, "can't optimize a non-leaf Tensor");
  EXPECT_THROW_WITH(optim::SGD({tensor({1.0}, TensorOptions(ScalarType::Int64))}, optim::SGDOptions(0.1)), TypeError,
                    "floating point");

  // The functional steps check their operands.
  Tensor p = zeros({3}), g = zeros({4});
  Tensor buf;
  EXPECT_THROW_WITH(optim::sgd_step(p, g, buf, optim::SGDOptions(0.1)), ValueError,
                    "the gradient has shape [4] but the parameter has shape [3]");
  EXPECT_THROW_WITH(optim::sgd_step(p, zeros({3}, TensorOptions(ScalarType::Float64)), buf, optim::SGDOptions(0.1)),
                    TypeError, "the gradient has dtype float64 but the parameter has dtype float32");
  const auto amsgrad = optim::AdamOptions().amsgrad(true);
  EXPECT_THROW_WITH(optim::adam_step(p, zeros({3}), zeros({3}), zeros({3}), Tensor(), 1, amsgrad), ValueError,
                    "amsgrad needs a defined max_exp_avg_sq");
  EXPECT_THROW_WITH(optim::adam_step(p, zeros({3}), zeros({3}), zeros({3}), Tensor(), 0, optim::AdamOptions()),
                    ValueError, "step counts from 1");
  EXPECT_FALSE(buf.defined());  // a failed step leaves the buffer alone
}

// ---- state_dict ----------------------------------------------------------------------------

namespace {

const io::Dict& dict_of(const io::Value& v) { return std::get<io::Dict>(v.v); }
const io::Value& at(const io::Value& v, const std::string& key) {
  const io::Value* found = v.find(key);
  EXPECT_NE(found, nullptr) << key;
  return *found;
}

// 5 steps, a state_dict (optionally through a checkpoint file), a fresh
// optimizer over copies of the parameters loads it, and both run 5 more
// steps: they must agree exactly.
void expect_resume(const MakeOptimizer& make, bool through_file) {
  Generator gen(7);
  std::vector<Tensor> params = {rand({6}, {}, &gen).requires_grad_(), rand({2, 3}, {}, &gen).requires_grad_()};
  auto loss_of = [](const std::vector<Tensor>& ps) { return (ps[0].pow(2).sum() + (ps[1] * ps[1] * ps[1]).sum()); };
  std::unique_ptr<optim::Optimizer> a = make(params);
  auto run = [&](optim::Optimizer& opt, const std::vector<Tensor>& ps, int steps) {
    for (int i = 0; i < steps; ++i) {
      opt.zero_grad();
      loss_of(ps).backward();
      opt.step();
    }
  };
  run(*a, params, 5);
  std::vector<Tensor> copies;
  for (const Tensor& p : params) copies.push_back(p.detach().clone().requires_grad_());
  std::unique_ptr<optim::Optimizer> b = make(copies);
  io::Value state = a->state_dict();
  if (through_file) {
    const std::string path = ::testing::TempDir() + "optim_state.wick";
    io::save(state, path);
    state = io::load(path);
    std::remove(path.c_str());
  }
  b->load_state_dict(state);
  run(*a, params, 5);
  run(*b, copies, 5);
  for (size_t k = 0; k < params.size(); ++k) EXPECT_TRUE(equal(params[k], copies[k])) << "parameter " << k;
}

}  // namespace

TEST(Optim, StateDictLayoutIsPyTorchs) {
  Tensor w = tensor({1.0, 2.0}).requires_grad_();
  Tensor b = tensor({3.0}).requires_grad_();
  optim::Adam opt({optim::OptimizerParamGroup({w}), optim::OptimizerParamGroup({b}, optim::AdamOptions(0.5))},
                  optim::AdamOptions(0.1).amsgrad(true));
  (w.sum() + b.sum()).backward();
  opt.step();
  opt.step();
  const io::Value sd = opt.state_dict();
  const io::Value& state = at(sd, "state");
  EXPECT_EQ(state.hint, io::Value::Hint::IntKeys);
  ASSERT_EQ(dict_of(state).size(), 2u);
  const io::Value& s0 = at(state, "0");
  std::vector<std::string> keys;
  for (const auto& [k, v] : dict_of(s0)) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}));
  const Tensor& step = at(s0, "step").as<Tensor>();
  EXPECT_EQ(step.dtype(), ScalarType::Float32);
  EXPECT_EQ(step.dim(), 0);
  EXPECT_EQ(step.item<double>(), 2.0);
  const io::List& groups = at(sd, "param_groups").as<io::List>();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(at(groups[0], "lr").as<double>(), 0.1);
  EXPECT_EQ(at(groups[1], "lr").as<double>(), 0.5);
  EXPECT_EQ(at(groups[1], "amsgrad").as<bool>(), false);
  EXPECT_EQ(at(groups[0], "betas").hint, io::Value::Hint::Tuple);
  EXPECT_EQ(at(groups[0], "params").as<io::List>()[0].as<int64_t>(), 0);
  EXPECT_EQ(at(groups[1], "params").as<io::List>()[0].as<int64_t>(), 1);

  // SGD without momentum keeps momentum_buffer = None, as PyTorch does.
  optim::SGD sgd({w}, optim::SGDOptions(0.1));
  sgd.step();
  EXPECT_TRUE(at(at(at(sgd.state_dict(), "state"), "0"), "momentum_buffer").is_none());
}

TEST(Optim, StateDictRoundTripContinuesTheSameTrajectory) {
  const MakeOptimizer makers[] = {
      maker<optim::SGD>(optim::SGDOptions(0.05).momentum(0.9).nesterov(true)),
      maker<optim::Adam>(optim::AdamOptions(0.05).amsgrad(true).weight_decay(0.1)),
      maker<optim::AdamW>(optim::AdamWOptions(0.05)),
      maker<optim::RMSprop>(optim::RMSpropOptions(0.01).momentum(0.5).centered(true)),
      maker<optim::Adagrad>(optim::AdagradOptions(0.1).lr_decay(0.1).initial_accumulator_value(0.2)),
  };
  for (size_t i = 0; i < std::size(makers); ++i) {
    SCOPED_TRACE(::testing::Message() << "optimizer " << i);
    expect_resume(makers[i], false);
    expect_resume(makers[i], true);
  }
}

TEST(Optim, LoadStateDictRestoresOptionsAndRejectsMismatches) {
  Tensor w = tensor({1.0}).requires_grad_();
  optim::SGD a({w}, optim::SGDOptions(0.1).momentum(0.9));
  Tensor v = tensor({1.0}).requires_grad_();
  optim::SGD b({v}, optim::SGDOptions(0.5));
  b.load_state_dict(a.state_dict());
  const auto& o = static_cast<const optim::SGDOptions&>(b.param_groups()[0].options());
  EXPECT_EQ(o.lr(), 0.1);
  EXPECT_EQ(o.momentum(), 0.9);

  Tensor x = tensor({1.0}).requires_grad_(), y = tensor({2.0}).requires_grad_();
  optim::SGD two({x, y}, optim::SGDOptions(0.1));
  EXPECT_THROW_WITH(two.load_state_dict(a.state_dict()), ValueError, "doesn't match the size of optimizer's group");
  optim::SGD groups({optim::OptimizerParamGroup({x}), optim::OptimizerParamGroup({y})}, optim::SGDOptions(0.1));
  EXPECT_THROW_WITH(groups.load_state_dict(a.state_dict()), ValueError, "different number of parameter groups");
  EXPECT_THROW_WITH(b.load_state_dict(io::Value(3)), TypeError, "expected the state dict to be a dict");

  // A state tensor of the wrong shape is refused, and nothing changes.
  optim::Adam adam({w}, optim::AdamOptions(0.1));
  (w * 2).sum().backward();
  adam.step();
  io::Value sd = adam.state_dict();
  std::get<io::Dict>(std::get<io::Dict>(std::get<io::Dict>(sd.v)[0].second.v)[0].second.v)[1].second = zeros({5});
  EXPECT_THROW_WITH(adam.load_state_dict(sd), ValueError, "'exp_avg' has shape [5] but its parameter has shape [1]");
}

// ---- schedulers ----------------------------------------------------------------------------

namespace {

std::unique_ptr<optim::SGD> sgd_with_lr(double lr, Tensor& w) {
  w = tensor({1.0}).requires_grad_();
  return std::make_unique<optim::SGD>(std::vector<Tensor>{w}, optim::SGDOptions(lr));
}

// The lr after construction and after each of `steps` steps.
template <typename Sched>
std::vector<double> lr_sequence(optim::Optimizer& opt, Sched& sched, int steps) {
  std::vector<double> lrs = {sched.get_last_lr()[0]};
  for (int i = 0; i < steps; ++i) {
    opt.step();
    sched.step();
    lrs.push_back(sched.get_last_lr()[0]);
    EXPECT_EQ(lrs.back(), opt.param_groups()[0].options().get_lr());
  }
  return lrs;
}

}  // namespace

TEST(OptimScheduler, StepMultiStepExponential) {
  Tensor w;
  auto opt = sgd_with_lr(1.0, w);
  optim::StepLR step(*opt, 3, 0.5);
  EXPECT_EQ(lr_sequence(*opt, step, 7), (std::vector<double>{1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25}));

  opt = sgd_with_lr(1.0, w);
  optim::MultiStepLR multi(*opt, {2, 5, 5}, 0.5);
  EXPECT_EQ(lr_sequence(*opt, multi, 6), (std::vector<double>{1, 1, 0.5, 0.5, 0.5, 0.125, 0.125}));

  opt = sgd_with_lr(0.1, w);
  optim::ExponentialLR exp(*opt, 0.9);
  const std::vector<double> lrs = lr_sequence(*opt, exp, 10);
  for (int t = 0; t <= 10; ++t) EXPECT_NEAR(lrs[t], 0.1 * std::pow(0.9, t), 1e-15) << t;
}

TEST(OptimScheduler, CosineAnnealingFollowsTheClosedFormBothWays) {
  Tensor w;
  auto opt = sgd_with_lr(0.5, w);
  const int T = 7;
  const double eta_min = 0.01;
  optim::CosineAnnealingLR sched(*opt, T, eta_min);
  const std::vector<double> lrs = lr_sequence(*opt, sched, 3 * T);
  for (int t = 0; t <= 3 * T; ++t)
    EXPECT_NEAR(lrs[t], eta_min + (0.5 - eta_min) * (1 + std::cos(std::numbers::pi * t / T)) / 2, 1e-12) << t;
}

TEST(OptimScheduler, LambdaLRPerGroup) {
  Tensor a = tensor({1.0}).requires_grad_(), b = tensor({1.0}).requires_grad_();
  optim::SGD opt({optim::OptimizerParamGroup({a}), optim::OptimizerParamGroup({b}, optim::SGDOptions(2.0))},
                 optim::SGDOptions(1.0));
  optim::LambdaLR sched(opt, std::vector<optim::LambdaLR::Lambda>{[](int64_t e) { return 1.0 / (e + 1); },
                                                                   [](int64_t e) { return std::pow(0.5, e); }});
  for (int e = 1; e <= 4; ++e) {
    opt.step();
    sched.step();
    EXPECT_DOUBLE_EQ(sched.get_last_lr()[0], 1.0 / (e + 1));
    EXPECT_DOUBLE_EQ(sched.get_last_lr()[1], 2.0 * std::pow(0.5, e));
  }
  EXPECT_THROW_WITH(optim::LambdaLR(opt, std::vector<optim::LambdaLR::Lambda>{[](int64_t) { return 1.0; }}),
                    ValueError, "Expected 2 lr_lambdas, but got 1");
}

TEST(OptimScheduler, OneCycleLR) {
  // The schedule written out: phases end at pct_start * total - 1 (and, with
  // three phases, at 2 pct_start total - 2) and at total - 1.
  auto cos_anneal = [](double a, double b, double pct) {
    return b + (a - b) / 2 * (std::cos(std::numbers::pi * pct) + 1);
  };
  auto lin_anneal = [](double a, double b, double pct) { return a + (b - a) * pct; };
  const int total = 20;
  const double max_lr = 0.4, div = 10, final_div = 100, pct = 0.25;
  const double lo = max_lr / div, end = lo / final_div;
  for (bool three : {false, true}) {
    for (auto strategy : {optim::OneCycleLR::AnnealStrategy::Cos, optim::OneCycleLR::AnnealStrategy::Linear}) {
      SCOPED_TRACE(::testing::Message() << "three_phase " << three << " linear "
                                        << (strategy == optim::OneCycleLR::AnnealStrategy::Linear));
      auto anneal = strategy == optim::OneCycleLR::AnnealStrategy::Cos ? +cos_anneal : +lin_anneal;
      Tensor w;
      auto opt = sgd_with_lr(123.0, w);
      optim::OneCycleLR sched(*opt, {.max_lr = {max_lr},
                                     .total_steps = total,
                                     .pct_start = pct,
                                     .anneal_strategy = strategy,
                                     .div_factor = div,
                                     .final_div_factor = final_div,
                                     .three_phase = three});
      for (int t = 0; t < total; ++t) {
        const double e1 = pct * total - 1, e2 = three ? 2 * pct * total - 2 : total - 1, e3 = total - 1;
        double lr, momentum;
        if (t <= e1) {
          lr = anneal(lo, max_lr, t / e1);
          momentum = anneal(0.95, 0.85, t / e1);
        } else if (t <= e2 || !three) {
          lr = anneal(max_lr, three ? lo : end, (t - e1) / (e2 - e1));
          momentum = anneal(0.85, 0.95, (t - e1) / (e2 - e1));
        } else {
          lr = anneal(lo, end, (t - e2) / (e3 - e2));
          momentum = 0.95;
        }
        const auto& o = static_cast<const optim::SGDOptions&>(opt->param_groups()[0].options());
        EXPECT_NEAR(sched.get_last_lr()[0], lr, 1e-15) << "step " << t;
        EXPECT_NEAR(o.momentum(), momentum, 1e-15) << "step " << t;
        opt->step();
        sched.step();
      }
      EXPECT_THROW_WITH(sched.step(), ValueError, "Tried to step 22 times. The specified number of total steps is 20");
    }
  }
}

TEST(OptimScheduler, OneCycleLRCyclesAdamsBeta1AndChecksOptions) {
  Tensor w = tensor({1.0}).requires_grad_();
  optim::Adam adam({w}, optim::AdamOptions(1.0).betas({0.9, 0.99}));
  optim::OneCycleLR sched(adam, {.max_lr = {0.1}, .total_steps = 10, .base_momentum = 0.8, .max_momentum = 0.9});
  const auto& o = static_cast<const optim::AdamOptions&>(adam.param_groups()[0].options());
  EXPECT_DOUBLE_EQ(std::get<0>(o.betas()), 0.9);
  EXPECT_DOUBLE_EQ(std::get<1>(o.betas()), 0.99);
  EXPECT_DOUBLE_EQ(sched.get_last_lr()[0], 0.1 / 25);
  for (int i = 0; i < 2; ++i) {
    adam.step();
    sched.step();
  }
  EXPECT_DOUBLE_EQ(sched.get_last_lr()[0], 0.1);  // the peak, at pct_start * total - 1 = 2
  EXPECT_DOUBLE_EQ(std::get<0>(o.betas()), 0.8);

  optim::Adagrad adagrad({w});
  EXPECT_THROW_WITH(optim::OneCycleLR(adagrad, {.max_lr = {0.1}, .total_steps = 10}), ValueError,
                    "optimizer must support momentum");
  EXPECT_THROW_WITH(optim::OneCycleLR(adam, {.max_lr = {0.1}, .total_steps = 0}), ValueError,
                    "Expected positive integer total_steps, but got 0");
  EXPECT_THROW_WITH(optim::OneCycleLR(adam, {.max_lr = {0.1, 0.2}, .total_steps = 5}), ValueError,
                    "expected 1 values for max_lr, got 2");
}

TEST(OptimScheduler, ReduceLROnPlateau) {
  Tensor w;
  auto opt = sgd_with_lr(1.0, w);
  using R = optim::ReduceLROnPlateau;
  {
    R sched(*opt, {.factor = 0.5, .patience = 2});
    std::vector<double> lrs;
    for (double m : {10, 9, 9, 9, 9, 8, 8, 8, 8}) {
      sched.step(m);
      lrs.push_back(sched.get_last_lr()[0]);
    }
    EXPECT_EQ(lrs, (std::vector<double>{1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25}));
    EXPECT_EQ(sched.best(), 8);
  }
  opt = sgd_with_lr(1.0, w);
  {
    R sched(*opt, {.factor = 0.5, .patience = 0, .cooldown = 2});
    std::vector<double> lrs;
    for (int e = 0; e < 8; ++e) {
      sched.step(5.0);
      lrs.push_back(sched.get_last_lr()[0]);
    }
    EXPECT_EQ(lrs, (std::vector<double>{1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125}));
  }
  opt = sgd_with_lr(1.0, w);
  {
    // mode max, absolute threshold, a floor on the lr.
    R sched(*opt, {.mode = R::Mode::Max, .factor = 0.5, .patience = 0, .threshold = 0.5,
                   .threshold_mode = R::ThresholdMode::Abs, .min_lr = {0.3}});
    std::vector<double> lrs;
    for (double m : {1.0, 1.4, 2.0, 2.2, 2.4, 3.0}) {
      sched.step(m);
      lrs.push_back(sched.get_last_lr()[0]);
    }
    // 1.4 and 2.2 and 2.4 are within 0.5 of the best: reductions, down to the floor.
    EXPECT_EQ(lrs, (std::vector<double>{1, 0.5, 0.5, 0.3, 0.3, 0.3}));
  }
  EXPECT_THROW_WITH(R(*opt, {.factor = 1.0}), ValueError, "Factor should be < 1.0.");
  EXPECT_THROW_WITH(R(*opt, {.min_lr = {0.1, 0.2}}), ValueError, "expected 1 min_lrs, got 2");
}

TEST(OptimScheduler, StateDictResumes) {
  Tensor w;
  auto opt = sgd_with_lr(1.0, w);
  optim::CosineAnnealingLR a(*opt, 10, 0.0);
  for (int i = 0; i < 4; ++i) {
    opt->step();
    a.step();
  }
  const io::Value saved = a.state_dict();
  const double lr_saved = opt->param_groups()[0].options().get_lr();
  Tensor v;
  auto opt2 = sgd_with_lr(1.0, v);
  optim::CosineAnnealingLR b(*opt2, 10, 0.0);
  b.load_state_dict(saved);
  opt2->param_groups()[0].options().set_lr(lr_saved);  // the optimizer's state_dict carries the lr
  EXPECT_EQ(b.last_epoch(), 4);
  for (int i = 0; i < 5; ++i) {
    a.step();
    b.step();
    EXPECT_EQ(a.get_last_lr(), b.get_last_lr());
  }

  auto opt3 = sgd_with_lr(1.0, w);
  optim::ReduceLROnPlateau r(*opt3, {.patience = 1});
  r.step(1.0);
  r.step(2.0);
  auto opt4 = sgd_with_lr(1.0, v);
  optim::ReduceLROnPlateau r2(*opt4, {.patience = 1});
  r2.load_state_dict(r.state_dict());
  EXPECT_EQ(r2.best(), 1.0);
  EXPECT_EQ(r2.num_bad_epochs(), 1);
  r2.step(3.0);
  EXPECT_EQ(r2.get_last_lr()[0], 0.1);
}

// ---- gradient clipping -----------------------------------------------------------------------

TEST(OptimClip, ClipGradNorm) {
  Tensor a = tensor({1.0, 2.0}).requires_grad_(), b = tensor({1.0}).requires_grad_();
  Tensor none = tensor({1.0}).requires_grad_();
  (a * tensor({3.0, 0.0})).sum().backward();  // grad a = [3, 0]
  (b * 4).sum().backward();                   // grad b = [4]
  const double total = nn::utils::clip_grad_norm_({a, b, none}, 1.0);
  EXPECT_NEAR(total, 5.0, 1e-6);
  EXPECT_NEAR(a.grad().to_vector<double>()[0], 3.0 / (5.0 + 1e-6), 1e-6);
  EXPECT_NEAR(b.grad().item<double>(), 4.0 / (5.0 + 1e-6), 1e-6);
  EXPECT_FALSE(none.grad().defined());

  // Below max_norm nothing changes; the inf norm is the largest magnitude.
  const std::vector<float> before = a.grad().to_vector<float>();
  EXPECT_NEAR(nn::utils::clip_grad_norm_({a, b}, 10.0), 1.0, 1e-6);
  EXPECT_EQ(a.grad().to_vector<float>(), before);
  a.grad().copy_(tensor({-6.0, 2.0}));
  EXPECT_NEAR(nn::utils::clip_grad_norm_({a, b}, 3.0, INFINITY), 6.0, 1e-6);
  EXPECT_NEAR(a.grad().to_vector<double>()[0], -3.0, 1e-5);
  a.grad().copy_(tensor({1.0, 1.0}));
  b.grad().copy_(tensor({1.0}));
  EXPECT_NEAR(nn::utils::clip_grad_norm_({a, b}, 100.0, 1.0), 3.0, 1e-6);

  // No gradients at all: 0.
  EXPECT_EQ(nn::utils::clip_grad_norm_({none}, 1.0), 0.0);
  // A non-finite norm raises only when asked to, and then leaves the gradients alone.
  a.grad().copy_(tensor({NAN, 1.0}));
  EXPECT_THROW_WITH(nn::utils::clip_grad_norm_({a}, 1.0, 2.0, true), Error,
                    "The total norm of order 2.0 for gradients from `parameters` is non-finite");
  EXPECT_EQ(a.grad().to_vector<float>()[1], 1.0f);
  EXPECT_TRUE(std::isnan(nn::utils::clip_grad_norm_({a}, 1.0)));
}

TEST(OptimClip, ClipGradValue) {
  Tensor a = tensor({1.0, 2.0, 3.0}).requires_grad_();
  (a * tensor({-5.0, 0.5, 7.0})).sum().backward();
  nn::utils::clip_grad_value_({a}, 1.0);
  EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{-1.0f, 0.5f, 1.0f}));
}

// ---- the seeds' training loops (../shared/seeds) ---------------------------------------------

// seeds 000: minimise (x - 2)^2 from x = 5 with SGD, lr 0.1, 100 steps.
TEST(OptimSeeds, MinimiseSquareWithSGD) {
  Tensor x = tensor({5.0}).requires_grad_();
  optim::SGD opt({x}, optim::SGDOptions(0.1));
  double last_loss = INFINITY;
  for (int step = 0; step < 100; ++step) {
    opt.zero_grad();
    Tensor loss = (x - 2).pow(2).sum();
    loss.backward();
    opt.step();
    // Never larger (it stops falling once the step is below float32's resolution at 2).
    EXPECT_LE(loss.item<double>(), last_loss);
    last_loss = loss.item<double>();
    // x_k - 2 = 3 * 0.8^k: each step shrinks the error by 1 - 2 * lr.
    EXPECT_NEAR(x.item<double>(), 2 + 3 * std::pow(0.8, step + 1), 1e-5);
  }
  EXPECT_NEAR(x.item<double>(), 2.0, 1e-6);
}

// seeds 000: fit y = 2x + 1 (+ noise 0.1) with one linear unit, MSE and SGD
// (Keras's defaults: lr 0.01, batches of 32, 50 epochs over 100 points).
TEST(OptimSeeds, LinearRegressionWithSGD) {
  Generator gen(42);
  Tensor x = randn({100, 1}, {}, &gen);
  Tensor y = (x * 2 + 1 + randn({100, 1}, {}, &gen) * 0.1).detach();
  Tensor w = (rand({1, 1}, {}, &gen) * 2 - 1).detach().requires_grad_();
  Tensor b = zeros({1}).requires_grad_();
  optim::SGD opt({w, b}, optim::SGDOptions(0.01));
  std::vector<double> epoch_loss;
  for (int epoch = 0; epoch < 50; ++epoch) {
    double total = 0;
    for (int64_t start = 0; start < 100; start += 32) {
      const int64_t n = std::min<int64_t>(32, 100 - start);
      Tensor xb = x.narrow(0, start, n), yb = y.narrow(0, start, n);
      opt.zero_grad();
      Tensor loss = (matmul(xb, w) + b - yb).pow(2).mean();
      loss.backward();
      opt.step();
      total += loss.item<double>() * static_cast<double>(n);
    }
    epoch_loss.push_back(total / 100);
  }
  for (size_t e = 1; e < epoch_loss.size(); ++e) EXPECT_LT(epoch_loss[e], epoch_loss[e - 1]) << "epoch " << e;
  EXPECT_LT(epoch_loss.back(), 0.05);
  EXPECT_NEAR(w.item<double>(), 2.0, 0.15);
  EXPECT_NEAR(b.item<double>(), 1.0, 0.15);
}
