"""The binomial distribution."""
import wick
from wick.distributions import constraints
from wick.distributions._probs_or_logits import _ProbsOrLogits
from wick.distributions._sampling import sample_binomial

__all__ = ["Binomial"]


def _clamp_by_zero(x):
    # clamp(min=0) whose gradient at 0 is 1/2 (PyTorch's choice)
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial(_ProbsOrLogits):
    """The number of successes in ``total_count`` independent trials that
    succeed with probability ``probs`` (or log-odds ``logits``); total_count
    broadcasts with the parameter."""
    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        (self.total_count,) = self._init_probs_or_logits(probs, logits, total_count)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Binomial, batch_shape, _instance, ("total_count",))

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=wick.Size()):
        shape = self._extended_shape(sample_shape)
        with wick.no_grad():
            return sample_binomial(self.total_count.expand(shape), self.probs.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_factorial_n = wick.lgamma(self.total_count + 1)
        log_factorial_k = wick.lgamma(value + 1)
        log_factorial_nmk = wick.lgamma(self.total_count - value + 1)
        # k log p + (n - k) log(1 - p) = k logits - n log(1 + exp(logits)), written so that it is stable
        # for logits of either sign: n log1p(exp(-|l|)) + n max(l, 0) - [n == k == 0 ... handled by the clamp]
        normalize_term = (self.total_count * _clamp_by_zero(self.logits)
                          + self.total_count * wick.log1p(wick.exp(-wick.abs(self.logits))) - log_factorial_n)
        return value * self.logits - normalize_term - log_factorial_k - log_factorial_nmk

    def entropy(self):
        total_count = int(self.total_count.max())
        if not bool((self.total_count == total_count).all()):
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(wick.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        total_count = int(self.total_count.max())
        if not bool((self.total_count == total_count).all()):
            raise NotImplementedError("Inhomogeneous total count not supported by `enumerate_support`.")
        values = wick.arange(1 + total_count, dtype=self._param.dtype, device=self._param.device)
        return self._enumerate_over_batch(values, expand)
