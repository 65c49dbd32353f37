"""wick.linalg: PyTorch's torch.linalg.

Factorizations and solves run in LAPACK on the CPU and cuSOLVER on the GPU (wick._C._linalg, ops/decomp.cpp);
every function takes batches of matrices (*, m, n), float32 or float64, and has PyTorch's gradients. Numerical
failure raises ``wick.linalg.LinAlgError`` (a RuntimeError); the ``_ex`` forms return ``info`` instead.

Not here: ``eig`` and ``eigvals``, whose results are complex (wick has no complex dtypes yet).
"""
import wick
from wick import _C
from wick import return_types as _rt

_L = _C._linalg

LinAlgError = _C._LinAlgError
LinAlgError.__module__ = __name__

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eigh", "eigvalsh",
           "householder_product", "inv", "inv_ex", "ldl_factor", "ldl_factor_ex", "ldl_solve", "lstsq", "lu",
           "lu_factor", "lu_factor_ex", "lu_solve", "matmul", "matrix_exp", "matrix_norm", "matrix_power",
           "matrix_rank", "matrix_sqrth", "multi_dot", "norm", "pinv", "polar", "qr", "slogdet", "solve", "solve_ex",
           "solve_triangular", "svd", "svdvals", "tensorinv", "tensorsolve", "vander", "vecdot", "vector_norm"]


def _out(result, out):
    """Writes result (a tensor or a tuple of them) into out, as PyTorch's out= does, and returns out."""
    if out is None:
        return result
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(f"out must be a tuple of {len(result)} tensors")
        for o, r in zip(out, result):
            _out(r, o)
        return type(result)(*out) if hasattr(result, "_fields") else tuple(out)
    if not isinstance(out, wick.Tensor):
        raise TypeError(f"out must be a Tensor, not {type(out).__name__}")
    if tuple(out.shape) != tuple(result.shape):
        out.resize_(result.shape)
    with wick.no_grad():
        out.copy_(result)
    return out


def _tolerance(value, name):
    if value is None:
        return None
    if isinstance(value, wick.Tensor):
        if value.numel() != 1:
            raise NotImplementedError(f"wick.linalg: a tensor {name} must have one element (per-matrix tolerances "
                                      f"are not supported yet)")
        return value.item()
    return float(value)


# ---- LU ----------------------------------------------------------------------------------------------

def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """The LU factorization with partial pivoting, A = P L U, packed as LAPACK's getrf does, with info
    (int32: 0, or i when U[i-1, i-1] is exactly zero). Returns (LU, pivots, info)."""
    return _out(_rt.linalg_lu_factor_ex(*_L.lu_factor_ex(A, pivot, check_errors)), out)


def lu_factor(A, *, pivot=True, out=None):
    """The LU factorization with partial pivoting: (LU, pivots), L below the diagonal (unit diagonal implied),
    U on and above it, pivots 1-based row swaps (int32). Raises LinAlgError for a singular A only when asked
    through lu_factor_ex(check_errors=True); like PyTorch, a singular A factors without error here.

    Example::

        >>> A = wick.tensor([[4.0, 3.0], [6.0, 3.0]])
        >>> LU, pivots = wick.linalg.lu_factor(A)
        >>> pivots
        tensor([2, 2], dtype=wick.int32)
    """
    LU, pivots, info = _L.lu_factor_ex(A, pivot, False)
    return _out(_rt.linalg_lu_factor(LU, pivots), out)


def lu(A, *, pivot=True, out=None):
    """A = P L U: P a permutation matrix, L lower triangular with a unit diagonal, U upper triangular."""
    return _out(_rt.linalg_lu(*_L.lu(A, pivot)), out)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """X with A X = B (A^T X = B when adjoint; X A = B when not left), from A's lu_factor."""
    return _out(_L.lu_solve(LU, pivots, B, left, adjoint), out)


# ---- solves, inverses, determinants ------------------------------------------------------------------

