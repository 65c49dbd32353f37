"""The half-Cauchy distribution."""
import math

import wick
from wick.distributions.cauchy import Cauchy
from wick.distributions.transformed_distribution import _HalfSymmetric

__all__ = ["HalfCauchy"]


class HalfCauchy(_HalfSymmetric):
    """The distribution of |X|, X ~ Cauchy(0, scale)."""

    def __init__(self, scale, validate_args=None):
        super().__init__(Cauchy(0, scale, validate_args=False), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(HalfCauchy, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self):
        return wick.full(self._extended_shape(), math.inf, dtype=self.scale.dtype, device=self.scale.device)

    @property
    def variance(self):
        return self.base_dist.variance

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = wick.as_tensor(value, dtype=self.base_dist.scale.dtype, device=self.base_dist.scale.device)
        return self._folded_log_prob(value)
