// torch.linalg: matrix factorizations, solves and what is built on them, with
// PyTorch's semantics and gradients. Inputs are (*, m, n): leading dims are a
// batch (broadcast between operands where PyTorch broadcasts), dtypes float32
// or float64. Factorizations run in LAPACK (CPU) or cuSOLVER (CUDA) through
// Backend::linalg; the rest are compositions of wick's ops.
//
// Numerical failure (a singular matrix to invert, a matrix that is not
// positive-definite) raises LinAlgError; the `_ex` forms instead return `info`
// (int32, one per matrix: 0, or LAPACK's code) and never synchronise a GPU.
#pragma once

#include <optional>
#include <string_view>
#include <variant>

#include "core/tensor.h"

namespace wick::linalg {

struct LuFactorEx {
  Tensor LU, pivots, info;
};
struct Lu {
  Tensor P, L, U;
};
struct WithInfo {
  Tensor result, info;
};
struct SignLogAbsDet {
  Tensor sign, logabsdet;
};
struct Eigh {
  Tensor eigenvalues, eigenvectors;
};
struct Svd {
  Tensor U, S, Vh;
};
struct Qr {
  Tensor Q, R;
};
struct Lstsq {
  Tensor solution, residuals, rank, singular_values;
};
struct LdlFactorEx {
  Tensor LD, pivots, info;
};

// ---- LU ----------------------------------------------------------------------------------------
// A = P L U with partial pivoting: LU holds L below the diagonal (unit diagonal
// implied) and U on and above it; pivots (int32, 1-based) as LAPACK's getrf.
LuFactorEx lu_factor_ex(const Tensor& A, bool pivot = true, bool check_errors = false);
LuFactorEx lu_factor(const Tensor& A, bool pivot = true);  // raises for a singular A (info unused)
Lu lu(const Tensor& A, bool pivot = true);
// P, L, U from lu_factor's result (torch.lu_unpack).
Lu lu_unpack(const Tensor& LU, const Tensor& pivots, bool unpack_data = true, bool unpack_pivots = true);
// X with A X = B (left) or X A = B, op(A) = A^T when adjoint, from A's LU.
Tensor lu_solve(const Tensor& LU, const Tensor& pivots, const Tensor& B, bool left = true, bool adjoint = false);

// ---- solves, inverses, determinants ------------------------------------------------------------
WithInfo solve_ex(const Tensor& A, const Tensor& B, bool left = true, bool check_errors = false);
Tensor solve(const Tensor& A, const Tensor& B, bool left = true);
WithInfo inv_ex(const Tensor& A, bool check_errors = false);
Tensor inv(const Tensor& A);
Tensor det(const Tensor& A);
SignLogAbsDet slogdet(const Tensor& A);
Tensor logdet(const Tensor& A);  // log(det(A)): nan where det < 0, -inf where 0
Tensor solve_triangular(const Tensor& A, const Tensor& B, bool upper, bool left = true, bool unitriangular = false);
Tensor tensorinv(const Tensor& A, int64_t ind = 2);
Tensor tensorsolve(const Tensor& A, const Tensor& B, std::optional<std::vector<int64_t>> dims = {});
Tensor matrix_power(const Tensor& A, int64_t n);

// ---- Cholesky, LDL ------------------------------------------------------------------------------
WithInfo cholesky_ex(const Tensor& A, bool upper = false, bool check_errors = false);
Tensor cholesky(const Tensor& A, bool upper = false);
// X with A X = B for A = L L^T (or U^T U) given its factor (torch.cholesky_solve).
Tensor cholesky_solve(const Tensor& B, const Tensor& factor, bool upper = false);
Tensor cholesky_inverse(const Tensor& factor, bool upper = false);
LdlFactorEx ldl_factor_ex(const Tensor& A, bool hermitian = false, bool check_errors = false);
LdlFactorEx ldl_factor(const Tensor& A, bool hermitian = false);
Tensor ldl_solve(const Tensor& LD, const Tensor& pivots, const Tensor& B, bool hermitian = false);

// ---- QR -----------------------------------------------------------------------------------------
// mode: "reduced" (Q m x k, R k x n), "complete" (Q m x m, R m x n), "r" (Q empty).
Qr qr(const Tensor& A, std::string_view mode = "reduced");
// The first n columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T with v_i in A's column i below the diagonal.
Tensor householder_product(const Tensor& A, const Tensor& tau);
// torch.geqrf: (a, tau), LAPACK's Householder form of A's QR.
std::pair<Tensor, Tensor> geqrf(const Tensor& A);

// ---- eigenvalues, singular values ---------------------------------------------------------------
// Symmetric A (only the triangle UPLO names is read): eigenvalues ascending, eigenvectors in columns.
Eigh eigh(const Tensor& A, std::string_view uplo = "L");
Tensor eigvalsh(const Tensor& A, std::string_view uplo = "L");
Svd svd(const Tensor& A, bool full_matrices = true);
Tensor svdvals(const Tensor& A);
Tensor pinv(const Tensor& A, std::optional<double> atol = {}, std::optional<double> rtol = {}, bool hermitian = false);
Tensor matrix_rank(const Tensor& A, std::optional<double> atol = {}, std::optional<double> rtol = {},
                   bool hermitian = false);
// The symmetric positive semi-definite square root (A's lower triangle read).
Tensor matrix_sqrth(const Tensor& A);
// A = U H: U with orthonormal columns, H symmetric positive semi-definite (m >= n).
std::pair<Tensor, Tensor> polar(const Tensor& A);

// ---- least squares --------------------------------------------------------------------------------
// driver: "gelsy" (CPU default), "gelsd", "gelss", "gels" (CUDA's only one).
Lstsq lstsq(const Tensor& A, const Tensor& B, std::optional<double> rcond = {},
            std::optional<std::string_view> driver = {});

// ---- norms and functions of matrices ---------------------------------------------------------------
// ord: any real p, inf, -inf, 0 (count of nonzeros); dims empty: all elements.
Tensor vector_norm(const Tensor& x, double ord = 2, std::optional<std::vector<int64_t>> dims = {},
                   bool keepdim = false, std::optional<ScalarType> dtype = {});
// ord: "fro", "nuc", or a number among inf, -inf, 1, -1, 2, -2; dims: the two matrix dims.
using MatrixOrd = std::variant<double, std::string>;
Tensor matrix_norm(const Tensor& A, const MatrixOrd& ord = std::string("fro"), std::vector<int64_t> dims = {-2, -1},
                   bool keepdim = false, std::optional<ScalarType> dtype = {});
// torch.linalg.norm: by dims (one: vector_norm; two: matrix_norm) and ord (none: the 2-norm of all elements).
Tensor norm(const Tensor& x, std::optional<MatrixOrd> ord = {}, std::optional<std::vector<int64_t>> dims = {},
            bool keepdim = false, std::optional<ScalarType> dtype = {});
Tensor cond(const Tensor& A, std::optional<MatrixOrd> p = {});
Tensor matrix_exp(const Tensor& A);
Tensor multi_dot(const TensorList& tensors);
Tensor vander(const Tensor& x, std::optional<int64_t> N = {});
Tensor vecdot(const Tensor& x, const Tensor& y, int64_t dim = -1);

}  // namespace wick::linalg
