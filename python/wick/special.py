"""wick.special: PyTorch's torch.special names, each one of wick's ops (they run on every device and have
gradients) or a short composition of them.

The Bessel functions, erfcx, log_ndtr, ndtri, zeta, gammainc/gammaincc and the orthogonal polynomials are
kernels of their own (core/special_math.h: Note [Bessel functions by the trapezoidal rule]). Not here yet:
airy_ai (``python scripts/api_coverage.py --missing special``).
"""
import math

import wick
from wick.linalg import _out as linalg_out

__all__ = ["expit", "exp2", "expm1", "erf", "erfc", "erfinv", "logit", "xlogy", "xlog1py", "sinc", "round",
           "softmax", "log_softmax", "logsumexp", "log1p", "gammaln", "digamma", "psi", "polygamma",
           "multigammaln", "ndtr", "entr", "i0", "i0e", "i1", "i1e", "modified_bessel_i0", "modified_bessel_i1",
           "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
           "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "spherical_bessel_j0", "erfcx", "log_ndtr", "ndtri", "zeta", "gammainc",
           "gammaincc", "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
           "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
           "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
           "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p"]

_SQRT2 = math.sqrt(2.0)


def expit(input):
    """The logistic sigmoid 1 / (1 + exp(-input)) (wick.sigmoid)."""
    return wick.sigmoid(input)


def exp2(input):
    """2 ** input, elementwise."""
    return wick.exp2(input)


def expm1(input):
    """exp(input) - 1, accurate near 0."""
    return wick.expm1(input)


def erf(input):
    """The error function."""
    return wick.erf(input)


def erfc(input):
    """1 - erf(input), accurate where erf is near 1."""
    return wick.erfc(input)


def erfinv(input):
    """The inverse of erf on (-1, 1)."""
    return wick.erfinv(input)


def logit(input, eps=None):
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when eps is given."""
    return wick.logit(input, eps)


def xlogy(input, other):
    """input * log(other), and 0 where input is 0."""
    return wick.xlogy(input, other)


def xlog1py(input, other):
    """input * log1p(other), and 0 where input is 0 (unless other is NaN)."""
    if not isinstance(input, wick.Tensor):
        input = wick.tensor(input, device=other.device)
    if not isinstance(other, wick.Tensor):
        other = wick.tensor(other, device=input.device)
    product = input * wick.log1p(other)
    return wick.where((input == 0) & ~wick.isnan(other), wick.zeros_like(product), product)


def sinc(input):
    """sin(pi x) / (pi x), and 1 at 0."""
    return wick.sinc(input)


def round(input, decimals=0):
    """Rounded to the nearest integer (half to even), or to `decimals` decimal places."""
    return wick.round(input, decimals=decimals)


def softmax(input, dim, *, dtype=None):
    """exp(input) / sum(exp(input)) along dim."""
    return wick.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    """log(softmax(input)) along dim, computed without overflow."""
    return wick.log_softmax(input, dim, dtype=dtype)


def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(input))) over dim, computed without overflow."""
    return wick.logsumexp(input, dim, keepdim)


def log1p(input):
    """log(1 + input), accurate near 0."""
    return wick.log1p(input)


def gammaln(input):
    """log|Gamma(input)| (wick.lgamma)."""
    return wick.lgamma(input)


def digamma(input):
    """The derivative of gammaln."""
    return wick.digamma(input)


psi = digamma


def polygamma(n, input):
    """The n-th derivative of digamma."""
    return wick.polygamma(n, input)


def multigammaln(input, p):
    """The multivariate log-gamma function of dimension p (wick.mvlgamma)."""
    return wick.mvlgamma(input, p)


def ndtr(input):
    """The standard normal CDF: (1 + erf(input / sqrt(2))) / 2, as erfc(-input / sqrt(2)) / 2 so that the lower
    tail keeps its relative accuracy."""
    x = input if input.is_floating_point() else input.to(wick.get_default_dtype())
    return 0.5 * wick.erfc(-x / _SQRT2)


def entr(input):
    """-x log(x) elementwise: 0 at 0, -inf for x < 0."""
    x = input if input.is_floating_point() else input.to(wick.get_default_dtype())
    value = -x * wick.log(x)
    value = wick.where(x == 0, wick.zeros_like(value), value)
    return wick.where(x < 0, wick.full_like(value, -math.inf), value)


# ---- Bessel functions, erfcx, log_ndtr, ndtri (kernels: wick._C._special) -------------------------------

_S = wick._C._special
_out = linalg_out  # PyTorch's out=: the result written into out (resized as needed), which is returned


def i0(input, *, out=None):
    """The modified Bessel function of the first kind of order 0.

    Example::

        >>> wick.special.i0(wick.tensor([0.0, 1.0, 2.0]))
        tensor([1.0000, 1.2661, 2.2796])
    """
    return _out(wick.i0(input), out)


def i0e(input, *, out=None):
    """i0(input) * exp(-|input|), without overflow."""
    return _out(_S.i0e(input), out)


def i1(input, *, out=None):
    """The modified Bessel function of the first kind of order 1."""
    return _out(_S.i1(input), out)


def i1e(input, *, out=None):
    """i1(input) * exp(-|input|), without overflow."""
    return _out(_S.i1e(input), out)


def modified_bessel_i0(input, *, out=None):
    """The modified Bessel function of the first kind of order 0 (i0)."""
    return _out(wick.i0(input), out)


