"""Samplers wick has no primitive for, written with tensor ops so they run on
any device: gamma (with an implicit reparameterization gradient), Poisson
and binomial.

Each sampler works on every element at once: the rejection methods draw a
candidate for each element per round and loop while some are still
rejected (they accept with probability above 0.8, so the rounds grow with
the log of the number of elements); the inversion methods, used for small
means only, step every element up its CDF together."""

import wick
from wick.distributions.utils import finfo_tiny

__all__ = ["standard_gamma", "sample_poisson", "sample_binomial"]


def _marsaglia_tsang(alpha):
    """Gamma(alpha, 1) samples for alpha >= 1 (float64), by Marsaglia and
    Tsang's squeeze-free method: d = alpha - 1/3, c = 1 / sqrt(9 d);
    x ~ N(0, 1), v = (1 + c x)^3; accept d v when v > 0 and
    log u < x^2 / 2 + d - d v + d log v."""
    d = alpha - 1.0 / 3.0
    c = (9.0 * d).rsqrt()
    out = wick.zeros_like(alpha)
    pending = wick.ones_like(alpha, dtype=wick.bool)
    while bool(pending.any()):
        x = wick.randn(alpha.shape, dtype=alpha.dtype, device=alpha.device)
        u = wick.rand(alpha.shape, dtype=alpha.dtype, device=alpha.device)
        v = (1.0 + c * x) ** 3
        positive = v > 0
        log_v = wick.log(wick.where(positive, v, wick.ones_like(v)))
        accept = pending & positive & (wick.log(u) < 0.5 * x * x + d - d * v + d * log_v)
        out = wick.where(accept, d * v, out)
        pending = pending & ~accept
    return out


def _sample_standard_gamma(alpha):
    """Gamma(alpha, 1) samples for alpha > 0 of any shape, in alpha's dtype.
    For alpha < 1, Gamma(alpha) = Gamma(alpha + 1) * U^(1 / alpha)."""
    a = alpha.detach().double()
    boost = a < 1
    g = _marsaglia_tsang(wick.where(boost, a + 1, a))
    u = wick.rand(a.shape, dtype=a.dtype, device=a.device)
    g = wick.where(boost, g * u.pow(1.0 / a), g)
    return g.to(alpha.dtype).clamp(min=finfo_tiny(alpha.dtype))


def _gamma_cdf_alpha_derivative(alpha, x):
    """d/d(alpha) of the regularized incomplete gamma P(alpha, x), by a
    fourth-order central difference in alpha (float64). The difference is
    taken of whichever of P and Q = 1 - P is smaller, so that it keeps its
    relative accuracy in both tails (dP/dalpha = -dQ/dalpha)."""
    a, x = alpha.double(), x.double()
    h = 1e-3 * a.clamp(max=1.0) + 1e-3 * a.clamp(min=1.0).sqrt()  # well inside (0, alpha)
    h = wick.minimum(h, 0.25 * a)
    lower_tail = x < a  # P < 1/2 there, roughly

    def f(shift):
        p = wick.igamma(a + shift, x)
        q = wick.igammac(a + shift, x)
        return wick.where(lower_tail, p, -q)
    d1 = (f(h) - f(-h)) / (2 * h)
    d2 = (f(2 * h) - f(-2 * h)) / (4 * h)
    return (4 * d1 - d2) / 3  # Richardson extrapolation: error O(h^4)


