"""The multinomial distribution."""
import wick
from wick.distributions import constraints
from wick.distributions._probs_or_logits import _CategoricalParams
from wick.distributions.binomial import Binomial
from wick.distributions.categorical import Categorical
from wick.distributions.distribution import Distribution
from wick.distributions.utils import broadcast_all

__all__ = ["Multinomial"]


class Multinomial(_CategoricalParams, Distribution):
    """Counts of each of K categories (``probs`` or ``logits``, last dim K)
    in ``total_count`` independent draws. total_count is an int shared by the
    batch; it may be left at its default for log_prob only."""
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    total_count: int

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Multinomial, batch_shape, _instance, ("_categorical", "_binomial"),
                                   shared=("total_count",))

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    def sample(self, sample_shape=wick.Size()):
        sample_shape = wick.Size(sample_shape)
        # total_count category draws per (sample, batch) element, counted by scatter_add.
        draws = self._categorical.sample(wick.Size((self.total_count,)) + sample_shape)
        draws = draws.permute(tuple(range(1, draws.dim())) + (0,))  # total_count last
        counts = wick.zeros(self._extended_shape(sample_shape), dtype=self._categorical.probs.dtype,
                            device=draws.device)
        counts = counts.scatter_add(-1, draws, wick.ones_like(draws, dtype=counts.dtype))
        return counts

    def entropy(self):
        # H = n H(categorical) - log n! + sum_i sum_k P(X_i = k) log k!, X_i ~ Binomial(n, p_i)
        n = wick.tensor(float(self.total_count), dtype=self.probs.dtype, device=self.probs.device)
        support = self._binomial.enumerate_support(expand=False)[1:]  # k = 0 adds nothing
        binomial_probs = wick.exp(self._binomial.log_prob(support))
        log_factorials = wick.lgamma(support + 1)
        return n * self._categorical.entropy() - wick.lgamma(n + 1) + (binomial_probs * log_factorials).sum([0, -1])

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        logits = logits.clone()
        log_factorial_n = wick.lgamma(value.sum(-1) + 1)
        log_factorial_xs = wick.lgamma(value + 1).sum(-1)
        logits = wick.where((value == 0) & (logits == float("-inf")), wick.zeros_like(logits), logits)
        log_powers = (logits * value).sum(-1)
        return log_factorial_n - log_factorial_xs + log_powers

