"""wick.special's Bessel, normal-distribution, zeta, incomplete-gamma and polynomial functions
(core/special_math.h) against PyTorch over their whole range (tails, zeros, poles, inf and nan), per device,
with their gradients; where PyTorch 1.13 is itself inaccurate (bessel_j0/j1 near their zeros, gammainc for
large a) against mpmath at 30 digits."""
import math

import mpmath
import numpy as np
import pytest
import torch

import wick
from helpers import check

# Arguments from the tiny to the huge, both signs, and the special values.
GRID = np.concatenate([np.linspace(-60, 60, 481), np.logspace(-12, 3, 120), -np.logspace(-12, 3, 120),
                       [0.0, -0.0, 700.0, 710.0, 1e5, 1e10, np.inf, -np.inf, np.nan]])
PROBABILITIES = np.concatenate([np.logspace(-300, -1, 120), np.linspace(0.01, 0.99, 99),
                                1 - np.logspace(-15, -2, 40), [0.0, 1.0, 0.5, -0.1, 1.1, np.nan]])

UNARY = {
    # name: (wick function, torch function, grid)
    "i0": (wick.special.i0, torch.special.i0, GRID),
    "i0e": (wick.special.i0e, torch.special.i0e, GRID),
    "i1": (wick.special.i1, torch.special.i1, GRID),
    "i1e": (wick.special.i1e, torch.special.i1e, GRID),
    "modified_bessel_i0": (wick.special.modified_bessel_i0, torch.special.modified_bessel_i0, GRID),
    "modified_bessel_i1": (wick.special.modified_bessel_i1, torch.special.modified_bessel_i1, GRID),
    "modified_bessel_k0": (wick.special.modified_bessel_k0, torch.special.modified_bessel_k0, GRID),
    "modified_bessel_k1": (wick.special.modified_bessel_k1, torch.special.modified_bessel_k1, GRID),
    "scaled_modified_bessel_k0": (wick.special.scaled_modified_bessel_k0, torch.special.scaled_modified_bessel_k0,
                                  GRID),
    "scaled_modified_bessel_k1": (wick.special.scaled_modified_bessel_k1, torch.special.scaled_modified_bessel_k1,
                                  GRID),
    "spherical_bessel_j0": (wick.special.spherical_bessel_j0, torch.special.spherical_bessel_j0, GRID),
    "erfcx": (wick.special.erfcx, torch.special.erfcx, GRID),
    "log_ndtr": (wick.special.log_ndtr, torch.special.log_ndtr, GRID),
    "ndtri": (wick.special.ndtri, torch.special.ndtri, PROBABILITIES),
}


def _same(w, t, rtol, atol, what):
    w, t = np.asarray(w, dtype=np.float64), np.asarray(t, dtype=np.float64)
    np.testing.assert_array_equal(np.isnan(w), np.isnan(t), err_msg=f"{what}: nan positions")
    finite = np.isfinite(t)
    np.testing.assert_array_equal(w[~finite & ~np.isnan(t)], t[~finite & ~np.isnan(t)], err_msg=f"{what}: inf")
    np.testing.assert_allclose(w[finite], t[finite], rtol=rtol, atol=atol, err_msg=what)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_values_against_pytorch(name, device):
    fn, ref, grid = UNARY[name]
    if name in ("i0", "i1", "modified_bessel_i0", "modified_bessel_i1"):
        # PyTorch gives nan at +-inf and overflows from 709 on, though I0(710) = 3.3e306: those points are
        # checked against mpmath below instead.
        grid = grid[~(np.abs(grid) >= 709)]
    for dtype, rtol in (("float64", 1e-12), ("float32", 1e-6)):
        x = grid.astype(dtype)
        w = fn(wick.tensor(x, device=device)).cpu().numpy()
        assert w.dtype == np.dtype(dtype)
        # wick computes in double and rounds once; PyTorch's float32 kernels lose a few more bits in the tails,
        # so float32 results are held to PyTorch's float64 ones, rounded
        t = ref(torch.tensor(x, dtype=torch.float64)).numpy().astype(dtype)
        _same(w, t, rtol, 1e-300 if dtype == "float64" else 1e-37, f"{name} {dtype}")


