"""The Bernoulli distribution."""
import wick
from wick.distributions import constraints
from wick.distributions._probs_or_logits import _ProbsOrLogits
from wick.distributions.exp_family import ExponentialFamily

__all__ = ["Bernoulli"]


def _bce_with_logits(logits, value):
    """Elementwise binary cross entropy with logits, broadcasting."""
    logits, value = wick.broadcast_tensors(logits, value)
    return wick.nn.functional.binary_cross_entropy_with_logits(logits, value, reduction="none")


class Bernoulli(_ProbsOrLogits, ExponentialFamily):
    """The Bernoulli distribution: 1 with probability ``probs``, 0 otherwise.
    Give exactly one of ``probs`` and ``logits`` (log-odds).

    >>> m = wick.distributions.Bernoulli(probs=wick.tensor([0.25]))
    >>> m.log_prob(wick.tensor([1.0])).exp()
    tensor([0.2500])
    """
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True
    _mean_carrier_measure = 0

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._init_probs_or_logits(probs, logits)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Bernoulli, batch_shape, _instance)

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return wick.where(self.probs == 0.5, wick.full_like(mode, float("nan")), mode)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=wick.Size()):
        shape = self._extended_shape(sample_shape)
        with wick.no_grad():
            return wick.bernoulli(self.probs.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -_bce_with_logits(self.logits, value)

    def entropy(self):
        return _bce_with_logits(self.logits, self.probs)

    def enumerate_support(self, expand=True):
        values = wick.arange(2, dtype=self._param.dtype, device=self._param.device)
        return self._enumerate_over_batch(values, expand)

    @property
    def _natural_params(self):
        return (wick.logit(self.probs),)

    def _log_normalizer(self, x):
        return wick.log1p(wick.exp(x))