def modified_bessel_i1(input, *, out=None):
    """The modified Bessel function of the first kind of order 1 (i1)."""
    return _out(_S.i1(input), out)


def modified_bessel_k0(input, *, out=None):
    """The modified Bessel function of the second kind of order 0 (inf at 0, nan below)."""
    return _out(_S.modified_bessel_k0(input), out)


def modified_bessel_k1(input, *, out=None):
    """The modified Bessel function of the second kind of order 1 (inf at 0, nan below)."""
    return _out(_S.modified_bessel_k1(input), out)


def scaled_modified_bessel_k0(input, *, out=None):
    """modified_bessel_k0(input) * exp(input), without underflow."""
    return _out(_S.scaled_modified_bessel_k0(input), out)


def scaled_modified_bessel_k1(input, *, out=None):
    """modified_bessel_k1(input) * exp(input), without underflow."""
    return _out(_S.scaled_modified_bessel_k1(input), out)


def bessel_j0(input, *, out=None):
    """The Bessel function of the first kind of order 0.

    Example::

        >>> wick.special.bessel_j0(wick.tensor([0.0, 1.0, 5.0]))
        tensor([ 1.0000,  0.7652, -0.1776])
    """
    return _out(_S.bessel_j0(input), out)


def bessel_j1(input, *, out=None):
    """The Bessel function of the first kind of order 1."""
    return _out(_S.bessel_j1(input), out)


def bessel_y0(input, *, out=None):
    """The Bessel function of the second kind of order 0 (-inf at 0, nan below)."""
    return _out(_S.bessel_y0(input), out)


def bessel_y1(input, *, out=None):
    """The Bessel function of the second kind of order 1 (-inf at 0, nan below)."""
    return _out(_S.bessel_y1(input), out)


def spherical_bessel_j0(input, *, out=None):
    """The spherical Bessel function of the first kind of order 0: sin(x) / x, 1 at 0."""
    return _out(_S.spherical_bessel_j0(input), out)


def erfcx(input, *, out=None):
    """The scaled complementary error function exp(x^2) * erfc(x), without overflow or underflow."""
    return _out(_S.erfcx(input), out)


def log_ndtr(input, *, out=None):
    """The log of the standard normal CDF, accurate far into both tails.

    Example::

        >>> wick.special.log_ndtr(wick.tensor([-10.0, 0.0, 3.0]))
        tensor([-5.3231e+01, -6.9315e-01, -1.3508e-03])
    """
    return _out(_S.log_ndtr(input), out)


def ndtri(input, *, out=None):
    """The inverse of the standard normal CDF: x with ndtr(x) = input (-inf at 0, inf at 1, nan outside)."""
    return _out(_S.ndtri(input), out)


def zeta(input, other, *, out=None):
    """The Hurwitz zeta function sum_k (other + k) ** -input (input > 1). Not differentiable, as in PyTorch."""
    return _out(_S.zeta(input, other), out)


def gammainc(input, other, *, out=None):
    """The regularized lower incomplete gamma function P(input, other) (wick.igamma); differentiable in other."""
    return _out(wick.igamma(input, other) if isinstance(other, wick.Tensor) else
                wick.igamma(input, wick.tensor(other, dtype=input.dtype)), out)


def gammaincc(input, other, *, out=None):
    """The regularized upper incomplete gamma function Q(input, other) = 1 - P (wick.igammac)."""
    return _out(wick.igammac(input, other) if isinstance(other, wick.Tensor) else
                wick.igammac(input, wick.tensor(other, dtype=input.dtype)), out)


def _polynomial(name, formula):
    def fn(input, n, *, out=None):
        return _out(getattr(_S, name)(input, n), out)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"{formula}, elementwise over input and n (broadcast; n truncated to an integer, 0 for n < 0). "
                  f"Not differentiable, as in PyTorch.")
    return fn


chebyshev_polynomial_t = _polynomial("chebyshev_polynomial_t", "The Chebyshev polynomial of the first kind T_n(input)")
chebyshev_polynomial_u = _polynomial("chebyshev_polynomial_u", "The Chebyshev polynomial of the second kind U_n(input)")
chebyshev_polynomial_v = _polynomial("chebyshev_polynomial_v", "The Chebyshev polynomial of the third kind V_n(input)")
chebyshev_polynomial_w = _polynomial("chebyshev_polynomial_w", "The Chebyshev polynomial of the fourth kind W_n(input)")
shifted_chebyshev_polynomial_t = _polynomial("shifted_chebyshev_polynomial_t", "T_n(2 input - 1)")
shifted_chebyshev_polynomial_u = _polynomial("shifted_chebyshev_polynomial_u", "U_n(2 input - 1)")
shifted_chebyshev_polynomial_v = _polynomial("shifted_chebyshev_polynomial_v", "V_n(2 input - 1)")
shifted_chebyshev_polynomial_w = _polynomial("shifted_chebyshev_polynomial_w", "W_n(2 input - 1)")
hermite_polynomial_h = _polynomial("hermite_polynomial_h", "The physicists' Hermite polynomial H_n(input)")
hermite_polynomial_he = _polynomial("hermite_polynomial_he", "The probabilists' Hermite polynomial He_n(input)")
laguerre_polynomial_l = _polynomial("laguerre_polynomial_l", "The Laguerre polynomial L_n(input)")
legendre_polynomial_p = _polynomial("legendre_polynomial_p", "The Legendre polynomial P_n(input)")
