"""Helpers shared by the distributions: broadcasting parameters, converting
between probabilities and logits, cached properties, machine constants."""
import numbers
from functools import update_wrapper

import wick

__all__ = ["broadcast_all", "logits_to_probs", "probs_to_logits", "clamp_probs", "lazy_property", "tril_matrix_to_vec",
           "vec_to_tril_matrix", "finfo_eps", "finfo_tiny"]

_EPS = {"float16": 0.0009765625, "bfloat16": 0.0078125, "float32": 1.1920928955078125e-07,
        "float64": 2.220446049250313e-16}
_TINY = {"float16": 6.103515625e-05, "bfloat16": 1.1754943508222875e-38, "float32": 1.1754943508222875e-38,
         "float64": 2.2250738585072014e-308}


def _dtype_name(dtype):
    return str(dtype).split(".")[-1]


def finfo_eps(dtype):
    """The machine epsilon of a floating dtype (torch.finfo(dtype).eps)."""
    return _EPS[_dtype_name(dtype)]


def finfo_tiny(dtype):
    """The smallest positive normal number of a floating dtype (torch.finfo(dtype).tiny)."""
    return _TINY[_dtype_name(dtype)]


def broadcast_all(*values):
    """Broadcasts tensors and Python numbers to one shape. Numbers become
    tensors of the dtype and device of the first tensor argument (or of the
    default dtype when there is none)."""
    if not all(isinstance(v, (wick.Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number or wick.Tensor.")
    tensors = [v for v in values if isinstance(v, wick.Tensor)]
    if len(tensors) == len(values):
        return wick.broadcast_tensors(*values)
    if tensors:
        like = tensors[0]
        dtype = like.dtype if like.is_floating_point() else wick.get_default_dtype()
        device = like.device
    else:
        dtype, device = wick.get_default_dtype(), "cpu"
    values = [v if isinstance(v, wick.Tensor) else wick.tensor(v, dtype=dtype, device=device) for v in values]
    return wick.broadcast_tensors(*values)


def _sum_rightmost(value, dim):
    """Sums the rightmost `dim` dimensions of value."""
    return value.sum(list(range(-dim, 0))) if dim > 0 else value


def clamp_probs(probs):
    """Keeps probabilities inside [eps, 1 - eps] for the dtype."""
    eps = finfo_eps(probs.dtype)
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits, is_binary=False):
    """Logits to probabilities: the sigmoid (binary) or the softmax over the last dimension."""
    return wick.sigmoid(logits) if is_binary else wick.softmax(logits, -1)


def probs_to_logits(probs, is_binary=False):
    """Probabilities to logits: log(p) - log1p(-p) (binary) or log(p), with p clamped away from 0 and 1."""
    p = clamp_probs(probs)
    return wick.log(p) - wick.log1p(-p) if is_binary else wick.log(p)


class lazy_property:
    """A property computed on first access and then stored on the instance,
    so that distributions built from `probs` compute `logits` only if asked
    (and the other way round)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, owner=None):
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with wick.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    """What a lazy_property looks like on the class (so that introspection
    sees a property)."""

    def __init__(self, wrapped):
        property.__init__(self, wrapped)


def tril_matrix_to_vec(mat, diag=0):
    """The entries of the lower triangle (below diagonal `diag`) of the last two dims, row by row."""
    n = mat.shape[-1]
    if not (-n <= diag < n):
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    rows, cols = wick.tril_indices(n, n, offset=diag, device=mat.device)
    return mat[..., rows, cols]


def vec_to_tril_matrix(vec, diag=0):
    """Inverse of tril_matrix_to_vec: a square matrix whose lower triangle
    (below diagonal `diag`) holds vec's entries, row by row, and zeros elsewhere."""
    m = vec.shape[-1]
    # Solve m = number of entries on or below diagonal `diag` of an n x n matrix for n.
    b = 1 + 2 * diag
    n = int(round((-b + (b * b + 8 * m + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2))
    rows, cols = wick.tril_indices(n, n, offset=diag, device=vec.device)
    if rows.numel() != m:
        raise ValueError(f"The size of last dimension is {m} which cannot be expressed as the lower triangular "
                         f"part of a square D x D matrix.")
    flat = vec.new_zeros(vec.shape[:-1] + (n * n,))
    flat = flat.scatter(-1, (rows * n + cols).expand(vec.shape), vec)
    return flat.reshape(vec.shape[:-1] + (n, n))
