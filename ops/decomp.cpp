// torch.linalg's factorizations and solves (ops/decomp.h): each one copies its
// operands into batches of column-major matrices, calls one Backend::linalg
// routine, and records a node whose backward is made of wick ops (so the
// gradients are differentiable again). The node names are PyTorch's.
//
// Only left-sided solves reach a kernel: X A = B is solved as A^T X^T = B^T
// through transposed views, which autograd follows on its own.
#include "ops/decomp.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "autograd/function.h"
#include "core/dispatch.h"
#include "ops/creation.h"
#include "ops/elementwise.h"
#include "ops/indexing.h"
#include "ops/linalg.h"
#include "ops/rearrange.h"
#include "ops/reduce.h"
#include "ops/view.h"

namespace wick::linalg {

namespace {

Tensor mT(const Tensor& x) { return x.transpose(-2, -1); }

DimVector batch_of(const Tensor& x, int64_t matrix_dims = 2) {
  return DimVector(x.sizes().begin(), x.sizes().end() - matrix_dims);
}

int64_t numel_of(IntArrayRef sizes) {
  return std::accumulate(sizes.begin(), sizes.end(), int64_t{1}, std::multiplies<>());
}

DimVector with(IntArrayRef batch, std::initializer_list<int64_t> tail) {
  DimVector sizes(batch);
  for (int64_t t : tail) sizes.push_back(t);
  return sizes;
}

// The checks every op starts with: a defined float32/float64 tensor of at least 2 dims.
void check_matrix(const char* op, const Tensor& A, const char* name = "A") {
  WICK_CHECK(A.defined(), ValueError, op, ": undefined tensor argument ", name);
  WICK_CHECK(A.dim() >= 2, Error, op, ": The input tensor ", name, " must have at least 2 dimensions.");
  WICK_CHECK(A.dtype() == ScalarType::Float32 || A.dtype() == ScalarType::Float64, TypeError, op,
             ": Expected a floating point tensor as input. Got ", A.dtype(),
             " (wick's linear algebra takes float32 and float64)");
}

void check_square(const char* op, const Tensor& A, const char* name = "A") {
  check_matrix(op, A, name);
  WICK_CHECK(A.size(-1) == A.size(-2), Error, op, ": ", name, " must be batches of square matrices, but they are ",
             A.size(-2), " by ", A.size(-1), " matrices");
}

void check_same(const char* op, const Tensor& A, const Tensor& B) {
  WICK_CHECK(A.dtype() == B.dtype(), TypeError, op, ": Expected A and B to have the same dtype, but got A with dtype ",
             A.dtype(), " and B with dtype ", B.dtype());
  WICK_CHECK(A.device() == B.device(), Error, op, ": Expected A and B on the same device, but got A on ", A.device(),
             " and B on ", B.device());
}

TensorOptions options_of(const Tensor& x, ScalarType dtype) { return TensorOptions(dtype).device(x.device()); }

// A fresh batch of column-major matrices: `user` is the [*batch, r, c] tensor
// an op returns (the strides of a transposed contiguous tensor, as PyTorch's
// LAPACK results have), `kernel` the same memory as LinalgArgs' [B, r, c].
struct Matrices {
  Tensor user, kernel;
};

Matrices colmajor_empty(IntArrayRef batch, int64_t r, int64_t c, const Tensor& like) {
  Tensor buf = empty(with(batch, {c, r}), options_of(like, like.dtype()));
  return {mT(buf), buf.view({numel_of(batch), c, r}).transpose(1, 2)};
}

// x (broadcast to the batch) copied into fresh column-major matrices.
Matrices colmajor_copy(const Tensor& x, IntArrayRef batch) {
  Matrices m = colmajor_empty(batch, x.size(-2), x.size(-1), x);
  NoGradGuard no_grad;
  m.user.copy_(x.expand(with(batch, {x.size(-2), x.size(-1)})));
  return m;
}

// A fresh [*batch, k] tensor (k < 0: [*batch]) and its [B, k] (or [B]) kernel view.
std::pair<Tensor, Tensor> batch_vectors(IntArrayRef batch, int64_t k, ScalarType dtype, const Tensor& like) {
  Tensor t = empty(k < 0 ? DimVector(batch) : with(batch, {k}), options_of(like, dtype));
  const int64_t B = numel_of(batch);
  return {t, k < 0 ? t.view({B}) : t.view({B, k})};
}

// A fresh info vector (int32 [*batch]) of zeros and its [B] kernel view.
std::pair<Tensor, Tensor> zero_info(IntArrayRef batch, const Tensor& like) {
  auto info = batch_vectors(batch, -1, ScalarType::Int32, like);
  NoGradGuard no_grad;
  info.first.zero_();
  return info;
}

void run(const char* op, LinalgOp kind, const LinalgArgs& args) {
  kernel(args.a.device(), &Backend::linalg, op)(kind, args);
}

// What a nonzero info means, for LinAlgError's message (PyTorch's words).
enum class Failure { Singular, SolveSingular, NotPositiveDefinite, EighConvergence, SvdConvergence, Lstsq };

// Raises LinAlgError for the first matrix whose info is nonzero (one host
// copy of info: a synchronisation on a GPU, as in PyTorch's checked forms).
void check_info(const char* op, const Tensor& info, Failure failure) {
  if (info.numel() == 0) return;
  const std::vector<int32_t> codes = info.to(kCPU).contiguous().to_vector<int32_t>();
  for (size_t i = 0; i < codes.size(); ++i) {
    const int32_t code = codes[i];
    if (code == 0) continue;
    const std::string where = info.dim() > 0 ? detail::str_cat("(Batch element ", i, "): ") : std::string();
    WICK_CHECK(code > 0, Error, op, ": ", where, "argument ", -code, " of the LAPACK routine was invalid (a bug in wick)");
    switch (failure) {
      case Failure::Singular:
        WICK_THROW(LinAlgError, op, ": ", where, "The diagonal element ", code,
                   " is zero, the inversion could not be completed because the input matrix is singular.");
      case Failure::SolveSingular:
        WICK_THROW(LinAlgError, op, ": ", where, "The solver failed because the input matrix is singular.");
      case Failure::NotPositiveDefinite:
        WICK_THROW(LinAlgError, op, ": ", where,
                   "The factorization could not be completed because the input is not positive-definite (the "
                   "leading minor of order ", code, " is not positive-definite).");
      case Failure::EighConvergence:
        WICK_THROW(LinAlgError, op, ": ", where,
                   "The algorithm failed to converge because the input matrix is ill-conditioned or has too many "
                   "repeated eigenvalues (error code: ", code, ").");
      case Failure::SvdConvergence:
        WICK_THROW(LinAlgError, op, ": ", where,
                   "The algorithm failed to converge because the input matrix is ill-conditioned or has too many "
                   "repeated singular values (error code: ", code, ").");
      case Failure::Lstsq:
        WICK_THROW(LinAlgError, op, ": ", where, "The least squares solution could not be computed because the "
                   "input matrix does not have full rank (error code: ", code, ").");
    }
  }
}

// The identity batch [*batch, n, n] like x.
Tensor identity(IntArrayRef batch, int64_t n, const Tensor& like) {
  return eye(n, n, options_of(like, like.dtype())).expand(with(batch, {n, n}));
}

// The permutation matrices P of A = P L U, from getrf's pivots (sequential row
// swaps, so they are replayed on the host: a synchronisation on a GPU).
Tensor pivots_to_permutation(const Tensor& pivots, int64_t m, const Tensor& like) {
  const DimVector batch = batch_of(pivots, 1);
  const int64_t B = numel_of(batch), k = pivots.size(-1);
  const std::vector<int32_t> piv = pivots.to(kCPU).contiguous().to_vector<int32_t>();
  std::vector<double> P(static_cast<size_t>(B * m * m), 0.0);
  std::vector<int64_t> perm(static_cast<size_t>(m));
  for (int64_t b = 0; b < B; ++b) {
    std::iota(perm.begin(), perm.end(), int64_t{0});
    for (int64_t i = 0; i < k; ++i) {
      const int64_t j = piv[static_cast<size_t>(b * k + i)] - 1;
      WICK_CHECK(j >= 0 && j < m, ValueError, "lu_unpack: pivot ", j + 1, " out of range [1, ", m,
                 "]: pivots must come from lu_factor");
      std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(j)]);
    }
    // (P^T A)[i] = A[perm[i]]: P[perm[i], i] = 1.
    for (int64_t i = 0; i < m; ++i) P[static_cast<size_t>(b * m * m + perm[static_cast<size_t>(i)] * m + i)] = 1.0;
  }
  return from_vector(P, with(batch, {m, m}), ScalarType::Float64).to(like.device(), like.dtype());
}