class _StandardGamma(wick.autograd.Function):
    """Gamma(alpha, 1) samples with the implicit reparameterization gradient
    dx/dalpha = -(dF/dalpha)(x; alpha) / f(x; alpha), F and f the CDF and
    density (Figurnov et al., 2018)."""

    @staticmethod
    def forward(ctx, alpha):
        x = _sample_standard_gamma(alpha)
        ctx.save_for_backward(alpha, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        alpha, x = ctx.saved_tensors
        a, xd = alpha.detach().double(), x.detach().double()
        log_density = (a - 1) * xd.log() - xd - wick.lgamma(a)
        dx_dalpha = -_gamma_cdf_alpha_derivative(a, xd) * wick.exp(-log_density)
        # A sample that underflowed to the smallest normal number has a density too large to represent and
        # moves with alpha by a negligible amount: its gradient is 0, not inf * 0.
        dx_dalpha = wick.where(wick.isfinite(dx_dalpha), dx_dalpha, wick.zeros_like(dx_dalpha))
        return grad * dx_dalpha.to(alpha.dtype)


def standard_gamma(alpha):
    """Samples of Gamma(alpha, 1), one per element of alpha; differentiable in alpha."""
    if alpha.requires_grad:
        return _StandardGamma.apply(alpha)
    return _sample_standard_gamma(alpha)


def sample_poisson(rate):
    """Poisson(rate) samples (rate >= 0, any shape), in rate's dtype.

    Rates below 10 use inversion (walk up the CDF until it passes a uniform
    number); larger rates use Hörmann's transformed rejection with squeeze
    (PTRS, 1993)."""
    lam = rate.detach().double()
    small = lam < 10
    out = wick.zeros_like(lam)
    if bool(small.any()):
        lam_s = wick.where(small, lam, wick.zeros_like(lam))
        u = wick.rand(lam.shape, dtype=lam.dtype, device=lam.device)
        k = wick.zeros_like(lam)
        p = wick.exp(-lam_s)
        cdf = p.clone()
        going = small & (u > cdf)
        while bool(going.any()):
            k = wick.where(going, k + 1, k)
            p = wick.where(going, p * lam_s / k.clamp(min=1), p)
            cdf = cdf + wick.where(going, p, wick.zeros_like(p))
            going = going & (u > cdf) & (p > 0)
        out = wick.where(small, k, out)
    large = ~small
    if bool(large.any()):
        lam_l = wick.where(large, lam, wick.full_like(lam, 10.0))
        slam = lam_l.sqrt()
        loglam = lam_l.log()
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
        v_r = 0.9277 - 3.6224 / (b - 2)
        pending = large.clone()
        while bool(pending.any()):
            u = wick.rand(lam.shape, dtype=lam.dtype, device=lam.device) - 0.5
            v = wick.rand(lam.shape, dtype=lam.dtype, device=lam.device)
            us = 0.5 - u.abs()
            k = wick.floor((2 * a / us + b) * u + lam_l + 0.43)
            squeeze = (us >= 0.07) & (v <= v_r)
            valid = (k >= 0) & ~((us < 0.013) & (v > us))
            log_accept = (k * loglam - lam_l - wick.lgamma(k.clamp(min=0) + 1))
            rhs = wick.log(v * inv_alpha / (a / (us * us) + b))
            accept = pending & (squeeze | (valid & (rhs <= log_accept)))
            out = wick.where(accept, k, out)
            pending = pending & ~accept
    return out.to(rate.dtype)


def sample_binomial(total_count, probs):
    """Binomial(total_count, probs) samples (broadcast shapes), in probs' dtype.

    With p = min(probs, 1 - probs): where total_count * p < 10, inversion
    (walk up the CDF); elsewhere Hörmann's BTRS transformed rejection (1993).
    Samples for p > 1/2 are total_count minus those for 1 - p."""
    n, prob = wick.broadcast_tensors(total_count.detach().double(), probs.detach().double())
    flip = prob > 0.5
    p = wick.where(flip, 1 - prob, prob)
    small = n * p < 10
    out = wick.zeros_like(n)
    q = 1 - p
    if bool(small.any()):
        n_s = wick.where(small, n, wick.zeros_like(n))
        p_s = wick.where(small, p, wick.zeros_like(p))
        q_s = 1 - p_s
        u = wick.rand(n.shape, dtype=n.dtype, device=n.device)
        k = wick.zeros_like(n)
        pk = q_s.pow(n_s)
        cdf = pk.clone()
        ratio = p_s / q_s.clamp(min=1e-300)
        going = small & (u > cdf) & (k < n_s)
        while bool(going.any()):
            pk = wick.where(going, pk * ratio * (n_s - k) / (k + 1), pk)
            k = wick.where(going, k + 1, k)
            cdf = cdf + wick.where(going, pk, wick.zeros_like(pk))
            going = going & (u > cdf) & (k < n_s)
        out = wick.where(small, k, out)
    large = ~small
    if bool(large.any()):
        n_l = wick.where(large, n, wick.full_like(n, 100.0))
        p_l = wick.where(large, p, wick.full_like(p, 0.25))
        q_l = 1 - p_l
        spq = (n_l * p_l * q_l).sqrt()
        b = 1.15 + 2.53 * spq
        a = -0.0873 + 0.0248 * b + 0.01 * p_l
        c = n_l * p_l + 0.5
        v_r = 0.92 - 4.2 / b
        alpha = (2.83 + 5.1 / b) * spq
        lpq = (p_l / q_l).log()
        m = wick.floor((n_l + 1) * p_l)
        h = wick.lgamma(m + 1) + wick.lgamma(n_l - m + 1)
        pending = large.clone()
        while bool(pending.any()):
            u = wick.rand(n.shape, dtype=n.dtype, device=n.device) - 0.5
            v = wick.rand(n.shape, dtype=n.dtype, device=n.device)
            us = 0.5 - u.abs()
            k = wick.floor((2 * a / us + b) * u + c)
            squeeze = (us >= 0.07) & (v <= v_r)
            valid = (k >= 0) & (k <= n_l)
            kc = k.clamp(min=0).minimum(n_l)
            lhs = wick.log(v * alpha / (a / (us * us) + b))
            rhs = h - wick.lgamma(kc + 1) - wick.lgamma(n_l - kc + 1) + (kc - m) * lpq
            accept = pending & (squeeze | (valid & (lhs <= rhs)))
            out = wick.where(accept, k, out)
            pending = pending & ~accept
    out = wick.where(flip, n - out, out)
    return out.to(probs.dtype)
