// The optimizers of optim/fused_steps.h (Adadelta, Adamax, NAdam, RAdam, ASGD,
// Rprop): each runs 20 steps on a fixed quadratic, on each device, and is
// compared after every step with a plain float64 re-implementation written
// here from the algorithm. tests/python/test_optim_more.py compares the same
// kernels with torch.optim.
#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>

#include "optim/fused_steps.h"
#include "tests/cpp/test_util.h"

using namespace wick;

namespace {

using Vec = std::vector<double>;

// Updates one parameter in place from its gradient; keeps its own state.
using Update = std::function<void(const Tensor& param, const Tensor& grad)>;
// The float64 reference of the same: one update of x from g.
using RefStep = std::function<void(Vec& x, const Vec& g)>;

// 20 steps on f(x) = sum 0.5 a (x - c)^2 over a [37] parameter (a strided
// [37] view of a [37, 2] tensor: the update works through contiguous copies).
void expect_trajectory(ScalarType dtype, const std::function<Update(const Tensor&)>& make, const RefStep& ref,
                       double tol, Device device) {
  Generator gen(99);
  const TensorOptions o(dtype);
  const Tensor base = rand({37, 2}, o, &gen).mul_(4).add_(-2).to(device);
  const Tensor param = base.select(1, 0);
  const Tensor a = rand({37}, o, &gen).add_(0.5).to(device), c = rand({37}, o, &gen).to(device);
  Vec x = param.cpu().to_vector<double>(), av = a.cpu().to_vector<double>(), cv = c.cpu().to_vector<double>();
  Update update = make(param);
  for (int step = 0; step < 20; ++step) {
    update(param, a * (param - c));
    Vec g(x.size());
    for (size_t i = 0; i < x.size(); ++i) g[i] = av[i] * (x[i] - cv[i]);
    ref(x, g);
    double worst = 0;
    const Vec got = param.cpu().to_vector<double>();
    for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(got[i] - x[i]) / (1 + std::abs(x[i])));
    ASSERT_LE(worst, tol) << "step " << step + 1 << ", dtype " << dtype;
  }
}

double decayed(double g, double x, double wd, bool maximize) { return (maximize ? -g : g) + wd * x; }

constexpr double kTol64 = 1e-11, kTol32 = 2e-5;

void for_both_dtypes(const std::function<void(ScalarType, double)>& run) {
  run(ScalarType::Float64, kTol64);
  run(ScalarType::Float32, kTol32);
}

}  // namespace

class FusedStepsOnDevice : public wick::testing::OnEachDevice {};
WICK_ON_EACH_DEVICE(FusedStepsOnDevice);

TEST_P(FusedStepsOnDevice, Adadelta) {
  const optim::AdadeltaStepArgs args{.lr = 0.5, .rho = 0.8, .eps = 1e-6, .weight_decay = 0.1, .maximize = false};
  for_both_dtypes([&](ScalarType dtype, double tol) {
    auto make = [&](const Tensor& p) -> Update {
      auto sq = std::make_shared<Tensor>(zeros_like(p)), acc = std::make_shared<Tensor>(zeros_like(p));
      return [=](const Tensor& param, const Tensor& grad) { optim::adadelta_step(param, grad, *sq, *acc, args); };
    };
    auto state = std::make_shared<std::pair<Vec, Vec>>();
    RefStep ref = [=](Vec& x, const Vec& g) {
      auto& [sq, acc] = *state;
      sq.resize(x.size()), acc.resize(x.size());
      for (size_t i = 0; i < x.size(); ++i) {
        const double d = decayed(g[i], x[i], args.weight_decay, args.maximize);
        sq[i] = args.rho * sq[i] + (1 - args.rho) * d * d;
        const double delta = std::sqrt(acc[i] + args.eps) / std::sqrt(sq[i] + args.eps) * d;
        acc[i] = args.rho * acc[i] + (1 - args.rho) * delta * delta;
        x[i] -= args.lr * delta;
      }
    };
    expect_trajectory(dtype, make, ref, tol, device());
  });
}

TEST_P(FusedStepsOnDevice, Adamax) {
  const optim::AdamaxStepArgs args{.lr = 0.02, .beta1 = 0.8, .beta2 = 0.9, .eps = 1e-8, .weight_decay = 0.1,
                                   .maximize = true};
  for_both_dtypes([&](ScalarType dtype, double tol) {
    auto make = [&](const Tensor& p) -> Update {
      auto m = std::make_shared<Tensor>(zeros_like(p)), u = std::make_shared<Tensor>(zeros_like(p));
      auto t = std::make_shared<int>(0);
      return [=](const Tensor& param, const Tensor& grad) { optim::adamax_step(param, grad, *m, *u, ++*t, args); };
    };
    auto state = std::make_shared<std::tuple<Vec, Vec, int>>();
    RefStep ref = [=](Vec& x, const Vec& g) {
      auto& [m, u, t] = *state;
      m.resize(x.size()), u.resize(x.size());
      ++t;
      for (size_t i = 0; i < x.size(); ++i) {
        const double d = decayed(g[i], x[i], args.weight_decay, args.maximize);
        m[i] = args.beta1 * m[i] + (1 - args.beta1) * d;
        u[i] = std::max(args.beta2 * u[i], std::abs(d) + args.eps);
        x[i] -= args.lr / (1 - std::pow(args.beta1, t)) * m[i] / u[i];
      }
    };
    expect_trajectory(dtype, make, ref, tol, device());
  });
}

