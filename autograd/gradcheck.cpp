#include "autograd/gradcheck.h"

#include <cmath>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"

namespace wick {

namespace {

// The output of fn as a flat float64 vector (forward only).
std::vector<double> evaluate(const std::function<Tensor(const TensorList&)>& fn, const TensorList& inputs) {
  NoGradGuard no_grad;
  return fn(inputs).contiguous().to_vector<double>();
}

// Offset (in elements) of flat element i of t within its storage.
int64_t element_offset(const Tensor& t, int64_t i) {
  int64_t off = t.storage_offset();
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    off += (i % t.sizes()[d]) * t.strides()[d];
    i /= t.sizes()[d];
  }
  return off;
}

}  // namespace

// Note [Gradcheck on any device]
// The analytical Jacobians come first, from the graph of one forward pass;
// then the numerical ones, by writing each input element through a
// one-element view (fill_ runs on the input's own device). Those writes bump
// the inputs' version counters, which the graph would refuse, hence the order.
bool gradcheck(const std::function<Tensor(const TensorList&)>& fn, const TensorList& inputs,
               const GradcheckOptions& options) {
  Tensor out;
  {
    EnableGradGuard grad;
    out = fn(inputs);
  }
  const int64_t n_out = out.numel();
  std::vector<size_t> checked;
  std::vector<std::vector<double>> analytical(inputs.size());  // [k][i * n_out + j]
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Tensor& x = inputs[k];
    if (!x.defined() || !x.requires_grad()) continue;
    WICK_CHECK(x.dtype() == ScalarType::Float64, TypeError, "gradcheck: input ", k, " has dtype ", x.dtype(),
               "; gradcheck needs float64 inputs for accurate finite differences");
    checked.push_back(k);
    const int64_t n_in = x.numel();
    analytical[k].resize(static_cast<size_t>(n_in * n_out));
    // One backward pass per output element gives one row.
    for (int64_t j = 0; j < n_out; ++j) {
      Tensor seed = out.detach().contiguous().clone().zero_();  // zeros like out, through core/tensor.h's methods
      seed.view({-1}).select(0, j).fill_(1);
      TensorList g = autograd::grad({out}, {x}, {seed}, /*retain_graph=*/true, false, /*allow_unused=*/true);
      const std::vector<double> row =
          g[0].defined() ? g[0].contiguous().to_vector<double>() : std::vector<double>(static_cast<size_t>(n_in), 0.0);
      for (int64_t i = 0; i < n_in; ++i) analytical[k][static_cast<size_t>(i * n_out + j)] = row[static_cast<size_t>(i)];
    }
  }
  for (size_t k : checked) {
    const Tensor x = inputs[k].detach();
    for (int64_t i = 0; i < x.numel(); ++i) {
      const Tensor element = x.as_strided({}, {}, element_offset(x, i));
      const double orig = element.item<double>();
      element.fill_(orig + options.eps);
      const std::vector<double> plus = evaluate(fn, inputs);
      element.fill_(orig - options.eps);
      const std::vector<double> minus = evaluate(fn, inputs);
      element.fill_(orig);
      for (int64_t j = 0; j < n_out; ++j) {
        const double num = (plus[static_cast<size_t>(j)] - minus[static_cast<size_t>(j)]) / (2 * options.eps);
        const double a = analytical[k][static_cast<size_t>(i * n_out + j)];
        WICK_CHECK(std::fabs(a - num) <= options.atol + options.rtol * std::fabs(num), Error,
                   "gradcheck: Jacobian mismatch for output ", j, " with respect to input ", k, " element ", i,
                   ": numerical ", num, ", analytical ", a, " (input shape ", x.sizes(), ", output shape ",
                   out.sizes(), ", grad_fn ", out.grad_fn() ? std::string(out.grad_fn()->name()) : "none", ")");
      }
    }
  }
  return true;
}

}  // namespace wick