// The strict lower triangle and upper triangle of an LU result as L (unit diagonal) and U.
std::pair<Tensor, Tensor> split_lu(const Tensor& LU) {
  const int64_t m = LU.size(-2), n = LU.size(-1), k = std::min(m, n);
  Tensor L = add(tril(LU.narrow(-1, 0, k), -1), eye(m, k, options_of(LU, LU.dtype())));
  Tensor U = triu(LU.narrow(-2, 0, k));
  return {L, U};
}

// d/dA of a loss through A = P L U, from its gradients for L and U (PyTorch's
// linalg_lu_backward: the square, wide (m < n) and tall (m > n) cases).
Tensor lu_backward(const Tensor& gL_in, const Tensor& gU_in, const Tensor& P, const Tensor& L, const Tensor& U) {
  const int64_t m = L.size(-2), n = U.size(-1), k = std::min(m, n);
  const Tensor gL = gL_in.defined() ? gL_in : zeros_like(L);
  const Tensor gU = gU_in.defined() ? gU_in : zeros_like(U);
  Tensor gA;
  if (m == n) {
    gA = add(tril(matmul(mT(L), gL), -1), triu(matmul(gU, mT(U))));
    gA = solve_triangular(mT(U), gA, /*upper=*/false, /*left=*/false);
    gA = solve_triangular(mT(L), gA, /*upper=*/true, /*left=*/true, /*unitriangular=*/true);
  } else if (m < n) {
    const Tensor U1 = U.narrow(-1, 0, k), gU1 = gU.narrow(-1, 0, k), gU2 = gU.narrow(-1, k, n - k);
    gA = sub(matmul(mT(L), gL), matmul(triu(gU), mT(U)));
    gA = solve_triangular(mT(U1), tril(gA, -1), /*upper=*/false, /*left=*/false);
    gA = cat({add(gA, triu(gU1)), gU2}, -1);
    gA = solve_triangular(mT(L), gA, /*upper=*/true, /*left=*/true, /*unitriangular=*/true);
  } else {
    const Tensor L1 = L.narrow(-2, 0, k), gL1 = gL.narrow(-2, 0, k), gL2 = gL.narrow(-2, k, m - k);
    gA = sub(matmul(gU, mT(U)), matmul(mT(L), tril(gL, -1)));
    gA = solve_triangular(mT(L1), triu(gA), /*upper=*/true, /*left=*/true, /*unitriangular=*/true);
    gA = cat({add(gA, tril(gL1, -1)), gL2}, -2);
    gA = solve_triangular(mT(U), gA, /*upper=*/false, /*left=*/false);
  }
  return matmul(P, gA);
}

}  // namespace

// ---- LU ----------------------------------------------------------------------------------------

struct LinalgLuFactorExBackward0 final : Node {
  SavedTensor LU, pivots;
  std::string_view name() const override { return "LinalgLuFactorExBackward0"; }
  TensorList apply(TensorList&& grads) override {
    if (!grads[0].defined()) return {Tensor()};
    const Tensor lu_ = LU.unpack(), piv = pivots.unpack();
    const int64_t m = lu_.size(-2), n = lu_.size(-1), k = std::min(m, n);
    const auto [L, U] = split_lu(lu_);
    const Tensor P = pivots_to_permutation(piv, m, lu_);
    return {lu_backward(tril(grads[0].narrow(-1, 0, k), -1), triu(grads[0].narrow(-2, 0, k)), P, L, U)};
  }
  void for_each_saved(const SavedVisitor& f) override { f(LU); f(pivots); }
};

LuFactorEx lu_factor_ex(const Tensor& A, bool pivot, bool check_errors) {
  check_matrix("linalg.lu_factor_ex", A);
  WICK_CHECK(pivot || A.is_cuda(), NotImplementedError,
             "linalg.lu_factor: LU without pivoting is not implemented on the CPU");
  WICK_CHECK(pivot, NotImplementedError, "linalg.lu_factor: LU without pivoting is not implemented in wick");
  const DimVector batch = batch_of(A);
  const int64_t m = A.size(-2), n = A.size(-1), k = std::min(m, n);
  Matrices LU = colmajor_copy(A, batch);
  auto [pivots, pivots_k] = batch_vectors(batch, k, ScalarType::Int32, A);
  auto [info, info_k] = zero_info(batch, A);
  if (k == 0) {
    NoGradGuard no_grad;
    pivots.zero_();  // no pivots to write: an empty vector per matrix
  }
  LinalgArgs args;
  args.a = LU.kernel;
  args.pivots = pivots_k;
  args.info = info_k;
  run("linalg.lu_factor", LinalgOp::LuFactor, args);
  if (check_errors) check_info("linalg.lu_factor", info, Failure::Singular);
  if (auto node = make_node<LinalgLuFactorExBackward0>(A)) {
    node->LU = SavedTensor::output(LU.user, node);
    node->pivots = SavedTensor(pivots);
    set_history(LU.user, node);
  }
  return {LU.user, pivots, info};
}

LuFactorEx lu_factor(const Tensor& A, bool pivot) {
  LuFactorEx r = lu_factor_ex(A, pivot);
  check_info("linalg.lu_factor", r.info, Failure::Singular);
  return r;
}

Lu lu_unpack(const Tensor& LU, const Tensor& pivots, bool unpack_data, bool unpack_pivots) {
  check_matrix("lu_unpack", LU, "LU_data");
  WICK_CHECK(pivots.defined() && pivots.dtype() == ScalarType::Int32, TypeError,
             "lu_unpack: LU_pivots is expected to be an int32 tensor, got ",
             pivots.defined() ? to_string(pivots.dtype()) : std::string("an undefined tensor"));
  const int64_t m = LU.size(-2), k = std::min(m, LU.size(-1));
  WICK_CHECK(pivots.dim() == LU.dim() - 1 && pivots.size(-1) == k, Error,
             "lu_unpack: LU_pivots of shape ", pivots.sizes(), " do not fit LU_data of shape ", LU.sizes());
  Lu r;
  if (unpack_data) std::tie(r.L, r.U) = split_lu(LU);
  if (unpack_pivots) r.P = pivots_to_permutation(pivots, m, LU);
  return r;
}

Lu lu(const Tensor& A, bool pivot) {
  const LuFactorEx f = lu_factor_ex(A, pivot);
  return lu_unpack(f.LU, f.pivots);
}

namespace {

// X = op(A)^-1 B for A = P L U (LU, pivots) and B [*, n, nrhs], batch dims broadcast; not recorded.
Tensor lu_solve_forward(const Tensor& LU, const Tensor& pivots, const Tensor& B, bool adjoint) {
  const DimVector batch = broadcast_shapes(batch_of(LU), batch_of(B));
  const int64_t n = LU.size(-1);
  const Matrices lu_m = colmajor_copy(LU, batch);
  const Matrices X = colmajor_copy(B, batch);
  NoGradGuard no_grad;
  const Tensor piv = contiguous(pivots.expand(with(batch, {n})));
  LinalgArgs args;
  args.a = lu_m.kernel;
  args.b = X.kernel;
  args.pivots = piv.view({numel_of(batch), n});
  args.transpose = adjoint;
  run("linalg.lu_solve", LinalgOp::LuSolve, args);
  return X.user;
}

}  // namespace

