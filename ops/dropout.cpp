// Dropout: one kernel draws the mask, scales it and multiplies
// (backends/cpu/dropout.cpp), and keeps the scaled mask for the backward.
#include "ops/dropout.h"

#include "autograd/function.h"
#include "core/dispatch.h"
#include "core/generator.h"
#include "ops/creation.h"
#include "ops/elementwise.h"
#include "ops/view.h"

namespace wick {

namespace {

// PyTorch's CPU dropout is input * noise, so its node is MulBackward0; so is
// this one, which holds the noise (0 or 1 / (1 - p)).
struct DropoutMulBackward0 final : Node {
  SavedTensor noise;
  std::string_view name() const override { return "MulBackward0"; }
  TensorList apply(TensorList&& grads) override { return {mul(grads[0], noise.unpack())}; }
  void for_each_saved(const SavedVisitor& f) override { f(noise); }
};

void check_probability(double p, const char* op) {
  WICK_CHECK(p >= 0 && p <= 1, ValueError, op, ": dropout probability has to be between 0 and 1, but got ", p);
}

void check_input(const Tensor& x, const char* op) {
  WICK_CHECK(x.defined(), ValueError, op, ": undefined tensor argument");
  WICK_CHECK(x.is_floating_point(), TypeError, op, ": expected a floating point input, but got dtype ", x.dtype(),
             " (shape ", x.sizes(), ")");
}

// Fills noise and writes in * noise to out (which may be in); all contiguous.
void run_dropout(const Tensor& out, const Tensor& noise, const Tensor& in, double p) {
  kernel(in.device(), &Backend::dropout, "dropout")(out, noise, in, p, default_generator(in.device()));
}

}  // namespace

Tensor dropout(const Tensor& x, double p, bool training) {
  check_probability(p, "dropout");
  WICK_CHECK(x.defined(), ValueError, "dropout: undefined tensor argument");
  // The identity returns the input itself, as PyTorch does.
  if (p == 0 || !training || x.numel() == 0) return x;
  check_input(x, "dropout");
  const TensorOptions options = TensorOptions(x.dtype()).device(x.device());
  if (p == 1) return mul(x, zeros({}, options));  // nothing drawn; nan * 0 stays nan
  Tensor out = empty(x.sizes(), options);
  Tensor noise = empty(x.sizes(), options);
  {
    NoGradGuard no_grad;
    run_dropout(out, noise, contiguous(x), p);
  }
  if (auto node = make_node<DropoutMulBackward0>(x)) {
    node->noise = SavedTensor(noise);
    set_history(out, node);
  }
  return out;
}

const Tensor& dropout_(const Tensor& x, double p, bool training) {
  check_probability(p, "dropout_");
  WICK_CHECK(x.defined(), ValueError, "dropout_: undefined tensor argument");
  if (p == 0 || !training || x.numel() == 0) return x;
  check_input(x, "dropout_");
  if (p == 1) return mul_(x, zeros({}, TensorOptions(x.dtype()).device(x.device())));
  auto node = make_node<DropoutMulBackward0>(x);
  check_inplace(x, "dropout_");
  Tensor noise = empty(x.sizes(), TensorOptions(x.dtype()).device(x.device()));
  {
    NoGradGuard no_grad;
    if (x.is_contiguous()) {
      run_dropout(x, noise, x, p);
    } else {
      const Tensor tmp = contiguous(x);
      run_dropout(tmp, noise, tmp, p);
      kernel(x.device(), &Backend::copy, "dropout_")(x, tmp);
    }
  }
  if (node) {
    node->noise = SavedTensor(noise);
    rebase_history(x, node);
  }
  return x;
}

}  // namespace wick
