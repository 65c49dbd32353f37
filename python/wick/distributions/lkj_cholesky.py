"""The LKJ distribution over Cholesky factors of correlation matrices."""
import math

import wick
from wick.distributions import constraints
from wick.distributions.beta import Beta
from wick.distributions.distribution import Distribution
from wick.distributions.utils import broadcast_all, finfo_tiny

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """The LKJ distribution (Lewandowski, Kurowicka and Joe, 2009) over
    lower Cholesky factors L of dim x dim correlation matrices, with density
    proportional to det(L L^T)^(concentration - 1); concentration = 1 is
    uniform over correlation matrices. Sampling uses the onion method."""
    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        batch_shape = self.concentration.size()
        event_shape = wick.Size((dim, dim))
        # Row i of L (i >= 1) has squared off-diagonal norm ~ Beta(i / 2, marginal - i / 2).
        marginal_conc = self.concentration + 0.5 * (self.dim - 2)
        offset = wick.arange(self.dim - 1, dtype=self.concentration.dtype, device=self.concentration.device)
        offset = wick.cat([offset.new_zeros((1,)), offset])
        beta_conc1 = offset + 0.5
        beta_conc0 = marginal_conc.unsqueeze(-1) - 0.5 * offset
        self._beta = Beta(beta_conc1, beta_conc0)
        super().__init__(batch_shape, event_shape, validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(LKJCholesky, batch_shape, _instance, ("concentration", "_beta"), shared=("dim",))

    def sample(self, sample_shape=wick.Size()):
        """Onion method: row i is sqrt(y_i) times a uniform direction in its
        first i coordinates, and the diagonal entry completes the unit norm."""
        with wick.no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            u_normal = wick.randn(self._extended_shape(sample_shape), dtype=y.dtype, device=y.device).tril(-1)
            norm = u_normal.norm(dim=-1, keepdim=True)
            u_hypersphere = wick.where(norm > 0, u_normal / norm.clamp(min=finfo_tiny(y.dtype)),
                                       wick.zeros_like(u_normal))  # row 0 has no off-diagonal entries
            w = wick.sqrt(y) * u_hypersphere
            diag_elems = wick.clamp(1 - wick.sum(w ** 2, dim=-1), min=finfo_tiny(w.dtype)).sqrt()
            return w + wick.diag_embed(diag_elems)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diag_elems = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = wick.arange(2, self.dim + 1, dtype=value.dtype, device=value.device)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized_log_pdf = wick.sum(order * diag_elems.log(), dim=-1)
        # Normalizer (Lewandowski et al., 2009, section 3.1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        denominator = wick.lgamma(alpha) * dm1
        numerator = wick.mvlgamma(alpha - 0.5, dm1)
        pi_constant = 0.5 * dm1 * math.log(math.pi)
        normalize_term = pi_constant + numerator - denominator
        return unnormalized_log_pdf - normalize_term
