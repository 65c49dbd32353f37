"""The two halves of clip_grad_norm_, as torch.nn.utils.get_total_norm and clip_grads_with_norm_."""
import wick
from wick import _C

__all__ = ["get_total_norm", "clip_grads_with_norm_"]


def _as_list(tensors):
    if isinstance(tensors, _C.Tensor):
        return [tensors]
    return [t for t in tensors if t is not None]


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    r"""The norm of the tensors taken together, as if concatenated into one
    vector: the ``norm_type``-norm of their norms (a 0-dim tensor; 0 for none).

    Args:
        tensors (Iterable[Tensor] or Tensor): e.g. ``[p.grad for p in model.parameters()]``
        norm_type (float): the order of the norm; ``inf`` for the largest magnitude
        error_if_nonfinite (bool): raise if the result is nan or inf (default: False)
        foreach: accepted for PyTorch's signature; the computation is the same

    Example::

        >>> wick.nn.utils.get_total_norm([wick.tensor([3.0]), wick.tensor([4.0])])
        tensor(5.)
    """
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return wick.tensor(0.0)
    device = tensors[0].device
    norms = [t.detach().norm(norm_type).to(device) for t in tensors]
    total = _C.stack(norms).norm(norm_type)
    if error_if_nonfinite and bool(wick.logical_or(total.isnan(), total.isinf())):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    return total


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    r"""Scales the gradients of ``parameters`` in place by
    ``min(1, max_norm / (total_norm + 1e-6))``, given their ``total_norm``
    (from :func:`get_total_norm`). Parameters without a gradient are skipped.

    Args:
        parameters (Iterable[Tensor] or Tensor): the tensors whose gradients to scale
        max_norm (float): the largest norm allowed
        total_norm (Tensor or float): the gradients' total norm
        foreach: accepted for PyTorch's signature; the computation is the same
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    if not isinstance(total_norm, _C.Tensor):
        total_norm = wick.tensor(float(total_norm))
    coef = (float(max_norm) / (total_norm + 1e-6)).clamp(max=1.0)
    with wick.no_grad():
        for g in grads:
            g.mul_(coef.to(device=g.device, dtype=g.dtype))
