"""wick.linalg against torch.linalg: values and gradients on random, well-conditioned inputs of several shapes
(batched, transposed and stepped views), per device; outputs that are unique only up to sign (eigenvectors,
singular vectors, Q of QR where PyTorch and wick use one LAPACK) through functions that do not depend on the sign;
PyTorch's errors; the named tuples; torch.* and Tensor forms."""
import math

import numpy as np
import pytest
import torch

import wick
from helpers import check

SQUARE = [(3, 3), (2, 4, 4), (2, 1, 3, 3)]
RECT = [(5, 3), (3, 5), (2, 4, 2)]


def spd(m, x):
    """A symmetric positive-definite matrix made from x (differentiable in x)."""
    n = x.shape[-1]
    return x @ x.transpose(-2, -1) + n * m.eye(n, dtype=x.dtype)


def conditioned(m, x):
    """x shifted away from singularity."""
    n = x.shape[-1]
    return x + 3 * n * m.eye(n, dtype=x.dtype) / 2


def sym(x):
    return (x + x.transpose(-2, -1)) / 2


# ---- values and gradients against PyTorch -------------------------------------------------------------

@pytest.mark.parametrize("shape", SQUARE)
def test_inv_det_slogdet(shape, device):
    check(lambda m, x: m.linalg.inv(conditioned(m, x)), [shape], module=True, device=device)
    check(lambda m, x: m.linalg.det(conditioned(m, x)), [shape], module=True, device=device)
    check(lambda m, x: m.linalg.slogdet(conditioned(m, x) - 2.5 * m.eye(shape[-1], dtype=x.dtype)), [shape],
          module=True, device=device)
    check(lambda m, x: m.logdet(spd(m, x)), [shape], module=True, device=device)


def test_det_of_singular_matrix_has_a_gradient(device):
    # rank 2: det = 0, its gradient the cofactor matrix (finite, not nan)
    check(lambda m, x: m.linalg.det(m.cat([x, x[..., :1, :] + x[..., 1:2, :]], dim=-2)), [(2, 3)], module=True,
          device=device, layouts=("contiguous",))


@pytest.mark.parametrize("a_shape,b_shape", [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3)),
                                             ((2, 3, 3), (3, 4)), ((1, 3, 3), (2, 3, 1)), ((4, 4), (2, 4, 3))])
def test_solve(a_shape, b_shape, device):
    check(lambda m, a, b: m.linalg.solve(conditioned(m, a), b), [a_shape, b_shape], module=True, device=device)
    if len(b_shape) >= 2 and b_shape[-2] == a_shape[-1]:
        check(lambda m, a, b: m.linalg.solve(conditioned(m, a), b.transpose(-2, -1), left=False),
              [a_shape, b_shape], module=True, device=device)
    check(lambda m, a, b: m.linalg.solve_ex(conditioned(m, a), b), [a_shape, b_shape], module=True, device=device)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (5, 3), (3, 5)])
def test_lu_factor_and_lu(shape, device):
    # Shifted so partial pivoting picks the same rows in both libraries (no near-ties).
    shift = lambda m, x: x + 4 * m.eye(x.shape[-2], x.shape[-1], dtype=x.dtype)
    check(lambda m, x: m.linalg.lu_factor(shift(m, x)), [shape], module=True, device=device)
    check(lambda m, x: m.linalg.lu(shift(m, x)), [shape], module=True, device=device)
    check(lambda m, x: m.linalg.lu_factor_ex(shift(m, x)), [shape], module=True, device=device)


@pytest.mark.parametrize("adjoint", [False, True])
@pytest.mark.parametrize("left", [True, False])
def test_lu_solve(left, adjoint, device):
    def fn(m, a, b):
        LU, pivots = m.linalg.lu_factor(conditioned(m, a))
        return m.linalg.lu_solve(LU, pivots, b if left else b.transpose(-2, -1), left=left, adjoint=adjoint)
    check(fn, [(2, 3, 3), (3, 2)], module=True, device=device)


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("shape", SQUARE)
def test_cholesky(shape, upper, device):
    check(lambda m, x: m.linalg.cholesky(spd(m, x), upper=upper), [shape], module=True, device=device)
    check(lambda m, x: m.linalg.cholesky_ex(spd(m, x), upper=upper), [shape], module=True, device=device)
    check(lambda m, x, b: m.cholesky_solve(b, m.linalg.cholesky(spd(m, x), upper=upper), upper=upper),
          [shape, shape[:-1] + (2,)], module=True, device=device)
    check(lambda m, x: m.cholesky_inverse(m.linalg.cholesky(spd(m, x), upper=upper), upper=upper), [shape[-2:]],
          module=True, device=device)


