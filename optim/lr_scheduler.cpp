#include "optim/lr_scheduler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "core/error.h"

namespace wick::optim {

namespace {

io::List number_list(const std::vector<double>& values) {
  io::List out;
  for (double v : values) out.emplace_back(v);
  return out;
}

// The list under `key` as numbers, which must be `size` of them.
void read_numbers(const io::Dict& dict, std::string_view key, size_t size, std::vector<double>& out) {
  const io::Value* v = detail::find(dict, key);
  if (!v) return;
  const io::List* list = std::get_if<io::List>(&v->v);
  WICK_CHECK(list && list->size() == size, ValueError, "load_state_dict: expected '", key, "' to be a list of ",
             size, " numbers");
  std::vector<double> values(size);
  for (size_t i = 0; i < size; ++i) values[i] = detail::number((*list)[i], key);
  out = std::move(values);
}

const io::Dict& expect_dict(const io::Value& state) {
  const io::Dict* d = std::get_if<io::Dict>(&state.v);
  WICK_CHECK(d != nullptr, TypeError, "load_state_dict: expected a scheduler state dict (a dict)");
  return *d;
}

// A per-group list given as one value for all groups or one per group.
std::vector<double> per_group(const std::vector<double>& values, size_t groups, const char* name) {
  if (values.size() == 1) return std::vector<double>(groups, values[0]);
  WICK_CHECK(values.size() == groups, ValueError, "expected ", groups, " values for ", name, ", got ", values.size());
  return values;
}

}  // namespace

// ---- LRScheduler ------------------------------------------------------------------------

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer), base_lrs_(group_lrs()) {}

std::vector<double> LRScheduler::group_lrs() const {
  std::vector<double> lrs;
  for (const OptimizerParamGroup& group : optimizer_.param_groups()) lrs.push_back(group.options().get_lr());
  return lrs;
}

void LRScheduler::initial_step() {
  step_count_ = 0;
  step();
}

void LRScheduler::step() {
  ++step_count_;
  ++last_epoch_;
  const std::vector<double> lrs = get_lr();
  std::vector<OptimizerParamGroup>& groups = optimizer_.param_groups();
  for (size_t i = 0; i < groups.size() && i < lrs.size(); ++i) groups[i].options().set_lr(lrs[i]);
  last_lr_ = group_lrs();
}

io::Value LRScheduler::state_dict() const {
  return io::Dict{{"last_epoch", last_epoch_},
                  {"_step_count", step_count_},
                  {"base_lrs", number_list(base_lrs_)},
                  {"_last_lr", number_list(last_lr_)}};
}

void LRScheduler::load_state_dict(const io::Value& state) {
  const io::Dict& d = expect_dict(state);
  const size_t groups = optimizer_.param_groups().size();
  int64_t last_epoch = last_epoch_, step_count = step_count_;
  std::vector<double> base_lrs = base_lrs_, last_lr = last_lr_;
  detail::read(d, "last_epoch", last_epoch);
  detail::read(d, "_step_count", step_count);
  read_numbers(d, "base_lrs", groups, base_lrs);
  read_numbers(d, "_last_lr", groups, last_lr);
  last_epoch_ = last_epoch;
  step_count_ = step_count;
  base_lrs_ = std::move(base_lrs);
  last_lr_ = std::move(last_lr);
}

// ---- the schedulers -----------------------------------------------------------------------

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  WICK_CHECK(step_size > 0, ValueError, "StepLR: step_size must be positive, got ", step_size);
  initial_step();
}

std::vector<double> StepLR::get_lr() {
  std::vector<double> lrs = group_lrs();
  if (last_epoch_ == 0 || last_epoch_ % step_size_ != 0) return lrs;
  for (double& lr : lrs) lr *= gamma_;
  return lrs;
}

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma)
    : LRScheduler(optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
  initial_step();
}