// A X = B (op(A) = A^T when adjoint), A = P L U: gB = op(A)^-T gX, and the
// gradient for A, -gB X^T (or -X gB^T), carried to L and U through dA = P (dL U + L dU).
struct LinalgLuSolveBackward0 final : Node {
  SavedTensor LU, pivots, X;
  DimVector LU_sizes, B_sizes;
  bool adjoint = false;
  std::string_view name() const override { return "LinalgLuSolveBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& gX = grads[0];
    if (!gX.defined()) return {Tensor(), Tensor()};
    const Tensor lu_ = LU.unpack(), piv = pivots.unpack();
    const Tensor gB = lu_solve(lu_, piv, gX, true, !adjoint);
    Tensor gLU;
    if (needs_input_grad(0)) {
      const Tensor x = X.unpack();
      const Tensor gA = adjoint ? neg(matmul(x, mT(gB))) : neg(matmul(gB, mT(x)));
      const auto [L, U] = split_lu(lu_);
      const Tensor Pt_gA = matmul(mT(pivots_to_permutation(piv, lu_.size(-2), lu_)), gA);
      gLU = sum_to(add(tril(matmul(Pt_gA, mT(U)), -1), triu(matmul(mT(L), Pt_gA))), LU_sizes);
    }
    return {gLU, needs_input_grad(1) ? sum_to(gB, B_sizes) : Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(LU); f(pivots); f(X); }
};

Tensor lu_solve(const Tensor& LU, const Tensor& pivots, const Tensor& B, bool left, bool adjoint) {
  check_square("linalg.lu_solve", LU, "LU");
  check_matrix("linalg.lu_solve", B, "B");
  check_same("linalg.lu_solve", LU, B);
  WICK_CHECK(pivots.defined() && pivots.dtype() == ScalarType::Int32, TypeError,
             "linalg.lu_solve: pivots should be an int32 tensor");
  WICK_CHECK(pivots.dim() == LU.dim() - 1 && pivots.size(-1) == LU.size(-1), Error,
             "linalg.lu_solve: pivots of shape ", pivots.sizes(), " do not fit LU of shape ", LU.sizes());
  // X A = B  <=>  A^T X^T = B^T.
  if (!left) return mT(lu_solve(LU, pivots, mT(B), true, !adjoint));
  WICK_CHECK(B.size(-2) == LU.size(-1), Error, "linalg.lu_solve: Incompatible shapes of A and B for the equation ",
             adjoint ? "A^H X = B" : "AX = B", " (", LU.size(-2), "x", LU.size(-1), " and ", B.size(-2), "x",
             B.size(-1), ")");
  Tensor X = lu_solve_forward(LU, pivots, B, adjoint);
  if (auto node = make_node<LinalgLuSolveBackward0>(LU, B)) {
    node->LU = SavedTensor(LU);
    node->pivots = SavedTensor(pivots);
    node->X = SavedTensor::output(X, node);
    node->LU_sizes = DimVector(LU.sizes());
    node->B_sizes = DimVector(B.sizes());
    node->adjoint = adjoint;
    set_history(X, node);
  }
  return X;
}

// ---- solve, inv ----------------------------------------------------------------------------------

// A X = B: gB = A^-T gX (from the saved LU; by a differentiable solve when the
// backward is itself recorded), gA = -gB X^T.
struct LinalgSolveExBackward0 final : Node {
  SavedTensor A, LU, pivots, X;
  DimVector A_sizes, B_sizes;
  bool vector = false;
  std::string_view name() const override { return "LinalgSolveExBackward0"; }
  TensorList apply(TensorList&& grads) override {
    if (!grads[0].defined()) return {Tensor(), Tensor()};
    const Tensor gX = vector ? grads[0].unsqueeze(-1) : grads[0];
    const Tensor gB = GradMode::is_enabled() ? solve(mT(A.unpack()), gX)
                                             : lu_solve(LU.unpack(), pivots.unpack(), gX, true, true);
    Tensor gA;
    if (needs_input_grad(0)) {
      const Tensor x = vector ? X.unpack().unsqueeze(-1) : X.unpack();
      gA = sum_to(neg(matmul(gB, mT(x))), A_sizes);
    }
    Tensor gB_out;
    if (needs_input_grad(1)) gB_out = sum_to(vector ? gB.squeeze(-1) : gB, B_sizes);
    return {gA, gB_out};
  }
  void for_each_saved(const SavedVisitor& f) override { f(A); f(LU); f(pivots); f(X); }
};

namespace {

// PyTorch's rule: B is a vector when it is 1-D, or has A's shape without its last dim.
bool is_vector_rhs(const Tensor& A, const Tensor& B) {
  return B.dim() == 1 || (B.dim() == A.dim() - 1 && B.sizes() == IntArrayRef(batch_of(A, 1)));
}

WithInfo solve_ex_impl(const char* op, const Tensor& A, const Tensor& B, bool left, bool check_errors,
                       Failure failure) {
  check_square(op, A);
  WICK_CHECK(B.defined(), ValueError, op, ": undefined tensor argument B");
  check_same(op, A, B);
  const bool vector = left && is_vector_rhs(A, B);
  if (!left) {
    WICK_CHECK(B.dim() >= 2, Error, op, ": with left=False, B must have at least 2 dimensions");
    WithInfo r = solve_ex_impl(op, mT(A), mT(B), true, check_errors, failure);
    return {mT(r.result), r.info};
  }
  const Tensor Bm = vector ? B.unsqueeze(-1) : B;
  WICK_CHECK(Bm.dim() >= 2 && Bm.size(-2) == A.size(-1), Error, op,
             ": Incompatible shapes of A and B for the equation AX = B (", A.size(-2), "x", A.size(-1), " and ",
             Bm.dim() >= 2 ? Bm.size(-2) : 1, "x", Bm.size(-1), ")");
  LuFactorEx f;
  {
    NoGradGuard no_grad;
    f = lu_factor_ex(A);
  }
  if (check_errors) check_info(op, f.info, failure);
  Tensor X = lu_solve_forward(f.LU, f.pivots, Bm, false);
  if (vector) X = X.squeeze(-1);
  const Tensor info = f.info;  // one per matrix of A (not of the broadcast batch), as in PyTorch
  if (auto node = make_node<LinalgSolveExBackward0>(A, B)) {
    node->A = SavedTensor(A);
    node->LU = SavedTensor(f.LU);
    node->pivots = SavedTensor(f.pivots);
    node->X = SavedTensor::output(X, node);
    node->A_sizes = DimVector(A.sizes());
    node->B_sizes = DimVector(B.sizes());
    node->vector = vector;
    set_history(X, node);
  }
  return {X, info};
}

}  // namespace

WithInfo solve_ex(const Tensor& A, const Tensor& B, bool left, bool check_errors) {
  return solve_ex_impl("linalg.solve_ex", A, B, left, check_errors, Failure::SolveSingular);
}

Tensor solve(const Tensor& A, const Tensor& B, bool left) {
  return solve_ex_impl("linalg.solve", A, B, left, true, Failure::SolveSingular).result;
}

WithInfo inv_ex(const Tensor& A, bool check_errors) {
  check_square("linalg.inv_ex", A);
  // The identity in A's full shape: an [n, n] B next to an [n, n, n] A would read as a batch of vectors.
  return solve_ex_impl("linalg.inv", A, identity(batch_of(A), A.size(-1), A), true, check_errors, Failure::Singular);
}

Tensor inv(const Tensor& A) {
  check_square("linalg.inv", A);
  return solve_ex_impl("linalg.inv", A, identity(batch_of(A), A.size(-1), A), true, true, Failure::Singular).result;
}

// ---- det, slogdet ---------------------------------------------------------------------------------

namespace {

// The LU factors' diagonal and the permutation's sign (+1 or -1) of each matrix; not recorded.
std::pair<Tensor, Tensor> lu_diagonal_and_parity(const Tensor& A) {
  NoGradGuard no_grad;
  const LuFactorEx f = lu_factor_ex(A);
  const int64_t n = A.size(-1);
  const Tensor diag = diagonal(f.LU, 0, -2, -1);
  const Tensor rows = arange(Scalar(1), Scalar(n + 1), Scalar(1), options_of(A, ScalarType::Int32));
  const Tensor swaps = sum(ne(f.pivots, rows), {-1});
  const Tensor parity = sub(wrap_scalar(1.0), mul(remainder(swaps, wrap_scalar(2)), wrap_scalar(2.0))).to(A.dtype());
  return {diag, parity};
}

// det(A) A^-T computed through the SVD, A = U S Vh: det(U) det(Vh) U diag(prod_{j != i} S_j) Vh,
// which stays finite (and right) for singular A.
Tensor det_times_inverse_transpose_svd(const Tensor& A) {
  const Svd s = svd(A, false);
  const int64_t n = A.size(-1);
  Tensor unitary_sign;
  {
    NoGradGuard no_grad;
    unitary_sign = mul(det(s.U), det(s.Vh));
  }
  // prod_{j != i} S_j: the row of S with entry i replaced by one.
  const Tensor others = where(eye(n, n, options_of(A, ScalarType::Bool)), wrap_scalar(1.0).to(A.dtype()),
                              s.S.unsqueeze(-2).expand(with(batch_of(s.S, 1), {n, n})));
  const Tensor cofactor_s = prod(others, -1);
  return mul(unitary_sign.unsqueeze(-1).unsqueeze(-1), matmul(mul(s.U, cofactor_s.unsqueeze(-2)), s.Vh));
}

}  // namespace

// d det(A) = det(A) tr(A^-1 dA): gA = g det(A) A^-T, by the SVD where A is singular.
struct LinalgDetBackward0 final : Node {
  SavedTensor A, result;
  std::string_view name() const override { return "LinalgDetBackward0"; }
  TensorList apply(TensorList&& grads) override {
    if (!grads[0].defined()) return {Tensor()};
    const Tensor a = A.unpack(), d = result.unpack();
    const Tensor g = grads[0].unsqueeze(-1).unsqueeze(-1);
    bool singular = a.size(-1) > 0;
    if (singular) {
      NoGradGuard no_grad;
      singular = any(eq(d, wrap_scalar(0.0))).item<bool>();
    }
    if (!singular) {
      const WithInfo i = inv_ex(a);
      return {mul(mul(g, d.unsqueeze(-1).unsqueeze(-1)), mT(i.result))};
    }
    return {mul(g, det_times_inverse_transpose_svd(a))};
  }
  void for_each_saved(const SavedVisitor& f) override { f(A); f(result); }
};

Tensor det(const Tensor& A) {
  check_square("linalg.det", A);
  const auto [diag, parity] = lu_diagonal_and_parity(A);
  Tensor d;
  {
    NoGradGuard no_grad;
    d = mul(prod(diag, -1), parity);
  }
  if (auto node = make_node<LinalgDetBackward0>(A)) {
    node->A = SavedTensor(A);
    node->result = SavedTensor::output(d, node);
    set_history(d, node);
  }
  return d;
}

// d log|det(A)| = tr(A^-1 dA): gA = g A^-T (sign has no gradient for real A).
struct LinalgSlogdetBackward0 final : Node {
  SavedTensor A;
  std::string_view name() const override { return "LinalgSlogdetBackward0"; }
  TensorList apply(TensorList&& grads) override {
    if (grads.size() < 2 || !grads[1].defined()) return {Tensor()};
    return {mul(grads[1].unsqueeze(-1).unsqueeze(-1), mT(inv_ex(A.unpack()).result))};
  }
  void for_each_saved(const SavedVisitor& f) override { f(A); }
};

SignLogAbsDet slogdet(const Tensor& A) {
  check_square("linalg.slogdet", A);
  const auto [diag, parity] = lu_diagonal_and_parity(A);
  SignLogAbsDet r;
  {
    NoGradGuard no_grad;
    r.sign = mul(prod(sign(diag), -1), parity);
    r.logabsdet = sum(log(abs(diag)), {-1});
  }
  if (auto node = make_node<LinalgSlogdetBackward0>(A)) {
    node->A = SavedTensor(A);
    set_history(r.sign, node);  // output 0: no gradient flows from it
    set_history(r.logabsdet, node);
    r.sign.detach_();
  }
  return r;
}

Tensor logdet(const Tensor& A) {
  check_square("logdet", A);
  const SignLogAbsDet s = slogdet(A);
  // log(sign) is 0 for +1, nan for -1, -inf for 0 (where logabsdet is -inf too).
  return add(s.logabsdet, log(s.sign));
}

// ---- triangular solves ---------------------------------------------------------------------------

// A X = B, A triangular: gB = A^-T gX, gA = -gB X^T in A's triangle.
struct LinalgSolveTriangularBackward0 final : Node {
  SavedTensor A, X;
  DimVector A_sizes, B_sizes;
  bool upper = false, unit = false;
  std::string_view name() const override { return "LinalgSolveTriangularBackward0"; }
  TensorList apply(TensorList&& grads) override {
    if (!grads[0].defined()) return {Tensor(), Tensor()};
    const Tensor a = A.unpack();
    const Tensor gB = solve_triangular(mT(a), grads[0], !upper, true, unit);
    Tensor gA;
    if (needs_input_grad(0)) {
      gA = neg(matmul(gB, mT(X.unpack())));
      gA = sum_to(upper ? triu(gA, unit ? 1 : 0) : tril(gA, unit ? -1 : 0), A_sizes);
    }
    return {gA, needs_input_grad(1) ? sum_to(gB, B_sizes) : Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(A); f(X); }
};

Tensor solve_triangular(const Tensor& A, const Tensor& B, bool upper, bool left, bool unitriangular) {
  check_square("linalg.solve_triangular", A);
  check_matrix("linalg.solve_triangular", B, "B");
  check_same("linalg.solve_triangular", A, B);
  if (!left) return mT(solve_triangular(mT(A), mT(B), !upper, true, unitriangular));
  WICK_CHECK(B.size(-2) == A.size(-1), Error,
             "linalg.solve_triangular: Incompatible shapes of A and B for the equation AX = B (", A.size(-2), "x",
             A.size(-1), " and ", B.size(-2), "x", B.size(-1), ")");
  const DimVector batch = broadcast_shapes(batch_of(A), batch_of(B));
  const Matrices a = colmajor_copy(A, batch), X = colmajor_copy(B, batch);
  LinalgArgs args;
  args.a = a.kernel;
  args.b = X.kernel;
  args.upper = upper;
  args.unit = unitriangular;
  run("linalg.solve_triangular", LinalgOp::TriangularSolve, args);
  if (auto node = make_node<LinalgSolveTriangularBackward0>(A, B)) {
    node->A = SavedTensor(A);
    node->X = SavedTensor::output(X.user, node);
    node->A_sizes = DimVector(A.sizes());
    node->B_sizes = DimVector(B.sizes());
    node->upper = upper;
    node->unit = unitriangular;
    set_history(X.user, node);
  }
  return X.user;
}

// ---- Cholesky --------------------------------------------------------------------------------------

// A = L L^T: gA = L^-T Phi(L^T gL) L^-1 with Phi taking the lower triangle and
// halving the diagonal, symmetrised (PyTorch's cholesky_backward).
struct LinalgCholeskyExBackward0 final : Node {
  SavedTensor L;
  bool upper = false;
  std::string_view name() const override { return "LinalgCholeskyExBackward0"; }
  TensorList apply(TensorList&& grads) override {
    if (!grads[0].defined()) return {Tensor()};
    const Tensor l = upper ? mT(L.unpack()) : L.unpack();
    const Tensor gl = upper ? mT(grads[0]) : grads[0];
    Tensor gA = tril(matmul(mT(l), gl));
    gA = mul(add(gA, mT(tril(gA, -1))), wrap_scalar(0.5));
    gA = solve_triangular(mT(l), gA, /*upper=*/true, /*left=*/true);
    gA = solve_triangular(l, gA, /*upper=*/false, /*left=*/false);
    return {gA};
  }
  void for_each_saved(const SavedVisitor& f) override { f(L); }
};

WithInfo cholesky_ex(const Tensor& A, bool upper, bool check_errors) {
  check_square("linalg.cholesky_ex", A);
  const DimVector batch = batch_of(A);
  const Matrices a = colmajor_copy(A, batch);
  auto [info, info_k] = zero_info(batch, A);
  LinalgArgs args;
  args.a = a.kernel;
  args.info = info_k;
  args.upper = upper;
  run("linalg.cholesky", LinalgOp::Cholesky, args);
  if (check_errors) check_info("linalg.cholesky", info, Failure::NotPositiveDefinite);
  Tensor L;
  {
    NoGradGuard no_grad;
    L = upper ? triu(a.user) : tril(a.user);
  }
  if (auto node = make_node<LinalgCholeskyExBackward0>(A)) {
    node->L = SavedTensor::output(L, node);
    node->upper = upper;
    set_history(L, node);
  }
  return {L, info};
}

Tensor cholesky(const Tensor& A, bool upper) {
  WithInfo r = cholesky_ex(A, upper);
  check_info("linalg.cholesky", r.info, Failure::NotPositiveDefinite);
  return r.result;
}

Tensor cholesky_solve(const Tensor& B, const Tensor& factor, bool upper) {
  check_square("cholesky_solve", factor, "input2");
  check_matrix("cholesky_solve", B, "input");
  // A = L L^T: L Y = B, L^T X = Y; A = U^T U: U^T Y = B, U X = Y.
  const Tensor L = upper ? mT(factor) : factor;
  return solve_triangular(mT(L), solve_triangular(L, B, false), true);
}

Tensor cholesky_inverse(const Tensor& factor, bool upper) {
  check_square("cholesky_inverse", factor, "input");
  return cholesky_solve(identity({}, factor.size(-1), factor), factor, upper);
}

// ---- LDL ------------------------------------------------------------------------------------------

// As in PyTorch, the LDL factorization has no derivative: a backward through it raises.
struct LinalgLdlFactorExBackward0 final : Node {
  std::string_view name() const override { return "LinalgLdlFactorExBackward0"; }
  TensorList apply(TensorList&&) override {
    WICK_THROW(NotImplementedError, "the derivative for 'linalg_ldl_factor_ex' is not implemented.");
  }
};
struct LinalgLdlSolveBackward0 final : Node {
  std::string_view name() const override { return "LinalgLdlSolveBackward0"; }
  TensorList apply(TensorList&&) override {
    WICK_THROW(NotImplementedError, "the derivative for 'linalg_ldl_solve' is not implemented.");
  }
};

LdlFactorEx ldl_factor_ex(const Tensor& A, bool hermitian, bool check_errors) {
  (void)hermitian;  // the same factorization for real matrices
  check_square("linalg.ldl_factor_ex", A);
  const DimVector batch = batch_of(A);
  const int64_t n = A.size(-1);
  const Matrices a = colmajor_copy(A, batch);
  auto [pivots, pivots_k] = batch_vectors(batch, n, ScalarType::Int32, A);
  auto [info, info_k] = zero_info(batch, A);
  LinalgArgs args;
  args.a = a.kernel;
  args.pivots = pivots_k;
  args.info = info_k;
  run("linalg.ldl_factor", LinalgOp::LdlFactor, args);
  if (check_errors) check_info("linalg.ldl_factor", info, Failure::Singular);
  // PyTorch's LD holds the factor's lower triangle only.
  Tensor LD;
  {
    NoGradGuard no_grad;
    LD = a.user;
    LD.copy_(tril(a.user));
  }
  if (auto node = make_node<LinalgLdlFactorExBackward0>(A)) set_history(LD, node);
  return {LD, pivots, info};
}

LdlFactorEx ldl_factor(const Tensor& A, bool hermitian) {
  LdlFactorEx r = ldl_factor_ex(A, hermitian);
  check_info("linalg.ldl_factor", r.info, Failure::Singular);
  return r;
}

Tensor ldl_solve(const Tensor& LD, const Tensor& pivots, const Tensor& B, bool hermitian) {
  (void)hermitian;
  check_square("linalg.ldl_solve", LD, "LD");
  check_matrix("linalg.ldl_solve", B, "B");
  check_same("linalg.ldl_solve", LD, B);
  WICK_CHECK(pivots.defined() && pivots.dtype() == ScalarType::Int32, TypeError,
             "linalg.ldl_solve: pivots should be an int32 tensor");
  WICK_CHECK(pivots.dim() == LD.dim() - 1 && pivots.size(-1) == LD.size(-1), Error, "linalg.ldl_solve: pivots of shape ",
             pivots.sizes(), " do not fit LD of shape ", LD.sizes());
  WICK_CHECK(B.size(-2) == LD.size(-1), Error, "linalg.ldl_solve: Incompatible shapes of LD and B (", LD.size(-2),
             "x", LD.size(-1), " and ", B.size(-2), "x", B.size(-1), ")");
  const DimVector batch = broadcast_shapes(batch_of(LD), batch_of(B));
  const int64_t n = LD.size(-1);
  const Matrices ld = colmajor_copy(LD, batch), X = colmajor_copy(B, batch);
  Tensor piv;
  {
    NoGradGuard no_grad;
    piv = contiguous(pivots.expand(with(batch, {n})));
  }
  LinalgArgs args;
  args.a = ld.kernel;
  args.b = X.kernel;
  args.pivots = piv.view({numel_of(batch), n});
  run("linalg.ldl_solve", LinalgOp::LdlSolve, args);
  if (auto node = make_node<LinalgLdlSolveBackward0>(LD, B)) set_history(X.user, node);
  return X.user;
}


// ---- QR -------------------------------------------------------------------------------------------

std::pair<Tensor, Tensor> geqrf(const Tensor& A) {
  check_matrix("geqrf", A);
  const DimVector batch = batch_of(A);
  const int64_t m = A.size(-2), n = A.size(-1), k = std::min(m, n);
  const Matrices a = colmajor_copy(A, batch);
  auto [tau, tau_k] = batch_vectors(batch, k, A.dtype(), A);
  LinalgArgs args;
  args.a = a.kernel;
  args.tau = tau_k;
  run("geqrf", LinalgOp::Qr, args);
  return {a.user, tau};
}

namespace {

// The first `cols` columns of H_1 ... H_k from geqrf's reflectors (a, tau), cols <= m; not recorded.
Tensor householder_forward(const Tensor& reflectors, const Tensor& tau, int64_t cols) {
  NoGradGuard no_grad;
  const DimVector batch = broadcast_shapes(batch_of(reflectors), batch_of(tau, 1));
  const int64_t m = reflectors.size(-2), k = tau.size(-1);
  Matrices q = colmajor_empty(batch, m, cols, reflectors);
  q.user.zero_();
  const int64_t have = std::min(cols, reflectors.size(-1));
  q.user.narrow(-1, 0, have).copy_(reflectors.narrow(-1, 0, have).expand(with(batch, {m, have})));
  const Tensor t = contiguous(tau.expand(with(batch, {k})));
  LinalgArgs args;
  args.a = q.kernel;
  args.tau = t.view({numel_of(batch), k});
  run("linalg.householder_product", LinalgOp::HouseholderProduct, args);
  return q.user;
}

}  // namespace

struct LinalgQrBackward0 final : Node {
  SavedTensor Q, R;
  std::string_view name() const override { return "LinalgQrBackward0"; }
  TensorList apply(TensorList&& grads) override;
  void for_each_saved(const SavedVisitor& f) override { f(Q); f(R); }
};

// Raises at backward: mode='r' or 'complete' with m > n leave Q undetermined.
struct LinalgQrNotDifferentiable final : Node {
  bool no_q = false;
  std::string_view name() const override { return "LinalgQrBackward0"; }
  TensorList apply(TensorList&&) override {
    WICK_THROW(Error, no_q ? "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please "
                             "use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr."
                           : "The QR decomposition is not differentiable when mode='complete' and nrows > ncols.");
  }
};

Qr qr(const Tensor& A, std::string_view mode) {
  check_matrix("linalg.qr", A);
  WICK_CHECK(mode == "reduced" || mode == "complete" || mode == "r", Error, "qr received unrecognized mode '", mode,
             "' but expected one of 'reduced' (default), 'r', or 'complete'");
  const int64_t m = A.size(-2), n = A.size(-1), k = std::min(m, n);
  Qr r;
  {
    NoGradGuard no_grad;
    const auto [a, tau] = geqrf(A);
    const int64_t rows = mode == "complete" ? m : k;
    r.R = triu(a.narrow(-2, 0, rows));
    if (mode == "r") r.Q = empty({0}, options_of(A, A.dtype()));
    else r.Q = householder_forward(a, tau, mode == "complete" ? m : k);
  }
  if (!needs_grad(A)) return r;
  if (mode == "r" || (mode == "complete" && m > n)) {
    if (auto node = make_node<LinalgQrNotDifferentiable>(A)) {
      node->no_q = mode == "r";
      set_history(r.Q, node);
      set_history(r.R, node);
    }
  } else if (auto node = make_node<LinalgQrBackward0>(A)) {
    node->Q = SavedTensor::output(r.Q, node);
    node->R = SavedTensor::output(r.R, node);
    set_history(r.Q, node);
    set_history(r.R, node);
  }
  return r;
}

struct LinalgHouseholderProductBackward0 final : Node {
  SavedTensor A, tau, result;
  DimVector A_sizes, tau_sizes;
  std::string_view name() const override { return "LinalgHouseholderProductBackward0"; }
  TensorList apply(TensorList&& grads) override;
  void for_each_saved(const SavedVisitor& f) override { f(A); f(tau); f(result); }
};

Tensor householder_product(const Tensor& A, const Tensor& tau) {
  check_matrix("linalg.householder_product", A, "input");
  WICK_CHECK(tau.defined() && tau.dim() >= 1, Error, "linalg.householder_product: tau must have at least 1 dimension");
  check_same("linalg.householder_product", A, tau);
  const int64_t m = A.size(-2), n = A.size(-1), k = tau.size(-1);
  WICK_CHECK(m >= n, Error, "linalg.householder_product: input.shape[-2] must be greater than or equal to "
             "input.shape[-1]");
  WICK_CHECK(n >= k, Error, "linalg.householder_product: input.shape[-1] must be greater than or equal to "
             "tau.shape[-1]");
  WICK_CHECK(tau.dim() == A.dim() - 1, Error, "linalg.householder_product: Expected tau to have one dimension less "
             "than input, but got tau.ndim equal to ", tau.dim(), " and input.ndim is equal to ", A.dim());
  Tensor Q = householder_forward(A, tau, n);
  if (auto node = make_node<LinalgHouseholderProductBackward0>(A, tau)) {
    node->A = SavedTensor(A);
    node->tau = SavedTensor(tau);
    node->result = SavedTensor::output(Q, node);
    node->A_sizes = DimVector(A.sizes());
    node->tau_sizes = DimVector(tau.sizes());
    set_history(Q, node);
  }
  return Q;
}

// ---- eigh, svd ------------------------------------------------------------------------------------

struct LinalgEighBackward0 final : Node {
  SavedTensor L, V;
  bool vectors = true;
  std::string_view name() const override { return "LinalgEighBackward0"; }
  TensorList apply(TensorList&& grads) override;
  void for_each_saved(const SavedVisitor& f) override { f(L); f(V); }
};

namespace {

Eigh eigh_impl(const char* op, const Tensor& A, std::string_view uplo, bool vectors) {
  check_square(op, A);
  WICK_CHECK(uplo == "L" || uplo == "U" || uplo == "l" || uplo == "u", Error, op,
             ": Expected UPLO argument to be 'L' or 'U', but got ", uplo);
  const DimVector batch = batch_of(A);
  const int64_t n = A.size(-1);
  const Matrices a = colmajor_copy(A, batch);
  auto [values, values_k] = batch_vectors(batch, n, A.dtype(), A);
  auto [info, info_k] = zero_info(batch, A);
  LinalgArgs args;
  args.a = a.kernel;
  args.values = values_k;
  args.info = info_k;
  args.upper = uplo == "U" || uplo == "u";
  args.vectors = vectors || needs_grad(A);  // the gradient needs the eigenvectors
  run(op, LinalgOp::Eigh, args);
  check_info(op, info, Failure::EighConvergence);
  Eigh r{values, vectors ? a.user : empty({0}, options_of(A, A.dtype()))};
  if (auto node = make_node<LinalgEighBackward0>(A)) {
    node->L = SavedTensor::output(values, node);
    node->V = vectors ? SavedTensor::output(a.user, node) : SavedTensor(a.user);
    node->vectors = vectors;
    set_history(r.eigenvalues, node);
    if (vectors) set_history(r.eigenvectors, node);
  }
  return r;
}

}  // namespace

Eigh eigh(const Tensor& A, std::string_view uplo) { return eigh_impl("linalg.eigh", A, uplo, true); }

Tensor eigvalsh(const Tensor& A, std::string_view uplo) {
  return eigh_impl("linalg.eigvalsh", A, uplo, false).eigenvalues;
}

struct LinalgSvdBackward0 final : Node {
  SavedTensor U, S, Vh;
  bool full = false, vectors = true;
  std::string_view name() const override { return "LinalgSvdBackward0"; }
  TensorList apply(TensorList&& grads) override;
  void for_each_saved(const SavedVisitor& f) override { f(U); f(S); f(Vh); }
};

namespace {

Svd svd_impl(const char* op, const Tensor& A, bool full_matrices, bool vectors) {
  check_matrix(op, A);
  const DimVector batch = batch_of(A);
  const int64_t m = A.size(-2), n = A.size(-1), k = std::min(m, n);
  // The gradient needs the (reduced) singular vectors even when only S is asked for.
  const bool grad = needs_grad(A);
  const bool compute_uv = vectors || grad;
  const bool full = vectors && full_matrices;
  const int64_t ucols = full ? m : k, vrows = full ? n : k;
  Svd r;
  auto [S, S_k] = batch_vectors(batch, k, A.dtype(), A);
  r.S = S;
  Matrices u, vh;
  if (compute_uv) {
    u = colmajor_empty(batch, m, ucols, A);
    vh = colmajor_empty(batch, vrows, n, A);
  }
  if (k == 0) {
    // No singular values: U and Vh of a full SVD are identities (PyTorch's choice), else empty.
    NoGradGuard no_grad;
    if (compute_uv) {
      u.user.copy_(eye(m, ucols, options_of(A, A.dtype())).expand(u.user.sizes()));
      vh.user.copy_(eye(vrows, n, options_of(A, A.dtype())).expand(vh.user.sizes()));
    }
  } else {
    const Matrices a = colmajor_copy(A, batch);
    auto [info, info_k] = zero_info(batch, A);
    LinalgArgs args;
    args.a = a.kernel;
    args.values = S_k;
    args.info = info_k;
    args.vectors = compute_uv;
    args.full = full;
    if (compute_uv) {
      args.u = u.kernel;
      args.vh = vh.kernel;
    }
    run(op, LinalgOp::Svd, args);
    check_info(op, info, Failure::SvdConvergence);
  }
  if (vectors) {
    r.U = u.user;
    r.Vh = vh.user;
  } else {
    r.U = empty({0}, options_of(A, A.dtype()));
    r.Vh = empty({0}, options_of(A, A.dtype()));
  }
  if (grad) {
    if (auto node = make_node<LinalgSvdBackward0>(A)) {
      node->full = full;
      node->vectors = vectors;
      node->S = SavedTensor::output(r.S, node);
      node->U = vectors ? SavedTensor::output(r.U, node) : SavedTensor(u.user);
      node->Vh = vectors ? SavedTensor::output(r.Vh, node) : SavedTensor(vh.user);
      if (vectors) set_history(r.U, node);
      set_history(r.S, node);
      if (vectors) set_history(r.Vh, node);
    }
  }
  return r;
}

}  // namespace

Svd svd(const Tensor& A, bool full_matrices) { return svd_impl("linalg.svd", A, full_matrices, true); }

Tensor svdvals(const Tensor& A) { return svd_impl("linalg.svdvals", A, false, false).S; }


// ---- backward of QR, householder_product, eigh, svd (PyTorch's FunctionsManual formulas) -----------

// M = gR R^T - Q^T gQ. m >= n: gA = (gQ + Q copyltu(M)) R^-T, copyltu(M) = triu(M) + triu(M)^T with
// the diagonal once. m < n: gA = [Q tril(M^T - M) R1^-T, 0] + Q gR, R1 = R's left m x m block.
TensorList LinalgQrBackward0::apply(TensorList&& grads) {
  const Tensor &gQ = grads[0], &gR = grads[1];
  if (!gQ.defined() && !gR.defined()) return {Tensor()};
  const Tensor q = Q.unpack(), r = R.unpack();
  const int64_t m = q.size(-2), n = r.size(-1);
  Tensor M;
  if (gR.defined()) M = matmul(gR, mT(r));
  if (gQ.defined()) M = M.defined() ? sub(M, matmul(mT(q), gQ)) : neg(matmul(mT(q), gQ));
  if (m >= n) {
    const Tensor T = triu(M);
    const Tensor sym = sub(add(T, mT(T)), diag_embed(diagonal(T, 0, -2, -1)));
    Tensor gA = matmul(q, sym);
    if (gQ.defined()) gA = add(gA, gQ);
    return {solve_triangular(mT(r), gA, /*upper=*/false, /*left=*/false)};
  }
  const Tensor X = neg(M);
  Tensor gA = matmul(q, tril(sub(X, mT(X))));
  gA = solve_triangular(mT(r.narrow(-1, 0, m)), gA, /*upper=*/false, /*left=*/false);
  gA = cat({gA, zeros(with(batch_of(gA), {m, n - m}), options_of(gA, gA.dtype()))}, -1);
  if (gR.defined()) gA = add(gA, matmul(q, gR));
  return {gA};
}

// Q = H_1 ... H_k: peel the reflectors off one at a time (PyTorch's householder_product_backward).
// K carries H_i^-1 ... H_1^-1 Q gQ^T H_1 ... H_{i-1} along; H(t)^-1 = H(t / (t |v|^2 - 1)).
TensorList LinalgHouseholderProductBackward0::apply(TensorList&& grads) {
  const Tensor& g = grads[0];
  const Tensor input = A.unpack(), t = tau.unpack(), q = result.unpack();
  if (!g.defined() || input.numel() == 0 || t.numel() == 0) return {Tensor(), Tensor()};
  const int64_t m = input.size(-2), n = input.size(-1), k = t.size(-1);
  const Tensor V = add(tril(input, -1), eye(m, n, options_of(input, input.dtype())));  // unit diagonal
  const Tensor Vk = V.narrow(-1, 0, k);
  const Tensor sigma = div(t, sub(mul(t, sum(mul(Vk, Vk), {-2})), wrap_scalar(1.0)));
  const Tensor I = eye(m, m, options_of(input, input.dtype()));
  auto reflector = [&](const Tensor& v, const Tensor& s) {  // I - s v v^T
    return sub(I, mul(s.unsqueeze(-1).unsqueeze(-1), matmul(v.unsqueeze(-1), v.unsqueeze(-2))));
  };
  Tensor K = matmul(q, mT(g));
  K = matmul(reflector(Vk.select(-1, 0), sigma.select(-1, 0)), K);
  std::vector<Tensor> input_cols, tau_grads;
  for (int64_t i = 0; i < k; ++i) {
    const Tensor v = Vk.select(-1, i).narrow(-1, i, m - i), ti = t.select(-1, i).unsqueeze(-1);
    const Tensor vK = matmul(v.unsqueeze(-2), K.narrow(-2, i, m - i)).squeeze(-2);
    const Tensor Kv = matmul(K.narrow(-1, i, m - i), v.unsqueeze(-1)).squeeze(-1);
    input_cols.push_back(neg(add(mul(ti, vK), mul(ti, Kv))));
    tau_grads.push_back(neg(sum(mul(vK.narrow(-1, i, m - i), v), {-1})));
    if (i + 1 < k) {
      K = matmul(reflector(Vk.select(-1, i + 1), sigma.select(-1, i + 1)), K);
      K = matmul(K, reflector(Vk.select(-1, i), t.select(-1, i)));
    }
  }
  Tensor input_grad = stack(input_cols, -1);
  if (k < n) input_grad = cat({input_grad, zeros(with(batch_of(input_grad), {m, n - k}), options_of(input, input.dtype()))}, -1);
  input_grad = tril(input_grad, -1);
  return {needs_input_grad(0) ? sum_to(input_grad, A_sizes) : Tensor(),
          needs_input_grad(1) ? sum_to(stack(tau_grads, -1), tau_sizes) : Tensor()};
}

// gA = V (diag(gL) + skew(V^T gV) / E) V^T, E_ij = L_j - L_i (inf or nan for repeated eigenvalues, as in PyTorch).
TensorList LinalgEighBackward0::apply(TensorList&& grads) {
  const Tensor gL = grads[0], gV = vectors && grads.size() > 1 ? grads[1] : Tensor();
  if (!gL.defined() && !gV.defined()) return {Tensor()};
  const Tensor l = L.unpack(), v = V.unpack();
  if (!gV.defined()) return {matmul(mul(v, gL.unsqueeze(-2)), mT(v))};
  Tensor M = matmul(mT(v), gV);
  M = mul(sub(M, mT(M)), wrap_scalar(0.5));
  const int64_t n = l.size(-1);
  const Tensor on_diag = eye(n, n, options_of(l, ScalarType::Bool));
  const Tensor E = where(on_diag, wrap_scalar(1.0).to(l.dtype()), sub(l.unsqueeze(-2), l.unsqueeze(-1)));
  Tensor R = div(M, E);
  R = where(on_diag, gL.defined() ? diag_embed(gL) : zeros_like(R), R);
  return {matmul(v, matmul(R, mT(v)))};
}

// PyTorch's svd_backward on the reduced factors (U m x k, Vh k x n): gradients for the columns of a full
// U or Vh past k do not reach A.
TensorList LinalgSvdBackward0::apply(TensorList&& grads) {
  Tensor gU, gS, gVh;
  if (vectors) {
    gU = grads[0];
    gS = grads[1];
    gVh = grads[2];
  } else {
    gS = grads[0];
  }
  if (!gU.defined() && !gS.defined() && !gVh.defined()) return {Tensor()};
  Tensor u = U.unpack(), s = S.unpack(), vh = Vh.unpack();
  const int64_t m = u.size(-2), n = vh.size(-1), k = s.size(-1);
  if (full) {
    u = u.narrow(-1, 0, k);
    vh = vh.narrow(-2, 0, k);
    if (gU.defined()) gU = gU.narrow(-1, 0, k);
    if (gVh.defined()) gVh = gVh.narrow(-2, 0, k);
  }
  if (!gU.defined() && !gVh.defined())
    return {m >= n ? matmul(u, mul(gS.unsqueeze(-1), vh)) : matmul(mul(u, gS.unsqueeze(-2)), vh)};
  auto skew = [](const Tensor& X) { return sub(X, mT(X)); };
  const Tensor S2 = mul(s, s);
  const Tensor on_diag = eye(k, k, options_of(s, ScalarType::Bool));
  const Tensor E = where(on_diag, wrap_scalar(1.0).to(s.dtype()), sub(S2.unsqueeze(-2), S2.unsqueeze(-1)));
  Tensor R;
  if (gU.defined() && gVh.defined()) {
    R = div(add(mul(skew(matmul(mT(u), gU)), s.unsqueeze(-2)), mul(s.unsqueeze(-1), skew(matmul(vh, mT(gVh))))), E);
  } else if (gU.defined()) {
    R = mul(div(skew(matmul(mT(u), gU)), E), s.unsqueeze(-2));
  } else {
    R = mul(s.unsqueeze(-1), div(skew(matmul(vh, mT(gVh))), E));
  }
  if (gS.defined()) R = add(R, diag_embed(gS));
  if (m > n && gU.defined()) {
    Tensor G = matmul(u, R);
    const Tensor gUS = div(gU, s.unsqueeze(-2));
    G = sub(add(G, gUS), matmul(u, matmul(mT(u), gUS)));
    return {matmul(G, vh)};
  }
  if (m < n && gVh.defined()) {
    Tensor G = matmul(R, vh);
    const Tensor SgVh = div(gVh, s.unsqueeze(-1));
    G = sub(add(G, SgVh), matmul(matmul(SgVh, mT(vh)), vh));
    return {matmul(u, G)};
  }
  return {m >= n ? matmul(u, matmul(R, vh)) : matmul(matmul(u, R), vh)};
}

// ---- pinv, matrix_rank, matrix_sqrth, polar --------------------------------------------------------

namespace {

// The cut below which singular values (or |eigenvalues|) count as zero: max(atol, rtol * largest), with
// PyTorch's default rtol of eps * max(m, n) when neither tolerance is given.
Tensor rank_cutoff(const Tensor& largest, const Tensor& A, std::optional<double> atol, std::optional<double> rtol) {
  const double eps = A.dtype() == ScalarType::Float32 ? std::numeric_limits<float>::epsilon()
                                                       : std::numeric_limits<double>::epsilon();
  const double r = rtol ? *rtol : (atol && *atol > 0 ? 0.0 : eps * static_cast<double>(std::max(A.size(-2), A.size(-1))));
  return maximum(mul(largest, wrap_scalar(r)), full_like(largest, atol ? *atol : 0.0));
}

}  // namespace

namespace {

// d/dA of a loss through Ap = pinv(A), from its gradient G for Ap: PyTorch's pinv_backward (two branches by
// shape), not the SVD's gradient. lstsq's backward uses it too.
Tensor pinv_backward(const Tensor& G, const Tensor& Ap, const Tensor& a) {
  const int64_t m = a.size(-2), n = a.size(-1);
  if (m <= n) {
    const Tensor K = matmul(mT(G), Ap);
    const Tensor KA = matmul(K, mT(Ap));
    return add(sub(add(neg(mT(matmul(Ap, K))), KA), matmul(matmul(a, Ap), KA)),
               matmul(matmul(mT(Ap), Ap), sub(mT(G), matmul(K, a))));
  }
  const Tensor K = matmul(Ap, mT(G));
  const Tensor AK = matmul(mT(Ap), K);
  return sub(add(add(neg(mT(matmul(K, Ap))), matmul(matmul(sub(mT(G), matmul(a, K)), Ap), mT(Ap))), AK),
             matmul(matmul(AK, Ap), a));
}

}  // namespace

struct LinalgPinvBackward0 final : Node {
  SavedTensor A, result;
  std::string_view name() const override { return "LinalgPinvBackward0"; }
  TensorList apply(TensorList&& grads) override {
    if (!grads[0].defined()) return {Tensor()};
    return {pinv_backward(grads[0], result.unpack(), A.unpack())};
  }
  void for_each_saved(const SavedVisitor& f) override { f(A); f(result); }
};

Tensor pinv(const Tensor& A, std::optional<double> atol, std::optional<double> rtol, bool hermitian) {
  check_matrix("linalg.pinv", A);
  Tensor Ap;
  {
    NoGradGuard no_grad;
    if (A.size(-1) == 0 || A.size(-2) == 0) {
      Ap = zeros(with(batch_of(A), {A.size(-1), A.size(-2)}), options_of(A, A.dtype()));
    } else if (hermitian) {
      const Eigh e = eigh(A);
      const Tensor absl = abs(e.eigenvalues);
      const Tensor cut = rank_cutoff(amax(absl, {-1}, true), A, atol, rtol);
      const Tensor inv_l = where(gt(absl, cut), reciprocal(e.eigenvalues), wrap_scalar(0.0).to(A.dtype()));
      Ap = matmul(mul(e.eigenvectors, inv_l.unsqueeze(-2)), mT(e.eigenvectors));
    } else {
      const Svd s = svd(A, false);
      const Tensor cut = rank_cutoff(amax(s.S, {-1}, true), A, atol, rtol);
      const Tensor inv_s = where(gt(s.S, cut), reciprocal(s.S), wrap_scalar(0.0).to(A.dtype()));
      Ap = matmul(mul(mT(s.Vh), inv_s.unsqueeze(-2)), mT(s.U));
    }
  }
  if (auto node = make_node<LinalgPinvBackward0>(A)) {
    node->A = SavedTensor(A);
    node->result = SavedTensor::output(Ap, node);
    set_history(Ap, node);
  }
  return Ap;
}

Tensor matrix_rank(const Tensor& A, std::optional<double> atol, std::optional<double> rtol, bool hermitian) {
  check_matrix("linalg.matrix_rank", A);
  NoGradGuard no_grad;
  if (A.size(-1) == 0 || A.size(-2) == 0) return zeros(batch_of(A), options_of(A, ScalarType::Int64));
  const Tensor values = hermitian ? abs(eigvalsh(A)) : svdvals(A);
  const Tensor cut = rank_cutoff(amax(values, {-1}, true), A, atol, rtol);
  return sum(gt(values, cut), {-1}).to(ScalarType::Int64);
}

// X = V diag(sqrt(l)) V^T; from X X = A, dX X + X dX = dA: the Sylvester equation, diagonal in V's
// basis: gA = V [(V^T gX V) / (sqrt(l_i) + sqrt(l_j))] V^T, finite for repeated eigenvalues.
struct LinalgMatrixSqrthBackward0 final : Node {
  SavedTensor V, root;
  std::string_view name() const override { return "LinalgMatrixSqrthBackward0"; }
  TensorList apply(TensorList&& grads) override {
    if (!grads[0].defined()) return {Tensor()};
    const Tensor v = V.unpack(), r = root.unpack();
    const Tensor denom = add(r.unsqueeze(-1), r.unsqueeze(-2));
    return {matmul(v, matmul(div(matmul(mT(v), matmul(grads[0], v)), denom), mT(v)))};
  }
  void for_each_saved(const SavedVisitor& f) override { f(V); f(root); }
};

Tensor matrix_sqrth(const Tensor& A) {
  check_square("linalg.matrix_sqrth", A);
  Tensor X, v, r;
  {
    NoGradGuard no_grad;
    const Eigh e = eigh(A);
    v = e.eigenvectors;
    // Round-off can leave tiny negative eigenvalues of a semi-definite A: they count as zero.
    r = sqrt(clamp(e.eigenvalues, Scalar(0.0), std::nullopt));
    X = matmul(mul(v, r.unsqueeze(-2)), mT(v));
  }
  if (auto node = make_node<LinalgMatrixSqrthBackward0>(A)) {
    node->V = SavedTensor(v);
    node->root = SavedTensor(r);
    set_history(X, node);
  }
  return X;
}

std::pair<Tensor, Tensor> polar(const Tensor& A) {
  check_matrix("linalg.polar", A);
  WICK_CHECK(A.size(-2) >= A.size(-1), Error, "linalg.polar: A must have at least as many rows as columns, but it is ",
             A.size(-2), " by ", A.size(-1));
  // A = W S Vh: U = W Vh, H = V S Vh (differentiable through the SVD's gradient).
  const Svd s = svd(A, false);
  const Tensor U = matmul(s.U, s.Vh);
  const Tensor H = matmul(mul(mT(s.Vh), s.S.unsqueeze(-2)), s.Vh);
  return {U, H};
}

// ---- least squares -------------------------------------------------------------------------------

namespace {

char lstsq_driver(std::optional<std::string_view> driver, const Tensor& A) {
  if (!driver) return A.is_cuda() ? 'q' : 'y';
  if (*driver == "gelsy") return 'y';
  if (*driver == "gelsd") return 'd';
  if (*driver == "gelss") return 's';
  if (*driver == "gels") return 'q';
  WICK_THROW(Error, "torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)");
}

}  // namespace

struct LinalgLstsqBackward0 final : Node {
  SavedTensor A, B, X;
  DimVector A_sizes, B_sizes;
  bool vector = false;
  std::string_view name() const override { return "LinalgLstsqBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor gX_in = grads[0];
    const Tensor gL = grads.size() > 1 ? grads[1] : Tensor();
    const bool with_residuals = gL.defined() && gL.numel() > 0;
    if (!gX_in.defined() && !with_residuals) return {Tensor(), Tensor()};
    const Tensor a = A.unpack(), b = vector ? B.unpack().unsqueeze(-1) : B.unpack();
    Tensor gA, gB;
    if (gX_in.defined()) {
      const Tensor gX = vector ? gX_in.unsqueeze(-1) : gX_in;
      const Tensor Ap = pinv(a);
      if (needs_input_grad(0)) gA = pinv_backward(matmul(gX, mT(b)), Ap, a);
      if (needs_input_grad(1)) gB = matmul(mT(Ap), gX);
    }
    if (with_residuals) {
      const Tensor x = vector ? X.unpack().unsqueeze(-1) : X.unpack();
      const Tensor r = sub(matmul(a, x), b);
      const Tensor g = gL.unsqueeze(-2);
      if (needs_input_grad(0)) {
        const Tensor t = mul(wrap_scalar(2.0), matmul(mul(g, r), mT(x)));
        gA = gA.defined() ? add(gA, t) : t;
      }
      if (needs_input_grad(1)) {
        const Tensor t = mul(wrap_scalar(-2.0), mul(g, r));
        gB = gB.defined() ? add(gB, t) : t;
      }
    }
    if (gA.defined()) gA = sum_to(gA, A_sizes);
    if (gB.defined()) gB = sum_to(vector ? gB.squeeze(-1) : gB, B_sizes);
    return {gA, gB};
  }
  void for_each_saved(const SavedVisitor& f) override { f(A); f(B); f(X); }
};

Lstsq lstsq(const Tensor& A, const Tensor& B, std::optional<double> rcond, std::optional<std::string_view> driver) {
  check_matrix("torch.linalg.lstsq", A);
  WICK_CHECK(B.defined() && B.dim() >= 1, Error, "torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and (input.dim() - other.dim()) <= 1");
  check_same("torch.linalg.lstsq", A, B);
  const char drv = lstsq_driver(driver, A);
  WICK_CHECK(!A.is_cuda() || drv == 'q', Error,
             "torch.linalg.lstsq: `driver` other than `gels` is not supported on CUDA");
  const bool vector = B.dim() == A.dim() - 1;
  WICK_CHECK(B.dim() == A.dim() || vector, Error,
             "torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and (input.dim() - other.dim()) <= 1");
  const Tensor Bm = vector ? B.unsqueeze(-1) : B;
  const int64_t m = A.size(-2), n = A.size(-1), k = std::min(m, n), nrhs = Bm.size(-1);
  WICK_CHECK(Bm.size(-2) == m, Error, "torch.linalg.lstsq: input.size(-2) should match other.size(-2)");
  WICK_CHECK(!A.is_cuda() || m >= n, NotImplementedError,
             "torch.linalg.lstsq: only overdetermined systems (input.size(-2) >= input.size(-1)) are allowed on CUDA");
  const DimVector batch = broadcast_shapes(batch_of(A), batch_of(Bm));
  const double eps = A.dtype() == ScalarType::Float32 ? std::numeric_limits<float>::epsilon()
                                                       : std::numeric_limits<double>::epsilon();
  Lstsq r;
  const Matrices a = colmajor_copy(A, batch);
  // b holds max(m, n) rows: B in the first m, the solution in the first n.
  const int64_t rows = std::max(m, n);
  Matrices b = colmajor_empty(batch, rows, nrhs, A);
  auto [rank, rank_k] = batch_vectors(batch, -1, ScalarType::Int64, A);
  const bool with_values = drv == 'd' || drv == 's';
  auto [values, values_k] = batch_vectors(batch, with_values ? k : 0, A.dtype(), A);
  auto [info, info_k] = batch_vectors(batch, -1, ScalarType::Int32, A);
  {
    NoGradGuard no_grad;
    b.user.zero_();
    b.user.narrow(-2, 0, m).copy_(Bm.expand(with(batch, {m, nrhs})));
    info.zero_();
    rank.fill_(drv == 'q' ? k : 0);
    values.zero_();
  }
  LinalgArgs args;
  args.a = a.kernel;
  args.b = b.kernel;
  args.info = info_k;
  args.rank = drv == 'q' ? Tensor() : rank_k;
  if (with_values) args.values = values_k;
  args.driver = drv;
  args.rcond = rcond ? *rcond : eps * static_cast<double>(std::max(m, n));
  if (k > 0 && nrhs > 0) run("torch.linalg.lstsq", LinalgOp::Lstsq, args);
  check_info("torch.linalg.lstsq", info, Failure::Lstsq);
  Tensor X;
  {
    NoGradGuard no_grad;
    X = b.user.narrow(-2, 0, n);
    if (k == 0) X = zeros(with(batch, {n, nrhs}), options_of(A, A.dtype()));
    // Residuals: squared norms of the rows past n, when m > n, every matrix has full rank and the driver
    // computes it (not gelsy), as PyTorch.
    bool full_rank = drv != 'y' && m > n;
    if (full_rank && drv != 'q') full_rank = all(eq(rank, wrap_scalar(n))).item<bool>();
    r.residuals = full_rank ? sum(square(b.user.narrow(-2, n, m - n)), {-2}) : empty({0}, options_of(A, A.dtype()));
    if (vector) X = X.squeeze(-1);  // (residuals keep their [*, 1] shape, as in PyTorch)
  }
  r.solution = X;
  r.rank = drv == 'q' ? empty({0}, options_of(A, ScalarType::Int64)) : rank;
  r.singular_values = with_values ? values : empty({0}, options_of(A, A.dtype()));
  if (auto node = make_node<LinalgLstsqBackward0>(A, B)) {
    node->A = SavedTensor(A);
    node->B = SavedTensor(B);
    node->X = SavedTensor::output(X, node);
    node->A_sizes = DimVector(A.sizes());
    node->B_sizes = DimVector(B.sizes());
    node->vector = vector;
    set_history(r.solution, node);
    if (r.residuals.numel() > 0) set_history(r.residuals, node);
  }
  return r;
}

}  // namespace wick::linalg
