"""Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_.
The work is C++ (optim/clip_grad.h), shared with the C++ API."""
import wick
from wick import _C

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _as_list(parameters):
    if isinstance(parameters, wick.Tensor):
        return [parameters]
    return list(parameters)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    r"""Scales the gradients of ``parameters`` in place so that their total
    norm, computed over all gradients together as if concatenated into one
    vector, is at most ``max_norm``. Parameters without a gradient are skipped.

    Args:
        parameters (Iterable[Tensor] or Tensor): the tensors whose gradients to clip
        max_norm (float or int): the largest norm allowed
        norm_type (float or int): the order of the norm; ``inf`` for the largest magnitude
        error_if_nonfinite (bool): raise if the total norm is nan or inf (default: False)

    Returns:
        The total norm of the gradients before clipping (a 0-dim tensor).
    """
    return _C._optim.clip_grad_norm_(_as_list(parameters), float(max_norm), float(norm_type),
                                     bool(error_if_nonfinite))


def clip_grad_value_(parameters, clip_value):
    r"""Clamps every gradient entry of ``parameters`` into ``[-clip_value, clip_value]``, in place.

    Args:
        parameters (Iterable[Tensor] or Tensor): the tensors whose gradients to clip
        clip_value (float or int): the largest magnitude allowed
    """
    _C._optim.clip_grad_value_(_as_list(parameters), float(clip_value))
