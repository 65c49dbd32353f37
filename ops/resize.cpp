// pad and interpolate, and their derivatives.
//
// Reflect/replicate/circular padding and interpolation are separable
// resamplings: along each resampled dim, output position o reads input
// positions that depend on o alone (one for padding and nearest, two with
// weights for linear modes). They all run on the two resample kernels
// (Backend::resample and its transpose, resample_backward), with per-dim
// index (and weight) tables computed here. The backward of a resampling is
// its transpose and the backward of that is the resampling again, so
// gradients of any order work. Constant padding is a fill and a copy.
#include "ops/resize.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "autograd/function.h"
#include "core/dispatch.h"
#include "ops/creation.h"
#include "ops/view.h"

namespace wick {

namespace {

using Axes = std::vector<ResampleAxis>;

// How a resampling op is named: PyTorch's op stem and version digit, as in
// UpsampleBilinear2DBackward1 (stem "UpsampleBilinear2D", version '1').
struct OpName {
  std::string stem;
  char version;
};

Tensor resample_op(const Tensor& x, const std::shared_ptr<const Axes>& axes, IntArrayRef out_sizes,
                   const OpName& op, bool transposed, Tensor out = Tensor());

// The node of y = R x, named <stem>Backward<v>; or, when transposed, of
// y = R^T x (a backward being recorded), named <stem>BackwardBackward<v>.
struct ResampleBackward final : Node {
  std::shared_ptr<const Axes> axes;
  DimVector input_sizes;  // the shape of this node's gradient result
  OpName op;
  std::string label;
  bool transposed = false;
  std::string_view name() const override { return label; }
  TensorList apply(TensorList&& grads) override { return {resample_op(grads[0], axes, input_sizes, op, !transposed)}; }
};

// resample (transposed = false) or resample_backward (true) of x into `out`
// (a new tensor of out_sizes when undefined), recorded.
Tensor resample_op(const Tensor& x, const std::shared_ptr<const Axes>& axes, IntArrayRef out_sizes, const OpName& op,
                   bool transposed, Tensor out) {
  if (!out.defined()) out = empty(out_sizes, TensorOptions(x.dtype()).device(x.device()));
  if (out.numel() > 0) {
    NoGradGuard no_grad;
    const Tensor in = contiguous(x);
    if (transposed) kernel(x.device(), &Backend::resample_backward, "resample_backward")(out, in, *axes);
    else kernel(x.device(), &Backend::resample, "resample")(out, in, *axes);
  }
  if (auto node = make_node<ResampleBackward>(x)) {
    node->axes = axes;
    node->input_sizes = DimVector(x.sizes());
    node->op = op;
    node->transposed = transposed;
    node->label = op.stem + (transposed ? "BackwardBackward" : "Backward") + op.version;
    set_history(out, node);
  }
  return out;
}

// ---- pad ----------------------------------------------------------------------------------

// n + before + after, the size of a padded dim, refusing sums past int64.
int64_t padded_size(int64_t n, int64_t before, int64_t after, int64_t d, IntArrayRef input_sizes) {
  int64_t out = 0;
  const bool overflow = __builtin_add_overflow(n, before, &out) || __builtin_add_overflow(out, after, &out);
  WICK_CHECK(!overflow, ValueError, "pad: padding (", before, ", ", after, ") of dim ", d, " of input ", input_sizes,
             " gives a size past 2**63");
  return out;
}

enum class PadMode { Constant, Reflect, Replicate, Circular };

PadMode pad_mode(std::string_view mode) {
  if (mode == "constant") return PadMode::Constant;
  if (mode == "reflect") return PadMode::Reflect;
  if (mode == "replicate") return PadMode::Replicate;
  if (mode == "circular") return PadMode::Circular;
  WICK_THROW(NotImplementedError, "pad: Unrecognised padding mode ", mode,
             " (expected 'constant', 'reflect', 'replicate' or 'circular')");
}

Tensor constant_pad(const Tensor& x, IntArrayRef pad, double value);

struct ConstantPadNdBackward0 final : Node {
  DimVector pad;
  std::string_view name() const override { return "ConstantPadNdBackward0"; }
  TensorList apply(TensorList&& grads) override {
    // The gradient is the output's region that came from the input: the same
    // padding, negated (crop where it padded, zeros where it cropped).
    DimVector negated(pad);
    for (int64_t& p : negated) p = -p;
    return {constant_pad(grads[0], negated, 0.0)};
  }
};

Tensor constant_pad(const Tensor& x, IntArrayRef pad, double value) {
  const int64_t ndim = x.dim();
  DimVector out_sizes(x.sizes());
  for (size_t i = 0; i < pad.size() / 2; ++i) {
    const int64_t d = ndim - 1 - static_cast<int64_t>(i);
    out_sizes[d] = padded_size(x.size(d), pad[2 * i], pad[2 * i + 1], d, x.sizes());
    WICK_CHECK(out_sizes[d] >= 0, ValueError, "pad: padding (", pad[2 * i], ", ", pad[2 * i + 1], ") of dim ", d,
               " of input ", x.sizes(), " gives a negative size ", out_sizes[d]);
  }
  check_allocatable(out_sizes, x.dtype(), "pad");
  Tensor out = empty(out_sizes, TensorOptions(x.dtype()).device(x.device()));
  if (out.numel() > 0) {
    NoGradGuard no_grad;
    kernel(x.device(), &Backend::fill, "pad")(out, Scalar(value));
    // The region both share: the input past its cropped start, the output past its padded start.
    Tensor dst = out, src = detach(x);
    bool overlap = true;
    for (size_t i = 0; i < pad.size() / 2 && overlap; ++i) {
      const int64_t d = ndim - 1 - static_cast<int64_t>(i);
      const int64_t before = pad[2 * i], after = pad[2 * i + 1];
      const int64_t len = x.size(d) + std::min<int64_t>(before, 0) + std::min<int64_t>(after, 0);
      if (len <= 0) {
        overlap = false;
        break;
      }
      dst = narrow(dst, d, std::max<int64_t>(before, 0), len);
      src = narrow(src, d, std::max<int64_t>(-before, 0), len);
    }
    if (overlap && src.numel() > 0) kernel(x.device(), &Backend::copy, "pad")(dst, src);
  }
  if (auto node = make_node<ConstantPadNdBackward0>(x)) {
    node->pad = DimVector(pad);
    set_history(out, node);
  }
  return out;
}

// The input position that output position o reads, along a dim of n padded
// by (before, after). Reflect and replicate index the padded input and then
// crop; circular, as PyTorch, crops first and wraps around what is left.
int64_t pad_source(PadMode mode, int64_t o, int64_t n, int64_t before, int64_t after) {
  const int64_t i = o - before;
  switch (mode) {
    case PadMode::Reflect: return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
    case PadMode::Replicate: return std::clamp<int64_t>(i, 0, n - 1);
    case PadMode::Circular: {
      const int64_t start = std::max<int64_t>(-before, 0);
      const int64_t kept = n - start - std::max<int64_t>(-after, 0);
      const int64_t k = o - std::max<int64_t>(before, 0);
      return start + ((k % kept) + kept) % kept;
    }
    case PadMode::Constant: break;
  }
  return i;
}

const char* pad_stem(PadMode mode) {
  switch (mode) {
    case PadMode::Reflect: return "ReflectionPad";
    case PadMode::Replicate: return "ReplicationPad";
    default: return "CircularPad";
  }
}

// ---- interpolate ----------------------------------------------------------------------------

enum class InterpMode { Nearest, NearestExact, Linear };

// PyTorch's compute_scales_value: 1 / scale_factor when one was given, else in / out.
template <typename T>
T scale_value(std::optional<double> scale, int64_t in, int64_t out) {
  return scale && *scale > 0 ? static_cast<T>(1.0 / *scale) : static_cast<T>(in) / static_cast<T>(out);
}

// The input position of output position o, for the nearest modes (PyTorch
// computes these in float for every dtype; "nearest" keeps its special
// cases for equal and doubled sizes).
int64_t nearest_source(InterpMode mode, int64_t o, int64_t in, int64_t out, std::optional<double> scale) {
  if (mode == InterpMode::Nearest) {
    if (out == in) return o;
    if (out == 2 * in) return o >> 1;
    const float s = scale_value<float>(scale, in, out);
    return std::min(static_cast<int64_t>(std::floor(static_cast<float>(o) * s)), in - 1);
  }
  const float s = scale_value<float>(scale, in, out);
  return std::min(static_cast<int64_t>(std::floor(static_cast<float>((static_cast<double>(o) + 0.5) * s))), in - 1);
}

// Two taps and weights for output position o in linear modes, in T (float for
// float32 inputs, as PyTorch computes them).
template <typename T>
void linear_taps(ResampleAxis& axis, int64_t in, int64_t out, bool align_corners, std::optional<double> scale) {
  axis.taps = 2;
  axis.index.resize(static_cast<size_t>(2 * out));
  axis.weight.resize(static_cast<size_t>(2 * out));
  T ratio;
  if (align_corners) ratio = out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0);
  else ratio = scale_value<T>(scale, in, out);
  for (int64_t o = 0; o < out; ++o) {
    int64_t i0 = o, i1 = o;
    T lambda1 = 0;
    if (in != out) {
      T real = align_corners ? ratio * static_cast<T>(o) : ratio * (static_cast<T>(o) + T(0.5)) - T(0.5);
      if (!align_corners && real < 0) real = 0;
      i0 = std::min(static_cast<int64_t>(std::floor(real)), in - 1);
      lambda1 = std::min(std::max(real - static_cast<T>(i0), T(0)), T(1));
      i1 = i0 + (i0 < in - 1 ? 1 : 0);
    }
    axis.index[2 * o] = i0;
    axis.index[2 * o + 1] = i1;
    axis.weight[2 * o] = static_cast<double>(T(1) - lambda1);
    axis.weight[2 * o + 1] = static_cast<double>(lambda1);
  }
}

std::string join_sizes(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

}  // namespace

Tensor pad(const Tensor& input, IntArrayRef pad, std::string_view mode_name, double value) {
  WICK_CHECK(input.defined(), ValueError, "pad: undefined tensor argument");
  WICK_CHECK(pad.size() % 2 == 0, ValueError, "pad: Padding length must be divisible by 2, but got ", pad.size(),
             " values ", pad);
  WICK_CHECK(static_cast<int64_t>(pad.size()) <= 2 * input.dim(), ValueError, "pad: Padding length too large: ",
             pad.size(), " values for an input of shape ", input.sizes());
  const PadMode mode = pad_mode(mode_name);
  if (mode == PadMode::Constant) return constant_pad(input, pad, value);
  WICK_CHECK(value == 0, ValueError, "pad: Padding mode \"", mode_name, "\" doesn't take in value argument");
  const int64_t k = static_cast<int64_t>(pad.size() / 2), ndim = input.dim();
  WICK_CHECK(k >= 1 && k <= 3 && (ndim == k + 1 || ndim == k + 2), NotImplementedError, "pad: mode '", mode_name,
             "' pads the last 1, 2 or 3 dims of an input with 1 or 2 more dims (2D to 5D), but got ", pad.size(),
             " padding values for an input of shape ", input.sizes());
  DimVector out_sizes(input.sizes());
  for (int64_t d = ndim - k; d < ndim; ++d) {
    const size_t i = static_cast<size_t>(ndim - 1 - d);
    const int64_t before = pad[2 * i], after = pad[2 * i + 1], n = input.size(d);
    const int64_t out = padded_size(n, before, after, d, input.sizes());
    WICK_CHECK(n > 0, ValueError, "pad: mode '", mode_name, "' needs a non-empty dim ", d, ", but the input has shape ",
               input.sizes());
    WICK_CHECK(out >= 0, ValueError, "pad: padding (", before, ", ", after, ") of dim ", d, " of input ",
               input.sizes(), " gives a negative size ", out);
    if (mode == PadMode::Reflect)
      WICK_CHECK(before < n && after < n, ValueError,
                 "pad: Padding size should be less than the corresponding input dimension, but got: padding (",
                 before, ", ", after, ") at dimension ", d, " of input ", input.sizes());
    if (mode == PadMode::Circular) {
      WICK_CHECK(before <= n && after <= n, ValueError, "pad: Padding value causes wrapping around more than once: ",
                 "padding (", before, ", ", after, ") at dimension ", d, " of input ", input.sizes());
      WICK_CHECK(out == 0 || n + std::min<int64_t>(before, 0) + std::min<int64_t>(after, 0) > 0, ValueError,
                 "pad: circular padding (", before, ", ", after, ") at dimension ", d, " of input ", input.sizes(),
                 " crops away every element it would wrap around");
    }
    out_sizes[d] = out;
  }
  // The output first: a size too large for memory is refused before the index tables are built.
  check_allocatable(out_sizes, input.dtype(), "pad");
  Tensor result = empty(out_sizes, TensorOptions(input.dtype()).device(input.device()));
  auto axes = std::make_shared<Axes>();
  for (int64_t d = ndim - k; d < ndim; ++d) {
    const size_t i = static_cast<size_t>(ndim - 1 - d);
    const int64_t before = pad[2 * i], after = pad[2 * i + 1], n = input.size(d), out = out_sizes[d];
    ResampleAxis axis;
    axis.dim = d;
    axis.index.resize(static_cast<size_t>(out));
    for (int64_t o = 0; o < out; ++o) axis.index[o] = pad_source(mode, o, n, before, after);
    axes->push_back(std::move(axis));
  }
  return resample_op(input, axes, out_sizes, {pad_stem(mode) + std::to_string(k) + "D", '0'}, false, result);
}

Tensor interpolate(const Tensor& input, std::optional<std::vector<int64_t>> size,
                   std::optional<std::vector<double>> scale_factor, std::string_view mode_name,
                   std::optional<bool> align_corners, std::optional<bool> recompute_scale_factor) {
  WICK_CHECK(input.defined(), ValueError, "interpolate: undefined tensor argument");
  InterpMode mode;
  int64_t linear_dims = 0;  // the input dims a linear mode needs, minus 2
  if (mode_name == "nearest") {
    mode = InterpMode::Nearest;
  } else if (mode_name == "nearest-exact") {
    mode = InterpMode::NearestExact;
  } else if (mode_name == "linear" || mode_name == "bilinear" || mode_name == "trilinear") {
    mode = InterpMode::Linear;
    linear_dims = mode_name == "linear" ? 1 : mode_name == "bilinear" ? 2 : 3;
  } else if (mode_name == "bicubic" || mode_name == "area") {
    WICK_THROW(NotImplementedError, "interpolate: mode '", mode_name, "' is not implemented (wick offers nearest, ",
               "nearest-exact, linear, bilinear and trilinear)");
  } else {
    WICK_THROW(NotImplementedError, "interpolate: unknown mode '", mode_name,
               "' (expected nearest | nearest-exact | linear | bilinear | trilinear)");
  }
  WICK_CHECK(mode == InterpMode::Linear || !align_corners, ValueError,
             "interpolate: align_corners option can only be set with the interpolating modes: linear | bilinear | ",
             "bicubic | trilinear");
  const int64_t ndim = input.dim(), k = ndim - 2;
  WICK_CHECK(ndim >= 3 && ndim <= 5, NotImplementedError,
             "interpolate: Only 3D, 4D and 5D input Tensors supported (got ", ndim, "D, shape ", input.sizes(),
             ") for the modes: nearest | linear | bilinear | trilinear | nearest-exact");
  WICK_CHECK(mode != InterpMode::Linear || linear_dims == k, NotImplementedError, "interpolate: Got ", ndim,
             "D input, but ", mode_name, " mode needs ", linear_dims + 2, "D input");
  WICK_CHECK(!(size && scale_factor), ValueError, "interpolate: only one of size or scale_factor should be defined");
  WICK_CHECK(size || scale_factor, ValueError, "interpolate: either size or scale_factor should be defined");
  WICK_CHECK(!(size && recompute_scale_factor.value_or(false)), ValueError,
             "interpolate: recompute_scale_factor is not meaningful with an explicit size.");
  WICK_CHECK(input.is_floating_point(), TypeError, "interpolate: expected a floating point input, but got dtype ",
             input.dtype(), " (shape ", input.sizes(), ")");
  const std::vector<int64_t> in_spatial(input.sizes().begin() + 2, input.sizes().end());
  std::vector<int64_t> out_spatial(static_cast<size_t>(k));
  std::vector<std::optional<double>> scales(static_cast<size_t>(k));
  if (size) {
    WICK_CHECK(size->size() == 1 || static_cast<int64_t>(size->size()) == k, ValueError,
               "interpolate: Input and output must have the same number of spatial dimensions, but got input with ",
               "spatial dimensions of ", join_sizes(in_spatial), " and output size of ", join_sizes(*size));
    for (int64_t d = 0; d < k; ++d) out_spatial[d] = (*size)[size->size() == 1 ? 0 : d];
  } else {
    const std::vector<double>& sf = *scale_factor;
    WICK_CHECK(sf.size() == 1 || static_cast<int64_t>(sf.size()) == k, ValueError,
               "interpolate: Input and scale_factor must have the same number of spatial dimensions, but got input ",
               "with spatial dimensions of ", join_sizes(in_spatial), " and ", sf.size(), " scale factors");
    for (int64_t d = 0; d < k; ++d) {
      const double s = sf[sf.size() == 1 ? 0 : d];
      const double scaled = static_cast<double>(in_spatial[d]) * s;
      WICK_CHECK(std::isfinite(scaled) && scaled < 0x1p62, ValueError, "interpolate: scale_factor ", s,
                 " makes an output size of ", scaled, " from input size ", in_spatial[d], " (spatial dim ", d,
                 "), not a finite size below 2**62");
      if (recompute_scale_factor.value_or(false)) {
        out_spatial[d] = static_cast<int64_t>(std::floor(static_cast<double>(in_spatial[d]) * s));
      } else {
        out_spatial[d] = static_cast<int64_t>(static_cast<double>(in_spatial[d]) * s);
        scales[d] = s;
      }
    }
  }
  for (int64_t d = 0; d < k; ++d)
    WICK_CHECK(in_spatial[d] > 0 && out_spatial[d] > 0, ValueError,
               "interpolate: Input and output sizes should be greater than 0, but got input ", join_sizes(in_spatial),
               " output ", join_sizes(out_spatial));

  DimVector out_sizes(input.sizes());
  for (int64_t d = 0; d < k; ++d) out_sizes[d + 2] = out_spatial[d];
  // The output first: a size too large for memory is refused before the index tables are built.
  check_allocatable(out_sizes, input.dtype(), "interpolate");
  Tensor result = empty(out_sizes, TensorOptions(input.dtype()).device(input.device()));
  auto axes = std::make_shared<Axes>();
  for (int64_t d = 0; d < k; ++d) {
    const int64_t in = in_spatial[d], out = out_spatial[d];
    ResampleAxis axis;
    axis.dim = d + 2;
    if (mode == InterpMode::Linear) {
      if (input.dtype() == ScalarType::Float64) linear_taps<double>(axis, in, out, align_corners.value_or(false), scales[d]);
      else linear_taps<float>(axis, in, out, align_corners.value_or(false), scales[d]);
    } else {
      axis.index.resize(static_cast<size_t>(out));
      for (int64_t o = 0; o < out; ++o) axis.index[o] = nearest_source(mode, o, in, out, scales[d]);
    }
    axes->push_back(std::move(axis));
  }
  const std::string dims = std::to_string(k) + "D";
  std::string stem;
  if (mode == InterpMode::Nearest) stem = "UpsampleNearest" + dims;
  else if (mode == InterpMode::NearestExact) stem = "_UpsampleNearestExact" + dims;
  else stem = k == 1 ? "UpsampleLinear1D" : k == 2 ? "UpsampleBilinear2D" : "UpsampleTrilinear3D";
  return resample_op(input, axes, out_sizes, {stem, '1'}, false, result);
}

}  // namespace wick
