"""The parameterization shared by the distributions over outcomes with
probabilities: exactly one of ``probs`` and ``logits`` is given, and the
other is computed from it on first use; and the mixins of the distributions
that take them from a component distribution."""
from wick.distributions.distribution import Distribution
from wick.distributions.utils import broadcast_all, lazy_property, logits_to_probs, probs_to_logits


def _check_probs_or_logits(probs, logits):
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


class _ProbsOrLogits(Distribution):
    """Base of the distributions parameterized by ``probs`` or ``logits``.

    The one given is stored under its name and as ``_param`` (whose shape is
    ``param_shape``); the other is a lazy_property computed from it, by the
    sigmoid / logit pair when ``_is_binary`` (a success probability and its
    log-odds) and by softmax / log otherwise (over the last dim)."""
    _is_binary = True

    def _init_probs_or_logits(self, probs, logits, *others):
        """Stores whichever of probs and logits is given (exactly one must be),
        broadcast with others; returns others, broadcast and of its dtype."""
        _check_probs_or_logits(probs, logits)
        name, param = ("probs", probs) if probs is not None else ("logits", logits)
        *others, self._param = broadcast_all(*others, param)
        setattr(self, name, self._param)
        return [other.type_as(self._param) for other in others]

    def _expand_params(self, cls, batch_shape, _instance, params=(), shared=()):
        new = super()._expand_params(cls, batch_shape, _instance, params + ("probs", "logits"), shared)
        new._param = new.logits if "logits" in new.__dict__ else new.probs
        return new

    def _new(self, *args, **kwargs):
        return self._param.new(*args, **kwargs)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=self._is_binary)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=self._is_binary)

    @property
    def param_shape(self):
        return self._param.size()


class _CategoricalParams:
    """Mixin for the distributions built on a Categorical ``_categorical``:
    their probs and logits are its."""

    def _new(self, *args, **kwargs):
        return self._categorical._new(*args, **kwargs)

    @property
    def _param(self):
        return self._categorical._param

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits


class _RelaxedParams:
    """Mixin for the relaxed distributions, transforms of a ``base_dist``
    parameterized by a temperature and probs or logits: their parameters are
    base_dist's."""

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs
