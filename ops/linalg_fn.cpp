// torch.linalg's functions that need no routine of their own (ops/decomp.h):
// norms, the condition number, the matrix exponential and powers, multi_dot,
// vander, vecdot, tensorinv and tensorsolve, all compositions of wick's ops,
// so they run on every device and their gradients come from the ops they use.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

#include "autograd/grad_mode.h"
#include "core/dispatch.h"
#include "ops/creation.h"
#include "ops/decomp.h"
#include "ops/elementwise.h"
#include "ops/indexing.h"
#include "ops/linalg.h"
#include "ops/rearrange.h"
#include "ops/reduce.h"
#include "ops/scan.h"
#include "ops/view.h"

namespace wick::linalg {

namespace {

void check_floating(const char* op, const Tensor& x) {
  WICK_CHECK(x.defined(), ValueError, op, ": undefined tensor argument");
  WICK_CHECK(x.is_floating_point(), TypeError, op, ": Expected a floating point or complex tensor as input. Got ",
             x.dtype());
}

std::string ord_name(const MatrixOrd& ord) {
  if (const auto* s = std::get_if<std::string>(&ord)) return "'" + *s + "'";
  return detail::str_cat(std::get<double>(ord));
}

// The two matrix dims of a matrix norm, wrapped and distinct.
std::pair<int64_t, int64_t> matrix_dims(const Tensor& A, const std::vector<int64_t>& dims, const char* op) {
  WICK_CHECK(dims.size() == 2, Error, op, ": dim must be a 2-tuple. Got ", dims.size(), " dims");
  WICK_CHECK(A.dim() >= 2, Error, op, ": The input tensor A must have at least 2 dimensions.");
  const DimVector d = wrap_dims(dims, A.dim(), op);
  WICK_CHECK(d[0] != d[1], Error, op, ": dims must be different. Got (", dims[0], ", ", dims[1], ")");
  return {d[0], d[1]};
}

}  // namespace

// ---- norms --------------------------------------------------------------------------------------

Tensor vector_norm(const Tensor& x_in, double ord, std::optional<std::vector<int64_t>> dims, bool keepdim,
                   std::optional<ScalarType> dtype) {
  check_floating("linalg.vector_norm", x_in);
  if (dtype) {
    WICK_CHECK(is_floating_point(*dtype), TypeError, "linalg.vector_norm: dtype should be floating point, but got ",
               *dtype);
  }
  const Tensor x = dtype && *dtype != x_in.dtype() ? x_in.to(*dtype) : x_in;
  // wick::norm (torch.norm's p-norm) has the same values and PyTorch's norm_backward.
  if (dims && dims->empty()) dims.reset();
  return wick::norm(x, ord, dims, keepdim);
}

Tensor matrix_norm(const Tensor& A_in, const MatrixOrd& ord, std::vector<int64_t> dims, bool keepdim,
                   std::optional<ScalarType> dtype) {
  const char* op = "linalg.matrix_norm";
  check_floating(op, A_in);
  const Tensor A = dtype && *dtype != A_in.dtype() ? A_in.to(*dtype) : A_in;
  const auto [d0, d1] = matrix_dims(A, dims, op);
  if (const auto* s = std::get_if<std::string>(&ord)) {
    if (*s == "fro") return vector_norm(A, 2, std::vector<int64_t>{d0, d1}, keepdim);
    WICK_CHECK(*s == "nuc", Error, op, ": Order ", ord_name(ord), " not supported.");
  } else {
    const double p = std::get<double>(ord);
    WICK_CHECK(p == 1 || p == -1 || p == 2 || p == -2 || std::isinf(p), Error, op, ": Order ", ord_name(ord),
               " not supported.");
    if (p != 2 && p != -2) {
      // 1: the largest column sum of |A|; inf: the largest row sum; -1, -inf: the smallest.
      const bool columns = std::abs(p) == 1;
      const int64_t summed = columns ? d0 : d1, picked = columns ? d1 : d0;
      const Tensor sums = sum(abs(A), {summed}, true);
      Tensor r = p > 0 ? amax(sums, {picked}, true) : amin(sums, {picked}, true);
      if (!keepdim) r = r.squeeze(std::max(d0, d1)).squeeze(std::min(d0, d1));
      return r;
    }
  }
  // 'nuc', 2, -2: from the singular values of the matrices moved to the last two dims.
  const Tensor S = svdvals(movedim(A, {d0, d1}, {-2, -1}));
  Tensor r;
  if (std::holds_alternative<std::string>(ord)) r = sum(S, {-1});
  else r = std::get<double>(ord) > 0 ? amax(S, {-1}) : amin(S, {-1});
  if (keepdim) {
    r = r.unsqueeze(std::min(d0, d1));
    r = r.unsqueeze(std::max(d0, d1));
  }
  return r;
}

Tensor norm(const Tensor& x, std::optional<MatrixOrd> ord, std::optional<std::vector<int64_t>> dims, bool keepdim,
            std::optional<ScalarType> dtype) {
  const char* op = "linalg.norm";
  check_floating(op, x);
  if (dims) {
    WICK_CHECK(dims->size() == 1 || dims->size() == 2, Error, op,
               ": If dim is specified, it must be of length 1 or 2. Got ", dims->size());
    if (dims->size() == 2) return matrix_norm(x, ord ? *ord : MatrixOrd(std::string("fro")), *dims, keepdim, dtype);
    WICK_CHECK(!ord || std::holds_alternative<double>(*ord), Error, op, ": Order ", ord_name(*ord),
               " not supported for vector norms.");
    return vector_norm(x, ord ? std::get<double>(*ord) : 2.0, dims, keepdim, dtype);
  }
  if (!ord) return vector_norm(x, 2.0, std::nullopt, keepdim, dtype);
  WICK_CHECK(x.dim() == 1 || x.dim() == 2, Error, op,
             ": If dim is not specified but ord is, the input must be 1D or 2D. Got ", x.dim(), "D.");
  if (x.dim() == 2) return matrix_norm(x, *ord, {-2, -1}, keepdim, dtype);
  WICK_CHECK(std::holds_alternative<double>(*ord), Error, op, ": Order ", ord_name(*ord),
             " not supported for vector norms.");
  return vector_norm(x, std::get<double>(*ord), std::nullopt, keepdim, dtype);
}

Tensor cond(const Tensor& A, std::optional<MatrixOrd> p) {
  const char* op = "linalg.cond";
  check_floating(op, A);
  WICK_CHECK(A.dim() >= 2, Error, op, ": The input tensor A must have at least 2 dimensions.");
  const auto* number = p ? std::get_if<double>(&*p) : nullptr;
  if (!p || (number && (*number == 2 || *number == -2))) {
    const Tensor S = svdvals(A);
    if (S.size(-1) == 0) return zeros(DimVector(A.sizes().begin(), A.sizes().end() - 2), TensorOptions(A.dtype()).device(A.device()));
    const Tensor big = amax(S, {-1}), small = amin(S, {-1});
    return number && *number == -2 ? div(small, big) : div(big, small);
  }
  WICK_CHECK(A.size(-1) == A.size(-2), Error, op, ": A must be batches of square matrices, but they are ",
             A.size(-2), " by ", A.size(-1), " matrices");
  if (A.size(-1) == 0) return zeros(DimVector(A.sizes().begin(), A.sizes().end() - 2), TensorOptions(A.dtype()).device(A.device()));
  // norm(A) norm(A^-1); a singular matrix's condition number is inf, as in PyTorch.
  const WithInfo i = inv_ex(A);
  const Tensor c = mul(matrix_norm(A, *p), matrix_norm(i.result, *p));
  return where(gt(i.info, wrap_scalar(0)), full_like(c, std::numeric_limits<double>::infinity()), c);
}

// ---- the matrix exponential ------------------------------------------------------------------------

// Note [matrix_exp]
// PyTorch's algorithm (Bader, Blanes, Casas: "Computing the matrix
// exponential with an optimized Taylor polynomial approximation", 2019): the
// 1-norm of A picks the lowest Taylor degree in {1, 2, 4, 8, 12, 18} that is
// accurate to the dtype's precision; past the degree-18 bound, A is scaled by
// 2^-s, exponentiated, and squared s times. Degrees 8, 12 and 18 evaluate
// their polynomials in 2, 3 and 4 products with the paper's coefficients. A
// batch takes the degree and scaling its largest norm needs. Everything is
// matmul and add, so it runs on every device and autograd differentiates the
// polynomial itself.
namespace {

Tensor lincomb(const std::vector<Tensor>& As, const double* row) {
  Tensor r;
  for (size_t j = 0; j < As.size(); ++j) {
    if (row[j] == 0) continue;
    const Tensor t = mul(As[j], wrap_scalar(row[j]));
    r = r.defined() ? add(r, t) : t;
  }
  return r.defined() ? r : zeros_like(As[0]);
}

Tensor taylor(const Tensor& A, int degree) {
  const int64_t n = A.size(-1);
  const Tensor I = eye(n, n, TensorOptions(A.dtype()).device(A.device())).expand(A.sizes());
  if (degree == 1) return add(I, A);
  const Tensor A2 = matmul(A, A);
  if (degree == 2) return add(add(I, A), mul(A2, wrap_scalar(0.5)));
  if (degree == 4) {
    const Tensor inner = add(add(mul(I, wrap_scalar(0.5)), mul(A, wrap_scalar(1.0 / 6))), mul(A2, wrap_scalar(1.0 / 24)));
    return add(add(I, A), matmul(A2, inner));
  }
  if (degree == 8) {
    const double sqrt_177 = 0.1330413469565007072504e+2, x3 = 2.0 / 3.0;
    const double x1 = x3 * ((1 + sqrt_177) / 88), x2 = x3 * ((1 + sqrt_177) / 352);
    const double x4 = (-271 + 29 * sqrt_177) / (315 * x3), x5 = (-11 + 11 * sqrt_177) / (1260 * x3);
    const double x6 = (-99 + 11 * sqrt_177) / (5040 * x3), x7 = (89 - sqrt_177) / (5040 * x3 * x3);
    const double y2 = (857 - 58 * sqrt_177) / 630;
    const Tensor A4 = matmul(A2, add(mul(A, wrap_scalar(x1)), mul(A2, wrap_scalar(x2))));
    const double c[4] = {x4, x5, x6, x7};
    const Tensor A8 = matmul(add(mul(A2, wrap_scalar(x3)), A4), lincomb({I, A, A2, A4}, c));
    return add(add(add(I, A), mul(A2, wrap_scalar(y2))), A8);
  }
  const Tensor A3 = matmul(A2, A);
  if (degree == 12) {
    static constexpr double b[4][4] = {
        {9.0198e-16, 0.46932117595418237389, -0.20099424927047284052, -0.04623946134063071740},
        {5.31597895759871264183, 1.19926790417132231573, 0.01179296240992997031, 0.01108844528519167989},
        {0.18188869982170434744, 0.05502798439925399070, 0.09351590770535414968, 0.00610700528898058230},
        {-2.0861320e-13, -0.13181061013830184015, -0.02027855540589259079, -0.00675951846863086359}};
    const std::vector<Tensor> As = {I, A, A2, A3};
    const Tensor B0 = lincomb(As, b[0]), B1 = lincomb(As, b[1]), B2 = lincomb(As, b[2]), B3 = lincomb(As, b[3]);
    const Tensor A6 = add(B2, matmul(B3, B3));
    return add(B0, matmul(add(B1, A6), A6));
  }
  static constexpr double b[5][5] = {
      {0., -1.00365581030144618291e-01, -8.02924648241156932449e-03, -8.92138498045729985177e-04, 0.},
      {0., 3.97849749499645077844e-01, 1.36783778460411720168e+00, 4.98289622525382669416e-01,
       -6.37898194594723280150e-04},
      {-1.09676396052962061844e+01, 1.68015813878906206114e+00, 5.71779846478865511061e-02,
       -6.98210122488052056106e-03, 3.34975017086070470649e-05},
      {-9.04316832390810593223e-02, -6.76404519071381882256e-02, 6.75961301770459654925e-02,
       2.95552570429315521194e-02, -1.39180257516060693404e-05},
      {0., 0., -9.23364619367118555360e-02, -1.69364939002081722752e-02, -1.40086798182036094347e-05}};
  const Tensor A6 = matmul(A3, A3);
  const std::vector<Tensor> As = {I, A, A2, A3, A6};
  const Tensor B0 = lincomb(As, b[0]), B1 = lincomb(As, b[1]), B2 = lincomb(As, b[2]), B3 = lincomb(As, b[3]),
               B4 = lincomb(As, b[4]);
  const Tensor A9 = add(matmul(B0, B4), B3);
  return add(B1, matmul(add(B2, A9), A9));
}

}  // namespace

Tensor matrix_exp(const Tensor& A) {
  const char* op = "linalg.matrix_exp";
  check_floating(op, A);
  WICK_CHECK(A.dim() >= 2 && A.size(-1) == A.size(-2), Error, op,
             ": A must be batches of square matrices, but they are ", A.dim() >= 2 ? A.size(-2) : A.numel(), " by ",
             A.dim() >= 2 ? A.size(-1) : 1, " matrices");
  const int64_t n = A.size(-1);
  if (n == 0 || A.numel() == 0) return clone(A);
  if (n == 1) return exp(A);
  static constexpr double theta_float[6] = {1.192092800768788e-07, 5.978858893805233e-04, 5.116619363445086e-02,
                                            5.800524627688768e-01, 1.461661507209034e+00, 3.010066362817634e+00};
  static constexpr double theta_double[6] = {2.220446049250313e-16, 2.580956802971767e-08, 3.397168839976962e-04,
                                             4.991228871115323e-02, 2.996158913811580e-01, 1.090863719290036e+00};
  const double* theta = A.dtype() == ScalarType::Float64 ? theta_double : theta_float;
  double norm1 = 0;
  {
    NoGradGuard no_grad;
    norm1 = max(amax(sum(abs(A), {-2}), {-1})).item<double>();  // the batch's largest 1-norm
  }
  if (std::isnan(norm1)) return full_like(A, std::numeric_limits<double>::quiet_NaN());
  static constexpr int degrees[5] = {1, 2, 4, 8, 12};
  for (int i = 0; i < 5; ++i)
    if (norm1 <= theta[i]) return taylor(A, degrees[i]);
  const int s = std::max(0, static_cast<int>(std::ceil(std::log2(norm1 / theta[5]))));
  Tensor X = taylor(s > 0 ? mul(A, wrap_scalar(std::ldexp(1.0, -s))) : A, 18);
  for (int i = 0; i < s; ++i) X = matmul(X, X);
  return X;
}

Tensor matrix_power(const Tensor& A, int64_t n) {
  const char* op = "linalg.matrix_power";
  WICK_CHECK(A.defined(), ValueError, op, ": undefined tensor argument");
  WICK_CHECK(A.dim() >= 2 && A.size(-1) == A.size(-2), Error, op,
             ": A must be batches of square matrices, but they are ", A.dim() >= 2 ? A.size(-2) : A.numel(), " by ",
             A.dim() >= 2 ? A.size(-1) : 1, " matrices");
  if (n == 0) {
    // The identity, recorded as a function of A with a zero gradient (as PyTorch's result is).
    const int64_t k = A.size(-1);
    const Tensor I = eye(k, k, TensorOptions(A.dtype()).device(A.device())).expand(A.sizes());
    return where(ones(A.sizes(), TensorOptions(ScalarType::Bool).device(A.device())), I, A);
  }
  Tensor base = n < 0 ? inv(A) : A;
  uint64_t e = n < 0 ? static_cast<uint64_t>(-(n + 1)) + 1 : static_cast<uint64_t>(n);
  if (e == 1) return n < 0 ? base : clone(A);
  // Binary powering: result = base^(bits of e).
  Tensor result;
  while (e > 0) {
    if (e & 1) result = result.defined() ? matmul(result, base) : base;
    e >>= 1;
    if (e > 0) base = matmul(base, base);
  }
  return result;
}

// ---- products -------------------------------------------------------------------------------------

Tensor multi_dot(const TensorList& tensors) {
  const char* op = "multi_dot()";
  const size_t count = tensors.size();
  WICK_CHECK(count >= 2, Error, op, ": expected at least 2 tensors but got ", count);
  for (size_t i = 0; i < count; ++i) {
    WICK_CHECK(tensors[i].defined(), ValueError, op, ": tensor ", i, " is undefined");
    const int64_t d = tensors[i].dim();
    if (i == 0) WICK_CHECK(d == 1 || d == 2, Error, op, ": the first tensor must be 1D or 2D but got ", d, "D");
    else if (i + 1 == count) WICK_CHECK(d == 1 || d == 2, Error, op, ": the last tensor must be 1D or 2D but got ", d, "D");
    else WICK_CHECK(d == 2, Error, op, ": tensor ", i, " must be 2D but got ", d, "D");
    WICK_CHECK(tensors[i].dtype() == tensors[0].dtype(), TypeError, op,
               ": all tensors must have be the same dtype but tensor 0 is ", tensors[0].dtype(), " and tensor ", i,
               " ", tensors[i].dtype());
    WICK_CHECK(tensors[i].device() == tensors[0].device(), Error, op,
               ": all tensors must be on the same device but tensor 0 is on ", tensors[0].device(), " and tensor ",
               i, " on ", tensors[i].device());
  }
  std::vector<Tensor> m(tensors.begin(), tensors.end());
  const bool row = m.front().dim() == 1, column = m.back().dim() == 1;
  if (row) m.front() = m.front().unsqueeze(0);
  if (column) m.back() = m.back().unsqueeze(-1);
  for (size_t i = 0; i + 1 < count; ++i)
    WICK_CHECK(m[i].size(1) == m[i + 1].size(0), Error, op, ": tensors ", i, " and ", i + 1, " with shapes ",
               tensors[i].sizes(), " and ", tensors[i + 1].sizes(), " cannot be multiplied");
  // The cheapest order of the chain (the classic O(count^3) dynamic program over multiply-adds).
  std::vector<int64_t> p(count + 1);
  for (size_t i = 0; i < count; ++i) p[i] = m[i].size(0);
  p[count] = m.back().size(1);
  std::vector<std::vector<double>> cost(count, std::vector<double>(count, 0));
  std::vector<std::vector<size_t>> split(count, std::vector<size_t>(count, 0));
  for (size_t len = 1; len < count; ++len) {
    for (size_t i = 0; i + len < count; ++i) {
      const size_t j = i + len;
      cost[i][j] = std::numeric_limits<double>::infinity();
      for (size_t k = i; k < j; ++k) {
        const double c = cost[i][k] + cost[k + 1][j] + static_cast<double>(p[i]) * p[k + 1] * p[j + 1];
        if (c < cost[i][j]) {
          cost[i][j] = c;
          split[i][j] = k;
        }
      }
    }
  }
  const std::function<Tensor(size_t, size_t)> chain = [&](size_t i, size_t j) -> Tensor {
    if (i == j) return m[i];
    return mm(chain(i, split[i][j]), chain(split[i][j] + 1, j));
  };
  Tensor r = chain(0, count - 1);
  if (row) r = r.squeeze(0);
  if (column) r = r.squeeze(-1);
  return r;
}

Tensor vander(const Tensor& x, std::optional<int64_t> N) {
  const char* op = "linalg.vander";
  WICK_CHECK(x.defined(), ValueError, op, ": undefined tensor argument");
  WICK_CHECK(x.dim() >= 1, Error, op, ": x must have at least one dimension.");
  const int64_t cols = N ? *N : x.size(-1);
  WICK_CHECK(cols > 1, Error, op, ": N must be greater than 1.");
  // [1, x, x^2, ...] as a running product, whose gradient is exact at x = 0.
  const Tensor col = x.unsqueeze(-1);
  DimVector sizes(x.sizes());
  sizes.push_back(cols - 1);
  const Tensor ones = ones_like(col);
  const ScalarType t = is_integral(x.dtype(), true) ? ScalarType::Int64 : x.dtype();
  return cumprod(cat({ones, col.expand(sizes)}, -1), -1, t);
}

Tensor vecdot(const Tensor& x, const Tensor& y, int64_t dim) {
  WICK_CHECK(x.defined() && y.defined(), ValueError, "linalg.vecdot: undefined tensor argument");
  WICK_CHECK(x.dtype() == y.dtype(), TypeError, "linalg.vecdot: Expected x and y to have the same dtype, but found x of type ",
             x.dtype(), " and y of type ", y.dtype(), " instead");
  return sum(mul(x, y), {dim});
}

// ---- tensorinv, tensorsolve ------------------------------------------------------------------------

Tensor tensorinv(const Tensor& A, int64_t ind) {
  const char* op = "linalg.tensorinv";
  WICK_CHECK(A.defined(), ValueError, op, ": undefined tensor argument");
  WICK_CHECK(ind > 0, Error, op, ": Expected a strictly positive integer for 'ind', but got ", ind);
  WICK_CHECK(ind <= A.dim(), Error, op, ": 'ind' (", ind, ") must not exceed the number of dims (", A.dim(), ")");
  const IntArrayRef sizes = A.sizes();
  const DimVector front(sizes.begin(), sizes.begin() + ind), back(sizes.begin() + ind, sizes.end());
  const int64_t rows = std::accumulate(front.begin(), front.end(), int64_t{1}, std::multiplies<>());
  const int64_t cols = std::accumulate(back.begin(), back.end(), int64_t{1}, std::multiplies<>());
  WICK_CHECK(rows == cols, Error, op, ": Expected self to satisfy the requirement prod(self.shape[ind:]) == "
             "prod(self.shape[:ind]), but got ", cols, " != ", rows);
  DimVector out(back);
  for (int64_t f : front) out.push_back(f);
  return reshape(inv(reshape(A, {rows, cols})), out);
}

Tensor tensorsolve(const Tensor& A_in, const Tensor& B, std::optional<std::vector<int64_t>> dims) {
  const char* op = "linalg.tensorsolve";
  WICK_CHECK(A_in.defined() && B.defined(), ValueError, op, ": undefined tensor argument");
  Tensor A = A_in;
  if (dims && !dims->empty()) {
    const DimVector src = wrap_dims(*dims, A.dim(), op);
    DimVector dst;
    for (size_t i = 0; i < src.size(); ++i) dst.push_back(A.dim() - static_cast<int64_t>(src.size()) + static_cast<int64_t>(i));
    A = movedim(A, src, dst);
  }
  WICK_CHECK(B.dim() <= A.dim(), Error, op, ": B has more dims (", B.dim(), ") than A (", A.dim(), ")");
  const IntArrayRef sizes = A.sizes();
  const DimVector result(sizes.begin() + B.dim(), sizes.end());
  const int64_t rows = B.numel();
  const int64_t cols = std::accumulate(result.begin(), result.end(), int64_t{1}, std::multiplies<>());
  const int64_t lead = std::accumulate(sizes.begin(), sizes.begin() + B.dim(), int64_t{1}, std::multiplies<>());
  WICK_CHECK(rows == cols && lead == rows, Error, op, ": Expected self to satisfy the requirement "
             "prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), but got ", cols, " != ", lead);
  return reshape(solve(reshape(A, {rows, cols}), reshape(B, {rows})), result);
}

}  // namespace wick::linalg
