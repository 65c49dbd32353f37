"""Student's t distribution."""
import math

import wick
from wick.distributions import constraints
from wick.distributions.chi2 import Chi2
from wick.distributions.distribution import Distribution
from wick.distributions.utils import broadcast_all

__all__ = ["StudentT"]


class StudentT(Distribution):
    """Student's t distribution with ``df`` degrees of freedom, location
    ``loc`` and scale ``scale``. rsample is reparameterized: loc + scale
    * Z / sqrt(V / df), Z ~ Normal(0, 1), V ~ Chi2(df) (implicit gradient in df)."""
    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    @property
    def mean(self):
        m = self.loc.clone()
        return wick.where(self.df <= 1, wick.full_like(m, float("nan")), m)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        df = self.df
        finite = self.scale.pow(2) * df / (df - 2)
        m = wick.where(df > 2, finite, wick.full_like(finite, float("inf")))
        return wick.where(df <= 1, wick.full_like(m, float("nan")), m)

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        batch_shape = self.df.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(StudentT, batch_shape, _instance, ("df", "loc", "scale", "_chi2"))

    def rsample(self, sample_shape=wick.Size()):
        shape = self._extended_shape(sample_shape)
        x = wick.randn(shape, dtype=self.df.dtype, device=self.df.device)
        z = self._chi2.rsample(sample_shape)
        y = x * wick.rsqrt(z / self.df)
        return self.loc + self.scale * y

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi) + wick.lgamma(0.5 * self.df)
             - wick.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * wick.log1p(y ** 2.0 / self.df) - z

    def entropy(self):
        lbeta = wick.lgamma(0.5 * self.df) + math.lgamma(0.5) - wick.lgamma(0.5 * (self.df + 1))
        return (self.scale.log() + 0.5 * (self.df + 1) * (wick.digamma(0.5 * (self.df + 1))
                                                          - wick.digamma(0.5 * self.df))
                + 0.5 * self.df.log() + lbeta)