// NAdam and RAdam, with L2 or decoupled weight decay.
TEST_P(FusedStepsOnDevice, NAdamAndRAdam) {
  for (bool decoupled : {false, true}) {
    SCOPED_TRACE(decoupled ? "decoupled weight decay" : "L2 weight decay");
    const optim::NAdamStepArgs nadam{.lr = 0.02, .beta1 = 0.9, .beta2 = 0.99, .eps = 1e-8, .weight_decay = 0.1,
                                     .momentum_decay = 0.05, .decoupled_weight_decay = decoupled};
    // beta2 = 0.6: the rectified branch from the 6th step on.
    const optim::RAdamStepArgs radam{.lr = 0.02, .beta1 = 0.5, .beta2 = 0.6, .eps = 1e-8, .weight_decay = 0.1,
                                     .decoupled_weight_decay = decoupled};
    for_both_dtypes([&](ScalarType dtype, double tol) {
      auto make_nadam = [&](const Tensor& p) -> Update {
        auto m = std::make_shared<Tensor>(zeros_like(p)), v = std::make_shared<Tensor>(zeros_like(p));
        auto product = std::make_shared<Tensor>(ones({}, TensorOptions(ScalarType::Float64)));
        auto t = std::make_shared<int>(0);
        return [=](const Tensor& param, const Tensor& grad) {
          optim::nadam_step(param, grad, *m, *v, *product, ++*t, nadam);
        };
      };
      auto nadam_state = std::make_shared<std::tuple<Vec, Vec, double, int>>(Vec(), Vec(), 1.0, 0);
      RefStep nadam_ref = [=](Vec& x, const Vec& g) {
        auto& [m, v, product, t] = *nadam_state;
        m.resize(x.size()), v.resize(x.size());
        ++t;
        const double mu = nadam.beta1 * (1 - 0.5 * std::pow(0.96, t * nadam.momentum_decay));
        const double mu_next = nadam.beta1 * (1 - 0.5 * std::pow(0.96, (t + 1) * nadam.momentum_decay));
        product *= mu;
        for (size_t i = 0; i < x.size(); ++i) {
          const double d = decayed(g[i], x[i], decoupled ? 0 : nadam.weight_decay, false);
          if (decoupled) x[i] *= 1 - nadam.lr * nadam.weight_decay;
          m[i] = nadam.beta1 * m[i] + (1 - nadam.beta1) * d;
          v[i] = nadam.beta2 * v[i] + (1 - nadam.beta2) * d * d;
          const double denom = std::sqrt(v[i] / (1 - std::pow(nadam.beta2, t))) + nadam.eps;
          x[i] -= nadam.lr * ((1 - mu) / (1 - product) * d + mu_next / (1 - product * mu_next) * m[i]) / denom;
        }
      };
      expect_trajectory(dtype, make_nadam, nadam_ref, tol, device());

      auto make_radam = [&](const Tensor& p) -> Update {
        auto m = std::make_shared<Tensor>(zeros_like(p)), v = std::make_shared<Tensor>(zeros_like(p));
        auto t = std::make_shared<int>(0);
        return [=](const Tensor& param, const Tensor& grad) { optim::radam_step(param, grad, *m, *v, ++*t, radam); };
      };
      auto radam_state = std::make_shared<std::tuple<Vec, Vec, int>>();
      RefStep radam_ref = [=](Vec& x, const Vec& g) {
        auto& [m, v, t] = *radam_state;
        m.resize(x.size()), v.resize(x.size());
        ++t;
        const double bc1 = 1 - std::pow(radam.beta1, t), bc2 = 1 - std::pow(radam.beta2, t);
        const double rho_inf = 2 / (1 - radam.beta2) - 1;
        const double rho_t = rho_inf - 2 * t * std::pow(radam.beta2, t) / bc2;
        for (size_t i = 0; i < x.size(); ++i) {
          const double d = decayed(g[i], x[i], decoupled ? 0 : radam.weight_decay, false);
          if (decoupled) x[i] *= 1 - radam.lr * radam.weight_decay;
          m[i] = radam.beta1 * m[i] + (1 - radam.beta1) * d;
          v[i] = radam.beta2 * v[i] + (1 - radam.beta2) * d * d;
          double step = radam.lr * m[i] / bc1;
          if (rho_t > 5)
            step *= std::sqrt(bc2) / (std::sqrt(v[i]) + radam.eps) *
                    std::sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t));
          x[i] -= step;
        }
      };
      expect_trajectory(dtype, make_radam, radam_ref, tol, device());
    });
  }
}

