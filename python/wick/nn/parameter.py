"""nn.Parameter: a tensor that a Module registers as one of its parameters."""
import wick
from wick import _C

__all__ = ["Parameter"]


class Parameter(_C.Tensor):
    r"""A tensor that is a module parameter: assigned as an attribute of a
    :class:`wick.nn.Module`, it is registered and shows up in ``parameters()``.

    ``Parameter(data)`` shares ``data``'s memory (it is a new leaf over the
    same elements, as PyTorch's) and requires grad unless ``requires_grad=False``.
    Ops on a Parameter return plain tensors; in-place ops and ``.data = ...``
    keep it a Parameter.

    Args:
        data (Tensor): the values (default: an empty tensor)
        requires_grad (bool): whether autograd records ops on it (default: True)
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = wick.empty(0)
        if not isinstance(data, _C.Tensor):
            raise TypeError(f"Parameter: data must be a Tensor, not {type(data).__name__}")
        self = _C.Tensor.__new__(cls)
        _C.Tensor.__init__(self, data.detach())
        self.requires_grad_(requires_grad)
        return self

    def __init__(self, data=None, requires_grad=True):
        pass  # all done in __new__

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
