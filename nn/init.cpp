#include "nn/init.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace wick::nn::init {

double calculate_gain(std::string_view nonlinearity, std::optional<double> param) {
  if (nonlinearity == "linear" || nonlinearity == "conv1d" || nonlinearity == "conv2d" ||
      nonlinearity == "conv3d" || nonlinearity == "conv_transpose1d" || nonlinearity == "conv_transpose2d" ||
      nonlinearity == "conv_transpose3d" || nonlinearity == "sigmoid")
    return 1.0;
  if (nonlinearity == "tanh") return 5.0 / 3.0;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") {
    const double slope = param.value_or(0.01);
    return std::sqrt(2.0 / (1.0 + slope * slope));
  }
  if (nonlinearity == "selu") return 3.0 / 4.0;
  WICK_THROW(ValueError, "Unsupported nonlinearity ", nonlinearity);
}

std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor) {
  WICK_CHECK(tensor.dim() >= 2, ValueError,
             "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions (got shape ",
             tensor.sizes(), ")");
  int64_t receptive_field = 1;
  for (int64_t d = 2; d < tensor.dim(); ++d) receptive_field *= tensor.size(d);
  return {tensor.size(1) * receptive_field, tensor.size(0) * receptive_field};
}

namespace {

int64_t fan(const Tensor& tensor, std::string_view mode) {
  WICK_CHECK(mode == "fan_in" || mode == "fan_out", ValueError, "Mode ", mode,
             " not supported, please use one of fan_in, fan_out");
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  return mode == "fan_in" ? fan_in : fan_out;
}

void check_floating(const Tensor& tensor, const char* fn) {
  WICK_CHECK(tensor.defined(), ValueError, "nn.init.", fn, ": the tensor is undefined");
  WICK_CHECK(tensor.is_floating_point(), TypeError, "nn.init.", fn, ": expected a floating point tensor, got dtype ",
             tensor.dtype());
}

}  // namespace

const Tensor& uniform_(const Tensor& tensor, double a, double b, Generator* gen) {
  check_floating(tensor, "uniform_");
  NoGradGuard no_grad;
  return wick::uniform_(tensor, a, b, gen);
}

const Tensor& normal_(const Tensor& tensor, double mean, double std, Generator* gen) {
  check_floating(tensor, "normal_");
  NoGradGuard no_grad;
  return wick::normal_(tensor, mean, std, gen);
}

namespace {

// The inverse of erf on (-1, 1): Winitzki's approximation refined by Newton steps.
double erfinv(double y) {
  const double a = 0.147, pi = 3.14159265358979323846;
  const double ln = std::log((1 - y) * (1 + y));
  const double t = 2 / (pi * a) + ln / 2;
  double x = std::copysign(std::sqrt(std::sqrt(t * t - ln / a) - t), y);
  for (int i = 0; i < 3; ++i) x -= (std::erf(x) - y) / (2 / std::sqrt(pi) * std::exp(-x * x));
  return x;
}

}  // namespace

const Tensor& trunc_normal_(const Tensor& tensor, double mean, double std, double a, double b, Generator* gen) {
  check_floating(tensor, "trunc_normal_");
  WICK_CHECK(a < b, ValueError, "nn.init.trunc_normal_: expected a < b, got a=", a, " and b=", b);
  // As PyTorch: uniform values between the normal CDF at a and at b, mapped
  // back through the inverse CDF, then clamped against rounding.
  auto cdf = [](double x) { return 0.5 * (1 + std::erf(x / std::sqrt(2.0))); };
  const double lo = 2 * cdf((a - mean) / std) - 1, hi = 2 * cdf((b - mean) / std) - 1;
  std::vector<double> values = rand(tensor.sizes(), TensorOptions(ScalarType::Float64), gen).to_vector<double>();
  const double limit = std::nextafter(1.0, 0.0);
  for (double& v : values) {
    const double u = std::clamp(lo + (hi - lo) * v, -limit, limit);
    v = std::clamp(mean + std * std::sqrt(2.0) * erfinv(u), a, b);
  }
  NoGradGuard no_grad;
  return tensor.copy_(from_vector(values, tensor.sizes()));
}

