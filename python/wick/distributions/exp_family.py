"""ExponentialFamily: distributions whose density is
exp(<t(x), theta> - F(theta) + k(x))."""
import wick
from wick.distributions.distribution import Distribution
from wick.distributions.utils import _sum_rightmost

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Base class of exponential-family distributions, whose density is
    ``p(x; theta) = exp(<t(x), theta> - F(theta) + k(x))`` with natural
    parameters theta, sufficient statistic t, log normalizer F and carrier
    measure k. Subclasses give ``_natural_params`` and ``_log_normalizer``
    (and ``_mean_carrier_measure``); ``entropy`` then follows from the
    Bregman divergence of F, and KL divergences between two members of the
    same family from the same formula."""

    @property
    def _natural_params(self):
        """The natural parameters theta, a tuple of tensors."""
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        """The log normalizer F(theta)."""
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        """The expectation of the carrier measure k(x)."""
        raise NotImplementedError

    def entropy(self):
        """H = F(theta) - <theta, grad F(theta)> - E[k(x)]."""
        result = -self._mean_carrier_measure
        natural = [p.detach().requires_grad_() for p in self._natural_params]
        with wick.enable_grad():
            lg_normal = self._log_normalizer(*natural)
            gradients = wick.autograd.grad(lg_normal.sum(), natural, create_graph=True)
        result = result + lg_normal
        for np_, g in zip(natural, gradients):
            term = np_ * g
            result = result - _sum_rightmost(term, term.dim() - len(self._batch_shape))
        return result