@pytest.mark.filterwarnings("ignore:torch.triangular_solve is deprecated")
@pytest.mark.parametrize("unitriangular", [False, True])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("upper", [False, True])
def test_solve_triangular(upper, left, unitriangular, device):
    b_shape = (2, 3, 2) if left else (2, 2, 3)
    check(lambda m, a, b: m.linalg.solve_triangular(conditioned(m, a), b, upper=upper, left=left,
                                                    unitriangular=unitriangular),
          [(3, 3), b_shape], module=True, device=device)
    check(lambda m, a, b: m.triangular_solve(b, conditioned(m, a), upper=upper, transpose=not left,
                                             unitriangular=unitriangular)[0],
          [(3, 3), (2, 3, 2)], module=True, device=device)


@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
@pytest.mark.parametrize("shape", RECT + [(3, 3)])
def test_qr(shape, mode, device):
    differentiable = mode == "reduced" or (mode == "complete" and shape[-2] <= shape[-1])
    check(lambda m, x: m.linalg.qr(x, mode=mode), [shape], module=True, device=device, grad=differentiable)


@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 4), (4, 2)])
def test_householder_product_and_geqrf(shape, device):
    def fn(m, x):
        a, tau = m.geqrf(x)
        return m.linalg.householder_product(a, tau)
    check(fn, [shape], module=True, device=device, grad=False)  # geqrf has no derivative in PyTorch
    check(lambda m, a, t: m.linalg.householder_product(a, t), [shape, shape[:-2] + (min(shape[-2:]) - 1,)],
          module=True, device=device, low=0.1, high=0.5, layouts=("contiguous",))


@pytest.mark.parametrize("shape", SQUARE)
def test_eigh(shape, device):
    check(lambda m, x: m.linalg.eigvalsh(sym(x)), [shape], module=True, device=device)
    check(lambda m, x: m.linalg.eigvalsh(x, UPLO="U"), [shape], module=True, device=device, grad=False)

    def reconstructed(m, x):  # independent of the eigenvectors' signs
        w, v = m.linalg.eigh(sym(x))
        return w, (v * (w ** 2).unsqueeze(-2)) @ v.transpose(-2, -1), v.abs()
    check(reconstructed, [shape], module=True, device=device)


@pytest.mark.parametrize("full_matrices", [False, True])
@pytest.mark.parametrize("shape", RECT + [(3, 3)])
def test_svd(shape, full_matrices, device):
    check(lambda m, x: m.linalg.svdvals(x), [shape], module=True, device=device)
    k = min(shape[-2:])

    def gauge_free(m, x):
        U, S, Vh = m.linalg.svd(x, full_matrices=full_matrices)
        U, Vh = U[..., :k], Vh[..., :k, :]
        outer = U.transpose(-2, -1).unsqueeze(-1) * Vh.unsqueeze(-2)  # u_i v_i^T (k of them), sign-free
        return S, (U * S.unsqueeze(-2)) @ Vh, (outer * S.unsqueeze(-1).unsqueeze(-1) ** 2).sum(-3)
    check(gauge_free, [shape], module=True, device=device)


