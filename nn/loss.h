// Loss modules: each calls its function of ops/loss.h with the options it
// was built with. Class weights are buffers (they appear in state_dict, as
// in PyTorch).
//
//   nn::CrossEntropyLoss criterion({.label_smoothing = 0.1});
//   Tensor loss = criterion.forward(logits, targets);
#pragma once

#include "nn/module.h"
#include "ops/loss.h"

namespace wick::nn {

struct CrossEntropyLossOptions {
  Tensor weight = {};  // [C], or undefined
  int64_t ignore_index = -100;
  Reduction reduction = Reduction::Mean;
  double label_smoothing = 0.0;
};

class CrossEntropyLoss : public Module {
 public:
  explicit CrossEntropyLoss(CrossEntropyLossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target);
  CrossEntropyLossOptions options;
};

struct NLLLossOptions {
  Tensor weight = {};
  int64_t ignore_index = -100;
  Reduction reduction = Reduction::Mean;
};

class NLLLoss : public Module {
 public:
  explicit NLLLoss(NLLLossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target);
  NLLLossOptions options;
};

class MSELoss : public Module {
 public:
  explicit MSELoss(Reduction reduction = Reduction::Mean) : reduction(reduction) {}
  Tensor forward(const Tensor& input, const Tensor& target) { return mse_loss(input, target, reduction); }
  Reduction reduction;
};

class L1Loss : public Module {
 public:
  explicit L1Loss(Reduction reduction = Reduction::Mean) : reduction(reduction) {}
  Tensor forward(const Tensor& input, const Tensor& target) { return l1_loss(input, target, reduction); }
  Reduction reduction;
};

class SmoothL1Loss : public Module {
 public:
  explicit SmoothL1Loss(Reduction reduction = Reduction::Mean, double beta = 1.0);
  Tensor forward(const Tensor& input, const Tensor& target) { return smooth_l1_loss(input, target, reduction, beta); }
  Reduction reduction;
  double beta;
};

struct BCELossOptions {
  Tensor weight = {};  // broadcast to the input's shape, or undefined
  Reduction reduction = Reduction::Mean;
};

class BCELoss : public Module {
 public:
  explicit BCELoss(BCELossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target);
  BCELossOptions options;
};

struct BCEWithLogitsLossOptions {
  Tensor weight = {};
  Reduction reduction = Reduction::Mean;
  Tensor pos_weight = {};  // weight of the positive class, per class, or undefined
};

class BCEWithLogitsLoss : public Module {
 public:
  explicit BCEWithLogitsLoss(BCEWithLogitsLossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target);
  BCEWithLogitsLossOptions options;
};

}  // namespace wick::nn