def solve(A, B, *, left=True, out=None):
    """X with A X = B (X A = B when not left) for square A; B may be a vector. Batch dims broadcast.

    Example::

        >>> A = wick.tensor([[3.0, 1.0], [1.0, 2.0]])
        >>> wick.linalg.solve(A, wick.tensor([9.0, 8.0]))
        tensor([2., 3.])
    """
    return _out(_L.solve(A, B, left), out)


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """solve, returning (result, info) instead of raising for a singular A."""
    return _out(_rt.linalg_solve_ex(*_L.solve_ex(A, B, left, check_errors)), out)


def inv(A, *, out=None):
    """The inverse of square matrices; LinAlgError for a singular one.

    Example::

        >>> wick.linalg.inv(wick.tensor([[2.0, 0.0], [0.0, 4.0]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.2500]])
    """
    return _out(_L.inv(A), out)


def inv_ex(A, *, check_errors=False, out=None):
    """inv, returning (inverse, info) instead of raising for a singular A."""
    return _out(_rt.linalg_inv_ex(*_L.inv_ex(A, check_errors)), out)


def det(A, *, out=None):
    """The determinant of square matrices.

    Example::

        >>> wick.linalg.det(wick.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor(-2.0000)
    """
    return _out(_L.det(A), out)


def slogdet(A, *, out=None):
    """(sign, logabsdet) with det(A) = sign * exp(logabsdet): the determinant without overflow."""
    return _out(_rt.linalg_slogdet(*_L.slogdet(A)), out)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """X with A X = B (X A = B when not left) for triangular A (only the triangle `upper` names is read;
    with unitriangular its diagonal is taken as ones)."""
    return _out(_L.solve_triangular(A, B, upper, left, unitriangular), out)


def tensorinv(A, ind=2, *, out=None):
    """The inverse of A as a map from its first `ind` dims to the rest."""
    return _out(_L.tensorinv(A, ind), out)


def tensorsolve(A, B, dims=None, *, out=None):
    """X with tensordot(A, X, X.ndim) = B."""
    return _out(_L.tensorsolve(A, B, dims), out)


def matrix_power(A, n, *, out=None):
    """A to the integer power n (n = 0: identity; n < 0: powers of inv(A))."""
    return _out(_L.matrix_power(A, n), out)


# ---- Cholesky, LDL -------------------------------------------------------------------------------------

def cholesky(A, *, upper=False, out=None):
    """L with A = L L^T (U with A = U^T U when upper) for symmetric positive-definite A; only A's lower (upper)
    triangle is read. LinAlgError when A is not positive-definite.

    Example::

        >>> wick.linalg.cholesky(wick.tensor([[4.0, 2.0], [2.0, 5.0]]))
        tensor([[2., 0.],
                [1., 2.]])
    """
    return _out(_L.cholesky(A, upper), out)


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """cholesky, returning (L, info) instead of raising (info: the order of the leading minor that is not
    positive-definite)."""
    return _out(_rt.linalg_cholesky_ex(*_L.cholesky_ex(A, upper, check_errors)), out)


def ldl_factor_ex(A, *, hermitian=False, check_errors=False, out=None):
    """The LDL^T factorization of symmetric A with Bunch-Kaufman pivoting (LAPACK's sytrf): (LD, pivots, info).
    Not differentiable."""
    return _out(_rt.linalg_ldl_factor_ex(*_L.ldl_factor_ex(A, hermitian, check_errors)), out)


def ldl_factor(A, *, hermitian=False, out=None):
    """The LDL^T factorization of symmetric A: (LD, pivots), as LAPACK's sytrf. Not differentiable."""
    LD, pivots, info = _L.ldl_factor_ex(A, hermitian, False)
    return _out(_rt.linalg_ldl_factor(LD, pivots), out)


def ldl_solve(LD, pivots, B, *, hermitian=False, out=None):
    """X with A X = B from A's ldl_factor. Not differentiable."""
    return _out(_L.ldl_solve(LD, pivots, B, hermitian), out)