std::vector<double> MultiStepLR::get_lr() {
  std::vector<double> lrs = group_lrs();
  const auto hits = std::count(milestones_.begin(), milestones_.end(), last_epoch_);
  if (hits == 0) return lrs;
  for (double& lr : lrs) lr *= std::pow(gamma_, static_cast<double>(hits));
  return lrs;
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : LRScheduler(optimizer), gamma_(gamma) {
  initial_step();
}

std::vector<double> ExponentialLR::get_lr() {
  std::vector<double> lrs = group_lrs();
  if (last_epoch_ == 0) return lrs;
  for (double& lr : lrs) lr *= gamma_;
  return lrs;
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min)
    : LRScheduler(optimizer), T_max_(T_max), eta_min_(eta_min) {
  WICK_CHECK(T_max > 0, ValueError, "CosineAnnealingLR: T_max must be positive, got ", T_max);
  initial_step();
}

std::vector<double> CosineAnnealingLR::get_lr() {
  // PyTorch's recursive form: each lr follows from the previous one, with a
  // special step where the cosine turns back up.
  constexpr double pi = std::numbers::pi;
  const double T = static_cast<double>(T_max_), t = static_cast<double>(last_epoch_);
  std::vector<double> lrs = group_lrs();
  if (last_epoch_ == 0) return lrs;
  if ((last_epoch_ - 1 - T_max_) % (2 * T_max_) == 0) {
    for (size_t i = 0; i < lrs.size(); ++i) lrs[i] = lrs[i] + (base_lrs_[i] - eta_min_) * (1 - std::cos(pi / T)) / 2;
    return lrs;
  }
  for (double& lr : lrs)
    lr = (1 + std::cos(pi * t / T)) / (1 + std::cos(pi * (t - 1) / T)) * (lr - eta_min_) + eta_min_;
  return lrs;
}

LambdaLR::LambdaLR(Optimizer& optimizer, Lambda lr_lambda)
    : LambdaLR(optimizer, std::vector<Lambda>(optimizer.param_groups().size(), std::move(lr_lambda))) {}

LambdaLR::LambdaLR(Optimizer& optimizer, std::vector<Lambda> lr_lambdas)
    : LRScheduler(optimizer), lr_lambdas_(std::move(lr_lambdas)) {
  WICK_CHECK(lr_lambdas_.size() == optimizer.param_groups().size(), ValueError, "Expected ",
             optimizer.param_groups().size(), " lr_lambdas, but got ", lr_lambdas_.size());
  for (const Lambda& f : lr_lambdas_) WICK_CHECK(static_cast<bool>(f), ValueError, "LambdaLR: an lr_lambda is empty");
  initial_step();
}

std::vector<double> LambdaLR::get_lr() {
  std::vector<double> lrs(base_lrs_.size());
  for (size_t i = 0; i < lrs.size(); ++i) lrs[i] = base_lrs_[i] * lr_lambdas_[i](last_epoch_);
  return lrs;
}

// ---- OneCycleLR ------------------------------------------------------------------------------

OneCycleLR::OneCycleLR(Optimizer& optimizer, Options options) : LRScheduler(optimizer), options_(std::move(options)) {
  const Options& o = options_;
  WICK_CHECK(o.total_steps > 0, ValueError, "Expected positive integer total_steps, but got ", o.total_steps);
  WICK_CHECK(o.pct_start >= 0 && o.pct_start <= 1, ValueError, "Expected float between 0 and 1 pct_start, but got ",
             o.pct_start);
  WICK_CHECK(!o.max_lr.empty(), ValueError, "OneCycleLR: max_lr is required");
  const double total = static_cast<double>(o.total_steps);
  if (o.three_phase) {
    phases_ = {
        {o.pct_start * total - 1, &Bounds::initial_lr, &Bounds::max_lr, &Bounds::max_momentum, &Bounds::base_momentum},
        {2 * o.pct_start * total - 2, &Bounds::max_lr, &Bounds::initial_lr, &Bounds::base_momentum,
         &Bounds::max_momentum},
        {total - 1, &Bounds::initial_lr, &Bounds::min_lr, &Bounds::max_momentum, &Bounds::max_momentum},
    };
  } else {
    phases_ = {
        {o.pct_start * total - 1, &Bounds::initial_lr, &Bounds::max_lr, &Bounds::max_momentum, &Bounds::base_momentum},
        {total - 1, &Bounds::max_lr, &Bounds::min_lr, &Bounds::base_momentum, &Bounds::max_momentum},
    };
  }
  std::vector<OptimizerParamGroup>& groups = optimizer.param_groups();
  const std::vector<double> max_lrs = per_group(o.max_lr, groups.size(), "max_lr");
  if (o.cycle_momentum) {
    for (const OptimizerParamGroup& group : groups)
      WICK_CHECK(group.options().get_momentum().has_value(), ValueError,
                 "optimizer must support momentum with `cycle_momentum` option enabled");
  }
  for (size_t i = 0; i < groups.size(); ++i) {
    const double initial_lr = max_lrs[i] / o.div_factor;
    bounds_.push_back({initial_lr, max_lrs[i], initial_lr / o.final_div_factor, o.max_momentum, o.base_momentum});
    if (o.cycle_momentum) groups[i].options().set_momentum(o.max_momentum);
  }
  for (size_t i = 0; i < groups.size(); ++i) base_lrs_[i] = bounds_[i].initial_lr;
  initial_step();
}

double OneCycleLR::anneal(double start, double end, double pct) const {
  if (options_.anneal_strategy == AnnealStrategy::Linear) return (end - start) * pct + start;
  const double cos_out = std::cos(std::numbers::pi * pct) + 1;
  return end + (start - end) / 2.0 * cos_out;
}

std::vector<double> OneCycleLR::get_lr() {
  const int64_t step_num = last_epoch_;
  WICK_CHECK(step_num <= options_.total_steps, ValueError, "Tried to step ", step_num + 1,
             " times. The specified number of total steps is ", options_.total_steps);
  std::vector<OptimizerParamGroup>& groups = optimizer_.param_groups();
  std::vector<double> lrs;
  for (size_t g = 0; g < groups.size(); ++g) {
    const Bounds& b = bounds_[g];
    double start_step = 0, lr = 0, momentum = 0;
    for (size_t i = 0; i < phases_.size(); ++i) {
      const Phase& phase = phases_[i];
      if (static_cast<double>(step_num) <= phase.end_step || i + 1 == phases_.size()) {
        WICK_CHECK(phase.end_step != start_step, ValueError, "OneCycleLR: phase ", i,
                   " has no steps (total_steps=", options_.total_steps, ", pct_start=", options_.pct_start, ")");
        const double pct = (static_cast<double>(step_num) - start_step) / (phase.end_step - start_step);
        lr = anneal(b.*phase.start_lr, b.*phase.end_lr, pct);
        momentum = anneal(b.*phase.start_momentum, b.*phase.end_momentum, pct);
        break;
      }
      start_step = phase.end_step;
    }
    lrs.push_back(lr);
    if (options_.cycle_momentum) groups[g].options().set_momentum(momentum);
  }
  return lrs;
}

// ---- ReduceLROnPlateau ---------------------------------------------------------------------

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, Options options)
    : optimizer_(optimizer), options_(std::move(options)) {
  WICK_CHECK(options_.factor < 1.0, ValueError, "Factor should be < 1.0.");
  const size_t groups = optimizer.param_groups().size();
  WICK_CHECK(options_.min_lr.size() == 1 || options_.min_lr.size() == groups, ValueError, "expected ", groups,
             " min_lrs, got ", options_.min_lr.size());
  min_lrs_ = per_group(options_.min_lr, groups, "min_lr");
  best_ = options_.mode == Mode::Min ? std::numeric_limits<double>::infinity()
                                     : -std::numeric_limits<double>::infinity();
  for (const OptimizerParamGroup& group : optimizer.param_groups()) last_lr_.push_back(group.options().get_lr());
}