@pytest.mark.parametrize("shape", RECT)
def test_pinv_rank_cond_norms(shape, device):
    check(lambda m, x: m.linalg.pinv(x), [shape], module=True, device=device)
    check(lambda m, x: m.linalg.matrix_rank(x), [shape], module=True, device=device, grad=False)
    check(lambda m, x: m.linalg.cond(x), [shape], module=True, device=device)
    for ord in ["fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf]:
        check(lambda m, x: m.linalg.matrix_norm(x, ord), [shape], module=True, device=device)
    check(lambda m, x: m.linalg.matrix_norm(x, "nuc", dim=(0, -1), keepdim=True), [shape], module=True,
          device=device)


@pytest.mark.parametrize("ord", [2, 1, 3, 0.5, math.inf, -math.inf, 0])
def test_vector_norm_and_norm(ord, device):
    check(lambda m, x: m.linalg.vector_norm(x, ord), [(2, 3, 4)], module=True, device=device, low=0.2, high=2)
    check(lambda m, x: m.linalg.vector_norm(x, ord, dim=(0, 2), keepdim=True), [(2, 3, 4)], module=True,
          device=device, low=0.2, high=2)
    check(lambda m, x: m.linalg.norm(x, ord, dim=1), [(2, 3, 4)], module=True, device=device, low=0.2, high=2)
    check(lambda m, x: m.linalg.norm(x), [(2, 3, 4)], module=True, device=device)
    check(lambda m, x: m.linalg.norm(x, "fro"), [(3, 4)], module=True, device=device)
    check(lambda m, x: m.linalg.vector_norm(x, ord, dtype=m.float64), [(3, 4)], module=True, device=device,
          dtypes=("float32",), low=0.2, high=2)


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", 1, -1, math.inf, -math.inf])
def test_cond(p, device):
    # PyTorch 1.13's own backward of cond fails for these p (an in-place write into inv's output): its value is
    # compared, and the gradient with that of the formula cond computes.
    def formula(m, x):
        a = conditioned(m, x)
        if p is None or p in (2, -2):
            return m.linalg.cond(a, p)
        return m.linalg.matrix_norm(a, p) * m.linalg.matrix_norm(m.linalg.inv(a), p)
    check(lambda m, x: m.linalg.cond(conditioned(m, x), p), [(2, 3, 3)], torch_fn=formula, module=True,
          device=device)


@pytest.mark.parametrize("scale", [1e-3, 0.05, 0.3, 1.0, 4.0])
def test_matrix_exp(scale, device):
    # scales that take each Taylor degree and the scaling-and-squaring path
    check(lambda m, x: m.linalg.matrix_exp(x * scale), [(3, 3)], module=True, device=device)
    check(lambda m, x: m.matrix_exp(x * scale), [(2, 4, 4)], module=True, device=device, rtol=1e-3, atol=1e-4,
          dtypes=("float32",))
    check(lambda m, x: m.matrix_exp(x * scale), [(2, 4, 4)], module=True, device=device, dtypes=("float64",))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 6, -1, -3])
def test_matrix_power(n, device):
    check(lambda m, x: m.linalg.matrix_power(conditioned(m, x) / 3, n), [(2, 3, 3)], module=True, device=device)


def test_products_and_shapes(device):
    check(lambda m, a, b, c: m.linalg.multi_dot([a, b, c]), [(3,), (3, 5), (5, 2)], module=True, device=device)
    check(lambda m, a, b, c, d: m.linalg.multi_dot([a, b, c, d]), [(2, 30), (30, 4), (4, 40), (40,)],
          module=True, device=device, layouts=("contiguous",))
    check(lambda m, x: m.linalg.vander(x), [(2, 4)], module=True, device=device)
    check(lambda m, x: m.linalg.vander(x, N=6), [(5,)], module=True, device=device)
    check(lambda m, x, y: m.linalg.vecdot(x, y, dim=0), [(3, 4), (3, 1)], module=True, device=device)
    check(lambda m, x: m.linalg.tensorinv(conditioned(m, x).reshape(4, 2, 2), ind=1), [(4, 4)], module=True,
          device=device, layouts=("contiguous",))
    check(lambda m, a, b: m.linalg.tensorsolve(conditioned(m, a).reshape(2, 3, 6), b), [(6, 6), (2, 3)],
          module=True, device=device, layouts=("contiguous",))
    check(lambda m, a, b: m.linalg.cross(a, b), [(4, 3), (4, 3)], module=True, device=device)
    check(lambda m, a: m.linalg.diagonal(a, offset=1), [(2, 3, 4)], module=True, device=device)


@pytest.mark.parametrize("driver", ["gelsy", "gelsd", "gelss", "gels"])
@pytest.mark.parametrize("a_shape,b_shape", [((5, 3), (5, 2)), ((2, 5, 3), (2, 5)), ((3, 5), (3, 2))])
def test_lstsq(driver, a_shape, b_shape, device):
    if device == "cuda" and (driver != "gels" or a_shape[-2] < a_shape[-1]):
        pytest.skip("PyTorch's CUDA lstsq takes only driver 'gels' on tall matrices")
    # PyTorch 1.13's backward fails for a vector B (a shape error in its own formula): values only there.
    vector = len(b_shape) == len(a_shape) - 1
    check(lambda m, a, b: tuple(m.linalg.lstsq(a, b, driver=driver)), [a_shape, b_shape], module=True,
          device=device, grad=not vector)
    if vector:
        check(lambda m, a, b: m.linalg.lstsq(a, b.unsqueeze(-1), driver=driver).solution.squeeze(-1),
              [a_shape, b_shape], module=True, device=device)


