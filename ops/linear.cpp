// linear and bilinear (declared in ops/linalg.h): composites of the matrix
// products, so their grad_fn is that of the op they end in, as in PyTorch
// (AddmmBackward0 for nn.Linear on a batch of vectors).
#include "autograd/function.h"
#include "ops/elementwise.h"
#include "ops/linalg.h"
#include "ops/view.h"

namespace wick {

namespace {

void check_bias(const Tensor& bias, int64_t out_features, const char* op) {
  if (!bias.defined()) return;
  WICK_CHECK(bias.dim() <= 1 && (bias.numel() == out_features || bias.numel() == 1), ValueError, op,
             ": expected bias of shape [", out_features, "], but got ", bias.sizes());
}

// out + bias where PyTorch adds the bias in place into the product
// (output.add_(bias)): the result keeps the product's dtype, so a float64 bias
// of a float32 linear gives float32, and a float bias of an integer product
// is refused.
Tensor add_bias(const Tensor& out, const Tensor& bias) {
  if (!bias.defined()) return out;
  const ScalarType type = result_type(out, bias);
  if (type == out.dtype()) return add(out, bias);
  WICK_CHECK(can_cast(type, out.dtype()), Error, "linear: result type ", type,
             " can't be cast to the desired output type ", out.dtype());
  return add(out, bias.to(out.dtype()));
}

}  // namespace

// Note [linear with a 1-D weight]
// PyTorch documents weight as [out_features, in_features] or [in_features],
// and bias as [out_features] or []: with a 1-D weight, linear is
// matmul(input, weight), the last dim contracted away, plus a bias that must
// broadcast into that result. PyTorch 1.13 computes that for a 1-D input, but
// for a 2-D (or contiguous 3-D) input with a bias it takes its fused addmm
// path and fails ("mat2 must be a matrix"); wick gives the documented result
// for every input.
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  WICK_CHECK(input.defined() && weight.defined(), ValueError, "linear: undefined tensor argument");
  if (weight.dim() == 1) {
    WICK_CHECK(input.dim() >= 1 && input.size(-1) == weight.size(0), ValueError, "linear: input of shape ",
               input.sizes(), " does not end in in_features = ", weight.size(0), " (weight shape ", weight.sizes(), ")");
    const Tensor out = matmul(input, weight);
    if (!bias.defined()) return out;
    WICK_CHECK(IntArrayRef(broadcast_shapes(out.sizes(), bias.sizes())) == out.sizes(), ValueError,
               "linear: a bias of shape ", bias.sizes(), " does not broadcast to the result's shape ", out.sizes(),
               " (input ", input.sizes(), ", 1-D weight ", weight.sizes(), ")");
    return add_bias(out, bias);
  }
  WICK_CHECK(weight.dim() == 2, ValueError, "linear: weight must be a matrix [out_features, in_features] or a vector ",
             "[in_features], but got shape ", weight.sizes());
  WICK_CHECK(input.dim() >= 1 && input.size(-1) == weight.size(1), ValueError, "linear: input of shape ",
             input.sizes(), " does not end in in_features = ", weight.size(1), " (weight shape ", weight.sizes(), ")");
  check_bias(bias, weight.size(0), "linear");
  if (input.dim() == 2 && bias.defined()) return addmm(bias, input, t(weight));
  if (input.dim() == 3 && bias.defined() && input.is_contiguous()) {
    // A contiguous batch of sequences folds into one addmm (PyTorch does the same).
    const Tensor out = addmm(bias, view(input, {-1, input.size(2)}), t(weight));
    return view(out, {input.size(0), input.size(1), weight.size(0)});
  }
  const Tensor out = matmul(input, t(weight));
  return add_bias(out, bias);
}

Tensor bilinear(const Tensor& x1, const Tensor& x2, const Tensor& weight, const Tensor& bias) {
  WICK_CHECK(x1.defined() && x2.defined() && weight.defined(), ValueError, "bilinear: undefined tensor argument");
  WICK_CHECK(weight.dim() == 3, ValueError, "bilinear: weight must be [out_features, in1_features, in2_features], ",
             "but got shape ", weight.sizes());
  WICK_CHECK(x1.dim() >= 1 && x1.dim() == x2.dim(), ValueError, "bilinear(): input dimensions do not match: got ",
             x1.dim(), " and ", x2.dim(), " (shapes ", x1.sizes(), " and ", x2.sizes(), ")");
  for (int64_t d = 0; d + 1 < x1.dim(); ++d)
    WICK_CHECK(x1.size(d) == x2.size(d), ValueError, "bilinear(): input batch dimensions do not match: got ",
               x1.sizes(), " and ", x2.sizes());
  WICK_CHECK(x1.size(-1) == weight.size(1), ValueError, "bilinear(): input1 size does not match weight size: got ",
             x1.size(-1), " but expected ", weight.size(1), " (input1 shape ", x1.sizes(), ", weight shape ",
             weight.sizes(), ")");
  WICK_CHECK(x2.size(-1) == weight.size(2), ValueError, "bilinear(): input2 size does not match weight size: got ",
             x2.size(-1), " but expected ", weight.size(2), " (input2 shape ", x2.sizes(), ", weight shape ",
             weight.sizes(), ")");
  check_bias(bias, weight.size(0), "bilinear");
  const int64_t out_features = weight.size(0), in1 = weight.size(1), in2 = weight.size(2);
  DimVector out_shape(x1.sizes().begin(), x1.sizes().end() - 1);
  out_shape.push_back(out_features);
  int64_t batch = 1;
  for (int64_t d = 0; d + 1 < x1.dim(); ++d) batch *= x1.size(d);
  // y[b, o] = sum_ij x1[b, i] W[o, i, j] x2[b, j]: first t[b, o, j] = x1[b] . W[:, :, j] as one
  // mm over all (o, j), then a batch of matrix-vector products with x2.
  const Tensor a = reshape(x1, {batch, in1});
  const Tensor w = reshape(permute(weight, {1, 0, 2}), {in1, out_features * in2});
  const Tensor tmp = view(mm(a, w), {batch, out_features, in2});
  const Tensor y = view(bmm(tmp, reshape(x2, {batch, in2, 1})), out_shape);
  return bias.defined() ? add(y, bias) : y;
}

}  // namespace wick
