"""The Fisher-Snedecor (F) distribution."""
import wick
from wick.distributions import constraints
from wick.distributions.distribution import Distribution
from wick.distributions.gamma import Gamma
from wick.distributions.utils import broadcast_all, finfo_tiny

__all__ = ["FisherSnedecor"]


class FisherSnedecor(Distribution):
    """The F distribution with ``df1`` and ``df2`` degrees of freedom: the
    ratio (X1 / df1) / (X2 / df2) of independent chi-squared variables.
    rsample is reparameterized (through two gamma samples)."""
    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args=None):
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2)
        super().__init__(self.df1.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(FisherSnedecor, batch_shape, _instance, ("df1", "df2", "_gamma1", "_gamma2"))

    @property
    def mean(self):
        df2 = self.df2
        return wick.where(df2 > 2, df2 / (df2 - 2), wick.full_like(df2, float("nan")))

    @property
    def mode(self):
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return wick.where(self.df1 > 2, mode, wick.full_like(mode, float("nan")))

    @property
    def variance(self):
        df2 = self.df2
        v = 2 * df2.pow(2) * (self.df1 + df2 - 2) / (self.df1 * (df2 - 2).pow(2) * (df2 - 4))
        return wick.where(df2 > 4, v, wick.full_like(v, float("nan")))

    def rsample(self, sample_shape=wick.Size(())):
        shape = self._extended_shape(sample_shape)
        # Each gamma sample is X / (2 df) * ... = (chi2 / df) / 2, the halves cancel in the ratio.
        X1 = self._gamma1.rsample(sample_shape).view(shape)
        X2 = self._gamma2.rsample(sample_shape).view(shape)
        tiny = finfo_tiny(X2.dtype)
        X2 = X2.clamp(min=tiny)
        Y = X1 / X2
        return Y.clamp(min=tiny)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        ct1 = self.df1 * 0.5
        ct2 = self.df2 * 0.5
        ct3 = self.df1 / self.df2
        t1 = (ct1 + ct2).lgamma() - ct1.lgamma() - ct2.lgamma()
        t2 = ct1 * ct3.log() + (ct1 - 1) * wick.log(value)
        t3 = (ct1 + ct2) * wick.log1p(ct3 * value)
        return t1 + t2 - t3
