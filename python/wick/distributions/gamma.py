"""The gamma distribution."""
import wick
from wick.distributions import constraints
from wick.distributions._sampling import standard_gamma
from wick.distributions.exp_family import ExponentialFamily
from wick.distributions.utils import broadcast_all, finfo_tiny

__all__ = ["Gamma"]


class Gamma(ExponentialFamily):
    """The gamma distribution with shape ``concentration`` and inverse scale
    ``rate`` (density rate^a x^(a-1) exp(-rate x) / Gamma(a)).

    rsample is reparameterized: the gradient of a sample with respect to the
    concentration is the implicit one, -(dF/da) / f, F and f the CDF and
    density at the sample."""
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Gamma, batch_shape, _instance, ("concentration", "rate"))

    def rsample(self, sample_shape=wick.Size()):
        shape = self._extended_shape(sample_shape)
        value = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        return value.clamp(min=finfo_tiny(value.dtype))  # never exactly 0 (log_prob would be -inf or nan)

    def log_prob(self, value):
        value = wick.as_tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        return (wick.xlogy(self.concentration, self.rate) + wick.xlogy(self.concentration - 1, value)
                - self.rate * value - wick.lgamma(self.concentration))

    def entropy(self):
        a = self.concentration
        return a - wick.log(self.rate) + wick.lgamma(a) + (1.0 - a) * wick.digamma(a)

    @property
    def _natural_params(self):
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x, y):
        return wick.lgamma(x + 1) + (x + 1) * wick.log(-y.reciprocal())

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return wick.special.gammainc(self.concentration, self.rate * value)
