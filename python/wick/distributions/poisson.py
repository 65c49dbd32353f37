"""The Poisson distribution."""
import wick
from wick.distributions import constraints
from wick.distributions._sampling import sample_poisson
from wick.distributions.exp_family import ExponentialFamily
from wick.distributions.utils import broadcast_all

__all__ = ["Poisson"]


class Poisson(ExponentialFamily):
    """The Poisson distribution with mean ``rate``: P(k) = rate^k exp(-rate) / k!."""
    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Poisson, batch_shape, _instance, ("rate",))

    def sample(self, sample_shape=wick.Size()):
        shape = self._extended_shape(sample_shape)
        with wick.no_grad():
            return sample_poisson(self.rate.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return value.xlogy(rate) - rate - wick.lgamma(value + 1)

    @property
    def _natural_params(self):
        return (wick.log(self.rate),)

    def _log_normalizer(self, x):
        return wick.exp(x)
