"""The negative binomial distribution."""
import wick
from wick.distributions import constraints
from wick.distributions._probs_or_logits import _ProbsOrLogits
from wick.distributions.gamma import Gamma
from wick.distributions.poisson import Poisson
from wick.distributions.utils import lazy_property

__all__ = ["NegativeBinomial"]


class NegativeBinomial(_ProbsOrLogits):
    """The number of successes (each with probability ``probs``) before
    ``total_count`` failures: P(k) = C(k + r - 1, k) p^k (1 - p)^r, r = total_count."""
    arg_constraints = {"total_count": constraints.greater_than_eq(0), "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        (self.total_count,) = self._init_probs_or_logits(probs, logits, total_count)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(NegativeBinomial, batch_shape, _instance, ("total_count",))

    @property
    def mean(self):
        return self.total_count * wick.exp(self.logits)

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / wick.sigmoid(-self.logits)

    @lazy_property
    def _gamma(self):
        # The negative binomial is a Poisson whose rate is Gamma(total_count, exp(-logits)).
        return Gamma(concentration=self.total_count, rate=wick.exp(-self.logits), validate_args=False)

    def sample(self, sample_shape=wick.Size()):
        with wick.no_grad():
            rate = self._gamma.sample(sample_shape=sample_shape)
            return Poisson(rate, validate_args=False).sample()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_unnormalized_prob = self.total_count * wick.nn.functional.logsigmoid(-self.logits) + \
            value * wick.nn.functional.logsigmoid(self.logits)
        log_normalization = -wick.lgamma(self.total_count + value) + wick.lgamma(1.0 + value) + \
            wick.lgamma(self.total_count)
        # lgamma(total_count) is inf at total_count == 0, where P(0) = 1
        log_normalization = log_normalization.masked_fill(self.total_count + value == 0.0, 0.0)
        return log_unnormalized_prob - log_normalization
