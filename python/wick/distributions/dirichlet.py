"""The Dirichlet distribution."""
import wick
from wick.distributions import constraints
from wick.distributions._sampling import standard_gamma
from wick.distributions.exp_family import ExponentialFamily
from wick.distributions.utils import finfo_eps, finfo_tiny

__all__ = ["Dirichlet"]


class Dirichlet(ExponentialFamily):
    """The Dirichlet distribution over the probability simplex, with
    ``concentration`` (shape batch_shape + (K,)).

    rsample normalizes independent Gamma(concentration_i, 1) samples, whose
    implicit reparameterization gradients make it differentiable."""
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        batch_shape, event_shape = concentration.shape[:-1], concentration.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Dirichlet, batch_shape, _instance, ("concentration",))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        # In float64: with small concentrations the gamma samples are tiny, and normalizing them in float32
        # would underflow (and turn their gradients into nan).
        gammas = standard_gamma(self.concentration.expand(shape).double())
        x = (gammas / gammas.sum(-1, keepdim=True)).to(self.concentration.dtype)
        return x.clamp(min=finfo_tiny(x.dtype), max=1 - finfo_eps(x.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return (wick.xlogy(c - 1.0, value).sum(-1) + wick.lgamma(c.sum(-1)) - wick.lgamma(c).sum(-1))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        concentrationm1 = (self.concentration - 1).clamp(min=0.0)
        mode = concentrationm1 / concentrationm1.sum(-1, keepdim=True)
        mask = (self.concentration < 1).all(-1)
        # With every concentration below 1 the density is unbounded at each vertex; PyTorch picks the
        # vertex of the largest concentration.
        vertex = wick.nn.functional.one_hot(concentrationm1.argmax(-1), concentrationm1.shape[-1]).to(mode.dtype)
        return wick.where(mask.unsqueeze(-1), vertex, mode)

    @property
    def variance(self):
        con0 = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))

    def entropy(self):
        k = self.concentration.size(-1)
        a0 = self.concentration.sum(-1)
        return (wick.lgamma(self.concentration).sum(-1) - wick.lgamma(a0) - (k - a0) * wick.digamma(a0)
                - ((self.concentration - 1.0) * wick.digamma(self.concentration)).sum(-1))

    @property
    def _natural_params(self):
        return (self.concentration,)

    def _log_normalizer(self, x):
        return x.lgamma().sum(-1) - wick.lgamma(x.sum(-1))