def test_ldl(device):
    def fn(m, x, b):
        LD, pivots = m.linalg.ldl_factor(sym(x))
        return LD, pivots, m.linalg.ldl_solve(LD, pivots, b)
    check(fn, [(2, 4, 4), (2, 4, 3)], module=True, device=device, grad=False)
    factor = wick.linalg.ldl_factor(wick.eye(3, device=device, requires_grad=True)).LD
    with pytest.raises(NotImplementedError, match="derivative for 'linalg_ldl_factor_ex' is not implemented"):
        factor.sum().backward()


@pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch deprecates these forms in favour of torch.linalg
def test_torch_forms(device):
    check(lambda m, x: m.det(conditioned(m, x)), [(2, 3, 3)], module=True, device=device)
    check(lambda m, x: conditioned(m, x).inverse(), [(3, 3)], module=True, device=device)
    check(lambda m, x: m.pinverse(x), [(4, 3)], module=True, device=device)
    check(lambda m, x: m.cholesky(spd(m, x)), [(3, 3)], module=True, device=device)
    check(lambda m, x: spd(m, x).cholesky(upper=True), [(3, 3)], module=True, device=device)
    check(lambda m, x: m.qr(x), [(4, 3)], module=True, device=device)
    check(lambda m, x: m.qr(x, some=False)[1], [(4, 3)], module=True, device=device, grad=False)
    check(lambda m, x: m.svd(x)[1], [(4, 3)], module=True, device=device)
    check(lambda m, x: x.slogdet(), [(3, 3)], module=True, device=device)
    check(lambda m, x: conditioned(m, x).matrix_power(3), [(3, 3)], module=True, device=device)

    def unpack(m, x):
        LU, pivots = m.linalg.lu_factor(x + 4 * m.eye(3, dtype=x.dtype))
        return m.lu_unpack(LU, pivots)
    check(unpack, [(2, 3, 3)], module=True, device=device)

    def old_lu_solve(m, x, b):
        LU, pivots = m.linalg.lu_factor(conditioned(m, x))
        return m.lu_solve(b, LU, pivots)
    check(old_lu_solve, [(3, 3), (3, 2)], module=True, device=device)


# ---- shapes that PyTorch handles specially ------------------------------------------------------------

def test_empty_inputs(device):
    for shape in [(0, 3, 3), (2, 0, 0)]:
        w, t = wick.zeros(shape, device=device), torch.zeros(shape)
        for name in ["det", "inv", "cholesky", "eigvalsh", "svdvals"]:
            r, e = getattr(wick.linalg, name)(w), getattr(torch.linalg, name)(t)
            assert tuple(r.shape) == tuple(e.shape), name
            np.testing.assert_array_equal(r.cpu().numpy(), e.numpy(), err_msg=name)
        q, r = wick.linalg.qr(w)
        assert tuple(q.shape) == tuple(torch.linalg.qr(t).Q.shape)
    U, S, Vh = wick.linalg.svd(wick.zeros(0, 3, device=device))
    assert U.shape == (0, 0) and S.shape == (0,)
    np.testing.assert_array_equal(Vh.cpu().numpy(), np.eye(3, dtype=np.float32))
    assert wick.linalg.det(wick.zeros(0, 0, device=device)).item() == 1.0


# ---- errors --------------------------------------------------------------------------------------------

