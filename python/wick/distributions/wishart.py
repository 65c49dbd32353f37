"""The Wishart distribution."""
import math
import numbers

import wick
from wick.distributions import constraints
from wick.distributions.chi2 import Chi2
from wick.distributions.exp_family import ExponentialFamily
from wick.distributions.multivariate_normal import _covariance_arg, _scale_tril_from
from wick.distributions.utils import lazy_property

__all__ = ["Wishart"]


def _mvdigamma(x, p):
    """The multivariate digamma: sum_{i < p} digamma(x - i / 2)."""
    offsets = wick.arange(p, dtype=x.dtype, device=x.device) / 2
    return wick.digamma(x.unsqueeze(-1) - offsets).sum(-1)


class Wishart(ExponentialFamily):
    """The Wishart distribution over p x p positive definite matrices, with
    ``df`` degrees of freedom (> p - 1) and scale matrix given by exactly one
    of ``covariance_matrix``, ``precision_matrix`` or ``scale_tril``: the
    distribution of sum_{i <= df} x_i x_i^T, x_i ~ N(0, covariance_matrix)
    for integer df. rsample uses the Bartlett decomposition (its chi-squared
    diagonal is reparameterized through the implicit gamma gradient)."""
    arg_constraints = {"covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky,
                       "df": constraints.greater_than(0)}
    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        name, given = _covariance_arg(covariance_matrix, precision_matrix, scale_tril)
        if given.dim() < 2:
            raise ValueError(f"{name} must be at least two-dimensional, with optional leading batch dimensions")
        if isinstance(df, numbers.Number):
            batch_shape = given.shape[:-2]
            self.df = wick.tensor(float(df), dtype=given.dtype, device=given.device)
        else:
            batch_shape = wick.broadcast_shapes(given.shape[:-2], df.shape)
            self.df = df
        self.df = self.df.expand(batch_shape)
        event_shape = given.shape[-2:]
        p = event_shape[-1]
        if bool((self.df <= p - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        setattr(self, name, given.expand(batch_shape + event_shape))
        # df's constraint depends on the dimension
        self.arg_constraints = dict(Wishart.arg_constraints, df=constraints.greater_than(p - 1))
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        self._unbroadcasted_scale_tril = _scale_tril_from(name, given)
        # Bartlett decomposition: the squared diagonal of A is chi-squared with df - i degrees of freedom.
        self._dist_chi2 = Chi2(df=self.df.unsqueeze(-1) - wick.arange(p, dtype=self.df.dtype, device=self.df.device))

    def expand(self, batch_shape, _instance=None):
        new = self._expand_params(Wishart, batch_shape, _instance,
                                  ("df", "covariance_matrix", "scale_tril", "precision_matrix", "_dist_chi2"),
                                  shared=("arg_constraints",))
        # (the unbroadcasted factor may have fewer batch dims than the distribution)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(new.batch_shape + self.event_shape)
        return new

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._batch_shape + self._event_shape)

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return (L @ L.mT).expand(self._batch_shape + self._event_shape)

    @lazy_property
    def precision_matrix(self):
        return wick.cholesky_inverse(self._unbroadcasted_scale_tril).expand(self._batch_shape + self._event_shape)

    @property
    def mean(self):
        return self.df.reshape(self._batch_shape + (1, 1)) * self.covariance_matrix

    @property
    def mode(self):
        factor = self.df - self.covariance_matrix.shape[-1] - 1
        factor = wick.where(factor <= 0, wick.full_like(factor, math.nan), factor)
        return factor.reshape(self._batch_shape + (1, 1)) * self.covariance_matrix

    @property
    def variance(self):
        V = self.covariance_matrix
        diag_V = V.diagonal(dim1=-2, dim2=-1)
        return self.df.reshape(self._batch_shape + (1, 1)) * (V.pow(2) + wick.einsum("...i,...j->...ij", diag_V,
                                                                                       diag_V))

    def _bartlett_sample(self, sample_shape=wick.Size()):
        noise = self._dist_chi2.rsample(sample_shape).sqrt().diag_embed()
        normal = wick.randn(self._extended_shape(sample_shape), dtype=noise.dtype, device=noise.device).tril(-1)
        A = noise + normal
        LA = self._unbroadcasted_scale_tril @ A
        return LA @ LA.mT

    def rsample(self, sample_shape=wick.Size(), max_try_correction=None):
        """A reparameterized sample L A A^T L^T, A lower triangular with
        A_ii = sqrt(chi2(df - i)) and standard normal entries below the diagonal.
        (max_try_correction is accepted for compatibility; samples are not resampled.)"""
        sample_shape = wick.Size(sample_shape)
        return self._bartlett_sample(sample_shape)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        nu = self.df
        p = self._event_shape[-1]
        log_det_scale = 2 * self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        log_det_value = 2 * wick.linalg.cholesky(value).diagonal(dim1=-2, dim2=-1).log().sum(-1)
        trace = (wick.cholesky_inverse(self._unbroadcasted_scale_tril) * value).sum([-2, -1])
        return (-nu * p * math.log(2) / 2 - nu * log_det_scale / 2 - wick.mvlgamma(nu / 2, p)
                + (nu - p - 1) / 2 * log_det_value - trace / 2)

    def entropy(self):
        nu = self.df
        p = self._event_shape[-1]
        log_det_scale = 2 * self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return ((p + 1) / 2 * log_det_scale + p * (p + 1) / 2 * math.log(2) + wick.mvlgamma(nu / 2, p)
                - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p) + nu * p / 2)

    @property
    def _natural_params(self):
        nu = self.df
        p = self._event_shape[-1]
        return -self.precision_matrix / 2, (nu - p - 1) / 2

    def _log_normalizer(self, x, y):
        p = self._event_shape[-1]
        return (y + (p + 1) / 2) * (-wick.linalg.slogdet(-2 * x).logabsdet + p * math.log(2)) + wick.mvlgamma(
            y + (p + 1) / 2, p)