@pytest.mark.parametrize("kind", ["j0", "j1", "y0", "y1"])
def test_bessel_j_y_against_mpmath(kind, device):
    # PyTorch 1.13's own bessel_j0/j1/y0/y1 are off by up to 8.5e-7 near their zeros; mpmath is the reference.
    order, second = int(kind[1]), kind[0] == "y"
    x = np.concatenate([np.linspace(-60, 60, 601), np.logspace(-10, 4, 80), [0.0, 2.0, 2.0000001, 25.0, 25.01]])
    if second:
        x = x[x > 0]
    fn = getattr(wick.special, "bessel_" + kind)
    w = fn(wick.tensor(x, device=device)).cpu().numpy()
    ref = mpmath.bessely if second else mpmath.besselj
    expected = np.array([float(ref(order, mpmath.mpf(float(v)))) for v in x])
    np.testing.assert_allclose(w, expected, rtol=1e-12, atol=1e-15)
    special = fn(wick.tensor([np.inf, -np.inf, np.nan, 0.0, -1.0], device=device)).cpu().numpy()
    assert special[0] == 0.0 and np.isnan(special[2])
    if second:  # -inf at 0, nan for negative x (as PyTorch)
        assert np.isnan(special[1]) and special[3] == -np.inf and np.isnan(special[4])
    else:
        assert special[1] == 0.0


def test_bessel_i_where_pytorch_overflows(device):
    x = wick.tensor([709.5, 710.0, -710.0, np.inf, -np.inf], dtype=wick.float64, device=device)
    for order, fn in ((0, wick.special.i0), (1, wick.special.i1)):
        got = fn(x).cpu().numpy()
        for value, xi in zip(got[:3], [709.5, 710.0, -710.0]):
            assert value == pytest.approx(float(mpmath.besseli(order, xi)), rel=1e-13)
        np.testing.assert_array_equal(got[3:], [np.inf, np.inf if order == 0 else -np.inf])


def test_incomplete_gamma(device):
    a = np.array([0.0, 1e-3, 0.1, 0.5, 1, 2.5, 5, 10, 30, 100, -1, np.inf, np.nan])
    x = np.array([0.0, 1e-5, 0.01, 0.3, 1, 2, 4.9, 9, 12, 30, 90, 110, np.inf, -1, np.nan])
    A, X = [m.ravel() for m in np.meshgrid(a, x)]
    # A nan argument gives nan in wick; PyTorch returns 0 or 1 for some (nan with x = 0 or inf, inf with nan).
    keep = ~((np.isnan(A) | np.isnan(X)) & (np.isinf(A) | np.isinf(X) | (A == 0) | (X == 0)))
    A, X = A[keep], X[keep]
    for name in ("gammainc", "gammaincc"):
        w = getattr(wick.special, name)(wick.tensor(A, device=device), wick.tensor(X, device=device)).cpu().numpy()
        t = getattr(torch.special, name)(torch.tensor(A), torch.tensor(X)).numpy()
        # PyTorch 1.13 loses digits for a >= 30 near x = a (1e-9); mpmath confirms wick's values there
        _same(w, t, 1e-8, 1e-300, name)
    for a_, x_ in [(30, 30), (100, 90), (100, 110)]:
        got = wick.special.gammainc(wick.tensor([float(a_)], dtype=wick.float64, device=device),
                                    wick.tensor([float(x_)], dtype=wick.float64, device=device)).item()
        assert got == pytest.approx(float(mpmath.gammainc(a_, 0, x_, regularized=True)), rel=1e-13)
    # torch.igamma / igammac and the methods are the same functions
    A, X = wick.tensor([2.0, 3.0], device=device), wick.tensor([1.0, 4.0], device=device)
    np.testing.assert_allclose(A.igamma(X).cpu().numpy() + wick.igammac(A, X).cpu().numpy(), [1.0, 1.0])


def test_zeta(device):
    s = np.array([0.5, 1, 1.5, 2, 3, 4.5, 10, 50, np.nan])
    q = np.array([-3, -2.5, -1.5, 0, 0.1, 0.5, 1, 2, 7.5, 100, 1e9, np.inf])
    S, Q = [m.ravel() for m in np.meshgrid(s, q)]
    # Where wick and PyTorch 1.13 differ on purpose: nan x gives nan (PyTorch: inf for integer q <= 0), and
    # zeta(x, inf) = 0 (PyTorch: nan).
    keep = ~(np.isnan(S) | np.isinf(Q))
    S, Q = S[keep], Q[keep]
    np.testing.assert_array_equal(wick.special.zeta(wick.tensor([2.0, np.nan]), wick.tensor([np.inf, -3.0])).numpy(),
                                  [0.0, np.nan])
    w = wick.special.zeta(wick.tensor(S, device=device), wick.tensor(Q, device=device)).cpu().numpy()
    t = torch.special.zeta(torch.tensor(S), torch.tensor(Q)).numpy()
    _same(w, t, 1e-12, 1e-300, "zeta")
    assert wick.special.zeta(2.0, wick.tensor([1.0], device=device)).item() == pytest.approx(math.pi ** 2 / 6)


