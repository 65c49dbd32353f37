// Learning-rate schedulers, as torch.optim.lr_scheduler (PyTorch 1.13).
//
//   optim::SGD opt(params, optim::SGDOptions(0.1).momentum(0.9));
//   optim::StepLR sched(opt, /*step_size=*/30, /*gamma=*/0.1);
//   for (int epoch = 0; epoch < 100; ++epoch) {
//     train_one_epoch(opt);
//     sched.step();
//   }
//
// A scheduler sets the lr of each of the optimizer's groups; its constructor
// already takes the step to epoch 0. Each computes the lr the way PyTorch's
// step() does (several from the groups' current lrs, "chained", others in
// closed form), so the sequences agree with PyTorch's to the last bit, also
// when the lrs are changed by hand between steps. The scheduler keeps a
// reference to the optimizer, which must outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "io/value.h"
#include "optim/optimizer.h"

namespace wick::optim {

class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  // Advances to the next epoch and sets every group's lr.
  void step();
  // The lrs the last step() set, one per group.
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  // The groups' lrs when the scheduler was made.
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  int64_t last_epoch() const { return last_epoch_; }

  // The counters and lrs under PyTorch's keys (last_epoch, _step_count,
  // base_lrs, _last_lr, plus a scheduler's own state); the hyper-parameters
  // stay those the scheduler was constructed with.
  virtual io::Value state_dict() const;
  virtual void load_state_dict(const io::Value& state);

 protected:
  explicit LRScheduler(Optimizer& optimizer);
  // Every derived constructor ends with this: the step to epoch 0.
  void initial_step();
  // The lrs for last_epoch_.
  virtual std::vector<double> get_lr() = 0;
  std::vector<double> group_lrs() const;

  Optimizer& optimizer_;
  std::vector<double> base_lrs_;
  int64_t last_epoch_ = -1;
  int64_t step_count_ = 0;
  std::vector<double> last_lr_;
};

// lr *= gamma every step_size epochs.
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);

 protected:
  std::vector<double> get_lr() override;

 private:
  int64_t step_size_;
  double gamma_;
};

// lr *= gamma at each milestone epoch (twice at a milestone listed twice).
class MultiStepLR : public LRScheduler {
 public:
  MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma = 0.1);

 protected:
  std::vector<double> get_lr() override;

 private:
  std::vector<int64_t> milestones_;
  double gamma_;
};

// lr *= gamma every epoch.
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);

 protected:
  std::vector<double> get_lr() override;

 private:
  double gamma_;
};

// Cosine annealing from the base lr down to eta_min over T_max epochs (and
// back up over the next T_max, periodically), without restarts.
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min = 0);

 protected:
  std::vector<double> get_lr() override;

 private:
  int64_t T_max_;
  double eta_min_;
};

// lr = base_lr * lr_lambda(epoch), one function for all groups or one per group.
class LambdaLR : public LRScheduler {
 public:
  using Lambda = std::function<double(int64_t)>;
  LambdaLR(Optimizer& optimizer, Lambda lr_lambda);
  LambdaLR(Optimizer& optimizer, std::vector<Lambda> lr_lambdas);

 protected:
  std::vector<double> get_lr() override;

 private:
  std::vector<Lambda> lr_lambdas_;
};

// The 1cycle policy (Smith & Topin): the lr rises from max_lr / div_factor to
// max_lr over the first pct_start of total_steps, then anneals to
// initial_lr / final_div_factor (three_phase: back to the initial lr first,
// then down); the momentum (beta1 for Adam) moves the opposite way between
// max_momentum and base_momentum. Step it after every batch.
struct OneCycleLROptions {
  enum class AnnealStrategy { Cos, Linear };
  std::vector<double> max_lr;  // one for all groups, or one per group
  int64_t total_steps = 0;     // or epochs * steps_per_epoch
  double pct_start = 0.3;
  AnnealStrategy anneal_strategy = AnnealStrategy::Cos;
  bool cycle_momentum = true;
  double base_momentum = 0.85;
  double max_momentum = 0.95;
  double div_factor = 25;
  double final_div_factor = 1e4;
  bool three_phase = false;
};

class OneCycleLR : public LRScheduler {
 public:
  using Options = OneCycleLROptions;
  using AnnealStrategy = Options::AnnealStrategy;
  OneCycleLR(Optimizer& optimizer, Options options);

 protected:
  std::vector<double> get_lr() override;

 private:
  struct Bounds {  // per group
    double initial_lr, max_lr, min_lr, max_momentum, base_momentum;
  };
  struct Phase {
    double end_step;
    double Bounds::*start_lr;
    double Bounds::*end_lr;
    double Bounds::*start_momentum;
    double Bounds::*end_momentum;
  };
  double anneal(double start, double end, double pct) const;

  Options options_;
  std::vector<Bounds> bounds_;
  std::vector<Phase> phases_;
};

// Cuts the lr by `factor` when a metric has stopped improving for more than
// `patience` epochs, as torch.optim.lr_scheduler.ReduceLROnPlateau.
struct ReduceLROnPlateauOptions {
  enum class Mode { Min, Max };
  enum class ThresholdMode { Rel, Abs };
  Mode mode = Mode::Min;              // whether the metric should fall or rise
  double factor = 0.1;                // new_lr = lr * factor
  int64_t patience = 10;              // epochs without improvement to tolerate
  double threshold = 1e-4;            // the least change that counts as improvement
  ThresholdMode threshold_mode = ThresholdMode::Rel;
  int64_t cooldown = 0;               // epochs to wait after a reduction
  std::vector<double> min_lr = {0};   // one for all groups, or one per group
  double eps = 1e-8;                  // smaller lr changes are skipped
};

class ReduceLROnPlateau {
 public:
  using Options = ReduceLROnPlateauOptions;
  using Mode = Options::Mode;
  using ThresholdMode = Options::ThresholdMode;
  explicit ReduceLROnPlateau(Optimizer& optimizer, Options options = {});

  // One epoch's value of the metric.
  void step(double metric);
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  double best() const { return best_; }
  int64_t num_bad_epochs() const { return num_bad_epochs_; }
  int64_t cooldown_counter() const { return cooldown_counter_; }
  int64_t last_epoch() const { return last_epoch_; }

  io::Value state_dict() const;
  void load_state_dict(const io::Value& state);

 private:
  bool is_better(double a, double best) const;

  Optimizer& optimizer_;
  Options options_;
  std::vector<double> min_lrs_;
  double best_;
  int64_t num_bad_epochs_ = 0;
  int64_t cooldown_counter_ = 0;
  int64_t last_epoch_ = 0;
  std::vector<double> last_lr_;
};

}  // namespace wick::optim
