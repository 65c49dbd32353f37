"""Parametrizations built on nn.utils.parametrize, as torch.nn.utils.parametrizations:
orthogonal, weight_norm and spectral_norm."""
from enum import Enum, auto

import wick
from wick import _C
from wick.nn import functional as F
from wick.nn.modules.module import Module
from wick.nn.utils import parametrize
from wick.nn.utils.spectral_norm import _check_n_power_iterations, _default_dim
from wick.nn.utils.weight_norm import _weight_norm, norm_except_dim

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]

_EPS = {wick.float16: 2.0 ** -10, wick.float32: 2.0 ** -23, wick.float64: 2.0 ** -52}


def _tensor_named(module, name):
    """module's parameter or buffer ``name``."""
    tensor = getattr(module, name, None)
    if not isinstance(tensor, _C.Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    return tensor


def _is_orthogonal(q):
    n, k = q.size(-2), q.size(-1)
    identity = wick.eye(k, dtype=q.dtype, device=q.device)
    eps = 10.0 * n * _EPS.get(q.dtype, 2.0 ** -23)
    return wick.allclose(q.mH @ q, identity, atol=eps)


def _make_orthogonal(a):
    """The Q of a's QR factorisation with R's diagonal made positive (Q's columns signed to match)."""
    x, tau = a.geqrf()
    q = wick.linalg.householder_product(x, tau)
    return q * x.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    """Maps an unconstrained matrix (or batch) to an orthogonal one (orthonormal
    columns, or rows when wide): exp or Cayley transform of the skew part of
    its lower triangle, or the Householder product of its strict lower
    triangle. With a trivialization, the result is ``base @ Q`` where ``base``
    is what right_inverse was given (made orthogonal), and the original starts
    at the value that maps to the identity."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, x):
        n, k = x.size(-2), x.size(-1)
        transposed = n < k
        if transposed:
            x = x.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            x = x.tril()
            if n != k:
                x = _C.cat([x, x.new_zeros(n, n - k).expand(*x.shape[:-2], -1, -1)], dim=-1)
            a = x - x.mH
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                q = a.matrix_exp()
            else:
                identity = wick.eye(n, dtype=a.dtype, device=a.device)
                q = wick.linalg.solve(identity - 0.5 * a, identity + 0.5 * a)
            if n != k:
                q = q[..., :k]
        else:
            a = x.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (a * a).sum(dim=-2))
            q = wick.linalg.householder_product(a, tau)
            # The sign of x's diagonal flips each column: the map then reaches every orthogonal matrix.
            # (detach: wick's int() refuses a tensor that requires grad; the int cast has no gradient anyway.)
            q = q * x.diagonal(dim1=-2, dim2=-1).detach().int().unsqueeze(-2)
        if "base" in self._buffers:
            q = self.base @ q
        if transposed:
            q = q.mT
        return q

    def right_inverse(self, q):
        with wick.no_grad():
            if q.shape != self.shape:
                raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. Got a tensor of "
                                 f"shape {q.shape}.")
            q_init = q
            n, k = q.size(-2), q.size(-1)
            transpose = n < k
            if transpose:
                q = q.mT
                n, k = k, n
            if "base" not in self._buffers:
                if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                    raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                              "parametrizations when use_trivialization=False.")
                a, tau = q.geqrf()
                # The diagonal becomes the signs the forward reads (-1 where tau is 0: no reflection).
                diagonal = a.diagonal(dim1=-2, dim2=-1)
                signs = diagonal.sign()
                signs = wick.where(tau == 0, -signs, signs)
                diagonal.copy_(signs)
                return a.mT if transpose else a
            if n == k:
                q = _make_orthogonal(q) if not _is_orthogonal(q) else q.clone()
            else:
                extra = wick.randn(*(tuple(q.shape[:-2]) + (n, n - k)), dtype=q.dtype, device=q.device)
                q = _make_orthogonal(_C.cat([q, extra], dim=-1))
            self.base = q
            neg_identity = wick.zeros_like(q_init)
            neg_identity.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
            return neg_identity


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    r"""Makes ``module.<name>`` (a matrix or batch of matrices) orthogonal: its
    columns orthonormal (its rows, when it is wide), by a parametrization.

    Args:
        orthogonal_map (str): "matrix_exp", "cayley" or "householder" (default:
            matrix_exp for square or complex matrices, else householder)
        use_trivialization (bool): keep the current value as a base that the
            map multiplies (the default), so the weight starts at its current
            value made orthogonal

    Returns the module.
    """
    weight = _tensor_named(module, name)
    if weight.dim() < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.dim()} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.size(-2) == weight.size(-1) or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


class _WeightNorm(Module):
    """(g, v) -> v * g / ||v||, the norm over every dim but ``dim`` (all of them for None)."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    r"""Reparametrizes ``module.<name>`` as g * v / ||v||: a magnitude
    ``parametrizations.<name>.original0`` (its norm over every dim but ``dim``;
    over all with None) and a direction ``original1``, as
    torch.nn.utils.parametrizations.weight_norm. State dicts of the older
    :func:`wick.nn.utils.weight_norm` (``<name>_g``, ``<name>_v``) load into it.
    Returns the module."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def load_old_keys(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(load_old_keys)
    return module


class _SpectralNorm(Module):
    """weight / sigma, sigma its largest singular value (of it as a [size(dim), -1]
    matrix) estimated by power iteration on the buffers ``_u`` and ``_v``, one
    round of n_power_iterations per training forward; a 1-D weight is just normalised."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.dim()
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got "
                             f"{dim})")
        _check_n_power_iterations(n_power_iterations)
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *[d for d in range(weight.dim()) if d != self.dim])
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations):
        with wick.no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(_C.mv(weight_mat, self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(_C.mv(weight_mat.mH, self._u), dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.dim() == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u = self._u.clone()
        v = self._v.clone()
        sigma = _C.vdot(u, _C.mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    r"""Reparametrizes ``module.<name>`` as itself divided by its spectral norm,
    estimated by power iteration (``n_power_iterations`` steps per training
    forward; 15 at registration), as
    torch.nn.utils.parametrizations.spectral_norm. ``dim`` defaults to 1 for
    transposed convolutions, else 0. Returns the module."""
    weight = _tensor_named(module, name)
    if dim is None:
        dim = _default_dim(module)
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