# ---- QR ------------------------------------------------------------------------------------------------

def qr(A, mode="reduced", *, out=None):
    """A = Q R, Q with orthonormal columns, R upper triangular. mode: 'reduced' (Q m x k, R k x n, k = min(m, n)),
    'complete' (Q m x m, R m x n) or 'r' (R only; Q is empty). Signs as LAPACK's Householder QR gives them."""
    return _out(_rt.linalg_qr(*_L.qr(A, mode)), out)


def householder_product(A, tau, *, out=None):
    """The first n columns of the product of the Householder reflectors H_i = I - tau_i v_i v_i^T stored below
    A's diagonal (what geqrf returns)."""
    return _out(_L.householder_product(A, tau), out)


# ---- eigenvalues, singular values ----------------------------------------------------------------------

def eigh(A, UPLO="L", *, out=None):
    """The eigenvalues (ascending) and eigenvectors (columns) of symmetric A; only the triangle UPLO names
    is read. Eigenvectors are unique only up to sign."""
    return _out(_rt.linalg_eigh(*_L.eigh(A, UPLO)), out)


def eigvalsh(A, UPLO="L", *, out=None):
    """The eigenvalues of symmetric A, ascending.

    Example::

        >>> wick.linalg.eigvalsh(wick.tensor([[2.0, 1.0], [1.0, 2.0]]))
        tensor([1., 3.])
    """
    return _out(_L.eigvalsh(A, UPLO), out)


def svd(A, full_matrices=True, *, driver=None, out=None):
    """A = U diag(S) Vh, S descending. full_matrices: U m x m and Vh n x n, else m x k and k x n. `driver`
    (a CUDA choice in PyTorch) is accepted and ignored."""
    return _out(_rt.linalg_svd(*_L.svd(A, full_matrices)), out)


def svdvals(A, *, driver=None, out=None):
    """The singular values of A, descending.

    Example::

        >>> wick.linalg.svdvals(wick.tensor([[3.0, 0.0], [0.0, -4.0]]))
        tensor([4., 3.])
    """
    return _out(_L.svdvals(A), out)


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None, rcond=None):
    """The Moore-Penrose pseudo-inverse; singular values below max(atol, rtol * largest) count as zero."""
    if rcond is not None:
        rtol = rcond
    return _out(_L.pinv(A, _tolerance(atol, "atol"), _tolerance(rtol, "rtol"), hermitian), out)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, out=None, tol=None):
    """The number of singular values above max(atol, rtol * largest) (int64)."""
    if tol is not None:
        atol, rtol = tol, 0.0
    return _out(_L.matrix_rank(A, _tolerance(atol, "atol"), _tolerance(rtol, "rtol"), hermitian), out)


def matrix_sqrth(A, *, out=None):
    """The symmetric positive semi-definite square root X of symmetric positive semi-definite A (X X = A),
    from A's eigendecomposition (its lower triangle is read)."""
    return _out(_L.matrix_sqrth(A), out)


def polar(A, *, out=None):
    """The polar decomposition A = U H of A with at least as many rows as columns: U with orthonormal columns,
    H symmetric positive semi-definite. Returns (U, H)."""
    return _out(_rt.linalg_polar(*_L.polar(A)), out)


# ---- least squares ---------------------------------------------------------------------------------------