def test_errors(device):
    singular = wick.tensor([[1.0, 2.0], [2.0, 4.0]], device=device)
    with pytest.raises(wick.linalg.LinAlgError, match="singular"):
        wick.linalg.inv(singular)
    with pytest.raises(RuntimeError, match="singular"):  # LinAlgError is a RuntimeError
        wick.linalg.solve(singular, wick.ones(2, device=device))
    with pytest.raises(wick.linalg.LinAlgError, match=r"\(Batch element 1\)"):
        wick.linalg.inv(wick.stack([wick.eye(2, device=device), singular]))
    assert wick.linalg.inv_ex(singular).info.item() == 2
    not_pd = wick.tensor([[1.0, 2.0], [2.0, 1.0]], device=device)
    with pytest.raises(wick.linalg.LinAlgError, match="leading minor of order 2 is not positive-definite"):
        wick.linalg.cholesky(not_pd)
    assert wick.linalg.cholesky_ex(not_pd).info.item() == 2
    with pytest.raises(RuntimeError, match="must be batches of square matrices, but they are 2 by 3 matrices"):
        wick.linalg.inv(wick.ones(2, 3, device=device))
    with pytest.raises(RuntimeError, match="Expected a floating point"):
        wick.linalg.det(wick.ones(2, 2, dtype=wick.int64, device=device))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        wick.linalg.svd(wick.ones(3, device=device))
    with pytest.raises(RuntimeError, match="Incompatible shapes of A and B"):
        wick.linalg.solve(wick.eye(3, device=device), wick.ones(4, 1, device=device))
    with pytest.raises(RuntimeError, match="unrecognized mode 'x'"):
        wick.linalg.qr(wick.eye(3, device=device), mode="x")
    with pytest.raises(RuntimeError, match="`driver` should be one of"):
        wick.linalg.lstsq(wick.eye(3, device=device), wick.ones(3, 1, device=device), driver="nope")
    with pytest.raises(RuntimeError, match="If dim is not specified but ord is, the input must be 1D or 2D"):
        wick.linalg.norm(wick.ones(2, 2, 2, device=device), 2)
    with pytest.raises(RuntimeError, match="Order 3"):
        wick.linalg.matrix_norm(wick.ones(2, 2, device=device), 3)
    x = wick.eye(3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="mode='r'"):
        wick.linalg.qr(x, mode="r").R.sum().backward()
    with pytest.raises(TypeError):
        wick.linalg.solve(wick.eye(2, device=device), wick.ones(2, dtype=wick.float64, device=device))


def test_error_messages_match_pytorch():
    # The texts a PyTorch user searches for.
    cases = [lambda m: m.linalg.inv(m.tensor([[1.0, 2.0], [2.0, 4.0]])),
             lambda m: m.linalg.cholesky(m.tensor([[1.0, 2.0], [2.0, 1.0]])),
             lambda m: m.linalg.inv(m.ones(2, 3)),
             lambda m: m.linalg.qr(m.eye(2), mode="x"),
             lambda m: m.linalg.norm(m.ones(2, 2, 2), 2)]
    for case in cases:
        with pytest.raises(RuntimeError) as theirs:
            case(torch)
        with pytest.raises(RuntimeError) as ours:
            case(wick)
        assert str(ours.value) == str(theirs.value)


def test_named_tuples_and_reprs():
    A = wick.tensor([[2.0, 1.0], [1.0, 2.0]])
    assert wick.linalg.eigh(A)._fields == ("eigenvalues", "eigenvectors")
    assert wick.linalg.svd(A)._fields == ("U", "S", "Vh")
    assert wick.linalg.slogdet(A)._fields == ("sign", "logabsdet")
    assert wick.linalg.lstsq(A, A)._fields == ("solution", "residuals", "rank", "singular_values")
    assert wick.linalg.lu_factor_ex(A)._fields == ("LU", "pivots", "info")
    assert wick.linalg.qr(A)._fields == ("Q", "R")
    assert wick.svd(A)._fields == ("U", "S", "V")
    assert repr(wick.linalg.slogdet(A)).startswith("wick.return_types.linalg_slogdet(sign=tensor(1.)")
    out = wick.empty(0)
    assert wick.linalg.inv(A, out=out) is out and out.shape == (2, 2)


def test_gradients_flow_to_the_right_inputs():
    # solve's vector right-hand side broadcast over a batch of matrices: B's gradient sums over the batch.
    A = wick.randn(4, 3, 3, dtype=wick.float64) + 3 * wick.eye(3, dtype=wick.float64)
    b = wick.randn(3, dtype=wick.float64, requires_grad=True)
    X = wick.linalg.solve(A, b.expand(4, 3))
    assert X.grad_fn.name() == "LinalgSolveExBackward0"
    X.sum().backward()
    assert b.grad.shape == (3,)
    ref = torch.linalg.solve(torch.tensor(A.numpy()), torch.tensor(b.detach().numpy(), requires_grad=True)
                             .expand(4, 3))
    assert ref.shape == X.shape


def test_double_backward_of_solve_inv_det():
    x = wick.randn(3, 3, dtype=wick.float64) + 3 * wick.eye(3, dtype=wick.float64)
    for fn in (lambda a: wick.linalg.inv(a).sum(), lambda a: wick.linalg.det(a),
               lambda a: wick.linalg.solve(a, wick.ones(3, dtype=wick.float64)).sum()):
        assert wick.autograd.gradgradcheck(fn, (x.clone().requires_grad_(),))
