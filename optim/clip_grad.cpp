#include "optim/clip_grad.h"

#include <cmath>
#include <limits>
#include <sstream>

#include "autograd/grad_mode.h"
#include "core/error.h"
#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/elementwise.h"
#include "ops/indexing.h"
#include "ops/reduce.h"

namespace wick::nn::utils {

namespace {

std::vector<Tensor> defined_grads(const std::vector<Tensor>& parameters) {
  std::vector<Tensor> grads;
  for (const Tensor& p : parameters) {
    WICK_CHECK(p.defined(), ValueError, "clip_grad: a parameter is an undefined tensor");
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  return grads;
}

// A number as Python's str(float) writes it (2.0, inf), for messages that match PyTorch's.
std::string python_float(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (std::isnan(v)) return "nan";
  std::ostringstream os;
  os.precision(17);
  os << v;
  std::string s = os.str();
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

namespace detail {

Tensor clip_grad_norm(const std::vector<Tensor>& parameters, double max_norm, double norm_type,
                      bool error_if_nonfinite) {
  const std::vector<Tensor> grads = defined_grads(parameters);
  if (grads.empty()) return scalar_tensor(0.0, TensorOptions(ScalarType::Float32));
  NoGradGuard no_grad;
  const Device device = grads[0].device();
  std::vector<Tensor> norms;
  norms.reserve(grads.size());
  for (const Tensor& g : grads) norms.push_back(norm(g, norm_type).to(device));
  // The same steps as PyTorch's, so the result rounds the same way.
  Tensor total;
  if (norm_type == std::numeric_limits<double>::infinity())
    total = norms.size() == 1 ? norms[0] : max(stack(norms));
  else
    total = norm(stack(norms), norm_type);
  if (error_if_nonfinite) {
    WICK_CHECK(std::isfinite(total.item<double>()), Error, "The total norm of order ", python_float(norm_type),
               " for gradients from `parameters` is non-finite, so it cannot be clipped. To disable this error and "
               "scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`");
  }
  // max_norm / (total + 1e-6), as Python evaluates a number over a tensor: reciprocal, then times.
  const Tensor coef = clamp(mul(reciprocal(add(total, 1e-6)), max_norm), std::nullopt, Scalar(1.0));
  for (const Tensor& g : grads) g.mul_(coef.to(g.device()));
  return total;
}

}  // namespace detail

double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  return detail::clip_grad_norm(parameters, max_norm, norm_type, error_if_nonfinite).item<double>();
}

void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value) {
  NoGradGuard no_grad;
  for (const Tensor& g : defined_grads(parameters)) g.clamp_(Scalar(-clip_value), Scalar(clip_value));
}

}  // namespace wick::nn::utils