def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution of A X = B: (solution, residuals, rank, singular_values). driver: 'gelsy'
    (default on the CPU), 'gelsd', 'gelss', 'gels' (the only one on CUDA). residuals are the squared norms of
    the residual columns when m > n and every matrix has full rank (not for gelsy), else empty; rank is empty for
    gels, singular_values empty unless gelsd or gelss."""
    return _rt.linalg_lstsq(*_L.lstsq(A, B, rcond, driver))


# ---- norms and functions of matrices -------------------------------------------------------------------

def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """The ord-norm of x's elements (all, or along dim): sum(|x|^ord)^(1/ord); inf: max |x|; -inf: min |x|;
    0: the number of nonzeros.

    Example::

        >>> wick.linalg.vector_norm(wick.tensor([3.0, -4.0]))
        tensor(5.)
    """
    return _out(_L.vector_norm(x, ord, dim, keepdim, dtype), out)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """A matrix norm over the two dims: 'fro', 'nuc' (sum of singular values), inf / -inf (largest / smallest
    absolute row sum), 1 / -1 (column sums), 2 / -2 (largest / smallest singular value)."""
    return _out(_L.matrix_norm(A, ord, dim, keepdim, dtype), out)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """vector_norm for one dim (or a 1-D input), matrix_norm for two dims (or a 2-D input with ord given);
    without ord and dim, the 2-norm of all elements."""
    return _out(_L.norm(A, ord, dim, keepdim, dtype), out)


def cond(A, p=None, *, out=None):
    """The condition number of A in the p-norm: S_max / S_min for p None or 2 (S_min / S_max for -2), else
    norm(A, p) * norm(inv(A), p) (inf for a singular A)."""
    return _out(_L.cond(A, p), out)


def matrix_exp(A):
    """The matrix exponential of square matrices (PyTorch's Taylor / scaling-and-squaring algorithm)."""
    return _L.matrix_exp(A)


def multi_dot(tensors, *, out=None):
    """The product of a chain of matrices in the cheapest order; the first may be a row vector, the last a
    column vector."""
    return _out(_L.multi_dot(list(tensors)), out)


def vander(x, *, N=None):
    """The Vandermonde matrix of x: column j holds x ** j, j < N (N defaults to x.shape[-1])."""
    return _L.vander(x, N)


def vecdot(x, y, *, dim=-1, out=None):
    """The dot product of x and y along dim, with broadcasting."""
    return _out(_L.vecdot(x, y, dim), out)


def matmul(input, other, *, out=None):
    """wick.matmul."""
    return _out(wick.matmul(input, other), out)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """wick.diagonal with the matrix dims last by default."""
    return wick.diagonal(A, offset=offset, dim1=dim1, dim2=dim2)


def cross(input, other, *, dim=-1, out=None):
    """The cross product of 3-vectors along dim (default: the last)."""
    return _out(wick.cross(input, other, dim=dim), out)



# ---- the torch.* and Tensor forms of the same routines -------------------------------------------------

def _det(input):
    """The determinant of square matrices (wick.linalg.det)."""
    return _L.det(input)


def _logdet(input):
    """log(det(input)): nan where the determinant is negative, -inf where it is 0."""
    return _L.logdet(input)


def _slogdet(input):
    """(sign, logabsdet) of square matrices (wick.linalg.slogdet)."""
    return _rt.slogdet(*_L.slogdet(input))


def _inverse(input, *, out=None):
    """The inverse of square matrices (wick.linalg.inv)."""
    return _out(_L.inv(input), out)


def _cholesky(input, upper=False, *, out=None):
    """The Cholesky factor of symmetric positive-definite matrices (lower unless upper)."""
    return _out(_L.cholesky(input, upper), out)


def _cholesky_solve(input, input2, upper=False, *, out=None):
    """X with A X = input, given A's Cholesky factor input2 (lower unless upper)."""
    return _out(_L.cholesky_solve(input, input2, upper), out)


def _cholesky_inverse(input, upper=False, *, out=None):
    """The inverse of A from its Cholesky factor input (lower unless upper)."""
    return _out(_L.cholesky_inverse(input, upper), out)


def _qr(input, some=True, *, out=None):
    """(Q, R) of input: reduced when some, else complete (wick.linalg.qr)."""
    return _out(_rt.qr(*_L.qr(input, "reduced" if some else "complete")), out)


def _svd(input, some=True, compute_uv=True, *, out=None):
    """(U, S, V) with input = U diag(S) V^T (V, not Vh: torch.svd's convention); reduced when some. Without
    compute_uv, U and V are zero matrices, as in PyTorch."""
    U, S, Vh = _L.svd(input, not some)
    V = Vh.transpose(-2, -1)
    if not compute_uv:
        U, V = wick.zeros_like(U), wick.zeros_like(V)
    return _out(_rt.svd(U, S, V), out)


def _lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    """(P, L, U) from lu_factor's (LU, pivots)."""
    return _out(_rt.lu_unpack(*_L.lu_unpack(LU_data, LU_pivots, unpack_data, unpack_pivots)), out)


def _lu_solve(b, LU_data, LU_pivots, *, out=None):
    """X with A X = b from A's lu_factor (torch.lu_solve's argument order)."""
    return _out(_L.lu_solve(LU_data, LU_pivots, b, True, False), out)


def _pinverse(input, rcond=1e-15):
    """The pseudo-inverse; singular values below rcond * the largest count as zero."""
    return _L.pinv(input, None, float(rcond), False)


def _triangular_solve(b, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """(solution, cloned_coefficient) with op(A) X = b, op(A) = A^T when transpose (torch.triangular_solve)."""
    coefficient = A.transpose(-2, -1) if transpose else A
    X = _L.solve_triangular(coefficient, b, upper != transpose, True, unitriangular)
    return _out(_rt.triangular_solve(X, A.clone()), out)


def _geqrf(input, *, out=None):
    """(a, tau): LAPACK's Householder form of input's QR factorization."""
    return _out(_rt.geqrf(*_L.geqrf(input)), out)


def _orgqr(input, tau):
    """The first n columns of the Householder product of geqrf's (a, tau) (wick.linalg.householder_product)."""
    return _L.householder_product(input, tau)


def _matrix_power(input, n):
    """input to the integer power n (wick.linalg.matrix_power)."""
    return _L.matrix_power(input, n)


def _matrix_exp(input):
    """The matrix exponential (wick.linalg.matrix_exp)."""
    return _L.matrix_exp(input)


def _lu(A, pivot=True, get_infos=False, *, out=None):
    """torch.lu: (LU, pivots) or, with get_infos, (LU, pivots, infos)."""
    LU, pivots, info = _L.lu_factor_ex(A, pivot, False)
    result = (LU, pivots, info) if get_infos else (LU, pivots)
    return _out(result, out)


_TORCH_FORMS = {"det": _det, "logdet": _logdet, "slogdet": _slogdet, "inverse": _inverse, "cholesky": _cholesky,
                "cholesky_solve": _cholesky_solve, "cholesky_inverse": _cholesky_inverse, "qr": _qr, "svd": _svd,
                "lu_unpack": _lu_unpack, "lu_solve": _lu_solve, "pinverse": _pinverse,
                "triangular_solve": _triangular_solve, "geqrf": _geqrf, "orgqr": _orgqr,
                "matrix_power": _matrix_power, "matrix_exp": _matrix_exp, "lu": _lu}
# Tensor methods among them (torch.lu_unpack has no method form).
_METHODS = ["det", "logdet", "slogdet", "inverse", "cholesky", "cholesky_solve", "cholesky_inverse", "qr", "svd",
            "lu_solve", "pinverse", "triangular_solve", "geqrf", "orgqr", "matrix_power", "matrix_exp", "lu"]


def _install(module):
    """Adds the torch.* forms above to wick (where the extension has no such name) and the Tensor methods;
    returns the names added to the module."""
    added = []
    for name, fn in _TORCH_FORMS.items():
        if not hasattr(module, name):
            fn.__name__ = name
            fn.__qualname__ = name
            fn.__module__ = "wick"
            setattr(module, name, fn)
            added.append(name)
    for name in _METHODS:
        if not hasattr(wick.Tensor, name):
            setattr(wick.Tensor, name, _TORCH_FORMS[name])
    return added
