// Matrix products and their derivatives.
//
// mm, bmm, addmm, dot and mv each run the device's one batched kernel,
// Backend::matmul (out = alpha * a @ b + beta * out over [B, n, k] @ [B, k, m]),
// on their operands: matrices as they are (a batch of one), a vector as a
// 1 x k or k x 1 matrix view. No operand is copied here; the kernel reads strided
// matrices in place where it can. outer and matmul are composites, as in
// PyTorch, so their grad_fn is that of the op they end in.
#include "ops/linalg.h"

#include <algorithm>

#include "autograd/function.h"
#include "core/dispatch.h"
#include "ops/creation.h"
#include "ops/elementwise.h"
#include "ops/indexing.h"
#include "ops/reduce.h"
#include "ops/view.h"

namespace wick {

namespace {

// A vector as one row or one column.
Tensor as_row(const Tensor& v) { return raw_view(v, {1, v.size(0)}, {0, v.stride(0)}); }
Tensor as_column(const Tensor& v) { return raw_view(v, {v.size(0), 1}, {v.stride(0), 0}); }

void run_matmul(const char* op, const Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta) {
  if (out.numel() == 0) return;
  kernel(out.device(), &Backend::matmul, op)(out, a, b, alpha, beta);
}

Tensor empty_result(IntArrayRef sizes, const Tensor& like) {
  return empty(sizes, TensorOptions(like.dtype()).device(like.device()));
}

// The checks every product makes of its two operands.
void check_operands(const char* op, const Tensor& a, const Tensor& b) {
  WICK_CHECK(a.defined() && b.defined(), ValueError, op, ": undefined tensor argument");
  WICK_CHECK(a.device() == b.device(), ValueError, op, ": expected both operands to be on the same device, but got ",
             a.device(), " and ", b.device(), " (shapes ", a.sizes(), " and ", b.sizes(), ")");
  WICK_CHECK(a.dtype() == b.dtype(), TypeError, op, ": expected both operands to have the same dtype, but got ",
             a.dtype(), " and ", b.dtype(), " (shapes ", a.sizes(), " and ", b.sizes(), ")");
  WICK_CHECK(a.dtype() != ScalarType::Bool, TypeError, op, ": not implemented for bool tensors (shapes ", a.sizes(),
             " and ", b.sizes(), ")");
}

void check_inner(const char* op, const Tensor& a, const Tensor& b, int64_t ka, int64_t kb) {
  WICK_CHECK(ka == kb, ValueError, op, ": shapes ", a.sizes(), " and ", b.sizes(), " cannot be multiplied (", ka,
             " != ", kb, ")");
}

void check_matrix(const char* op, const char* what, const Tensor& x) {
  WICK_CHECK(x.dim() == 2, ValueError, op, ": ", what, " must be a matrix, but got a ", x.dim(),
             "-D tensor of shape ", x.sizes());
}

SavedTensor save_if(const std::shared_ptr<Node>& node, size_t needed, const Tensor& t) {
  return node->needs_input_grad(needed) ? SavedTensor(t) : SavedTensor();
}

}  // namespace

// ---- mm / bmm --------------------------------------------------------------------

struct MmBackward0 final : Node {
  SavedTensor self, mat2;
  std::string_view name() const override { return "MmBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    return {needs_input_grad(0) ? mm(g, t(mat2.unpack())) : Tensor(),
            needs_input_grad(1) ? mm(t(self.unpack()), g) : Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(mat2); }
};

Tensor mm(const Tensor& a, const Tensor& b) {
  check_operands("mm", a, b);
  check_matrix("mm", "self", a);
  check_matrix("mm", "mat2", b);
  check_inner("mm", a, b, a.size(1), b.size(0));
  Tensor out = empty_result({a.size(0), b.size(1)}, a);
  run_matmul("mm", out, a, b, 1, 0);
  if (auto node = make_node<MmBackward0>(a, b)) {
    node->self = save_if(node, 1, a);
    node->mat2 = save_if(node, 0, b);
    set_history(out, node);
  }
  return out;
}

struct BmmBackward0 final : Node {
  SavedTensor self, mat2;
  std::string_view name() const override { return "BmmBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    return {needs_input_grad(0) ? bmm(g, transpose(mat2.unpack(), 1, 2)) : Tensor(),
            needs_input_grad(1) ? bmm(transpose(self.unpack(), 1, 2), g) : Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(mat2); }
};

Tensor bmm(const Tensor& a, const Tensor& b) {
  check_operands("bmm", a, b);
  WICK_CHECK(a.dim() == 3, ValueError, "bmm: batch1 must be a 3D tensor, but got shape ", a.sizes());
  WICK_CHECK(b.dim() == 3, ValueError, "bmm: batch2 must be a 3D tensor, but got shape ", b.sizes());
  WICK_CHECK(a.size(0) == b.size(0), ValueError, "bmm: batch1 and batch2 must have same number of batches, got ",
             a.size(0), " and ", b.size(0), " (shapes ", a.sizes(), " and ", b.sizes(), ")");
  check_inner("bmm", a, b, a.size(2), b.size(1));
  Tensor out = empty_result({a.size(0), a.size(1), b.size(2)}, a);
  run_matmul("bmm", out, a, b, 1, 0);
  if (auto node = make_node<BmmBackward0>(a, b)) {
    node->self = save_if(node, 1, a);
    node->mat2 = save_if(node, 0, b);
    set_history(out, node);
  }
  return out;
}

// ---- addmm ---------------------------------------------------------------------------

struct AddmmBackward0 final : Node {
  SavedTensor mat1, mat2;
  Scalar alpha, beta;
  std::string_view name() const override { return "AddmmBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    auto scaled = [](const Tensor& x, Scalar s) { return s.to_double() == 1 ? x : mul(x, s); };
    // The bias gradient keeps the result's shape; the engine sums it down to the bias's.
    return {needs_input_grad(0) ? scaled(g, beta) : Tensor(),
            needs_input_grad(1) ? scaled(mm(g, t(mat2.unpack())), alpha) : Tensor(),
            needs_input_grad(2) ? scaled(mm(t(mat1.unpack()), g), alpha) : Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(mat1); f(mat2); }
};

Tensor addmm(const Tensor& bias, const Tensor& a, const Tensor& b, Scalar beta, Scalar alpha) {
  check_operands("addmm", a, b);
  check_matrix("addmm", "mat1", a);
  check_matrix("addmm", "mat2", b);
  check_inner("addmm", a, b, a.size(1), b.size(0));
  const int64_t n = a.size(0), m = b.size(1);
  WICK_CHECK(bias.defined(), ValueError, "addmm: undefined bias");
  WICK_CHECK(bias.dtype() == a.dtype(), TypeError, "addmm: expected bias to have the dtype of mat1 and mat2 (",
             a.dtype(), "), but got ", bias.dtype());
  WICK_CHECK(bias.device() == a.device(), ValueError, "addmm: expected bias to be on ", a.device(),
             " like mat1 and mat2, but got ", bias.device());
  const bool fits = bias.dim() <= 2 && (bias.dim() < 1 || bias.size(-1) == m || bias.size(-1) == 1) &&
                    (bias.dim() < 2 || bias.size(0) == n || bias.size(0) == 1);
  WICK_CHECK(fits, ValueError, "addmm: bias of shape ", bias.sizes(), " cannot be broadcast to the result shape [", n,
             ", ", m, "] of mat1 ", a.sizes(), " @ mat2 ", b.sizes());
  WICK_CHECK(a.is_floating_point() || (!alpha.is_floating_point() && !beta.is_floating_point()), TypeError,
             "addmm: for integer tensors, beta and alpha must be integers, but got beta=", beta, " and alpha=", alpha);
  Tensor out = empty_result({n, m}, a);
  const double beta_v = beta.to_double();
  if (beta_v != 0 && out.numel() > 0) {  // beta == 0 ignores the bias, NaN included
    NoGradGuard no_grad;
    kernel(out.device(), &Backend::copy, "addmm")(out, expand(bias, {n, m}));
  }
  run_matmul("addmm", out, a, b, alpha.to_double(), beta_v);
  if (auto node = make_node<AddmmBackward0>(bias, a, b)) {
    node->mat1 = save_if(node, 2, a);
    node->mat2 = save_if(node, 1, b);
    node->alpha = alpha;
    node->beta = beta;
    set_history(out, node);
  }
  return out;
}

// ---- dot / mv / outer --------------------------------------------------------------------

struct DotBackward0 final : Node {
  SavedTensor self, tensor;
  std::string_view name() const override { return "DotBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    return {needs_input_grad(0) ? mul(g, tensor.unpack()) : Tensor(),
            needs_input_grad(1) ? mul(g, self.unpack()) : Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(tensor); }
};

Tensor dot(const Tensor& a, const Tensor& b) {
  check_operands("dot", a, b);
  WICK_CHECK(a.dim() == 1 && b.dim() == 1, ValueError, "dot: 1D tensors expected, but got ", a.dim(), "D and ",
             b.dim(), "D tensors (shapes ", a.sizes(), " and ", b.sizes(), ")");
  check_inner("dot", a, b, a.size(0), b.size(0));
  Tensor out = empty_result({}, a);
  run_matmul("dot", raw_view(out, {1, 1}, {1, 1}), as_row(a), as_column(b), 1, 0);
  if (auto node = make_node<DotBackward0>(a, b)) {
    node->self = save_if(node, 1, a);
    node->tensor = save_if(node, 0, b);
    set_history(out, node);
  }
  return out;
}

struct MvBackward0 final : Node {
  SavedTensor self, vec;
  std::string_view name() const override { return "MvBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    return {needs_input_grad(0) ? outer(g, vec.unpack()) : Tensor(),
            needs_input_grad(1) ? mv(t(self.unpack()), g) : Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(vec); }
};

Tensor mv(const Tensor& a, const Tensor& v) {
  check_operands("mv", a, v);
  check_matrix("mv", "self", a);
  WICK_CHECK(v.dim() == 1, ValueError, "mv: vec must be a vector, but got a ", v.dim(), "-D tensor of shape ",
             v.sizes(), " (self has shape ", a.sizes(), ")");
  check_inner("mv", a, v, a.size(1), v.size(0));
  Tensor out = empty_result({a.size(0)}, a);
  run_matmul("mv", as_column(out), a, as_column(v), 1, 0);
  if (auto node = make_node<MvBackward0>(a, v)) {
    node->self = save_if(node, 1, a);
    node->vec = save_if(node, 0, v);
    set_history(out, node);
  }
  return out;
}

Tensor outer(const Tensor& a, const Tensor& b) {
  WICK_CHECK(a.defined() && b.defined(), ValueError, "outer: undefined tensor argument");
  WICK_CHECK(a.dim() == 1 && b.dim() == 1, ValueError, "outer: expected 1D tensors, but got shapes ", a.sizes(),
             " and ", b.sizes());
  return mul(unsqueeze(a, 1), unsqueeze(b, 0));
}

// ---- matmul ----------------------------------------------------------------------------------

namespace {

// PyTorch's should_fold: whether a >=3-D operand times a 1-D or 2-D one runs
// as one mm/mv over the batch folded into rows (through the transpose when the
// larger operand is on the right). Folding may copy the larger operand; it is
// done when that copy is free (its batch dims merge into a view), or when the
// smaller operand needs a gradient, which a single mm gives without a batch
// of products to sum.
bool should_fold(const Tensor& a, const Tensor& b) {
  const bool a_larger = a.dim() >= b.dim();
  const Tensor& large = a_larger ? a : b;
  const Tensor& small = a_larger ? b : a;
  if (!(large.dim() >= 3 && small.dim() <= 2)) return false;
  if (GradMode::is_enabled() && small.requires_grad()) return true;
  if (a.dim() == 2) return false;  // the result would need a transposing copy
  if (large.numel() == 0) return true;
  // Folding the batch into rows (of large, or of large^T) is a view when the
  // leading dims are contiguous with each other.
  const Tensor t1 = a_larger ? a : transpose(b, -1, -2);
  for (int64_t d = 0; d + 2 < t1.dim(); ++d)
    if (t1.stride(d) != t1.stride(d + 1) * t1.size(d + 1)) return false;
  return true;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_operands("matmul", a, b);
  const int64_t da = a.dim(), db = b.dim();
  WICK_CHECK(da >= 1 && db >= 1, ValueError, "matmul: both arguments to matmul need to be at least 1D, but they are ",
             da, "D and ", db, "D (shapes ", a.sizes(), " and ", b.sizes(), ")");
  check_inner("matmul", a, b, a.size(-1), db >= 2 ? b.size(-2) : b.size(0));
  if (da == 1 && db == 1) return dot(a, b);
  if (da == 2 && db == 1) return mv(a, b);
  if (da == 1 && db == 2) return squeeze(mm(unsqueeze(a, 0), b), 0);
  if (da == 2 && db == 2) return mm(a, b);

  if (should_fold(a, b)) {
    // out = t1 @ t2 with t1 >= 3-D, or out^T = b^T @ a^T when b is the larger.
    const bool flip = db > da;
    const Tensor t1 = flip ? transpose(b, -1, -2) : a;
    const Tensor t2 = flip ? (da == 2 ? t(a) : a) : b;
    DimVector out_shape(t1.sizes().begin(), t1.sizes().end() - 1);
    int64_t rows = 1;
    for (int64_t s : out_shape) rows *= s;
    if (t2.dim() == 2) out_shape.push_back(t2.size(1));
    const Tensor folded = reshape(t1, {rows, t1.size(-1)});
    if (t2.dim() == 1) return view(mv(folded, t2), out_shape);
    const Tensor out = view(mm(folded, t2), out_shape);
    return flip ? contiguous(transpose(out, -1, -2)) : out;
  }

  // Broadcast the batch dims, flatten them, and run one bmm.
  const int64_t n = da > 1 ? a.size(-2) : 1, k = a.size(-1);
  const int64_t p = db > 1 ? b.size(-1) : 1;
  const IntArrayRef batch_a(a.sizes().data(), static_cast<size_t>(std::max<int64_t>(da - 2, 0)));
  const IntArrayRef batch_b(b.sizes().data(), static_cast<size_t>(std::max<int64_t>(db - 2, 0)));
  const size_t nb = std::max(batch_a.size(), batch_b.size());
  DimVector batch(nb, 1);
  int64_t batch_numel = 1;
  for (size_t i = 0; i < nb; ++i) {
    const int64_t x = i < nb - batch_a.size() ? 1 : batch_a[i - (nb - batch_a.size())];
    const int64_t y = i < nb - batch_b.size() ? 1 : batch_b[i - (nb - batch_b.size())];
    WICK_CHECK(x == y || x == 1 || y == 1, ValueError, "matmul: batch dimensions ", batch_a, " and ", batch_b,
               " cannot be broadcast together (shapes ", a.sizes(), " and ", b.sizes(), ")");
    batch[i] = x == 1 ? y : x;
    batch_numel *= batch[i];
  }
  DimVector a_shape(batch), b_shape(batch);
  a_shape.push_back(n);
  a_shape.push_back(k);
  b_shape.push_back(k);
  if (db > 1) b_shape.push_back(p);
  const Tensor a3 = reshape(expand(a, a_shape), {batch_numel, n, k});
  const Tensor b3 = db > 1 ? reshape(expand(b, b_shape), {batch_numel, k, p})
                           : unsqueeze(reshape(expand(b, b_shape), {batch_numel, k}), 2);
  DimVector out_shape(batch);
  if (da > 1) out_shape.push_back(n);
  if (db > 1) out_shape.push_back(p);
  return view(bmm(a3, b3), out_shape);
}

// ---- methods ---------------------------------------------------------------------------------

Tensor Tensor::matmul(const Tensor& other) const { return wick::matmul(*this, other); }
Tensor Tensor::mm(const Tensor& other) const { return wick::mm(*this, other); }
Tensor Tensor::bmm(const Tensor& other) const { return wick::bmm(*this, other); }

// ---- composites: baddbmm, addbmm, addmv, addr, inner, vdot, kron, cross, dist, cdist -----------

namespace {

// beta * input + alpha * product, where beta == 0 ignores input (even its NaNs), as in PyTorch.
Tensor scaled_sum(const Tensor& input, const Tensor& product, Scalar beta, Scalar alpha) {
  const Tensor p = alpha.to<double>() == 1 ? product : mul(product, alpha);
  if (beta.to<double>() == 0) {
    // input's shape and a zero gradient for it, but none of its values (NaN * 0 would be NaN).
    const Tensor ignored = where(ones_like(input, TensorOptions(ScalarType::Bool).device(input.device())), 0, input);
    return add(ignored, p);
  }
  return add(beta.to<double>() == 1 ? input : mul(input, beta), p);
}

}  // namespace

Tensor baddbmm(const Tensor& input, const Tensor& b1, const Tensor& b2, Scalar beta, Scalar alpha) {
  return scaled_sum(input, bmm(b1, b2), beta, alpha);
}
Tensor addbmm(const Tensor& input, const Tensor& b1, const Tensor& b2, Scalar beta, Scalar alpha) {
  return scaled_sum(input, sum(bmm(b1, b2), {0}), beta, alpha);
}
Tensor addmv(const Tensor& input, const Tensor& mat, const Tensor& vec, Scalar beta, Scalar alpha) {
  return scaled_sum(input, mv(mat, vec), beta, alpha);
}
Tensor addr(const Tensor& input, const Tensor& vec1, const Tensor& vec2, Scalar beta, Scalar alpha) {
  return scaled_sum(input, outer(vec1, vec2), beta, alpha);
}

Tensor inner(const Tensor& a, const Tensor& b) {
  WICK_CHECK(a.defined() && b.defined(), ValueError, "inner: undefined tensor argument");
  if (a.dim() == 0 || b.dim() == 0) return mul(a, b);
  WICK_CHECK(a.size(-1) == b.size(-1), ValueError, "inner() the last dimension must match on both input tensors but "
             "got shapes ", a.sizes(), " and ", b.sizes());
  const ScalarType t = result_type(a, b);  // as mul would promote
  return tensordot(a.to(t), b.to(t), {a.dim() - 1}, {b.dim() - 1});
}

Tensor vdot(const Tensor& a, const Tensor& b) { return dot(a, b); }  // real dtypes: no conjugate

Tensor kron(const Tensor& a, const Tensor& b) {
  WICK_CHECK(a.defined() && b.defined(), ValueError, "kron: undefined tensor argument");
  // Both padded to n dims; a as [a0, 1, a1, 1, ...] times b as [1, b0, 1, b1, ...], merged pairwise.
  const int64_t n = std::max(a.dim(), b.dim());
  DimVector sa(static_cast<size_t>(n - a.dim()), 1), sb(static_cast<size_t>(n - b.dim()), 1);
  for (int64_t s : a.sizes()) sa.push_back(s);
  for (int64_t s : b.sizes()) sb.push_back(s);
  DimVector va, vb, merged;
  for (int64_t i = 0; i < n; ++i) {
    va.push_back(sa[i]);
    va.push_back(1);
    vb.push_back(1);
    vb.push_back(sb[i]);
    merged.push_back(sa[i] * sb[i]);
  }
  return reshape(mul(reshape(a, va), reshape(b, vb)), merged);
}

Tensor cross(const Tensor& a, const Tensor& b, std::optional<int64_t> dim_in) {
  WICK_CHECK(a.defined() && b.defined(), ValueError, "cross: undefined tensor argument");
  WICK_CHECK(a.dim() == b.dim(), ValueError, "linalg.cross: inputs must have the same number of dimensions, got ",
             a.sizes(), " and ", b.sizes());
  const DimVector shape = broadcast_shapes(a.sizes(), b.sizes());
  int64_t dim = -1;
  if (dim_in) {
    dim = wrap_dim(*dim_in, static_cast<int64_t>(shape.size()), "cross");
  } else {  // torch.cross's default: the first dim of size 3
    for (size_t d = 0; d < shape.size() && dim < 0; ++d)
      if (shape[d] == 3) dim = static_cast<int64_t>(d);
    WICK_CHECK(dim >= 0, ValueError, "cross: no dimension of size 3 in input (shapes ", a.sizes(), " and ", b.sizes(), ")");
  }
  WICK_CHECK(a.size(dim) == 3 && b.size(dim) == 3, ValueError, "linalg.cross: inputs dimension ", dim,
             " must have length 3. Got ", a.size(dim), " and ", b.size(dim));
  const auto at = [&](const Tensor& t, int64_t i) { return narrow(t, dim, i, 1); };
  const auto component = [&](int64_t i, int64_t j) { return sub(mul(at(a, i), at(b, j)), mul(at(a, j), at(b, i))); };
  return cat({component(1, 2), component(2, 0), component(0, 1)}, dim);
}

Tensor dist(const Tensor& a, const Tensor& b, double p) { return norm(sub(a, b), p); }

Tensor cdist(const Tensor& x1, const Tensor& x2, double p) {
  WICK_CHECK(x1.defined() && x2.defined(), ValueError, "cdist: undefined tensor argument");
  WICK_CHECK(x1.dim() >= 2 && x2.dim() >= 2, ValueError, "cdist only supports at least 2D tensors, X1 got: ",
             x1.dim(), "D, X2 got: ", x2.dim(), "D");
  WICK_CHECK(x1.size(-1) == x2.size(-1), ValueError, "X1 and X2 must have the same number of columns. X1: ",
             x1.size(-1), " X2: ", x2.size(-1));
  WICK_CHECK(x1.is_floating_point() && x2.is_floating_point(), TypeError,
             "cdist only supports floating-point dtypes, X1 got: ", x1.dtype(), ", X2 got: ", x2.dtype());
  WICK_CHECK(p >= 0, ValueError, "cdist only supports non-negative p values, got ", p);
  const int64_t r1 = x1.size(-2), r2 = x2.size(-2);
  if (p == 2 && (r1 > 25 || r2 > 25)) {
    // PyTorch's rule: euclidean distances through a matrix product, |x|^2 + |y|^2 - 2 x.y, clamped
    // at 1e-30 before the root (whose gradient at 0 would be infinite).
    const Tensor n1 = sum(mul(x1, x1), {-1}, true), n2 = sum(mul(x2, x2), {-1}, true);
    const Tensor d2 = add(sub(n1, mul(matmul(x1, transpose(x2, -1, -2)), 2.0)), transpose(n2, -1, -2));
    return sqrt(clamp(d2, Scalar(1e-30), std::nullopt));
  }
  // Every pair's difference, reduced with the p-norm over the last dim.
  return norm(sub(unsqueeze(x1, -2), unsqueeze(x2, -3)), p, std::vector<int64_t>{-1});
}

}  // namespace wick
