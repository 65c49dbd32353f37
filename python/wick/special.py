"""wick.special: PyTorch's torch.special names, each one of wick's ops (they run on every device and have
gradients) or a short composition of them.

Not here yet: the Bessel and related functions (i0, i0e, i1, i1e, bessel_j0 ...), erfcx, ndtri and log_ndtr
(their tails need kernels of their own to stay accurate), zeta, gammainc/gammaincc and the orthogonal
polynomials; ``python scripts/api_coverage.py --missing special`` lists them.
"""
import math

import wick

__all__ = ["expit", "exp2", "expm1", "erf", "erfc", "erfinv", "logit", "xlogy", "xlog1py", "sinc", "round",
           "softmax", "log_softmax", "logsumexp", "log1p", "gammaln", "digamma", "psi", "polygamma",
           "multigammaln", "ndtr", "entr"]

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