bool ReduceLROnPlateau::is_better(double a, double best) const {
  const bool rel = options_.threshold_mode == ThresholdMode::Rel;
  if (options_.mode == Mode::Min) return rel ? a < best * (1.0 - options_.threshold) : a < best - options_.threshold;
  return rel ? a > best * (options_.threshold + 1.0) : a > best + options_.threshold;
}

void ReduceLROnPlateau::step(double metric) {
  ++last_epoch_;
  if (is_better(metric, best_)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // bad epochs in cooldown do not count
  }
  std::vector<OptimizerParamGroup>& groups = optimizer_.param_groups();
  if (num_bad_epochs_ > options_.patience) {
    for (size_t i = 0; i < groups.size(); ++i) {
      const double old_lr = groups[i].options().get_lr();
      const double new_lr = std::max(old_lr * options_.factor, min_lrs_[i]);
      if (old_lr - new_lr > options_.eps) groups[i].options().set_lr(new_lr);
    }
    cooldown_counter_ = options_.cooldown;
    num_bad_epochs_ = 0;
  }
  last_lr_.clear();
  for (const OptimizerParamGroup& group : groups) last_lr_.push_back(group.options().get_lr());
}

io::Value ReduceLROnPlateau::state_dict() const {
  return io::Dict{{"best", best_},
                  {"num_bad_epochs", num_bad_epochs_},
                  {"cooldown_counter", cooldown_counter_},
                  {"last_epoch", last_epoch_},
                  {"_last_lr", number_list(last_lr_)}};
}

void ReduceLROnPlateau::load_state_dict(const io::Value& state) {
  const io::Dict& d = expect_dict(state);
  double best = best_;
  int64_t bad = num_bad_epochs_, cooldown = cooldown_counter_, last_epoch = last_epoch_;
  std::vector<double> last_lr = last_lr_;
  detail::read(d, "best", best);
  detail::read(d, "num_bad_epochs", bad);
  detail::read(d, "cooldown_counter", cooldown);
  detail::read(d, "last_epoch", last_epoch);
  read_numbers(d, "_last_lr", optimizer_.param_groups().size(), last_lr);
  best_ = best;
  num_bad_epochs_ = bad;
  cooldown_counter_ = cooldown;
  last_epoch_ = last_epoch;
  last_lr_ = std::move(last_lr);
}

}  // namespace wick::optim
