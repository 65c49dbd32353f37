"""The multivariate normal distribution."""
import math

import wick
from wick.distributions import constraints
from wick.distributions.distribution import Distribution
from wick.distributions.utils import lazy_property

__all__ = ["MultivariateNormal"]


def _batch_mv(bmat, bvec):
    """Matrix-vector product with batch broadcasting: bmat (..., n, m), bvec (..., m) -> (..., n)."""
    return wick.matmul(bmat, bvec.unsqueeze(-1)).squeeze(-1)


def _batch_mahalanobis(bL, bx):
    """x^T (L L^T)^-1 x for lower-triangular L, batched: the squared norm of L^-1 x."""
    n = bx.size(-1)
    batch = wick.broadcast_shapes(bL.shape[:-2], bx.shape[:-1])
    L = bL.expand(batch + (n, n))
    x = bx.expand(batch + (n,))
    sol = wick.linalg.solve_triangular(L, x.unsqueeze(-1), upper=False).squeeze(-1)
    return sol.pow(2).sum(-1)


def _precision_to_scale_tril(P):
    """The lower Cholesky factor of P^-1, without forming P^-1: with
    L = cholesky(flip(P)), P^-1 = (flip(L)^-T)(flip(L)^-1) and flip(L)^-T
    is lower triangular."""
    Lf = wick.linalg.cholesky(wick.flip(P, (-2, -1)))
    L_inv = wick.transpose(wick.flip(Lf, (-2, -1)), -2, -1)
    Id = wick.eye(P.shape[-1], dtype=P.dtype, device=P.device)
    return wick.linalg.solve_triangular(L_inv, Id, upper=False)


def _covariance_arg(covariance_matrix, precision_matrix, scale_tril):
    """(name, value) of whichever of the covariance arguments is given (exactly one must be)."""
    if (covariance_matrix is not None) + (scale_tril is not None) + (precision_matrix is not None) != 1:
        raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
    if scale_tril is not None:
        return "scale_tril", scale_tril
    if covariance_matrix is not None:
        return "covariance_matrix", covariance_matrix
    return "precision_matrix", precision_matrix


def _scale_tril_from(name, matrix):
    """The lower Cholesky factor of the covariance given as the covariance argument `name`."""
    if name == "scale_tril":
        return matrix
    if name == "covariance_matrix":
        return wick.linalg.cholesky(matrix)
    return _precision_to_scale_tril(matrix)


class MultivariateNormal(Distribution):
    """The multivariate normal distribution with mean ``loc`` and covariance
    given by exactly one of ``covariance_matrix``, ``precision_matrix`` (its
    inverse) or ``scale_tril`` (its lower Cholesky factor, the cheapest).

    >>> m = wick.distributions.MultivariateNormal(wick.zeros(2), wick.eye(2))
    >>> m.log_prob(wick.zeros(2))
    tensor(-1.8379)
    """
    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        name, given = _covariance_arg(covariance_matrix, precision_matrix, scale_tril)
        if given.dim() < 2:
            raise ValueError(f"{name} matrix must be at least two-dimensional, with optional leading batch "
                             f"dimensions")
        batch_shape = wick.broadcast_shapes(given.shape[:-2], loc.shape[:-1])
        matrix = given.expand(batch_shape + (-1, -1))
        setattr(self, name, matrix)
        self.loc = loc.expand(batch_shape + (-1,))
        event_shape = self.loc.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        self._unbroadcasted_scale_tril = _scale_tril_from(name, given)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(MultivariateNormal, batch_shape, _instance,
                                   ("loc", "covariance_matrix", "scale_tril", "precision_matrix"),
                                   shared=("_unbroadcasted_scale_tril",))

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._batch_shape + self._event_shape + self._event_shape)

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return wick.matmul(L, L.mT).expand(self._batch_shape + self._event_shape + self._event_shape)

    @lazy_property
    def precision_matrix(self):
        return wick.cholesky_inverse(self._unbroadcasted_scale_tril).expand(
            self._batch_shape + self._event_shape + self._event_shape)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(self._batch_shape + self._event_shape)

    def rsample(self, sample_shape=wick.Size()):
        shape = self._extended_shape(sample_shape)
        eps = wick.randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + _batch_mv(self._unbroadcasted_scale_tril, eps)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        M = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + M) - half_log_det

    def entropy(self):
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        H = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + half_log_det
        if len(self._batch_shape) == 0:
            return H
        return H.expand(self._batch_shape)
