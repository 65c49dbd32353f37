"""The Kumaraswamy distribution."""
import wick
from wick.distributions import constraints
from wick.distributions.gumbel import _EULER_GAMMA
from wick.distributions.transformed_distribution import TransformedDistribution
from wick.distributions.transforms import AffineTransform, PowerTransform
from wick.distributions.uniform import Uniform
from wick.distributions.utils import broadcast_all

__all__ = ["Kumaraswamy"]


def _moments(a, b, n):
    """E[X^n] = b B(1 + n / a, b), computed in log space."""
    arg1 = 1 + n / a
    log_value = wick.lgamma(arg1) + wick.lgamma(b) - wick.lgamma(arg1 + b)
    return b * wick.exp(log_value)


class Kumaraswamy(TransformedDistribution):
    """The Kumaraswamy distribution on (0, 1) (CDF 1 - (1 - x^a)^b, a =
    concentration1, b = concentration0): (1 - U^(1/b))^(1/a), U uniform."""
    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        base_dist = Uniform(wick.full_like(self.concentration0, 0.0),
                            wick.full_like(self.concentration0, 1.0), validate_args=validate_args)
        transforms = [PowerTransform(exponent=self.concentration0.reciprocal()),
                      AffineTransform(loc=1.0, scale=-1.0),
                      PowerTransform(exponent=self.concentration1.reciprocal())]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Kumaraswamy, _instance)
        new.concentration1 = self.concentration1.expand(batch_shape)
        new.concentration0 = self.concentration0.expand(batch_shape)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self):
        return _moments(self.concentration1, self.concentration0, 1)

    @property
    def mode(self):
        # Only valid for concentrations >= 1 (nan elsewhere, as PyTorch)
        log_mode = self.concentration0.reciprocal() * (-self.concentration0).log1p() \
            - (-self.concentration0 * self.concentration1).log1p()
        log_mode = wick.where((self.concentration0 < 1) | (self.concentration1 < 1),
                              wick.full_like(log_mode, float("nan")), log_mode)
        return log_mode.exp()

    @property
    def variance(self):
        return _moments(self.concentration1, self.concentration0, 2) - self.mean.pow(2)

    def entropy(self):
        t1 = 1 - self.concentration1.reciprocal()
        t0 = 1 - self.concentration0.reciprocal()
        H0 = wick.digamma(self.concentration0 + 1) + _EULER_GAMMA
        return t0 + t1 * H0 - wick.log(self.concentration1) - wick.log(self.concentration0)