TEST_P(FusedStepsOnDevice, ASGDAveragesAfterT0) {
  const optim::ASGDStepArgs args{.lr = 0.05, .lambd = 1e-2, .alpha = 0.6, .t0 = 5, .weight_decay = 0.1};
  for_both_dtypes([&](ScalarType dtype, double tol) {
    auto ax_out = std::make_shared<Tensor>();
    auto make = [&](const Tensor& p) -> Update {
      *ax_out = zeros_like(p);
      auto eta = std::make_shared<Tensor>(full({}, args.lr, TensorOptions(ScalarType::Float32)));
      auto mu = std::make_shared<Tensor>(ones({}, TensorOptions(ScalarType::Float32)));
      auto t = std::make_shared<int>(0);
      auto ax = ax_out;
      return [=](const Tensor& param, const Tensor& grad) {
        optim::asgd_step(param, grad, *ax, *eta, *mu, ++*t, args);
      };
    };
    // eta and mu are float32 numbers, as in PyTorch.
    auto state = std::make_shared<std::tuple<Vec, float, float, int>>(Vec(), static_cast<float>(args.lr), 1.0f, 0);
    auto ref_ax = std::make_shared<Vec>();
    RefStep ref = [=](Vec& x, const Vec& g) {
      auto& [ax, eta, mu, t] = *state;
      ax.resize(x.size());
      ++t;
      for (size_t i = 0; i < x.size(); ++i) {
        const double d = decayed(g[i], x[i], args.weight_decay, false);
        x[i] = x[i] * (1 - args.lambd * eta) - eta * d;
        ax[i] = mu != 1 ? ax[i] + (x[i] - ax[i]) * mu : x[i];
      }
      eta = static_cast<float>(args.lr / std::pow(1 + args.lambd * args.lr * t, args.alpha));
      mu = static_cast<float>(1 / std::max(1.0, t - args.t0));
      *ref_ax = ax;
    };
    expect_trajectory(dtype, make, ref, tol, device());
    const Vec got = ax_out->cpu().to_vector<double>();
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], (*ref_ax)[i], 10 * tol * (1 + std::abs(got[i])));
  });
}

TEST_P(FusedStepsOnDevice, Rprop) {
  const optim::RpropStepArgs args{.etaminus = 0.4, .etaplus = 1.3, .step_size_min = 1e-3, .step_size_max = 0.3};
  const double lr = 0.05;
  for_both_dtypes([&](ScalarType dtype, double tol) {
    auto make = [&](const Tensor& p) -> Update {
      auto prev = std::make_shared<Tensor>(zeros_like(p)), size = std::make_shared<Tensor>(full_like(p, lr));
      return [=](const Tensor& param, const Tensor& grad) { optim::rprop_step(param, grad, *prev, *size, args); };
    };
    auto state = std::make_shared<std::pair<Vec, Vec>>();
    RefStep ref = [=](Vec& x, const Vec& g) {
      auto& [prev, size] = *state;
      if (prev.empty()) prev.assign(x.size(), 0.0), size.assign(x.size(), lr);
      for (size_t i = 0; i < x.size(); ++i) {
        const double agreement = g[i] * prev[i];
        double d = g[i];
        if (agreement > 0) size[i] = std::min(size[i] * args.etaplus, args.step_size_max);
        if (agreement < 0) size[i] = std::max(size[i] * args.etaminus, args.step_size_min), d = 0;
        x[i] -= ((d > 0) - (d < 0)) * size[i];
        prev[i] = d;
      }
    };
    expect_trajectory(dtype, make, ref, tol, device());
  });
}

TEST(FusedSteps, MissingStateIsAnError) {
  const Tensor p = zeros({3}), g = ones({3});
  EXPECT_THROW(optim::adadelta_step(p, g, Tensor(), zeros({3}), {}), ValueError);
  EXPECT_THROW(optim::adamax_step(p, g, zeros({3}), zeros({3}), 0, {}), ValueError);  // steps count from 1
  EXPECT_THROW(optim::nadam_step(p, g, zeros({3}), zeros({3}), zeros({2}), 1, {}), ValueError);
  EXPECT_THROW(optim::rprop_step(p, g, zeros({3}), zeros({4}), {}), ValueError);  // shape mismatch
}
