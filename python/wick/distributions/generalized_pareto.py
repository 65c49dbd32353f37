"""The generalized Pareto distribution."""
import math

import wick
from wick.distributions import constraints
from wick.distributions.distribution import Distribution
from wick.distributions.utils import broadcast_all

__all__ = ["GeneralizedPareto"]


class GeneralizedPareto(Distribution):
    """The generalized Pareto distribution with location ``loc``, scale
    ``scale`` and shape ``concentration`` k: with z = (x - loc) / scale, the
    survival function is (1 + k z)^(-1/k) (exp(-z) for k = 0). Its support is
    [loc, inf) for k >= 0 and [loc, loc + scale / |k|] for k < 0; k = 0 is the
    exponential, k = -1 the uniform distribution."""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive, "concentration": constraints.real}
    has_rsample = False

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        super().__init__(self.loc.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(GeneralizedPareto, batch_shape, _instance, ("loc", "scale", "concentration"))

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        upper = wick.where(self.concentration < 0, self.loc + self.scale / self.concentration.abs(),
                           wick.full_like(self.loc, math.inf))
        return constraints.interval(self.loc, upper)

    def _zero_k(self):
        """Where the concentration is (numerically) 0, and a safe nonzero stand-in for it there."""
        k = self.concentration
        is_zero = k.abs() < 1e-8
        return is_zero, wick.where(is_zero, wick.ones_like(k), k)

    def sample(self, sample_shape=wick.Size()):
        shape = self._extended_shape(sample_shape)
        with wick.no_grad():
            return self.icdf(wick.rand(shape, dtype=self.loc.dtype, device=self.loc.device))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        is_zero, k = self._zero_k()
        # -(1 + 1/k) log1p(k z); for k = -1 the factor is 0 (the uniform density), even at the upper bound
        factor = 1 / k + 1
        nonzero = wick.where(factor == 0, factor, factor * wick.log1p(k * z))
        return -self.scale.log() - wick.where(is_zero, z, nonzero)

    def log_survival_function(self, value):
        """log P(X > value)."""
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        is_zero, k = self._zero_k()
        return wick.where(is_zero, -z, -wick.log1p(k * z) / k)

    def log_cdf(self, value):
        """log P(X <= value)."""
        return wick.log1p(-wick.exp(self.log_survival_function(value)))

    def cdf(self, value):
        return wick.exp(self.log_cdf(value))

    def icdf(self, value):
        is_zero, k = self._zero_k()
        neg_log_survival = -wick.log1p(-value)
        return self.loc + self.scale * wick.where(is_zero, neg_log_survival, wick.expm1(k * neg_log_survival) / k)

    @property
    def mean(self):
        """loc + scale / (1 - k) for k < 1; nan otherwise."""
        k = self.concentration
        valid = k < 1
        result = self.loc + self.scale / (1 - wick.where(valid, k, wick.zeros_like(k)))
        return wick.where(valid, result, wick.full_like(result, math.nan))

    @property
    def variance(self):
        """scale^2 / ((1 - k)^2 (1 - 2k)) for k < 1/2; nan otherwise."""
        k = self.concentration
        valid = k < 0.5
        safe = wick.where(valid, k, wick.zeros_like(k))
        result = self.scale ** 2 / ((1 - safe) ** 2 * (1 - 2 * safe)) + wick.zeros_like(self.loc)
        return wick.where(valid, result, wick.full_like(result, math.nan))

    @property
    def mode(self):
        return self.loc

    def entropy(self):
        return wick.broadcast_to(self.scale.log() + self.concentration + 1, self._batch_shape)