POLYNOMIALS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
               "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
               "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
               "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p"]


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomials(name, device):
    x = np.concatenate([np.linspace(-1.5, 1.5, 61), [-1.0, 1.0, 0.0, 0.5]])
    n = np.array([-1, 0, 1, 2, 3, 5, 7, 8, 9, 12, 20, 2.7])
    X, N = [m.ravel() for m in np.meshgrid(x, n)]
    fn, ref = getattr(wick.special, name), getattr(torch.special, name)
    w = fn(wick.tensor(X, device=device), wick.tensor(N, device=device)).cpu().numpy()
    t = ref(torch.tensor(X), torch.tensor(N)).numpy()
    _same(w, t, 1e-9, 1e-9, name)
    # a number for either argument, integer inputs computed in the default float dtype
    assert fn(wick.tensor([0.5], device=device), 3).shape == (1,)
    assert fn(0.5, wick.tensor([3], device=device)).dtype == wick.float32
    r = fn(wick.tensor([0.5], requires_grad=True, device=device), 2)
    assert not r.requires_grad  # not differentiable, as in PyTorch


# ---- gradients --------------------------------------------------------------------------------------------

DIFFERENTIABLE = {
    # name: (function of (module, x), input range); PyTorch 1.13 has gradients for the first group only.
    "i0": (lambda m, x: m.special.i0(x), (-5, 5)),
    "i0e": (lambda m, x: m.special.i0e(x), (-5, 5)),
    "i1": (lambda m, x: m.special.i1(x), (-5, 5)),
    "i1e": (lambda m, x: m.special.i1e(x), (-5, 5)),
    "erfcx": (lambda m, x: m.special.erfcx(x), (-3, 8)),
    "log_ndtr": (lambda m, x: m.special.log_ndtr(x), (-20, 5)),
    "ndtri": (lambda m, x: m.special.ndtri(x), (0.01, 0.99)),
    "igamma": (lambda m, a, x: m.igamma(a, x), (0.5, 4)),
    "igammac": (lambda m, a, x: m.igammac(a, x), (0.5, 4)),
}


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
def test_gradients_against_pytorch(name, device):
    fn, (low, high) = DIFFERENTIABLE[name]
    shapes = [(3, 4), (4,)] if name.startswith("igamma") else [(3, 4)]
    if name.startswith("igamma"):
        # the gradient in a is not implemented (as in PyTorch): a is a constant here
        check(lambda m, x: fn(m, m.full_like(x, 1.5), x), [(3, 4)], module=True, device=device, low=low, high=high)
    else:
        check(fn, shapes, module=True, device=device, low=low, high=high)


@pytest.mark.parametrize("name,low,high", [
    ("modified_bessel_i0", -5, 5), ("modified_bessel_i1", -5, 5), ("modified_bessel_k0", 0.1, 6),
    ("modified_bessel_k1", 0.1, 6), ("scaled_modified_bessel_k0", 0.1, 6), ("scaled_modified_bessel_k1", 0.1, 6),
    ("bessel_j0", -30, 30), ("bessel_j1", -30, 30), ("bessel_y0", 0.5, 30), ("bessel_y1", 0.5, 30),
    ("spherical_bessel_j0", -10, 10), ("i1", -3, 3),
    ("i1e", -3, 3)])
def test_gradients_numerically(name, low, high, device):
    # PyTorch 1.13 has no gradient for these: wick's (the functions' derivatives in terms of the family, twice
    # differentiable) against finite differences, in float64; the points include 0 where a limit is taken.
    x = np.concatenate([np.linspace(low, high, 7), [0.0] if low < 0 else []])
    t = wick.tensor(x, dtype=wick.float64, device=device, requires_grad=True)
    fn = getattr(wick.special, name)
    assert wick.autograd.gradcheck(fn, (t,))
    assert wick.autograd.gradgradcheck(fn, (t,))


def test_errors_and_zeta_has_no_gradient(device):
    with pytest.raises(TypeError, match="must be Tensor or Number"):
        wick.special.chebyshev_polynomial_t(wick.ones(2, device=device), "3")
    x = wick.tensor([2.0], requires_grad=True, device=device)
    with pytest.raises(NotImplementedError, match="derivative for 'zeta' is not implemented"):
        wick.special.zeta(x, 1.0).sum().backward()
    with pytest.raises(NotImplementedError, match="derivative for 'igamma: input' is not implemented"):
        wick.special.gammainc(x, wick.tensor([1.0], device=device)).sum().backward()
    out = wick.empty(0, device=device)
    assert wick.special.erfcx(wick.tensor([0.0, 1.0], device=device), out=out) is out