const Tensor& constant_(const Tensor& tensor, double value) {
  WICK_CHECK(tensor.defined(), ValueError, "nn.init.constant_: the tensor is undefined");
  NoGradGuard no_grad;
  return tensor.fill_(value);
}

const Tensor& zeros_(const Tensor& tensor) { return constant_(tensor, 0.0); }
const Tensor& ones_(const Tensor& tensor) { return constant_(tensor, 1.0); }

const Tensor& eye_(const Tensor& tensor) {
  WICK_CHECK(tensor.defined() && tensor.dim() == 2, ValueError,
             "Only tensors with 2 dimensions are supported (got shape ",
             tensor.defined() ? tensor.sizes() : IntArrayRef(), ")");
  NoGradGuard no_grad;
  return tensor.copy_(eye(tensor.size(0), tensor.size(1), TensorOptions(tensor.dtype()).device(tensor.device())));
}

const Tensor& xavier_uniform_(const Tensor& tensor, double gain, Generator* gen) {
  check_floating(tensor, "xavier_uniform_");
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  const double a = std::sqrt(3.0) * std;
  return init::uniform_(tensor, -a, a, gen);
}

const Tensor& xavier_normal_(const Tensor& tensor, double gain, Generator* gen) {
  check_floating(tensor, "xavier_normal_");
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  return init::normal_(tensor, 0.0, gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)), gen);
}

const Tensor& kaiming_uniform_(const Tensor& tensor, double a, std::string_view mode, std::string_view nonlinearity,
                               Generator* gen) {
  check_floating(tensor, "kaiming_uniform_");
  if (tensor.numel() == 0) return tensor;  // nothing to fill (PyTorch warns)
  const double std = calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan(tensor, mode)));
  const double bound = std::sqrt(3.0) * std;
  return init::uniform_(tensor, -bound, bound, gen);
}

const Tensor& kaiming_normal_(const Tensor& tensor, double a, std::string_view mode, std::string_view nonlinearity,
                              Generator* gen) {
  check_floating(tensor, "kaiming_normal_");
  if (tensor.numel() == 0) return tensor;
  const double std = calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan(tensor, mode)));
  return init::normal_(tensor, 0.0, std, gen);
}

const Tensor& orthogonal_(const Tensor& tensor, double gain, Generator* gen) {
  check_floating(tensor, "orthogonal_");
  WICK_CHECK(tensor.dim() >= 2, ValueError, "Only tensors with 2 or more dimensions are supported (got shape ",
             tensor.sizes(), ")");
  if (tensor.numel() == 0) return tensor;
  const int64_t rows = tensor.size(0), cols = tensor.numel() / rows;
  // Orthonormalize the columns of a tall Gaussian matrix [m, n] (m >= n) by
  // modified Gram-Schmidt. Its Q equals Householder QR's Q with the signs of
  // diag(R) made positive, which is what PyTorch's orthogonal_ produces.
  const int64_t m = std::max(rows, cols), n = std::min(rows, cols);
  Tensor gauss = randn({m, n}, TensorOptions(ScalarType::Float64), gen);
  std::vector<double> a = gauss.to_vector<double>();  // row-major [m, n]
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t k = 0; k < j; ++k) {
      double dot = 0;
      for (int64_t i = 0; i < m; ++i) dot += a[i * n + k] * a[i * n + j];
      for (int64_t i = 0; i < m; ++i) a[i * n + j] -= dot * a[i * n + k];
    }
    double norm = 0;
    for (int64_t i = 0; i < m; ++i) norm += a[i * n + j] * a[i * n + j];
    norm = std::sqrt(norm);
    WICK_CHECK(norm > 0, Error, "nn.init.orthogonal_: a degenerate random matrix; try again");
    for (int64_t i = 0; i < m; ++i) a[i * n + j] /= norm;
  }
  Tensor q = from_vector(a, {m, n});
  if (rows < cols) q = q.t();  // [rows, cols] with orthonormal rows
  NoGradGuard no_grad;
  return tensor.copy_((q * gain).reshape(tensor.sizes()));
}

}  // namespace wick::nn::init
