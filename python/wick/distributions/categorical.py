"""The categorical distribution."""
import wick
from wick.distributions import constraints
from wick.distributions._probs_or_logits import _ProbsOrLogits, _check_probs_or_logits

__all__ = ["Categorical"]


class Categorical(_ProbsOrLogits):
    """The categorical distribution over {0, ..., K-1}, parameterized by
    ``probs`` (non-negative, normalized along the last dim) or ``logits``
    (unnormalized log probabilities); give exactly one. Its batch shape is
    the parameter's shape without the last dim.

    >>> m = wick.distributions.Categorical(probs=wick.tensor([0.25, 0.75]))
    >>> m.log_prob(wick.tensor(1)).exp()
    tensor(0.7500)
    """
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    has_enumerate_support = True
    _is_binary = False

    def __init__(self, probs=None, logits=None, validate_args=None):
        _check_probs_or_logits(probs, logits)
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.size()[-1]
        batch_shape = self._param.size()[:-1] if self._param.dim() > 1 else wick.Size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Categorical, batch_shape, _instance, shared=("_num_events",))

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def mean(self):
        return wick.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype, device=self.probs.device)

    @property
    def mode(self):
        return self.probs.argmax(-1)

    @property
    def variance(self):
        return wick.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype, device=self.probs.device)

    def sample(self, sample_shape=wick.Size()):
        if not isinstance(sample_shape, wick.Size):
            sample_shape = wick.Size(sample_shape)
        n = sample_shape.numel()
        with wick.no_grad():
            probs_2d = self.probs.reshape(-1, self._num_events)
            if n == 0 or probs_2d.shape[0] == 0:
                return wick.zeros(self._extended_shape(sample_shape), dtype=wick.int64, device=self.probs.device)
            samples_2d = wick.multinomial(probs_2d, n, True).T
        return samples_2d.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.detach().long().unsqueeze(-1)  # (wick refuses .long() on a tensor requiring grad)
        value, log_pmf = wick.broadcast_tensors(value, self.logits)
        value = value[..., :1]
        return log_pmf.gather(-1, value).squeeze(-1)

    def entropy(self):
        min_real = -3.4028234663852886e38 if self.logits.dtype == wick.float32 else -1.7976931348623157e308
        logits = self.logits.clamp(min=min_real)
        p_log_p = logits * self.probs
        return -p_log_p.sum(-1)

    def enumerate_support(self, expand=True):
        values = wick.arange(self._num_events, dtype=wick.int64, device=self._param.device)
        return self._enumerate_over_batch(values, expand)
